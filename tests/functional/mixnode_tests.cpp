// Three real nym-mixnode processes and a real nym-directory on loopback. The test plays the client
// (it builds Sphinx packets) and the gateways (plain TCP listeners holding the final hop's key,
// announced to the directory with signed heartbeats, since mix nodes forward only to the next layer
// of the topology).
#include <crypto/ed25519.hpp>
#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <runtime/blocking.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/processing.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>
#include <wire/directory.hpp>
#include <wire/framing.hpp>

#include "process.hpp"

namespace nym::functional {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

// ---- plain POSIX sockets (the test must not depend on the code under test for its own I/O) ----

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

/// True when the peer closed the connection within `timeout` (EOF or reset).
bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[256];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return true;
        }
    }
    return false;
}

/// The "gateway": accepts connections from the last mix and collects every frame it receives.
class FrameSink {
public:
    explicit FrameSink(std::uint16_t fixed_port = 0) {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(fixed_port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(m_listener, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return;
        if (::listen(m_listener, 16) != 0) return;
        socklen_t len = sizeof addr;
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~FrameSink() {
        m_stop = true;
        if (m_thread.joinable()) m_thread.join();
        ::close(m_listener);
    }
    FrameSink(const FrameSink&) = delete;
    FrameSink& operator=(const FrameSink&) = delete;

    std::vector<wire::Frame> frames() {
        std::lock_guard lock(m_mutex);
        return m_frames;
    }
    std::size_t count() {
        std::lock_guard lock(m_mutex);
        return m_frames.size();
    }
    bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (count() >= n) return true;
            std::this_thread::sleep_for(10ms);
        }
        return count() >= n;
    }

    std::uint16_t port = 0;

private:
    void serve() {
        std::vector<pollfd> fds{{m_listener, POLLIN, 0}};
        std::vector<wire::FrameDecoder> decoders(1);
        Bytes buf(64 * 1024);
        while (!m_stop) {
            if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
            for (std::size_t i = 0; i < fds.size(); ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
                if (i == 0) {
                    const int c = ::accept(m_listener, nullptr, nullptr);
                    if (c >= 0) {
                        fds.push_back({c, POLLIN, 0});
                        decoders.emplace_back();
                    }
                    continue;
                }
                const auto n = ::recv(fds[i].fd, buf.data(), buf.size(), 0);
                if (n <= 0) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    continue;
                }
                auto fed = decoders[i].feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                                            [this](wire::Frame&& f) {
                                                std::lock_guard lock(m_mutex);
                                                m_frames.push_back(std::move(f));
                                            });
                if (!fed) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                }
            }
        }
        for (std::size_t i = 1; i < fds.size(); ++i)
            if (fds[i].fd >= 0) ::close(fds[i].fd);
    }

    int m_listener = -1;
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;
    std::vector<wire::Frame> m_frames;
    std::thread m_thread;
};

/// Keeps gateways listed in the directory: a signed GatewayHeartbeat for each registered mix port,
/// every 300 ms, from its own thread (blocking HTTP, test-only).
class GatewayAnnouncer {
public:
    explicit GatewayAnnouncer(std::uint16_t directory_port) : m_directory(directory_port) {
        m_thread = std::thread([this] {
            while (!m_stop) {
                announce_all();
                std::this_thread::sleep_for(300ms);
            }
        });
    }
    ~GatewayAnnouncer() {
        m_stop = true;
        if (m_thread.joinable()) m_thread.join();
    }
    GatewayAnnouncer(const GatewayAnnouncer&) = delete;
    GatewayAnnouncer& operator=(const GatewayAnnouncer&) = delete;

    /// Lists 127.0.0.1:`port` as a gateway from now on (announced once before returning).
    void add(std::uint16_t port) {
        {
            std::lock_guard lock(m_mutex);
            m_ports.push_back(port);
        }
        announce_all();
    }

private:
    void announce_all() {
        std::vector<std::uint16_t> ports;
        {
            std::lock_guard lock(m_mutex);
            ports = m_ports;
        }
        for (const auto port : ports) {
            // Keys derived from the port: the same identity each time, distinct between gateways.
            crypto::DeterministicRng rng(0x6761746577617900ULL + port);
            const auto identity = crypto::Ed25519SecretKey::generate(rng);
            wire::directory::GatewayHeartbeat h;
            h.host = "127.0.0.1:" + std::to_string(port);
            h.client_listener = "ws://127.0.0.1:" + std::to_string(port);
            h.identity_key = identity.public_key();
            const auto sphinx = crypto::X25519SecretKey::generate(rng);
            h.sphinx_key = sphinx.public_key();
            h.version = "0.1.0";
            h.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            wire::directory::sign(h, identity, sphinx);
            (void)runtime::http_request("127.0.0.1", m_directory, "POST", "/api/presence/gateways",
                                        wire::directory::to_json(h));
        }
    }

