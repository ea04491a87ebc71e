#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <chain/credential.hpp>
#include <issuer/issuer.hpp>
#include <wire/credentials.hpp>

namespace nym::issuer {

namespace wc = wire::credentials;

std::vector<chain::CredentialRequested> credential_requests(const chain::BlockResults& block) {
    std::vector<chain::CredentialRequested> out;
    for (const auto& tx : block.txs) {
        if (!tx.ok()) continue;
        for (const auto& event : tx.events) {
            if (auto request = chain::read_credential_request(event)) out.push_back(std::move(*request));
        }
    }
    return out;
}

Answer answer_request(const coconut::SecretKey& key, const chain::CredentialRequested& request) {
    Answer a;
    a.height = request.height;
    a.gamma = request.gamma;
    auto decoded = coconut::BlindSignRequest::decode(request.request);
    if (!decoded) {
        a.refused = "the blind-sign request does not decode: " + decoded.error().message();
        return a;
    }
    if (decoded->gamma.to_compressed() != request.gamma) {
        a.refused = "the request's gamma is not the one the ledger recorded";
        return a;
    }
    if (decoded->public_attributes.empty() ||
        !(decoded->public_attributes[0] == coconut::Scalar::from_u64(request.value))) {
        a.refused = "the first public attribute is not the value paid";
        return a;
    }
    auto blinded = coconut::blind_sign(chain::credential_parameters(), key, *decoded);
    if (!blinded) {
        a.refused = "not signed: " + blinded.error().message();
        return a;
    }
    a.blinded_signature = blinded->encode();
    return a;
}

namespace {

wc::PartialCredential partial(const Identity& identity, const Answer& a) {
    return wc::PartialCredential{identity.index, a.height, a.gamma, a.blinded_signature};
}

} // namespace

runtime::HttpResponse verification_key_response(const Identity& identity) {
    return runtime::HttpResponse::json(
        200, wc::to_json(wc::VerificationKeyInfo{identity.index, identity.chain_id, identity.verification_key}));
}

runtime::HttpResponse status_response(const Identity& identity, std::uint64_t processed_height, StoreCounts counts) {
    return runtime::HttpResponse::json(200,
                                       wc::to_json(wc::IssuerStatus{identity.index, identity.chain_id, processed_height,
                                                                    counts.issued, counts.refused}));
}

runtime::HttpResponse not_processed_response(std::uint64_t height, std::uint64_t processed_height) {
    auto r = runtime::HttpResponse::json(
        503, nlohmann::json{{"error", "height " + std::to_string(height) + " is not processed yet, try again"},
                            {"processed_height", std::to_string(processed_height)}}
                 .dump());
    r.headers.emplace_back("Retry-After", "1");
    return r;
}

runtime::HttpResponse partial_credential_response(const Identity& identity, std::uint64_t height, const Gamma& gamma,
                                                  const std::optional<Answer>& found, std::uint64_t processed_height) {
    if (found && found->refused.empty())
        return runtime::HttpResponse::json(200, wc::to_json(partial(identity, *found)));
    if (found)
        return runtime::HttpResponse::json(
            422, nlohmann::json{{"error", "the issuer refused this request: " + found->refused},
                                {"gamma", util::to_hex(gamma)},
                                {"height", std::to_string(height)}}
                     .dump());
    if (height > processed_height) return not_processed_response(height, processed_height);
    return runtime::HttpResponse::json(
        404, nlohmann::json{{"error", "no credential request with this height and gamma was committed"},
                            {"processed_height", std::to_string(processed_height)}}
                 .dump());
}

runtime::HttpResponse block_credentials_response(const Identity& identity, std::uint64_t height,
                                                 const std::vector<Answer>& answers, std::uint64_t processed_height) {
    if (height > processed_height) return not_processed_response(height, processed_height);
    wc::BlockCredentials block;
    block.index = identity.index;
    block.height = height;
    for (const auto& a : answers) {
        if (a.refused.empty())
            block.issued.push_back(partial(identity, a));
        else
            block.refused.push_back(wc::RefusedRequest{a.gamma, a.refused});
    }
    return runtime::HttpResponse::json(200, wc::to_json(block));
}

} // namespace nym::issuer
