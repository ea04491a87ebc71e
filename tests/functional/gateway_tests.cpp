// The whole mixnet on loopback: a real nym-directory, three real nym-mixnode processes (one per
// layer) and a real nym-gateway. The test is the client: it registers over the gateway's websocket,
// builds Sphinx packets for itself with the sphinx library (route L1, L2, L3, gateway) and sends them
// through the gateway; they cross the three layers, are stored at the gateway and pushed back.
#include <crypto/base58.hpp>
#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <gateway/final_hop.hpp>
#include <runtime/blocking.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <wire/directory.hpp>
#include <wire/framing.hpp>
#include <wire/gateway_protocol.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "process.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
namespace wg = wire::gateway;

// ---- plain POSIX sockets for the mix port (the test must not depend on the code under test) ----

int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const Bytes& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool send_to(std::uint16_t port, const Bytes& bytes) {
    const int fd = connect_loopback(port);
    if (fd < 0) return false;
    const bool ok = write_all(fd, bytes);
    ::close(fd);
    return ok;
}

/// A whole HTTP/1.1 exchange on a fresh connection, headers included ("" if it fails).
std::string raw_http_get(const char* ip, std::uint16_t port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, ip, &addr.sin_addr);
    std::string response;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (write_all(fd, Bytes(request.begin(), request.end()))) {
            char buffer[4096];
            pollfd pfd{fd, POLLIN, 0};
            while (::poll(&pfd, 1, 5000) > 0) {
                const auto n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                response.append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return response;
}

std::uint16_t free_port_in_use_by(int& fd) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) return 0;
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

/// A number member of /api/stats, by name (every name in that document is unique).
std::optional<std::uint64_t> stat(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":";
    const auto at = json.find(key);
    if (at == std::string::npos) return std::nullopt;
    std::size_t pos = at + key.size();
    std::uint64_t value = 0;
    bool any = false;
    while (pos < json.size() && json[pos] >= '0' && json[pos] <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(json[pos] - '0');
        ++pos;
        any = true;
    }
    return any ? std::optional<std::uint64_t>(value) : std::nullopt;
}

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

struct Mix {
    std::optional<Process> process;
    std::uint16_t port = 0;
    crypto::X25519PublicKey sphinx_key;
};

/// The value after "<prefix>" on one of the next lines of `p` (init output).
std::string value_after(Process& p, const std::string& prefix) {
    for (int i = 0; i < 12; ++i) {
        auto line = p.read_line(10s);
        if (!line) return {};
        const auto at = line->find(prefix);
        if (at == std::string::npos) continue;
        auto value = line->substr(at + prefix.size());
        value.erase(0, value.find_first_not_of(' '));
        return value;
    }
    return {};
}

/// The client side of the gateway protocol over a real websocket.
class TestClient {
public:
    explicit TestClient(std::uint64_t seed) : m_rng(seed), m_identity(crypto::Ed25519SecretKey::generate(m_rng)) {}

    const crypto::Ed25519PublicKey& address() const { return m_public; }

    bool connect(std::uint16_t port) {
        m_ws.reset();
        m_channel.reset();
        auto ws = runtime::WsClient::connect("127.0.0.1", port, "/", 5s);
        if (!ws) return false;
        m_ws.emplace(std::move(*ws));
        return true;
    }
    void disconnect() {
        if (m_ws) m_ws->close();
        m_ws.reset();
        m_channel.reset();
    }
    /// A message to the gateway; after the handshake, sealed with the session MAC.
    bool send(const wg::Message& message) {
        const Bytes bytes = wg::serialize(message);
        return send_raw(m_channel ? m_channel->seal(bytes) : bytes);
    }
    /// Bytes as they are: what an on-path relay could inject.
    bool send_raw(const Bytes& bytes) { return m_ws && m_ws->send_binary(bytes, 5s).has_value(); }
    /// The next gateway message, or std::nullopt (timeout, close, or not binary / not parseable /
    /// failing the session MAC).
    std::optional<wg::Message> read(std::chrono::milliseconds timeout = 10s) {
        if (!m_ws) return std::nullopt;
        auto m = m_ws->read_message(timeout);
        if (!m || !m->binary) return std::nullopt;
        Bytes bytes(m->data.begin(), m->data.end());
        if (m_channel) {
            auto opened = m_channel->open(bytes);
            if (!opened) return std::nullopt;
            bytes = std::move(*opened);
        }
        auto parsed = wg::parse_message(bytes);
        if (!parsed) return std::nullopt;
        return std::move(*parsed);
    }

    bool register_with(const crypto::Ed25519PublicKey& gateway) {
        const auto eph = crypto::X25519KeyPair::generate(m_rng);
        const auto request = wg::make_register_request(m_identity, gateway, eph.public_key, unix_now() + m_clock++);
        if (!send(wg::Message{request})) return false;
        auto reply = read();
        if (!reply || !std::holds_alternative<wg::RegisterResponse>(*reply)) return false;
        const auto& response = std::get<wg::RegisterResponse>(*reply);
        auto key = wg::finish_registration(gateway, request, eph.secret, response);
        if (!key) return false;
        const Bytes full = wg::response_transcript(
            wg::register_transcript(gateway, request.client_identity, request.client_ephemeral, request.timestamp),
            response.gateway_ephemeral);
        m_channel.emplace(wg::Side::client, *key, wg::registration_session_transcript(full));
        m_key = std::move(*key);
        return true;
    }
    /// The AuthenticateRequest frame of a fresh authentication (timestamps grow, as the gateway requires).
    Bytes authenticate_frame(const crypto::Ed25519PublicKey& gateway) {
        std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
        m_rng.fill(nonce);
        m_last_auth = std::max(unix_now(), m_last_auth + 1);
        m_pending_auth = wg::make_authenticate_request(*m_key, gateway, m_public, m_last_auth, nonce);
        return wg::serialize(wg::Message{*m_pending_auth});
    }
    bool authenticate_with(const crypto::Ed25519PublicKey& gateway) {
        if (!m_key) return false;
        if (!send_raw(authenticate_frame(gateway))) return false;
        auto reply = read();
        if (!reply || !std::holds_alternative<wg::AuthenticateResponse>(*reply) ||
            std::get<wg::AuthenticateResponse>(*reply).status != wg::AuthStatus::ok)
            return false;
        m_channel.emplace(wg::Side::client, *m_key, wg::authentication_session_transcript(*m_pending_auth));
        return true;
    }
    /// Reads until a Deliver whose message is `text` arrives (acknowledging every Deliver seen);
    /// the ids of all Delivers read.
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout, bool ack = true,
                  std::vector<std::string>* seen = nullptr) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            auto m = read(std::max(left, 1ms));
            if (!m) return false;
            const auto* d = std::get_if<wg::Deliver>(&*m);
            if (d == nullptr) continue;
            const std::string got(d->message.begin(), d->message.end());
            if (seen != nullptr) seen->push_back(got);
            if (ack) send(wg::Message{wg::Ack{{d->id}}});
            if (got == text) return true;
        }
        return false;
    }

    crypto::DeterministicRng& rng() { return m_rng; }

