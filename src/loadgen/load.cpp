#include <loadgen/load.hpp>

#include <crypto/rng.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/constants.hpp>
#include <sphinx/errors.hpp>
#include <sphinx/packet_size.hpp>
#include <sphinx/processing.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wire/framing.hpp>

namespace nym::loadgen {
namespace {

constexpr sphinx::PacketSize PACKET_SIZE = sphinx::PacketSize::regular;
static_assert(PacketPool::FRAME_SIZE == wire::FRAME_HEADER_SIZE + sphinx::packet_size(PACKET_SIZE));

std::error_code last_errno() {
    return {errno, std::system_category()};
}

std::uint64_t prefix_of(const std::uint8_t* alpha) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, alpha, sizeof v);
    return v;
}

/// Sleeps until the steady-clock instant `deadline_ns` (absolute, so early wake-ups do not drift).
void sleep_until_ns(std::int64_t deadline_ns) noexcept {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

bool send_all(int fd, const std::uint8_t* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

Expected<int> connect_to(const TargetAddress& target) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(target.port);
    if (inet_pton(AF_INET, target.ip.c_str(), &addr.sin_addr) != 1) {
        return Unexpected(std::make_error_code(std::errc::invalid_argument));
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Unexpected(last_errno());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const auto ec = last_errno();
        ::close(fd);
        return Unexpected(ec);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double rank = std::ceil(q * static_cast<double>(sorted.size()));
    const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

Percentiles summarize(std::vector<double> values) {
    Percentiles p;
    if (values.empty()) return p;
    std::sort(values.begin(), values.end());
    p.p50 = percentile(values, 0.50);
    p.p90 = percentile(values, 0.90);
    p.p99 = percentile(values, 0.99);
    p.p999 = percentile(values, 0.999);
    p.max = values.back();
    double sum = 0;
    for (double v : values) sum += v;
    p.mean = sum / static_cast<double>(values.size());
    return p;
}

/// The route every packet takes: the node, then the sink. The sink's key is random (it never
/// decrypts) and the node's own address is not part of the header, so only the sink's is encoded.
struct Route {
    std::array<sphinx::RouteNode, 2> nodes;
    std::array<sphinx::Delay, 2> delays{sphinx::Delay(0), sphinx::Delay(0)};
};

/// One frame with a fresh initial secret: header ‖ payload built by the builder's own steps (as
/// build_packet does them), so that the key material — and with it the α the node will forward the
/// packet with — is derived once, not twice. Returns that α.
Expected<Alpha> build_frame(const Route& route, std::span<const std::uint8_t> message,
                            std::span<std::uint8_t, PacketPool::FRAME_SIZE> out) {
    auto& rng = crypto::system_rng();
    const auto secret = crypto::X25519SecretKey::generate(rng);
    std::array<std::uint8_t, sphinx::final_hop_padding_size(2)> padding{};
    rng.fill(padding);
    auto hops = sphinx::derive_key_material(route.nodes, secret);
    if (!hops) return Unexpected(hops.error());
    auto header = sphinx::build_header(route.nodes, *hops, route.delays, {}, {}, padding);
    if (!header) return Unexpected(header.error());
    const auto frame_header = wire::encode_frame_header(PACKET_SIZE);
    std::memcpy(out.data(), frame_header.data(), frame_header.size());
    std::memcpy(out.data() + frame_header.size(), header->data(), header->size());
    const std::array<const crypto::LionessKey*, 2> keys{&(*hops)[0].keys.payload_key, &(*hops)[1].keys.payload_key};
    auto payload = sphinx::encrypt_payload(keys, message, out.subspan(frame_header.size() + sphinx::HEADER_SIZE));
    if (!payload) return Unexpected(payload.error());
    return (*hops)[1].alpha.bytes;
}

/// Packets due in [0, seconds) at `rate`: ⌈rate · seconds⌉, without rounding 300 × 1.3 up to 391.
std::size_t packets_in(double rate, double seconds) noexcept {
    return static_cast<std::size_t>(std::ceil(rate * seconds - 1e-6));
}

} // namespace

std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// ---- PacketPool ----

Expected<void> PacketPool::grow_to(std::size_t count, unsigned threads) {
    const std::size_t first = m_alphas.size();
    if (count <= first) return {};
    if (count > std::numeric_limits<std::uint32_t>::max()) {
        return Unexpected(std::make_error_code(std::errc::value_too_large));
    }
    m_frames.resize(count * FRAME_SIZE);
    m_alphas.resize(count);

    Route route;
    route.nodes[0] = {sphinx::encode_node_address(m_sink), m_node_key};
    route.nodes[1] = {sphinx::encode_node_address(m_sink),
                      crypto::X25519SecretKey::generate(crypto::system_rng()).public_key()};
    const std::vector<std::uint8_t> message(sphinx::plaintext_size(PACKET_SIZE), 0x6c);

    std::atomic<bool> failed{false};
    std::error_code failure;
    std::mutex failure_mutex;
    auto build_range = [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end && !failed.load(std::memory_order_relaxed); ++i) {
            auto alpha = build_frame(route, message,
                                     std::span<std::uint8_t, FRAME_SIZE>(m_frames.data() + i * FRAME_SIZE, FRAME_SIZE));
            if (!alpha) {
                std::lock_guard guard(failure_mutex);
                failure = alpha.error();
                failed = true;
                return;
            }
            m_alphas[i] = *alpha;
        }
    };
    const std::size_t todo = count - first;
    const unsigned workers =
        std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::min<std::size_t>(todo, 64))));
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < workers; ++w) {
        const std::size_t begin = first + todo * w / workers;
        const std::size_t end = first + todo * (w + 1) / workers;
        pool.emplace_back(build_range, begin, end);
    }
    for (auto& t : pool) t.join();
    if (failed) {
        m_frames.resize(first * FRAME_SIZE);
        m_alphas.resize(first);
        return Unexpected(failure);
    }
    for (std::size_t i = first; i < count; ++i)
        m_index.emplace(prefix_of(m_alphas[i].data()), static_cast<std::uint32_t>(i));
    return {};
}

