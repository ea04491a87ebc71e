#pragma once
// The gateway's client protocol (docs/protocol/gateway.md): binary websocket messages between a client
// and its gateway, the registration handshake and the reconnect authentication. Shared by the gateway
// (src/gateway) and the client, so both build and check the same bytes.
//
// Every message is one websocket binary frame: type (1 byte) ‖ fixed-layout body. Integers are big-endian.
// A parsed message is valid by construction: lengths, limits, packet sizes and enum values are checked.

#include <crypto/ed25519.hpp>
#include <crypto/hash.hpp>
#include <crypto/secret.hpp>
#include <crypto/x25519.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

namespace nym::wire::gateway {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// --- Protocol constants ------------------------------------------------------------------------------

/// 2: frames after the handshake carry a session MAC (SessionChannel); authentication timestamps
/// must grow per client (the gateway persists the last one it accepted).
inline constexpr std::uint8_t PROTOCOL_VERSION = 2;

/// A client's address at its gateway: its 32-byte Ed25519 identity key (also the Sphinx destination).
using ClientAddress = crypto::Ed25519PublicKey;
/// The key both sides derive in the registration handshake; the gateway stores it. Secret.
using SharedKey = crypto::SecretBytes<32>;
/// HMAC-SHA256(shared key, AUTH_TOKEN_TAG): the key of the authentication MAC. Secret.
using AuthToken = crypto::SecretBytes<32>;

inline constexpr std::size_t TIMESTAMP_SIZE = 8;        ///< u64 BE, Unix seconds
inline constexpr std::size_t AUTH_NONCE_SIZE = 16;
inline constexpr std::size_t MAC_SIZE = 32;             ///< HMAC-SHA256
inline constexpr std::size_t MAX_ACK_IDS = 256;         ///< message ids in one Ack
inline constexpr std::size_t MAX_ERROR_TEXT = 256;      ///< bytes of printable ASCII
/// The largest message a gateway delivers: the plaintext of Nym's largest packet (extended32).
inline constexpr std::size_t MAX_DELIVER_SIZE = 32 * 1024;
/// Clock skew accepted on register and authenticate timestamps (Nym's AuthenticateV2 allows 120 s).
inline constexpr std::int64_t MAX_TIMESTAMP_SKEW_SECONDS = 120;

// Domain-separation tags (ASCII, no terminator) of every signature, MAC and KDF in the protocol.
inline constexpr std::string_view REGISTER_TAG = "nym-cpp/gateway/v1/register";
inline constexpr std::string_view REGISTER_RESPONSE_TAG = "nym-cpp/gateway/v1/register-response";
inline constexpr std::string_view KEY_CONFIRMATION_TAG = "nym-cpp/gateway/v1/key-confirmation";
inline constexpr std::string_view SHARED_KEY_INFO = "nym-cpp/gateway/v1/shared-key";
inline constexpr std::string_view AUTH_TOKEN_TAG = "nym-cpp/gateway/v1/auth-token";
inline constexpr std::string_view AUTHENTICATE_TAG = "nym-cpp/gateway/v1/authenticate";
inline constexpr std::string_view SESSION_TAG = "nym-cpp/gateway/v2/session";
inline constexpr std::string_view SESSION_CLIENT_KEY_INFO = "nym-cpp/gateway/v2/client-to-gateway";
inline constexpr std::string_view SESSION_GATEWAY_KEY_INFO = "nym-cpp/gateway/v2/gateway-to-client";
/// Bytes of the session MAC at the end of every frame after the handshake (truncated HMAC-SHA256).
inline constexpr std::size_t SESSION_MAC_SIZE = 16;

enum class MessageType : std::uint8_t {
    register_request = 0x01,      ///< client → gateway
    register_response = 0x02,     ///< gateway → client
    authenticate_request = 0x03,  ///< client → gateway
    authenticate_response = 0x04, ///< gateway → client
    send_packet = 0x10,           ///< client → gateway, after authentication
    deliver = 0x11,               ///< gateway → client, after authentication
    ack = 0x12,                   ///< client → gateway, after authentication
    ping = 0x20,                  ///< either way, after authentication
    pong = 0x21,                  ///< either way
    error = 0x7f,                 ///< either way
};

/// Codes carried by an Error message. Unknown codes from a peer are kept as their number.
enum class ErrorCode : std::uint16_t {
    malformed_message = 1,      ///< the message did not parse (see the text)
    unsupported_version = 2,    ///< a protocol version this gateway does not speak
    unexpected_message = 3,     ///< a message type not allowed in this state or direction
    not_authenticated = 4,      ///< a request before registration or authentication
    invalid_signature = 5,      ///< the register signature does not verify
    stale_timestamp = 6,        ///< a timestamp more than 120 s away from the gateway's clock
    invalid_key = 7,            ///< a low-order ephemeral key
    unknown_client = 8,         ///< authenticate from an identity that never registered
    invalid_mac = 9,            ///< the authenticate MAC does not verify
    replayed_nonce = 10,        ///< an authenticate nonce already seen
    invalid_packet = 11,        ///< a SendPacket the gateway cannot forward
    registration_refused = 12,  ///< a registration not newer than the one stored (replay)
    internal_error = 13,        ///< the gateway failed (database); try again later
    busy = 14,                  ///< the gateway is overloaded; try again later
    already_authenticated = 15, ///< a second register/authenticate on one connection
};

enum class AuthStatus : std::uint8_t { ok = 0, refused = 1 };

// --- Messages ----------------------------------------------------------------------------------------

/// type ‖ version ‖ client identity (32) ‖ client ephemeral X25519 (32) ‖ timestamp (8) ‖ signature (64) = 138 B.
/// The signature is the client's Ed25519 over register_transcript(gateway identity, …).
struct RegisterRequest {
    static constexpr std::size_t SIZE = 1 + 1 + 32 + 32 + TIMESTAMP_SIZE + 64;
    std::uint8_t version = PROTOCOL_VERSION;
    ClientAddress client_identity;
    crypto::X25519PublicKey client_ephemeral;
    std::uint64_t timestamp = 0;
    crypto::Ed25519Signature signature;
};

/// type ‖ gateway ephemeral X25519 (32) ‖ signature (64) ‖ key confirmation (32) = 129 B.
struct RegisterResponse {
    static constexpr std::size_t SIZE = 1 + 32 + 64 + MAC_SIZE;
    crypto::X25519PublicKey gateway_ephemeral;
    crypto::Ed25519Signature signature;        ///< gateway identity over REGISTER_RESPONSE_TAG ‖ response transcript
    std::array<std::uint8_t, MAC_SIZE> confirmation{}; ///< HMAC(shared key, KEY_CONFIRMATION_TAG ‖ response transcript)
};

/// type ‖ version ‖ client identity (32) ‖ timestamp (8) ‖ nonce (16) ‖ MAC (32) = 90 B.
struct AuthenticateRequest {
    static constexpr std::size_t SIZE = 1 + 1 + 32 + TIMESTAMP_SIZE + AUTH_NONCE_SIZE + MAC_SIZE;
    std::uint8_t version = PROTOCOL_VERSION;
    ClientAddress client_identity;
    std::uint64_t timestamp = 0;
    std::array<std::uint8_t, AUTH_NONCE_SIZE> nonce{};
    std::array<std::uint8_t, MAC_SIZE> mac{};
};

/// type ‖ status (1) = 2 B.
struct AuthenticateResponse {
    static constexpr std::size_t SIZE = 2;
    AuthStatus status = AuthStatus::ok;
};

/// type ‖ first hop (32, Nym node-address encoding) ‖ length (u32) ‖ Sphinx packet = 37 B + packet.
/// The length must be one of Nym's packet sizes (sphinx/packet_size.hpp).
struct SendPacket {
    static constexpr std::size_t HEADER_SIZE = 1 + 32 + 4;
    sphinx::NodeAddress first_hop;
    Bytes packet;
};

/// type ‖ message id (u64) ‖ length (u32) ‖ message = 13 B + message (at most MAX_DELIVER_SIZE).
struct Deliver {
    static constexpr std::size_t HEADER_SIZE = 1 + 8 + 4;
    std::uint64_t id = 0;
    Bytes message;
};

/// type ‖ count (u16, 1..MAX_ACK_IDS) ‖ count × message id (u64).
struct Ack {
    std::vector<std::uint64_t> ids;
};

/// type ‖ nonce (u64) = 9 B; the answer is a Pong with the same nonce.
struct Ping {
    static constexpr std::size_t SIZE = 9;
    std::uint64_t nonce = 0;
};
struct Pong {
    static constexpr std::size_t SIZE = 9;
    std::uint64_t nonce = 0;
};

/// type ‖ code (u16) ‖ text length (u16, ≤ MAX_ERROR_TEXT) ‖ text (printable ASCII 0x20..0x7e).
struct ErrorMessage {
    ErrorCode code = ErrorCode::malformed_message;
    std::string text;
};

using Message = std::variant<RegisterRequest, RegisterResponse, AuthenticateRequest, AuthenticateResponse,
                             SendPacket, Deliver, Ack, Ping, Pong, ErrorMessage>;

// --- Errors of parsing and of the handshake checks ---------------------------------------------------

enum class Errc {
    empty_message = 1,     ///< a frame with no type byte
    unknown_type,          ///< a type byte that is no MessageType
    truncated,             ///< shorter than the type's layout or its length field says
    trailing_bytes,        ///< longer than the type's layout or its length field says
    unsupported_version,   ///< a version byte other than PROTOCOL_VERSION
    invalid_packet_size,   ///< a SendPacket whose length is none of Nym's packet sizes
    too_large,             ///< a Deliver message over MAX_DELIVER_SIZE
    invalid_count,         ///< an Ack with 0 or more than MAX_ACK_IDS ids
    invalid_text,          ///< an Error text over MAX_ERROR_TEXT bytes or with a non-printable byte
    invalid_status,        ///< an AuthenticateResponse status other than 0 or 1
    invalid_signature,     ///< a handshake signature that does not verify
    low_order_key,         ///< an ephemeral X25519 key of small order
    invalid_mac,           ///< a key confirmation or authentication MAC that does not verify
};

const std::error_category& gateway_protocol_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), gateway_protocol_category()}; }