private:
    crypto::DeterministicRng m_rng;
    crypto::Ed25519SecretKey m_identity;
    crypto::Ed25519PublicKey m_public = m_identity.public_key();
    std::optional<wg::SharedKey> m_key;
    std::optional<runtime::WsClient> m_ws;
    std::optional<wg::SessionChannel> m_channel;          // after a handshake
    std::optional<wg::AuthenticateRequest> m_pending_auth;
    std::uint64_t m_clock = 0;     // registrations must carry strictly newer timestamps
    std::uint64_t m_last_auth = 0; // and authentications too
};

class GatewayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_root = std::filesystem::temp_directory_path() / ("nym-gateway-functional-" + std::to_string(::getpid()));
        std::filesystem::remove_all(s_root);
        s_dir = new DirectoryProcess();
        s_dir->launch({"--presence-timeout", "2s"});
        if (s_dir->port == 0) return;
        s_directory = "http://127.0.0.1:" + std::to_string(s_dir->port);
        for (int layer = 1; layer <= 3; ++layer) {
            Mix& mix = s_mixes[static_cast<std::size_t>(layer - 1)];
            const std::string id = "mix" + std::to_string(layer);
            auto init = Process::start(NYM_MIXNODE_BIN,
                                       {"init", "--id", id, "--layer", std::to_string(layer), "--host", "127.0.0.1",
                                        "--port", "1789", "--directory", s_directory, "--root",
                                        (s_root / "mixnodes").string()});
            if (!init) return;
            auto key = wire::directory::x25519_key_from_base58(value_after(*init, "sphinx key (x25519):"));
            if (init->wait(10s) != 0 || !key) return;
            mix.sphinx_key = *key;
            auto run = Process::start(NYM_MIXNODE_BIN, {"run", "--id", id, "--root", (s_root / "mixnodes").string(),
                                                        "--port", "0", "--max-delay", "50ms", "--heartbeat-interval",
                                                        "300ms", "--log-level", "error"});
            if (!run) return;
            mix.process.emplace(std::move(*run));
            auto line = mix.process->read_line(10s);
            if (!line) return;
            const auto at = line->find("127.0.0.1:");
            if (at == std::string::npos) return;
            mix.port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
        }
        auto init = Process::start(NYM_GATEWAY_BIN, {"init", "--id", "gw", "--host", "127.0.0.1", "--directory",
                                                     s_directory, "--root", (s_root / "gateways").string()});
        if (!init) return;
        auto identity = wire::directory::ed25519_key_from_base58(value_after(*init, "identity key (ed25519):"));
        auto sphinx_key = wire::directory::x25519_key_from_base58(value_after(*init, "sphinx key (x25519):"));
        if (init->wait(10s) != 0 || !identity || !sphinx_key) return;
        s_gateway_identity = *identity;
        s_gateway_sphinx = *sphinx_key;
        start_gateway();
    }
    static void TearDownTestSuite() {
        if (s_gateway) {
            EXPECT_EQ(s_gateway->stop(SIGTERM, 10s), 0) << "the gateway did not stop cleanly on SIGTERM";
            s_gateway.reset();
        }
        for (auto& mix : s_mixes) mix.process.reset();
        delete s_dir;
        std::filesystem::remove_all(s_root);
    }

    /// Runs the gateway on fresh ports; returns false (ports 0) if it did not come up.
    static bool start_gateway() {
        s_mix_port = s_clients_port = s_admin_port = 0;
        auto run = Process::start(NYM_GATEWAY_BIN, {"run", "--id", "gw", "--root", (s_root / "gateways").string(),
                                                    "--mix-port", "0", "--clients-port", "0", "--admin-port", "0",
                                                    "--heartbeat-interval", "300ms", "--log-level", "error"});
        if (!run) return false;
        s_gateway.emplace(std::move(*run));
        auto line = s_gateway->read_line(10s);
        if (!line) return false;
        // "nym-gateway listening on mix 127.0.0.1:P, clients ws://127.0.0.1:Q"
        const std::string mix_prefix = "nym-gateway listening on mix 127.0.0.1:";
        const std::string clients_prefix = ", clients ws://127.0.0.1:";
        if (line->rfind(mix_prefix, 0) != 0) return false;
        const auto c = line->find(clients_prefix);
        if (c == std::string::npos) return false;
        s_mix_port = static_cast<std::uint16_t>(std::stoul(line->substr(mix_prefix.size())));
        s_clients_port = static_cast<std::uint16_t>(std::stoul(line->substr(c + clients_prefix.size())));
        // "nym-gateway admin on http://127.0.0.1:R (GET /api/stats)"
        auto admin = s_gateway->read_line(10s);
        const std::string admin_prefix = "nym-gateway admin on http://127.0.0.1:";
        if (!admin || admin->rfind(admin_prefix, 0) != 0) return false;
        s_admin_port = static_cast<std::uint16_t>(std::stoul(admin->substr(admin_prefix.size())));
        return true;
    }

    void SetUp() override {
        ASSERT_NE(s_dir->port, 0) << "nym-directory did not start";
        for (auto& mix : s_mixes) ASSERT_NE(mix.port, 0) << "a mix node did not start";
        ASSERT_NE(s_clients_port, 0) << "nym-gateway did not start: "
                                     << (s_gateway ? s_gateway->drain_stderr() : std::string("(no process)"));
    }

    static std::string stats() {
        auto r = runtime::http_request("127.0.0.1", s_clients_port, "GET", "/api/stats");
        return r && r->status == 200 ? r->body : std::string();
    }
    /// The admin listener's document: the same counters plus per-client detail.
    static std::string admin_stats() {
        auto r = runtime::http_request("127.0.0.1", s_admin_port, "GET", "/api/stats");
        return r && r->status == 200 ? r->body : std::string();
    }
    static std::uint64_t stat_now(const std::string& name) { return stat(stats(), name).value_or(0); }
    /// Polls /api/stats until `name` reaches at least `value`.
    static bool wait_stat(const std::string& name, std::uint64_t value, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (stat_now(name) >= value) return true;
            std::this_thread::sleep_for(20ms);
        }
        return stat_now(name) >= value;
    }

    static sphinx::RouteNode mix_node(std::size_t i) {
        return {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, s_mixes[i].port)),
                s_mixes[i].sphinx_key};
    }
    static sphinx::RouteNode gateway_node() {
        return {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, s_mix_port)), s_gateway_sphinx};
    }
    static sphinx::DestinationAddress destination(const TestClient& client) {
        sphinx::DestinationAddress d;
        d.bytes = client.address().bytes;
        return d;
    }

    /// A packet for `client` with a SURB-ack. `full_route`: L1, L2, L3, gateway; else the gateway alone.
    static Bytes make_packet(TestClient& client, const std::string& message, const std::string& ack_message,
                             bool full_route = true) {
        std::vector<sphinx::RouteNode> route;
        if (full_route)
            for (std::size_t i = 0; i < 3; ++i) route.push_back(mix_node(i));
        route.push_back(gateway_node());
        const std::vector<sphinx::Delay> delays(route.size(), sphinx::Delay::from_duration(5ms));
        // The SURB-ack: an ack-sized packet back to the client through all three layers.
        std::vector<sphinx::RouteNode> ack_route{mix_node(0), mix_node(1), mix_node(2), gateway_node()};
        const std::vector<sphinx::Delay> ack_delays(4, sphinx::Delay::from_duration(5ms));
        const Bytes ack_text(ack_message.begin(), ack_message.end());
        auto ack = sphinx::build_packet(ack_route, ack_delays, destination(client), sphinx::SurbIdentifier{}, ack_text,
                                        sphinx::payload_size(sphinx::PacketSize::ack), client.rng());
        EXPECT_TRUE(ack);
        Bytes plaintext;
        const auto first_hop = ack_route.front().address;
        plaintext.insert(plaintext.end(), first_hop.bytes.begin(),
                         first_hop.bytes.begin() + gateway::ACK_FIRST_HOP_SIZE);
        plaintext.insert(plaintext.end(), ack->begin(), ack->end());
        plaintext.insert(plaintext.end(), message.begin(), message.end());
        auto packet = sphinx::build_packet(route, delays, destination(client), sphinx::SurbIdentifier{}, plaintext,
                                           sphinx::payload_size(sphinx::PacketSize::regular), client.rng());
        EXPECT_TRUE(packet);
        return *packet;
    }
    static wg::Message send_packet(const Bytes& packet) {
        wg::SendPacket send;
        send.first_hop = mix_node(0).address;
        send.packet = packet;
        return wg::Message{send};
    }
    static Bytes framed(const Bytes& packet) { return wire::encode_frame(packet).value(); }

    static inline std::filesystem::path s_root;
    static inline DirectoryProcess* s_dir = nullptr;
    static inline std::string s_directory;
    static inline std::array<Mix, 3> s_mixes;
    static inline std::optional<Process> s_gateway;
    static inline std::uint16_t s_mix_port = 0;
    static inline std::uint16_t s_clients_port = 0;
    static inline std::uint16_t s_admin_port = 0;
    static inline crypto::Ed25519PublicKey s_gateway_identity;
    static inline crypto::X25519PublicKey s_gateway_sphinx;
};

