#!/usr/bin/env bash
# The Ethereum side of a local network on loopback: a geth --dev chain, the NymToken contract
# deployed with the client accounts funded, and the Ethereum watchers' folders
# (docs/protocol/ethereum.md). tools/localnet.sh folds it in; people can run it alone.
#
#   bash tools/ethereum-localnet.sh chain --dir DIR [--port 8545] [--client-key FILE ...]
#       starts geth --dev (one block a second; data DIR/geth, log DIR/logs/geth.log, pid
#       DIR/run/geth.pid), deploys the token, gives each client key (created if missing, e.g.
#       localnetdata/localclient/clientAccount.key) 10 ether and 100 tokens, and writes
#       DIR/ethereum.env: ETHEREUM_URL, TOKEN, START_BLOCK, PIPE_ACCOUNT
#   bash tools/ethereum-localnet.sh watchers --dir DIR --count 4 --chain-id ID --validator URL [--validator URL ...]
#                                            [--keys KEYDIR]
#       creates DIR/ethereum-watchers/watcherN/{config.toml,watcher.key} (kept if present) and
#       prints the watchers' addresses, one a line: the genesis' watchers.addresses. With --keys,
#       watcherN's key is a copy of KEYDIR/watcherN.key (keys whose addresses a genesis already
#       lists, e.g. tools/validators.py's accounts/)
#   bash tools/ethereum-localnet.sh client --dir DIR --config FILE --chain-id ID --validator URL [...]
#       writes nymclient's config FILE (e.g. localnetdata/localclient/config.toml, its key
#       clientAccount.key beside it) with the [ethereum] section from DIR/ethereum.env (the node, the
#       token, the pipe account, the confirmations), the [ledger] section, and the issuers and the
#       provider at the usual ports (127.0.0.1:4000-4002 and :4100; or LOCALNET_ISSUERS,
#       LOCALNET_PROVIDER)
#   bash tools/ethereum-localnet.sh start-watchers --dir DIR     logs in DIR/logs/watcherN.log; waits
#       until each prints "following"
#   bash tools/ethereum-localnet.sh stop --dir DIR               watchers, then geth; safe to repeat
#
# Binaries: $NYM_BIN (default build/release/bin); geth from tools/install-deps.sh. The pipe account
# is $LOCALNET_PIPE_ACCOUNT (default 0x…c0ffe: an address without a key, so piped tokens stay put).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
. tools/versions.env
NYM_BIN="${NYM_BIN:-build/release/bin}"
GETH="${NYM_GETH:-${NYM_TOOLS_DIR:-$HOME/.cache/nym-cpp/tools}/geth-$GETH_VERSION/geth}"
PIPE_ACCOUNT="${LOCALNET_PIPE_ACCOUNT:-0x00000000000000000000000000000000000c0ffe}"
CONFIRMATIONS="${LOCALNET_CONFIRMATIONS:-2}"

command="${1:-}"
shift || true
DIR="" PORT=8545 COUNT=4 CHAIN_ID="" CLIENT_KEYS=() VALIDATORS=() KEYS="" CONFIG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --count) COUNT="$2"; shift 2 ;;
    --chain-id) CHAIN_ID="$2"; shift 2 ;;
    --client-key) CLIENT_KEYS+=("$2"); shift 2 ;;
    --validator) VALIDATORS+=("$2"); shift 2 ;;
    --keys) KEYS="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    *) echo "ethereum-localnet: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$DIR" ] || { echo "ethereum-localnet: --dir is required" >&2; exit 2; }
mkdir -p "$DIR/logs" "$DIR/run"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

