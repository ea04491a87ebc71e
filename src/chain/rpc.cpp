#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <chain/errors.hpp>
#include <chain/rpc.hpp>
#include <charconv>

namespace nym::chain {
namespace {

using nlohmann::json;

template <class T>
Parsed<T> failed(Errc e, std::string message = {}) {
    return Parsed<T>{fail(e), RpcFailure{std::move(message)}};
}

/// The body's "result" object; an RPC error, or anything that is not JSON-RPC, fails.
struct Envelope {
    const json* result = nullptr;
    Errc error{};
    std::string message;
};

Envelope open(const json& doc) {
    Envelope e;
    if (!doc.is_object()) {
        e.error = Errc::malformed_response;
        return e;
    }
    if (auto err = doc.find("error"); err != doc.end() && !err->is_null()) {
        e.error = Errc::rpc_error;
        if (err->is_object()) {
            if (auto m = err->find("message"); m != err->end() && m->is_string()) e.message = m->get<std::string>();
            if (auto d = err->find("data"); d != err->end() && d->is_string()) {
                e.message += (e.message.empty() ? "" : ": ") + d->get<std::string>();
            }
        }
        return e;
    }
    auto r = doc.find("result");
    if (r == doc.end() || !r->is_object()) {
        e.error = Errc::malformed_response;
        return e;
    }
    e.result = &*r;
    return e;
}

std::optional<std::uint64_t> u64_field(const json& obj, std::string_view key, bool required = true) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (required) return std::nullopt;
        return 0;
    }
    if (it->is_number_unsigned()) return it->get<std::uint64_t>();
    if (it->is_string()) return parse_u64(it->get_ref<const std::string&>());
    return std::nullopt;
}

std::string string_field(const json& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

std::optional<TxResult> tx_result(const json& obj) {
    if (!obj.is_object()) return std::nullopt;
    TxResult r;
    auto code = u64_field(obj, "code", false);
    if (!code || *code > 0xffffffffu) return std::nullopt;
    r.code = static_cast<std::uint32_t>(*code);
    r.codespace = string_field(obj, "codespace");
    r.log = string_field(obj, "log");
    if (auto events = obj.find("events"); events != obj.end() && !events->is_null()) {
        if (!events->is_array()) return std::nullopt;
        for (const auto& e : *events) {
            if (!e.is_object()) return std::nullopt;
            Event event;
            event.type = string_field(e, "type");
            if (auto attrs = e.find("attributes"); attrs != e.end() && !attrs->is_null()) {
                if (!attrs->is_array()) return std::nullopt;
                for (const auto& a : *attrs) {
                    if (!a.is_object()) return std::nullopt;
                    event.attributes.push_back({string_field(a, "key"), string_field(a, "value")});
                }
            }
            r.events.push_back(std::move(event));
        }
    }
    return r;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

constexpr char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

} // namespace

std::string status_target() {
    return "/status";
}

std::string block_results_target(std::uint64_t height) {
    return "/block_results?height=" + std::to_string(height);
}

std::string abci_query_target(std::string_view path, ByteSpan data) {
    // path is one of the ledger's fixed paths (letters, '/', '_'): no escaping needed inside quotes.
    return "/abci_query?path=%22" + std::string(path) + "%22&data=0x" + util::to_hex(data);
}

std::string tx_target(const Hash32& hash) {
    return "/tx?hash=0x" + util::to_hex(hash);
}

std::string broadcast_tx_sync_body(ByteSpan tx) {
    return R"({"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":")" + base64_encode(tx) + "\"}}";
}

Parsed<Status> parse_status(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    const auto env = open(doc);
    if (!env.result) return failed<Status>(env.error, env.message);
    const json& r = *env.result;
    auto node = r.find("node_info");
    auto sync = r.find("sync_info");
    if (node == r.end() || !node->is_object() || sync == r.end() || !sync->is_object())
        return failed<Status>(Errc::malformed_response);
    Status s;
    s.chain_id = string_field(*node, "network");
    auto h = u64_field(*sync, "latest_block_height");
    if (!h) return failed<Status>(Errc::malformed_response);
    s.latest_height = *h;
    if (auto c = sync->find("catching_up"); c != sync->end() && c->is_boolean()) s.catching_up = c->get<bool>();
    return {s, {}};
}