TEST_F(GatewayTest, PacketCrossesThreeLayersToTheClientAndItsAckComesBack) {
    TestClient client(1);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const auto before_forwarded = stat_now("packets_forwarded");

    ASSERT_TRUE(client.send(send_packet(make_packet(client, "hello through three layers", "ack:1"))));
    std::vector<std::string> seen;
    ASSERT_TRUE(client.wait_for("hello through three layers", 10s, true, &seen));
    // The gateway stored the message, THEN sent its SURB-ack into layer 1; the ack crossed the three
    // layers back to this gateway and is delivered to its recipient (this client) too.
    if (std::find(seen.begin(), seen.end(), "ack:1") == seen.end()) {
        ASSERT_TRUE(client.wait_for("ack:1", 10s, true, &seen));
    }
    EXPECT_GE(stat_now("acks_forwarded"), 1u);
    EXPECT_GE(stat_now("packets_forwarded"), before_forwarded + 2); // the packet and its ack
    EXPECT_TRUE(wait_stat("acked", 2, 5s));

    const std::string s = stats();
    const std::string me = crypto::base58_encode(client.address().bytes);
    const std::string admin = admin_stats();
    EXPECT_NE(admin.find("\"" + me + "\":{\"packets_sent\":1}"), std::string::npos) << admin;
    for (const char* key : {"packets_from_clients", "packets_forwarded", "stored", "delivered", "acked",
                            "framing_errors", "replayed", "bad_mac"})
        EXPECT_TRUE(stat(s, key).has_value()) << key << " missing from " << s;
}

TEST_F(GatewayTest, StoredMessageIsPushedPromptlyToAConnectedClient) {
    TestClient client(2);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    // Straight to the gateway's mix port (the gateway is the only hop): no mix delay in the way.
    const Bytes frame = framed(make_packet(client, "prompt", "ack:2", false));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(send_to(s_mix_port, frame));
    ASSERT_TRUE(client.wait_for("prompt", 5s));
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    // One fsync plus two hops on loopback; generous for a loaded 2-core CI box and sanitizer builds.
    EXPECT_LT(elapsed, 500ms);
    std::printf("[ info ] unwrap + durable store + push took %lld ms\n", static_cast<long long>(elapsed.count()));
}

