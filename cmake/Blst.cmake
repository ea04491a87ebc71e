# blst 0.3.10 (BLS12-381) is compiled from the C sources shipped in the npm package
# @chainsafe/blst@0.2.11 (installed by `npm ci --ignore-scripts`). Nothing of blst is in the repository.
set(BLST_DIR "${CMAKE_SOURCE_DIR}/node_modules/@chainsafe/blst/blst" CACHE PATH "blst source root (from npm)")
if(NOT EXISTS "${BLST_DIR}/src/server.c")
  message(FATAL_ERROR "blst sources not found at ${BLST_DIR}: run tools/install-deps.sh (npm ci --ignore-scripts) first")
endif()

# blst 0.3.10 has no run-time CPU dispatch: choose the ADX/MULX build only where this CPU has it.
set(NYM_BLST_MODE "auto" CACHE STRING "blst assembly flavour: auto, adx or portable")
set_property(CACHE NYM_BLST_MODE PROPERTY STRINGS auto adx portable)
set(_blst_mode "${NYM_BLST_MODE}")
if(_blst_mode STREQUAL "auto")
  set(_blst_mode "portable")
  if(EXISTS /proc/cpuinfo)
    file(STRINGS /proc/cpuinfo _cpu_flags REGEX "^flags" LIMIT_COUNT 1)
    if(_cpu_flags MATCHES " adx( |$)" AND _cpu_flags MATCHES " bmi2( |$)")
      set(_blst_mode "adx")
    endif()
  endif()
endif()
message(STATUS "blst: ${BLST_DIR} (${_blst_mode} build)")

add_library(blst STATIC ${BLST_DIR}/src/server.c ${BLST_DIR}/build/assembly.S)
target_include_directories(blst SYSTEM PUBLIC ${BLST_DIR}/bindings)
target_compile_options(blst PRIVATE -O2 -fno-builtin -fPIC $<$<COMPILE_LANGUAGE:C>:-mno-avx>)
if(_blst_mode STREQUAL "adx")
  target_compile_definitions(blst PRIVATE __ADX__)
else()
  target_compile_definitions(blst PRIVATE __BLST_PORTABLE__)
endif()
if(NYM_SANITIZE OR NYM_FUZZ)
  # blst's assembly is not instrumented; its C is, through the flags below.
  target_compile_options(blst PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
