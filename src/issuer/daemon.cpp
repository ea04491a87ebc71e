#include <runtime/http_server.hpp>
#include <util/hex.hpp>

#include <spdlog/spdlog.h>

#include <chain/errors.hpp>
#include <chain/follower.hpp>
#include <chain/rpc_client.hpp>
#include <deque>
#include <issuer/daemon.hpp>
#include <issuer/issuer.hpp>
#include <issuer/store.hpp>
#include <node/logging.hpp>
#include <wire/credentials.hpp>

namespace nym::issuer {

std::string_view openapi_document(); // embedded at build time (CMakeLists.txt)

namespace {

using runtime::HttpRequest;
using runtime::HttpResponse;
using runtime::Responder;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds CHAIN_CHECK_RETRY{1000};

runtime::ServerOptions server_options(const Config& config) {
    runtime::ServerOptions options;
    options.host = config.listen_host;
    options.port = config.listen_port;
    options.body_limit = 4 * 1024; // every endpoint is a GET
    options.server_name = "nym-issuer";
    return options;
}

} // namespace

struct Daemon::Impl : std::enable_shared_from_this<Daemon::Impl> {
    Impl(runtime::Loop& l, Config c, Keys k, DaemonOptions o)
        : loop(l), config(std::move(c)), key(std::make_shared<const coconut::SecretKey>(std::move(k.secret))),
          options(o), serial(l), server(l, server_options(config)), rpc(l, config.ledger.nodes), follower(0), timer(l) {
        identity.index = k.verification.index;
        identity.chain_id = config.ledger.chain_id;
        identity.verification_key = k.verification.encode();
    }

    struct PendingBlock {
        std::uint64_t height = 0;
        std::vector<chain::CredentialRequested> requests;
        std::vector<Answer> answers;
        std::size_t remaining = 0;
    };

    void install_routes() {
        server.route("GET", "/api/verification-key",
                     [this](const HttpRequest&) { return verification_key_response(identity); });
        server.route("GET", "/api/status",
                     [this](const HttpRequest&) { return status_response(identity, processed, counts); });
        server.route("GET", "/api/openapi.json",
                     [](const HttpRequest&) { return HttpResponse::json(200, std::string(openapi_document())); });
        server.route_async("GET", "/api/partial-credential", [this](const HttpRequest& r, Responder respond) {
            auto lookup = wire::credentials::parse_lookup_query(r.query);
            if (!lookup) {
                respond(HttpResponse::error(400, lookup.error()));
                return;
            }
            serial.post([db = store, identity = identity, lookup = *lookup, respond = std::move(respond)] {
                auto found = db->find(lookup.height, lookup.gamma);
                if (!found) {
                    spdlog::error("issuer: database lookup failed: {}", found.error());
                    respond(HttpResponse::error(500, "database error"));
                    return;
                }
                respond(
                    partial_credential_response(identity, lookup.height, lookup.gamma, *found, db->processed_height()));
            });
        });
        server.route_async("GET", "/api/block-credentials", [this](const HttpRequest& r, Responder respond) {
            auto height = wire::credentials::parse_height_query(r.query);
            if (!height) {
                respond(HttpResponse::error(400, height.error()));
                return;
            }
            serial.post([db = store, identity = identity, height = *height, respond = std::move(respond)] {
                auto answers = db->block(height);
                if (!answers) {
                    spdlog::error("issuer: database lookup failed: {}", answers.error());
                    respond(HttpResponse::error(500, "database error"));
                    return;
                }
                respond(block_credentials_response(identity, height, *answers, db->processed_height()));
            });
        });
    }

    /// Before following: the node must serve our chain, and our key should be one the chain knows.
    void check_chain() {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.status([weak](chain::Parsed<chain::Status> s) {
            auto self = weak.lock();
            if (!self) return;
            if (!s.value) {
                self->chain_log.failed(s.value.error().message() +
                                       (s.failure.message.empty() ? "" : ": " + s.failure.message));
                self->loop.after(CHAIN_CHECK_RETRY, [weak] {
                    if (auto again = weak.lock()) again->check_chain();
                });
                return;
            }
            self->chain_log.succeeded();
            if (s.value->chain_id != self->config.ledger.chain_id) {
                spdlog::critical("issuer: the ledger node serves chain '{}', the config says '{}'; stopping",
                                 s.value->chain_id, self->config.ledger.chain_id);
                self->loop.stop();
                return;
            }
            self->rpc.params([weak](Expected<ledger::Params> p) {
                auto me = weak.lock();
                if (!me) return;
                if (p) {
                    bool known = false;
                    for (const auto& k : p->issuer_keys) known = known || k.encode() == me->identity.verification_key;
                    if (!known)
                        spdlog::warn("issuer: the chain's genesis does not list this issuer's verification key; "
                                     "clients will not use its partial credentials");
                }
                spdlog::info("issuer {}: following chain '{}' from height {}", me->identity.index,
                             me->config.ledger.chain_id, me->processed + 1);
                me->following = true;
                me->pump();
            });
        });
    }

    void pump() {
        if (!following || loop.stopping()) return;
        const auto now = Clock::now();
        if (auto height = follower.fetch_due(now)) {
            fetch(*height);
            return;
        }
        if (auto when = follower.wake_at()) {
            std::weak_ptr<Impl> weak = weak_from_this();
            timer.arm(*when, [weak] {
                if (auto self = weak.lock()) self->pump();
            });
        }
    }