TEST_F(GatewayTest, ReplayedPacketIsDroppedAndCounted) {
    TestClient client(3);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const auto replayed_before = stat_now("replayed");
    const auto stored_before = stat_now("stored");
    const Bytes frame = framed(make_packet(client, "only once", "ack:3", false));
    Bytes twice = frame;
    twice.insert(twice.end(), frame.begin(), frame.end());
    ASSERT_TRUE(send_to(s_mix_port, twice)); // same connection
    ASSERT_TRUE(send_to(s_mix_port, frame)); // and another
    ASSERT_TRUE(client.wait_for("only once", 5s));
    ASSERT_TRUE(wait_stat("replayed", replayed_before + 2, 5s));
    // The message was stored once; the only other message for this client is its SURB-ack, which
    // comes back through the three layers. No second copy of the message is ever delivered.
    std::vector<std::string> seen;
    ASSERT_TRUE(client.wait_for("ack:3", 10s, true, &seen));
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "only once"), 0);
    EXPECT_GE(stat_now("stored"), stored_before + 2);
}

TEST_F(GatewayTest, PublicStatsAreAggregateOnlyAndPerClientDetailStaysOnTheAdminListener) {
    TestClient client(12);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    ASSERT_TRUE(client.send(send_packet(make_packet(client, "counted", "ack:12"))));
    const std::string me = crypto::base58_encode(client.address().bytes);
    ASSERT_TRUE(wait_stat("packets_from_clients", 1, 5s));

    // The client port: counts, but not who uses this gateway.
    const std::string pub = stats();
    EXPECT_TRUE(stat(pub, "packets_from_clients").has_value()) << pub;
    EXPECT_EQ(pub.find(me), std::string::npos) << pub;
    EXPECT_EQ(pub.find("\"clients\""), std::string::npos) << pub;
    EXPECT_EQ(pub.find("packets_sent"), std::string::npos) << pub;

    // The admin listener: the detail, without a CORS header (no web page may read it)...
    const std::string raw = raw_http_get("127.0.0.1", s_admin_port, "/api/stats");
    ASSERT_NE(raw.find("200 OK"), std::string::npos) << raw;
    EXPECT_NE(raw.find(me), std::string::npos) << raw;
    std::string lower = raw.substr(0, raw.find("\r\n\r\n"));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_EQ(lower.find("access-control-allow-origin"), std::string::npos) << raw;
    // ...and on 127.0.0.1 only.
    EXPECT_TRUE(raw_http_get("127.0.0.2", s_admin_port, "/api/stats").empty());
}

TEST_F(GatewayTest, ClientAppearsInTheTopologyUnderItsGateway) {
    TestClient client(4);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    bool found = false;
    std::string body;
    while (!found && std::chrono::steady_clock::now() < deadline) {
        auto r = runtime::http_request("127.0.0.1", s_dir->port, "GET", "/api/presence/topology");
        ASSERT_TRUE(r);
        body = r->body;
        auto topology = wire::directory::parse_topology(r->body);
        ASSERT_TRUE(topology) << r->body;
        for (const auto& g : topology->gateways) {
            if (g.host != "127.0.0.1:" + std::to_string(s_mix_port)) continue;
            EXPECT_EQ(g.pub_key, s_gateway_sphinx);
            EXPECT_EQ(g.client_listener, "ws://127.0.0.1:" + std::to_string(s_clients_port));
            for (const auto& c : g.registered_clients) found = found || c.bytes == client.address().bytes;
        }
        if (!found) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(found) << body;
}

TEST_F(GatewayTest, ForgedGatewayHeartbeatIsRefused) {
    // Claims the gateway's identity and a new host, signed by somebody else's key.
    crypto::DeterministicRng rng(77);
    const auto intruder = crypto::Ed25519SecretKey::generate(rng);
    wire::directory::GatewayHeartbeat hb;
    hb.host = "127.0.0.1:1";
    hb.client_listener = "ws://127.0.0.1:2";
    hb.identity_key = s_gateway_identity;
    hb.sphinx_key = s_gateway_sphinx;
    hb.version = "0.1.0";
    hb.timestamp_ms = static_cast<std::int64_t>(unix_now()) * 1000 + 60'000;
    wire::directory::sign(hb, intruder, crypto::X25519SecretKey::generate(rng)); // cannot prove the real key either
    auto r = runtime::http_request("127.0.0.1", s_dir->port, "POST", "/api/presence/gateways", wire::directory::to_json(hb));
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400u);
    EXPECT_LT(r->status, 500u);
    std::this_thread::sleep_for(400ms); // a real heartbeat in between
    auto t = runtime::http_request("127.0.0.1", s_dir->port, "GET", "/api/presence/topology");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->body.find("127.0.0.1:1\""), std::string::npos) << t->body;
}

