#pragma once
// The byte formats inside a client's Sphinx packets (docs/protocol/client.md): the regular packet's
// plaintext (SURB-ack prefix ‖ end-to-end sealed block), the sealed block's two key modes (ephemeral
// X25519 for forward messages, a reply key for answers through reply SURBs), the 21-byte ack payload
// and the fragment header. Pure functions over caller-provided buffers; nothing here keeps state.

#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/secret.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/packet_size.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace nym::client::format {

// --- Sizes (bytes) -----------------------------------------------------------------------------------

inline constexpr std::size_t SPHINX_PLAINTEXT_SIZE = sphinx::plaintext_size(sphinx::PacketSize::regular); ///< 2048
inline constexpr std::size_t ACK_FIRST_HOP_SIZE = 19;  ///< Nym node address without its zero padding
inline constexpr std::size_t ACK_PACKET_SIZE = sphinx::packet_size(sphinx::PacketSize::ack); ///< 386
inline constexpr std::size_t ACK_OVERHEAD = ACK_FIRST_HOP_SIZE + ACK_PACKET_SIZE;              ///< 405
/// What the recipient's gateway stores and delivers for a regular packet: 2048 − 405 = 1643.
inline constexpr std::size_t SEALED_BLOCK_SIZE = SPHINX_PLAINTEXT_SIZE - ACK_OVERHEAD;
inline constexpr std::size_t SEAL_KEY_FIELD_SIZE = 32; ///< ephemeral X25519 key, or a reply key id
inline constexpr std::size_t SEAL_TAG_SIZE = 16;       ///< truncated HMAC-SHA256
inline constexpr std::size_t SEAL_OVERHEAD = SEAL_KEY_FIELD_SIZE + SEAL_TAG_SIZE;
/// The encrypted part of a sealed block: 1595.
inline constexpr std::size_t FRAGMENT_PLAINTEXT_SIZE = SEALED_BLOCK_SIZE - SEAL_OVERHEAD;
/// kind (1) ‖ message id (8) ‖ index (4) ‖ total (4) ‖ length (2).
inline constexpr std::size_t FRAGMENT_HEADER_SIZE = 1 + 8 + 4 + 4 + 2;
/// Message bytes per fragment: 1576.
inline constexpr std::size_t FRAGMENT_PAYLOAD_SIZE = FRAGMENT_PLAINTEXT_SIZE - FRAGMENT_HEADER_SIZE;

/// The ack payload (PacketSize::ack plaintext): nonce (8) ‖ encrypted ack id (5) ‖ tag (8).
inline constexpr std::size_t ACK_PAYLOAD_SIZE = sphinx::plaintext_size(sphinx::PacketSize::ack); ///< 21
inline constexpr std::size_t ACK_NONCE_SIZE = 8;
inline constexpr std::size_t ACK_ID_SIZE = 5;
inline constexpr std::size_t ACK_TAG_SIZE = 8;
inline constexpr std::uint64_t MAX_ACK_ID = (std::uint64_t{1} << 40) - 1;
/// The ack id of packets nobody waits for (loop cover, replies): acknowledged, then ignored.
inline constexpr std::uint64_t UNTRACKED_ACK_ID = 0;

static_assert(ACK_NONCE_SIZE + ACK_ID_SIZE + ACK_TAG_SIZE == ACK_PAYLOAD_SIZE);
static_assert(SEALED_BLOCK_SIZE == 1643 && FRAGMENT_PLAINTEXT_SIZE == 1595 && FRAGMENT_PAYLOAD_SIZE == 1576);

// --- Fragment kinds and message flags ----------------------------------------------------------------

inline constexpr std::uint8_t FRAGMENT_KIND_COVER = 0;   ///< a loop-cover packet: dropped on arrival
inline constexpr std::uint8_t FRAGMENT_KIND_MESSAGE = 1; ///< one fragment of a message

inline constexpr std::uint8_t MESSAGE_FLAG_REPLY_SURBS = 0x01; ///< sender tag and reply SURBs follow
inline constexpr std::uint8_t MESSAGE_FLAG_REPLY = 0x02;       ///< an answer sent through reply SURBs
inline constexpr std::uint8_t MESSAGE_FLAGS_KNOWN = MESSAGE_FLAG_REPLY_SURBS | MESSAGE_FLAG_REPLY;

inline constexpr std::size_t SENDER_TAG_SIZE = 16;
inline constexpr std::size_t REPLY_KEY_ID_SIZE = SEAL_KEY_FIELD_SIZE;
inline constexpr std::size_t REPLY_KEY_SIZE = 32;
/// Most reply SURBs one message may carry (Nym's own ceiling for a request).
inline constexpr std::size_t MAX_REPLY_SURBS = 500;
/// header (348) ‖ first hop (32) ‖ 5 Lioness keys (192 each): the largest SURB we accept.
inline constexpr std::size_t MAX_SURB_SIZE = 348 + 32 + 5 * 192;
/// key id ‖ reply key ‖ SURB length (u16) before each SURB.
inline constexpr std::size_t REPLY_SURB_ENTRY_OVERHEAD = REPLY_KEY_ID_SIZE + REPLY_KEY_SIZE + 2;

