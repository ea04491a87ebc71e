#!/usr/bin/env bash
# End-to-end benchmark of nym-client over a localnet (docs/performance.md, "Client end to end"):
# the latency distribution alice → bob for several per-hop mean delays, next to 3 × the mean, and
# the client's sustained message throughput with the main Poisson stream and without it.
# Builds nothing: runs the binaries under $NYM_BIN (default build/release/bin) through
# tools/localnet.sh, and tools/e2e-bench.mjs over the websocket API (needs node + node_modules/ws).
#
#   bash tools/e2e-bench.sh [--delays "0ms 20ms 50ms"] [--count 200] [--gap-ms 150]
#                           [--throughput-delay 20ms] [--burst 200] [--burst-size 10240] [--big 1048576]
#                           [--no-throughput] [--base-port 23000] [--out DIR]
#
# For every delay D in --delays: a fresh localnet whose clients use --packet-delay D (the mixes delay
# each packet by the value the sender drew, so this one knob sets the per-hop mean), then --count
# messages alice → bob with exponential gaps of mean --gap-ms. At --throughput-delay also: --burst
# messages of --burst-size bytes sent at once, then one message of --big bytes, first with the
# default main Poisson stream, then with alice restarted with --disable-main-poisson.
# Environment: NYM_BIN; LOCALNET_SEND_DELAY (20ms: alice's main-stream mean gap) and
# LOCALNET_LOOP_DELAY are passed on to localnet.sh.
# Output: DIR/e2e.json (default DIR build/release/bench-results) and a table on stdout. The
# localnets live in a temporary folder, removed at the end (E2E_KEEP=1 keeps it, for the logs).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export NYM_BIN="${NYM_BIN:-$ROOT/build/release/bin}"
SEND_DELAY="${LOCALNET_SEND_DELAY:-20ms}"
LOOP_DELAY="${LOCALNET_LOOP_DELAY:-200ms}"
export LOCALNET_SEND_DELAY="$SEND_DELAY" LOCALNET_LOOP_DELAY="$LOOP_DELAY"

DELAYS="0ms 20ms 50ms"
COUNT=200
GAP_MS=150
THROUGHPUT_DELAY=20ms
BURST=200
BURST_SIZE=10240
BIG=1048576
THROUGHPUT=1
BASE_PORT=23000
OUT="$ROOT/build/release/bench-results"

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}
die() { echo "e2e-bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --delays) DELAYS="$2"; shift 2 ;;
    --count) COUNT="$2"; shift 2 ;;
    --gap-ms) GAP_MS="$2"; shift 2 ;;
    --throughput-delay) THROUGHPUT_DELAY="$2"; shift 2 ;;
    --burst) BURST="$2"; shift 2 ;;
    --burst-size) BURST_SIZE="$2"; shift 2 ;;
    --big) BIG="$2"; shift 2 ;;
    --no-throughput) THROUGHPUT=0; shift ;;
    --base-port) BASE_PORT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "e2e-bench: unknown argument '$1'" >&2; usage ;;
  esac
done

[ -x "$NYM_BIN/nym-client" ] || die "missing $NYM_BIN/nym-client (build the release preset, or set NYM_BIN)"
if ! command -v node >/dev/null || [ ! -d "$ROOT/node_modules/ws" ]; then die "needs node and node_modules/ws (npm ci)"; fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/e2e-bench.XXXXXX")"
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
CURRENT=""

cleanup() {
  if [ -n "$CURRENT" ]; then bash "$ROOT/tools/localnet.sh" stop --dir "$CURRENT" >/dev/null 2>&1 || true; fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "e2e-bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# "20ms" -> 20 (ms, as a number); also accepts us and s.
to_ms() {
  case "$1" in
    *us) awk -v v="${1%us}" 'BEGIN { print v / 1000 }' ;;
    *ms) echo "${1%ms}" ;;
    *s) awk -v v="${1%s}" 'BEGIN { print v * 1000 }' ;;
    *) echo "$1" ;;
  esac
}

# Appends one result line: the node script's JSON plus the settings it ran under.
record() { # record JSON key=value...
  local json="$1"; shift
  python3 - "$json" "$@" >>"$RESULTS" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    try:
        v = float(v)
    except ValueError:
        pass
    r[k] = v
print(json.dumps(r))
EOF
}

# Restarts alice of the localnet in $1 with extra flags, the way localnet.sh starts her (same
# files: logs/alice.log, run/alice.pid, so `localnet.sh stop` still stops her).
restart_alice() {
  local dir="$1" delay="$2"; shift 2
  local pid offset deadline
  pid="$(cat "$dir/run/alice.pid")"
  kill -TERM "$pid"
  deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "alice (pid $pid) did not stop"
    sleep 0.1
  done
  offset=$(stat -c %s "$dir/logs/alice.log")
  echo "--- $(date -u +%FT%TZ) e2e-bench restarts alice with: $*" >>"$dir/logs/alice.log"
  nohup "$NYM_BIN/nym-client" run --id alice --root "$dir/nodes/clients" --port $((BASE_PORT + 31)) \
    --directory "http://127.0.0.1:$BASE_PORT" --packet-delay "$delay" --send-delay "$SEND_DELAY" \
    --loop-delay "$LOOP_DELAY" --log-level info "$@" >>"$dir/logs/alice.log" 2>&1 </dev/null &
  echo $! >"$dir/run/alice.pid"
  deadline=$((SECONDS + 60))
  until tail -c +"$((offset + 1))" "$dir/logs/alice.log" | grep -q "nym-client listening on"; do
    kill -0 "$(cat "$dir/run/alice.pid")" 2>/dev/null || { tail -n 5 "$dir/logs/alice.log" >&2; die "alice exited on restart"; }
    [ $SECONDS -lt $deadline ] || die "alice did not come back within 60 s"
    sleep 0.1
  done
}