TEST_F(GatewayTest, GarbageIsRejectedAndCountedWhileValidTrafficFlows) {
    TestClient client(5);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const std::string before = stats();
    const auto dropped_before = stat(before, "bad_mac").value_or(0) + stat(before, "invalid_packet").value_or(0) +
                                stat(before, "ingress_overflow").value_or(0);
    const auto framing_before = stat(before, "framing_errors").value_or(0);

    crypto::DeterministicRng rng(99);
    std::size_t well_framed = 0;
    std::size_t broken = 0;
    // 9,000 well-framed frames of random bytes (bad MAC / malformed), ack- and regular-sized, on 45
    // connections; a valid packet travels through the mixnet in the middle of the flood.
    for (int c = 0; c < 45; ++c) {
        Bytes bytes;
        for (int i = 0; i < 200; ++i) {
            Bytes packet(sphinx::packet_size(i % 4 == 0 ? sphinx::PacketSize::regular : sphinx::PacketSize::ack));
            rng.fill(packet);
            const Bytes frame = framed(packet);
            bytes.insert(bytes.end(), frame.begin(), frame.end());
            ++well_framed;
        }
        ASSERT_TRUE(send_to(s_mix_port, bytes));
        if (c == 20) {
            ASSERT_TRUE(client.send(send_packet(make_packet(client, "through the flood", "ack:5"))));
        }
    }
    // 1,000 connections that break the framing: bad version / size tag / type, or a frame cut short.
    for (int c = 0; c < 1000; ++c) {
        Bytes bytes;
        switch (c % 4) {
        case 0: bytes = {1, 1, 0}; break;                             // Nym 0.7-era unversioned frame
        case 1: bytes = {wire::CURRENT_FRAME_VERSION, 9, 0}; break;   // unknown packet size
        case 2: bytes = {wire::CURRENT_FRAME_VERSION, 1, 2}; break;   // outfox
        default: {                                                    // truncated
            Bytes packet(sphinx::packet_size(sphinx::PacketSize::ack));
            rng.fill(packet);
            bytes = framed(packet);
            bytes.resize(1 + rng.next_u64() % (bytes.size() - 1));
        }
        }
        ASSERT_TRUE(send_to(s_mix_port, bytes));
        ++broken;
    }
    EXPECT_EQ(well_framed + broken, 10'000u);
    // A flood beyond the ingress bound may drop the valid packet too (counted, no SURB-ack): the
    // sender's retransmission then gets through, as a real client's would.
    bool through = client.wait_for("through the flood", 4s);
    for (int retry = 0; retry < 2 && !through; ++retry) {
        ASSERT_TRUE(client.connect(s_clients_port));
        ASSERT_TRUE(client.authenticate_with(s_gateway_identity));
        ASSERT_TRUE(client.send(send_packet(make_packet(client, "through the flood", "ack:5"))));
        through = client.wait_for("through the flood", 4s);
    }
    EXPECT_TRUE(through);

    // Every garbage frame is accounted for: dropped (bad MAC, malformed or ingress overflow) or a
    // framing error; none was stored.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::string after;
    std::uint64_t dropped = 0;
    std::uint64_t framing = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        after = stats();
        dropped = stat(after, "bad_mac").value_or(0) + stat(after, "invalid_packet").value_or(0) +
                  stat(after, "ingress_overflow").value_or(0) - dropped_before;
        framing = stat(after, "framing_errors").value_or(0) - framing_before;
        if (dropped >= well_framed && framing >= broken) break;
        std::this_thread::sleep_for(50ms);
    }
    // At most the valid packets themselves (two tries and their acks) may have been dropped as well.
    EXPECT_GE(dropped, well_framed) << after;
    EXPECT_LE(dropped, well_framed + 6) << after;
    EXPECT_EQ(framing, broken) << after;

    // The client websocket: 300 connections each sending one bad frame (unknown type, truncated
    // register, text, request before authentication) are refused and counted; the gateway goes on.
    const auto client_errors_before = stat(after, "client_errors").value_or(0);
    for (int c = 0; c < 300; ++c) {
        auto ws = runtime::WsClient::connect("127.0.0.1", s_clients_port, "/", 5s);
        ASSERT_TRUE(ws);
        Bytes bytes(1 + rng.next_u64() % 200);
        rng.fill(bytes);
        switch (c % 4) {
        case 0: bytes[0] = 0x55; break;                                                // unknown type
        case 1: bytes[0] = static_cast<std::uint8_t>(wg::MessageType::register_request); break; // truncated
        case 2: bytes[0] = static_cast<std::uint8_t>(wg::MessageType::ack); break;    // before auth
        default: break;
        }
        if (c % 4 == 3) {
            ASSERT_TRUE(ws->send("not binary", 5s));
        } else {
            ASSERT_TRUE(ws->send_binary(bytes, 5s));
        }
        // The gateway answers with an Error and closes.
        auto reply = ws->read_message(5s);
        ASSERT_TRUE(reply) << "connection " << c;
        ASSERT_TRUE(reply->binary);
        EXPECT_EQ(static_cast<std::uint8_t>(reply->data.at(0)), static_cast<std::uint8_t>(wg::MessageType::error));
    }
    EXPECT_TRUE(wait_stat("client_errors", client_errors_before + 300, 5s)) << stats();
    ASSERT_TRUE(client.send(send_packet(make_packet(client, "after the garbage", "ack:6"))));
    EXPECT_TRUE(client.wait_for("after the garbage", 10s));
    std::printf("[ info ] stats after the garbage: %s\n", stats().c_str());
}

TEST_F(GatewayTest, FirstHopOutsideTheTopologyIsRefusedAndNeverConnected) {
    TestClient client(8);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    // A port we listen on ourselves: if the gateway forwarded there, it would connect.
    int listener = -1;
    const std::uint16_t trap = free_port_in_use_by(listener);
    ASSERT_NE(trap, 0);
    const auto refused_before = stat_now("unknown_first_hop");
    const auto from_clients_before = stat_now("packets_from_clients");

    wg::SendPacket send;
    send.first_hop = sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, trap));
    send.packet = make_packet(client, "to nowhere", "ack:8a");
    ASSERT_TRUE(client.send(wg::Message{send}));
    auto reply = client.read(5s);
    ASSERT_TRUE(reply);
    ASSERT_TRUE(std::holds_alternative<wg::ErrorMessage>(*reply));
    EXPECT_EQ(std::get<wg::ErrorMessage>(*reply).code, wg::ErrorCode::invalid_packet);
    EXPECT_NE(std::get<wg::ErrorMessage>(*reply).text.find("layer-1"), std::string::npos);
    EXPECT_TRUE(wait_stat("unknown_first_hop", refused_before + 1, 5s)) << stats();
    EXPECT_EQ(stat_now("packets_from_clients"), from_clients_before);

    // Nothing connects to the trap within a second.
    pollfd pfd{listener, POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 1000), 0) << "the gateway connected to a first hop outside the topology";
    ::close(listener);

    // The same session goes on: a packet to the real layer-1 node goes through the mixnet.
    ASSERT_TRUE(client.send(send_packet(make_packet(client, "to layer 1", "ack:8b"))));
    EXPECT_TRUE(client.wait_for("to layer 1", 10s));
    EXPECT_EQ(stat_now("unknown_first_hop"), refused_before + 1);
}

