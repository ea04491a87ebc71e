#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <loadgen/directory_stub.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wire/directory.hpp>

namespace nym::loadgen {
namespace {

constexpr std::size_t MAX_REQUEST = 64 * 1024;

/// Reads one request (headers and a Content-Length body) within `timeout`; empty on failure.
std::string read_request(int fd, std::chrono::milliseconds timeout) {
    std::string request;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (request.size() < MAX_REQUEST && std::chrono::steady_clock::now() < deadline) {
        const auto end = request.find("\r\n\r\n");
        if (end != std::string::npos) {
            std::size_t length = 0;
            for (const char* name : {"Content-Length:", "content-length:"}) {
                const auto at = request.find(name);
                if (at != std::string::npos && at < end)
                    length = std::strtoul(request.c_str() + at + std::strlen(name), nullptr, 10);
            }
            if (request.size() >= end + 4 + length) return request;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
    }
    return {};
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

} // namespace

DirectoryStub::~DirectoryStub() {
    stop();
}

Expected<std::uint16_t> DirectoryStub::start(std::uint16_t port, const sphinx::IpEndpoint& sink) {
    wire::directory::Topology topology;
    for (const std::uint8_t layer : {std::uint8_t{2}, std::uint8_t{3}}) {
        wire::directory::TopologyMixNode mix;
        mix.host = sink.to_string();
        mix.layer = layer;
        topology.mix_nodes.push_back(mix);
    }
    wire::directory::TopologyGateway gateway;
    gateway.host = sink.to_string();
    gateway.client_listener = "ws://" + sink.to_string();
    topology.gateways.push_back(gateway);
    m_topology_json = wire::directory::to_json(topology);

    m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listen_fd < 0) return Unexpected(std::error_code(errno, std::system_category()));
    const int one = 1;
    ::setsockopt(m_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_listen_fd, 64) != 0) {
        const int err = errno;
        ::close(m_listen_fd);
        m_listen_fd = -1;
        return Unexpected(std::error_code(err, std::system_category()));
    }
    socklen_t len = sizeof addr;
    ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
    return m_port;
}

void DirectoryStub::stop() {
    m_stopping = true;
    if (m_thread.joinable()) m_thread.join();
    if (m_listen_fd >= 0) ::close(m_listen_fd);
    m_listen_fd = -1;
}

bool DirectoryStub::wait_for_topology_request(std::uint64_t seen, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_topology_requests.load() <= seen) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

void DirectoryStub::serve() {
    while (!m_stopping) {
        pollfd p{m_listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        answer(fd);
        ::close(fd);
    }
}

void DirectoryStub::answer(int fd) {
    const std::string request = read_request(fd, std::chrono::seconds(1));
    if (request.empty()) return;
    const bool topology = request.rfind("GET /api/presence/topology", 0) == 0;
    const std::string body = topology ? m_topology_json : std::string("{}");
    write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    if (topology) ++m_topology_requests;
}

} // namespace nym::loadgen
