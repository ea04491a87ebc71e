# Every dependency comes from Debian's packages (tools/install-deps.sh) or npm (package-lock.json).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto SSL)
# secp256k1 with the recovery module (Ethereum-style signatures) and Crypto++ (Keccak-256).
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1>=0.2.0)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++>=8.6)
# RocksDB (the ledger's state), the shared library through pkg-config (its CMake package wants the
# static library's dependencies: gflags, snappy, ...).
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb>=7.8)
# Protocol Buffers (the ABCI messages of CometBFT, generated at build time: cmake/CometBFT.cmake).
find_package(Protobuf 3.21 REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(tomlplusplus QUIET)
if(NOT tomlplusplus_FOUND)
  pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
  add_library(tomlplusplus::tomlplusplus ALIAS PkgConfig::TOMLPP)
endif()
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(SQLite3 REQUIRED)
if(NYM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NYM_BUILD_BENCH AND NOT NYM_FUZZ)
  find_package(benchmark REQUIRED)
endif()
