# The client core's tests: ClientCore over an in-process mixnet (core_harness.hpp).
nym_add_unit_test(client_core_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/core_tests.cpp
  LIBS nym_client)
# The same core against the real gateway final hop (the library itself never links the gateway).
nym_add_unit_test(client_core_gateway_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/core_gateway_tests.cpp
  LIBS nym_client nym_gateway)
