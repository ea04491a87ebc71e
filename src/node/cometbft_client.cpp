#include <runtime/http_client.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <node/cometbft_client.hpp>
#include <stdexcept>

namespace nym::node {
namespace {

using json = nlohmann::json;

Unexpected<CometError> malformed(std::string what) {
    return Unexpected(CometError{CometError::Kind::malformed, std::move(what)});
}

/// Standard base64 (CometBFT's []byte fields), padding required.
bool base64_decode(std::string_view in, std::string& out) {
    static constexpr auto TABLE = [] {
        std::array<int, 256> t{};
        t.fill(-1);
        constexpr std::string_view ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (std::size_t i = 0; i < ALPHABET.size(); ++i)
            t[static_cast<unsigned char>(ALPHABET[i])] = static_cast<int>(i);
        return t;
    }();
    if (in.size() % 4 != 0) return false;
    out.clear();
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = in[i + j];
            if (c == '=' && i + 4 == in.size() && j >= 2) {
                v[j] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return false;
            v[j] = TABLE[static_cast<unsigned char>(c)];
            if (v[j] < 0) return false;
        }
        const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                                (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<char>(n >> 16));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
    }
    return true;
}

/// The "result" object of a JSON-RPC answer, or its error.
CometResult<json> result_of(std::string_view body) {
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return malformed("not a JSON object");
    if (auto error = doc.find("error"); error != doc.end() && !error->is_null()) {
        std::string message;
        if (error->is_object()) {
            if (auto m = error->find("message"); m != error->end() && m->is_string()) message = m->get<std::string>();
            if (auto d = error->find("data"); d != error->end() && d->is_string()) {
                message += (message.empty() ? "" : ": ") + d->get<std::string>();
            }
        }
        return Unexpected(CometError{CometError::Kind::rpc, message.empty() ? "(no message)" : message});
    }
    auto result = doc.find("result");
    if (result == doc.end() || !result->is_object()) return malformed("no result object");
    return *result;
}

/// CometBFT prints 64-bit integers as JSON strings and 32-bit ones as numbers; accept both.
bool read_uint(const json& obj, const char* name, std::uint64_t& out, bool required) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return !required;
    if (it->is_number_unsigned()) {
        out = it->get<std::uint64_t>();
        return true;
    }
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) return false;
        try {
            out = std::stoull(s);
        } catch (const std::exception&) {
            return false;
        }
        return true;
    }
    return false;
}

std::string read_string(const json& obj, const char* name) {
    auto it = obj.find(name);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

std::string broadcast_tx_sync_target(std::span<const std::uint8_t> tx) {
    return "/broadcast_tx_sync?tx=0x" + util::to_hex(tx);
}

std::string abci_query_target(std::string_view path, std::span<const std::uint8_t> data) {
    std::string target = "/abci_query?path=%22";
    for (char c : path) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '-' || c == '.' || c == '/';
        if (plain) {
            target.push_back(c);
        } else {
            static constexpr char DIGITS[] = "0123456789ABCDEF";
            const auto b = static_cast<unsigned char>(c);
            target += {'%', DIGITS[b >> 4], DIGITS[b & 0x0f]};
        }
    }
    target += "%22";
    if (!data.empty()) target += "&data=0x" + util::to_hex(data);
    return target;
}

CometResult<BroadcastResult> parse_broadcast_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    BroadcastResult out;
    std::uint64_t code = 0;
    if (!read_uint(*result, "code", code, true) || code > 0xffffffffu) return malformed("broadcast: field 'code'");
    out.code = static_cast<std::uint32_t>(code);
    out.codespace = read_string(*result, "codespace");
    out.log = read_string(*result, "log");
    out.hash = read_string(*result, "hash");
    return out;
}

