#!/usr/bin/env bash
# Builds the benchmarks at -O3 and runs them; JSON results go to build/release/bench-results/.
#   bash tools/bench.sh              # every benchmark binary
#   bash tools/bench.sh sphinx       # only bench_sphinx (or: coconut, client, ledger)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
bash tools/install-deps.sh >/dev/null
cmake --preset release >/dev/null
out=build/release/bench-results
mkdir -p "$out"
which=("${@:-sphinx coconut client ledger}")
for b in ${which[@]}; do
  cmake --build --preset release -j "$JOBS" --target "bench_$b"
  ./build/release/bench/bench_$b --benchmark_repetitions="${REPS:-5}" --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/bench_$b.json" --benchmark_out_format=json
done
for b in ${which[@]}; do python3 tools/bench-report.py "$out/bench_$b.json"; done
echo "JSON results: $out/"
