#include <ledger/codec.hpp>
#include <ledger/params.hpp>
#include <ledger/state.hpp>

namespace nym::ledger {
namespace {

using detail::Reader;
using detail::Writer;

#define NYM_TRY(var, expr)                                                                                             \
    auto var = (expr);                                                                                                 \
    if (!var) return Unexpected(var.error())

Expected<Address> read_address(Reader& r) {
    NYM_TRY(b, r.array<crypto::ETHEREUM_ADDRESS_SIZE>());
    Address a;
    a.bytes = *b;
    return a;
}

Expected<VoterSet> read_voters(Reader& r) {
    NYM_TRY(len, r.u8());
    if (*len > MAX_VOTERS / 8) return fail(Errc::state_corrupt);
    NYM_TRY(bits, r.take(*len));
    if (!bits->empty() && bits->back() == 0) return fail(Errc::state_corrupt); // not canonical
    return VoterSet::from_bits(Bytes(bits->begin(), bits->end()));
}

void write_voters(Writer& w, const VoterSet& v) {
    w.u8(static_cast<std::uint8_t>(v.bits().size()));
    w.raw(v.bits());
}

Bytes key(KeyPrefix prefix, std::size_t reserve) {
    Bytes k;
    k.reserve(1 + reserve);
    k.push_back(static_cast<std::uint8_t>(prefix));
    return k;
}

} // namespace

Bytes params_key() {
    return key(KeyPrefix::params, 0);
}

Bytes account_key(const Address& a) {
    Bytes k = key(KeyPrefix::account, a.bytes.size());
    k.insert(k.end(), a.bytes.begin(), a.bytes.end());
    return k;
}

Bytes notice_key(const Hash32& eth_tx_hash, std::uint32_t log_index) {
    Writer w(1 + 32 + 4);
    w.u8(static_cast<std::uint8_t>(KeyPrefix::watcher_notice));
    w.raw(eth_tx_hash);
    w.u32(log_index);
    return w.take();
}

Bytes zeta_key(const G1Bytes& zeta) {
    Bytes k = key(KeyPrefix::zeta, zeta.size());
    k.insert(k.end(), zeta.begin(), zeta.end());
    return k;
}

Bytes credential_request_key(std::uint64_t height, const G1Bytes& gamma) {
    Writer w(1 + 8 + G1_BYTES);
    w.u8(static_cast<std::uint8_t>(KeyPrefix::credential_request));
    w.u64(height);
    w.raw(gamma);
    return w.take();
}

bool VoterSet::contains(std::size_t i) const noexcept {
    return i / 8 < m_bits.size() && (m_bits[i / 8] >> (i % 8)) & 1;
}

void VoterSet::insert(std::size_t i) {
    if (m_bits.size() <= i / 8) m_bits.resize(i / 8 + 1, 0);
    m_bits[i / 8] = static_cast<std::uint8_t>(m_bits[i / 8] | (1u << (i % 8)));
}

Bytes Account::encode() const {
    Writer w(16);
    w.u64(balance);
    w.u64(nonce);
    return w.take();
}

Expected<Account> Account::decode(ByteSpan bytes) {
    Reader r(bytes, Errc::state_corrupt);
    NYM_TRY(balance, r.u64());
    NYM_TRY(nonce, r.u64());
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return Account{*balance, *nonce};
}

Bytes NoticeRecord::encode() const {
    Writer w(64);
    w.u8(credited ? 1 : 0);
    write_voters(w, voters);
    w.u8(static_cast<std::uint8_t>(candidates.size()));
    for (const auto& c : candidates) {
        w.raw(c.recipient.bytes);
        w.u64(c.amount);
        w.u16(static_cast<std::uint16_t>(c.votes));
    }
    return w.take();
}

Expected<NoticeRecord> NoticeRecord::decode(ByteSpan bytes) {
    Reader r(bytes, Errc::state_corrupt);
    NoticeRecord out;
    NYM_TRY(credited, r.u8());
    if (*credited > 1) return fail(Errc::state_corrupt);
    out.credited = *credited == 1;
    NYM_TRY(voters, read_voters(r));
    out.voters = std::move(*voters);
    NYM_TRY(count, r.u8());
    for (std::uint8_t i = 0; i < *count; ++i) {
        Candidate c;
        NYM_TRY(recipient, read_address(r));
        NYM_TRY(amount, r.u64());
        NYM_TRY(votes, r.u16());
        c.recipient = *recipient;
        c.amount = *amount;
        c.votes = *votes;
        out.candidates.push_back(c);
    }
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return out;
}

Bytes ZetaRecord::encode() const {
    Writer w(64);
    w.u8(static_cast<std::uint8_t>(status));
    w.raw(provider.bytes);
    w.u64(value);
    w.u64(deposit_height);
    w.u16(static_cast<std::uint16_t>(valid_votes));
    w.u16(static_cast<std::uint16_t>(invalid_votes));
    write_voters(w, voters);
    return w.take();
}

Expected<ZetaRecord> ZetaRecord::decode(ByteSpan bytes) {
    Reader r(bytes, Errc::state_corrupt);
    ZetaRecord out;
    NYM_TRY(status, r.u8());
    if (*status != static_cast<std::uint8_t>(ZetaStatus::being_verified) &&
        *status != static_cast<std::uint8_t>(ZetaStatus::spent))
        return fail(Errc::state_corrupt);
    out.status = static_cast<ZetaStatus>(*status);
    NYM_TRY(provider, read_address(r));
    NYM_TRY(value, r.u64());
    NYM_TRY(height, r.u64());
    NYM_TRY(valid, r.u16());
    NYM_TRY(invalid, r.u16());
    NYM_TRY(voters, read_voters(r));
    out.provider = *provider;
    out.value = *value;
    out.deposit_height = *height;
    out.valid_votes = *valid;
    out.invalid_votes = *invalid;
    out.voters = std::move(*voters);
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return out;
}

Bytes CredentialRequestRecord::encode() const {
    Writer w(32 + blind_sign_request.size());
    w.raw(account.bytes);
    w.u64(value);
    w.var(blind_sign_request);
    return w.take();
}

Expected<CredentialRequestRecord> CredentialRequestRecord::decode(ByteSpan bytes) {
    Reader r(bytes, Errc::state_corrupt);
    CredentialRequestRecord out;
    NYM_TRY(account, read_address(r));
    NYM_TRY(value, r.u64());
    NYM_TRY(request, r.var(bytes.size()));
    out.account = *account;
    out.value = *value;
    out.blind_sign_request.assign(request->begin(), request->end());
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    return out;
}

std::string_view zeta_status_name(ZetaStatus s) noexcept {
    switch (s) {
    case ZetaStatus::unspent:
        return "unspent";
    case ZetaStatus::being_verified:
        return "being_verified";
    case ZetaStatus::spent:
        return "spent";
    }
    return "unknown";
}

} // namespace nym::ledger
