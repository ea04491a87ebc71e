#!/usr/bin/env bash
# A whole local Nym network on this machine's loopback: the mixnet (a directory, 3 layers x 2 mix
# nodes, 2 gateways and two clients, alice and bob, each registered at a different gateway; SOCKS
# through it: a test web server, nym-network-requester at gateway-2 allowing only that server, and
# nym-socks5-client at gateway-1 — curl --socks5-hostname 127.0.0.1:N+41 http://localhost:N+40/) and the
# ledger (4 CometBFT validators, each with its nym-validator app: tools/validators.py) with the
# Ethereum pipe beside it (geth --dev, the Nym ERC20 token with the client's account funded, 3
# Ethereum watchers whose keys the genesis lists, and nymclient's config:
# tools/ethereum-localnet.sh). Builds nothing: it runs the binaries under $NYM_BIN (default
# build/release/bin) and the CometBFT and geth that tools/install-deps.sh installed.
#
#   bash tools/localnet.sh start  [--dir DIR] [--base-port N] [--only mixnet|ledger] [--ledger-base-port M]
#   bash tools/localnet.sh status [--dir DIR]
#   bash tools/localnet.sh stop   [--dir DIR]                   # SIGTERM, then SIGKILL; idempotent
#
# The whole network (geth and the token, 4 validators, watchers, issuers, verifiers, providers and this
# mixnet) in the tree `make localnet-build` writes (tools/localnet.py; --out build by default):
#   bash tools/localnet.sh build|up|down [--out DIR]     bash tools/localnet.sh status --out DIR
#   bash tools/localnet.sh logs NAME [--out DIR]          bash tools/localnet.sh kill NAME [--signal KILL]
#
# Defaults: DIR ./localnet, N 21000, M 26656 (node0's p2p port; its RPC is M+1 = 26657) when those
# ports are free, else the next free block. `--only` starts one part; stop and status cover both.
# The two parts start side by side.
#
# Layout of DIR: logs/<name>.log (stdout and stderr of each mixnet component), run/<name>.pid,
# nodes/ (keys, configs and the gateways' databases; kept across stop/start, so addresses stay the
# same), ledger/ (the validator network: nodes/ as `cometbft testnet` writes it, accounts/ with the
# test accounts' keys, logs/, run/, network.json; kept across stop/start, so the chain goes on),
# ethereum/ (geth's data, ethereum.env, ethereum-watchers/watcherN/{config.toml,watcher.key}, logs/,
# run/; made afresh at every start: a new development chain, the token deployed again),
# localnetdata/localclient/{config.toml,clientAccount.key} (nymclient's; the key is kept, the config
# rewritten with the new token), localnet.env (URLs and addresses for scripts: source it).
#
# Mixnet ports, from the base port N (the default stays below Linux's ephemeral range 32768-60999, so an
# outgoing connection cannot be holding one of them): directory N; mix nodes N+1..N+6; gateways' mix listeners N+11, N+12,
# their client websockets N+21, N+22; the clients' websocket APIs N+31 (alice), N+32 (bob); the test
# web server (python3 -m http.server, DIR/www) N+40; the SOCKS port of nym-socks5-client N+41.
# Ledger ports, from M: validator k listens for peers on M+10k, RPC on M+10k+1, its app (ABCI) on M+10k+2.
# Ethereum: geth's JSON-RPC on LOCALNET_ETHEREUM_PORT (default 8545, else the next free port).
#
# The settings favour a demo that comes up in seconds: 1 s heartbeats, a 5 s presence timeout, and
# 10 ms mean delay per hop; blocks every ~0.4 s. Knobs (environment): NYM_BIN, LOCALNET_PACKET_DELAY (10ms),
# LOCALNET_SEND_DELAY (20ms, mean gap of the clients' Poisson streams), LOCALNET_LOOP_DELAY (200ms),
# LOCALNET_LOG_LEVEL (info), LOCALNET_TIMEOUT (60, seconds to wait for everything to come up),
# LOCALNET_ETHEREUM (1; 0 leaves the Ethereum pipe out), LOCALNET_ETHEREUM_PORT (8545),
# LOCALNET_LOG_DIR (instead of DIR/logs: tools/localnet.py keeps every component's log in one folder),
# LOCALNET_COMETBFT_RPC (a validator's RPC the directory's dashboard reads; tools/localnet.py sets node0's),
# LOCALNET_ISSUERS, LOCALNET_PROVIDERS (space-separated base URLs of the credential services whose health
# the dashboard shows; tools/localnet.py sets its issuers' and providers').
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NYM_BIN="${NYM_BIN:-$ROOT/build/release/bin}"
PACKET_DELAY="${LOCALNET_PACKET_DELAY:-10ms}"
SEND_DELAY="${LOCALNET_SEND_DELAY:-20ms}"
LOOP_DELAY="${LOCALNET_LOOP_DELAY:-200ms}"
LOG_LEVEL="${LOCALNET_LOG_LEVEL:-info}"
TIMEOUT="${LOCALNET_TIMEOUT:-60}"
HOST=127.0.0.1