std::int64_t PacketPool::lookup(const std::uint8_t* alpha) const {
    auto it = m_index.find(prefix_of(alpha));
    if (it == m_index.end()) return -1;
    if (std::memcmp(m_alphas[it->second].data(), alpha, 32) != 0) return -1;
    return static_cast<std::int64_t>(it->second);
}

void Timeline::reset(std::size_t count) {
    if (count > capacity) {
        received = std::make_unique<std::atomic<std::int64_t>[]>(count);
        capacity = count;
    }
    sent.assign(count, 0);
    for (std::size_t i = 0; i < capacity; ++i) received[i].store(0, std::memory_order_relaxed);
}

// ---- Sink ----

Sink::~Sink() {
    stop();
}

Expected<std::uint16_t> Sink::start(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Unexpected(last_errno());
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        const auto ec = last_errno();
        ::close(fd);
        return Unexpected(ec);
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_listen_fd = fd;
    m_acceptor = std::thread([this] { accept_loop(); });
    return ntohs(addr.sin_port);
}

void Sink::stop() {
    m_stopping = true;
    if (m_acceptor.joinable()) m_acceptor.join();
    std::vector<std::thread> readers;
    {
        std::lock_guard lock(m_readers_mutex);
        readers.swap(m_readers);
    }
    for (auto& t : readers) t.join();
    if (m_listen_fd >= 0) ::close(m_listen_fd);
    m_listen_fd = -1;
}

void Sink::attach(const PacketPool* pool, Timeline* timeline) {
    std::unique_lock lock(m_attach_mutex);
    m_pool = pool;
    m_timeline = timeline;
}

void Sink::reset_counters() noexcept {
    m_matched = 0;
    m_unmatched = 0;
    m_duplicates = 0;
    m_bad_frames = 0;
}

