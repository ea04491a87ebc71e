#pragma once
// Small conversions every node needs between wire addresses, the runtime's peers and the clock.

#include <runtime/tcp.hpp>
#include <sphinx/node_address.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace nym::node {

/// A node address as the runtime connects to it ("::1" without brackets).
[[nodiscard]] runtime::PeerAddress to_peer(const sphinx::IpEndpoint& endpoint);
/// "host:port", IPv6 literals bracketed ("[::1]:1789").
[[nodiscard]] std::string host_port(std::string_view host, std::uint16_t port);
/// Milliseconds / seconds since the Unix epoch (wall clock; for signed reports and timestamps).
[[nodiscard]] std::int64_t unix_ms();
[[nodiscard]] std::int64_t unix_seconds();

} // namespace nym::node