    std::uint16_t m_directory;
    std::mutex m_mutex;
    std::vector<std::uint16_t> m_ports;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

struct Mix {
    std::optional<Process> process;
    std::uint16_t port = 0;
    crypto::X25519PublicKey sphinx_key;
    int layer = 0;
};

std::string sphinx_key_line(Process& p) {
    for (int i = 0; i < 10; ++i) {
        auto line = p.read_line(5s);
        if (!line) return {};
        const std::string prefix = "sphinx key (x25519):";
        if (line->rfind(prefix, 0) == 0) {
            auto key = line->substr(prefix.size());
            key.erase(0, key.find_first_not_of(' '));
            return key;
        }
    }
    return {};
}

class MixnetTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_root = std::filesystem::temp_directory_path() / ("nym-mixnode-functional-" + std::to_string(::getpid()));
        std::filesystem::remove_all(s_root);
        s_sink = new FrameSink();
        s_dir = new DirectoryProcess();
        s_dir->launch({"--presence-timeout", "2s"});
        if (s_dir->port == 0) return;
        s_gateways = new GatewayAnnouncer(s_dir->port);
        s_gateways->add(s_sink->port);
        const std::string directory = "http://127.0.0.1:" + std::to_string(s_dir->port);
        for (int layer = 1; layer <= 3; ++layer) {
            Mix& mix = s_mixes[static_cast<std::size_t>(layer - 1)];
            mix.layer = layer;
            const std::string id = "mix" + std::to_string(layer);
            auto init = Process::start(NYM_MIXNODE_BIN,
                                       {"init", "--id", id, "--layer", std::to_string(layer), "--host", "127.0.0.1",
                                        "--port", "1789", "--directory", directory, "--root", s_root.string()});
            if (!init) return;
            const auto key = sphinx_key_line(*init);
            if (init->wait(10s) != 0) return;
            auto parsed = wire::directory::x25519_key_from_base58(key);
            if (!parsed) return;
            mix.sphinx_key = *parsed;
            // Layer N runs N Sphinx threads: mix1 unwraps on its I/O thread alone, mix2 and mix3 also
            // hand frames to workers, so every test covers both ways through the node.
            auto run = Process::start(NYM_MIXNODE_BIN, {"run", "--id", id, "--root", s_root.string(), "--port", "0",
                                                        "--heartbeat-interval", "300ms", "--metrics-interval", "1s",
                                                        "--workers", std::to_string(layer), "--log-level", "warn"});
            if (!run) return;
            mix.process.emplace(std::move(*run));
            auto line = mix.process->read_line(10s);
            if (!line) return;
            // "nym-mixnode listening on 127.0.0.1:PORT ..."
            const auto at = line->find("127.0.0.1:");
            if (at == std::string::npos) return;
            mix.port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
        }
    }
    static void TearDownTestSuite() {
        for (auto& mix : s_mixes) {
            if (mix.process) {
                // A clean stop writes the replay filters (fsync'd): allow for a busy disk.
                EXPECT_EQ(mix.process->stop(SIGTERM, 15s), 0) << "mix node did not stop cleanly";
                mix.process.reset();
            }
        }
        delete s_gateways;
        delete s_dir;
        delete s_sink;
        std::filesystem::remove_all(s_root);
    }
    void SetUp() override {
        ASSERT_NE(s_dir->port, 0) << "nym-directory did not start";
        for (auto& mix : s_mixes)
            ASSERT_NE(mix.port, 0) << "mix node " << mix.layer << " did not start: "
                                   << (mix.process ? mix.process->drain_stderr() : std::string("(no process)"));
    }

    /// A 4-hop packet: mix1 → mix2 → mix3 → the test's gateway, `delay` per hop.
    static Bytes make_packet(const std::string& message, std::chrono::milliseconds delay = 5ms,
                             std::uint16_t gateway_port = 0) {
        std::vector<sphinx::RouteNode> route;
        for (const auto& mix : s_mixes)
            route.push_back(
                {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, mix.port)), mix.sphinx_key});
        route.push_back({sphinx::encode_node_address(
                             sphinx::IpEndpoint::v4({127, 0, 0, 1}, gateway_port != 0 ? gateway_port : s_sink->port)),
                         gateway_key().public_key()});
        const std::vector<sphinx::Delay> delays(4, sphinx::Delay::from_duration(delay));
        sphinx::DestinationAddress destination;
        destination.bytes.fill(0x42);
        const Bytes msg(message.begin(), message.end());
        auto packet = sphinx::build_packet(route, delays, destination, sphinx::SurbIdentifier{}, msg,
                                           sphinx::payload_size(sphinx::PacketSize::regular), crypto::system_rng());
        EXPECT_TRUE(packet);
        auto frame = wire::encode_frame(*packet);
        EXPECT_TRUE(frame);
        return *frame;
    }
    static const crypto::X25519SecretKey& gateway_key() {
        static const crypto::X25519SecretKey key = [] {
            crypto::DeterministicRng rng(7);
            return crypto::X25519SecretKey::generate(rng);
        }();
        return key;
    }
    /// The messages of the received frames that the gateway key opens.
    static std::vector<std::string> delivered() {
        std::vector<std::string> out;
        for (auto& frame : s_sink->frames()) {
            auto processed = sphinx::process_packet(frame.packet, gateway_key());
            if (!processed || !processed->final_hop()) continue;
            const auto m = processed->final_hop()->message;
            out.emplace_back(m.begin(), m.end());
        }
        return out;
    }
    static std::size_t delivered_count(const std::string& message) {
        std::size_t n = 0;
        for (const auto& m : delivered())
            if (m == message) ++n;
        return n;
    }
    static bool wait_delivered(const std::string& message, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (delivered_count(message) > 0) return true;
            std::this_thread::sleep_for(20ms);
        }
        return delivered_count(message) > 0;
    }
    /// Writes `count` zero-delay packets tagged `tag` to mix1 in one write, followed by half a frame,
    /// on a connection that stays open; how many of them arrive (each exactly once) within 30 s.
    static std::size_t burst_delivered_once(const std::string& tag, int count) {
        Bytes burst;
        for (int i = 0; i < count; ++i) {
            const auto frame = make_packet(tag + std::to_string(i), 0ms);
            burst.insert(burst.end(), frame.begin(), frame.end());
        }
        const auto tail = make_packet("never completed", 0ms);
        burst.insert(burst.end(), tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(tail.size() / 2));
        const int fd = connect_loopback(s_mixes[0].port);
        EXPECT_GE(fd, 0);
        if (fd < 0) return 0;
        EXPECT_TRUE(write_all(fd, burst));
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        std::map<std::string, int> seen;
        while (std::chrono::steady_clock::now() < deadline) {
            seen.clear();
            for (const auto& m : delivered())
                if (m.rfind(tag, 0) == 0) ++seen[m];
            if (seen.size() == static_cast<std::size_t>(count)) break;
            std::this_thread::sleep_for(200ms);
        }
        ::close(fd);
        for (const auto& [message, n] : seen) EXPECT_EQ(n, 1) << message << " delivered " << n << " times";
        return seen.size();
    }
    static void send_to_mix1(const Bytes& bytes) { send_to(s_mixes[0].port, bytes); }
    static void send_to(std::uint16_t port, const Bytes& bytes) {
        const int fd = connect_loopback(port);
        ASSERT_GE(fd, 0);
        EXPECT_TRUE(write_all(fd, bytes));
        ::close(fd);
    }

    static inline std::filesystem::path s_root;
    static inline FrameSink* s_sink = nullptr;
    static inline DirectoryProcess* s_dir = nullptr;
    static inline GatewayAnnouncer* s_gateways = nullptr;
    static inline std::array<Mix, 3> s_mixes;
};