void Sink::accept_loop() {
    while (!m_stopping) {
        pollfd p{m_listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++m_open;
        std::lock_guard lock(m_readers_mutex);
        m_readers.emplace_back([this, fd] { read_loop(fd); });
    }
}

void Sink::read_loop(int fd) {
    constexpr std::size_t FRAME = PacketPool::FRAME_SIZE;
    std::vector<std::uint8_t> buffer(64 * FRAME);
    std::size_t have = 0;
    const auto expected_header = wire::encode_frame_header(PACKET_SIZE);
    while (!m_stopping) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 100);
        if (ready == 0) continue;
        if (ready < 0 && errno == EINTR) continue;
        const ssize_t n = ready < 0 ? -1 : ::recv(fd, buffer.data() + have, buffer.size() - have, 0);
        if (n <= 0) break;
        const std::int64_t at = now_ns();
        have += static_cast<std::size_t>(n);
        std::size_t offset = 0;
        bool broken = false;
        {
            // attach() waits for this batch to finish, so the pool and timeline stay valid here.
            std::shared_lock lock(m_attach_mutex);
            const PacketPool* pool = m_pool;
            Timeline* timeline = m_timeline;
            for (; have - offset >= FRAME; offset += FRAME) {
                const std::uint8_t* frame = buffer.data() + offset;
                if (std::memcmp(frame, expected_header.data(), expected_header.size()) != 0) {
                    // No resynchronisation point in a frame stream: give up on this connection.
                    ++m_bad_frames;
                    broken = true;
                    break;
                }
                if (pool == nullptr || timeline == nullptr) {
                    ++m_unmatched;
                    continue;
                }
                const std::int64_t index = pool->lookup(frame + expected_header.size());
                if (index < 0 || static_cast<std::size_t>(index) < timeline->first ||
                    static_cast<std::size_t>(index) >= std::min(timeline->end, timeline->capacity)) {
                    ++m_unmatched;
                    continue;
                }
                std::int64_t zero = 0;
                if (timeline->received[static_cast<std::size_t>(index)].compare_exchange_strong(zero, at)) {
                    ++m_matched;
                } else {
                    ++m_duplicates;
                }
            }
        }
        if (broken) break;
        std::memmove(buffer.data(), buffer.data() + offset, have - offset);
        have -= offset;
    }
    ::close(fd);
    --m_open;
}

// ---- one step ----

std::size_t packets_needed(const StepOptions& options) noexcept {
    const double seconds = std::chrono::duration<double>(options.warmup + options.duration).count();
    return packets_in(options.rate, seconds);
}

