// nym-client on a real local mixnet: a nym-directory, real nym-mixnode processes in three layers,
// real nym-gateway processes and real nym-client processes, all on loopback in a temporary folder.
// The tests speak only the clients' public websocket API (seed 003's JSON) and the gateways'
// /api/stats, as an application and an operator would.
//
// Each test starts its own small mixnet (ctest runs every test in its own process); a failing test
// keeps its folder and prints the tail of every component's log.
#include <runtime/blocking.hpp>
#include <wire/client_api_tcp.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ifaddrs.h>
#include <map>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "process.hpp"

#ifndef NYM_NODE_BIN
#define NYM_NODE_BIN ""
#endif

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* LOOPBACK = "127.0.0.1";

/// The client settings of every test unless it says otherwise: 10 ms mean per hop, a main Poisson
/// stream every 10 ms and a loop-cover packet every 100 ms (means), topology refreshed every 2 s so a
/// dead mix node leaves the routes quickly, API requests up to 2 MiB.
const std::vector<std::string> FAST_CLIENT = {
    "--packet-delay",     "10ms", "--ack-delay",        "10ms",    "--send-delay", "10ms", "--loop-delay", "100ms",
    "--topology-refresh", "2s",   "--max-request-size", "2097152", "--log-level",  "info"};

struct NetOptions {
    int mixes_per_layer = 1;
    int gateways = 1;
    std::vector<std::string> clients = {"alice", "bob"};
    std::vector<std::string> client_flags = FAST_CLIENT;
    std::map<std::string, std::vector<std::string>> extra_flags; ///< per client, after client_flags
};

struct Component {
    std::string name;
    std::optional<Process> process;
    fs::path log;
    std::uint16_t port = 0; ///< mix port (mix nodes), client websocket port (gateways), API port (clients)
    std::string identity;   ///< gateways: base58 Ed25519 identity
    std::string address;    ///< clients: identity@gateway
    std::string gateway;    ///< clients: the gateway's name
};

/// The port after `marker` in `line` ("...127.0.0.1:4242..." with marker "127.0.0.1:").
std::uint16_t port_after(const std::string& line, const std::string& marker) {
    const auto at = line.find(marker);
    if (at == std::string::npos) return 0;
    std::size_t pos = at + marker.size();
    unsigned value = 0;
    bool any = false;
    while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9' && value < 65536) {
        value = value * 10 + static_cast<unsigned>(line[pos] - '0');
        ++pos;
        any = true;
    }
    return any && value < 65536 ? static_cast<std::uint16_t>(value) : 0;
}

std::string tail(const fs::path& file, std::size_t lines) {
    std::ifstream in(file);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);) all.push_back(line);
    std::string out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
    return out;
}

/// A mixnet in a temporary folder: directory, 3 layers of mix nodes, gateways, clients.
class LocalNet {
public:
    explicit LocalNet(NetOptions options) : m_options(std::move(options)) {
        char templ[] = "/tmp/nym-client-test-XXXXXX";
        if (mkdtemp(templ) != nullptr) m_dir = templ;
    }
    LocalNet(const LocalNet&) = delete;
    LocalNet& operator=(const LocalNet&) = delete;

    ~LocalNet() {
        const bool failed = ::testing::Test::HasFailure() || !m_error.empty();
        const bool keep = failed || std::getenv("NYM_KEEP_TEST_DIR") != nullptr; // for a look at the logs
        // Clients first, so nothing is left sending into stopped nodes.
        for (auto* group : {&m_clients, &m_gateways, &m_mixes}) {
            for (auto& c : *group) {
                if (c.process && !c.process->stop(SIGTERM, 5s)) c.process->stop(SIGKILL, 3s);
            }
        }
        m_directory.process.reset();
        if (m_dir.empty()) return;
        if (keep) std::fprintf(stderr, "--- mixnet folder kept: %s\n", m_dir.c_str());
        if (failed) {
            std::error_code ec;
            for (const auto& entry : fs::directory_iterator(m_dir / "logs", ec)) {
                std::fprintf(stderr, "--- %s (last lines)\n%s", entry.path().filename().c_str(),
                             tail(entry.path(), 25).c_str());
            }
        }
        if (!keep) {
            std::error_code ec;
            fs::remove_all(m_dir, ec);
        }
    }

    /// Brings everything up; false with error() set when some part did not come up.
    bool start() {
        if (m_dir.empty()) return fail("cannot create a temporary folder");
        fs::create_directories(m_dir / "logs");
        return start_directory() && start_nodes() && wait_for_topology() && start_clients();
    }
    const std::string& error() const { return m_error; }

