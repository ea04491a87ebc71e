#pragma once
// The running validator application: the ledger (on its RocksDB store) served over ABCI 2.0 to one
// CometBFT validator process. CometBFT opens four connections (consensus, mempool, query/info,
// snapshot) to the listener; each is one abci::Connection (sans-IO) over runtime::TcpService.
// Everything runs on the loop's I/O thread, so the four connections' requests are handled one at a
// time in arrival order (the Ledger is also safe across threads; one thread keeps it simple).

#include <runtime/loop.hpp>
#include <runtime/tcp.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace nym::ledger {
class Ledger;
}
namespace nym::store {
class RocksStore;
}
namespace nym::abci {
class Application;
}

namespace nym::validator {

struct DaemonConfig {
    std::filesystem::path data_dir;          ///< the RocksDB database folder (created if missing)
    std::string listen_host = "127.0.0.1";   ///< where CometBFT connects (proxy_app = tcp://host:port)
    std::uint16_t listen_port = 26658;       ///< CometBFT's default proxy_app port; 0 = any free port
    bool sync = true;                        ///< fsync every commit (only benchmarks turn it off)
};

/// Why the daemon could not start, in words for the operator.
struct StartError {
    std::string message;
};

class Daemon {
public:
    Daemon(runtime::Loop& loop, DaemonConfig config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Opens the store and the ledger (checking the stored state against its commit point), then
    /// listens. The bound port, or why not.
    [[nodiscard]] Expected<std::uint16_t, StartError> start();

    /// The last committed height (0 before the first block).
    [[nodiscard]] std::uint64_t height() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::validator
