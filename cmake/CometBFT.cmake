# CometBFT's ABCI messages for C++, generated at build time. The .proto files come from the Go
# module cache at the CometBFT version pinned in tools/versions.env (the one tools/install-deps.sh
# builds the validators from), with gogoproto's at the version CometBFT's go.mod requires; Debian's
# protoc compiles them into the static library nym_abci_proto in the build tree. Nothing of CometBFT
# is in the repository. protoc's C++ generator ignores the gogoproto options; it only needs gogo.proto
# on the include path.

file(STRINGS "${CMAKE_SOURCE_DIR}/tools/versions.env" _cometbft_line REGEX "^COMETBFT_VERSION=")
string(REGEX REPLACE "^COMETBFT_VERSION=" "" NYM_COMETBFT_VERSION "${_cometbft_line}")
if(NOT NYM_COMETBFT_VERSION)
  message(FATAL_ERROR "tools/versions.env has no COMETBFT_VERSION")
endif()

# The cometbft binary tools/install-deps.sh builds (for localnet tools and functional tests).
if(DEFINED ENV{NYM_TOOLS_DIR})
  set(_tools_dir "$ENV{NYM_TOOLS_DIR}")
else()
  set(_tools_dir "$ENV{HOME}/.cache/nym-cpp/tools")
endif()
set(NYM_COMETBFT_BINARY "${_tools_dir}/cometbft-${NYM_COMETBFT_VERSION}/cometbft" CACHE FILEPATH
    "the CometBFT binary of the pinned version (built by tools/install-deps.sh)")
if(NOT EXISTS "${NYM_COMETBFT_BINARY}")
  message(STATUS "cometbft ${NYM_COMETBFT_VERSION} not found at ${NYM_COMETBFT_BINARY}: run tools/install-deps.sh")
endif()

find_program(NYM_GO_EXECUTABLE go PATHS /usr/local/go/bin /usr/lib/go/bin)
if(NOT NYM_GO_EXECUTABLE)
  message(FATAL_ERROR "go not found: run tools/install-deps.sh (the ABCI .proto files come from the Go module cache)")
endif()

# Sets <out> to the folder of MODULE@VERSION in the Go module cache, downloading it if needed.
function(nym_go_module_dir out module version)
  execute_process(
    COMMAND "${NYM_GO_EXECUTABLE}" mod download -json "${module}@${version}"
    WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
    OUTPUT_VARIABLE _json ERROR_VARIABLE _err RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "go mod download ${module}@${version} failed (${_rc}):\n${_json}${_err}")
  endif()
  string(JSON _dir GET "${_json}" Dir)
  string(JSON _gomod GET "${_json}" GoMod)
  set(${out} "${_dir}" PARENT_SCOPE)
  set(${out}_GOMOD "${_gomod}" PARENT_SCOPE)
endfunction()

nym_go_module_dir(NYM_COMETBFT_DIR github.com/cometbft/cometbft "${NYM_COMETBFT_VERSION}")
file(STRINGS "${NYM_COMETBFT_DIR_GOMOD}" _gogo_line REGEX "github.com/cosmos/gogoproto v")
string(REGEX MATCH "github.com/cosmos/gogoproto (v[^ \t]+)" _ "${_gogo_line}")
set(NYM_GOGOPROTO_VERSION "${CMAKE_MATCH_1}")
if(NOT NYM_GOGOPROTO_VERSION)
  message(FATAL_ERROR "no github.com/cosmos/gogoproto requirement in ${NYM_COMETBFT_DIR_GOMOD}")
endif()
nym_go_module_dir(NYM_GOGOPROTO_DIR github.com/cosmos/gogoproto "${NYM_GOGOPROTO_VERSION}")
message(STATUS "ABCI protos: cometbft ${NYM_COMETBFT_VERSION} (${NYM_COMETBFT_DIR}), gogoproto ${NYM_GOGOPROTO_VERSION}")

# ABCI 2.0 in CometBFT v0.38 is package tendermint.abci (FinalizeBlock, no BeginBlock/DeliverTx).
set(_abci_protos
  tendermint/abci/types.proto
  tendermint/crypto/proof.proto
  tendermint/crypto/keys.proto
  tendermint/types/params.proto
  tendermint/types/validator.proto)
set(_gogo_protos gogoproto/gogo.proto)

set(_out "${CMAKE_BINARY_DIR}/generated/abci")
file(MAKE_DIRECTORY "${_out}")
set(_sources)
set(_inputs)
foreach(p IN LISTS _abci_protos _gogo_protos)
  string(REGEX REPLACE "\\.proto$" "" _stem "${p}")
  list(APPEND _sources "${_out}/${_stem}.pb.cc")
  list(APPEND _headers "${_out}/${_stem}.pb.h")
endforeach()
foreach(p IN LISTS _abci_protos)
  list(APPEND _inputs "${NYM_COMETBFT_DIR}/proto/${p}")
endforeach()
list(APPEND _inputs "${NYM_GOGOPROTO_DIR}/gogoproto/gogo.proto")

add_custom_command(
  OUTPUT ${_sources} ${_headers}
  COMMAND protobuf::protoc --cpp_out=${_out}
          -I "${NYM_COMETBFT_DIR}/proto" -I "${NYM_GOGOPROTO_DIR}" -I "${Protobuf_INCLUDE_DIRS}"
          ${_abci_protos} ${_gogo_protos}
  DEPENDS ${_inputs} protobuf::protoc
  COMMENT "protoc: CometBFT ${NYM_COMETBFT_VERSION} ABCI messages"
  VERBATIM)

add_library(nym_abci_proto STATIC ${_sources})
target_include_directories(nym_abci_proto SYSTEM PUBLIC "${_out}")
target_link_libraries(nym_abci_proto PUBLIC protobuf::libprotobuf)
target_compile_features(nym_abci_proto PUBLIC cxx_std_20)