    std::string directory_url() const { return "http://127.0.0.1:" + std::to_string(m_directory.port); }
    Component& client(const std::string& name) { return find(m_clients, name); }
    Component& gateway(const std::string& name) { return find(m_gateways, name); }
    Component& mix(int layer, int index) {
        return find(m_mixes, "mix-" + std::to_string(layer) + "-" + std::to_string(index));
    }
    const fs::path& dir() const { return m_dir; }

private:
    bool fail(std::string message) {
        m_error = std::move(message);
        return false;
    }

    static Component& find(std::vector<Component>& group, const std::string& name) {
        for (auto& c : group)
            if (c.name == name) return c;
        throw std::runtime_error("no component " + name);
    }

    fs::path log_of(const std::string& name) const { return m_dir / "logs" / (name + ".log"); }

    /// Runs a short command (init) to completion; its stdout lines, or std::nullopt on failure.
    std::optional<std::vector<std::string>> run_once(const std::string& name, const std::string& binary,
                                                     const std::vector<std::string>& args) {
        auto p = Process::start_logged(binary, args, log_of(name).string());
        if (!p) {
            fail("cannot start " + binary);
            return std::nullopt;
        }
        std::vector<std::string> lines;
        while (auto line = p->read_line(30s)) lines.push_back(*line);
        const auto status = p->wait(10s);
        if (!status || *status != 0) {
            std::string out;
            for (const auto& l : lines) out += l + "\n";
            fail(name + ": " + binary + " " + args.front() + " failed (status " +
                 (status ? std::to_string(*status) : std::string("none")) + ")\n" + out + tail(log_of(name), 10));
            return std::nullopt;
        }
        return lines;
    }

    /// Starts a daemon and waits for its "listening" line on stdout.
    bool launch(Component& c, const std::string& binary, const std::vector<std::string>& args) {
        c.log = log_of(c.name);
        auto p = Process::start_logged(binary, args, c.log.string());
        if (!p) return fail("cannot start " + binary);
        c.process.emplace(std::move(*p));
        return true;
    }

