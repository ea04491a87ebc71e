# Core sources (owned by the client-core work): the sans-IO ClientCore and its formats.
target_sources(nym_client PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/core.cpp
  ${CMAKE_CURRENT_LIST_DIR}/packet_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/reassembly.cpp)