TEST_F(MixnetTest, PacketTraversesThreeMixesToTheGateway) {
    send_to_mix1(make_packet("hello through the mixnet"));
    ASSERT_TRUE(wait_delivered("hello through the mixnet", 5s)) << "frames at the gateway: " << s_sink->count();
    for (const auto& frame : s_sink->frames()) {
        EXPECT_EQ(frame.size, sphinx::PacketSize::regular);
        EXPECT_EQ(frame.version, wire::CURRENT_FRAME_VERSION);
    }
}

TEST_F(MixnetTest, ABurstInOneWriteArrivesOnceEachThroughOneAndSeveralSphinxThreads) {
    // mix1 reads 200 frames in a few large reads and unwraps each batch itself, holding its writes
    // back while it is behind; mix2 and mix3 take them as bursts and spread them over workers.
    EXPECT_EQ(burst_delivered_once("burst ", 200), 200u);
}

TEST_F(MixnetTest, WritesHeldBackForWaitingInputLeaveWithoutTheRestOfAFrameOrTheConnectionsEnd) {
    // Ten frames and half of another in one read: mix1 holds nothing for the half frame (it is not
    // input a read can finish), nor until the connection closes.
    EXPECT_EQ(burst_delivered_once("ten ", 10), 10u);
}

TEST_F(MixnetTest, EachMixHoldsThePacketForItsDelay) {
    // Three mixes apply a delay each (the fourth belongs to the gateway hop and is never encoded).
    const auto start = std::chrono::steady_clock::now();
    send_to_mix1(make_packet("slow and steady", 250ms));
    ASSERT_TRUE(wait_delivered("slow and steady", 5s));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 750ms);
    EXPECT_LT(elapsed, 3s);
}

