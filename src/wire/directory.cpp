#include <wire/directory.hpp>

#include <crypto/rng.hpp>
#include <crypto/xeddsa.hpp>

#include <crypto/base58.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <optional>

namespace nym::wire::directory {
namespace {

/// Moves a parsed field into place, or hands back its error for the caller's early return.
template <class T, class U>
std::optional<std::error_code> take(T& field, Expected<U> parsed) {
    if (!parsed) return parsed.error();
    field = std::move(*parsed);
    return std::nullopt;
}

using nlohmann::json;

// ---- canonical encoding: every field is a 4-byte big-endian length followed by its bytes ----

void put_u32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_field(Bytes& out, std::span<const std::uint8_t> bytes) {
    put_u32(out, static_cast<std::uint32_t>(bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
}

void put_field(Bytes& out, std::string_view text) {
    put_field(out, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

void put_u64_field(Bytes& out, std::uint64_t v) {
    std::uint8_t be[8];
    for (std::size_t i = 0; i < 8; ++i) be[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    put_field(out, std::span<const std::uint8_t>(be, 8));
}

void put_count_field(Bytes& out, std::size_t count) {
    std::uint8_t be[4];
    const auto v = static_cast<std::uint32_t>(count);
    for (std::size_t i = 0; i < 4; ++i) be[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
    put_field(out, std::span<const std::uint8_t>(be, 4));
}

// ---- JSON field access, every failure a typed error ----

Expected<json> parse_object(std::string_view text) {
    if (text.size() > MAX_DIRECTORY_MESSAGE_SIZE) return fail(Errc::oversized);
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return fail(Errc::invalid_json);
    return doc;
}

Expected<const json*> member(const json& obj, const char* name) {
    auto it = obj.find(name);
    if (it == obj.end()) return fail(Errc::missing_field);
    return &*it;
}

bool printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
    });
}

Expected<std::string> get_string(const json& obj, const char* name, std::size_t max_length) {
    auto m = member(obj, name);
    if (!m) return Unexpected(m.error());
    if (!(*m)->is_string()) return fail(Errc::wrong_type);
    const auto& s = (*m)->get_ref<const std::string&>();
    if (s.size() > max_length) return fail(Errc::oversized);
    if (!printable(s)) return fail(Errc::invalid_value);
    return s;
}

Expected<std::uint64_t> get_unsigned(const json& value) {
    if (!value.is_number_integer()) return fail(value.is_number() ? Errc::invalid_value : Errc::wrong_type);
    if (!value.is_number_unsigned()) return fail(Errc::invalid_value); // negative
    return value.get<std::uint64_t>();
}

Expected<std::int64_t> get_timestamp(const json& obj, const char* name) {
    auto m = member(obj, name);
    if (!m) return Unexpected(m.error());
    auto v = get_unsigned(**m);
    if (!v) return Unexpected(v.error());
    if (*v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return fail(Errc::invalid_value);
    return static_cast<std::int64_t>(*v);
}

template <class Key, class Decode>
Expected<Key> get_key(const json& obj, const char* name, Decode decode) {
    auto m = member(obj, name);
    if (!m) return Unexpected(m.error());
    if (!(*m)->is_string()) return fail(Errc::wrong_type);
    return decode((*m)->template get_ref<const std::string&>());
}

Expected<crypto::Ed25519Signature> get_signature(const json& obj) {
    auto it = obj.find("signature");
    if (it == obj.end() || it->is_null()) return fail(Errc::unsigned_message);
    if (!it->is_string()) return fail(Errc::wrong_type);
    const auto& text = it->get_ref<const std::string&>();
    if (text.size() > 128) return fail(Errc::invalid_signature_encoding);
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != crypto::ED25519_SIGNATURE_SIZE) return fail(Errc::invalid_signature_encoding);
    crypto::Ed25519Signature sig;
    std::copy(bytes->begin(), bytes->end(), sig.bytes.begin());
    return sig;
}

/// "sphinxKeyProof": absent → std::nullopt (the directory decides whether it is required).
Expected<std::optional<crypto::Ed25519Signature>> get_key_proof(const json& obj) {
    auto it = obj.find("sphinxKeyProof");
    if (it == obj.end()) return std::optional<crypto::Ed25519Signature>{};
    if (!it->is_string()) return fail(Errc::wrong_type);
    const auto& text = it->get_ref<const std::string&>();
    if (text.size() > 128) return fail(Errc::invalid_signature_encoding);
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != crypto::ED25519_SIGNATURE_SIZE) return fail(Errc::invalid_signature_encoding);
    crypto::Ed25519Signature signature;
    std::copy(bytes->begin(), bytes->end(), signature.bytes.begin());
    return std::optional<crypto::Ed25519Signature>(signature);
}

template <std::size_t N>
Expected<std::array<std::uint8_t, N>> decode_key_bytes(std::string_view text) {
    if (text.empty() || text.size() > 64) return fail(Errc::invalid_key);
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != N) return fail(Errc::invalid_key);
    std::array<std::uint8_t, N> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

Expected<std::uint8_t> get_layer(const json& obj) {
    auto m = member(obj, "layer");
    if (!m) return Unexpected(m.error());
    if (!(*m)->is_number()) return fail(Errc::wrong_type);
    if (!(*m)->is_number_integer()) return fail(Errc::invalid_layer);
    if (!(*m)->is_number_unsigned()) return fail(Errc::invalid_layer);
    const auto v = (*m)->get<std::uint64_t>();
    if (v < MIN_LAYER || v > MAX_LAYER) return fail(Errc::invalid_layer);
    return static_cast<std::uint8_t>(v);
}

Expected<std::string> get_host(const json& obj, const char* name) {
    auto s = get_string(obj, name, MAX_HOST_LENGTH);
    if (!s) return s;
    if (auto ok = check_host(*s); !ok) return Unexpected(ok.error());
    return s;
}

Expected<std::string> get_listener(const json& obj, const char* name) {
    auto s = get_string(obj, name, MAX_HOST_LENGTH);
    if (!s) return s;
    if (s->empty() || s->find(' ') != std::string::npos) return fail(Errc::invalid_host);
    return s;
}

// Validates each element with `element` and appends what it returns.
template <class T, class F>
Expected<std::vector<T>> get_array(const json& value, std::size_t max_size, F element) {
    if (value.is_null()) return std::vector<T>{};
    if (!value.is_array()) return fail(Errc::wrong_type);
    if (value.size() > max_size) return fail(Errc::oversized);
    std::vector<T> out;
    out.reserve(value.size());
    for (const auto& e : value) {
        auto r = element(e);
        if (!r) return Unexpected(r.error());
        out.push_back(std::move(*r));
    }
    return out;
}

Expected<crypto::X25519PublicKey> sphinx_key_of(const json& v) {
    if (!v.is_string()) return fail(Errc::wrong_type);
    return x25519_key_from_base58(v.get_ref<const std::string&>());
}

Expected<MixMetric> metric_from(const json& doc) {
    if (!doc.is_object()) return fail(Errc::wrong_type);
    MixMetric m;
    if (auto e = take(m.pub_key,
                        get_key<crypto::X25519PublicKey>(doc, "pubKey", x25519_key_from_base58)))
        return Unexpected(*e);
    auto sent = member(doc, "sent");
    if (!sent) return Unexpected(sent.error());
    if ((*sent)->is_null()) {
        // An idle mix (Go encodes an empty map as null).
    } else if (!(*sent)->is_object()) {
        return fail(Errc::wrong_type);
    } else {
        if ((*sent)->size() > MAX_METRIC_PEERS) return fail(Errc::oversized);
        for (const auto& [host, count] : (*sent)->items()) {
            if (auto ok = check_host(host); !ok) return Unexpected(ok.error());
            auto c = get_unsigned(count);
            if (!c) return Unexpected(c.error());
            m.sent.emplace(host, *c);
        }
    }
    auto received = member(doc, "received");
    if (!received) return Unexpected(received.error());
    if (auto e = take(m.received, get_unsigned(**received))) return Unexpected(*e);
    if (auto e = take(m.timestamp_ms, get_timestamp(doc, "timestamp"))) return Unexpected(*e);
    if (auto e = take(m.signature, get_signature(doc))) return Unexpected(*e);
    return m;
}

json metric_json(const MixMetric& m) {
    json sent = json::object();
    for (const auto& [host, count] : m.sent) sent[host] = count;
    return json{{"pubKey", key_to_base58(m.pub_key)},
                {"sent", std::move(sent)},
                {"received", m.received},
                {"timestamp", m.timestamp_ms},
                {"signature", crypto::base58_encode(m.signature.bytes)}};
}

template <class F>
auto guarded(F body) -> decltype(body()) {
    // nlohmann throws only on misuse (a type check we forgot) or allocation failure; either way the
    // input is refused, never propagated.
    try {
        return body();
    } catch (const std::exception&) {
        return fail(Errc::invalid_value);
    }
}

} // namespace

// ---- helpers ----

std::string key_to_base58(const crypto::Ed25519PublicKey& key) { return crypto::base58_encode(key.bytes); }
std::string key_to_base58(const crypto::X25519PublicKey& key) { return crypto::base58_encode(key.bytes); }

Expected<crypto::Ed25519PublicKey> ed25519_key_from_base58(std::string_view text) {
    auto bytes = decode_key_bytes<crypto::ED25519_PUBLIC_KEY_SIZE>(text);
    if (!bytes) return Unexpected(bytes.error());
    return crypto::Ed25519PublicKey{*bytes};
}

Expected<crypto::X25519PublicKey> x25519_key_from_base58(std::string_view text) {
    auto bytes = decode_key_bytes<crypto::X25519_KEY_SIZE>(text);
    if (!bytes) return Unexpected(bytes.error());
    return crypto::X25519PublicKey{*bytes};
}

Expected<void> check_host(std::string_view host) {
    if (host.size() > MAX_HOST_LENGTH) return fail(Errc::oversized);
    const auto colon = host.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return fail(Errc::invalid_host);
    const auto name = host.substr(0, colon);
    const auto port = host.substr(colon + 1);
    if (!printable(name) || name.find(' ') != std::string_view::npos || name.find('/') != std::string_view::npos)
        return fail(Errc::invalid_host);
    if (port.empty() || port.size() > 5) return fail(Errc::invalid_host);
    std::uint32_t value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return fail(Errc::invalid_host);
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return fail(Errc::invalid_host);
    return {};
}

std::string error_json(std::string_view message) { return json{{"error", std::string(message)}}.dump(); }

// ---- signing ----

Bytes signing_bytes(const MixnodeHeartbeat& h) {
    Bytes out;
    out.reserve(160 + h.host.size() + h.version.size());
    put_field(out, MIXNODE_HEARTBEAT_TAG);
    put_field(out, h.host);
    put_field(out, h.identity_key.bytes);
    put_field(out, h.sphinx_key.bytes);
    const std::uint8_t layer[1] = {h.layer};
    put_field(out, std::span<const std::uint8_t>(layer, 1));
    put_field(out, h.version);
    put_u64_field(out, static_cast<std::uint64_t>(h.timestamp_ms));
    if (h.next_sphinx_key) {
        put_field(out, h.next_sphinx_key->bytes);
        put_u64_field(out, static_cast<std::uint64_t>(h.next_sphinx_key_from_ms.value_or(0)));
    }
    return out;
}

Bytes signing_bytes(const GatewayHeartbeat& h) {
    Bytes out;
    out.reserve(200 + h.host.size() + h.client_listener.size() + h.version.size() + 36 * h.registered_clients.size());
    put_field(out, GATEWAY_HEARTBEAT_TAG);
    put_field(out, h.host);
    put_field(out, h.client_listener);
    put_field(out, h.identity_key.bytes);
    put_field(out, h.sphinx_key.bytes);
    put_field(out, h.version);
    put_u64_field(out, static_cast<std::uint64_t>(h.timestamp_ms));
    put_count_field(out, h.registered_clients.size());
    for (const auto& c : h.registered_clients) put_field(out, c.bytes);
    return out;
}

Bytes signing_bytes(const MixMetric& m) {
    Bytes out;
    put_field(out, MIX_METRIC_TAG);
    put_field(out, m.pub_key.bytes);
    put_count_field(out, m.sent.size());
    for (const auto& [host, count] : m.sent) { // std::map: ascending byte order of the host
        put_field(out, host);
        put_u64_field(out, count);
    }
    put_u64_field(out, m.received);
    put_u64_field(out, static_cast<std::uint64_t>(m.timestamp_ms));
    return out;
}

Bytes sphinx_key_proof_message(const crypto::Ed25519PublicKey& identity, const crypto::X25519PublicKey& sphinx) {
    Bytes out;
    put_field(out, SPHINX_KEY_PROOF_TAG);
    put_field(out, identity.bytes);
    put_field(out, sphinx.bytes);
    return out;
}

namespace {

template <class Heartbeat>
void sign_heartbeat(Heartbeat& h, const crypto::Ed25519SecretKey& identity, const crypto::X25519SecretKey& sphinx) {
    h.signature = identity.sign(signing_bytes(h));
    h.sphinx_key_proof =
        crypto::xeddsa_sign(sphinx, sphinx_key_proof_message(h.identity_key, h.sphinx_key), crypto::system_rng());
}

template <class Heartbeat>
Expected<void> verify_proof(const Heartbeat& h) {
    if (!h.sphinx_key_proof) return fail(Errc::missing_key_proof);
    if (!crypto::xeddsa_verify(h.sphinx_key, sphinx_key_proof_message(h.identity_key, h.sphinx_key),
                               *h.sphinx_key_proof))
        return fail(Errc::bad_key_proof);
    return {};
}

} // namespace

void sign(MixnodeHeartbeat& h, const crypto::Ed25519SecretKey& identity, const crypto::X25519SecretKey& sphinx) {
    sign_heartbeat(h, identity, sphinx);
}
void sign(GatewayHeartbeat& h, const crypto::Ed25519SecretKey& identity, const crypto::X25519SecretKey& sphinx) {
    sign_heartbeat(h, identity, sphinx);
}
Expected<void> verify_key_proof(const MixnodeHeartbeat& h) { return verify_proof(h); }
Expected<void> verify_key_proof(const GatewayHeartbeat& h) { return verify_proof(h); }
void sign(MixMetric& m, const crypto::Ed25519SecretKey& key) { m.signature = key.sign(signing_bytes(m)); }

Expected<void> verify(const MixnodeHeartbeat& h) {
    if (!crypto::ed25519_verify(h.identity_key, signing_bytes(h), h.signature)) return fail(Errc::bad_signature);
    return {};
}

Expected<void> verify(const GatewayHeartbeat& h) {
    if (!crypto::ed25519_verify(h.identity_key, signing_bytes(h), h.signature)) return fail(Errc::bad_signature);
    return {};
}

Expected<void> verify(const MixMetric& m, const crypto::Ed25519PublicKey& identity_key) {
    if (!crypto::ed25519_verify(identity_key, signing_bytes(m), m.signature)) return fail(Errc::bad_signature);
    return {};
}

// ---- parsing ----

Expected<MixnodeHeartbeat> parse_mixnode_heartbeat(std::string_view text) {
    return guarded([&]() -> Expected<MixnodeHeartbeat> {
        auto doc = parse_object(text);
        if (!doc) return Unexpected(doc.error());
        MixnodeHeartbeat h;
        if (auto e = take(h.host, get_host(*doc, "host"))) return Unexpected(*e);
        if (auto e = take(h.identity_key,
                            get_key<crypto::Ed25519PublicKey>(*doc, "identityKey", ed25519_key_from_base58)))
            return Unexpected(*e);
        if (auto e = take(h.sphinx_key,
                            get_key<crypto::X25519PublicKey>(*doc, "sphinxKey", x25519_key_from_base58)))
            return Unexpected(*e);
        if (auto e = take(h.layer, get_layer(*doc))) return Unexpected(*e);
        if (auto e = take(h.version, get_string(*doc, "version", MAX_VERSION_LENGTH))) return Unexpected(*e);
        if (auto e = take(h.timestamp_ms, get_timestamp(*doc, "timestamp"))) return Unexpected(*e);
        if (doc->contains("nextSphinxKey") || doc->contains("nextSphinxKeyFrom")) {
            crypto::X25519PublicKey next;
            std::int64_t from = 0;
            if (auto e = take(next, get_key<crypto::X25519PublicKey>(*doc, "nextSphinxKey", x25519_key_from_base58)))
                return Unexpected(*e);
            if (auto e = take(from, get_timestamp(*doc, "nextSphinxKeyFrom"))) return Unexpected(*e);
            h.next_sphinx_key = next;
            h.next_sphinx_key_from_ms = from;
        }
        if (auto e = take(h.signature, get_signature(*doc))) return Unexpected(*e);
        if (auto e = take(h.sphinx_key_proof, get_key_proof(*doc))) return Unexpected(*e);
        return h;
    });
}

Expected<GatewayHeartbeat> parse_gateway_heartbeat(std::string_view text) {
    return guarded([&]() -> Expected<GatewayHeartbeat> {
        auto doc = parse_object(text);
        if (!doc) return Unexpected(doc.error());
        GatewayHeartbeat h;
        if (auto e = take(h.host, get_host(*doc, "host"))) return Unexpected(*e);
        if (auto e = take(h.client_listener, get_listener(*doc, "clientListener"))) return Unexpected(*e);
        if (auto e = take(h.identity_key,
                            get_key<crypto::Ed25519PublicKey>(*doc, "identityKey", ed25519_key_from_base58)))
            return Unexpected(*e);
        if (auto e = take(h.sphinx_key,
                            get_key<crypto::X25519PublicKey>(*doc, "sphinxKey", x25519_key_from_base58)))
            return Unexpected(*e);
        if (auto e = take(h.version, get_string(*doc, "version", MAX_VERSION_LENGTH))) return Unexpected(*e);
        if (auto e = take(h.timestamp_ms, get_timestamp(*doc, "timestamp"))) return Unexpected(*e);
        auto clients = member(*doc, "registeredClients");
        if (!clients) return Unexpected(clients.error());
        if (auto e = take(h.registered_clients,
                            get_array<crypto::X25519PublicKey>(**clients, MAX_REGISTERED_CLIENTS, sphinx_key_of)))
            return Unexpected(*e);
        if (auto e = take(h.signature, get_signature(*doc))) return Unexpected(*e);
        if (auto e = take(h.sphinx_key_proof, get_key_proof(*doc))) return Unexpected(*e);
        return h;
    });
}

Expected<MixMetric> parse_mix_metric(std::string_view text) {
    return guarded([&]() -> Expected<MixMetric> {
        auto doc = parse_object(text);
        if (!doc) return Unexpected(doc.error());
        return metric_from(*doc);
    });
}

Expected<std::vector<MixMetric>> parse_mix_metrics(std::string_view text) {
    return guarded([&]() -> Expected<std::vector<MixMetric>> {
        json doc = json::parse(text.begin(), text.end(), nullptr, false);
        if (doc.is_discarded()) return fail(Errc::invalid_json);
        return get_array<MixMetric>(doc, MAX_TOPOLOGY_NODES, metric_from);
    });
}

Expected<Topology> parse_topology(std::string_view text) {
    return guarded([&]() -> Expected<Topology> {
        json doc = json::parse(text.begin(), text.end(), nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) return fail(Errc::invalid_json);
        Topology t;
        auto mixes = member(doc, "MixNodes");
        if (!mixes) return Unexpected(mixes.error());
        auto mix_nodes = get_array<TopologyMixNode>(**mixes, MAX_TOPOLOGY_NODES, [](const json& n) -> Expected<TopologyMixNode> {
            if (!n.is_object()) return fail(Errc::wrong_type);
            TopologyMixNode m;
            if (auto e = take(m.host, get_host(n, "host"))) return Unexpected(*e);
            if (auto e = take(m.pub_key,
                                get_key<crypto::X25519PublicKey>(n, "pubKey", x25519_key_from_base58)))
                return Unexpected(*e);
            if (auto e = take(m.layer, get_layer(n))) return Unexpected(*e);
            if (auto e = take(m.last_seen_ns, get_timestamp(n, "lastSeen"))) return Unexpected(*e);
            if (auto e = take(m.identity_key,
                                get_key<crypto::Ed25519PublicKey>(n, "identityKey", ed25519_key_from_base58)))
                return Unexpected(*e);
            if (auto e = take(m.version, get_string(n, "version", MAX_VERSION_LENGTH))) return Unexpected(*e);
            return m;
        });
        if (!mix_nodes) return Unexpected(mix_nodes.error());
        t.mix_nodes = std::move(*mix_nodes);
        auto providers = member(doc, "MixProviderNodes");
        if (!providers) return Unexpected(providers.error());
        auto gateways = get_array<TopologyGateway>(**providers, MAX_TOPOLOGY_NODES, [](const json& n) -> Expected<TopologyGateway> {
            if (!n.is_object()) return fail(Errc::wrong_type);
            TopologyGateway g;
            if (auto e = take(g.host, get_host(n, "host"))) return Unexpected(*e);
            if (auto e = take(g.pub_key,
                                get_key<crypto::X25519PublicKey>(n, "pubKey", x25519_key_from_base58)))
                return Unexpected(*e);
            auto clients = member(n, "registeredClients");
            if (!clients) return Unexpected(clients.error());
            auto keys = get_array<crypto::X25519PublicKey>(**clients, MAX_REGISTERED_CLIENTS, [](const json& c) -> Expected<crypto::X25519PublicKey> {
                if (!c.is_object()) return fail(Errc::wrong_type);
                return get_key<crypto::X25519PublicKey>(c, "pubKey", x25519_key_from_base58);
            });
            if (!keys) return Unexpected(keys.error());
            g.registered_clients = std::move(*keys);
            if (auto e = take(g.last_seen_ns, get_timestamp(n, "lastSeen"))) return Unexpected(*e);
            if (auto e = take(g.client_listener, get_listener(n, "clientListener"))) return Unexpected(*e);
            if (auto e = take(g.identity_key,
                                get_key<crypto::Ed25519PublicKey>(n, "identityKey", ed25519_key_from_base58)))
                return Unexpected(*e);
            if (auto e = take(g.version, get_string(n, "version", MAX_VERSION_LENGTH))) return Unexpected(*e);
            return g;
        });
        if (!gateways) return Unexpected(gateways.error());
        t.gateways = std::move(*gateways);
        return t;
    });
}

// ---- serialization ----

std::string to_json(const MixnodeHeartbeat& h) {
    json j{{"host", h.host},
           {"identityKey", key_to_base58(h.identity_key)},
           {"sphinxKey", key_to_base58(h.sphinx_key)},
           {"layer", h.layer},
           {"version", h.version},
           {"timestamp", h.timestamp_ms},
           {"signature", crypto::base58_encode(h.signature.bytes)}};
    if (h.next_sphinx_key) {
        j["nextSphinxKey"] = key_to_base58(*h.next_sphinx_key);
        j["nextSphinxKeyFrom"] = h.next_sphinx_key_from_ms.value_or(0);
    }
    if (h.sphinx_key_proof) j["sphinxKeyProof"] = crypto::base58_encode(h.sphinx_key_proof->bytes);
    return j.dump();
}

std::string to_json(const GatewayHeartbeat& h) {
    json clients = json::array();
    for (const auto& c : h.registered_clients) clients.push_back(key_to_base58(c));
    json doc{{"host", h.host},
                {"clientListener", h.client_listener},
                {"identityKey", key_to_base58(h.identity_key)},
                {"sphinxKey", key_to_base58(h.sphinx_key)},
                {"version", h.version},
                {"timestamp", h.timestamp_ms},
                {"registeredClients", std::move(clients)},
                {"signature", crypto::base58_encode(h.signature.bytes)}};
    if (h.sphinx_key_proof) doc["sphinxKeyProof"] = crypto::base58_encode(h.sphinx_key_proof->bytes);
    return doc.dump();
}

std::string to_json(const MixMetric& m) { return metric_json(m).dump(); }

std::string to_json(const std::vector<MixMetric>& metrics) {
    json out = json::array();
    for (const auto& m : metrics) out.push_back(metric_json(m));
    return out.dump();
}

std::string to_json(const Topology& t) {
    json mixes = json::array();
    for (const auto& m : t.mix_nodes) {
        mixes.push_back(json{{"host", m.host},
                             {"pubKey", key_to_base58(m.pub_key)},
                             {"layer", m.layer},
                             {"lastSeen", m.last_seen_ns},
                             {"identityKey", key_to_base58(m.identity_key)},
                             {"version", m.version}});
    }
    json gateways = json::array();
    for (const auto& g : t.gateways) {
        json clients = json::array();
        for (const auto& c : g.registered_clients) clients.push_back(json{{"pubKey", key_to_base58(c)}});
        gateways.push_back(json{{"host", g.host},
                                {"pubKey", key_to_base58(g.pub_key)},
                                {"registeredClients", std::move(clients)},
                                {"lastSeen", g.last_seen_ns},
                                {"clientListener", g.client_listener},
                                {"identityKey", key_to_base58(g.identity_key)},
                                {"version", g.version}});
    }
    return json{{"MixNodes", std::move(mixes)}, {"MixProviderNodes", std::move(gateways)}}.dump();
}

} // namespace nym::wire::directory
