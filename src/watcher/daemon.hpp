#pragma once
// The running watcher: the Follower on an Ethereum node's JSON-RPC (ethereum::RpcClient) and the
// Notifier on the validators' CometBFT RPC (node::CometBftClient), both on one runtime::Loop, with
// the progress file written after every range whose notices are settled.

#include <crypto/secp256k1.hpp>
#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <watcher/config.hpp>

namespace nym::watcher {

struct StartError {
    std::string message;
};

/// What the watcher has done so far (I/O thread).
struct WatcherStats {
    std::uint64_t next_block = 0;
    std::uint64_t claims_found = 0;
    std::uint64_t notices_refused = 0;
};

class Daemon {
public:
    Daemon(runtime::Loop& loop, Config config, crypto::Secp256k1SecretKey key);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Reads the progress file and starts following. The first block it will look at, or why not.
    [[nodiscard]] Expected<std::uint64_t, StartError> start();
    [[nodiscard]] const Address& address() const noexcept;
    [[nodiscard]] WatcherStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::watcher
