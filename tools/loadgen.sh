#!/usr/bin/env bash
# Builds nym-mixnode and nym-loadgen at -O3 and measures one mix node's maximum sustained throughput
# on one worker thread against the pure Sphinx per-hop rate, then its added latency at half that
# load (docs/performance.md "Mix node throughput"). The JSON report goes to
# build/release/bench-results/loadgen.json; extra arguments go to nym-loadgen.
#   bash tools/loadgen.sh                    # --find-max
#   bash tools/loadgen.sh --rate 5000        # one run at a fixed rate instead
#   RT=1 bash tools/loadgen.sh               # under chrt -f 10 (root): on a machine shared with other
#                                            # jobs, keeps their time slices out of the node's path
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
BUILD="${BUILD:-build/release}"
if [[ "$BUILD" == build/release ]]; then
  bash tools/install-deps.sh >/dev/null
  cmake --preset release >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target nym-mixnode nym-loadgen
out="$BUILD/bench-results"
mkdir -p "$out"
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--find-max)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
prefix=()
[[ "${RT:-0}" == 1 ]] && prefix=(chrt -f 10)
"${prefix[@]}" "$BUILD/bin/nym-loadgen" "${args[@]}" --json >"$out/loadgen.json"
python3 - "$out/loadgen.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["pure"]
print(f"pure Sphinx forward hop: {p['before_us_per_hop']:.1f} µs before, {p['after_us_per_hop']:.1f} µs after "
      f"-> reference {p['reference_rate']:.0f} hops/s")
for q in r["probes"]:
    l = q["latency"]
    cpu = "/".join(f"{c*100:.0f}%" for c in q["node_thread_cpu"][:3])
    print(f"{q['phase']:9} offered {q['offered_rate']:7.0f}/s recv {q['throughput']:7.0f}/s loss {q['loss']*100:6.3f}% "
          f"p50 {l['p50_us']:6.0f} p99 {l['p99_us']:7.0f} p99.9 {l['p99_9_us']:7.0f} µs  node {cpu:12} {q['verdict']}")
if "max_rate" in r:
    print(f"node CPU per forwarded packet / pure hop CPU: {r['cpu_ratio_at_max']:.2f} at the maximum (target <= 1.15), "
          f"{r['cpu_ratio_at_half']:.2f} at half load (target <= 1.25); paced hop {p['paced_cpu_us_per_hop']:.1f} µs CPU")
    w = r["wake_floor"]
    if not w["error"]:
        print(f"floor at half load (paced hop {p['paced_work_cpu_us_per_hop']:.1f} + woken {w['receiver_cpu_us']:.1f} "
              f"+ waking {w['sender_cpu_us']:.1f} µs): {w['floor_ratio']:.2f}x the pure hop; "
              f"the node at half load: {r['cpu_at_half_over_floor']:.2f}x the floor")
    h = r["half_load"]["latency"]
    print(f"max sustained {r['max_rate']:.0f}/s = {r['ratio']*100:.1f}% of pure (target >= 90%); "
          f"half load {r['half_load']['offered_rate']:.0f}/s: p50 {h['p50_us']:.0f} µs, p99 {h['p99_us']:.0f} µs (target <= 500)")
m = r["machine"]
print(f"{m['cpus']} CPUs ({m['cpu_model']}), load average {m['load_average_start']:.2f} -> {m['load_average_end']:.2f}")
PY
echo "JSON: $out/loadgen.json"