    bool read_listening(Component& c, const std::string& prefix, std::string& line_out) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto line = c.process->read_line(1s);
            if (line && line->rfind(prefix, 0) == 0) {
                line_out = *line;
                return true;
            }
            if (!line && c.process->wait(0ms)) break;
        }
        return fail(c.name + " did not print '" + prefix + "'\n" + tail(c.log, 15));
    }

    bool start_directory() {
        m_directory.name = "directory";
        std::string line;
        if (!launch(m_directory, NYM_DIRECTORY_BIN,
                    {"--host", LOOPBACK, "--port", "0", "--presence-timeout", "4s", "--log-level", "info"}))
            return false;
        if (!read_listening(m_directory, "nym-directory listening on", line)) return false;
        m_directory.port = port_after(line, "127.0.0.1:");
        return m_directory.port != 0 || fail("no directory port in: " + line);
    }

    bool start_nodes() {
        const std::string mix_root = (m_dir / "mixnodes").string();
        const std::string gateway_root = (m_dir / "gateways").string();
        std::string line;
        for (int layer = 1; layer <= 3; ++layer) {
            for (int i = 1; i <= m_options.mixes_per_layer; ++i) {
                Component c;
                c.name = "mix-" + std::to_string(layer) + "-" + std::to_string(i);
                if (!run_once(c.name, NYM_MIXNODE_BIN,
                              {"init", "--id", c.name, "--layer", std::to_string(layer), "--host", LOOPBACK, "--port",
                               "1789", "--directory", directory_url(), "--root", mix_root}))
                    return false;
                if (!launch(c, NYM_MIXNODE_BIN,
                            {"run", "--id", c.name, "--root", mix_root, "--port", "0", "--workers", "1", "--max-delay",
                             "10s", "--heartbeat-interval", "1s", "--log-level", "info"}))
                    return false;
                m_mixes.push_back(std::move(c));
            }
        }
        for (int i = 1; i <= m_options.gateways; ++i) {
            Component c;
            c.name = "gateway-" + std::to_string(i);
            auto lines = run_once(c.name, NYM_GATEWAY_BIN,
                                  {"init", "--id", c.name, "--host", LOOPBACK, "--mix-port", "1790", "--clients-port",
                                   "9000", "--directory", directory_url(), "--root", gateway_root});
            if (!lines) return false;
            for (const auto& l : *lines) {
                if (l.find("identity key (ed25519):") != std::string::npos)
                    c.identity = l.substr(l.find_last_of(' ') + 1);
            }
            if (c.identity.empty()) return fail(c.name + ": init printed no identity key");
            if (!launch(c, NYM_GATEWAY_BIN,
                        {"run", "--id", c.name, "--root", gateway_root, "--mix-port", "0", "--clients-port", "0",
                         "--heartbeat-interval", "1s", "--log-level", "info"}))
                return false;
            m_gateways.push_back(std::move(c));
        }
        for (auto& c : m_mixes) {
            if (!read_listening(c, "nym-mixnode listening on", line)) return false;
            c.port = port_after(line, "127.0.0.1:");
        }
        for (auto& c : m_gateways) {
            // "nym-gateway listening on mix 127.0.0.1:P, clients ws://127.0.0.1:Q"
            if (!read_listening(c, "nym-gateway listening on", line)) return false;
            c.port = port_after(line, "ws://127.0.0.1:");
            if (c.port == 0) return fail("no clients port in: " + line);
        }
        return true;
    }

    bool wait_for_topology() {
        const std::size_t mixes = m_mixes.size();
        const std::size_t gateways = m_gateways.size();
        std::string last;
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = runtime::http_request(LOOPBACK, m_directory.port, "GET", "/api/presence/topology");
            if (r && r->status == 200) {
                last = r->body;
                const auto t = json::parse(r->body, nullptr, false);
                if (t.is_object() && t.value("MixNodes", json::array()).size() >= mixes &&
                    t.value("MixProviderNodes", json::array()).size() >= gateways)
                    return true;
            }
            std::this_thread::sleep_for(100ms);
        }
        return fail("the topology does not list every node: " + last);
    }

    bool start_clients() {
        const std::string root = (m_dir / "clients").string();
        std::string line;
        std::size_t index = 0;
        for (const auto& name : m_options.clients) {
            Component c;
            c.name = name;
            c.gateway = m_gateways[index++ % m_gateways.size()].name;
            auto lines = run_once(name, NYM_CLIENT_BIN,
                                  {"init", "--id", name, "--directory", directory_url(), "--gateway",
                                   gateway(c.gateway).identity, "--port", "0", "--root", root});
            if (!lines) return false;
            std::vector<std::string> args = {"run", "--id", name, "--root", root, "--port", "0"};
            args.insert(args.end(), m_options.client_flags.begin(), m_options.client_flags.end());
            if (auto extra = m_options.extra_flags.find(name); extra != m_options.extra_flags.end())
                args.insert(args.end(), extra->second.begin(), extra->second.end());
            if (!launch(c, NYM_CLIENT_BIN, args)) return false;
            m_clients.push_back(std::move(c));
        }
        for (auto& c : m_clients) {
            // "nym-client listening on ws://127.0.0.1:<port>/mix, address <address>" (tcp://... for TCP)
            if (!read_listening(c, "nym-client listening on", line)) return false;
            c.port = port_after(line, "ws://127.0.0.1:");
            if (c.port == 0) c.port = port_after(line, "tcp://127.0.0.1:");
            const auto at = line.find("address ");
            if (c.port == 0 || at == std::string::npos) return fail("unexpected line: " + line);
            c.address = line.substr(at + 8);
        }
        return true;
    }

    NetOptions m_options;
    fs::path m_dir;
    std::string m_error;
    Component m_directory;
    std::vector<Component> m_mixes;
    std::vector<Component> m_gateways;
    std::vector<Component> m_clients;
};

/// One websocket connection to a client's API; every request gets exactly one answer (no subscribe).
class Api {
public:
    static std::optional<Api> connect(std::uint16_t port) {
        auto ws = runtime::WsClient::connect(LOOPBACK, port, "/mix", 5s);
        if (!ws) return std::nullopt;
        return Api(std::move(*ws));
    }

    std::optional<json> request(const json& body, std::chrono::milliseconds timeout = 10s) {
        return request_text(body.dump(), timeout);
    }
    std::optional<json> request_text(std::string_view text, std::chrono::milliseconds timeout = 10s) {
        if (!m_ws.send(text, timeout)) return std::nullopt;
        return read(timeout);
    }
    std::optional<json> request_binary(const std::vector<std::uint8_t>& data, std::chrono::milliseconds timeout = 10s) {
        if (!m_ws.send_binary(data, timeout)) return std::nullopt;
        return read(timeout);
    }
    /// The next answer as JSON (binary answers are not JSON: std::nullopt).
    std::optional<json> read(std::chrono::milliseconds timeout) {
        auto m = m_ws.read_message(timeout);
        if (!m || m->binary) return std::nullopt;
        auto parsed = json::parse(m->data, nullptr, false);
        if (parsed.is_discarded()) return std::nullopt;
        return parsed;
    }

