#pragma once
// The client side of Coconut credentials on the Nym ledger, without I/O (docs/protocol/credentials.md
// §6): preparing a credential request, collecting and checking the issuers' partial credentials
// (any t of n; a share that does not verify under its issuer's key on the chain is refused), the
// aggregate credential, and spends. The nymclient driver (daemon.hpp) and, later, mixnet-spent
// credentials run these steps around their own I/O.
//
// Secrets: the ElGamal key and the two private attributes (serial, holder secret) never leave the
// client: a request carries only their commitment and encryptions, a spend only zeta = g1^serial.

#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/rng.hpp>
#include <ledger/params.hpp>
#include <ledger/tx.hpp>
#include <util/expected.hpp>

#include <chain/credential.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nym::credentials {

using ledger::G1Bytes;

enum class CredentialState { requested, issued, spent, refused };
[[nodiscard]] std::string_view state_name(CredentialState state) noexcept;
[[nodiscard]] std::optional<CredentialState> state_from_name(std::string_view name) noexcept;

/// One credential the client asked for, with its secrets. Requested: height is 0 until the request
/// is committed. Issued: `signature` is the aggregate credential (never shown as such: every spend
/// re-randomises it).
struct Credential {
    std::uint64_t value = 0;
    std::string chain_id;
    coconut::ElGamalKeyPair elgamal;
    coconut::Attribute serial;
    coconut::Attribute holder_secret;
    coconut::BlindSignRequest request;
    std::uint64_t height = 0;
    CredentialState state = CredentialState::requested;
    std::optional<coconut::Signature> signature;
    std::string note; ///< what happened last (a refusal's reason, the provider that accepted it)

    [[nodiscard]] G1Bytes gamma() const { return elgamal.gamma.to_compressed(); }
    [[nodiscard]] G1Bytes zeta() const { return (coconut::G1::generator() * serial).to_compressed(); }
    /// A short name for logs and the command line: the first 8 bytes of gamma in hex.
    [[nodiscard]] std::string id() const;
    /// serial, holder secret, value, kind, chain: every attribute in order.
    [[nodiscard]] std::vector<coconut::Attribute> attributes() const;
};

/// A fresh credential of `value` on `chain_id`: random serial and holder secret, a fresh ElGamal key,
/// and the blind-sign request binding value, kind and chain as public attributes.
[[nodiscard]] Expected<Credential> prepare_credential(std::uint64_t value, std::string_view chain_id, crypto::Rng& rng);

/// The ledger transaction that pays for it.
[[nodiscard]] Expected<ledger::CredentialRequest> request_transaction(const Credential& credential);

/// The issuers as the chain's genesis lists them: verification keys by index and the threshold.
struct IssuerSet {
    std::map<std::uint64_t, coconut::VerificationKey> keys;
    std::size_t threshold = 0;
    coconut::VerificationKey aggregate;
    /// From the chain's parameters; fails if the chain lists no issuers or keys that disagree.
    static Expected<IssuerSet> from_params(const ledger::Params& params);
};

/// Collects partial credentials until `threshold` of them verify. Each share is unblinded and
/// checked against the chain's verification key of the issuer index it claims: a missing index, a
/// second share for one index, a wrong gamma or height, or a share that does not verify is refused
/// with a reason, and the issuer it came from is simply not counted.
class ShareCollector {
public:
    ShareCollector(const Credential& credential, const IssuerSet& issuers);

    /// Checks one issuer's answer (expensive: an unblinding and a pairing check). Thread-safe with
    /// respect to other collectors only.
    [[nodiscard]] Expected<void, std::string> add(std::uint64_t index, std::uint64_t height, const G1Bytes& gamma,
                                                  std::span<const std::uint8_t> blinded_signature);
    [[nodiscard]] bool complete() const noexcept { return m_shares.size() >= m_issuers.threshold; }
    [[nodiscard]] std::size_t valid() const noexcept { return m_shares.size(); }
    [[nodiscard]] std::size_t needed() const noexcept { return m_issuers.threshold; }
    /// Aggregates the first `threshold` shares and verifies the result under the aggregate key.
    [[nodiscard]] Expected<coconut::Signature> aggregate() const;

private:
    Credential m_credential;
    IssuerSet m_issuers;
    std::vector<coconut::Attribute> m_attributes;
    coconut::G1 m_h;
    std::vector<coconut::SignatureShare> m_shares;
};

/// A spend of an issued credential at `provider` with the nonce it handed out: the credential is
/// re-randomised and shown with serial and holder secret hidden and value, kind, chain disclosed.
[[nodiscard]] Expected<coconut::SpendTheta>
make_spend(const Credential& credential, const coconut::VerificationKey& aggregate, const ledger::Address& provider,
           std::span<const std::uint8_t, coconut::SPEND_NONCE_SIZE> nonce, crypto::Rng& rng);

/// The client's credentials as a JSON document (secrets included: the file is written 0600).
[[nodiscard]] std::string wallet_to_json(const std::vector<Credential>& credentials);
[[nodiscard]] Expected<std::vector<Credential>, std::string> wallet_from_json(std::string_view json);

} // namespace nym::credentials