StepResult run_step(const TargetAddress& target, PacketPool& pool, Sink& sink, const StepOptions& options) {
    StepResult result;
    result.offered_rate = options.rate;
    const std::size_t n = packets_needed(options);
    const std::size_t first = options.first_packet;
    if (options.rate <= 0 || n == 0) {
        result.error = "rate must be positive";
        return result;
    }
    if (first + n > pool.size()) {
        result.error = "packet pool too small";
        return result;
    }
    result.packets_used = n;

    std::vector<int> fds;
    for (unsigned c = 0; c < std::max(1u, options.connections); ++c) {
        auto fd = connect_to(target);
        if (!fd) {
            result.error =
                "cannot connect to " + target.ip + ":" + std::to_string(target.port) + ": " + fd.error().message();
            for (int open : fds) ::close(open);
            return result;
        }
        fds.push_back(*fd);
    }

    Timeline timeline;
    timeline.reset(pool.size());
    timeline.first = first;
    timeline.end = first + n;
    sink.attach(&pool, &timeline);
    sink.reset_counters();

    // Open loop: packet k is due at t0 + k / rate whatever happened to earlier packets. Packets that
    // are due together (the sender woke late) leave together, in one send per connection.
    const double period_ns = 1e9 / options.rate;
    const std::int64_t t0 = now_ns() + 20'000'000;
    auto due = [&](std::size_t k) {
        return t0 + static_cast<std::int64_t>(std::llround(static_cast<double>(k) * period_ns));
    };
    const std::int64_t window_start = t0 + std::chrono::nanoseconds(options.warmup).count();
    const std::int64_t window_end = window_start + std::chrono::nanoseconds(options.duration).count();
    bool window_open = false;
    std::vector<std::int64_t> late(n, 0);
    std::size_t k = 0;
    bool send_failed = false;
    while (k < n && !send_failed) {
        const std::int64_t next_due = due(k);
        std::int64_t now = now_ns();
        if (now < next_due) {
            sleep_until_ns(next_due);
            now = now_ns();
        }
        std::size_t end = k + 1;
        while (end < n && due(end) <= now) ++end;
        const std::int64_t stamp = now_ns();
        if (fds.size() == 1) {
            for (std::size_t i = k; i < end; ++i) timeline.sent[first + i] = stamp;
            send_failed = !send_all(fds[0], pool.frame(first + k), (end - k) * PacketPool::FRAME_SIZE);
        } else {
            for (std::size_t i = k; i < end && !send_failed; ++i) {
                timeline.sent[first + i] = now_ns();
                send_failed = !send_all(fds[i % fds.size()], pool.frame(first + i), PacketPool::FRAME_SIZE);
            }
        }
        for (std::size_t i = k; i < end; ++i) late[i] = stamp - due(i);
        k = end;
        if (!window_open && now_ns() >= window_start) {
            window_open = true;
            if (options.on_window_start) options.on_window_start();
        }
    }
    if (!send_failed) {
        sleep_until_ns(window_end);
        if (window_open && options.on_window_end) options.on_window_end();
    }
    const std::int64_t last_send = now_ns();
    if (send_failed) result.error = "the node closed the connection";

    // Drain: wait for stragglers until everything arrived, arrivals stopped, or the drain time ended.
    const std::int64_t drain_end = last_send + std::chrono::nanoseconds(options.drain).count();
    std::uint64_t seen = sink.matched();
    std::int64_t progress_at = now_ns();
    while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const std::int64_t now = now_ns();
        const std::uint64_t m = sink.matched();
        if (m >= k) break;
        if (m != seen) {
            seen = m;
            progress_at = now;
        }
        if (now >= drain_end || now - progress_at > std::chrono::nanoseconds(options.stall).count()) break;
    }
    for (int fd : fds) ::close(fd);

    // Statistics over the measured window only.
    const std::size_t k_warm =
        std::min(n, packets_in(options.rate, std::chrono::duration<double>(options.warmup).count()));
    const double window_s = std::chrono::duration<double>(options.duration).count();
    std::vector<double> latencies;
    std::vector<double> lateness;
    std::uint64_t sent_in_window = 0;
    std::uint64_t arrived_in_window = 0;
    for (std::size_t i = 0; i < k; ++i) {
        const std::int64_t r = timeline.received[first + i].load(std::memory_order_relaxed);
        if (r >= window_start && r < window_end) ++arrived_in_window;
        const std::int64_t s = timeline.sent[first + i];
        if (s >= window_start && s < window_end) ++sent_in_window;
        if (i < k_warm) continue;
        ++result.sent;
        lateness.push_back(static_cast<double>(late[i]) / 1e3);
        if (r != 0) {
            ++result.received;
            latencies.push_back(static_cast<double>(r - s) / 1e3);
        }
    }
    result.send_rate = static_cast<double>(sent_in_window) / window_s;
    result.throughput = static_cast<double>(arrived_in_window) / window_s;
    result.loss =
        result.sent == 0 ? 0.0 : 1.0 - static_cast<double>(result.received) / static_cast<double>(result.sent);
    result.latency = summarize(std::move(latencies));
    result.sender_late_p99_us = summarize(std::move(lateness)).p99;
    result.unmatched = sink.unmatched();
    sink.attach(nullptr, nullptr);
    return result;
}

// ---- the in-process reference ----

