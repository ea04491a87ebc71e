# Core sources (owned by the client-core work). Example: target_sources(nym_client PRIVATE core.cpp)
