#include <util/hex.hpp>

#include <chain/events.hpp>
#include <chain/rpc.hpp>

namespace nym::chain {
namespace {

std::optional<std::uint64_t> u64(const ledger::Event& e, std::string_view key) {
    return parse_u64(e.attribute(key));
}

std::optional<Address> address(const ledger::Event& e, std::string_view key) {
    auto a = Address::from_hex(e.attribute(key));
    if (!a) return std::nullopt;
    return *a;
}

std::optional<G1Bytes> point(const ledger::Event& e, std::string_view key) {
    G1Bytes out{};
    if (!util::from_hex_into(e.attribute(key), out)) return std::nullopt;
    return out;
}

std::optional<ledger::Bytes> bytes(const ledger::Event& e, std::string_view key) {
    auto b = util::from_hex(e.attribute(key));
    if (!b || b->empty()) return std::nullopt;
    return std::move(*b);
}

} // namespace

std::optional<CredentialRequested> read_credential_request(const ledger::Event& event) {
    if (event.type != "credential_request") return std::nullopt;
    auto account = address(event, "account");
    auto value = u64(event, "value");
    auto height = u64(event, "height");
    auto gamma = point(event, "gamma");
    auto request = bytes(event, "request");
    if (!account || !value || !height || !gamma || !request) return std::nullopt;
    return CredentialRequested{*account, *value, *height, *gamma, std::move(*request)};
}

std::optional<CredentialDeposited> read_credential_deposit(const ledger::Event& event) {
    if (event.type != "credential_deposit") return std::nullopt;
    auto provider = address(event, "provider");
    auto value = u64(event, "value");
    auto zeta = point(event, "zeta");
    auto height = u64(event, "deposit_height");
    auto spend = bytes(event, "spend");
    if (!provider || !value || !zeta || !height || !spend) return std::nullopt;
    return CredentialDeposited{*provider, *value, *zeta, *height, std::move(*spend)};
}

std::optional<VoteCast> read_verifier_vote(const ledger::Event& event) {
    if (event.type != "verifier_vote") return std::nullopt;
    auto verifier = address(event, "verifier");
    auto zeta = point(event, "zeta");
    auto provider = address(event, "provider");
    auto value = u64(event, "value");
    const std::string verdict = event.attribute("verdict");
    if (!verifier || !zeta || !provider || !value || (verdict != "valid" && verdict != "invalid")) return std::nullopt;
    return VoteCast{*verifier, *zeta, *provider, *value, verdict == "valid"};
}

std::optional<DepositDecided> read_deposit_decision(const ledger::Event& event) {
    const bool spent = event.type == "credential_spent";
    if (!spent && event.type != "credential_refused") return std::nullopt;
    auto zeta = point(event, "zeta");
    auto provider = address(event, "provider");
    auto value = u64(event, "value");
    auto height = u64(event, "deposit_height");
    if (!zeta || !provider || !value || !height) return std::nullopt;
    return DepositDecided{*zeta, *provider, *value, *height, spent};
}

} // namespace nym::chain