CometResult<AbciQueryResult> parse_abci_query_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    auto response = result->find("response");
    if (response == result->end() || !response->is_object()) return malformed("abci_query: no response");
    AbciQueryResult out;
    std::uint64_t code = 0;
    if (!read_uint(*response, "code", code, false) || code > 0xffffffffu) return malformed("abci_query: field 'code'");
    out.code = static_cast<std::uint32_t>(code);
    if (!read_uint(*response, "height", out.height, false)) return malformed("abci_query: field 'height'");
    out.codespace = read_string(*response, "codespace");
    out.log = read_string(*response, "log");
    if (!base64_decode(read_string(*response, "value"), out.value)) return malformed("abci_query: value not base64");
    return out;
}

CometResult<CometStatus> parse_status_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    auto node_info = result->find("node_info");
    auto sync = result->find("sync_info");
    if (node_info == result->end() || !node_info->is_object() || sync == result->end() || !sync->is_object()) {
        return malformed("status: no node_info or sync_info");
    }
    CometStatus out;
    out.network = read_string(*node_info, "network");
    if (!read_uint(*sync, "latest_block_height", out.latest_block_height, true)) {
        return malformed("status: field 'latest_block_height'");
    }
    if (auto c = sync->find("catching_up"); c != sync->end() && c->is_boolean()) out.catching_up = c->get<bool>();
    return out;
}

struct CometBftClient::Impl {
    Impl(runtime::Loop& loop, std::vector<runtime::Url> urls, std::chrono::milliseconds timeout)
        : endpoints(std::move(urls)), http(loop, runtime::ClientOptions{timeout, 16 * 1024 * 1024, {}}) {}

    template <class T, class Parse>
    void get(std::string target, Parse parse, Done<T> done) {
        const std::size_t index = current;
        const auto& url = endpoints[index];
        runtime::HttpCall call;
        call.host = url.host;
        call.port = url.port;
        call.tls = url.tls();
        call.target = std::move(target);
        // The HttpClient is a member: its destruction abandons the callback, so `this` outlives it.
        http.request(std::move(call), [impl = this, index, parse, done = std::move(done)](auto result) {
            if (!result) {
                // Move on to the next validator (unless another call already did).
                if (impl->current == index) impl->current = (index + 1) % impl->endpoints.size();
                done(Unexpected(CometError{CometError::Kind::unreachable,
                                           impl->endpoint_text(index) + ": " + result.error().message()}));
                return;
            }
            if (result->status != 200) {
                // CometBFT answers RPC errors with 500 and a JSON-RPC error body: keep its message.
                auto parsed = parse(result->body);
                if (!parsed && parsed.error().kind == CometError::Kind::rpc) {
                    done(Unexpected(parsed.error()));
                    return;
                }
                done(Unexpected(CometError{CometError::Kind::http,
                                           impl->endpoint_text(index) + ": HTTP " + std::to_string(result->status)}));
                return;
            }
            done(parse(result->body));
        });
    }

    std::string endpoint_text(std::size_t index) const {
        const auto& url = endpoints[index];
        return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
    }

    std::vector<runtime::Url> endpoints;
    runtime::HttpClient http;
    std::size_t current = 0;
};

CometBftClient::CometBftClient(runtime::Loop& loop, std::vector<runtime::Url> endpoints,
                               std::chrono::milliseconds timeout) {
    if (endpoints.empty()) throw std::invalid_argument("CometBftClient: no endpoint");
    m_impl = std::make_unique<Impl>(loop, std::move(endpoints), timeout);
}

CometBftClient::~CometBftClient() = default;

void CometBftClient::status(Done<CometStatus> done) {
    m_impl->get<CometStatus>("/status", parse_status_response, std::move(done));
}

void CometBftClient::abci_query(std::string path, std::vector<std::uint8_t> data, Done<AbciQueryResult> done) {
    m_impl->get<AbciQueryResult>(abci_query_target(path, data), parse_abci_query_response, std::move(done));
}

void CometBftClient::broadcast_tx_sync(std::vector<std::uint8_t> tx, Done<BroadcastResult> done) {
    m_impl->get<BroadcastResult>(broadcast_tx_sync_target(tx), parse_broadcast_response, std::move(done));
}

std::string CometBftClient::current_endpoint() const {
    return m_impl->endpoint_text(m_impl->current);
}

} // namespace nym::node