throughput_runs() { # throughput_runs ALICE BOB DELAY MODE
  local alice="$1" bob="$2" delay="$3" mode="$4" json
  echo "  throughput ($mode): $BURST x $BURST_SIZE bytes" >&2
  json="$(node "$ROOT/tools/e2e-bench.mjs" throughput --from "$alice" --to "$bob" --count "$BURST" --size "$BURST_SIZE" --timeout 600)"
  record "$json" per_hop_mean_ms="$(to_ms "$delay")" send_delay_ms="$(to_ms "$SEND_DELAY")" stream="$mode"
  echo "  throughput ($mode): 1 x $BIG bytes" >&2
  json="$(node "$ROOT/tools/e2e-bench.mjs" throughput --from "$alice" --to "$bob" --count 1 --size "$BIG" --timeout 600)"
  record "$json" per_hop_mean_ms="$(to_ms "$delay")" send_delay_ms="$(to_ms "$SEND_DELAY")" stream="$mode"
}

for delay in $DELAYS; do
  dir="$WORK/localnet-$delay"
  echo "e2e-bench: localnet with per-hop mean $delay (main stream every $SEND_DELAY) in $dir" >&2
  CURRENT="$dir"
  LOCALNET_PACKET_DELAY="$delay" bash "$ROOT/tools/localnet.sh" start --dir "$dir" --base-port "$BASE_PORT" >/dev/null
  # shellcheck disable=SC1091
  . "$dir/localnet.env"
  # Let the clients' streams and the gateways' links settle before measuring.
  sleep 2
  echo "  latency: $COUNT messages, mean gap $GAP_MS ms" >&2
  json="$(node "$ROOT/tools/e2e-bench.mjs" latency --from "$LOCALNET_ALICE_API" --to "$LOCALNET_BOB_API" \
    --count "$COUNT" --gap-ms "$GAP_MS" --timeout 120)"
  record "$json" per_hop_mean_ms="$(to_ms "$delay")" send_delay_ms="$(to_ms "$SEND_DELAY")" stream=poisson
  if [ "$THROUGHPUT" = 1 ] && [ "$delay" = "$THROUGHPUT_DELAY" ]; then
    throughput_runs "$LOCALNET_ALICE_API" "$LOCALNET_BOB_API" "$delay" poisson
    restart_alice "$dir" "$delay" --disable-main-poisson
    throughput_runs "$LOCALNET_ALICE_API" "$LOCALNET_BOB_API" "$delay" no-main-poisson
  fi
  bash "$ROOT/tools/localnet.sh" stop --dir "$dir" >/dev/null
  CURRENT=""
done

python3 - "$RESULTS" "$OUT/e2e.json" <<'EOF'
import json, os, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
load = os.getloadavg()
doc = {
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "cpus": os.cpu_count(),
    "load_average_at_end": [round(x, 2) for x in load],
    "latency": [r for r in rows if r["mode"] == "latency"],
    "throughput": [r for r in rows if r["mode"] == "throughput"],
}
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=2)

PAYLOAD = 1576  # message bytes per regular packet (docs/protocol/client.md)
# The model without overhead: the wait for alice's next main-stream tick, Exp(send gap), plus three
# per-hop delays, Exp(per-hop mean) each; its percentiles by sampling.
import random
def model(d, s, n=200000):
    rnd = random.Random(1)
    xs = sorted(rnd.expovariate(1 / s) + (sum(rnd.expovariate(1 / d) for _ in range(3)) if d > 0 else 0) for _ in range(n))
    return {q: xs[int(q / 100 * n) - 1] for q in (50, 90, 99)}
print("Latency alice -> bob (ms); model = Exp(send gap) + 3 x Exp(per-hop mean), mean 3 x per-hop mean + send gap")
print("| per-hop mean | send gap | model mean / p50 / p90 / p99 | received | mean | p50 | p90 | p99 | max | mean - model mean |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in doc["latency"]:
    d, s, l = r["per_hop_mean_ms"], r["send_delay_ms"], r["latency_ms"]
    exp = 3 * d + s
    m = model(d, s)
    r["model_ms"] = {"mean": exp, "p50": round(m[50], 1), "p90": round(m[90], 1), "p99": round(m[99], 1)}
    over = f"{l['mean'] - exp:+.1f}" if l["mean"] is not None else "-"
    print(f"| {d:g} | {s:g} | {exp:g} / {m[50]:.0f} / {m[90]:.0f} / {m[99]:.0f} | {r['received']}/{r['count']} | {l['mean']} | {l['p50']} | {l['p90']} | {l['p99']} | {l['max']} | {over} |")
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=2)
if doc["throughput"]:
    print()
    print("Throughput alice -> bob (first send to last arrival; 1 kB = 1000 bytes)")
    print("| main stream | messages | bytes each | received | time (s) | messages/s | kB/s | Poisson bound kB/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in doc["throughput"]:
        bound = PAYLOAD * 1000 / r["send_delay_ms"] / 1000 if r["stream"] == "poisson" else None
        b = f"{bound:.1f}" if bound else "-"
        print(f"| {r['stream']} | {r['count']} | {r['size']} | {r['received']}/{r['count']} | {r['elapsed_s']} | {r['messages_per_s']} | {r['kB_per_s']} | {b} |")
print()
print(f"JSON: {sys.argv[2]}  (load average at the end: {doc['load_average_at_end']})")
EOF