    std::optional<std::string> own_address() {
        auto r = request({{"type", "ownDetails"}});
        if (!r || r->value("type", "") != "ownDetails" || !(*r)["address"].is_string()) return std::nullopt;
        return (*r)["address"].get<std::string>();
    }
    bool send(const std::string& message, const std::string& recipient) {
        auto r = request({{"type", "send"}, {"message", message}, {"recipient_address", recipient}}, 30s);
        return r && *r == json{{"type", "send"}};
    }
    /// One fetch: the messages, or std::nullopt if the answer is not a fetch answer.
    std::optional<std::vector<std::string>> fetch() {
        auto r = request({{"type", "fetch"}}, 30s);
        if (!r || r->value("type", "") != "fetch" || !(*r)["messages"].is_array()) return std::nullopt;
        return (*r)["messages"].get<std::vector<std::string>>();
    }

private:
    explicit Api(runtime::WsClient ws) : m_ws(std::move(ws)) {}
    runtime::WsClient m_ws;
};

/// Fetches repeatedly, accumulating, until `done(all)` holds or `timeout` passes.
template <class Done>
std::vector<std::string> fetch_until(Api& api, Done done, std::chrono::milliseconds timeout) {
    std::vector<std::string> all;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto got = api.fetch();
        if (!got) break;
        all.insert(all.end(), got->begin(), got->end());
        if (done(all)) break;
        std::this_thread::sleep_for(100ms);
    }
    return all;
}

std::optional<std::uint64_t> packets_sent(std::uint16_t gateway_port, const std::string& client_identity) {
    auto r = runtime::http_request(LOOPBACK, gateway_port, "GET", "/api/stats");
    if (!r || r->status != 200) return std::nullopt;
    const auto stats = json::parse(r->body, nullptr, false);
    // The client port's /api/stats has aggregate counts only; carol is this gateway's only client.
    (void)client_identity;
    if (!stats.is_object() || !stats.contains("packets_from_clients")) return std::nullopt;
    const auto& n = stats["packets_from_clients"];
    if (!n.is_number_unsigned()) return std::nullopt;
    return n.get<std::uint64_t>();
}

std::string identity_of(const std::string& address) {
    return address.substr(0, address.find('@'));
}

/// A printable payload of `size` bytes that is not all one character (so a corrupted or reordered
/// chunk would be noticed).
std::string payload(std::size_t size, unsigned seed) {
    std::string s(size, ' ');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>('!' + x % 90);
    }
    return s;
}

// ---- a) alice -> bob -------------------------------------------------------------------------------

TEST(ClientNet, AliceToBobThroughTheMixnet) {
    NetOptions options;
    options.gateways = 2;
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    auto alice = Api::connect(net.client("alice").port);
    auto bob = Api::connect(net.client("bob").port);
    ASSERT_TRUE(alice && bob);

    const auto bob_address = bob->own_address();
    ASSERT_TRUE(bob_address);
    EXPECT_EQ(*bob_address, net.client("bob").address);
    EXPECT_NE(bob_address->find('@'), std::string::npos) << "address is identity@gateway";
    EXPECT_EQ(bob_address->substr(bob_address->find('@') + 1), net.gateway("gateway-2").identity);

    ASSERT_TRUE(alice->send("hello bob, from alice", *bob_address));
    const auto got = fetch_until(
        *bob, [](const auto& all) { return !all.empty(); }, 30s);
    EXPECT_EQ(got, std::vector<std::string>{"hello bob, from alice"});

    // Seed 003's getClients: both clients are listed once their gateways have announced them.
    bool listed = false;
    for (int i = 0; i < 100 && !listed; ++i) {
        auto r = alice->request({{"type", "getClients"}});
        ASSERT_TRUE(r);
        ASSERT_EQ(r->value("type", ""), "getClients") << r->dump();
        const auto clients = (*r)["clients"].get<std::vector<std::string>>();
        listed = std::find(clients.begin(), clients.end(), net.client("alice").address) != clients.end() &&
                 std::find(clients.begin(), clients.end(), *bob_address) != clients.end();
        if (!listed) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(listed) << "getClients never listed both alice and bob";
    // Nothing arrives twice.
    std::this_thread::sleep_for(1s);
    auto again = bob->fetch();
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->empty());
}

// ---- b) 1 MiB ----------------------------------------------------------------------------------------

