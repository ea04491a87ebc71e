#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <map>
#include <wire/credentials.hpp>

namespace nym::wire::credentials {
namespace {

using nlohmann::json;

std::string dec(std::uint64_t v) {
    return std::to_string(v);
}

std::optional<std::uint64_t> parse_dec(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

/// Reads fields of one JSON object; the first problem is kept and named.
class Reader {
public:
    explicit Reader(std::string_view text) : m_doc(json::parse(text, nullptr, false)) {
        if (m_doc.is_discarded())
            m_error = "the body is not JSON";
        else if (!m_doc.is_object())
            m_error = "the body is not a JSON object";
    }
    explicit Reader(const json& object, std::string prefix) : m_doc(object), m_prefix(std::move(prefix)) {
        if (!m_doc.is_object()) m_error = "'" + m_prefix + "' is not a JSON object";
    }

    const json* field(std::string_view key) {
        if (!m_error.empty()) return nullptr;
        auto it = m_doc.find(key);
        if (it == m_doc.end()) {
            problem(key, "is missing");
            return nullptr;
        }
        return &*it;
    }
    bool has(std::string_view key) const { return m_error.empty() && m_doc.contains(key); }

    std::uint64_t u64(std::string_view key) {
        const json* f = field(key);
        if (!f) return 0;
        if (f->is_number_unsigned()) return f->get<std::uint64_t>();
        if (f->is_string()) {
            if (auto v = parse_dec(f->get_ref<const std::string&>())) return *v;
        }
        problem(key, "must be a decimal string of an unsigned 64-bit integer");
        return 0;
    }
    std::string text(std::string_view key, std::size_t max = 256) {
        const json* f = field(key);
        if (!f) return {};
        if (!f->is_string() || f->get_ref<const std::string&>().size() > max) {
            problem(key, "must be a string of at most " + std::to_string(max) + " characters");
            return {};
        }
        return f->get<std::string>();
    }
    bool boolean(std::string_view key) {
        const json* f = field(key);
        if (!f) return false;
        if (!f->is_boolean()) {
            problem(key, "must be true or false");
            return false;
        }
        return f->get<bool>();
    }
    Bytes bytes(std::string_view key, std::size_t max = MAX_OBJECT_SIZE) {
        const json* f = field(key);
        if (!f) return {};
        if (!f->is_string() || f->get_ref<const std::string&>().size() > 2 * max) {
            problem(key, "must be a hex string of at most " + std::to_string(max) + " bytes");
            return {};
        }
        auto b = util::from_hex(f->get_ref<const std::string&>());
        if (!b || b->empty()) {
            problem(key, "must be non-empty hex");
            return {};
        }
        return std::move(*b);
    }
    template <std::size_t N>
    std::array<std::uint8_t, N> fixed(std::string_view key) {
        std::array<std::uint8_t, N> out{};
        const json* f = field(key);
        if (!f) return out;
        if (!f->is_string() || !util::from_hex_into(f->get_ref<const std::string&>(), out))
            problem(key, "must be " + std::to_string(2 * N) + " hex digits");
        return out;
    }
    Address address(std::string_view key) {
        const json* f = field(key);
        if (!f) return {};
        if (f->is_string()) {
            if (auto a = Address::from_hex(f->get_ref<const std::string&>())) return *a;
        }
        problem(key, "must be an address (0x and 40 hex digits)");
        return {};
    }
    const json* array(std::string_view key) {
        const json* f = field(key);
        if (f && !f->is_array()) {
            problem(key, "must be an array");
            return nullptr;
        }
        return f;
    }
    void problem(std::string_view key, std::string_view what) {
        if (m_error.empty()) m_error = "'" + m_prefix + std::string(key) + "' " + std::string(what);
    }
    void adopt(const std::string& error) {
        if (m_error.empty()) m_error = error;
    }
    [[nodiscard]] const std::string& error() const { return m_error; }
    [[nodiscard]] bool ok() const { return m_error.empty(); }

private:
    json m_doc;
    std::string m_prefix;
    std::string m_error;
};

template <class T>
Parse<T> result(const Reader& r, T value) {
    if (!r.ok()) return Unexpected(r.error());
    return value;
}

json partial_json(const PartialCredential& v) {
    return {{"index", dec(v.index)},
            {"height", dec(v.height)},
            {"gamma", util::to_hex(v.gamma)},
            {"blinded_signature", util::to_hex(v.blinded_signature)}};
}

PartialCredential read_partial(Reader& r) {
    PartialCredential v;
    v.index = r.u64("index");
    v.height = r.u64("height");
    v.gamma = r.fixed<POINT_SIZE>("gamma");
    v.blinded_signature = r.bytes("blinded_signature");
    return v;
}

/// key=value pairs of a query string; every key at most once, only `allowed` keys, no escapes.
Parse<std::map<std::string, std::string>> query_pairs(std::string_view query,
                                                      std::initializer_list<std::string_view> allowed) {
    std::map<std::string, std::string> out;
    if (query.size() > 1024) return Unexpected(ParseError("the query is too long"));
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) return Unexpected("query parameter '" + std::string(pair) + "' has no value");
        const std::string key(pair.substr(0, eq));
        bool known = false;
        for (auto a : allowed) known = known || a == key;
        if (!known) return Unexpected("unknown query parameter '" + key + "'");
        if (!out.emplace(key, std::string(pair.substr(eq + 1))).second)
            return Unexpected("query parameter '" + key + "' given twice");
    }
    return out;
}

} // namespace