TEST_F(MixnetTest, LastMixReconnectsWhenTheGatewayComesUp) {
    // A port that nobody listens on yet: mix3 cannot connect, keeps the packet queued and retries.
    std::uint16_t port = 0;
    {
        FrameSink probe;
        port = probe.port;
    }
    ASSERT_NE(port, 0);
    s_gateways->add(port);
    send_to_mix1(make_packet("late gateway", 5ms, port));
    std::this_thread::sleep_for(400ms);
    FrameSink late(port);
    ASSERT_EQ(late.port, port);
    ASSERT_TRUE(late.wait_for_count(1, 8s)) << "mix3 did not reconnect to the gateway";
    auto frames = late.frames();
    auto processed = sphinx::process_packet(frames[0].packet, gateway_key());
    ASSERT_TRUE(processed && processed->final_hop());
    const auto m = processed->final_hop()->message;
    EXPECT_EQ(std::string(m.begin(), m.end()), "late gateway");
}

TEST_F(MixnetTest, ReplayedPacketIsForwardedOnce) {
    const Bytes frame = make_packet("replay me");
    Bytes twice = frame;
    twice.insert(twice.end(), frame.begin(), frame.end());
    send_to_mix1(twice); // same connection
    send_to_mix1(frame); // and another one
    ASSERT_TRUE(wait_delivered("replay me", 5s));
    std::this_thread::sleep_for(500ms); // 3 hops × 5 ms: any duplicate would be here by now
    EXPECT_EQ(delivered_count("replay me"), 1u);
}

