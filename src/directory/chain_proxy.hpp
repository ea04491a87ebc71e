#pragma once
// The validator network as the dashboard sees it: a few read-only methods of one CometBFT node's
// RPC, forwarded by the directory (GET /api/chain/<method>) so the page reads them from its own
// origin (CometBFT's RPC answers without CORS headers by default). No I/O here: the request is
// checked and turned into the CometBFT target; the daemon sends it.

#include <util/expected.hpp>

#include <array>
#include <string>
#include <string_view>

namespace nym::directory {

inline constexpr std::string_view CHAIN_ROUTE_PREFIX = "/api/chain/";

/// The CometBFT RPC methods (v0.38, URI form) the directory forwards, and nothing else: none of
/// them changes the node's state or reveals more than its public RPC does.
inline constexpr std::array<std::string_view, 5> CHAIN_METHODS = {"status", "net_info", "validators", "blockchain",
                                                                  "block_results"};

/// "/<method>?<params>" to send to CometBFT for GET /api/chain/<method>?<query>. Accepted
/// parameters: validators `height`, `page`, `per_page`; blockchain `minHeight`, `maxHeight`;
/// block_results `height`; each a decimal number 1..2^63-1. Errors: Errc::chain_param_unknown,
/// Errc::chain_param_invalid (a malformed query reads as an unknown parameter).
/// `method` must be one of CHAIN_METHODS.
[[nodiscard]] Expected<std::string> chain_rpc_target(std::string_view method, std::string_view query);

} // namespace nym::directory