TEST(ClientNet, OneMebibyteMessageArrivesIntact) {
    NetOptions options;
    // Real packets leave as soon as they are queued: the message's ~700 packets need not wait for
    // ~700 Poisson ticks.
    options.extra_flags["alice"] = {"--disable-main-poisson"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    auto alice = Api::connect(net.client("alice").port);
    auto bob = Api::connect(net.client("bob").port);
    ASSERT_TRUE(alice && bob);

    const std::string big = payload(1024 * 1024, 7);
    ASSERT_TRUE(alice->send(big, net.client("bob").address));
    const auto started = std::chrono::steady_clock::now();
    const auto got = fetch_until(
        *bob, [](const auto& all) { return !all.empty(); }, 90s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].size(), big.size());
    EXPECT_TRUE(got[0] == big) << "the message arrived altered";
    std::printf(
        "1 MiB message delivered in %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()));
}

// ---- c) a mix node dies while a stream is in flight --------------------------------------------------

TEST(ClientNet, KilledMixnodeLosesNothingAndDuplicatesNothing) {
    NetOptions options;
    options.mixes_per_layer = 2;
    options.gateways = 2;
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    auto alice = Api::connect(net.client("alice").port);
    auto bob = Api::connect(net.client("bob").port);
    ASSERT_TRUE(alice && bob);
    const std::string bob_address = net.client("bob").address;

    constexpr int COUNT = 200;
    std::multiset<std::string> sent;
    for (int i = 0; i < COUNT; ++i) {
        const std::string m = "stream message " + std::to_string(i);
        ASSERT_TRUE(alice->send(m, bob_address)) << i;
        sent.insert(m);
    }
    // Kill a layer-2 node once the stream is visibly flowing but far from done.
    std::vector<std::string> received;
    const auto flow_deadline = std::chrono::steady_clock::now() + 20s;
    while (received.size() < 10 && std::chrono::steady_clock::now() < flow_deadline) {
        auto got = bob->fetch();
        ASSERT_TRUE(got);
        received.insert(received.end(), got->begin(), got->end());
        std::this_thread::sleep_for(20ms);
    }
    const std::size_t before_kill = received.size();
    auto& victim = net.mix(2, 2);
    ASSERT_TRUE(victim.process->stop(SIGKILL, 5s));
    EXPECT_LT(before_kill, static_cast<std::size_t>(COUNT)) << "the stream had already finished: nothing was in flight";

    const auto rest = fetch_until(
        *bob, [&](const auto& all) { return received.size() + all.size() >= static_cast<std::size_t>(COUNT); }, 120s);
    received.insert(received.end(), rest.begin(), rest.end());
    // Late duplicates (a retransmission whose original also arrived) would show up now.
    std::this_thread::sleep_for(3s);
    auto late = bob->fetch();
    ASSERT_TRUE(late);
    received.insert(received.end(), late->begin(), late->end());

    const std::multiset<std::string> got(received.begin(), received.end());
    std::printf("%zu of %d messages had arrived when mix-2-2 was killed; %zu arrived in total\n", before_kill, COUNT,
                received.size());
    EXPECT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent) << "delivered multiset differs from the sent one";
}

// ---- d) the cover-traffic rate the gateway sees ------------------------------------------------------

