# One INTERFACE target carries every compiler flag the project's own code uses; no global flags.
add_library(nym_options INTERFACE)
target_compile_features(nym_options INTERFACE cxx_std_20)
target_compile_options(nym_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(nym_options INTERFACE -Wduplicated-cond -Wlogical-op)
endif()
if(NYM_WERROR)
  target_compile_options(nym_options INTERFACE -Werror)
endif()
if(NYM_SANITIZE)
  target_compile_options(nym_options INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(nym_options INTERFACE -fsanitize=address,undefined)
endif()
if(NYM_FUZZ)
  target_compile_options(nym_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(nym_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(nym_options INTERFACE ${CMAKE_SOURCE_DIR}/src)