TEST_F(MixnetTest, GarbageIsRejectedAndValidTrafficStillFlows) {
    crypto::DeterministicRng rng(99);
    const std::size_t packet_len = sphinx::packet_size(sphinx::PacketSize::regular);
    std::vector<int> bad_framing;
    std::size_t garbage_frames = 0;
    // 950 well-framed packets of random bytes (bad MAC / malformed: dropped), on 19 connections.
    for (int c = 0; c < 19; ++c) {
        const int fd = connect_loopback(s_mixes[0].port);
        ASSERT_GE(fd, 0);
        Bytes bytes;
        for (int i = 0; i < 50; ++i) {
            Bytes packet(packet_len);
            rng.fill(packet);
            auto frame = wire::encode_frame(packet);
            ASSERT_TRUE(frame);
            bytes.insert(bytes.end(), frame->begin(), frame->end());
            ++garbage_frames;
        }
        EXPECT_TRUE(write_all(fd, bytes));
        ::close(fd);
    }
    // 50 connections that break the framing (bad version, bad size tag, bad type, Nym 0.7 frames).
    for (int c = 0; c < 50; ++c) {
        const int fd = connect_loopback(s_mixes[0].port);
        ASSERT_GE(fd, 0);
        Bytes bytes(64);
        rng.fill(bytes);
        switch (c % 4) {
        case 0:
            bytes[0] = 1;
            break; // unversioned 0.7-era frame
        case 1:
            bytes[0] = wire::CURRENT_FRAME_VERSION;
            bytes[1] = 9;
            break; // unknown size
        case 2:
            bytes[0] = wire::CURRENT_FRAME_VERSION;
            bytes[1] = 1;
            bytes[2] = 2;
            break; // outfox
        default:
            bytes[0] = 0xff;
            break;
        }
        EXPECT_TRUE(write_all(fd, bytes));
        bad_framing.push_back(fd);
        ++garbage_frames;
    }
    EXPECT_EQ(garbage_frames, 1000u);
    for (int fd : bad_framing) {
        EXPECT_TRUE(closed_by_peer(fd, 3s)) << "mix1 kept a connection with a framing error open";
        ::close(fd);
    }
    send_to_mix1(make_packet("after the garbage"));
    EXPECT_TRUE(wait_delivered("after the garbage", 8s));
    // Nothing but the test's own packets ever reaches the gateway.
    EXPECT_EQ(s_sink->count(), delivered().size());
}

TEST_F(MixnetTest, BogusNextHopsDoNotLockARealNextHopOut) {
    // 1,040 packets to mix3 naming distinct next hops that are not gateways (more than the 1,024
    // neighbours a node keeps queues for): all refused, and none takes a neighbour's slot.
    const auto build_for_mix3 = [](const sphinx::IpEndpoint& to, const crypto::X25519PublicKey& key) {
        const std::vector<sphinx::RouteNode> route{
            {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, s_mixes[2].port)),
             s_mixes[2].sphinx_key},
            {sphinx::encode_node_address(to), key}};
        const std::vector<sphinx::Delay> delays(2, sphinx::Delay{});
        sphinx::DestinationAddress destination;
        destination.bytes.fill(0x42);
        const Bytes message{'f', 'r', 'e', 's', 'h'};
        auto packet = sphinx::build_packet(route, delays, destination, sphinx::SurbIdentifier{}, message,
                                           sphinx::payload_size(sphinx::PacketSize::regular), crypto::system_rng());
        EXPECT_TRUE(packet);
        auto frame = wire::encode_frame(*packet);
        EXPECT_TRUE(frame);
        return *frame;
    };
    Bytes bogus;
    for (std::uint16_t i = 0; i < 1040; ++i) {
        const auto hop = sphinx::IpEndpoint::v4({127, 1, static_cast<std::uint8_t>(i >> 8),
                                                 static_cast<std::uint8_t>(i & 0xff)}, 9);
        const auto frame = build_for_mix3(hop, gateway_key().public_key());
        bogus.insert(bogus.end(), frame.begin(), frame.end());
    }
    send_to(s_mixes[2].port, bogus);
    std::this_thread::sleep_for(1500ms); // unwrapped, and settled by a topology refresh

    // A gateway mix3 has never sent to before still gets its traffic.
    FrameSink fresh;
    ASSERT_NE(fresh.port, 0);
    s_gateways->add(fresh.port);
    send_to(s_mixes[2].port, build_for_mix3(sphinx::IpEndpoint::v4({127, 0, 0, 1}, fresh.port),
                                            gateway_key().public_key()));
    ASSERT_TRUE(fresh.wait_for_count(1, 8s)) << "the neighbour table is locked by bogus next hops";
    auto processed = sphinx::process_packet(fresh.frames()[0].packet, gateway_key());
    ASSERT_TRUE(processed && processed->final_hop());
}

