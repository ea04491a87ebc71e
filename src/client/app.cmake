# App-side sources (config, API handler, gateway link). Example: target_sources(nym_client PRIVATE config.cpp)