// --- Parse and serialize -----------------------------------------------------------------------------

[[nodiscard]] Expected<Message> parse_message(ByteSpan bytes);
[[nodiscard]] Bytes serialize(const Message& message);
[[nodiscard]] MessageType type_of(const Message& message) noexcept;
[[nodiscard]] std::string_view to_string(MessageType type) noexcept;
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;
/// An ErrorMessage whose text is cut to MAX_ERROR_TEXT and stripped of non-printable bytes.
[[nodiscard]] ErrorMessage make_error(ErrorCode code, std::string_view text);

// --- Handshake: transcripts, key derivation, MACs (docs/protocol/gateway.md "Registration") ---------

/// REGISTER_TAG ‖ gateway identity ‖ client identity ‖ client ephemeral ‖ timestamp (u64 BE): what the client signs.
[[nodiscard]] Bytes register_transcript(const crypto::Ed25519PublicKey& gateway_identity,
                                        const ClientAddress& client_identity,
                                        const crypto::X25519PublicKey& client_ephemeral, std::uint64_t timestamp);
/// register transcript ‖ gateway ephemeral: the input of the key derivation, the gateway's signature
/// (after REGISTER_RESPONSE_TAG) and the key confirmation.
[[nodiscard]] Bytes response_transcript(ByteSpan register_transcript, const crypto::X25519PublicKey& gateway_ephemeral);
/// REGISTER_RESPONSE_TAG ‖ response transcript: what the gateway signs.
[[nodiscard]] Bytes register_response_signing_input(ByteSpan response_transcript);
/// HKDF-SHA256(salt = SHA-256(response transcript), ikm = X25519 output, info = SHARED_KEY_INFO, L = 32).
[[nodiscard]] SharedKey derive_shared_key(const crypto::MontgomeryPoint& dh_output, ByteSpan response_transcript);
[[nodiscard]] AuthToken derive_auth_token(const SharedKey& key);
[[nodiscard]] std::array<std::uint8_t, MAC_SIZE> key_confirmation(const SharedKey& key, ByteSpan response_transcript);
/// HMAC-SHA256(auth token, AUTHENTICATE_TAG ‖ gateway identity ‖ client identity ‖ timestamp ‖ nonce).
[[nodiscard]] std::array<std::uint8_t, MAC_SIZE> authenticate_mac(const AuthToken& token,
                                                                 const crypto::Ed25519PublicKey& gateway_identity,
                                                                 const ClientAddress& client_identity,
                                                                 std::uint64_t timestamp,
                                                                 std::span<const std::uint8_t, AUTH_NONCE_SIZE> nonce);

