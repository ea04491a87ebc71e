#pragma once
// A stand-in for the directory, for the node under test: a mix node forwards only to the next layer
// of the topology it fetches, so the load generator serves one in which its sink is the next hop of
// every layer (a layer-2 and a layer-3 mix node, and a gateway). It answers
// GET /api/presence/topology with that topology and every POST (heartbeats, metrics) with 200.
// Plain POSIX sockets and one thread, like the rest of the tool.

#include <sphinx/node_address.hpp>
#include <util/expected.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace nym::loadgen {

class DirectoryStub {
public:
    DirectoryStub() = default;
    ~DirectoryStub();
    DirectoryStub(const DirectoryStub&) = delete;
    DirectoryStub& operator=(const DirectoryStub&) = delete;

    /// Binds 127.0.0.1:port (0 = any) and serves a topology naming `sink` as the next hop.
    [[nodiscard]] Expected<std::uint16_t> start(std::uint16_t port, const sphinx::IpEndpoint& sink);
    void stop();

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    /// Topology requests answered so far.
    [[nodiscard]] std::uint64_t topology_requests() const noexcept { return m_topology_requests.load(); }
    /// Waits until more than `seen` topology requests were answered; false on timeout.
    [[nodiscard]] bool wait_for_topology_request(std::uint64_t seen, std::chrono::milliseconds timeout) const;

private:
    void serve();
    void answer(int fd);

    int m_listen_fd = -1;
    std::uint16_t m_port = 0;
    std::string m_topology_json;
    std::atomic<bool> m_stopping{false};
    std::atomic<std::uint64_t> m_topology_requests{0};
    std::thread m_thread;
};

} // namespace nym::loadgen
