#pragma once
// Value types shared by the ledger's transactions, state and queries.

#include <crypto/secp256k1.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nym::ledger {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

/// An account: 20 bytes, Keccak-256 of a secp256k1 public key, as on Ethereum.
using Address = crypto::EthereumAddress;
using Hash32 = std::array<std::uint8_t, 32>;

/// A compressed BLS12-381 G1 point as nym::coconut encodes it: gamma (a user's ElGamal public key,
/// naming a credential request) and zeta (g1^serial, naming a spent credential).
inline constexpr std::size_t G1_BYTES = 48;
using G1Bytes = std::array<std::uint8_t, G1_BYTES>;

struct EventAttribute {
    std::string key;
    std::string value;
    friend bool operator==(const EventAttribute&, const EventAttribute&) = default;
};

/// An ABCI event: a type and string attributes (docs/protocol/ledger.md lists every one).
struct Event {
    std::string type;
    std::vector<EventAttribute> attributes;

    /// The value of the first attribute named `key`, or "" if there is none.
    [[nodiscard]] std::string attribute(std::string_view key) const;
    friend bool operator==(const Event&, const Event&) = default;
};

/// Lowercase hex without "0x" (hashes, points, opaque bytes in events and query answers).
[[nodiscard]] std::string hex(ByteSpan bytes);

} // namespace nym::ledger
