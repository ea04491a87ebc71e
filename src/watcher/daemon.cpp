#include <util/hex.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <ethereum/rpc_client.hpp>
#include <node/cometbft_client.hpp>
#include <node/logging.hpp>
#include <watcher/daemon.hpp>

namespace nym::watcher {

struct Daemon::Impl {
    Impl(runtime::Loop& l, Config c, crypto::Secp256k1SecretKey key)
        : loop(l), config(std::move(c)), notifier(config.notifier(), std::move(key)), follow_timer(loop),
          notify_timer(loop) {}

    void act(follow::Action action);
    void act(notify::Action action);
    void query_account();
    void persist(std::uint64_t through);

    runtime::Loop& loop;
    Config config;
    std::unique_ptr<Follower> follower;
    Notifier notifier;
    std::unique_ptr<ethereum::RpcClient> ethereum;
    std::unique_ptr<node::CometBftClient> ledger;
    runtime::Timer follow_timer;
    runtime::Timer notify_timer;
    std::uint64_t delivering_through = 0;
    node::FailureLog ethereum_log{"following Ethereum"};
    node::FailureLog ledger_log{"notifying the ledger"};
};

void Daemon::Impl::act(follow::Action action) {
    if (loop.stopping()) return;
    std::visit(
        [this](auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, follow::FetchHead>) {
                ethereum->block_number([this](auto r) { act(follower->on_head(r)); });
            } else if constexpr (std::is_same_v<A, follow::FetchBlock>) {
                ethereum->block(a.number, [this](auto r) { act(follower->on_block(r)); });
            } else if constexpr (std::is_same_v<A, follow::FetchLogs>) {
                ethereum->logs(a.filter, [this](auto r) { act(follower->on_logs(r)); });
            } else if constexpr (std::is_same_v<A, follow::Wait>) {
                if (a.problem.empty()) {
                    ethereum_log.succeeded();
                } else {
                    ethereum_log.failed(a.problem);
                }
                follow_timer.arm(runtime::Loop::Clock::now() + a.delay, [this] { act(follower->resume()); });
            } else if constexpr (std::is_same_v<A, follow::Deliver>) {
                ethereum_log.succeeded();
                delivering_through = a.through;
                for (const auto& claim : a.claims) {
                    spdlog::info("transfer of {} to the pipe account in block {} (tx 0x{}, log {}) for {}",
                                 claim.amount, claim.block, util::to_hex(claim.eth_tx_hash), claim.log_index,
                                 claim.recipient.to_hex());
                }
                act(notifier.start(std::move(a.claims), runtime::Loop::Clock::now()));
            }
        },
        action);
}

void Daemon::Impl::query_account() {
    const auto& address = notifier.address();
    ledger->abci_query("/account", {address.bytes.begin(), address.bytes.end()},
                       [this](node::CometResult<node::AbciQueryResult> r) {
                           std::optional<std::uint64_t> nonce;
                           std::string why;
                           if (!r) {
                               why = r.error().message;
                           } else if (r->code != 0) {
                               why = "code " + std::to_string(r->code) + " " + r->log;
                           } else {
                               auto doc = nlohmann::json::parse(r->value, nullptr, false);
                               if (doc.is_object() && doc.contains("nonce") && doc["nonce"].is_string()) {
                                   try {
                                       nonce = std::stoull(doc["nonce"].get<std::string>());
                                   } catch (const std::exception&) {
                                       why = "a nonce that is not a number";
                                   }
                               } else {
                                   why = "an /account answer without a nonce";
                               }
                           }
                           act(notifier.on_account(nonce, why, runtime::Loop::Clock::now()));
                       });
}

void Daemon::Impl::persist(std::uint64_t through) {
    auto written = write_progress(config.progress_file, through);
    if (!written) {
        // Not fatal: the range is processed again after a restart (notices are idempotent).
        spdlog::warn("progress file: {}", written.error().message());
    }
}

void Daemon::Impl::act(notify::Action action) {
    if (loop.stopping()) return;
    std::visit(
        [this](auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, notify::QueryAccount>) {
                query_account();
            } else if constexpr (std::is_same_v<A, notify::Broadcast>) {
                const std::size_t index = a.claim;
                ledger->broadcast_tx_sync(std::move(a.tx), [this, index](auto r) {
                    BroadcastOutcome outcome;
                    if (!r) {
                        outcome.kind = r.error().kind == node::CometError::Kind::rpc
                                           ? BroadcastOutcome::Kind::rpc_error
                                           : BroadcastOutcome::Kind::unreachable;
                        outcome.message = r.error().message;
                    } else {
                        outcome.code = r->code;
                        outcome.message = r->log;
                        const auto& claim = notifier.claims()[index];
                        if (r->code == 0) {
                            spdlog::info("notice for tx 0x{} log {} admitted by {}", util::to_hex(claim.eth_tx_hash),
                                         claim.log_index, ledger->current_endpoint());
                        } else {
                            const auto level = (r->code == 16 || r->code == 17) ? spdlog::level::info // settled
                                                                                : spdlog::level::err;
                            spdlog::log(level, "notice for tx 0x{} log {}: code {} {}", util::to_hex(claim.eth_tx_hash),
                                        claim.log_index, r->code, r->log);
                        }
                    }
                    act(notifier.on_broadcast(outcome, runtime::Loop::Clock::now()));
                });
            } else if constexpr (std::is_same_v<A, notify::Sleep>) {
                if (!a.problem.empty()) {
                    ledger_log.failed(a.problem);
                }
                notify_timer.arm(runtime::Loop::Clock::now() + a.delay, [this] { act(notifier.wake()); });
            } else if constexpr (std::is_same_v<A, notify::Settled>) {
                ledger_log.succeeded();
                persist(delivering_through);
                act(follower->on_delivered());
            }
        },
        action);
}

Daemon::Daemon(runtime::Loop& loop, Config config, crypto::Secp256k1SecretKey key)
    : m_impl(std::make_unique<Impl>(loop, std::move(config), std::move(key))) {}

Daemon::~Daemon() = default;

const Address& Daemon::address() const noexcept {
    return m_impl->notifier.address();
}

WatcherStats Daemon::stats() const {
    WatcherStats s;
    if (m_impl->follower) {
        s.next_block = m_impl->follower->next_block();
        s.claims_found = m_impl->follower->claims_found();
    }
    s.notices_refused = m_impl->notifier.refused();
    return s;
}

Expected<std::uint64_t, StartError> Daemon::start() {
    auto& impl = *m_impl;
    auto progress = read_progress(impl.config.progress_file);
    if (!progress) return Unexpected(StartError{progress.error().message()});
    auto eth_url = runtime::parse_url(impl.config.ethereum_url);
    if (!eth_url) return Unexpected(StartError{"ethereum.rpc_url: " + impl.config.ethereum_url});
    std::vector<runtime::Url> validators;
    for (const auto& v : impl.config.validators) {
        auto url = runtime::parse_url(v);
        if (!url) return Unexpected(StartError{"ledger.validators: " + v});
        validators.push_back(*url);
    }
    impl.ethereum = std::make_unique<ethereum::RpcClient>(impl.loop, *eth_url);
    impl.ledger = std::make_unique<node::CometBftClient>(impl.loop, std::move(validators));
    impl.follower = std::make_unique<Follower>(impl.config.follower(), *progress);
    const std::uint64_t first = impl.follower->next_block();
    impl.loop.post([&impl] { impl.act(impl.follower->start()); });
    return first;
}

} // namespace nym::watcher
