# Tests of the client's app-side parts: config, websocket API handler, gateway link (the link is run
# against the gateway's own session state machine, hence nym_gateway), and nym-client's pure network
# helpers (compiled from apps/nym-client).
nym_add_unit_test(client_app_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/config_tests.cpp
    ${CMAKE_CURRENT_LIST_DIR}/api_tests.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gateway_link_tests.cpp
    ${CMAKE_CURRENT_LIST_DIR}/network_tests.cpp
    ${PROJECT_SOURCE_DIR}/apps/nym-client/network.cpp
  LIBS nym_client nym_gateway nym_runtime nlohmann_json::nlohmann_json)
target_include_directories(client_app_tests PRIVATE ${PROJECT_SOURCE_DIR}/apps/nym-client)
