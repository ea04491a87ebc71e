#!/usr/bin/env bash
# Installs the dependencies, builds everything with warnings as errors, and runs every test:
# unit and known-answer tests, fuzz-corpus replays, and (as they exist) functional tests that start
# the real executables on loopback. The README's test command and .ci/run both call this.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

bash tools/install-deps.sh
if [ ! -d ../shared/vectors ]; then
  echo "note: ../shared/vectors is absent; tests that read other implementations' vectors will skip"
fi

echo "== configure + build (preset ci)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$JOBS"

echo "== tests"
ctest --preset ci -j "$JOBS" --timeout 600
