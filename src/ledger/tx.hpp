#pragma once
// Ledger transactions: the canonical binary encoding, the signing digest, and the stateless checks
// (docs/protocol/ledger.md, "Transactions").
//
//   tx       = unsigned || signature
//   unsigned = u8 version (TX_VERSION) || u8 type || signer (20) || u64 nonce || body
//   signature = r (32) || s (32) || v (1)            canonical: low s, v in {0, 1}
//   digest   = Keccak-256(SIGNING_DOMAIN || u8 len(chain_id) || chain_id || unsigned)
//
// Integers are big-endian; variable-length fields are u32-length-prefixed. The signer is carried
// explicitly and must be the address the signature recovers to, so a transaction signed for another
// chain (or tampered with) is refused as invalid_signature rather than debiting a stranger.

#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/secp256k1.hpp>
#include <ledger/errors.hpp>
#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <string_view>
#include <variant>

namespace nym::ledger {

inline constexpr std::uint8_t TX_VERSION = 1;
inline constexpr std::size_t MAX_TX_SIZE = 64 * 1024;
/// EIP-191-style prefix (0x19, then a version byte 'N' no Ethereum signer uses), so a ledger
/// signature can never be mistaken for an Ethereum transaction or personal_sign message.
inline constexpr std::string_view SIGNING_DOMAIN = "\x19Nym ledger transaction v1\n";
inline constexpr std::size_t MAX_CHAIN_ID_SIZE = 50;

enum class TxType : std::uint8_t {
    transfer = 0x01,
    watcher_notice = 0x02,
    credential_request = 0x03,
    credential_deposit = 0x04,
    verifier_vote = 0x05,
};

/// Moves `amount` from the signer to `to`. Body: to (20) || u64 amount.
struct Transfer {
    Address to;
    std::uint64_t amount = 0;
};

/// An Ethereum watcher's vote that an ERC20 Transfer log moved `amount` to the pipe account on
/// Ethereum, to be credited to `recipient` here. Body: eth_tx_hash (32) || u32 log_index ||
/// pipe_account (20) || recipient (20) || u64 amount.
struct WatcherNotice {
    Hash32 eth_tx_hash{};
    std::uint32_t log_index = 0;
    Address pipe_account;
    Address recipient;
    std::uint64_t amount = 0;
};

/// Pays `value` for a credential: carries the Coconut blind-sign request (nym::coconut encoding)
/// whose first public attribute must be Scalar(value). Body: u64 value || u32 len || request.
struct CredentialRequest {
    std::uint64_t value = 0;
    Bytes blind_sign_request;
    G1Bytes gamma{}; ///< not encoded: the request's gamma, filled by decode() and make()

    /// Encodes `request` and checks the value binding (invalid_credential_request).
    static Expected<CredentialRequest> make(std::uint64_t value, const coconut::BlindSignRequest& request);
};

/// A provider deposits a credential spent at it, for the verifiers to check. Body: u64 value ||
/// u32 len || spend (a coconut::SpendTheta; its zeta names the credential).
struct CredentialDeposit {
    std::uint64_t value = 0;
    Bytes spend;
    G1Bytes zeta{}; ///< not encoded: the spend's zeta, filled by decode() and make()

    static CredentialDeposit make(std::uint64_t value, const coconut::SpendTheta& spend);
};

/// A verifier's verdict on a deposit. The signature covers every field, zeta included. Body:
/// provider (20) || u64 value || zeta (48) || u64 deposit_height || u8 verdict (1 valid, 0 invalid).
struct VerifierVote {
    Address provider;
    std::uint64_t value = 0;
    G1Bytes zeta{};
    std::uint64_t deposit_height = 0;
    bool valid = false;
};

using TxBody = std::variant<Transfer, WatcherNotice, CredentialRequest, CredentialDeposit, VerifierVote>;

struct Tx {
    Address signer;
    std::uint64_t nonce = 0;
    TxBody body;

    [[nodiscard]] TxType type() const noexcept;
    /// version || type || signer || nonce || body.
    [[nodiscard]] Bytes encode_unsigned() const;
};

struct SignedTx {
    Tx tx;
    crypto::RecoverableSignature signature;

    [[nodiscard]] Bytes encode() const;
    /// Everything that can be checked without state or the chain id: the format, the field ranges
    /// (amounts and values > 0, a verdict byte of 0 or 1), the Coconut payloads (decoded and, for a
    /// request, the value binding), a canonical signature encoding, at most MAX_TX_SIZE bytes.
    /// Never throws; every failure is an Errc. A decoded transaction re-encodes to the same bytes.
    static Expected<SignedTx> decode(ByteSpan bytes);
};

/// Keccak-256(SIGNING_DOMAIN || u8 len(chain_id) || chain_id || unsigned_tx).
[[nodiscard]] Hash32 signing_digest(std::string_view chain_id, ByteSpan unsigned_tx);

/// Sets tx.signer to the key's address and signs it for `chain_id` (at most MAX_CHAIN_ID_SIZE bytes).
[[nodiscard]] SignedTx sign_tx(Tx tx, std::string_view chain_id, const crypto::Secp256k1SecretKey& key);

/// The signature recovers to tx.signer under `chain_id` (invalid_signature otherwise).
[[nodiscard]] Expected<void> verify_tx_signature(const SignedTx& tx, std::string_view chain_id);

/// For event attributes and logs: "transfer", "watcher_notice", ...
[[nodiscard]] std::string_view tx_type_name(TxType type) noexcept;

} // namespace nym::ledger
