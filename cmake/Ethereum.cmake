# The Ethereum side of the pipe at build time: the NymToken contract compiled by solc from npm (the
# version pinned in package-lock.json; node_modules from `npm ci --ignore-scripts`, as for blst) into
# <build>/contracts/NymToken.json, and the geth binary that tools/install-deps.sh builds from the Go
# module proxy at the version pinned in tools/versions.env (for the localnet and the functional tests).

file(STRINGS "${CMAKE_SOURCE_DIR}/tools/versions.env" _geth_line REGEX "^GETH_VERSION=")
string(REGEX REPLACE "^GETH_VERSION=" "" NYM_GETH_VERSION "${_geth_line}")
if(NOT NYM_GETH_VERSION)
  message(FATAL_ERROR "tools/versions.env has no GETH_VERSION")
endif()
if(DEFINED ENV{NYM_TOOLS_DIR})
  set(_eth_tools_dir "$ENV{NYM_TOOLS_DIR}")
else()
  set(_eth_tools_dir "$ENV{HOME}/.cache/nym-cpp/tools")
endif()
set(NYM_GETH_BINARY "${_eth_tools_dir}/geth-${NYM_GETH_VERSION}/geth" CACHE FILEPATH
    "the go-ethereum binary of the pinned version (built by tools/install-deps.sh)")
if(NOT EXISTS "${NYM_GETH_BINARY}")
  message(STATUS "geth ${NYM_GETH_VERSION} not found at ${NYM_GETH_BINARY}: run tools/install-deps.sh")
endif()

find_program(NYM_NODE_EXECUTABLE node)
if(NOT NYM_NODE_EXECUTABLE)
  message(FATAL_ERROR "node not found: run tools/install-deps.sh (solc from npm compiles the token contract)")
endif()
set(NYM_TOKEN_ARTIFACT "${CMAKE_BINARY_DIR}/contracts/NymToken.json")
add_custom_command(
  OUTPUT "${NYM_TOKEN_ARTIFACT}"
  COMMAND "${NYM_NODE_EXECUTABLE}" "${CMAKE_SOURCE_DIR}/tools/compile-contracts.mjs" "${NYM_TOKEN_ARTIFACT}"
  DEPENDS "${CMAKE_SOURCE_DIR}/contracts/NymToken.sol" "${CMAKE_SOURCE_DIR}/tools/compile-contracts.mjs"
          "${CMAKE_SOURCE_DIR}/package-lock.json"
  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
  COMMENT "solc: contracts/NymToken.sol"
  VERBATIM)
add_custom_target(nym_contracts ALL DEPENDS "${NYM_TOKEN_ARTIFACT}")