// --- Client key material ------------------------------------------------------------------------------

/// Secrets derived once from the identity: the X25519 form for end-to-end decryption and, by
/// HKDF-SHA256 of the identity seed, the ack keys and the reply master key.
struct DerivedKeys {
    crypto::X25519SecretKey e2e_secret;
    crypto::X25519PublicKey e2e_public;
    crypto::SecretBytes<32> ack_cipher_key;
    crypto::SecretBytes<32> ack_mac_key;
    crypto::SecretBytes<32> reply_master_key;

    static DerivedKeys derive(const crypto::Ed25519SecretKey& identity);
};

// --- Sealed blocks (end-to-end encryption) -----------------------------------------------------------

/// Forward mode: key field = ephemeral X25519 public key E; k = HKDF(dh(e, R), info = label ‖ E ‖ R).
/// `plaintext` has FRAGMENT_PLAINTEXT_SIZE bytes, `out` SEALED_BLOCK_SIZE. Fails only if `recipient`
/// is of small order (crypto::Errc::low_order_point).
[[nodiscard]] Expected<void> seal_forward(const crypto::X25519PublicKey& recipient, std::span<const std::uint8_t> plaintext,
                                          std::span<std::uint8_t> out, crypto::Rng& rng);

/// The symmetric key a reply SURB's holder seals its answer with: HMAC(reply master, label ‖ key id).
[[nodiscard]] crypto::SecretBytes<REPLY_KEY_SIZE> reply_key_for(const DerivedKeys& keys,
                                                                std::span<const std::uint8_t, REPLY_KEY_ID_SIZE> key_id);

/// Reply mode: key field = the key id that came with the SURB; k = HKDF(reply key, info = label ‖ id).
void seal_reply(std::span<const std::uint8_t, REPLY_KEY_ID_SIZE> key_id,
                std::span<const std::uint8_t, REPLY_KEY_SIZE> reply_key, std::span<const std::uint8_t> plaintext,
                std::span<std::uint8_t> out);

enum class SealMode : std::uint8_t { forward, reply };

/// Opens a sealed block addressed to this client (forward mode first, then reply mode); writes the
/// plaintext (block size − 48 bytes) into `out`. std::nullopt when neither tag verifies.
[[nodiscard]] std::optional<SealMode> open_sealed(const DerivedKeys& keys, std::span<const std::uint8_t> block,
                                                  std::span<std::uint8_t> out);

// --- Ack payloads ------------------------------------------------------------------------------------

[[nodiscard]] std::array<std::uint8_t, ACK_PAYLOAD_SIZE> seal_ack(const DerivedKeys& keys, std::uint64_t ack_id,
                                                                  crypto::Rng& rng);
/// The ack id, or std::nullopt when the tag does not verify (not ours, or tampered with).
[[nodiscard]] std::optional<std::uint64_t> open_ack(const DerivedKeys& keys, std::span<const std::uint8_t> payload);

// --- Fragments ----------------------------------------------------------------------------------------

struct FragmentHeader {
    std::uint8_t kind = FRAGMENT_KIND_MESSAGE;
    std::uint64_t message_id = 0;
    std::uint32_t index = 0;
    std::uint32_t total = 0;
    std::uint16_t length = 0;
};

/// header ‖ data ‖ zero padding into `out` (FRAGMENT_PLAINTEXT_SIZE bytes); data ≤ FRAGMENT_PAYLOAD_SIZE.
void write_fragment(const FragmentHeader& header, std::span<const std::uint8_t> data, std::span<std::uint8_t> out);

struct ParsedFragment {
    FragmentHeader header;
    std::span<const std::uint8_t> data; ///< points into the parsed buffer
};
/// Checks the kind, index < total, and that the length fits. std::nullopt otherwise.
[[nodiscard]] std::optional<ParsedFragment> parse_fragment(std::span<const std::uint8_t> plaintext);

/// Fragments a message of `size` bytes needs (at least one).
[[nodiscard]] constexpr std::size_t fragment_count(std::size_t size) noexcept {
    return size == 0 ? 1 : (size + FRAGMENT_PAYLOAD_SIZE - 1) / FRAGMENT_PAYLOAD_SIZE;
}

// --- Big-endian helpers ------------------------------------------------------------------------------

inline void put_be(std::span<std::uint8_t> out, std::uint64_t value, std::size_t width) noexcept {
    for (std::size_t i = 0; i < width; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * (width - 1 - i)));
}
inline std::uint64_t get_be(std::span<const std::uint8_t> in, std::size_t width) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v = (v << 8) | in[i];
    return v;
}

} // namespace nym::client::format
