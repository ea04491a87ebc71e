#!/usr/bin/env bash
# Instruction counts of one forwarded packet in a real nym-mixnode, by thread and by function
# (docs/performance.md "Where the time goes"). Runs nym-loadgen twice against a node under
# `valgrind --tool=callgrind` (one node per run; the same duration at two low rates), and divides the
# difference of the two runs by the difference of their packet counts, so start-up, shutdown, the
# replay-state save and everything periodic (heartbeats, topology) cancel out. Instruction counts do
# not depend on the machine's load; the rates are low enough that every packet travels alone (no
# batching), i.e. the worst case per packet. The cache simulation adds the data reads that miss the
# first-level cache: one per cache line touched that was not in L1 (each replay-filter probe is one).
#   bash tools/profile-mixnode.sh                 # release build; table on stdout
#   LOW=40 HIGH=120 SECS=5 bash tools/profile-mixnode.sh
#   MIXNODE_BIN=path/to/other/nym-mixnode SKIP_BUILD=1 OUT=build/release/profile-old bash tools/profile-mixnode.sh
# Needs valgrind. Output files stay in build/release/profile/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build/release}"
LOW="${LOW:-40}"
HIGH="${HIGH:-120}"
SECS="${SECS:-5}"
WORKERS="${WORKERS:-1}"
command -v valgrind >/dev/null || { echo "profile-mixnode: valgrind is needed" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  [[ "$BUILD" == build/release ]] && cmake --preset release >/dev/null
  cmake --build "$BUILD" -j "${JOBS:-2}" --target nym-mixnode nym-loadgen
fi
out="${OUT:-$BUILD/profile}"
rm -rf "$out"
mkdir -p "$out"
for rate in "$LOW" "$HIGH"; do
  mkdir -p "$out/$rate"
  "$BUILD/bin/nym-loadgen" --rate "$rate" --warmup 0s --duration "${SECS}s" --drain 10s --pure-duration 200ms \
    --workers "$WORKERS" --mixnode-bin "${MIXNODE_BIN:-$BUILD/bin/nym-mixnode}" --quiet --json --node-args "--heartbeat-interval 600s --metrics-interval 600s" \
    --node-wrapper "valgrind --tool=callgrind --separate-threads=yes --cache-sim=yes --callgrind-out-file=$out/$rate/callgrind.out" \
    >"$out/$rate/loadgen.json"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 tools/callgrind-per-packet.py "$out/$LOW" "$out/$HIGH"