std::string to_json(const VerificationKeyInfo& v) {
    return json{
        {"index", dec(v.index)}, {"chain_id", v.chain_id}, {"verification_key", util::to_hex(v.verification_key)}}
        .dump();
}

std::string to_json(const IssuerStatus& v) {
    return json{{"index", dec(v.index)},
                {"chain_id", v.chain_id},
                {"processed_height", dec(v.processed_height)},
                {"issued", dec(v.issued)},
                {"refused", dec(v.refused)}}
        .dump();
}

std::string to_json(const PartialCredential& v) {
    return partial_json(v).dump();
}

std::string to_json(const BlockCredentials& v) {
    json issued = json::array();
    for (const auto& p : v.issued) issued.push_back(partial_json(p));
    json refused = json::array();
    for (const auto& r : v.refused) refused.push_back({{"gamma", util::to_hex(r.gamma)}, {"reason", r.reason}});
    return json{{"index", dec(v.index)}, {"height", dec(v.height)}, {"issued", issued}, {"refused", refused}}.dump();
}

Parse<VerificationKeyInfo> parse_verification_key_info(std::string_view text) {
    Reader r(text);
    VerificationKeyInfo v;
    v.index = r.u64("index");
    v.chain_id = r.text("chain_id");
    v.verification_key = r.bytes("verification_key");
    return result(r, std::move(v));
}

Parse<IssuerStatus> parse_issuer_status(std::string_view text) {
    Reader r(text);
    IssuerStatus v;
    v.index = r.u64("index");
    v.chain_id = r.text("chain_id");
    v.processed_height = r.u64("processed_height");
    v.issued = r.u64("issued");
    v.refused = r.u64("refused");
    return result(r, std::move(v));
}

Parse<PartialCredential> parse_partial_credential(std::string_view text) {
    Reader r(text);
    auto v = read_partial(r);
    return result(r, std::move(v));
}

Parse<BlockCredentials> parse_block_credentials(std::string_view text) {
    Reader r(text);
    BlockCredentials v;
    v.index = r.u64("index");
    v.height = r.u64("height");
    if (const json* issued = r.array("issued")) {
        for (const auto& item : *issued) {
            Reader e(item, "issued[].");
            v.issued.push_back(read_partial(e));
            r.adopt(e.error());
        }
    }
    if (const json* refused = r.array("refused")) {
        for (const auto& item : *refused) {
            Reader e(item, "refused[].");
            RefusedRequest rr;
            rr.gamma = e.fixed<POINT_SIZE>("gamma");
            rr.reason = e.text("reason", 1024);
            v.refused.push_back(std::move(rr));
            r.adopt(e.error());
        }
    }
    return result(r, std::move(v));
}

Parse<CredentialLookup> parse_lookup_query(std::string_view query) {
    auto pairs = query_pairs(query, {"height", "gamma"});
    if (!pairs) return Unexpected(pairs.error());
    CredentialLookup lookup;
    auto height = pairs->find("height");
    auto gamma = pairs->find("gamma");
    if (height == pairs->end()) return Unexpected(ParseError("query parameter 'height' is missing"));
    if (gamma == pairs->end()) return Unexpected(ParseError("query parameter 'gamma' is missing"));
    auto h = parse_dec(height->second);
    if (!h) return Unexpected(ParseError("query parameter 'height' must be a decimal unsigned 64-bit integer"));
    lookup.height = *h;
    if (!util::from_hex_into(gamma->second, lookup.gamma))
        return Unexpected(ParseError("query parameter 'gamma' must be 96 hex digits"));
    return lookup;
}