namespace {

std::int64_t thread_cpu_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// A regular 2-hop packet for a key of our own, and that key.
struct ReferencePacket {
    crypto::X25519SecretKey key;
    std::vector<std::uint8_t> packet;
};

std::optional<ReferencePacket> reference_packet() {
    auto& rng = crypto::system_rng();
    ReferencePacket out{crypto::X25519SecretKey::generate(rng), {}};
    const auto next = crypto::X25519SecretKey::generate(rng);
    const auto address = sphinx::encode_node_address(sphinx::IpEndpoint::v4({127, 0, 0, 1}, 1789));
    const std::array<sphinx::RouteNode, 2> route{sphinx::RouteNode{address, out.key.public_key()},
                                                 sphinx::RouteNode{address, next.public_key()}};
    const std::array<sphinx::Delay, 2> delays{sphinx::Delay(0), sphinx::Delay(0)};
    const std::vector<std::uint8_t> message(sphinx::plaintext_size(PACKET_SIZE), 0x6c);
    auto packet = sphinx::build_packet(route, delays, {}, {}, message, sphinx::payload_size(PACKET_SIZE), rng);
    if (!packet) return std::nullopt;
    out.packet = std::move(*packet);
    return out;
}

/// One forward hop on a copy of the packet, as bench_sphinx's sphinx_process_hop; false if it failed.
bool hop(const ReferencePacket& reference, std::vector<std::uint8_t>& buffer) {
    std::memcpy(buffer.data(), reference.packet.data(), buffer.size());
    auto processed = sphinx::process_packet(buffer, reference.key);
    return processed && processed->forward() != nullptr;
}

} // namespace

PureRate measure_pure_rate(std::chrono::milliseconds duration) {
    PureRate out;
    const auto reference = reference_packet();
    if (!reference) return out;
    std::vector<std::uint8_t> buffer(reference->packet.size());
    const std::int64_t start = now_ns();
    const std::int64_t cpu_start = thread_cpu_ns();
    const std::int64_t end = start + std::chrono::nanoseconds(duration).count();
    std::int64_t now = start;
    std::uint64_t failures = 0;
    while (now < end) {
        for (int i = 0; i < 32; ++i)
            if (!hop(*reference, buffer)) ++failures;
        out.iterations += 32;
        now = now_ns();
    }
    const std::int64_t cpu = thread_cpu_ns() - cpu_start;
    if (failures != 0) return PureRate{};
    out.rate = static_cast<double>(out.iterations) / (static_cast<double>(now - start) / 1e9);
    out.us_per_hop = 1e6 / out.rate;
    out.cpu_us_per_hop = static_cast<double>(cpu) / 1e3 / static_cast<double>(out.iterations);
    return out;
}

PureRate measure_paced_hop(double rate, std::chrono::milliseconds duration) {
    PureRate out;
    const auto reference = reference_packet();
    if (!reference || rate <= 0) return out;
    std::vector<std::uint8_t> buffer(reference->packet.size());
    const auto period = static_cast<std::int64_t>(1e9 / rate);
    const std::int64_t start = now_ns();
    const std::int64_t end = start + std::chrono::nanoseconds(duration).count();
    const std::int64_t cpu_start = thread_cpu_ns();
    std::uint64_t failures = 0;
    std::int64_t work_cpu = 0;
    for (std::int64_t due = start + period; due < end; due += period) {
        sleep_until_ns(due);
        const std::int64_t before = thread_cpu_ns();
        if (!hop(*reference, buffer)) ++failures;
        work_cpu += thread_cpu_ns() - before;
        ++out.iterations;
    }
    const std::int64_t cpu = thread_cpu_ns() - cpu_start;
    if (failures != 0 || out.iterations == 0) return PureRate{};
    out.rate = rate;
    out.us_per_hop = 1e6 / rate;
    out.cpu_us_per_hop = static_cast<double>(cpu) / 1e3 / static_cast<double>(out.iterations);
    out.work_cpu_us_per_hop = static_cast<double>(work_cpu) / 1e3 / static_cast<double>(out.iterations);
    return out;
}

namespace {

/// Pins the calling thread to `cpu` if the machine has it; a no-op otherwise.
void pin_to(unsigned cpu) noexcept {
    if (std::thread::hardware_concurrency() <= cpu) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// A connected loopback TCP pair (no Nagle on the sending end, as connect_to() makes it), or an error.
struct LoopbackPair {
    int sender = -1;
    int receiver = -1;
    std::string error;
    ~LoopbackPair() {
        if (sender >= 0) ::close(sender);
        if (receiver >= 0) ::close(receiver);
    }
};

void connect_loopback(LoopbackPair& pair) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) {
        pair.error = "socket: " + last_errno().message();
        return;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        pair.error = "loopback listener: " + last_errno().message();
        ::close(listener);
        return;
    }
    auto sender = connect_to(TargetAddress{"127.0.0.1", ntohs(address.sin_port)});
    if (!sender) {
        pair.error = "loopback connect: " + sender.error().message();
        ::close(listener);
        return;
    }
    pair.sender = *sender;
    pair.receiver = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ::close(listener);
    if (pair.receiver < 0) {
        pair.error = "loopback accept: " + last_errno().message();
        return;
    }
}

} // namespace