/// The client's side of registration. make_register_request signs the transcript with the identity key.
[[nodiscard]] RegisterRequest make_register_request(const crypto::Ed25519SecretKey& client_identity,
                                                    const crypto::Ed25519PublicKey& gateway_identity,
                                                    const crypto::X25519PublicKey& client_ephemeral,
                                                    std::uint64_t timestamp);
/// Checks the gateway's signature and key confirmation and returns the shared key. Errc::invalid_signature,
/// Errc::low_order_key, Errc::invalid_mac.
[[nodiscard]] Expected<SharedKey> finish_registration(const crypto::Ed25519PublicKey& gateway_identity,
                                                      const RegisterRequest& request,
                                                      const crypto::X25519SecretKey& client_ephemeral_secret,
                                                      const RegisterResponse& response);
[[nodiscard]] AuthenticateRequest make_authenticate_request(const SharedKey& key,
                                                            const crypto::Ed25519PublicKey& gateway_identity,
                                                            const ClientAddress& client_identity,
                                                            std::uint64_t timestamp,
                                                            std::span<const std::uint8_t, AUTH_NONCE_SIZE> nonce);

// --- Session binding (docs/protocol/gateway.md "Session binding") ------------------------------------

/// SESSION_TAG ‖ the registration's response transcript: unique per registration (fresh ephemerals).
[[nodiscard]] Bytes registration_session_transcript(ByteSpan response_transcript);
/// SESSION_TAG ‖ the AuthenticateRequest as sent: unique per authentication (the timestamp grows, the
/// nonce is fresh).
[[nodiscard]] Bytes authentication_session_transcript(const AuthenticateRequest& request);

