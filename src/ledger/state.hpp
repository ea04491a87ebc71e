#pragma once
// The ledger's state: keys and the records stored under them (docs/protocol/ledger.md, "State").
// Every record has one canonical encoding; decoders return state_corrupt for anything else.

#include <ledger/types.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace nym::ledger {

/// Key prefixes (first byte of every state key).
enum class KeyPrefix : std::uint8_t {
    params = 0x01,             ///< 0x01                                  -> Params::to_json()
    account = 0x02,            ///< 0x02 || address                       -> Account
    watcher_notice = 0x03,     ///< 0x03 || eth_tx_hash || u32 log_index  -> NoticeRecord
    zeta = 0x04,               ///< 0x04 || zeta                          -> ZetaRecord (absent = unspent)
    credential_request = 0x05, ///< 0x05 || u64 height || gamma           -> CredentialRequestRecord
};

[[nodiscard]] Bytes params_key();
[[nodiscard]] Bytes account_key(const Address& a);
[[nodiscard]] Bytes notice_key(const Hash32& eth_tx_hash, std::uint32_t log_index);
[[nodiscard]] Bytes zeta_key(const G1Bytes& zeta);
[[nodiscard]] Bytes credential_request_key(std::uint64_t height, const G1Bytes& gamma);

/// A set of voter indices (a watcher's or verifier's position in the sorted genesis list).
class VoterSet {
public:
    [[nodiscard]] bool contains(std::size_t i) const noexcept;
    void insert(std::size_t i);
    [[nodiscard]] const Bytes& bits() const noexcept { return m_bits; }
    static VoterSet from_bits(Bytes bits) {
        VoterSet s;
        s.m_bits = std::move(bits);
        return s;
    }

private:
    Bytes m_bits; ///< bit i of byte i/8 (LSB first); no trailing zero bytes
};

/// balance || nonce (u64 each). An absent account is {0, 0}.
struct Account {
    std::uint64_t balance = 0;
    std::uint64_t nonce = 0;
    [[nodiscard]] Bytes encode() const;
    static Expected<Account> decode(ByteSpan bytes);
};

/// Votes of the watchers on one ERC20 transfer (eth tx hash, log index). Watchers may disagree on
/// (recipient, amount): each distinct claim is a candidate with its own count.
struct NoticeRecord {
    struct Candidate {
        Address recipient;
        std::uint64_t amount = 0;
        std::uint32_t votes = 0;
    };
    bool credited = false;
    VoterSet voters;
    std::vector<Candidate> candidates; ///< in order of first vote

    /// u8 credited || u8 len || voter bits || u8 count || count x (recipient || u64 amount || u16 votes).
    [[nodiscard]] Bytes encode() const;
    static Expected<NoticeRecord> decode(ByteSpan bytes);
};

enum class ZetaStatus : std::uint8_t { unspent = 0, being_verified = 1, spent = 2 };

/// A deposited credential. Stored only while being verified or once spent; an unspent zeta (never
/// deposited, or refused by the verifiers) has no record.
struct ZetaRecord {
    ZetaStatus status = ZetaStatus::being_verified;
    Address provider;
    std::uint64_t value = 0;
    std::uint64_t deposit_height = 0;
    std::uint32_t valid_votes = 0;
    std::uint32_t invalid_votes = 0;
    VoterSet voters;

    /// u8 status || provider || u64 value || u64 deposit_height || u16 valid || u16 invalid || u8 len || voter bits.
    [[nodiscard]] Bytes encode() const;
    static Expected<ZetaRecord> decode(ByteSpan bytes);
};

/// A paid credential request, for the issuers: account || u64 value || u32 len || blind-sign request.
struct CredentialRequestRecord {
    Address account;
    std::uint64_t value = 0;
    Bytes blind_sign_request;
    [[nodiscard]] Bytes encode() const;
    static Expected<CredentialRequestRecord> decode(ByteSpan bytes);
};

[[nodiscard]] std::string_view zeta_status_name(ZetaStatus s) noexcept;

} // namespace nym::ledger
