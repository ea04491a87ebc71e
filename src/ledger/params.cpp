#include <ledger/errors.hpp>
#include <ledger/params.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace nym::ledger {
namespace {

using nlohmann::json;

bool only_keys(const json& obj, std::initializer_list<std::string_view> allowed) {
    if (!obj.is_object()) return false;
    for (const auto& [k, v] : obj.items())
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) return false;
    return true;
}

std::optional<Address> address_of(const json& j) {
    if (!j.is_string()) return std::nullopt;
    auto a = Address::from_hex(j.get<std::string>());
    if (!a) return std::nullopt;
    return *a;
}

std::optional<std::uint64_t> u64_of(const json& j) {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
    if (!j.is_string()) return std::nullopt;
    const std::string s = j.get<std::string>();
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

/// {"threshold": t, "addresses": [...]}: distinct addresses, 1 <= t <= count (or t = 0 and none).
bool parse_voters(const json& j, std::uint32_t& threshold, std::vector<Address>& out) {
    if (!only_keys(j, {"threshold", "addresses"}) || !j.contains("threshold") || !j.contains("addresses")) return false;
    auto t = u64_of(j["threshold"]);
    if (!t || !j["addresses"].is_array() || j["addresses"].size() > MAX_VOTERS) return false;
    for (const auto& a : j["addresses"]) {
        auto addr = address_of(a);
        if (!addr) return false;
        out.push_back(*addr);
    }
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end()) return false;
    if (out.empty() ? *t != 0 : (*t < 1 || *t > out.size())) return false;
    threshold = static_cast<std::uint32_t>(*t);
    return true;
}

json voters_json(std::uint32_t threshold, const std::vector<Address>& addresses) {
    json list = json::array();
    for (const auto& a : addresses) list.push_back(a.to_hex());
    return json{{"threshold", threshold}, {"addresses", list}};
}

bool valid_chain_id(std::string_view id) {
    if (id.empty() || id.size() > 50) return false;
    return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

/// Parses the parameter fields of `j` (a validated object) into `p`.
bool parse_params(const json& j, Params& p) {
    if (!j.contains("chain_id") || !j["chain_id"].is_string()) return false;
    p.chain_id = j["chain_id"].get<std::string>();
    if (!valid_chain_id(p.chain_id)) return false;
    if (!j.contains("pipe_account")) return false;
    auto pipe = address_of(j["pipe_account"]);
    if (!pipe) return false;
    p.pipe_account = *pipe;
    if (j.contains("watchers") && !parse_voters(j["watchers"], p.watcher_threshold, p.watchers)) return false;
    if (j.contains("verifiers") && !parse_voters(j["verifiers"], p.verifier_threshold, p.verifiers)) return false;
    if (j.contains("issuers")) {
        const json& is = j["issuers"];
        if (!only_keys(is, {"threshold", "verification_keys"}) || !is.contains("threshold") ||
            !is.contains("verification_keys") || !is["verification_keys"].is_array())
            return false;
        auto t = u64_of(is["threshold"]);
        if (!t) return false;
        std::set<std::uint64_t> indices;
        for (const auto& k : is["verification_keys"]) {
            if (!k.is_string()) return false;
            auto bytes = util::from_hex(k.get<std::string>());
            if (!bytes) return false;
            auto vk = coconut::VerificationKey::decode(*bytes);
            if (!vk || vk->index == 0 || !indices.insert(vk->index).second) return false;
            if (!p.issuer_keys.empty() && vk->betas.size() != p.issuer_keys.front().betas.size()) return false;
            p.issuer_keys.push_back(std::move(*vk));
        }
        const std::size_t n = p.issuer_keys.size();
        if (n == 0 ? *t != 0 : (*t < 1 || *t > n)) return false;
        p.issuer_threshold = static_cast<std::uint32_t>(*t);
    }
    return true;
}

constexpr std::array<std::string_view, 5> PARAM_KEYS = {"chain_id", "pipe_account", "watchers", "verifiers", "issuers"};

bool is_param_key(std::string_view k) {
    return std::find(PARAM_KEYS.begin(), PARAM_KEYS.end(), k) != PARAM_KEYS.end();
}

std::optional<std::size_t> index_in(const std::vector<Address>& sorted, const Address& a) noexcept {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), a);
    if (it == sorted.end() || *it != a) return std::nullopt;
    return static_cast<std::size_t>(it - sorted.begin());
}

} // namespace

std::optional<std::size_t> Params::watcher_index(const Address& a) const noexcept {
    return index_in(watchers, a);
}

std::optional<std::size_t> Params::verifier_index(const Address& a) const noexcept {
    return index_in(verifiers, a);
}

std::string Params::to_json() const {
    json keys = json::array();
    for (const auto& k : issuer_keys) keys.push_back(util::to_hex(k.encode()));
    json j{{"chain_id", chain_id},
           {"pipe_account", pipe_account.to_hex()},
           {"watchers", voters_json(watcher_threshold, watchers)},
           {"verifiers", voters_json(verifier_threshold, verifiers)},
           {"issuers", json{{"threshold", issuer_threshold}, {"verification_keys", keys}}}};
    return j.dump();
}

Expected<Params> Params::from_json(std::string_view text) {
    try {
        const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_genesis);
        for (const auto& [k, v] : j.items())
            if (!is_param_key(k)) return fail(Errc::invalid_genesis);
        Params p;
        if (!parse_params(j, p)) return fail(Errc::invalid_genesis);
        return p;
    } catch (const std::exception&) { // nlohmann's accessors on unexpected shapes
        return fail(Errc::invalid_genesis);
    }
}

Expected<Genesis> parse_genesis(std::string_view app_state) {
    try {
        const json j = json::parse(app_state, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_genesis);
        for (const auto& [k, v] : j.items())
            if (k != "accounts" && !is_param_key(k)) return fail(Errc::invalid_genesis);
        Genesis g;
        if (!parse_params(j, g.params)) return fail(Errc::invalid_genesis);
        if (j.contains("accounts")) {
            if (!j["accounts"].is_array()) return fail(Errc::invalid_genesis);
            std::uint64_t total = 0;
            for (const auto& a : j["accounts"]) {
                if (!only_keys(a, {"address", "balance"}) || !a.contains("address") || !a.contains("balance"))
                    return fail(Errc::invalid_genesis);
                auto addr = address_of(a["address"]);
                auto balance = u64_of(a["balance"]);
                if (!addr || !balance || *balance > UINT64_MAX - total) return fail(Errc::invalid_genesis);
                total += *balance;
                g.accounts.push_back({*addr, *balance});
            }
            std::sort(g.accounts.begin(), g.accounts.end(),
                      [](const GenesisAccount& x, const GenesisAccount& y) { return x.address < y.address; });
            for (std::size_t i = 1; i < g.accounts.size(); ++i)
                if (g.accounts[i].address == g.accounts[i - 1].address) return fail(Errc::invalid_genesis);
        }
        return g;
    } catch (const std::exception&) {
        return fail(Errc::invalid_genesis);
    }
}

} // namespace nym::ledger
