#pragma once
// The issuer's work without I/O: which requests a committed block holds, the answer to each
// (a blinded signature share, or why not), and the HTTP answers built from what the store holds.
// The daemon (daemon.hpp) fetches blocks, runs answer_request on its workers, commits the answers
// (store.hpp), and only then serves them.

#include <coconut/scheme.hpp>
#include <runtime/http.hpp>

#include <chain/events.hpp>
#include <chain/rpc.hpp>
#include <cstdint>
#include <issuer/store.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nym::issuer {

/// The credential requests of a block's successful transactions, in block order. Requests whose
/// event does not parse are skipped (a correct ledger never emits one).
[[nodiscard]] std::vector<chain::CredentialRequested> credential_requests(const chain::BlockResults& block);

/// Blind-signs one request with the issuer's key (deterministic: the same request always gets the
/// same answer). Refused, with the reason, when the request does not decode, does not bind its
/// value as the first public attribute, or its proof does not verify. Thread-safe.
[[nodiscard]] Answer answer_request(const coconut::SecretKey& key, const chain::CredentialRequested& request);

/// What the issuer is, for its HTTP answers.
struct Identity {
    std::uint64_t index = 0;
    std::string chain_id;
    Bytes verification_key; ///< encoded
};

[[nodiscard]] runtime::HttpResponse verification_key_response(const Identity& identity);
[[nodiscard]] runtime::HttpResponse status_response(const Identity& identity, std::uint64_t processed_height,
                                                    StoreCounts counts);
/// 200 with the share; 422 if the request was refused; 404 if no request (height, gamma) was
/// committed up to the processed height; 503 (try later) if the height is not processed yet.
[[nodiscard]] runtime::HttpResponse partial_credential_response(const Identity& identity, std::uint64_t height,
                                                                const Gamma& gamma, const std::optional<Answer>& found,
                                                                std::uint64_t processed_height);
/// 200 with every answer of the block; 503 if the height is not processed yet.
[[nodiscard]] runtime::HttpResponse block_credentials_response(const Identity& identity, std::uint64_t height,
                                                               const std::vector<Answer>& answers,
                                                               std::uint64_t processed_height);
/// 503 with the processed height: the height is not processed yet.
[[nodiscard]] runtime::HttpResponse not_processed_response(std::uint64_t height, std::uint64_t processed_height);

} // namespace nym::issuer
