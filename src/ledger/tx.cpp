#include <crypto/keccak.hpp>
#include <ledger/codec.hpp>
#include <ledger/tx.hpp>
#include <util/hex.hpp>

namespace nym::ledger {
namespace {

using detail::Reader;
using detail::Writer;

constexpr std::size_t SIGNATURE_SIZE = crypto::RECOVERABLE_SIGNATURE_SIZE;
constexpr std::size_t HEADER_SIZE = 1 + 1 + crypto::ETHEREUM_ADDRESS_SIZE + 8;

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

void encode_body(Writer& w, const TxBody& body) {
    std::visit(Overloaded{
                   [&](const Transfer& t) {
                       w.raw(t.to.bytes);
                       w.u64(t.amount);
                   },
                   [&](const WatcherNotice& n) {
                       w.raw(n.eth_tx_hash);
                       w.u32(n.log_index);
                       w.raw(n.pipe_account.bytes);
                       w.raw(n.recipient.bytes);
                       w.u64(n.amount);
                   },
                   [&](const CredentialRequest& r) {
                       w.u64(r.value);
                       w.var(r.blind_sign_request);
                   },
                   [&](const CredentialDeposit& d) {
                       w.u64(d.value);
                       w.var(d.spend);
                   },
                   [&](const VerifierVote& v) {
                       w.raw(v.provider.bytes);
                       w.u64(v.value);
                       w.raw(v.zeta);
                       w.u64(v.deposit_height);
                       w.u8(v.valid ? 1 : 0);
                   },
               },
               body);
}

Expected<Address> read_address(Reader& r) {
    auto b = r.array<crypto::ETHEREUM_ADDRESS_SIZE>();
    if (!b) return Unexpected(b.error());
    Address a;
    a.bytes = *b;
    return a;
}

Expected<void> check_request_binding(const coconut::BlindSignRequest& request, std::uint64_t value) {
    if (request.public_attributes.empty() || !(request.public_attributes[0] == bls::Scalar::from_u64(value)))
        return fail(Errc::invalid_credential_request);
    return {};
}

#define NYM_TRY(var, expr)                                                                                             \
    auto var = (expr);                                                                                                 \
    if (!var) return Unexpected(var.error())

Expected<TxBody> decode_body(TxType type, Reader& r) {
    switch (type) {
    case TxType::transfer: {
        Transfer t;
        NYM_TRY(to, read_address(r));
        NYM_TRY(amount, r.u64());
        t.to = *to;
        t.amount = *amount;
        if (t.amount == 0) return fail(Errc::invalid_amount);
        return TxBody{t};
    }
    case TxType::watcher_notice: {
        WatcherNotice n;
        NYM_TRY(hash, r.array<32>());
        NYM_TRY(index, r.u32());
        NYM_TRY(pipe, read_address(r));
        NYM_TRY(recipient, read_address(r));
        NYM_TRY(amount, r.u64());
        n.eth_tx_hash = *hash;
        n.log_index = *index;
        n.pipe_account = *pipe;
        n.recipient = *recipient;
        n.amount = *amount;
        if (n.amount == 0) return fail(Errc::invalid_amount);
        return TxBody{n};
    }
    case TxType::credential_request: {
        CredentialRequest c;
        NYM_TRY(value, r.u64());
        NYM_TRY(request, r.var(MAX_TX_SIZE));
        c.value = *value;
        if (c.value == 0) return fail(Errc::invalid_amount);
        auto decoded = coconut::BlindSignRequest::decode(*request);
        if (!decoded) return fail(Errc::invalid_credential_request);
        if (auto ok = check_request_binding(*decoded, c.value); !ok) return Unexpected(ok.error());
        c.blind_sign_request.assign(request->begin(), request->end());
        c.gamma = decoded->gamma.to_compressed();
        return TxBody{std::move(c)};
    }
    case TxType::credential_deposit: {
        CredentialDeposit d;
        NYM_TRY(value, r.u64());
        NYM_TRY(spend, r.var(MAX_TX_SIZE));
        d.value = *value;
        if (d.value == 0) return fail(Errc::invalid_amount);
        auto decoded = coconut::SpendTheta::decode(*spend);
        if (!decoded) return fail(Errc::invalid_spend);
        d.spend.assign(spend->begin(), spend->end());
        d.zeta = decoded->zeta_bytes();
        return TxBody{std::move(d)};
    }
    case TxType::verifier_vote: {
        VerifierVote v;
        NYM_TRY(provider, read_address(r));
        NYM_TRY(value, r.u64());
        NYM_TRY(zeta, r.array<G1_BYTES>());
        NYM_TRY(height, r.u64());
        NYM_TRY(verdict, r.u8());
        if (*verdict > 1) return fail(Errc::malformed_tx);
        v.provider = *provider;
        v.value = *value;
        v.zeta = *zeta;
        v.deposit_height = *height;
        v.valid = *verdict == 1;
        if (v.value == 0) return fail(Errc::invalid_amount);
        return TxBody{v};
    }
    }
    return fail(Errc::unknown_tx_type);
}

} // namespace

Expected<CredentialRequest> CredentialRequest::make(std::uint64_t value, const coconut::BlindSignRequest& request) {
    if (value == 0) return fail(Errc::invalid_amount);
    if (auto ok = check_request_binding(request, value); !ok) return Unexpected(ok.error());
    CredentialRequest out;
    out.value = value;
    out.blind_sign_request = request.encode();
    out.gamma = request.gamma.to_compressed();
    return out;
}

CredentialDeposit CredentialDeposit::make(std::uint64_t value, const coconut::SpendTheta& spend) {
    CredentialDeposit out;
    out.value = value;
    out.spend = spend.encode();
    out.zeta = spend.zeta_bytes();
    return out;
}

TxType Tx::type() const noexcept {
    return static_cast<TxType>(body.index() + 1);
}

Bytes Tx::encode_unsigned() const {
    Writer w(HEADER_SIZE + 128);
    w.u8(TX_VERSION);
    w.u8(static_cast<std::uint8_t>(type()));
    w.raw(signer.bytes);
    w.u64(nonce);
    encode_body(w, body);
    return w.take();
}

Bytes SignedTx::encode() const {
    Bytes out = tx.encode_unsigned();
    out.insert(out.end(), signature.bytes.begin(), signature.bytes.end());
    return out;
}

Expected<SignedTx> SignedTx::decode(ByteSpan bytes) {
    if (bytes.size() > MAX_TX_SIZE) return fail(Errc::tx_too_large);
    if (bytes.size() < HEADER_SIZE + SIGNATURE_SIZE) {
        // Report the version and type when they are there, so an old client learns why.
        if (!bytes.empty() && bytes[0] != TX_VERSION) return fail(Errc::unsupported_version);
        return fail(Errc::malformed_tx);
    }
    Reader r(bytes.first(bytes.size() - SIGNATURE_SIZE));
    NYM_TRY(version, r.u8());
    if (*version != TX_VERSION) return fail(Errc::unsupported_version);
    NYM_TRY(type, r.u8());
    if (*type < static_cast<std::uint8_t>(TxType::transfer) || *type > static_cast<std::uint8_t>(TxType::verifier_vote))
        return fail(Errc::unknown_tx_type);
    SignedTx out;
    NYM_TRY(signer, read_address(r));
    NYM_TRY(nonce, r.u64());
    out.tx.signer = *signer;
    out.tx.nonce = *nonce;
    NYM_TRY(body, decode_body(static_cast<TxType>(*type), r));
    out.tx.body = std::move(*body);
    if (auto done = r.finish(); !done) return Unexpected(done.error());
    auto sig = crypto::RecoverableSignature::parse(bytes.last(SIGNATURE_SIZE));
    if (!sig) return fail(Errc::invalid_signature);
    out.signature = *sig;
    return out;
}

Hash32 signing_digest(std::string_view chain_id, ByteSpan unsigned_tx) {
    // One contiguous message, from the stack for the common (small) transactions.
    const std::size_t size = SIGNING_DOMAIN.size() + 1 + chain_id.size() + unsigned_tx.size();
    std::array<std::uint8_t, 512> small{};
    Bytes large;
    std::uint8_t* buf = small.data();
    if (size > small.size()) {
        large.resize(size);
        buf = large.data();
    }
    std::uint8_t* at = std::copy(SIGNING_DOMAIN.begin(), SIGNING_DOMAIN.end(), buf);
    *at++ = static_cast<std::uint8_t>(chain_id.size());
    at = std::copy(chain_id.begin(), chain_id.end(), at);
    std::copy(unsigned_tx.begin(), unsigned_tx.end(), at);
    return crypto::keccak256(ByteSpan(buf, size));
}

SignedTx sign_tx(Tx tx, std::string_view chain_id, const crypto::Secp256k1SecretKey& key) {
    tx.signer = key.address();
    const Bytes unsigned_bytes = tx.encode_unsigned();
    const Hash32 digest = signing_digest(chain_id, unsigned_bytes);
    SignedTx out{std::move(tx), key.sign_recoverable(digest)};
    return out;
}

Expected<void> verify_tx_signature(const SignedTx& tx, std::string_view chain_id) {
    const Hash32 digest = signing_digest(chain_id, tx.tx.encode_unsigned());
    auto who = crypto::recover_address(digest, tx.signature);
    if (!who || *who != tx.tx.signer) return fail(Errc::invalid_signature);
    return {};
}

std::string_view tx_type_name(TxType type) noexcept {
    switch (type) {
    case TxType::transfer:
        return "transfer";
    case TxType::watcher_notice:
        return "watcher_notice";
    case TxType::credential_request:
        return "credential_request";
    case TxType::credential_deposit:
        return "credential_deposit";
    case TxType::verifier_vote:
        return "verifier_vote";
    }
    return "unknown";
}

std::string Event::attribute(std::string_view key) const {
    for (const auto& a : attributes)
        if (a.key == key) return a.value;
    return {};
}

std::string hex(ByteSpan bytes) {
    return util::to_hex(bytes);
}

} // namespace nym::ledger
