# ctest step sphinx_crate_vectors_generate (script mode): builds tools/sphinx-interop with cargo
# (--release --locked; cargo's caches stay in ~/.cargo, the build output under the CMake build dir)
# and writes the sphinx-packet known-answer vectors to OUT.
#   cmake -DCARGO=... -DMANIFEST=.../Cargo.toml -DTARGET_DIR=... -DOUT=... -P SphinxInteropVectors.cmake
foreach(var CARGO MANIFEST TARGET_DIR OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "SphinxInteropVectors.cmake: ${var} not set")
  endif()
endforeach()

string(TIMESTAMP started "%s")
execute_process(
  COMMAND "${CARGO}" build --release --locked --quiet --manifest-path "${MANIFEST}" --target-dir "${TARGET_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cargo build of tools/sphinx-interop failed (${rc})")
endif()
string(TIMESTAMP built "%s")
math(EXPR seconds "${built} - ${started}")
message(STATUS "tools/sphinx-interop built in ${seconds} s")

execute_process(
  COMMAND "${TARGET_DIR}/release/sphinx-interop" vectors --out "${OUT}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sphinx-interop vectors failed (${rc})")
endif()