TEST(ClientNet, GatewayObservesTheConfiguredCoverRate) {
    // The client's default rates (TrafficConfig), given explicitly: main Poisson stream every 20 ms,
    // loop cover every 200 ms (means), so 50 + 5 = 55 packets/s leave the client with no real
    // traffic at all. Over 30 s that is ~1650 packets; Poisson noise alone is ~2.5%.
    constexpr double SEND_DELAY_S = 0.020;
    constexpr double LOOP_DELAY_S = 0.200;
    const double expected = 1.0 / SEND_DELAY_S + 1.0 / LOOP_DELAY_S;
    NetOptions options;
    options.clients = {"carol"};
    options.client_flags = {"--packet-delay", "10ms",  "--send-delay", "20ms",
                            "--loop-delay",   "200ms", "--log-level",  "info"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    const auto& carol = net.client("carol");
    const auto gateway_port = net.gateway(carol.gateway).port;
    const auto identity = identity_of(carol.address);

    std::this_thread::sleep_for(1s); // past start-up
    const auto first = packets_sent(gateway_port, identity);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(first) << "the gateway's /api/stats has no packets_sent for carol (" << identity << ")";
    std::this_thread::sleep_for(30s);
    const auto second = packets_sent(gateway_port, identity);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(second);
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double rate = static_cast<double>(*second - *first) / seconds;
    std::printf("gateway saw %llu packets in %.2f s: %.1f/s, configured %.1f/s\n",
                static_cast<unsigned long long>(*second - *first), seconds, rate, expected);
    EXPECT_GE(rate, expected * 0.8);
    EXPECT_LE(rate, expected * 1.2);
}

// ---- e) malformed requests ---------------------------------------------------------------------------

TEST(ClientNet, MalformedRequestsGetErrorsAndTheConnectionKeepsServing) {
    NetOptions options;
    options.clients = {"alice"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    auto api = Api::connect(net.client("alice").port);
    ASSERT_TRUE(api);
    const std::string own = net.client("alice").address;

    auto expect_error = [&](const std::optional<json>& reply, const std::string& what) {
        ASSERT_TRUE(reply) << what << ": no JSON answer";
        EXPECT_EQ(reply->value("type", ""), "error") << what << ": " << reply->dump();
        EXPECT_TRUE((*reply)["message"].is_string() && !(*reply)["message"].get<std::string>().empty())
            << what << ": " << reply->dump();
        // The same connection still answers.
        EXPECT_EQ(api->own_address(), own) << "after " << what;
    };

    const std::vector<std::pair<std::string, std::string>> texts = {
        {"not JSON", "this is not json"},
        {"truncated JSON", R"({"type":"send","message":"x")"},
        {"empty frame", ""},
        {"JSON array", R"(["send"])"},
        {"JSON number", "42"},
        {"no type", R"({"message":"x"})"},
        {"type not a string", R"({"type":7})"},
        {"unknown type", R"({"type":"launchRockets"})"},
        {"send without message", R"({"type":"send","recipient_address":")" + own + R"("})"},
        {"send without recipient", R"({"type":"send","message":"x"})"},
        {"message not a string", R"({"type":"send","message":5,"recipient_address":")" + own + R"("})"},
        {"address not base58", R"({"type":"send","message":"x","recipient_address":"0OIl+/"})"},
        {"address too short", R"({"type":"send","message":"x","recipient_address":"abc"})"},
        {"address with bad gateway",
         R"({"type":"send","message":"x","recipient_address":")" + identity_of(own) + R"(@abc"})"},
    };
    for (const auto& [what, text] : texts) expect_error(api->request_text(text), what);

    // Larger than --max-request-size (2 MiB).
    const std::string oversized = R"({"type":"send","message":")" + std::string(2 * 1024 * 1024 + 100, 'a') +
                                  R"(","recipient_address":")" + own + R"("})";
    expect_error(api->request_text(oversized, 30s), "oversized frame");

    // Binary frames where text is expected: a JSON request sent as binary, and stray bytes.
    const std::string as_text = R"({"type":"ownDetails"})";
    expect_error(api->request_binary(std::vector<std::uint8_t>(as_text.begin(), as_text.end())),
                 "JSON in a binary frame");
    expect_error(api->request_binary({0xff, 0x00, 0x13}), "garbage binary frame");
    expect_error(api->request_binary({}), "empty binary frame");

    // And it still does real work on that connection.
    EXPECT_TRUE(api->send("still alive", own));
    const auto got = fetch_until(
        *api, [](const auto& all) { return !all.empty(); }, 30s);
    EXPECT_EQ(got, std::vector<std::string>{"still alive"});
}

// ---- f) loopback only --------------------------------------------------------------------------------

/// True when a TCP connection to `addr` is refused or fails (not accepted).
bool connection_refused(const sockaddr* addr, socklen_t len) {
    const int fd = ::socket(addr->sa_family, SOCK_STREAM, 0);
    if (fd < 0) return true;
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int rc = ::connect(fd, addr, len);
    ::close(fd);
    return rc != 0;
}

TEST(ClientNet, ApiRefusesNonLoopbackConnections) {
    NetOptions options;
    options.clients = {"alice"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    const std::uint16_t port = net.client("alice").port;

    // The listening socket is bound to 127.0.0.1 only (the kernel's own table says so).
    std::ifstream tcp("/proc/net/tcp");
    bool found = false;
    char want[16];
    std::snprintf(want, sizeof want, ":%04X", static_cast<unsigned>(port));
    for (std::string line; std::getline(tcp, line);) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == want) {
            found = true;
            EXPECT_EQ(local.substr(0, 8), "0100007F") << "API listens on " << local << ", not 127.0.0.1";
        }
    }
    EXPECT_TRUE(found) << "no listening socket for port " << port << " in /proc/net/tcp";
    // On IPv6 (so that "localhost" works where it resolves to ::1 first) only on ::1.
    std::ifstream tcp6("/proc/net/tcp6");
    for (std::string line; std::getline(tcp6, line);) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == want) {
            EXPECT_EQ(local.substr(0, 32), "00000000000000000000000001000000") << "API listens on IPv6 " << local;
        }
    }

    // Loopback is served...
    EXPECT_TRUE(Api::connect(port).has_value());
    // ...every non-loopback address of this machine is not.
    ifaddrs* list = nullptr;
    ASSERT_EQ(::getifaddrs(&list), 0);
    int tried = 0;
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET) {
            sockaddr_in in = *reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            in.sin_port = htons(port);
            ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
            EXPECT_TRUE(connection_refused(reinterpret_cast<const sockaddr*>(&in), sizeof in))
                << "connection to " << text << ":" << port << " was accepted";
            ++tried;
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            sockaddr_in6 in6 = *reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            if (IN6_IS_ADDR_LINKLOCAL(&in6.sin6_addr)) continue;
            in6.sin6_port = htons(port);
            ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
            EXPECT_TRUE(connection_refused(reinterpret_cast<const sockaddr*>(&in6), sizeof in6))
                << "connection to [" << text << "]:" << port << " was accepted";
            ++tried;
        }
    }
    ::freeifaddrs(list);
    if (tried == 0) std::printf("this host has no non-loopback address: only the bind address was checked\n");
}

