#include <ledger/errors.hpp>
#include <runtime/http_server.hpp>
#include <util/hex.hpp>

#include <spdlog/spdlog.h>

#include <chain/errors.hpp>
#include <chain/rpc_client.hpp>
#include <map>
#include <node/logging.hpp>
#include <provider/daemon.hpp>
#include <provider/provider.hpp>
#include <set>

namespace nym::provider {

std::string_view openapi_document(); // embedded at build time (CMakeLists.txt)

namespace {

using runtime::HttpRequest;
using runtime::HttpResponse;
using runtime::Responder;
namespace wc = wire::credentials;

/// After an answer was given as pending, the provider keeps watching the deposit this many times
/// longer, so that /api/spend-status can tell the final outcome.
constexpr int FOLLOW_UP_FACTOR = 10;

std::string short_hex(const ledger::G1Bytes& zeta) {
    return util::to_hex(std::span(zeta).first(8));
}

runtime::ServerOptions server_options(const Config& config) {
    runtime::ServerOptions options;
    options.host = config.listen_host;
    options.port = config.listen_port;
    options.body_limit = 16 * 1024; // a spend is about 1 KiB of hex
    options.async_timeout = config.spend_timeout + std::chrono::seconds(30);
    options.server_name = "nym-provider";
    return options;
}

HttpResponse answer_response(const SpendAnswer& answer) {
    return HttpResponse::json(200, wc::to_json(answer));
}

} // namespace

struct Daemon::Impl : std::enable_shared_from_this<Daemon::Impl> {
    Impl(runtime::Loop& l, Config c, Keys k)
        : loop(l), config(std::move(c)),
          aggregate(std::make_shared<const coconut::VerificationKey>(std::move(k.aggregate))),
          server(l, server_options(config)), rpc(l, config.ledger.nodes),
          sender(rpc, std::move(k.account), config.ledger.chain_id), address(sender.address()),
          nonces(config.nonce_lifetime) {}

    /// One zeta presented here that passed the local check.
    struct Spend {
        SpendAnswer answer;
        bool decided = false;
        std::vector<Responder> waiting;
        Clock::time_point deadline{};
        Clock::time_point follow_until{};
        std::uint64_t deposit_height = 0;
    };

    void install_routes() {
        server.route("GET", "/api/info", [this](const HttpRequest&) {
            return HttpResponse::json(
                200, wc::to_json(wc::ProviderInfo{address, config.ledger.chain_id,
                                                  static_cast<std::uint64_t>(config.spend_timeout.count())}));
        });
        server.route("POST", "/api/spend-nonce", [this](const HttpRequest&) {
            const auto nonce = nonces.issue(crypto::system_rng(), Clock::now());
            return HttpResponse::json(
                200, wc::to_json(wc::SpendNonce{nonce, static_cast<std::uint64_t>(config.nonce_lifetime.count())}));
        });
        server.route("GET", "/api/spend-status", [this](const HttpRequest& r) {
            auto zeta = wc::parse_zeta_query(r.query);
            if (!zeta) return HttpResponse::error(400, zeta.error());
            auto it = spends.find(*zeta);
            if (it == spends.end()) return HttpResponse::error(404, "this credential was not presented here");
            if (it->second.decided) return answer_response(it->second.answer);
            SpendAnswer pending;
            pending.outcome = SpendOutcome::pending;
            pending.zeta = *zeta;
            pending.reason = "being verified";
            if (it->second.deposit_height) pending.deposit_height = it->second.deposit_height;
            return answer_response(pending);
        });
        server.route("GET", "/api/openapi.json",
                     [](const HttpRequest&) { return HttpResponse::json(200, std::string(openapi_document())); });
        server.route_async("POST", "/api/spend",
                           [this](const HttpRequest& r, Responder respond) { spend(r, std::move(respond)); });
    }

