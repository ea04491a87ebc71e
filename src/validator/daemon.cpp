#include <validator/daemon.hpp>

#include <abci/application.hpp>
#include <abci/connection.hpp>
#include <ledger/ledger.hpp>
#include <store/rocks_store.hpp>
#include <util/hex.hpp>

#include <spdlog/spdlog.h>

#include <map>

namespace nym::validator {

struct Daemon::Impl {
    Impl(runtime::Loop& l, DaemonConfig c) : loop(l), config(std::move(c)), tcp(loop, tcp_options()) {}

    static runtime::TcpOptions tcp_options() {
        runtime::TcpOptions options;
        options.max_inbound_connections = 16; // CometBFT opens four; restarts may briefly overlap
        options.max_send_queue = 65536;       // responses to a burst of CheckTx before the next Flush
        return options;
    }

    bool on_data(runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
        auto it = connections.find(id);
        if (it == connections.end()) return false;
        auto& connection = *it->second;
        auto out = connection.on_bytes(bytes);
        if (!out.empty() && !tcp.send(id, std::move(out))) return false;
        if (connection.closed()) {
            spdlog::error("abci connection {} closed: {}", id, connection.close_reason());
            tcp.close(id);
        }
        return true;
    }

    runtime::Loop& loop;
    DaemonConfig config;
    std::unique_ptr<store::RocksStore> store;
    std::unique_ptr<ledger::Ledger> ledger;
    std::unique_ptr<abci::Application> app;
    runtime::TcpService tcp;
    std::map<runtime::ConnectionId, std::unique_ptr<abci::Connection>> connections;
};

Daemon::Daemon(runtime::Loop& loop, DaemonConfig config) : m_impl(std::make_unique<Impl>(loop, std::move(config))) {}

Daemon::~Daemon() = default;

Expected<std::uint16_t, StartError> Daemon::start() {
    auto& impl = *m_impl;
    store::RocksStoreOptions store_options;
    store_options.sync = impl.config.sync;
    std::string why;
    auto store = store::RocksStore::open(impl.config.data_dir, store_options, &why);
    if (!store)
        return Unexpected(StartError{"cannot open the ledger database " + impl.config.data_dir.string() + ": " +
                                     store.error().message() + (why.empty() ? "" : " (" + why + ")")});
    impl.store = std::move(*store);
    auto ledger = ledger::Ledger::open(*impl.store);
    if (!ledger)
        return Unexpected(StartError{"the ledger database " + impl.config.data_dir.string() +
                                     " cannot be used: " + ledger.error().message()});
    impl.ledger = std::move(*ledger);
    impl.app = std::make_unique<abci::Application>(*impl.ledger);

    runtime::InboundHandlers handlers;
    handlers.on_open = [&impl](runtime::ConnectionId id, const std::string& remote) {
        impl.connections.emplace(id, std::make_unique<abci::Connection>(*impl.app));
        spdlog::info("abci connection {} from {}", id, remote);
        return true;
    };
    handlers.on_data = [&impl](runtime::ConnectionId id, std::span<const std::uint8_t> bytes) {
        return impl.on_data(id, bytes);
    };
    handlers.on_closed = [&impl](runtime::ConnectionId id) {
        impl.connections.erase(id);
        spdlog::info("abci connection {} closed", id);
    };
    auto bound = impl.tcp.listen(impl.config.listen_host, impl.config.listen_port, std::move(handlers));
    if (!bound)
        return Unexpected(StartError{"cannot listen on " + impl.config.listen_host + ":" +
                                     std::to_string(impl.config.listen_port) + ": " + bound.error().message()});
    const auto point = impl.ledger->info();
    spdlog::info("ledger at height {} (app hash {}), ABCI on {}:{}", point.height,
                 util::to_hex(point.app_hash), impl.config.listen_host, *bound);
    impl.loop.on_shutdown(runtime::ShutdownStage::finish, [&impl] {
        const auto last = impl.ledger->info();
        spdlog::info("validator application stopped at height {}", last.height);
    });
    return *bound;
}

std::uint64_t Daemon::height() const {
    return m_impl->ledger ? m_impl->ledger->info().height : 0;
}

} // namespace nym::validator