    void fetch(std::uint64_t height) {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.block_results(height, [weak, height](chain::Parsed<chain::BlockResults> r) {
            auto self = weak.lock();
            if (!self) return;
            const auto now = Clock::now();
            if (!r.value) {
                if (r.value.error() == chain::Errc::not_yet) {
                    self->follower.not_yet(now);
                } else {
                    self->fetch_log.failed("height " + std::to_string(height) + ": " + r.value.error().message() +
                                           (r.failure.message.empty() ? "" : " (" + r.failure.message + ")"));
                    self->follower.failed(now);
                }
                self->pump();
                return;
            }
            self->fetch_log.succeeded();
            self->follower.fetched(now);
            self->sign(height, issuer::credential_requests(*r.value));
            self->pump();
        });
    }

    void sign(std::uint64_t height, std::vector<chain::CredentialRequested> requests) {
        pending.push_back(PendingBlock{height, std::move(requests), {}, 0});
        PendingBlock& block = pending.back();
        block.answers.resize(block.requests.size());
        block.remaining = block.requests.size();
        std::weak_ptr<Impl> weak = weak_from_this();
        for (std::size_t i = 0; i < block.requests.size(); ++i) {
            loop.post_work([weak, key = key, request = block.requests[i], height, i, &l = loop] {
                Answer answer = answer_request(*key, request);
                l.post([weak, height, i, answer = std::move(answer)]() mutable {
                    if (auto self = weak.lock()) self->signed_one(height, i, std::move(answer));
                });
            });
        }
        try_commit();
    }

    void signed_one(std::uint64_t height, std::size_t i, Answer answer) {
        for (auto& block : pending) {
            if (block.height != height) continue;
            block.answers[i] = std::move(answer);
            --block.remaining;
            break;
        }
        try_commit();
    }

    void try_commit() {
        if (committing) return;
        std::vector<FinishedBlock> ready;
        for (auto& block : pending) {
            if (block.remaining != 0 || ready.size() >= options.max_commit_blocks) break;
            ready.push_back(FinishedBlock{block.height, block.answers});
        }
        if (ready.empty()) return;
        committing = true;
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([db = store, ready = std::move(ready), weak, &l = loop]() mutable {
            auto written = db->commit(ready);
            const auto stored = db->counts();
            l.post([weak, written = std::move(written), ready = std::move(ready), stored]() mutable {
                if (auto self = weak.lock()) self->committed(std::move(written), ready, stored);
            });
        });
    }

    void committed(Expected<void, std::string> written, const std::vector<FinishedBlock>& blocks,
                   StoreCounts now_counts) {
        committing = false;
        if (!written) {
            spdlog::critical("issuer: cannot write the partial credentials: {}; stopping", written.error());
            loop.stop();
            return;
        }
        for (const auto& block : blocks) {
            follower.processed(block.height);
            pending.pop_front();
            if (!block.answers.empty()) {
                std::size_t refused = 0;
                for (const auto& a : block.answers) refused += a.refused.empty() ? 0u : 1u;
                spdlog::info("issuer {}: height {}: {} credential request(s) signed{}", identity.index, block.height,
                             block.answers.size() - refused,
                             refused ? ", " + std::to_string(refused) + " refused" : std::string());
            }
        }
        processed = follower.done_height();
        counts = now_counts;
        try_commit();
        pump();
    }

    runtime::Loop& loop;
    Config config;
    std::shared_ptr<const coconut::SecretKey> key;
    DaemonOptions options;
    Identity identity;
    std::shared_ptr<Store> store;
    runtime::Serial serial;
    runtime::HttpServer server;
    chain::RpcClient rpc;
    chain::Follower follower;
    runtime::Timer timer;
    node::FailureLog fetch_log{"reading blocks from the ledger"};
    node::FailureLog chain_log{"reaching the ledger"};
    std::deque<PendingBlock> pending;
    bool committing = false;
    bool following = false;
    std::uint64_t processed = 0;
    StoreCounts counts;
};

Daemon::Daemon(runtime::Loop& loop, Config config, Keys keys, DaemonOptions options)
    : m_impl(std::make_shared<Impl>(loop, std::move(config), std::move(keys), options)) {}

Daemon::~Daemon() = default;

Expected<std::uint16_t, std::string> Daemon::start() {
    auto& impl = *m_impl;
    auto store = Store::open(impl.config.data_dir, impl.identity.verification_key, impl.config.ledger.chain_id);
    if (!store) return Unexpected(store.error());
    impl.store = std::move(*store);
    impl.processed = impl.store->processed_height();
    impl.counts = impl.store->counts();
    chain::FollowerOptions follow;
    follow.poll_interval = impl.config.ledger.poll_interval;
    follow.prefetch = impl.options.prefetch;
    impl.follower = chain::Follower(impl.processed, follow);
    impl.install_routes();
    auto bound = impl.server.listen();
    if (!bound)
        return Unexpected("cannot listen on " + impl.config.listen_host + ":" +
                          std::to_string(impl.config.listen_port) + ": " + bound.error().message());
    impl.loop.on_shutdown(runtime::ShutdownStage::finish, [weak = std::weak_ptr<Impl>(m_impl)] {
        if (auto self = weak.lock())
            spdlog::info("issuer {}: stopped at height {} ({} issued, {} refused)", self->identity.index,
                         self->processed, self->counts.issued, self->counts.refused);
    });
    impl.check_chain();
    return *bound;
}

std::uint64_t Daemon::processed_height() const noexcept {
    return m_impl->processed;
}

} // namespace nym::issuer