TEST_F(GatewayTest, SigkillBetweenStoreAndDeliveryLosesNothing) {
    TestClient client(6);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    // One message delivered but never acknowledged (nor its SURB-ack, which comes back too)...
    ASSERT_TRUE(send_to(s_mix_port, framed(make_packet(client, "delivered, not acked", "ack:7a", false))));
    ASSERT_TRUE(client.wait_for("delivered, not acked", 5s, false));
    ASSERT_TRUE(client.wait_for("ack:7a", 10s, false));
    client.disconnect();

    // ...and one stored while the client is away, sent by another client through the whole mixnet.
    // It is ack-sized (stored whole, no SURB-ack), so once every packet still travelling from earlier
    // tests has landed, the next increment of "stored" is this message.
    std::uint64_t stored_before = stat_now("stored");
    for (int i = 0; i < 20; ++i) {
        std::this_thread::sleep_for(300ms); // mix delays are capped at 50 ms per hop
        const auto now = stat_now("stored");
        if (now == stored_before) break;
        stored_before = now;
    }
    TestClient sender(7);
    ASSERT_TRUE(sender.connect(s_clients_port));
    ASSERT_TRUE(sender.register_with(s_gateway_identity));
    const std::vector<sphinx::RouteNode> route{mix_node(0), mix_node(1), mix_node(2), gateway_node()};
    const std::vector<sphinx::Delay> delays(4, sphinx::Delay::from_duration(5ms));
    const std::string text = "stored, undelivered"; // fits an ack packet's 21-byte plaintext
    auto packet = sphinx::build_packet(route, delays, destination(client), sphinx::SurbIdentifier{},
                                       Bytes(text.begin(), text.end()),
                                       sphinx::payload_size(sphinx::PacketSize::ack), sender.rng());
    ASSERT_TRUE(packet);
    ASSERT_TRUE(sender.send(send_packet(*packet)));
    ASSERT_TRUE(wait_stat("stored", stored_before + 1, 10s));
    sender.disconnect();

    // Killed between store and delivery; restarted (on new ports).
    ASSERT_EQ(s_gateway->stop(SIGKILL, 5s), 128 + SIGKILL);
    s_gateway.reset();
    ASSERT_TRUE(start_gateway()) << "the gateway did not restart";

    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.authenticate_with(s_gateway_identity));
    std::vector<std::string> seen;
    auto has = [&seen](const std::string& t) { return std::find(seen.begin(), seen.end(), t) != seen.end(); };
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!(has("delivered, not acked") && has("ack:7a") && has(text)) && std::chrono::steady_clock::now() < deadline)
        if (!client.wait_for(text, 10s, true, &seen)) break;
    EXPECT_TRUE(has("delivered, not acked"));
    EXPECT_TRUE(has("ack:7a"));
    EXPECT_TRUE(has(text));
}

TEST_F(GatewayTest, PacketReplayedAfterARestartIsDroppedAndCounted) {
    TestClient client(9);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const std::string text = "once, even across a restart";
    const Bytes frame = framed(make_packet(client, text, "ack:9", false));
    ASSERT_TRUE(send_to(s_mix_port, frame));
    ASSERT_TRUE(client.wait_for(text, 5s)); // delivered and acknowledged
    client.disconnect();

    // A clean restart empties every in-memory cache; the same bytes arrive again.
    ASSERT_EQ(s_gateway->stop(SIGTERM, 10s), 0);
    s_gateway.reset();
    ASSERT_TRUE(start_gateway()) << "the gateway did not restart";
    ASSERT_TRUE(send_to(s_mix_port, frame));
    EXPECT_TRUE(wait_stat("replayed", 1, 5s)) << stats();
    // Not stored again: the client, back, never sees a second copy.
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.authenticate_with(s_gateway_identity));
    std::vector<std::string> seen;
    (void)client.wait_for(text, 2s, true, &seen);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), text), 0);
}

TEST_F(GatewayTest, AnAuthenticationReplayedAfterARestartIsRefused) {
    TestClient client(10);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    client.disconnect();
    // A relay records an authentication...
    ASSERT_TRUE(client.connect(s_clients_port));
    const Bytes recorded = client.authenticate_frame(s_gateway_identity);
    ASSERT_TRUE(client.send_raw(recorded));
    auto accepted = client.read(5s);
    ASSERT_TRUE(accepted && std::holds_alternative<wg::AuthenticateResponse>(*accepted));
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(*accepted).status, wg::AuthStatus::ok);
    client.disconnect();

    // ...and replays it after the gateway restarted (every in-memory nonce is gone by then).
    ASSERT_EQ(s_gateway->stop(SIGTERM, 10s), 0);
    s_gateway.reset();
    ASSERT_TRUE(start_gateway()) << "the gateway did not restart";
    auto relay = runtime::WsClient::connect("127.0.0.1", s_clients_port, "/", 5s);
    ASSERT_TRUE(relay);
    ASSERT_TRUE(relay->send_binary(recorded, 5s));
    std::vector<wg::Message> replies;
    for (int i = 0; i < 2; ++i) {
        auto m = relay->read_message(5s);
        if (!m) break;
        auto parsed = wg::parse_message(Bytes(m->data.begin(), m->data.end()));
        if (parsed) replies.push_back(*parsed);
    }
    ASSERT_EQ(replies.size(), 2u);
    ASSERT_TRUE(std::holds_alternative<wg::AuthenticateResponse>(replies[0]));
    EXPECT_EQ(std::get<wg::AuthenticateResponse>(replies[0]).status, wg::AuthStatus::refused);
    ASSERT_TRUE(std::holds_alternative<wg::ErrorMessage>(replies[1]));
    EXPECT_EQ(std::get<wg::ErrorMessage>(replies[1]).code, wg::ErrorCode::replayed_nonce);

    // The client itself authenticates with a newer timestamp, as always.
    ASSERT_TRUE(client.connect(s_clients_port));
    EXPECT_TRUE(client.authenticate_with(s_gateway_identity));
}

TEST_F(GatewayTest, AnInjectedAckDeletesNothing) {
    TestClient client(11);
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.register_with(s_gateway_identity));
    const std::string text = "not deleted by a stranger";
    ASSERT_TRUE(send_to(s_mix_port, framed(make_packet(client, text, "ack:11", false))));
    std::uint64_t id = 0;
    for (int i = 0; i < 10 && id == 0; ++i) {
        auto m = client.read(5s);
        ASSERT_TRUE(m);
        if (const auto* d = std::get_if<wg::Deliver>(&*m); d && std::string(d->message.begin(), d->message.end()) == text)
            id = d->id;
    }
    ASSERT_NE(id, 0u);
    // An Ack without the session MAC, as an on-path relay would write it: the gateway refuses it
    // (Error{invalid_mac}, under the session MAC, so the real client learns why) and deletes nothing.
    ASSERT_TRUE(client.send_raw(wg::serialize(wg::Message{wg::Ack{{id}}})));
    std::optional<wg::ErrorMessage> error;
    for (int i = 0; i < 10 && !error; ++i) {
        auto m = client.read(5s);
        if (!m) break;
        if (const auto* e = std::get_if<wg::ErrorMessage>(&*m)) error = *e;
    }
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, wg::ErrorCode::invalid_mac);
    client.disconnect();
    ASSERT_TRUE(client.connect(s_clients_port));
    ASSERT_TRUE(client.authenticate_with(s_gateway_identity));
    EXPECT_TRUE(client.wait_for(text, 5s)); // still stored, delivered again
}