# Start order; stop goes in reverse so clients leave before their gateways.
MIXNODES=(mix-1a mix-1b mix-2a mix-2b mix-3a mix-3b)
GATEWAYS=(gateway-1 gateway-2)
CLIENTS=(alice bob)
SOCKS_PARTS=(www requester socks5) # the test web server, nym-network-requester, nym-socks5-client

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

die() { echo "localnet: $*" >&2; exit 1; }

COMMAND="${1:-}"
[ -n "$COMMAND" ] || usage
shift
# The whole network (Ethereum, validators, credential services and the mixnet) from the tree of
# `make localnet-build`: tools/localnet.py.
case "$COMMAND" in
  build|up|down|logs|kill) exec python3 "$ROOT/tools/localnet.py" "${COMMAND/kill/stop}" "$@" ;;
  status) for a in "$@"; do [ "$a" = --out ] && exec python3 "$ROOT/tools/localnet.py" status "$@"; done ;;
esac
DIR="$PWD/localnet"
BASE_PORT=""
ONLY=""
LEDGER_BASE_PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; DIR="$2"; shift 2 ;;
    --base-port) [ $# -ge 2 ] || usage; BASE_PORT="$2"; shift 2 ;;
    --ledger-base-port) [ $# -ge 2 ] || usage; LEDGER_BASE_PORT="$2"; shift 2 ;;
    --only)
      [ $# -ge 2 ] || usage
      case "$2" in mixnet|ledger) ONLY="$2" ;; *) die "--only takes mixnet or ledger" ;; esac
      shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "localnet: unknown argument '$1'" >&2; usage ;;
  esac
done
DIR="$(realpath -m "$DIR")"
# status and stop use the base port of the last start in DIR.
if [ -z "$BASE_PORT" ]; then BASE_PORT="$(cat "$DIR/base-port" 2>/dev/null || echo 21000)"; fi
case "$BASE_PORT" in ''|*[!0-9]*) die "--base-port must be a number" ;; esac
if [ "$BASE_PORT" -lt 1024 ] || [ "$BASE_PORT" -gt 65000 ]; then die "--base-port must be within 1024..65000"; fi
LOGS="${LOCALNET_LOG_DIR:-$DIR/logs}"
RUN="$DIR/run"
NODES="$DIR/nodes"
LEDGER="$DIR/ledger"
VALIDATORS=(python3 "$ROOT/tools/validators.py" --dir "$LEDGER")
ETH="$DIR/ethereum"
ETHEREUM_LOCALNET=(env NYM_BIN="$NYM_BIN" bash "$ROOT/tools/ethereum-localnet.sh")
CLIENT_DIR="$DIR/localnetdata/localclient"
DIRECTORY_PORT=$BASE_PORT
DIRECTORY_URL="http://$HOST:$DIRECTORY_PORT"