Parse<std::uint64_t> parse_height_query(std::string_view query) {
    auto pairs = query_pairs(query, {"height"});
    if (!pairs) return Unexpected(pairs.error());
    auto height = pairs->find("height");
    if (height == pairs->end()) return Unexpected(ParseError("query parameter 'height' is missing"));
    auto h = parse_dec(height->second);
    if (!h) return Unexpected(ParseError("query parameter 'height' must be a decimal unsigned 64-bit integer"));
    return *h;
}

std::string lookup_query(const CredentialLookup& lookup) {
    return "height=" + dec(lookup.height) + "&gamma=" + util::to_hex(lookup.gamma);
}

std::string to_json(const ProviderInfo& v) {
    return json{
        {"address", v.address.to_hex()}, {"chain_id", v.chain_id}, {"spend_timeout_ms", dec(v.spend_timeout_ms)}}
        .dump();
}

std::string to_json(const SpendNonce& v) {
    return json{{"nonce", util::to_hex(v.nonce)}, {"expires_in_ms", dec(v.expires_in_ms)}}.dump();
}

std::string to_json(const SpendRequest& v) {
    return json{{"value", dec(v.value)}, {"nonce", util::to_hex(v.nonce)}, {"spend", util::to_hex(v.spend)}}.dump();
}

std::string to_json(const SpendAnswer& v) {
    json j{
        {"accepted", v.accepted()}, {"outcome", std::string(outcome_name(v.outcome))}, {"zeta", util::to_hex(v.zeta)}};
    if (!v.reason.empty()) j["reason"] = v.reason;
    if (v.deposit_height) j["deposit_height"] = dec(*v.deposit_height);
    return j.dump();
}

Parse<ProviderInfo> parse_provider_info(std::string_view text) {
    Reader r(text);
    ProviderInfo v;
    v.address = r.address("address");
    v.chain_id = r.text("chain_id");
    v.spend_timeout_ms = r.u64("spend_timeout_ms");
    return result(r, std::move(v));
}

Parse<SpendNonce> parse_spend_nonce(std::string_view text) {
    Reader r(text);
    SpendNonce v;
    v.nonce = r.fixed<NONCE_SIZE>("nonce");
    v.expires_in_ms = r.u64("expires_in_ms");
    return result(r, std::move(v));
}

Parse<SpendRequest> parse_spend_request(std::string_view text) {
    Reader r(text);
    SpendRequest v;
    v.value = r.u64("value");
    v.nonce = r.fixed<NONCE_SIZE>("nonce");
    v.spend = r.bytes("spend");
    if (r.ok() && v.value == 0) r.problem("value", "must be positive");
    return result(r, std::move(v));
}

Parse<SpendAnswer> parse_spend_answer(std::string_view text) {
    Reader r(text);
    SpendAnswer v;
    const bool accepted = r.boolean("accepted");
    const std::string outcome = r.text("outcome");
    v.zeta = r.fixed<POINT_SIZE>("zeta");
    if (r.has("reason")) v.reason = r.text("reason", 1024);
    if (r.has("deposit_height")) v.deposit_height = r.u64("deposit_height");
    if (outcome == "accepted")
        v.outcome = SpendOutcome::accepted;
    else if (outcome == "refused")
        v.outcome = SpendOutcome::refused;
    else if (outcome == "pending")
        v.outcome = SpendOutcome::pending;
    else
        r.problem("outcome", "must be accepted, refused or pending");
    if (r.ok() && accepted != v.accepted()) r.problem("accepted", "contradicts 'outcome'");
    return result(r, std::move(v));
}

Parse<Point> parse_zeta_query(std::string_view query) {
    auto pairs = query_pairs(query, {"zeta"});
    if (!pairs) return Unexpected(pairs.error());
    auto zeta = pairs->find("zeta");
    if (zeta == pairs->end()) return Unexpected(ParseError("query parameter 'zeta' is missing"));
    Point out{};
    if (!util::from_hex_into(zeta->second, out))
        return Unexpected(ParseError("query parameter 'zeta' must be 96 hex digits"));
    return out;
}

std::string_view outcome_name(SpendOutcome outcome) noexcept {
    switch (outcome) {
    case SpendOutcome::accepted:
        return "accepted";
    case SpendOutcome::refused:
        return "refused";
    case SpendOutcome::pending:
        return "pending";
    }
    return "refused";
}

} // namespace nym::wire::credentials
