#!/usr/bin/env bash
# Installs the dependencies, builds everything with warnings as errors, and runs every test:
# unit and known-answer tests, fuzz-corpus replays, the architecture lint, and functional tests
# that start the real executables on loopback — first in the ci build (-O2), then again in the
# asan build (AddressSanitizer + UndefinedBehaviorSanitizer; there without the ledger-network tests,
# NYM_ASAN_ALL=1 includes them). The README's test command and .ci/run both call this.
# NYM_SKIP_ASAN=1 skips the second pass (for quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths inside the checkout hash relative to it, so clones in other folders share the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The builds carry debug info (-g): without this ccache also hashes the build folder, and a clone
# in another folder would miss every object.
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

bash tools/install-deps.sh
if [ ! -d ../shared/vectors ]; then
  echo "note: ../shared/vectors is absent; tests that read other implementations' vectors will skip"
fi

echo "== configure + build (preset ci: g++ -O2, warnings are errors)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$JOBS"
echo "== tests (preset ci)"
ctest --preset ci -j "$JOBS" --timeout 600

if [ "${NYM_SKIP_ASAN:-0}" != "1" ]; then
  echo "== configure + build (preset asan: ASan + UBSan)"
  # The sanitizer pass leaves out the ledger-network tests (see tests/functional/CMakeLists.txt);
  # NYM_ASAN_ALL=1 runs them under the sanitizers too.
  if [ "${NYM_ASAN_ALL:-0}" = "1" ]; then
    cmake --preset asan -DNYM_NETWORK_TESTS=ON >/dev/null
  else
    cmake --preset asan -DNYM_NETWORK_TESTS=OFF >/dev/null
  fi
  cmake --build --preset asan -j "$JOBS"
  echo "== tests (preset asan)"
  ctest --preset asan -j "$JOBS" --timeout 900
fi
