#include <crypto/secret.hpp>
#include <ledger/errors.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chain/errors.hpp>
#include <chain/rpc.hpp>
#include <credentials/credential.hpp>

namespace nym::credentials {

std::string_view state_name(CredentialState state) noexcept {
    switch (state) {
    case CredentialState::requested:
        return "requested";
    case CredentialState::issued:
        return "issued";
    case CredentialState::spent:
        return "spent";
    case CredentialState::refused:
        return "refused";
    }
    return "requested";
}

std::optional<CredentialState> state_from_name(std::string_view name) noexcept {
    for (auto s :
         {CredentialState::requested, CredentialState::issued, CredentialState::spent, CredentialState::refused})
        if (state_name(s) == name) return s;
    return std::nullopt;
}

std::string Credential::id() const {
    const auto g = gamma();
    return util::to_hex(std::span(g).first(8));
}

std::vector<coconut::Attribute> Credential::attributes() const {
    std::vector<coconut::Attribute> all{serial, holder_secret};
    auto pub = chain::public_attributes(value, chain_id);
    all.insert(all.end(), pub.begin(), pub.end());
    return all;
}

Expected<Credential> prepare_credential(std::uint64_t value, std::string_view chain_id, crypto::Rng& rng) {
    if (value == 0) return fail(ledger::Errc::invalid_amount);
    Credential c;
    c.value = value;
    c.chain_id = std::string(chain_id);
    c.elgamal = coconut::ElGamalKeyPair::generate(rng);
    c.serial = coconut::generate_serial(rng);
    c.holder_secret = coconut::Scalar::random(rng);
    const std::vector<coconut::Attribute> secrets{c.serial, c.holder_secret};
    auto request = coconut::prepare_blind_sign(chain::credential_parameters(), c.elgamal, secrets,
                                               chain::public_attributes(value, chain_id), rng);
    if (!request) return Unexpected(request.error());
    c.request = std::move(*request);
    return c;
}

Expected<ledger::CredentialRequest> request_transaction(const Credential& credential) {
    return ledger::CredentialRequest::make(credential.value, credential.request);
}

Expected<IssuerSet> IssuerSet::from_params(const ledger::Params& params) {
    if (params.issuer_keys.empty() || params.issuer_threshold == 0) return fail(coconut::Errc::not_enough_shares);
    IssuerSet set;
    set.threshold = params.issuer_threshold;
    for (const auto& k : params.issuer_keys) set.keys.emplace(k.index, k);
    auto aggregate = chain::aggregate_issuer_keys(params.issuer_keys, params.issuer_threshold);
    if (!aggregate) return Unexpected(aggregate.error());
    set.aggregate = std::move(*aggregate);
    return set;
}

ShareCollector::ShareCollector(const Credential& credential, const IssuerSet& issuers)
    : m_credential(credential), m_issuers(issuers), m_attributes(credential.attributes()),
      m_h(credential.request.commitment_hash()) {}

Expected<void, std::string> ShareCollector::add(std::uint64_t index, std::uint64_t height, const G1Bytes& gamma,
                                                std::span<const std::uint8_t> blinded_signature) {
    if (height != m_credential.height || gamma != m_credential.gamma())
        return Unexpected(std::string("the partial credential is for another request"));
    auto key = m_issuers.keys.find(index);
    if (key == m_issuers.keys.end())
        return Unexpected("issuer index " + std::to_string(index) + " is not one of the chain's issuers");
    for (const auto& s : m_shares)
        if (s.index == index) return Unexpected("a second share for issuer index " + std::to_string(index));
    auto blinded = coconut::BlindedSignature::decode(blinded_signature);
    if (!blinded) return Unexpected("the blinded signature does not decode: " + blinded.error().message());
    auto share = coconut::unblind(chain::credential_parameters(), *blinded, m_credential.elgamal, m_h, key->second,
                                  m_attributes);
    if (!share)
        return Unexpected("the share does not verify under issuer " + std::to_string(index) +
                          "'s key on the chain: " + share.error().message());
    m_shares.push_back(coconut::SignatureShare{index, std::move(*share)});
    return {};
}

Expected<coconut::Signature> ShareCollector::aggregate() const {
    if (!complete()) return fail(coconut::Errc::not_enough_shares);
    const std::span<const coconut::SignatureShare> first(m_shares.data(), m_issuers.threshold);
    return coconut::aggregate_signatures_and_verify(chain::credential_parameters(), first, m_issuers.threshold,
                                                    m_issuers.aggregate, m_attributes);
}

Expected<coconut::SpendTheta> make_spend(const Credential& credential, const coconut::VerificationKey& aggregate,
                                         const ledger::Address& provider,
                                         std::span<const std::uint8_t, coconut::SPEND_NONCE_SIZE> nonce,
                                         crypto::Rng& rng) {
    if (!credential.signature) return fail(coconut::Errc::invalid_parameters);
    const auto fresh = coconut::randomize(*credential.signature, rng);
    return coconut::prove_spend(chain::credential_parameters(), aggregate, fresh, credential.attributes(),
                                chain::DISCLOSED_ATTRIBUTES, provider.bytes, nonce, rng);
}

// --- wallet file ---------------------------------------------------------------------------------------

namespace {

using nlohmann::json;

std::string scalar_hex(const coconut::Scalar& s) {
    std::array<std::uint8_t, 32> bytes{};
    s.write_bytes(bytes);
    auto text = util::to_hex(bytes);
    crypto::secure_wipe(bytes.data(), bytes.size());
    return text;
}

std::optional<coconut::Scalar> scalar_from(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    std::array<std::uint8_t, 32> bytes{};
    if (!util::from_hex_into(it->get_ref<const std::string&>(), bytes)) return std::nullopt;
    auto s = coconut::Scalar::from_bytes(bytes);
    crypto::secure_wipe(bytes.data(), bytes.size());
    if (!s || s->is_zero()) return std::nullopt;
    return std::move(*s);
}

} // namespace

std::string wallet_to_json(const std::vector<Credential>& credentials) {
    json list = json::array();
    for (const auto& c : credentials) {
        json j{{"id", c.id()},
               {"value", std::to_string(c.value)},
               {"chain_id", c.chain_id},
               {"state", std::string(state_name(c.state))},
               {"height", std::to_string(c.height)},
               {"elgamal_secret", scalar_hex(c.elgamal.d)},
               {"serial", scalar_hex(c.serial)},
               {"holder_secret", scalar_hex(c.holder_secret)},
               {"request", util::to_hex(c.request.encode())}};
        if (c.signature) j["signature"] = util::to_hex(c.signature->encode());
        if (!c.note.empty()) j["note"] = c.note;
        list.push_back(std::move(j));
    }
    return json{{"version", 1}, {"credentials", list}}.dump(2) + "\n";
}

Expected<std::vector<Credential>, std::string> wallet_from_json(std::string_view text) {
    const json doc = json::parse(text, nullptr, false);
    if (!doc.is_object() || !doc.contains("credentials") || !doc["credentials"].is_array())
        return Unexpected(std::string("not a wallet file"));
    std::vector<Credential> out;
    for (const auto& j : doc["credentials"]) {
        const std::string where = "credential " + std::to_string(out.size() + 1);
        if (!j.is_object()) return Unexpected(where + " is not an object");
        Credential c;
        auto text_of = [&j](const char* key) -> std::string {
            auto it = j.find(key);
            return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        auto value = chain::parse_u64(text_of("value"));
        auto height = chain::parse_u64(text_of("height"));
        auto state = state_from_name(text_of("state"));
        auto d = scalar_from(j, "elgamal_secret");
        auto serial = scalar_from(j, "serial");
        auto holder = scalar_from(j, "holder_secret");
        auto request_bytes = util::from_hex(text_of("request"));
        if (!value || !height || !state || !d || !serial || !holder || !request_bytes)
            return Unexpected(where + " has a missing or malformed field");
        auto request = coconut::BlindSignRequest::decode(*request_bytes);
        if (!request) return Unexpected(where + ": the request does not decode");
        c.value = *value;
        c.height = *height;
        c.state = *state;
        c.chain_id = text_of("chain_id");
        c.elgamal.d = std::move(*d);
        c.elgamal.gamma = coconut::G1::generator() * c.elgamal.d;
        c.serial = std::move(*serial);
        c.holder_secret = std::move(*holder);
        c.request = std::move(*request);
        if (!(c.request.gamma == c.elgamal.gamma)) return Unexpected(where + ": the request is not this key's");
        if (j.contains("signature")) {
            auto sig_bytes = util::from_hex(text_of("signature"));
            if (!sig_bytes) return Unexpected(where + ": malformed signature");
            auto sig = coconut::Signature::decode(*sig_bytes);
            if (!sig) return Unexpected(where + ": the signature does not decode");
            c.signature = *sig;
        }
        c.note = text_of("note");
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace nym::credentials