// ---- f2) no cross-site pages, no foreign Host names ----------------------------------------------------

/// A websocket upgrade request as a browser would send it, with `origin` and `host` as given
/// (empty: the header is left out).
std::string upgrade_request(const std::string& host, const std::string& origin) {
    std::string r = "GET /mix HTTP/1.1\r\n";
    if (!host.empty()) r += "Host: " + host + "\r\n";
    r += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n";
    if (!origin.empty()) r += "Origin: " + origin + "\r\n";
    return r + "\r\n";
}

std::optional<unsigned> upgrade_status(const std::string& ip, std::uint16_t port, const std::string& host,
                                       const std::string& origin) {
    auto r = runtime::http_exchange_raw(ip, port, upgrade_request(host, origin));
    if (!r) return std::nullopt;
    return r->status;
}

TEST(ClientNet, ApiRefusesCrossSiteOriginsAndForeignHosts) {
    NetOptions options;
    options.clients = {"alice"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    const std::uint16_t port = net.client("alice").port;
    const std::string here = "127.0.0.1:" + std::to_string(port);

    // A page of another site (cross-site websocket hijacking) and an opaque origin.
    EXPECT_EQ(upgrade_status(LOOPBACK, port, here, "https://evil.example"), std::optional<unsigned>(403));
    EXPECT_EQ(upgrade_status(LOOPBACK, port, here, "null"), std::optional<unsigned>(403));
    // DNS rebinding: the attacker's name resolved to 127.0.0.1.
    EXPECT_EQ(upgrade_status(LOOPBACK, port, "evil.example:" + std::to_string(port), ""), std::optional<unsigned>(403));
    // Programs send no Origin and are served, under every loopback name.
    EXPECT_EQ(upgrade_status(LOOPBACK, port, here, ""), std::optional<unsigned>(101));
    EXPECT_EQ(upgrade_status(LOOPBACK, port, "localhost:" + std::to_string(port), ""), std::optional<unsigned>(101));
    // And on ::1, where the host has an IPv6 loopback.
    if (auto v6 = upgrade_status("::1", port, "[::1]:" + std::to_string(port), ""))
        EXPECT_EQ(*v6, 101u);
    else
        std::printf("no IPv6 loopback here: [::1]:%u not checked\n", static_cast<unsigned>(port));
    // The refusals cost nothing: the API still serves.
    auto api = Api::connect(port);
    ASSERT_TRUE(api);
    EXPECT_EQ(api->own_address(), net.client("alice").address);
}

// ---- h) the TCP socket (protobuf, 8-byte length prefix) ------------------------------------------------

namespace tcpapi = wire::client_api::tcp;

/// A plain TCP connection to a client's socket API, as an application in any language would make.
class TcpApi {
public:
    explicit TcpApi(std::uint16_t port) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)), m_reader(1u << 26) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, LOOPBACK, &addr.sin_addr);
        if (m_fd >= 0 && ::connect(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~TcpApi() {
        if (m_fd >= 0) ::close(m_fd);
    }
    TcpApi(const TcpApi&) = delete;
    TcpApi& operator=(const TcpApi&) = delete;
    bool connected() const { return m_fd >= 0; }

    bool write(const std::vector<std::uint8_t>& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool send(const tcpapi::TcpRequest& request) {
        auto frame = tcpapi::encode_request(request);
        return frame && write(*frame);
    }
    /// As the original's examples do: the request, then a flush, then read one response.
    std::optional<wire::client_api::Response> ask(const tcpapi::TcpRequest& request,
                                                  std::chrono::milliseconds timeout = 30s) {
        if (!send(request) || !send(tcpapi::FlushRequest{})) return std::nullopt;
        return read(timeout);
    }
    std::optional<wire::client_api::Response> read(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            auto frame = m_reader.next();
            if (!frame) return std::nullopt;
            if (*frame) {
                auto response = tcpapi::decode_response(**frame);
                if (!response) return std::nullopt;
                return std::move(*response);
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            std::uint8_t buffer[65536];
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                m_eof = true;
                return std::nullopt;
            }
            m_reader.feed(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
        }
    }
    /// True once the client closed the connection (reads until EOF or `timeout`).
    bool closed_by_peer(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!m_eof && std::chrono::steady_clock::now() < deadline) (void)read(100ms);
        return m_eof;
    }

private:
    int m_fd;
    tcpapi::FrameReader m_reader;
    bool m_eof = false;
};

template <class T>
bool is(const std::optional<wire::client_api::Response>& r) {
    return r && std::holds_alternative<T>(*r);
}

std::string error_of(const std::optional<wire::client_api::Response>& r) {
    if (!is<wire::client_api::ErrorResponse>(r)) return "<no exception response>";
    return std::get<wire::client_api::ErrorResponse>(*r).message;
}

TEST(ClientNet, TcpSocketSendsToItselfAndFetches) {
    namespace api = wire::client_api;
    NetOptions options;
    options.clients = {"alice"};
    options.extra_flags["alice"] = {"--socket-type", "tcp"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();
    TcpApi tcp(net.client("alice").port);
    ASSERT_TRUE(tcp.connected());

    auto details = tcp.ask(api::OwnDetailsRequest{});
    ASSERT_TRUE(is<api::OwnDetailsResponse>(details));
    const std::string self = std::get<api::OwnDetailsResponse>(*details).address;
    EXPECT_EQ(self, net.client("alice").address);

    const std::string text = "over the tcp socket";
    EXPECT_TRUE(is<api::SendResponse>(tcp.ask(api::SendRequest{api::Bytes(text.begin(), text.end()), self, 0})));
    // The same errors as the websocket, and the connection goes on.
    EXPECT_NE(error_of(tcp.ask(api::SendRequest{api::Bytes{1}, "not-an-address", 0})).find("invalid recipient address"),
              std::string::npos);
    std::vector<std::uint8_t> garbage{0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff};
    ASSERT_TRUE(tcp.write(garbage));
    EXPECT_NE(error_of(tcp.read(10s)).find("malformed request"), std::string::npos);
    ASSERT_TRUE(is<api::ClientsResponse>(tcp.ask(api::GetClientsRequest{})));

    std::vector<std::string> received;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (received.empty() && std::chrono::steady_clock::now() < deadline) {
        auto fetched = tcp.ask(api::FetchRequest{});
        ASSERT_TRUE(is<api::FetchResponse>(fetched));
        for (const auto& m : std::get<api::FetchResponse>(*fetched).messages)
            received.emplace_back(m.message.begin(), m.message.end());
        if (received.empty()) std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(received, std::vector<std::string>{text});

    // A length beyond --max-request-size (2 MiB): an exception, then the client hangs up.
    ASSERT_TRUE(tcp.write({0, 0, 0, 1, 0, 0, 0, 0}));
    EXPECT_NE(error_of(tcp.read(10s)).find("request too large"), std::string::npos);
    EXPECT_TRUE(tcp.closed_by_peer(10s));
    // Other connections are unaffected.
    TcpApi again(net.client("alice").port);
    ASSERT_TRUE(again.connected());
    EXPECT_TRUE(is<api::OwnDetailsResponse>(again.ask(api::OwnDetailsRequest{})));
}

// ---- g) seed 003's example, as an application would write it -----------------------------------------

TEST(ClientNet, Seed003ExampleSendsToItselfAndFetches) {
    const std::string node = NYM_NODE_BIN;
    const fs::path source = NYM_SOURCE_DIR;
    if (node.empty()) GTEST_SKIP() << "node (Node.js) not found at configure time";
    if (!fs::exists(source / "node_modules" / "ws" / "package.json"))
        GTEST_SKIP() << "node_modules/ws missing: run tools/install-deps.sh (npm ci)";
    NetOptions options;
    options.clients = {"alice"};
    LocalNet net(options);
    ASSERT_TRUE(net.start()) << net.error();

    const std::string url = "ws://localhost:" + std::to_string(net.client("alice").port) + "/mix";
    auto p = Process::start_logged(node, {(source / "tests" / "functional" / "seed003_example.mjs").string(), url},
                                   (net.dir() / "logs" / "seed003_example.log").string());
    ASSERT_TRUE(p);
    std::string out;
    while (auto line = p->read_line(70s)) out += *line + "\n";
    const auto status = p->wait(5s);
    ASSERT_TRUE(status) << out;
    EXPECT_EQ(*status, 0) << out << tail(net.dir() / "logs" / "seed003_example.log", 20);
    EXPECT_NE(out.find("received send confirmation"), std::string::npos) << out;
    EXPECT_NE(out.find("fetched the following messages: seed 003 says hello"), std::string::npos) << out;
}

} // namespace
} // namespace nym::functional
