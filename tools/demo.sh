#!/usr/bin/env bash
# Installs the dependencies, builds the release preset, starts a local mixnet (tools/localnet.sh: a
# directory, 3 layers x 2 mix nodes, 2 gateways, clients alice and bob), sends a message from alice
# to bob through it via the clients' websocket API, prints it when it arrives at bob, and stops the
# mixnet again (also on failure or Ctrl-C).
#
#   bash tools/demo.sh [--message TEXT]     the mixnet demo
#   bash tools/demo.sh --sphinx             the Sphinx walk-through: one packet for three mix nodes
#                                           and a gateway, unwrapped hop by hop
# Environment: JOBS (parallel build jobs, 2), LOCALNET_DIR (build/release/demo-localnet),
# LOCALNET_BASE_PORT (21000).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
# Paths inside the checkout hash relative to it, so clones in other folders share the ccache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

if [ "${1:-}" = "--sphinx" ]; then
  shift
  bash tools/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$JOBS" --target sphinx-demo
  exec ./build/release/bin/sphinx-demo "$@"
fi

MESSAGE="hello bob, this is alice, through 3 mix layers and 2 gateways"
while [ $# -gt 0 ]; do
  case "$1" in
    --message) [ $# -ge 2 ] || { echo "demo: --message needs a value" >&2; exit 2; }; MESSAGE="$2"; shift 2 ;;
    *) echo "demo: unknown argument '$1' (use --message TEXT or --sphinx)" >&2; exit 2 ;;
  esac
done

bash tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target apps

export NYM_BIN="$PWD/build/release/bin"
LOCALNET_DIR="${LOCALNET_DIR:-build/release/demo-localnet}"
BASE_PORT="${LOCALNET_BASE_PORT:-21000}"
# A fresh mixnet every time: old keys would only make the gateways' stores grow.
bash tools/localnet.sh stop --dir "$LOCALNET_DIR" >/dev/null
rm -rf "$LOCALNET_DIR"
trap 'bash tools/localnet.sh stop --dir "$LOCALNET_DIR"' EXIT
bash tools/localnet.sh start --dir "$LOCALNET_DIR" --base-port "$BASE_PORT"
# shellcheck disable=SC1091
. "$LOCALNET_DIR/localnet.env"

echo
node tools/ws-demo.mjs send-and-receive --from "$LOCALNET_ALICE_API" --to "$LOCALNET_BOB_API" --message "$MESSAGE"
echo
