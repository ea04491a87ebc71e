#!/usr/bin/env bash
# The main job: installs the dependencies, builds the release preset (tools/build.sh), writes a fresh
# local Nym network's tree (tools/localnet.py build: the layout of `make localnet-build`) and brings
# the whole network up on loopback (tools/localnet.py up: geth --dev with the Nym ERC20 token, 4
# CometBFT validators with their nym-validator apps, 2 Ethereum watchers, 3 issuers, 2 verifiers, 2
# service providers, and the mixnet: a directory, 3 layers x 2 mix nodes, 2 gateways, clients alice
# and bob; a test web server, nym-network-requester and nym-socks5-client), prints the status
# table, then runs the story:
#   1. alice sends a message to bob through the mixnet (the clients' websocket API); bob prints it,
#      and curl fetches the test page through the SOCKS5 proxy and the mixnet;
#   2. nymclient -f localnetdata/localclient/config.toml: pipe -> credential -> spend -> `true`
#      (each step printed: 1 Nym ERC20 token piped in from Ethereum, the credential bought with it);
#   3. a summary: the client's tokens on Ethereum and on the ledger and the provider's, before and
#      after, and the ledger's record of the credential's zeta (spent, by whom, at which height);
# and stops everything again (also on failure or Ctrl-C) unless --keep (then: tools/localnet.py
# status|logs NAME|down --out DIR/build).
#
#   bash tools/demo.sh [--message TEXT] [--keep]
#   bash tools/demo.sh --sphinx             the Sphinx walk-through: one packet for three mix nodes
#                                           and a gateway, unwrapped hop by hop
# Environment: JOBS (parallel build jobs, 2), LOCALNET_DIR (build/release/demo-localnet). The network
# uses the fixed ports of tools/localnet.py (8545, 26656-26667, 4000-4002, 4100-4101, 21000-21041).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
# Paths inside the checkout hash relative to it, so clones in other folders share the ccache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The builds carry debug info (-g): without this ccache also hashes the build folder, and a clone
# in another folder would miss every object.
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

if [ "${1:-}" = "--sphinx" ]; then
  shift
  bash tools/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$JOBS" --target sphinx-demo
  exec ./build/release/bin/sphinx-demo "$@"
fi

MESSAGE="hello bob, this is alice, through 3 mix layers and 2 gateways"
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --message) [ $# -ge 2 ] || { echo "demo: --message needs a value" >&2; exit 2; }; MESSAGE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "demo: unknown argument '$1' (use --message TEXT, --keep or --sphinx)" >&2; exit 2 ;;
  esac
done

JOBS="$JOBS" bash tools/build.sh

export NYM_BIN="$PWD/build/release/bin"
LOCALNET_DIR="${LOCALNET_DIR:-build/release/demo-localnet}"
CLIENT_DIR="$LOCALNET_DIR/localnetdata/localclient"
LOCALNET=(python3 tools/localnet.py --out "$LOCALNET_DIR/build")
# A fresh network every time: new keys, a new chain.
[ -f "$LOCALNET_DIR/build/localnet.json" ] && "${LOCALNET[@]}" down >/dev/null
rm -rf "$LOCALNET_DIR"
"${LOCALNET[@]}" build --client-dir "$CLIENT_DIR"
if [ "$KEEP" = 1 ]; then
  trap 'echo "demo: left running; stop it: ${LOCALNET[*]} down"' EXIT
else
  trap '"${LOCALNET[@]}" down' EXIT
fi
"${LOCALNET[@]}" up
echo
"${LOCALNET[@]}" status || true

echo
echo "== 1. a message from alice to bob through the mixnet"
node tools/ws-demo.mjs send-and-receive --from ws://127.0.0.1:21031/mix --to ws://127.0.0.1:21032/mix --message "$MESSAGE"
echo "-- curl --socks5-hostname 127.0.0.1:21041 http://localhost:21040/  (SOCKS5 through the mixnet)"
curl -sS --max-time 60 --socks5-hostname 127.0.0.1:21041 http://localhost:21040/

echo
echo "== 2. nymclient -f $CLIENT_DIR/config.toml"
"${LOCALNET[@]}" balances >"$LOCALNET_DIR/balances-before.json"
status=0
"$NYM_BIN/nymclient" -f "$CLIENT_DIR/config.toml" --json >"$LOCALNET_DIR/nymclient.json" || status=$?
"${LOCALNET[@]}" balances >"$LOCALNET_DIR/balances-after.json"
python3 - "$LOCALNET_DIR" <<'PY'
import json, subprocess, sys
d = sys.argv[1]
run = json.load(open(f"{d}/nymclient.json"))
for s in run["steps"]:
    print(f"  {s['at_ms']:>6} ms  {'ok ' if s['ok'] else 'FAILED'}  {s['step']}: {s['detail']}")
result = run.get("result") or {}
print(f"provider's answer: {'true' if result.get('accepted') else 'false'}"
      + ("" if result.get("accepted") else f" ({result.get('reason') or run.get('error') or 'see above'})"))
print()
print("== 3. summary")
before, after = json.load(open(f"{d}/balances-before.json")), json.load(open(f"{d}/balances-after.json"))
print(f"  {'':38}{'before':>10}{'after':>10}")
for key, label in [("client_tokens_on_ethereum", "client's Nym ERC20 tokens on Ethereum"),
                   ("client_on_ledger", "client's balance on the ledger"),
                   ("provider1_on_ledger", "provider1's balance on the ledger")]:
    print(f"  {label:38}{before[key]:>10}{after[key]:>10}")
if result.get("zeta"):
    z = subprocess.run([sys.executable, "tools/localnet.py", "--out", f"{d}/build", "zeta", result["zeta"]],
                       capture_output=True, text=True)
    record = json.loads(z.stdout) if z.returncode == 0 else {}
    print(f"  the credential's zeta {result['zeta'][:16]}…: {record.get('status', z.stderr.strip())}"
          + (f" by {record['provider']} at height {record['deposit_height']} "
             f"({record['valid_votes']} valid verifier votes)" if record.get("status") == "spent" else ""))
PY
exit "$status"