    void spend(const HttpRequest& request, Responder respond) {
        auto presented = read_spend(request.body);
        if (!presented) {
            respond(HttpResponse::error(400, presented.error()));
            return;
        }
        const auto zeta = presented->zeta;
        if (!nonces.take(presented->request.nonce, Clock::now())) {
            respond(answer_response(
                refused(zeta, "unknown, used or expired nonce: ask POST /api/spend-nonce for a fresh one")));
            return;
        }
        if (spends.count(zeta) != 0 || checking.count(zeta) != 0) {
            respond(answer_response(refused(zeta, "this credential was already presented here")));
            return;
        }
        checking.insert(zeta);
        std::weak_ptr<Impl> weak = weak_from_this();
        loop.post_work([weak, aggregate = aggregate, address = address, chain_id = config.ledger.chain_id,
                        presented = std::make_shared<Presented>(std::move(*presented)), respond = std::move(respond),
                        &l = loop]() mutable {
            auto checked = check_spend(*aggregate, *presented, address, chain_id);
            l.post([weak, presented, checked = std::move(checked), respond = std::move(respond)]() mutable {
                auto self = weak.lock();
                if (!self) return;
                self->checking.erase(presented->zeta);
                if (!checked) {
                    // Not remembered: garbage carrying someone's zeta must not block their real spend.
                    spdlog::info("provider: spend of {} refused: {}", short_hex(presented->zeta), checked.error());
                    respond(answer_response(refused(presented->zeta, checked.error())));
                    return;
                }
                self->accept_locally(*presented, std::move(respond));
            });
        });
    }

