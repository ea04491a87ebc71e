#!/usr/bin/env bash
# Builds what a local Nym network runs: installs the dependencies (tools/install-deps.sh: Debian
# packages, npm, CometBFT and geth), configures the release preset and builds every executable and
# the NymToken contract into build/release/{bin,contracts}. The README's commands, the Makefile
# (`make apps`, `make localnet-build`), tools/demo.sh and the Dockerfile's build stage all run this.
# Environment: JOBS (parallel build jobs, 2).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths inside the checkout hash relative to it, so clones in other folders share the ccache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The builds carry debug info (-g): without this ccache also hashes the build folder, and a clone
# in another folder would miss every object.
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

bash tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target apps nym_contracts
