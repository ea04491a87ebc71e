#!/usr/bin/env bash
# Installs the dependencies, builds the release preset, starts a local Nym network (tools/localnet.sh:
# the mixnet — a directory, 3 layers x 2 mix nodes, 2 gateways, clients alice and bob — and the
# ledger — 4 CometBFT validators with their nym-validator apps), sends a message from alice to bob
# through the mixnet via the clients' websocket API, prints it when it arrives at bob, commits a
# transfer on the ledger and prints the chain's height and app hash, and stops everything again
# (also on failure or Ctrl-C).
#
#   bash tools/demo.sh [--message TEXT]     the mixnet demo
#   bash tools/demo.sh --sphinx             the Sphinx walk-through: one packet for three mix nodes
#                                           and a gateway, unwrapped hop by hop
# Environment: JOBS (parallel build jobs, 2), LOCALNET_DIR (build/release/demo-localnet),
# LOCALNET_BASE_PORT (21000), LOCALNET_LEDGER_BASE_PORT (26656 when free).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
# Paths inside the checkout hash relative to it, so clones in other folders share the ccache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

if [ "${1:-}" = "--sphinx" ]; then
  shift
  bash tools/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$JOBS" --target sphinx-demo
  exec ./build/release/bin/sphinx-demo "$@"
fi

MESSAGE="hello bob, this is alice, through 3 mix layers and 2 gateways"
while [ $# -gt 0 ]; do
  case "$1" in
    --message) [ $# -ge 2 ] || { echo "demo: --message needs a value" >&2; exit 2; }; MESSAGE="$2"; shift 2 ;;
    *) echo "demo: unknown argument '$1' (use --message TEXT or --sphinx)" >&2; exit 2 ;;
  esac
done

bash tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target apps

export NYM_BIN="$PWD/build/release/bin"
LOCALNET_DIR="${LOCALNET_DIR:-build/release/demo-localnet}"
BASE_PORT="${LOCALNET_BASE_PORT:-21000}"
LEDGER_PORT_ARGS=()
[ -n "${LOCALNET_LEDGER_BASE_PORT:-}" ] && LEDGER_PORT_ARGS=(--ledger-base-port "$LOCALNET_LEDGER_BASE_PORT")
# A fresh network every time: old keys would only make the gateways' stores grow.
bash tools/localnet.sh stop --dir "$LOCALNET_DIR" >/dev/null
rm -rf "$LOCALNET_DIR"
trap 'bash tools/localnet.sh stop --dir "$LOCALNET_DIR"' EXIT
bash tools/localnet.sh start --dir "$LOCALNET_DIR" --base-port "$BASE_PORT" "${LEDGER_PORT_ARGS[@]}"
# shellcheck disable=SC1091
. "$LOCALNET_DIR/localnet.env"
LEDGER_RPC="$LOCALNET_LEDGER_RPC"

echo
node tools/ws-demo.mjs send-and-receive --from "$LOCALNET_ALICE_API" --to "$LOCALNET_BOB_API" --message "$MESSAGE"
echo
# The ledger: one transfer through the validators, then where the chain stands.
python3 tools/validators.py --dir "$LOCALNET_DIR/ledger" transfer --from alice --to bob --amount 25 | sed 's/^/ledger: /'
python3 - "$LEDGER_RPC" <<'PY'
import base64, json, sys, urllib.request
get = lambda method: json.load(urllib.request.urlopen(sys.argv[1] + "/" + method, timeout=5))["result"]
chain, info = get("status")["node_info"]["network"], get("abci_info")["response"]
print(f"ledger: chain {chain}, 4 validators, height {info['last_block_height']}, app hash "
      f"{base64.b64decode(info['last_block_app_hash']).hex().upper()} (the state after that block)")
PY
echo