TEST_F(GatewayTest, GatewayThatStopsHeartbeatingLeavesTheTopology) {
    auto gateway_listed = [] {
        auto r = runtime::http_request("127.0.0.1", s_dir->port, "GET", "/api/presence/topology");
        if (!r) return false;
        auto topology = wire::directory::parse_topology(r->body);
        if (!topology) return false;
        for (const auto& g : topology->gateways)
            if (g.pub_key == s_gateway_sphinx) return true;
        return false;
    };
    auto wait_until = [](auto predicate, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (predicate()) return true;
            std::this_thread::sleep_for(100ms);
        }
        return predicate();
    };
    ASSERT_TRUE(wait_until(gateway_listed, 5s));
    ::kill(s_gateway->pid(), SIGSTOP); // frozen: no heartbeats (the directory's timeout is 2 s)
    EXPECT_TRUE(wait_until([&] { return !gateway_listed(); }, 8s));
    ::kill(s_gateway->pid(), SIGCONT);
    EXPECT_TRUE(wait_until(gateway_listed, 5s));
}

// ---- gateways of their own: a test's own settings, no directory (its topology fetch fails, which a
// gateway survives) ----

class OwnGateway {
public:
    OwnGateway(const std::string& name, const std::vector<std::pair<std::string, std::string>>& settings) {
        m_root = std::filesystem::temp_directory_path() / ("nym-gateway-" + name + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(m_root);
        auto init = Process::start(NYM_GATEWAY_BIN, {"init", "--id", "g", "--host", "127.0.0.1", "--directory",
                                                     "http://127.0.0.1:1", "--root", m_root.string()});
        if (!init) return;
        auto id = wire::directory::ed25519_key_from_base58(value_after(*init, "identity key (ed25519):"));
        if (init->wait(10s) != 0 || !id) return;
        identity = *id;
        // Each setting replaces the line "<key> = ..." that `init` wrote.
        const auto config = m_root / "g" / "config" / "config.toml";
        std::ifstream in(config);
        std::ostringstream read;
        read << in.rdbuf();
        std::string text = read.str();
        for (const auto& [key, value] : settings) {
            const auto at = text.find("\n" + key + " = ");
            if (at == std::string::npos) return;
            const auto end = text.find('\n', at + 1);
            text.replace(at + 1, end - at - 1, key + " = " + value);
        }
        std::ofstream(config, std::ios::trunc) << text;
        m_ready = true;
    }
    ~OwnGateway() {
        process.reset();
        std::filesystem::remove_all(m_root);
    }
    OwnGateway(const OwnGateway&) = delete;
    OwnGateway& operator=(const OwnGateway&) = delete;

    [[nodiscard]] const std::filesystem::path& root() const { return m_root; }
    [[nodiscard]] std::filesystem::path database() const { return m_root / "g" / "data" / "messages.sqlite"; }

    /// Starts `run`; false if it did not print its listening line.
    bool start() {
        if (!m_ready) return false;
        auto run = Process::start(NYM_GATEWAY_BIN, {"run", "--id", "g", "--root", m_root.string(), "--mix-port", "0",
                                                    "--clients-port", "0", "--log-level", "error"});
        if (!run) return false;
        process.emplace(std::move(*run));
        auto line = process->read_line(10s);
        if (!line) return false;
        const std::string mix_prefix = "nym-gateway listening on mix 127.0.0.1:";
        const std::string clients_prefix = ", clients ws://127.0.0.1:";
        const auto c = line->find(clients_prefix);
        if (line->rfind(mix_prefix, 0) != 0 || c == std::string::npos) return false;
        mix_port = static_cast<std::uint16_t>(std::stoul(line->substr(mix_prefix.size())));
        clients_port = static_cast<std::uint16_t>(std::stoul(line->substr(c + clients_prefix.size())));
        return true;
    }
    /// `run` with the given root, to its exit: the exit status and stderr.
    std::pair<std::optional<int>, std::string> run_to_exit() {
        auto p = Process::start(NYM_GATEWAY_BIN, {"run", "--id", "g", "--root", m_root.string(), "--mix-port", "0",
                                                  "--clients-port", "0"});
        if (!p) return {std::nullopt, {}};
        auto status = p->wait(10s);
        return {status, p->drain_stderr()};
    }
    std::string stats() const {
        auto r = runtime::http_request("127.0.0.1", clients_port, "GET", "/api/stats");
        return r && r->status == 200 ? r->body : std::string();
    }

    std::optional<Process> process;
    std::uint16_t mix_port = 0;
    std::uint16_t clients_port = 0;
    crypto::Ed25519PublicKey identity;

private:
    std::filesystem::path m_root;
    bool m_ready = false;
};

TEST(GatewayStore, ACorruptMessageStoreIsRefusedAtStartWithOneClearLine) {
    OwnGateway gateway("corrupt", {});
    const auto db = gateway.database();
    ASSERT_TRUE(std::filesystem::exists(db));
    const auto size = std::filesystem::file_size(db);
    ASSERT_GT(size, 4096u);
    {
        // Garbage over every page but the first (the header and the schema's root stay readable).
        std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(4096);
        const std::string junk(static_cast<std::size_t>(size) - 4096, '\x5a');
        file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto [status, err] = gateway.run_to_exit();
    EXPECT_EQ(status, 1) << err;
    EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
    EXPECT_NE(err.find(db.string()), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(GatewayStore, BelowTheFreeSpaceReserveRegistrationsAreRefusedAndCounted) {
    // A reserve larger than any disk: the gateway runs, but writes nothing new and says so.
    OwnGateway gateway("reserve", {{"min_free_bytes", "4611686018427387904"}});
    ASSERT_TRUE(gateway.start());
    TestClient client(31);
    ASSERT_TRUE(client.connect(gateway.clients_port));
    EXPECT_FALSE(client.register_with(gateway.identity));
    const std::string s = gateway.stats();
    EXPECT_GE(stat(s, "store_failures").value_or(0), 1u) << s;
    EXPECT_EQ(gateway.process->stop(SIGTERM, 10s), 0);
}

TEST(GatewayClients, AConnectionThatNeverAuthenticatesIsClosedAfterTheDeadline) {
    OwnGateway gateway("deadline", {{"authentication_timeout_secs", "1"}});
    ASSERT_TRUE(gateway.start());
    const auto start = std::chrono::steady_clock::now();
    auto idle = runtime::WsClient::connect("127.0.0.1", gateway.clients_port, "/", 5s);
    ASSERT_TRUE(idle);
    auto m = idle->read_message(5s); // sends nothing; the gateway says why and closes
    ASSERT_TRUE(m);
    auto error = wg::parse_message(Bytes(m->data.begin(), m->data.end()));
    ASSERT_TRUE(error && std::holds_alternative<wg::ErrorMessage>(*error));
    EXPECT_EQ(std::get<wg::ErrorMessage>(*error).code, wg::ErrorCode::not_authenticated);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3500ms);
    EXPECT_FALSE(idle->read_message(2s)); // closed
    EXPECT_GE(stat(gateway.stats(), "auth_timeouts").value_or(0), 1u) << gateway.stats();
    // A client that authenticates in time stays.
    TestClient client(32);
    ASSERT_TRUE(client.connect(gateway.clients_port));
    ASSERT_TRUE(client.register_with(gateway.identity));
    std::this_thread::sleep_for(2s);
    ASSERT_TRUE(client.send(wg::Message{wg::Ping{7}}));
    auto pong = client.read(5s);
    ASSERT_TRUE(pong && std::holds_alternative<wg::Pong>(*pong));
}

TEST(GatewayClients, ClientConnectionsPerIpAreCapped) {
    OwnGateway gateway("per-ip", {{"max_connections_per_ip", "3"}});
    ASSERT_TRUE(gateway.start());
    std::vector<runtime::WsClient> open;
    for (int i = 0; i < 3; ++i) {
        auto ws = runtime::WsClient::connect("127.0.0.1", gateway.clients_port, "/", 5s);
        ASSERT_TRUE(ws) << "connection " << i;
        open.push_back(std::move(*ws));
    }
    EXPECT_FALSE(runtime::WsClient::connect("127.0.0.1", gateway.clients_port, "/", 5s)); // refused (403)
    EXPECT_GE(stat(gateway.stats(), "connections_refused").value_or(0), 1u) << gateway.stats();
    // One goes: a slot comes back.
    open.front().close();
    bool accepted = false;
    for (int i = 0; i < 40 && !accepted; ++i) {
        std::this_thread::sleep_for(50ms);
        accepted = runtime::WsClient::connect("127.0.0.1", gateway.clients_port, "/", 5s).has_value();
    }
    EXPECT_TRUE(accepted);
}

TEST(GatewayClients, RegistrationsAreRateLimitedPerAddress) {
    OwnGateway gateway("registrations", {{"registrations_per_minute_per_ip", "2"}});
    ASSERT_TRUE(gateway.start());
    std::vector<std::unique_ptr<TestClient>> clients;
    int registered = 0;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<TestClient>(40 + static_cast<std::uint64_t>(i)));
        ASSERT_TRUE(clients.back()->connect(gateway.clients_port));
        if (clients.back()->register_with(gateway.identity)) ++registered;
    }
    EXPECT_EQ(registered, 2);
    EXPECT_EQ(stat(gateway.stats(), "registrations_refused").value_or(0), 1u) << gateway.stats();
}

TEST(GatewayClients, RegistrationsNeverUsedExpire) {
    OwnGateway gateway("unused", {{"unused_registration_ttl_secs", "1"}, {"cleanup_interval_secs", "1"}});
    ASSERT_TRUE(gateway.start());
    TestClient once(50), returning(51);
    ASSERT_TRUE(once.connect(gateway.clients_port));
    ASSERT_TRUE(once.register_with(gateway.identity));
    once.disconnect();
    ASSERT_TRUE(returning.connect(gateway.clients_port));
    ASSERT_TRUE(returning.register_with(gateway.identity));
    returning.disconnect();
    ASSERT_TRUE(returning.connect(gateway.clients_port));
    ASSERT_TRUE(returning.authenticate_with(gateway.identity)); // used: kept
    returning.disconnect();
    // The registration that was never used goes with the next sweeps; the other one stays.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (stat(gateway.stats(), "registrations_expired").value_or(0) < 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(200ms);
    EXPECT_EQ(stat(gateway.stats(), "registrations_expired").value_or(0), 1u) << gateway.stats();
    ASSERT_TRUE(once.connect(gateway.clients_port));
    EXPECT_FALSE(once.authenticate_with(gateway.identity)); // unknown_client now
    ASSERT_TRUE(returning.connect(gateway.clients_port));
    EXPECT_TRUE(returning.authenticate_with(gateway.identity));
}

// ---- command-line errors: one clear line, exit 1 ----

TEST(GatewayCli, UnknownIdFailsWithOneClearLine) {
    const auto root = std::filesystem::temp_directory_path() / ("nym-gateway-cli-" + std::to_string(::getpid()));
    auto p = Process::start(NYM_GATEWAY_BIN, {"run", "--id", "nobody", "--root", root.string()});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->wait(10s), 1);
    const std::string err = p->drain_stderr();
    EXPECT_NE(err.find("nobody"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(GatewayCli, PortInUseFailsWithOneClearLine) {
    const auto root = std::filesystem::temp_directory_path() / ("nym-gateway-cli2-" + std::to_string(::getpid()));
    auto init = Process::start(NYM_GATEWAY_BIN, {"init", "--id", "g", "--host", "127.0.0.1", "--root", root.string()});
    ASSERT_TRUE(init);
    ASSERT_EQ(init->wait(10s), 0);
    int fd = -1;
    const std::uint16_t busy = free_port_in_use_by(fd);
    ASSERT_NE(busy, 0);
    auto p = Process::start(NYM_GATEWAY_BIN, {"run", "--id", "g", "--root", root.string(), "--mix-port",
                                              std::to_string(busy), "--clients-port", "0"});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->wait(10s), 1);
    const std::string err = p->drain_stderr();
    ::close(fd);
    std::filesystem::remove_all(root);
    EXPECT_NE(err.find(std::to_string(busy)), std::string::npos) << err;
    EXPECT_NE(err.find("in use"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

} // namespace
} // namespace nym::functional