TEST_F(MixnetTest, MixnodesAppearInTopologyWithTheirLayers) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    wire::directory::Topology topology;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = runtime::http_request("127.0.0.1", s_dir->port, "GET", "/api/presence/topology");
        ASSERT_TRUE(r) << r.error().message();
        auto parsed = wire::directory::parse_topology(r->body);
        ASSERT_TRUE(parsed) << r->body;
        topology = *parsed;
        if (topology.mix_nodes.size() == 3) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(topology.mix_nodes.size(), 3u);
    for (const auto& mix : s_mixes) {
        const std::string host = "127.0.0.1:" + std::to_string(mix.port);
        bool found = false;
        for (const auto& node : topology.mix_nodes) {
            if (node.host != host) continue;
            found = true;
            EXPECT_EQ(node.layer, mix.layer);
            EXPECT_EQ(node.pub_key, mix.sphinx_key);
        }
        EXPECT_TRUE(found) << host << " missing from the topology";
    }
}

TEST_F(MixnetTest, MixMetricsReachTheDirectory) {
    // The directory keeps each mix's latest interval: send traffic now so the next report counts it.
    send_to_mix1(make_packet("metered"));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::uint64_t received = 0;
    while (std::chrono::steady_clock::now() < deadline && received == 0) {
        auto r = runtime::http_request("127.0.0.1", s_dir->port, "GET", "/api/metrics/mixes");
        ASSERT_TRUE(r) << r.error().message();
        auto metrics = wire::directory::parse_mix_metrics(r->body);
        ASSERT_TRUE(metrics) << r->body;
        for (const auto& m : *metrics)
            if (m.pub_key == s_mixes[0].sphinx_key) received += m.received;
        if (received == 0) std::this_thread::sleep_for(200ms);
    }
    EXPECT_GT(received, 0u) << "mix1 reported no received packets";
}

/// One mix node whose [limits] the test sets: a 1 s idle timeout, 4 connections per IP.
class MixnodeLimits : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = std::filesystem::temp_directory_path() / ("nym-mixnode-limits-" + std::to_string(::getpid()));
        std::filesystem::remove_all(m_root);
        auto init = Process::start(NYM_MIXNODE_BIN, {"init", "--id", "lim", "--layer", "1", "--host", "127.0.0.1",
                                                     "--directory", "http://127.0.0.1:9", "--root", m_root.string()});
        ASSERT_TRUE(init);
        ASSERT_EQ(init->wait(10s), 0);
        const auto config = m_root / "lim" / "config" / "config.toml";
        std::string text = read_file(config);
        const auto limits = text.find("[limits]");
        if (limits != std::string::npos) text.erase(limits); // the last section: replaced below
        text += "[limits]\ninbound_idle_timeout_secs = 1\nmax_inbound_connections = 4096\nmax_inbound_per_ip = 4\n";
        std::FILE* out = std::fopen(config.c_str(), "wb");
        ASSERT_NE(out, nullptr);
        std::fwrite(text.data(), 1, text.size(), out);
        std::fclose(out);
    }
    void TearDown() override {
        if (m_node) {
            EXPECT_EQ(m_node->stop(SIGTERM, 5s), 0);
        }
        m_node.reset();
        std::filesystem::remove_all(m_root);
    }
    /// Starts the node (under `prefix`, e.g. prlimit) with stderr in a file; false if no port.
    bool start(std::vector<std::string> prefix = {}) {
        std::vector<std::string> args{"run", "--id", "lim", "--root", m_root.string(), "--port", "0",
                                      "--log-level", "warn"};
        std::string binary = NYM_MIXNODE_BIN;
        if (!prefix.empty()) {
            prefix.push_back(binary);
            args.insert(args.begin(), prefix.begin() + 1, prefix.end());
            binary = prefix.front();
        }
        auto process = Process::start_logged(binary, args, (m_root / "node.log").string());
        if (!process) return false;
        m_node.emplace(std::move(*process));
        auto line = m_node->read_line(10s);
        if (!line) return false;
        const auto at = line->find("127.0.0.1:");
        if (at == std::string::npos) return false;
        m_port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
        return true;
    }
    std::size_t log_lines_with(const std::string& needle) const {
        const std::string log = read_file(m_root / "node.log");
        std::size_t n = 0;
        for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
        return n;
    }
    /// A small file's contents (stdio: GCC 12 warns falsely about iostream buffers).
    static std::string read_file(const std::filesystem::path& path) {
        std::string text;
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (f == nullptr) return text;
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
        std::fclose(f);
        return text;
    }

    std::filesystem::path m_root;
    std::optional<Process> m_node;
    std::uint16_t m_port = 0;
};