case "$command" in
  chain)
    [ -x "$GETH" ] || { echo "ethereum-localnet: geth not found at $GETH (tools/install-deps.sh)" >&2; exit 1; }
    if alive "$DIR/run/geth.pid"; then
      echo "ethereum-localnet: geth already running (pid $(cat "$DIR/run/geth.pid"))" >&2; exit 1
    fi
    "$GETH" --dev --dev.period 1 --datadir "$DIR/geth" --http --http.addr 127.0.0.1 --http.port "$PORT" \
      --http.api eth,net,web3 --port 0 --nodiscover --maxpeers 0 --authrpc.port 0 --ipcdisable \
      --verbosity 2 >>"$DIR/logs/geth.log" 2>&1 &
    echo $! >"$DIR/run/geth.pid"
    url="http://127.0.0.1:$PORT"
    for _ in $(seq 1 300); do
      curl -sf -X POST -H 'content-type: application/json' \
        --data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "$url" >/dev/null && break
      sleep 0.1
    done
    funds=()
    for key in "${CLIENT_KEYS[@]}"; do
      [ -f "$key" ] || { mkdir -p "$(dirname "$key")"; "$NYM_BIN/nym-eth-pipe" keygen --out "$key" >/dev/null; }
      funds+=(--fund "$("$NYM_BIN/nym-eth-pipe" address --key "$key")")
    done
    out=$("$NYM_BIN/nym-eth-pipe" dev-setup --ethereum "$url" --deployer-key "$DIR/deployer.key" \
      --artifact "$NYM_BIN/../contracts/NymToken.json" "${funds[@]}")
    token=$(sed -n 's/^token=//p' <<<"$out")
    start=$(sed -n 's/^start_block=//p' <<<"$out")
    printf 'ETHEREUM_URL=%s\nTOKEN=%s\nSTART_BLOCK=%s\nPIPE_ACCOUNT=%s\nCONFIRMATIONS=%s\n' \
      "$url" "$token" "$start" "$PIPE_ACCOUNT" "$CONFIRMATIONS" >"$DIR/ethereum.env"
    echo "ethereum-localnet: geth --dev at $url, token $token (block $start), pipe account $PIPE_ACCOUNT"
    ;;
  watchers)
    [ -f "$DIR/ethereum.env" ] || { echo "ethereum-localnet: run 'chain' first" >&2; exit 1; }
    [ -n "$CHAIN_ID" ] && [ ${#VALIDATORS[@]} -gt 0 ] || { echo "ethereum-localnet: --chain-id and --validator" >&2; exit 2; }
    # shellcheck disable=SC1091
    . "$DIR/ethereum.env"
    validator_args=()
    for v in "${VALIDATORS[@]}"; do validator_args+=(--validator "$v"); done
    for i in $(seq 1 "$COUNT"); do
      w="$DIR/ethereum-watchers/watcher$i"
      if [ -n "$KEYS" ] && [ ! -f "$w/watcher.key" ]; then
        [ -f "$KEYS/watcher$i.key" ] || { echo "ethereum-localnet: no $KEYS/watcher$i.key" >&2; exit 1; }
        mkdir -p "$w"
        install -m 0600 "$KEYS/watcher$i.key" "$w/watcher.key"
      fi
      if [ ! -f "$w/config.toml" ]; then
        "$NYM_BIN/nym-ethereum-watcher" init --dir "$w" --ethereum "$ETHEREUM_URL" --token "$TOKEN" \
          --pipe "$PIPE_ACCOUNT" --chain-id "$CHAIN_ID" --confirmations "$CONFIRMATIONS" \
          --start-block "$START_BLOCK" --poll-ms 250 "${validator_args[@]}" >/dev/null
      fi
      "$NYM_BIN/nym-ethereum-watcher" address --dir "$w"
    done
    ;;
  client)
    [ -f "$DIR/ethereum.env" ] || { echo "ethereum-localnet: run 'chain' first" >&2; exit 1; }
    [ -n "$CONFIG" ] && [ -n "$CHAIN_ID" ] && [ ${#VALIDATORS[@]} -gt 0 ] ||
      { echo "ethereum-localnet: --config, --chain-id and --validator" >&2; exit 2; }
    # shellcheck disable=SC1091
    . "$DIR/ethereum.env"
    toml_list() { local out="" x; for x in "$@"; do out="$out${out:+, }\"$x\""; done; echo "$out"; }
    read -r -a issuers <<<"${LOCALNET_ISSUERS:-http://127.0.0.1:4000 http://127.0.0.1:4001 http://127.0.0.1:4002}"
    provider="${LOCALNET_PROVIDER:-http://127.0.0.1:4100}"
    mkdir -p "$(dirname "$CONFIG")"
    cat >"$CONFIG.tmp" <<TOML
# nymclient's config (docs/protocol/credentials.md, docs/protocol/ethereum.md), written by
# tools/ethereum-localnet.sh. Run: nymclient -f $CONFIG [balance | pipe --amount N | ...]
[client]
# the client's account on both chains: the tokens leave Ethereum from it and the ledger credits it
account_key = "clientAccount.key"
wallet = "wallet.json"
value = 1
issuers = [$(toml_list "${issuers[@]}")]
provider = "$provider"

[ledger]
nodes = [$(toml_list "${VALIDATORS[@]}")]
chain_id = "$CHAIN_ID"

# Piping currency into Nym: the Nym ERC20 token on the development chain
[ethereum]
rpc_url = "$ETHEREUM_URL"
token = "$TOKEN"
pipe_account = "$PIPE_ACCOUNT"
confirmations = $CONFIRMATIONS
TOML
    mv "$CONFIG.tmp" "$CONFIG"
    echo "ethereum-localnet: wrote $CONFIG"
    ;;
  start-watchers)
    declare -A offsets
    for w in "$DIR"/ethereum-watchers/watcher*; do
      name=$(basename "$w")
      alive "$DIR/run/$name.pid" && continue
      offsets[$name]=$(stat -c %s "$DIR/logs/$name.log" 2>/dev/null || echo 0)
      "$NYM_BIN/nym-ethereum-watcher" run --dir "$w" >>"$DIR/logs/$name.log" 2>&1 &
      echo $! >"$DIR/run/$name.pid"
    done
    # Each started watcher prints "following" once it has read its config, key and progress.
    for name in "${!offsets[@]}"; do
      for _ in $(seq 1 200); do
        tail -c +"$((offsets[$name] + 1))" "$DIR/logs/$name.log" | grep -q following && break
        alive "$DIR/run/$name.pid" || { echo "ethereum-localnet: $name exited; see $DIR/logs/$name.log" >&2; exit 1; }
        sleep 0.1
      done
    done
    ;;
  stop)
    for pidfile in "$DIR"/run/watcher*.pid "$DIR/run/geth.pid"; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
      rm -f "$pidfile"
    done
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
