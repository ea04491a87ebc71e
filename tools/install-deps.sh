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

PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git ca-certificates curl
  clang lld libclang-rt-14-dev clang-format clang-tidy
  libsodium-dev libssl-dev libboost1.81-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  librocksdb-dev libsqlite3-dev protobuf-compiler libprotobuf-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
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

# blst's C sources (and the Swagger UI assets) come from npm, pinned by package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp 2>/dev/null; then
  echo "install-deps: npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.stamp
else
  echo "install-deps: node_modules up to date"
fi