    void accept_locally(const Presented& presented, Responder respond) {
        const auto zeta = presented.zeta;
        Spend& s = spends[zeta];
        s.waiting.push_back(std::move(respond));
        s.deadline = Clock::now() + config.spend_timeout;
        s.follow_until = Clock::now() + config.spend_timeout * FOLLOW_UP_FACTOR;
        loop.after(config.spend_timeout, [weak = weak_from_this(), zeta] {
            if (auto self = weak.lock()) self->timed_out(zeta);
        });
        std::weak_ptr<Impl> weak = weak_from_this();
        const std::uint64_t value = presented.request.value;
        auto deposit = ledger::CredentialDeposit::make(value, presented.spend);
        rpc.zeta(zeta, [weak, zeta, deposit = std::move(deposit)](Expected<chain::ZetaState> state) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!state) {
                self->decide(zeta, refused(zeta, "the ledger cannot be reached: " + state.error().message()));
                return;
            }
            if (auto no = refuse_unless_unspent(*state)) {
                self->decide(zeta, std::move(*no));
                return;
            }
            self->deposit(zeta, std::move(deposit));
        });
    }

    void deposit(const ledger::G1Bytes& zeta, ledger::CredentialDeposit d) {
        std::weak_ptr<Impl> weak = weak_from_this();
        sender.submit(std::move(d), [weak, zeta](Expected<chain::Submitted, chain::SubmitFailure> sent) {
            auto self = weak.lock();
            if (!self) return;
            if (!sent) {
                const auto& f = sent.error();
                self->decide(zeta, refused(zeta, f.error == chain::Errc::tx_rejected
                                                     ? "the ledger refused the deposit: " + f.log
                                                     : "the deposit could not be sent: " + f.error.message()));
                return;
            }
            spdlog::info("provider: deposited {} (tx {})", short_hex(zeta),
                         util::to_hex(std::span(sent->hash).first(8)));
            const auto& spend = self->spends[zeta];
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(spend.follow_until - Clock::now());
            self->rpc.wait_for_tx(
                sent->hash, std::max(left, std::chrono::milliseconds(1)), self->config.ledger.poll_interval,
                [weak, zeta](Expected<chain::TxLookup> done) {
                    auto me = weak.lock();
                    if (!me) return;
                    if (!done) {
                        me->decide(zeta, refused(zeta, "the deposit was not committed"));
                        return;
                    }
                    if (!done->result.ok()) {
                        me->decide(zeta, refused(zeta, "the ledger refused the deposit: " + done->result.log));
                        return;
                    }
                    me->spends[zeta].deposit_height = done->height;
                    me->poll(zeta);
                });
        });
    }

    void poll(const ledger::G1Bytes& zeta) {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.zeta(zeta, [weak, zeta](Expected<chain::ZetaState> state) {
            auto self = weak.lock();
            if (!self) return;
            auto it = self->spends.find(zeta);
            if (it == self->spends.end() || it->second.decided) return;
            if (state) {
                if (auto answer = provider::decide(*state, self->address, it->second.deposit_height)) {
                    self->decide(zeta, std::move(*answer));
                    return;
                }
            }
            if (Clock::now() >= it->second.follow_until) {
                self->decide(zeta, refused(zeta, "no decision from the verifiers"));
                return;
            }
            self->loop.after(self->config.ledger.poll_interval, [weak, zeta] {
                if (auto again = weak.lock()) again->poll(zeta);
            });
        });
    }

    void decide(const ledger::G1Bytes& zeta, SpendAnswer answer) {
        auto it = spends.find(zeta);
        if (it == spends.end() || it->second.decided) return;
        Spend& s = it->second;
        if (!answer.deposit_height && s.deposit_height) answer.deposit_height = s.deposit_height;
        s.answer = std::move(answer);
        s.decided = true;
        spdlog::info("provider: spend of {}: {}{}", short_hex(zeta), s.answer.accepted() ? "true" : "false",
                     s.answer.reason.empty() ? "" : " (" + s.answer.reason + ")");
        for (auto& respond : s.waiting) respond(answer_response(s.answer));
        s.waiting.clear();
    }

    void timed_out(const ledger::G1Bytes& zeta) {
        auto it = spends.find(zeta);
        if (it == spends.end() || it->second.decided || it->second.waiting.empty()) return;
        SpendAnswer pending;
        pending.outcome = SpendOutcome::pending;
        pending.zeta = zeta;
        pending.reason = "no decision within " + std::to_string(config.spend_timeout.count()) +
                         " ms; ask GET /api/spend-status?zeta=" + util::to_hex(zeta) + " later";
        if (it->second.deposit_height) pending.deposit_height = it->second.deposit_height;
        spdlog::warn("provider: spend of {}: {}", short_hex(zeta), pending.reason);
        for (auto& respond : it->second.waiting) respond(answer_response(pending));
        it->second.waiting.clear();
    }

    /// At shutdown: whoever still waits hears that the outcome is not known.
    void answer_all_pending() {
        for (auto& [zeta, s] : spends) {
            if (s.waiting.empty()) continue;
            SpendAnswer pending;
            pending.outcome = SpendOutcome::pending;
            pending.zeta = zeta;
            pending.reason = "the provider is shutting down before the verifiers decided";
            for (auto& respond : s.waiting) respond(answer_response(pending));
            s.waiting.clear();
        }
    }

    runtime::Loop& loop;
    Config config;
    std::shared_ptr<const coconut::VerificationKey> aggregate;
    runtime::HttpServer server;
    chain::RpcClient rpc;
    chain::TxSender sender;
    ledger::Address address;
    NonceBook nonces;
    std::map<ledger::G1Bytes, Spend> spends;
    std::set<ledger::G1Bytes> checking;
};

Daemon::Daemon(runtime::Loop& loop, Config config, Keys keys)
    : m_impl(std::make_shared<Impl>(loop, std::move(config), std::move(keys))) {}

Daemon::~Daemon() = default;

Expected<std::uint16_t, std::string> Daemon::start() {
    auto& impl = *m_impl;
    impl.install_routes();
    auto bound = impl.server.listen();
    if (!bound)
        return Unexpected("cannot listen on " + impl.config.listen_host + ":" +
                          std::to_string(impl.config.listen_port) + ": " + bound.error().message());
    impl.loop.on_shutdown(runtime::ShutdownStage::stop_accepting, [weak = std::weak_ptr<Impl>(m_impl)] {
        if (auto self = weak.lock()) self->answer_all_pending();
    });
    return *bound;
}

std::string Daemon::address() const {
    return m_impl->address.to_hex();
}

} // namespace nym::provider
