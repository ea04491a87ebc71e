#!/usr/bin/env bash
# Installs every build and test dependency of the project from Debian's packages and npm.
# Idempotent: a second run only checks. Works as root, or through sudo for another user.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

# clang-16 and its runtime (libFuzzer, ASan, UBSan) are the fuzz preset's compiler: Debian's clang 14
# cannot assemble src/runtime's Asio/Beast coroutines under UBSan's function check ("Cannot represent
# a difference across sections", as in llvm/llvm-project#49689). 46 MB to download, 8 s to install.
PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git ca-certificates curl
  clang lld libclang-rt-14-dev clang-format clang-tidy clang-16 libclang-rt-16-dev
  libsodium-dev libssl-dev libboost1.81-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  librocksdb-dev libsqlite3-dev protobuf-compiler libprotobuf-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsecp256k1-dev libcrypto++-dev protobuf-compiler libprotobuf-dev
  python3 python3-yaml
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages present"
fi

# Node.js and npm: the machine's own (often a newer build than Debian's) when present, else Debian's.
if ! command -v npm >/dev/null; then
  echo "install-deps: installing nodejs npm"
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# cargo builds tools/sphinx-interop, the sphinx-packet interoperability checks (tests and
# tools/bench.sh): the machine's own (rustup's, in ~/.cargo/bin) when present, else Debian's. The
# pinned dependencies need cargo 1.85 or newer; with an older one CMake skips those checks and says so.
if ! command -v cargo >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  echo "install-deps: installing cargo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends cargo
else
  echo "install-deps: cargo present"
fi

# blst's C sources (and the Swagger UI assets, uPlot for the dashboard, playwright-core driving
# Debian's chromium in the dashboard's test) come from npm, pinned by package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp 2>/dev/null; then
  echo "install-deps: npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.stamp
else
  echo "install-deps: node_modules up to date"
fi

# CometBFT (the validators' consensus engine) from the Go module proxy, at the version pinned in
# tools/versions.env, into a folder outside the clone shared by every clone of this user:
#   ${NYM_TOOLS_DIR:-$HOME/.cache/nym-cpp/tools}/cometbft-<version>/cometbft
# GOMODCACHE and GOCACHE stay at Go's defaults under $HOME, so a second clone (or CI's second run)
# only links. Skipped when that binary already reports the pinned version.
# shellcheck source=versions.env
. tools/versions.env
[ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  echo "install-deps: installing golang-go"
  $SUDO apt-get install -y -qq --no-install-recommends golang-go
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt 22 ]; then
  echo "install-deps: CometBFT $COMETBFT_VERSION needs Go >= 1.22, found $(go env GOVERSION)" >&2
  echo "install-deps: (Debian 12's golang-go is 1.19; install a newer Go, e.g. into /usr/local/go)" >&2
  exit 1
fi
NYM_TOOLS_DIR="${NYM_TOOLS_DIR:-$HOME/.cache/nym-cpp/tools}"
COMETBFT_DIR="$NYM_TOOLS_DIR/cometbft-$COMETBFT_VERSION"
if [ -x "$COMETBFT_DIR/cometbft" ] && [ "$("$COMETBFT_DIR/cometbft" version 2>/dev/null)" = "${COMETBFT_VERSION#v}" ]; then
  echo "install-deps: cometbft $COMETBFT_VERSION present ($COMETBFT_DIR)"
else
  echo "install-deps: go install github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
  mkdir -p "$COMETBFT_DIR"
  GOBIN="$COMETBFT_DIR" go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
  echo "install-deps: cometbft $("$COMETBFT_DIR/cometbft" version) in $COMETBFT_DIR"
fi

# go-ethereum (geth --dev: the Ethereum development chain of the localnet and the functional tests)
# from the Go module proxy, at the version pinned in tools/versions.env, beside CometBFT:
#   ${NYM_TOOLS_DIR:-$HOME/.cache/nym-cpp/tools}/geth-<version>/geth
# Skipped when that binary already reports the pinned version. Measured on the 2-core machine under
# a shared load: 17 min from empty Go caches, under a minute when only the link is left
# (docs/performance.md).
GETH_DIR="$NYM_TOOLS_DIR/geth-$GETH_VERSION"
if [ -x "$GETH_DIR/geth" ] && "$GETH_DIR/geth" version 2>/dev/null | grep -qx "Version: ${GETH_VERSION#v}-stable"; then
  echo "install-deps: geth $GETH_VERSION present ($GETH_DIR)"
else
  echo "install-deps: go install github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION"
  mkdir -p "$GETH_DIR"
  GOBIN="$GETH_DIR" go install "github.com/ethereum/go-ethereum/cmd/geth@$GETH_VERSION"
  echo "install-deps: $("$GETH_DIR/geth" version | grep '^Version:') in $GETH_DIR"
fi