WakeFloor measure_wake_floor(double rate, std::chrono::milliseconds duration) {
    WakeFloor out;
    out.rate = rate;
    if (rate <= 0) {
        out.error = "no rate";
        return out;
    }
    LoopbackPair pair;
    connect_loopback(pair);
    if (!pair.error.empty()) {
        out.error = pair.error;
        return out;
    }
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) {
        out.error = "epoll_create1: " + last_errno().message();
        return out;
    }
    epoll_event interest{};
    interest.events = EPOLLIN;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, pair.receiver, &interest) != 0) {
        out.error = "epoll_ctl: " + last_errno().message();
        ::close(epoll);
        return out;
    }

    constexpr std::size_t FRAME = PacketPool::FRAME_SIZE;
    std::atomic<bool> sending_done{false};
    std::vector<double> latencies;
    std::int64_t receiver_cpu = 0;
    std::uint64_t received = 0;
    std::thread receiver([&] {
        pin_to(1);
        std::vector<std::uint8_t> frame(FRAME);
        std::size_t have = 0;
        const std::int64_t cpu_start = thread_cpu_ns();
        while (true) {
            epoll_event event{};
            const int n = ::epoll_wait(epoll, &event, 1, 50);
            if (n <= 0) {
                if (sending_done.load(std::memory_order_acquire)) break;
                continue;
            }
            while (true) {
                const ssize_t got = ::recv(pair.receiver, frame.data() + have, FRAME - have, 0);
                if (got <= 0) break;
                have += static_cast<std::size_t>(got);
                if (have < FRAME) continue;
                std::int64_t sent_at = 0;
                std::memcpy(&sent_at, frame.data(), sizeof sent_at);
                latencies.push_back(static_cast<double>(now_ns() - sent_at) / 1e3);
                ++received;
                have = 0;
            }
        }
        receiver_cpu = thread_cpu_ns() - cpu_start;
    });

    std::thread sender([&] {
        pin_to(0);
        std::vector<std::uint8_t> frame(FRAME, 0x5a);
        const double period = 1e9 / rate;
        const double seconds = std::chrono::duration<double>(duration).count();
        const auto count = static_cast<std::uint64_t>(std::llround(rate * seconds));
        const std::int64_t start = now_ns() + 10'000'000;
        std::int64_t send_cpu = 0;
        for (std::uint64_t i = 0; i < count; ++i) {
            sleep_until_ns(start + static_cast<std::int64_t>(static_cast<double>(i) * period));
            const std::int64_t at = now_ns();
            std::memcpy(frame.data(), &at, sizeof at);
            const std::int64_t before = thread_cpu_ns();
            if (!send_all(pair.sender, frame.data(), frame.size())) {
                out.error = "loopback send: " + last_errno().message();
                break;
            }
            send_cpu += thread_cpu_ns() - before;
            ++out.frames;
        }
        out.sender_cpu_us = out.frames == 0 ? 0 : static_cast<double>(send_cpu) / 1e3 / static_cast<double>(out.frames);
        sending_done.store(true, std::memory_order_release);
    });
    sender.join();
    receiver.join();
    ::close(epoll);
    if (out.error.empty() && received != out.frames)
        out.error = "the receiver read " + std::to_string(received) + " of " + std::to_string(out.frames) + " frames";
    if (received != 0) out.receiver_cpu_us = static_cast<double>(receiver_cpu) / 1e3 / static_cast<double>(received);
    out.wake_latency = summarize(std::move(latencies));
    return out;
}

} // namespace nym::loadgen