Parsed<BlockResults> parse_block_results(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    const auto env = open(doc);
    if (!env.result) {
        // Asked too early: the block is not committed, or committed but its results not yet saved.
        if (env.error == Errc::rpc_error &&
            (contains(env.message, "must be less than or equal") || contains(env.message, "could not find results")))
            return failed<BlockResults>(Errc::not_yet, env.message);
        return failed<BlockResults>(env.error, env.message);
    }
    const json& r = *env.result;
    BlockResults out;
    auto h = u64_field(r, "height");
    if (!h) return failed<BlockResults>(Errc::malformed_response);
    out.height = *h;
    if (auto txs = r.find("txs_results"); txs != r.end() && !txs->is_null()) {
        if (!txs->is_array()) return failed<BlockResults>(Errc::malformed_response);
        for (const auto& t : *txs) {
            auto result = tx_result(t);
            if (!result) return failed<BlockResults>(Errc::malformed_response);
            out.txs.push_back(std::move(*result));
        }
    }
    return {std::move(out), {}};
}

Parsed<QueryAnswer> parse_abci_query(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    const auto env = open(doc);
    if (!env.result) return failed<QueryAnswer>(env.error, env.message);
    auto response = env.result->find("response");
    if (response == env.result->end() || !response->is_object()) return failed<QueryAnswer>(Errc::malformed_response);
    QueryAnswer q;
    auto code = u64_field(*response, "code", false);
    auto height = u64_field(*response, "height", false);
    if (!code || *code > 0xffffffffu || !height) return failed<QueryAnswer>(Errc::malformed_response);
    q.code = static_cast<std::uint32_t>(*code);
    q.height = *height;
    q.log = string_field(*response, "log");
    auto value = base64_decode(string_field(*response, "value"));
    if (!value) return failed<QueryAnswer>(Errc::malformed_response);
    q.value.assign(value->begin(), value->end());
    return {std::move(q), {}};
}

Parsed<BroadcastAnswer> parse_broadcast(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    const auto env = open(doc);
    if (!env.result) return failed<BroadcastAnswer>(env.error, env.message);
    const json& r = *env.result;
    BroadcastAnswer b;
    auto code = u64_field(r, "code", false);
    if (!code || *code > 0xffffffffu) return failed<BroadcastAnswer>(Errc::malformed_response);
    b.code = static_cast<std::uint32_t>(*code);
    b.codespace = string_field(r, "codespace");
    b.log = string_field(r, "log");
    if (!util::from_hex_into(string_field(r, "hash"), b.hash)) return failed<BroadcastAnswer>(Errc::malformed_response);
    return {std::move(b), {}};
}

Parsed<TxLookup> parse_tx(std::string_view body) {
    const json doc = json::parse(body, nullptr, false);
    const auto env = open(doc);
    if (!env.result) {
        if (env.error == Errc::rpc_error && contains(env.message, "not found"))
            return failed<TxLookup>(Errc::not_found, env.message);
        return failed<TxLookup>(env.error, env.message);
    }
    const json& r = *env.result;
    TxLookup t;
    auto height = u64_field(r, "height");
    auto index = u64_field(r, "index", false);
    auto result = r.find("tx_result");
    if (!height || !index || *index > 0xffffffffu || result == r.end())
        return failed<TxLookup>(Errc::malformed_response);
    auto parsed = tx_result(*result);
    if (!parsed) return failed<TxLookup>(Errc::malformed_response);
    t.height = *height;
    t.index = static_cast<std::uint32_t>(*index);
    t.result = std::move(*parsed);
    return {std::move(t), {}};
}

std::string base64_encode(ByteSpan bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += BASE64[(v >> 18) & 63];
        out += BASE64[(v >> 12) & 63];
        out += BASE64[(v >> 6) & 63];
        out += BASE64[v & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest != 0) {
        std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
        out += BASE64[(v >> 18) & 63];
        out += BASE64[(v >> 12) & 63];
        out += rest == 2 ? BASE64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; ++j) {
            const char c = text[i + static_cast<std::size_t>(j)];
            if (c == '=' && last && j >= 2) {
                v[j] = 0;
                ++pad;
                continue;
            }
            if (pad != 0) return std::nullopt; // data after padding
            v[j] = value(c);
            if (v[j] < 0) return std::nullopt;
        }
        const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                                (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        if (pad < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
        if (pad < 1) out.push_back(static_cast<std::uint8_t>(n));
    }
    return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

} // namespace nym::chain
