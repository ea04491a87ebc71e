#!/usr/bin/env bash
# The ledger's benchmark: builds the release preset's nym-validator, nym-ledger-tx and bench_ledger,
# then runs tools/ledger_bench.py (4 CometBFT validators + 4 apps on loopback, pre-signed transfers
# from many accounts, the app's own cost per transaction against its floor). Not a timed test.
#   bash tools/ledger-bench.sh [--rate 1200] [--duration 30] [--accounts 2000] [--batch 100] [--keep]
# JSON: build/release/bench-results/ledger_network.json. Record the machine's load with the numbers:
# it is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The builds carry debug info (-g): without this ccache also hashes the build folder, and a clone
# in another folder would miss every object.
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
bash tools/install-deps.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target nym-validator nym-ledger-tx bench_ledger
echo "uptime: $(uptime)"
exec python3 tools/ledger_bench.py "$@"