TEST_F(MixnodeLimits, SilentConnectionsAreClosedAndOneIpGetsAFewAtATime) {
    ASSERT_TRUE(start());
    std::vector<int> fds;
    for (int i = 0; i < 4; ++i) fds.push_back(connect_loopback(m_port));
    const int fifth = connect_loopback(m_port);
    ASSERT_GE(fifth, 0);
    EXPECT_TRUE(closed_by_peer(fifth, 500ms)) << "a fifth connection from 127.0.0.1 is refused at once";
    ::close(fifth);
    for (int fd : fds) {
        EXPECT_TRUE(closed_by_peer(fd, 4s)) << "a connection that sends nothing is closed after 1 s";
        ::close(fd);
    }
    const int later = connect_loopback(m_port);
    EXPECT_FALSE(closed_by_peer(later, 300ms)) << "the slots are free again";
    ::close(later);
}

TEST_F(MixnodeLimits, RunningOutOfFileDescriptorsDoesNotFloodTheLog) {
    if (!std::filesystem::exists("/usr/bin/prlimit")) GTEST_SKIP() << "needs /usr/bin/prlimit";
#ifdef __SANITIZE_ADDRESS__
    // UBSan's vptr check probes memory through a pipe: with no descriptor left it reports a false
    // "invalid vptr" inside the logger and stops the node.
    GTEST_SKIP() << "the sanitizers need file descriptors of their own";
#endif
    ASSERT_TRUE(start({"/usr/bin/prlimit", "--nofile=48"}));
    // More connections than the node has descriptors left (4 per IP would refuse them first: use
    // several loopback addresses).
    std::vector<int> fds;
    for (int i = 0; i < 80; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(0x7f000100U + static_cast<std::uint32_t>(i)); // 127.0.1.i
        ::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(m_port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
            fds.push_back(fd);
        } else {
            ::close(fd);
        }
    }
    std::this_thread::sleep_for(2s);
    EXPECT_LE(log_lines_with("accept failed"), 2u) << "accept failures are rate-limited, not one line each";
    for (int fd : fds) ::close(fd);
    std::this_thread::sleep_for(1500ms); // the node notices the closes and its descriptors free up
    const int fd = connect_loopback(m_port);
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(closed_by_peer(fd, 300ms)) << "the listener works again";
    ::close(fd);
}

