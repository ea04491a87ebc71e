# App-side sources of the client library (config, websocket API handler, gateway link). The runtime
# glue that drives them lives in apps/nym-client.
target_sources(nym_client PRIVATE api.cpp config.cpp gateway_link.cpp)
target_link_libraries(nym_client PRIVATE tomlplusplus::tomlplusplus nlohmann_json::nlohmann_json)
