#include <crypto/keccak.hpp>

#include <algorithm>
#include <ethereum/errors.hpp>
#include <ethereum/transaction.hpp>

namespace nym::ethereum {
namespace {

constexpr std::uint8_t EIP1559_TYPE = 0x02;

Bytes rlp_to(const std::optional<Address>& to) {
    if (!to) return rlp_string({});
    return rlp_string(to->bytes);
}

std::vector<Bytes> legacy_fields(const LegacyTransaction& tx) {
    return {rlp_uint(tx.nonce), rlp_uint(tx.gas_price), rlp_uint(tx.gas_limit),
            rlp_to(tx.to),      rlp_uint(tx.value),     rlp_string(tx.data)};
}

std::vector<Bytes> eip1559_fields(const Eip1559Transaction& tx) {
    return {rlp_uint(tx.chain_id),        rlp_uint(tx.nonce),     rlp_uint(tx.max_priority_fee_per_gas),
            rlp_uint(tx.max_fee_per_gas), rlp_uint(tx.gas_limit), rlp_to(tx.to),
            rlp_uint(tx.value),           rlp_string(tx.data),    rlp_list({})};
}

Bytes typed(std::uint8_t type, const Bytes& rlp) {
    Bytes out;
    out.reserve(rlp.size() + 1);
    out.push_back(type);
    out.insert(out.end(), rlp.begin(), rlp.end());
    return out;
}

/// A 32-byte word from an RLP integer of r or s.
std::array<std::uint8_t, 32> word_of(const U256& v) {
    return v.to_be_bytes();
}

Unexpected<std::error_code> bad() {
    return Unexpected(make_error_code(Errc::invalid_rlp));
}

Expected<std::uint64_t> small_uint(const RlpItem& item) {
    auto v = rlp_to_uint(item);
    if (!v) return Unexpected(v.error());
    if (!v->fits_u64()) return bad();
    return v->low_u64();
}

Expected<std::optional<Address>> to_field(const RlpItem& item) {
    if (item.is_list()) return bad();
    if (item.bytes().empty()) return std::optional<Address>{};
    auto a = Address::from_bytes(item.bytes());
    if (!a) return bad();
    return std::optional<Address>{*a};
}

} // namespace

Bytes signing_payload(const Transaction& tx) {
    if (const auto* legacy = std::get_if<LegacyTransaction>(&tx)) {
        auto fields = legacy_fields(*legacy);
        fields.push_back(rlp_uint(legacy->chain_id));
        fields.push_back(rlp_uint(0));
        fields.push_back(rlp_uint(0));
        return rlp_list(fields);
    }
    return typed(EIP1559_TYPE, rlp_list(eip1559_fields(std::get<Eip1559Transaction>(tx))));
}

Hash signing_hash(const Transaction& tx) {
    return crypto::keccak256(signing_payload(tx));
}

SignedTransaction sign_transaction(const Transaction& tx, const crypto::Secp256k1SecretKey& key) {
    const Hash digest = signing_hash(tx);
    const auto sig = key.sign_recoverable(digest);
    const auto r = U256::from_be_bytes(sig.r());
    const auto s = U256::from_be_bytes(sig.s());
    SignedTransaction out;
    if (const auto* legacy = std::get_if<LegacyTransaction>(&tx)) {
        auto fields = legacy_fields(*legacy);
        // v = chainId * 2 + 35 + recovery id, computed in 256 bits (a chain id near 2^64 overflows u64).
        const U256 v = *(*U256(legacy->chain_id).checked_mul(2)).checked_add(U256(35u + sig.v()));
        fields.push_back(rlp_uint(v));
        fields.push_back(rlp_uint(r));
        fields.push_back(rlp_uint(s));
        out.raw = rlp_list(fields);
    } else {
        auto fields = eip1559_fields(std::get<Eip1559Transaction>(tx));
        fields.push_back(rlp_uint(sig.v()));
        fields.push_back(rlp_uint(r));
        fields.push_back(rlp_uint(s));
        out.raw = typed(EIP1559_TYPE, rlp_list(fields));
    }
    out.hash = crypto::keccak256(out.raw);
    return out;
}

Expected<DecodedTransaction> decode_transaction(ByteSpan raw) {
    if (raw.empty()) return bad();
    const bool is_1559 = raw[0] == EIP1559_TYPE;
    if (!is_1559 && raw[0] < 0xc0) return bad(); // another typed transaction
    auto item = rlp_decode(is_1559 ? raw.subspan(1) : raw);
    if (!item) return Unexpected(item.error());
    if (!item->is_list()) return bad();
    const auto& f = item->items();
    Transaction tx;
    U256 r;
    U256 s;
    std::uint8_t recovery = 0;
    if (is_1559) {
        if (f.size() != 12) return bad();
        Eip1559Transaction t;
        auto chain = small_uint(f[0]);
        auto nonce = small_uint(f[1]);
        auto tip = rlp_to_uint(f[2]);
        auto max = rlp_to_uint(f[3]);
        auto gas = small_uint(f[4]);
        auto to = to_field(f[5]);
        auto value = rlp_to_uint(f[6]);
        if (!chain || !nonce || !tip || !max || !gas || !to || !value || f[7].is_list()) return bad();
        if (!f[8].is_list() || !f[8].items().empty()) return bad();
        auto y = small_uint(f[9]);
        auto rr = rlp_to_uint(f[10]);
        auto ss = rlp_to_uint(f[11]);
        if (!y || *y > 1 || !rr || !ss) return bad();
        t.chain_id = *chain;
        t.nonce = *nonce;
        t.max_priority_fee_per_gas = *tip;
        t.max_fee_per_gas = *max;
        t.gas_limit = *gas;
        t.to = *to;
        t.value = *value;
        t.data = f[7].bytes();
        tx = std::move(t);
        recovery = static_cast<std::uint8_t>(*y);
        r = *rr;
        s = *ss;
    } else {
        if (f.size() != 9) return bad();
        LegacyTransaction t;
        auto nonce = small_uint(f[0]);
        auto price = rlp_to_uint(f[1]);
        auto gas = small_uint(f[2]);
        auto to = to_field(f[3]);
        auto value = rlp_to_uint(f[4]);
        auto v = rlp_to_uint(f[6]);
        auto rr = rlp_to_uint(f[7]);
        auto ss = rlp_to_uint(f[8]);
        if (!nonce || !price || !gas || !to || !value || f[5].is_list() || !v || !rr || !ss) return bad();
        auto v_minus = v->checked_sub(U256(35));
        if (!v_minus) return bad(); // pre-EIP-155 (27/28) is not produced or accepted here
        const auto [half, parity] = v_minus->divmod(2);
        if (!half.fits_u64()) return bad();
        t.chain_id = half.low_u64();
        t.nonce = *nonce;
        t.gas_price = *price;
        t.gas_limit = *gas;
        t.to = *to;
        t.value = *value;
        t.data = f[5].bytes();
        tx = std::move(t);
        recovery = static_cast<std::uint8_t>(parity);
        r = *rr;
        s = *ss;
    }
    std::array<std::uint8_t, 65> sig_bytes{};
    const auto rw = word_of(r);
    const auto sw = word_of(s);
    std::copy(rw.begin(), rw.end(), sig_bytes.begin());
    std::copy(sw.begin(), sw.end(), sig_bytes.begin() + 32);
    sig_bytes[64] = recovery;
    auto sig = crypto::RecoverableSignature::parse(sig_bytes);
    if (!sig) return Unexpected(sig.error());
    const Hash digest = signing_hash(tx);
    auto sender = crypto::recover_address(digest, *sig);
    if (!sender) return Unexpected(sender.error());
    DecodedTransaction out{std::move(tx), *sender, crypto::keccak256(raw)};
    return out;
}

Address contract_address(const Address& sender, std::uint64_t nonce) {
    const Bytes fields[] = {rlp_string(sender.bytes), rlp_uint(nonce)};
    const auto digest = crypto::keccak256(rlp_list(fields));
    Address out;
    std::copy(digest.begin() + 12, digest.end(), out.bytes.begin());
    return out;
}

} // namespace nym::ethereum