/// A directory, one layer-3 mix node and a gateway (the test's sink), for restarts of the node.
class MixnodeRestart : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = std::filesystem::temp_directory_path() / ("nym-mixnode-restart-" + std::to_string(::getpid()));
        std::filesystem::remove_all(m_root);
        m_dir.launch({"--presence-timeout", "2s"});
        ASSERT_NE(m_dir.port, 0);
        m_gateways.emplace(m_dir.port);
        m_gateways->add(m_sink.port);
        auto init = Process::start(NYM_MIXNODE_BIN,
                                   {"init", "--id", "r3", "--layer", "3", "--host", "127.0.0.1", "--directory",
                                    "http://127.0.0.1:" + std::to_string(m_dir.port), "--root", m_root.string()});
        ASSERT_TRUE(init);
        auto key = wire::directory::x25519_key_from_base58(sphinx_key_line(*init));
        ASSERT_EQ(init->wait(10s), 0);
        ASSERT_TRUE(key);
        m_key = *key;
    }
    void TearDown() override {
        if (m_node) {
            EXPECT_EQ(m_node->stop(SIGTERM, 10s), 0);
        }
        m_node.reset();
        m_gateways.reset();
        std::filesystem::remove_all(m_root);
    }
    bool start() {
        auto run = Process::start(NYM_MIXNODE_BIN, {"run", "--id", "r3", "--root", m_root.string(), "--port", "0",
                                                    "--heartbeat-interval", "300ms", "--log-level", "warn"});
        if (!run) return false;
        m_node.emplace(std::move(*run));
        auto line = m_node->read_line(10s);
        if (!line) return false;
        const auto at = line->find("127.0.0.1:");
        if (at == std::string::npos) return false;
        m_port = static_cast<std::uint16_t>(std::stoul(line->substr(at + 10)));
        return true;
    }
    /// A packet [the node, the sink] carrying `message`.
    Bytes packet(const std::string& message) const {
        const std::vector<sphinx::RouteNode> route{
            {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1)), m_key},
            {sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, m_sink.port)),
             MixnetTest_gateway_key().public_key()}};
        const std::vector<sphinx::Delay> delays(2, sphinx::Delay{});
        sphinx::DestinationAddress destination;
        destination.bytes.fill(0x42);
        const Bytes msg(message.begin(), message.end());
        auto built = sphinx::build_packet(route, delays, destination, sphinx::SurbIdentifier{}, msg,
                                          sphinx::payload_size(sphinx::PacketSize::regular), crypto::system_rng());
        EXPECT_TRUE(built);
        auto frame = wire::encode_frame(*built);
        EXPECT_TRUE(frame);
        return *frame;
    }
    std::size_t delivered(const std::string& message) {
        std::size_t n = 0;
        for (auto& frame : m_sink.frames()) {
            auto processed = sphinx::process_packet(frame.packet, MixnetTest_gateway_key());
            if (!processed || !processed->final_hop()) continue;
            const auto m = processed->final_hop()->message;
            if (std::string(m.begin(), m.end()) == message) ++n;
        }
        return n;
    }
    bool wait_delivered(const std::string& message, std::size_t count, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline && delivered(message) < count)
            std::this_thread::sleep_for(20ms);
        return delivered(message) >= count;
    }
    void send(const Bytes& bytes) const {
        const int fd = connect_loopback(m_port);
        ASSERT_GE(fd, 0);
        EXPECT_TRUE(write_all(fd, bytes));
        ::close(fd);
    }
    static const crypto::X25519SecretKey& MixnetTest_gateway_key() {
        static const crypto::X25519SecretKey key = [] {
            crypto::DeterministicRng rng(8);
            return crypto::X25519SecretKey::generate(rng);
        }();
        return key;
    }

    std::filesystem::path m_root;
    FrameSink m_sink;
    DirectoryProcess m_dir;
    std::optional<GatewayAnnouncer> m_gateways;
    std::optional<Process> m_node;
    std::uint16_t m_port = 0;
    crypto::X25519PublicKey m_key;
};

TEST_F(MixnodeRestart, APacketReplayedAfterARestartIsNotForwardedAgain) {
    ASSERT_TRUE(start());
    const Bytes frame = packet("once only");
    send(frame);
    ASSERT_TRUE(wait_delivered("once only", 1, 5s));
    ASSERT_EQ(m_node->stop(SIGTERM, 10s), 0) << "a clean stop saves the replay state";
    m_node.reset();

    ASSERT_TRUE(start());
    send(frame); // the same packet, to the restarted node
    send(packet("after the restart"));
    ASSERT_TRUE(wait_delivered("after the restart", 1, 5s)) << "the restarted node forwards fresh packets";
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(delivered("once only"), 1u) << "the replay was forwarded again after the restart";
}

TEST_F(MixnodeRestart, AfterACrashThePacketsOfTheOldKeyAreRefused) {
    ASSERT_TRUE(start());
    const Bytes frame = packet("before the crash");
    send(frame);
    ASSERT_TRUE(wait_delivered("before the crash", 1, 5s));
    ASSERT_EQ(m_node->stop(SIGKILL, 5s), 128 + SIGKILL); // no chance to save its filter
    m_node.reset();

    ASSERT_TRUE(start());
    send(frame);
    // The restarted node announces its new key; a packet built for it goes through.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::optional<crypto::X25519PublicKey> announced;
    while (!announced && std::chrono::steady_clock::now() < deadline) {
        auto r = runtime::http_request("127.0.0.1", m_dir.port, "GET", "/api/presence/topology");
        auto topology = r ? wire::directory::parse_topology(r->body) : wire::directory::parse_topology("");
        if (topology)
            for (const auto& mix : topology->mix_nodes)
                if (mix.host == "127.0.0.1:" + std::to_string(m_port) && !(mix.pub_key == m_key)) announced = mix.pub_key;
        if (!announced) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(announced) << "the restarted node did not announce a new Sphinx key";
    m_key = *announced;
    send(packet("after the crash"));
    ASSERT_TRUE(wait_delivered("after the crash", 1, 5s));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(delivered("before the crash"), 1u) << "a packet forwarded before the crash was forwarded again";
}

} // namespace
} // namespace nym::functional
