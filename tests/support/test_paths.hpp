// Where a test binary finds the source tree, the shared known-answer vectors and the executables it
// starts. cmake/TestPaths.cmake compiles each binary's paths into one generated source and makes each
// name a macro for a look-up here (NYM_SOURCE_DIR, NYM_MIXNODE_BIN, ...), so no test source's object
// code holds the checkout's location and a fresh clone reuses the compiler cache. Included into every
// source of such a binary by the compiler (-include).
#pragma once

namespace nym::test {

/// The path this binary was configured with under `name`; aborts, naming it, if there is none.
[[nodiscard]] const char* configured_path(const char* name) noexcept;

} // namespace nym::test