mix_layer() { echo "${1:4:1}"; }                       # mix-2b -> 2
mix_port() {                                           # mix-1a -> N+1 ... mix-3b -> N+6
  local layer="${1:4:1}" slot=0
  [ "${1:5:1}" = b ] && slot=1
  echo $((BASE_PORT + 2 * (layer - 1) + slot + 1))
}
gateway_index() { echo "${1#gateway-}"; }
client_port() { if [ "$1" = alice ]; then echo $((BASE_PORT + 31)); else echo $((BASE_PORT + 32)); fi; }

binary_of() {
  case "$1" in
    directory) echo "$NYM_BIN/nym-directory" ;;
    mix-*) echo "$NYM_BIN/nym-mixnode" ;;
    gateway-*) echo "$NYM_BIN/nym-gateway" ;;
    www) command -v python3 ;;
    requester) echo "$NYM_BIN/nym-network-requester" ;;
    socks5) echo "$NYM_BIN/nym-socks5-client" ;;
    *) echo "$NYM_BIN/nym-client" ;;
  esac
}

all_names() { echo directory "${MIXNODES[@]}" "${GATEWAYS[@]}" "${CLIENTS[@]}" "${SOCKS_PARTS[@]}"; }

# The pid in run/<name>.pid if that process is alive and still runs the component's binary (a pid
# file left by a crash may name a recycled pid; we never signal a process that is not ours).
live_pid() {
  local file="$RUN/$1.pid" pid exe
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  case "$exe" in
    */"$(basename "$(binary_of "$1")")"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Starts a component in the background with stdout+stderr appended to logs/<name>.log.
launch() {
  local name="$1"; shift
  local log="$LOGS/$name.log"
  echo "--- $(date -u +%FT%TZ) starting: $*" >>"$log"
  nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# Waits until logs/<name>.log has a line matching `pattern` written after `offset` bytes; prints it.
wait_for_line() {
  local name="$1" pattern="$2" offset="$3" deadline=$((SECONDS + TIMEOUT)) line
  while [ $SECONDS -lt $deadline ]; do
    line="$(tail -c +"$((offset + 1))" "$LOGS/$name.log" | grep -m1 -E "$pattern" || true)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    # kill -0, not live_pid: right after the launch the process may still be nohup, before its exec.
    if ! kill -0 "$(cat "$RUN/$name.pid" 2>/dev/null)" 2>/dev/null; then
      echo "localnet: $name exited during start-up; last lines of $LOGS/$name.log:" >&2
      tail -n 15 "$LOGS/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "localnet: $name did not print '$pattern' within ${TIMEOUT}s; see $LOGS/$name.log" >&2
  return 1
}

log_size() { stat -c %s "$LOGS/$1.log" 2>/dev/null || echo 0; }

topology() { curl -fsS --max-time 3 "$DIRECTORY_URL/api/presence/topology" 2>/dev/null; }

# "mixnodes gateways" listed in the directory's topology.
topology_counts() {
  topology | python3 -c 'import json,sys
t=json.load(sys.stdin)
print(len(t.get("MixNodes") or []), len(t.get("MixProviderNodes") or []))' 2>/dev/null || echo "0 0"
}

# ownDetails over the client's websocket API (tools/ws-demo.mjs; needs node and the npm package ws).
own_details() {
  node "$ROOT/tools/ws-demo.mjs" own-details "ws://$HOST:$1/mix" 2>/dev/null
}

cmd_stop() {
  stop_mixnet
  if [ -d "$ETH" ]; then "${ETHEREUM_LOCALNET[@]}" stop --dir "$ETH" && echo "localnet: ethereum: stopped"; fi
  if [ -f "$LEDGER/network.json" ]; then "${VALIDATORS[@]}" stop | sed 's/^validators:/localnet: ledger:/'; fi
}

stop_mixnet() {
  local names pids=() name pid
  read -r -a names <<<"$(all_names)"
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do
    name="${names[$i]}"
    if pid="$(live_pid "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$name:$pid")
    fi
  done
  local deadline=$((SECONDS + 5)) left
  while :; do
    left=()
    for entry in "${pids[@]+"${pids[@]}"}"; do
      kill -0 "${entry#*:}" 2>/dev/null && left+=("$entry")
    done
    [ ${#left[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${left[@]}"; do
        echo "localnet: ${entry%%:*} ignored SIGTERM, sending SIGKILL" >&2
        kill -KILL "${entry#*:}" 2>/dev/null || true
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  rm -f "$RUN"/*.pid 2>/dev/null || true
  if [ ${#pids[@]} -eq 0 ]; then echo "localnet: mixnet: nothing running in $DIR"; else echo "localnet: mixnet: stopped ${#pids[@]} process(es) in $DIR"; fi
}

cmd_status() {
  local name pid running=0 total=0
  printf '%-10s %-8s %s\n' component pid log
  for name in $(all_names); do
    total=$((total + 1))
    if pid="$(live_pid "$name")"; then
      running=$((running + 1))
      printf '%-10s %-8s %s\n' "$name" "$pid" "$LOGS/$name.log"
    else
      printf '%-10s %-8s %s\n' "$name" "-" "$LOGS/$name.log"
    fi
  done
  echo "$running of $total running"
  if [ -f "$DIR/localnet.env" ]; then echo; cat "$DIR/localnet.env"; fi
  if live_pid directory >/dev/null; then
    read -r mixes gateways <<<"$(topology_counts)"
    echo "topology: $mixes mix nodes, $gateways gateways"
  fi
  local ledger_ok=0
  if [ -f "$LEDGER/network.json" ]; then
    echo
    "${VALIDATORS[@]}" status || ledger_ok=1
  else
    echo; echo "ledger: not built in $LEDGER"
  fi
  if [ -f "$ETH/ethereum.env" ]; then
    echo
    local pidfile
    for pidfile in "$ETH/run/geth.pid" "$ETH"/run/watcher*.pid; do
      [ -f "$pidfile" ] || continue
      name="$(basename "$pidfile" .pid)"
      pid="$(cat "$pidfile")"
      if kill -0 "$pid" 2>/dev/null; then printf '%-10s %-8s %s\n' "$name" "$pid" "$ETH/logs/$name.log"
      else printf '%-10s %-8s %s\n' "$name" "-" "$ETH/logs/$name.log"; ledger_ok=1; fi
    done
    sed 's/^/ethereum: /' "$ETH/ethereum.env"
  fi
  [ "$running" -eq "$total" ] && [ "$ledger_ok" -eq 0 ]
}

# The ledger: built on first use (kept afterwards, so the chain goes on), then started.
start_ledger() {
  if [ ! -f "$LEDGER/network.json" ]; then
    local port_args=()
    [ -n "$LEDGER_BASE_PORT" ] && port_args=(--base-port "$LEDGER_BASE_PORT")
    "${VALIDATORS[@]}" build "${port_args[@]}"
  fi
  "${VALIDATORS[@]}" start
  start_ethereum
}

# The Ethereum pipe, once the ledger runs: a fresh geth --dev chain with the token (the client's
# account funded), the genesis' watchers (their keys from the ledger's accounts/) and nymclient's config.
start_ethereum() {
  [ "${LOCALNET_ETHEREUM:-1}" = 1 ] || return 0
  local geth
  # shellcheck source=versions.env
  geth="${NYM_GETH:-${NYM_TOOLS_DIR:-$HOME/.cache/nym-cpp/tools}/geth-$(. "$ROOT/tools/versions.env"; echo "$GETH_VERSION")/geth}"
  if [ ! -x "$geth" ] || [ ! -x "$NYM_BIN/nym-ethereum-watcher" ] || [ ! -f "$NYM_BIN/../contracts/NymToken.json" ]; then
    echo "validators: no geth at $geth, or no $NYM_BIN/nym-ethereum-watcher or ../contracts/NymToken.json: the Ethereum pipe is left out (tools/install-deps.sh, then build the apps)"
    return 0
  fi
  local port="${LOCALNET_ETHEREUM_PORT:-8545}"
  while (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; do port=$((port + 1)); done
  [ -d "$ETH" ] && "${ETHEREUM_LOCALNET[@]}" stop --dir "$ETH"
  rm -rf "$ETH"
  "${ETHEREUM_LOCALNET[@]}" chain --dir "$ETH" --port "$port" --client-key "$CLIENT_DIR/clientAccount.key" |
    sed 's/^ethereum-localnet:/validators: ethereum:/'
  local chain_id validator_args=()
  chain_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chain_id"])' "$LEDGER/network.json")"
  read -r -a validator_args <<<"$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
print(" ".join("--validator http://127.0.0.1:%d" % n["rpc_port"] for n in m["nodes"]))' "$LEDGER/network.json")"
  "${ETHEREUM_LOCALNET[@]}" watchers --dir "$ETH" --count 3 --chain-id "$chain_id" --keys "$LEDGER/accounts" \
    "${validator_args[@]}" >/dev/null
  "${ETHEREUM_LOCALNET[@]}" start-watchers --dir "$ETH"
  "${ETHEREUM_LOCALNET[@]}" client --dir "$ETH" --config "$CLIENT_DIR/config.toml" --chain-id "$chain_id" \
    "${validator_args[@]}" | sed 's/^ethereum-localnet:/validators: ethereum:/'
  echo "validators: ethereum: 3 watchers (threshold 2) following; try: $NYM_BIN/nymclient -f $CLIENT_DIR/config.toml pipe --amount 1"
}

cmd_start() {
  mkdir -p "$DIR"
  if [ "$ONLY" = ledger ]; then
    start_ledger
    write_env
    return
  fi
  check_mixnet
  LEDGER_OUT="$DIR/ledger-start.out"
  if [ -z "$ONLY" ]; then
    [ -x "$NYM_BIN/nym-validator" ] || die "missing $NYM_BIN/nym-validator (build the release preset first, or use --only mixnet)"
    start_ledger >"$LEDGER_OUT" 2>&1 &
    LEDGER_BG_PID=$!
  fi
  start_mixnet # a failure there stops the mixnet (its ERR trap) and the ledger (abort_start)
  if [ -n "$LEDGER_BG_PID" ]; then
    if ! wait "$LEDGER_BG_PID"; then
      LEDGER_BG_PID=""
      cat "$LEDGER_OUT" >&2
      echo "localnet: the ledger did not start; stopping the mixnet" >&2
      stop_mixnet >/dev/null
      exit 1
    fi
    sed 's/^validators:/  ledger:/' "$LEDGER_OUT"
  fi
  write_env
}

LEDGER_BG_PID=""
abort_start() {
  echo "localnet: start failed; stopping what was started" >&2
  stop_mixnet >/dev/null
  if [ -n "$LEDGER_BG_PID" ]; then
    wait "$LEDGER_BG_PID" || true
    "${VALIDATORS[@]}" stop >/dev/null || true
  fi
}

# localnet.env: what scripts need, for the parts that run.
write_env() {
  local mixnet_env="$DIR/mixnet.env"
  : >"$DIR/localnet.env"
  [ -f "$mixnet_env" ] && [ "$ONLY" != ledger ] && cat "$mixnet_env" >>"$DIR/localnet.env"
  if [ "$ONLY" != mixnet ] && [ -f "$LEDGER/network.json" ]; then
    python3 - "$LEDGER/network.json" >>"$DIR/localnet.env" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"LOCALNET_LEDGER_RPC={m['rpc']}")
print(f"LOCALNET_LEDGER_CHAIN_ID={m['chain_id']}")
print(f"LOCALNET_LEDGER_DIR={sys.argv[1].rsplit('/', 1)[0]}")
PY
  fi
  if [ "$ONLY" != mixnet ] && [ -f "$ETH/ethereum.env" ]; then
    sed 's/^/LOCALNET_/' "$ETH/ethereum.env" >>"$DIR/localnet.env"
    echo "LOCALNET_CLIENT_CONFIG=$CLIENT_DIR/config.toml" >>"$DIR/localnet.env"
  fi
}

check_mixnet() {
  local name bin
  for name in directory mix-1a gateway-1 alice requester socks5; do
    bin="$(binary_of "$name")"
    [ -x "$bin" ] || die "missing $bin (build the release preset first, or set NYM_BIN to a build's bin/ folder)"
  done
  command -v curl >/dev/null || die "curl is needed"
  for name in $(all_names); do
    if live_pid "$name" >/dev/null; then die "$name is already running in $DIR (stop it first: localnet stop --dir $DIR)"; fi
  done
}

start_mixnet() {
  local name
  mkdir -p "$LOGS" "$RUN" "$NODES/mixnodes" "$NODES/gateways" "$NODES/clients"
  rm -f "$RUN"/*.pid
  echo "$BASE_PORT" >"$DIR/base-port"

  # From here on, a failure stops what was started.
  trap abort_start ERR

  local offset
  offset=$(log_size directory)
  local directory_args=(--host $HOST --port "$DIRECTORY_PORT" --presence-timeout 5s --log-level "$LOG_LEVEL")
  # The dashboard (/dashboard/) shows this validator's network too.
  [ -n "${LOCALNET_COMETBFT_RPC:-}" ] && directory_args+=(--cometbft-rpc "$LOCALNET_COMETBFT_RPC")
  local url
  for url in ${LOCALNET_ISSUERS:-}; do directory_args+=(--issuer "$url"); done
  for url in ${LOCALNET_PROVIDERS:-}; do directory_args+=(--provider "$url"); done
  launch directory "$(binary_of directory)" "${directory_args[@]}"
  wait_for_line directory "nym-directory listening on" "$offset" >/dev/null

  local -A offsets
  for name in "${MIXNODES[@]}"; do
    if [ ! -d "$NODES/mixnodes/$name" ]; then
      "$(binary_of "$name")" init --id "$name" --layer "$(mix_layer "$name")" --host $HOST \
        --port "$(mix_port "$name")" --directory "$DIRECTORY_URL" --root "$NODES/mixnodes" \
        >>"$LOGS/$name.log" 2>&1 || { tail -n 5 "$LOGS/$name.log" >&2; false; }
    fi
    offsets[$name]=$(log_size "$name")
    launch "$name" "$(binary_of "$name")" run --id "$name" --root "$NODES/mixnodes" --port "$(mix_port "$name")" \
      --directory "$DIRECTORY_URL" --workers 1 --max-delay 10s --heartbeat-interval 1s --log-level "$LOG_LEVEL"
  done
  for name in "${GATEWAYS[@]}"; do
    local i
    i="$(gateway_index "$name")"
    if [ ! -d "$NODES/gateways/$name" ]; then
      "$(binary_of "$name")" init --id "$name" --host $HOST --mix-port $((BASE_PORT + 10 + i)) \
        --clients-port $((BASE_PORT + 20 + i)) --directory "$DIRECTORY_URL" --root "$NODES/gateways" \
        >>"$LOGS/$name.log" 2>&1 || { tail -n 5 "$LOGS/$name.log" >&2; false; }
      grep -m1 "identity key (ed25519):" "$LOGS/$name.log" | awk '{print $NF}' >"$NODES/gateways/$name.identity"
    fi
    offsets[$name]=$(log_size "$name")
    launch "$name" "$(binary_of "$name")" run --id "$name" --root "$NODES/gateways" \
      --mix-port $((BASE_PORT + 10 + i)) --clients-port $((BASE_PORT + 20 + i)) --directory "$DIRECTORY_URL" \
      --heartbeat-interval 1s --log-level "$LOG_LEVEL"
  done
  declare -A listening
  for name in "${MIXNODES[@]}"; do
    listening[$name]="$(wait_for_line "$name" "nym-mixnode listening on" "${offsets[$name]}")"
  done
  for name in "${GATEWAYS[@]}"; do
    listening[$name]="$(wait_for_line "$name" "nym-gateway listening on" "${offsets[$name]}")"
  done

  # Clients choose routes from the topology, so wait until it lists every node.
  local deadline=$((SECONDS + TIMEOUT)) mixes=0 gateways=0
  while :; do
    read -r mixes gateways <<<"$(topology_counts)"
    [ "$mixes" -ge ${#MIXNODES[@]} ] && [ "$gateways" -ge ${#GATEWAYS[@]} ] && break
    if [ $SECONDS -ge $deadline ]; then
      echo "localnet: the topology lists $mixes mix nodes and $gateways gateways after ${TIMEOUT}s" >&2
      false
    fi
    sleep 0.2
  done

  # alice at gateway-1, bob at gateway-2: a message between them crosses both gateways.
  local gateway
  for name in "${CLIENTS[@]}"; do
    if [ "$name" = alice ]; then gateway="gateway-1"; else gateway="gateway-2"; fi
    if [ ! -d "$NODES/clients/$name" ]; then
      "$(binary_of "$name")" init --id "$name" --directory "$DIRECTORY_URL" \
        --gateway "$(cat "$NODES/gateways/$gateway.identity")" --port "$(client_port "$name")" \
        --root "$NODES/clients" >>"$LOGS/$name.log" 2>&1 || { tail -n 5 "$LOGS/$name.log" >&2; false; }
    fi
    offsets[$name]=$(log_size "$name")
    launch "$name" "$(binary_of "$name")" run --id "$name" --root "$NODES/clients" --port "$(client_port "$name")" \
      --directory "$DIRECTORY_URL" --packet-delay "$PACKET_DELAY" --send-delay "$SEND_DELAY" \
      --loop-delay "$LOOP_DELAY" --log-level "$LOG_LEVEL"
  done
  declare -A addresses
  for name in "${CLIENTS[@]}"; do
    listening[$name]="$(wait_for_line "$name" "nym-client listening on" "${offsets[$name]}")"
    addresses[$name]="${listening[$name]##*address }"
  done

  # Routable: the websocket API answers ownDetails (needs node + ws; skipped, saying so, without them).
  if command -v node >/dev/null && [ -d "$ROOT/node_modules/ws" ]; then
    for name in "${CLIENTS[@]}"; do
      deadline=$((SECONDS + TIMEOUT))
      until own_details "$(client_port "$name")" >/dev/null; do
        if [ $SECONDS -ge $deadline ]; then echo "localnet: $name's API does not answer ownDetails" >&2; false; fi
        sleep 0.2
      done
    done
  else
    echo "localnet: node or node_modules/ws missing: not checking the clients' APIs" >&2
  fi
  start_socks
  trap - ERR

  cat >"$DIR/mixnet.env" <<EOF
LOCALNET_DIRECTORY_URL=$DIRECTORY_URL
LOCALNET_ALICE_API=ws://$HOST:$(client_port alice)/mix
LOCALNET_ALICE_ADDRESS=${addresses[alice]}
LOCALNET_BOB_API=ws://$HOST:$(client_port bob)/mix
LOCALNET_BOB_ADDRESS=${addresses[bob]}
LOCALNET_WWW=http://localhost:$((BASE_PORT + 40))/
LOCALNET_SOCKS5=127.0.0.1:$((BASE_PORT + 41))
LOCALNET_REQUESTER_ADDRESS=$REQUESTER_ADDRESS
EOF

  echo "localnet up in $DIR (stop: bash tools/localnet.sh stop --dir $DIR)"
  echo "  directory  $DIRECTORY_URL  (topology: $DIRECTORY_URL/api/presence/topology)"
  for name in "${MIXNODES[@]}" "${GATEWAYS[@]}"; do
    printf '  %-10s %s\n' "$name" "${listening[$name]#* listening on }"
  done
  for name in "${CLIENTS[@]}"; do
    printf '  %-10s ws://%s:%s/mix  address %s\n' "$name" $HOST "$(client_port "$name")" "${addresses[$name]}"
  done
  printf '  %-10s http://localhost:%s/ (DIR/www; the only destination the requester allows)\n' www $((BASE_PORT + 40))
  printf '  %-10s address %s\n' requester "$REQUESTER_ADDRESS"
  printf '  %-10s socks5://127.0.0.1:%s  try: curl --socks5-hostname 127.0.0.1:%s http://localhost:%s/\n' socks5 \
    $((BASE_PORT + 41)) $((BASE_PORT + 41)) $((BASE_PORT + 40))
  echo "  logs       $LOGS/<component>.log"
  echo "  per-hop mean delay $PACKET_DELAY, client streams: real/cover every $SEND_DELAY, loop cover every $LOOP_DELAY (means)"
}

# SOCKS through the mixnet: the test web server, the requester (at gateway-2, allowing only that
# server, by name and by address) and the SOCKS client (at gateway-1) with the clients' traffic flags.
REQUESTER_ADDRESS=""
start_socks() {
  local www_port=$((BASE_PORT + 40)) socks_port=$((BASE_PORT + 41)) offset line
  mkdir -p "$DIR/www" "$NODES/requesters" "$NODES/socks5-clients"
  [ -f "$DIR/www/index.html" ] || printf '<html><body><p>Hello through the mixnet.</p></body></html>\n' >"$DIR/www/index.html"
  launch www python3 -m http.server --bind $HOST --directory "$DIR/www" "$www_port"
  local flags=(--directory "$DIRECTORY_URL" --packet-delay "$PACKET_DELAY" --send-delay "$SEND_DELAY"
    --loop-delay "$LOOP_DELAY" --log-level "$LOG_LEVEL")
  if [ ! -d "$NODES/requesters/requester" ]; then
    printf '# The localnet test web server (DIR/www), by name and by address. Nothing else.\nlocalhost:%s\n%s:%s\n' \
      "$www_port" "$HOST" "$www_port" >"$NODES/requesters/allowed.list"
    "$(binary_of requester)" init --id requester --directory "$DIRECTORY_URL" \
      --gateway "$(cat "$NODES/gateways/gateway-2.identity")" --root "$NODES/requesters" \
      --allow-list "$NODES/requesters/allowed.list" >>"$LOGS/requester.log" 2>&1 || { tail -n 5 "$LOGS/requester.log" >&2; false; }
  fi
  offset=$(log_size requester)
  launch requester "$(binary_of requester)" run --id requester --root "$NODES/requesters" "${flags[@]}"
  line="$(wait_for_line requester "nym-network-requester running" "$offset")"
  REQUESTER_ADDRESS="$(echo "$line" | sed -E 's/.*address ([^,]+),.*/\1/')"
  if [ ! -d "$NODES/socks5-clients/socks5" ]; then
    "$(binary_of socks5)" init --id socks5 --directory "$DIRECTORY_URL" --provider "$REQUESTER_ADDRESS" \
      --gateway "$(cat "$NODES/gateways/gateway-1.identity")" --port "$socks_port" --root "$NODES/socks5-clients" \
      >>"$LOGS/socks5.log" 2>&1 || { tail -n 5 "$LOGS/socks5.log" >&2; false; }
  fi
  offset=$(log_size socks5)
  launch socks5 "$(binary_of socks5)" run --id socks5 --root "$NODES/socks5-clients" --port "$socks_port" \
    --provider "$REQUESTER_ADDRESS" "${flags[@]}"
  wait_for_line socks5 "nym-socks5-client listening on" "$offset" >/dev/null
}

case "$COMMAND" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h|--help|help) usage 0 ;;
  *) echo "localnet: unknown command '$COMMAND'" >&2; usage ;;
esac
