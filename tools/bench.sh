#!/usr/bin/env bash
# Builds the benchmarks at -O3 and runs them; JSON results go to build/release/bench-results/.
#   bash tools/bench.sh              # every benchmark binary
#   bash tools/bench.sh sphinx       # only bench_sphinx (or: coconut, client, ledger)
# With sphinx, Nym's Rust crate sphinx-packet (0.1.0 and 0.6.0, through tools/sphinx-interop) is
# timed right after bench_sphinx on the same machine, with the same 2065-byte payload, and
# tools/bench-report.py prints the two side by side (crate_sphinx.json; needs cargo).
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
reports=()
for b in ${which[@]}; do reports+=("$out/bench_$b.json"); done
case " ${which[*]} " in
  *" sphinx "*)
    cargo="$(command -v cargo || echo "${CARGO_HOME:-$HOME/.cargo}/bin/cargo")"
    if [ -x "$cargo" ]; then
      "$cargo" build --release --locked --quiet --manifest-path tools/sphinx-interop/Cargo.toml \
        --target-dir build/release/sphinx-interop/target
      # Nym's regular packet: 2048-byte message, 2065-byte Sphinx payload, as bench_sphinx uses.
      build/release/sphinx-interop/target/release/sphinx-interop bench --json --payload-size 2065 \
        --reps "${REPS:-5}" > "$out/crate_sphinx.json"
      reports+=("$out/crate_sphinx.json")
    else
      echo "bench: cargo not found, so sphinx-packet's timings are not taken (tools/install-deps.sh)" >&2
    fi
    ;;
esac
for r in "${reports[@]}"; do python3 tools/bench-report.py "$r"; done
echo "JSON results: $out/"