/// Which end of the session a SessionChannel serves.
enum class Side : std::uint8_t { client, gateway };

/// The frames of one session after its handshake. Every frame, both ways, is `message ‖ MAC` with
/// MAC = the first SESSION_MAC_SIZE bytes of HMAC-SHA256(direction key, counter (u64 BE) ‖ message);
/// the counters start at 0 in each direction and count the frames sent. The direction keys are
/// HKDF-SHA256(salt = SHA-256(session transcript), ikm = shared key, info = SESSION_*_KEY_INFO).
/// So a relay between client and gateway can neither inject a frame (an Ack that would delete a
/// client's messages), nor drop, reorder or replay one without the next frame failing its MAC.
class SessionChannel {
public:
    SessionChannel(Side side, const SharedKey& key, ByteSpan session_transcript);

    /// `message ‖ MAC` for the next frame sent.
    [[nodiscard]] Bytes seal(ByteSpan message);
    /// The message of the next frame received; Errc::truncated (shorter than a MAC) or Errc::invalid_mac.
    [[nodiscard]] Expected<Bytes> open(ByteSpan frame);

private:
    crypto::SecretBytes<32> m_send_key;
    crypto::SecretBytes<32> m_receive_key;
    std::uint64_t m_sent = 0;
    std::uint64_t m_received = 0;
};

} // namespace nym::wire::gateway

template <>
struct std::is_error_code_enum<nym::wire::gateway::Errc> : std::true_type {};
