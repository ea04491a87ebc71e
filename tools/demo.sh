#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the main job. Until the mixnet daemons exist the
# main job is the Sphinx walk-through: one packet for three mixnodes and a gateway, unwrapped
# hop by hop, printing what each hop learns.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
bash tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target sphinx-demo
./build/release/apps/sphinx-demo/sphinx-demo "$@"
