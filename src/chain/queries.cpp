#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <chain/errors.hpp>
#include <chain/queries.hpp>
#include <chain/rpc.hpp>

namespace nym::chain {
namespace {

using nlohmann::json;

std::optional<std::uint64_t> u64_of(const json& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (it->is_number_unsigned()) return it->get<std::uint64_t>();
    if (it->is_string()) return parse_u64(it->get_ref<const std::string&>());
    return std::nullopt;
}

std::optional<ledger::Address> address_of(const json& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return std::nullopt;
    auto a = ledger::Address::from_hex(it->get_ref<const std::string&>());
    if (!a) return std::nullopt;
    return *a;
}

} // namespace

Expected<AccountState> parse_account(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return fail(Errc::malformed_response);
    auto address = address_of(j, "address");
    auto balance = u64_of(j, "balance");
    auto nonce = u64_of(j, "nonce");
    if (!address || !balance || !nonce) return fail(Errc::malformed_response);
    return AccountState{*address, *balance, *nonce};
}

Expected<ZetaState> parse_zeta(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) return fail(Errc::malformed_response);
    ZetaState z;
    auto zeta = j.find("zeta");
    auto status = j.find("status");
    if (zeta == j.end() || !zeta->is_string() || status == j.end() || !status->is_string())
        return fail(Errc::malformed_response);
    if (!util::from_hex_into(zeta->get_ref<const std::string&>(), z.zeta)) return fail(Errc::malformed_response);
    const auto& s = status->get_ref<const std::string&>();
    if (s == "unspent") {
        z.status = ZetaStatus::unspent;
        return z;
    }
    if (s == "being_verified") {
        z.status = ZetaStatus::being_verified;
    } else if (s == "spent") {
        z.status = ZetaStatus::spent;
    } else {
        return fail(Errc::malformed_response);
    }
    auto provider = address_of(j, "provider");
    auto value = u64_of(j, "value");
    auto height = u64_of(j, "deposit_height");
    auto valid = u64_of(j, "valid_votes");
    auto invalid = u64_of(j, "invalid_votes");
    if (!provider || !value || !height || !valid || !invalid || *valid > 0xffff || *invalid > 0xffff)
        return fail(Errc::malformed_response);
    z.provider = *provider;
    z.value = *value;
    z.deposit_height = *height;
    z.valid_votes = static_cast<std::uint32_t>(*valid);
    z.invalid_votes = static_cast<std::uint32_t>(*invalid);
    return z;
}

Expected<ledger::Params> parse_params(std::string_view json_text) {
    auto params = ledger::Params::from_json(json_text);
    if (!params) return fail(Errc::malformed_response);
    return std::move(*params);
}

std::string_view zeta_status_name(ZetaStatus status) noexcept {
    switch (status) {
    case ZetaStatus::unspent:
        return "unspent";
    case ZetaStatus::being_verified:
        return "being_verified";
    case ZetaStatus::spent:
        return "spent";
    }
    return "unknown";
}

} // namespace nym::chain
