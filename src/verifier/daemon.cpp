#include <ledger/errors.hpp>
#include <util/hex.hpp>

#include <spdlog/spdlog.h>

#include <chain/errors.hpp>
#include <chain/follower.hpp>
#include <chain/rpc_client.hpp>
#include <deque>
#include <node/logging.hpp>
#include <verifier/daemon.hpp>
#include <verifier/verifier.hpp>

namespace nym::verifier {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds CHAIN_CHECK_RETRY{1000};
constexpr std::chrono::milliseconds RESEND_DELAY{1000};

std::string short_hex(const ledger::G1Bytes& zeta) {
    return util::to_hex(std::span(zeta).first(8));
}

} // namespace

struct Daemon::Impl : std::enable_shared_from_this<Daemon::Impl> {
    Impl(runtime::Loop& l, Config c, Keys k)
        : loop(l), config(std::move(c)),
          aggregate(std::make_shared<const coconut::VerificationKey>(std::move(k.aggregate))), issuers(k.issuers),
          serial(l), rpc(l, config.ledger.nodes), sender(rpc, std::move(k.account), config.ledger.chain_id),
          follower(0), timer(l) {}

    struct Block {
        std::uint64_t height = 0;
        std::size_t unsettled = 0;
    };

    std::filesystem::path progress_file() const { return config.data_dir / "progress"; }

    Expected<std::uint64_t, std::string> read_progress() const {
        std::error_code ec;
        if (!std::filesystem::exists(progress_file(), ec)) return std::uint64_t{0};
        auto text = node::read_text_file(progress_file(), 64);
        if (!text) return Unexpected(text.error().message());
        std::string digits = *text;
        while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) digits.pop_back();
        auto h = chain::parse_u64(digits);
        if (!h) return Unexpected(progress_file().string() + " does not hold a height");
        return *h;
    }

    void persist_progress() {
        if (writing || written == processed) return;
        writing = true;
        const std::uint64_t height = processed;
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([path = progress_file(), height, weak, &l = loop] {
            auto ok = node::write_file_atomically(path, std::to_string(height) + "\n");
            l.post([weak, height, ok = std::move(ok)] {
                auto self = weak.lock();
                if (!self) return;
                self->writing = false;
                if (!ok) {
                    spdlog::critical("verifier: cannot persist progress: {}; stopping", ok.error().message());
                    self->loop.stop();
                    return;
                }
                self->written = height;
                self->persist_progress();
            });
        });
    }

    void check_chain() {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.status([weak](chain::Parsed<chain::Status> s) {
            auto self = weak.lock();
            if (!self) return;
            if (!s.value) {
                self->chain_log.failed(s.value.error().message());
                self->loop.after(CHAIN_CHECK_RETRY, [weak] {
                    if (auto again = weak.lock()) again->check_chain();
                });
                return;
            }
            self->chain_log.succeeded();
            if (s.value->chain_id != self->config.ledger.chain_id) {
                spdlog::critical("verifier: the ledger node serves chain '{}', the config says '{}'; stopping",
                                 s.value->chain_id, self->config.ledger.chain_id);
                self->loop.stop();
                return;
            }
            self->rpc.params([weak](Expected<ledger::Params> p) {
                auto me = weak.lock();
                if (!me) return;
                if (p) {
                    if (!p->verifier_index(me->sender.address()))
                        spdlog::warn("verifier: {} is not a verifier of this chain; its votes will be refused",
                                     me->sender.address().to_hex());
                    std::vector<coconut::VerificationKey> keys = p->issuer_keys;
                    if (!keys.empty()) {
                        auto theirs = coconut::aggregate_verification_keys(keys, p->issuer_threshold);
                        if (theirs && !(*theirs == *me->aggregate))
                            spdlog::warn("verifier: the configured issuer keys are not the chain's issuers");
                    }
                }
                spdlog::info("verifier {}: following chain '{}' from height {} ({} issuer keys)",
                             me->sender.address().to_hex(), me->config.ledger.chain_id, me->processed + 1, me->issuers);
                me->following = true;
                me->pump();
            });
        });
    }

    void pump() {
        if (!following || loop.stopping()) return;
        if (auto height = follower.fetch_due(Clock::now())) {
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
                    self->fetch_log.failed("height " + std::to_string(height) + ": " + r.value.error().message());
                    self->follower.failed(now);
                }
                self->pump();
                return;
            }
            self->fetch_log.succeeded();
            self->follower.fetched(now);
            auto found = deposits(*r.value);
            self->blocks.push_back(Block{height, found.size()});
            for (auto& d : found) self->judge_later(height, std::move(d));
            self->advance();
            self->pump();
        });
    }

    void judge_later(std::uint64_t height, chain::CredentialDeposited deposit) {
        std::weak_ptr<Impl> weak = weak_from_this();
        loop.post_work([weak, aggregate = aggregate, chain_id = config.ledger.chain_id, height,
                        deposit = std::move(deposit), &l = loop]() mutable {
            Verdict verdict = judge(*aggregate, deposit, chain_id);
            l.post([weak, height, deposit = std::move(deposit), verdict = std::move(verdict)] {
                auto self = weak.lock();
                if (!self) return;
                if (verdict.valid)
                    spdlog::info("verifier: deposit of {} by {} at height {}: valid", short_hex(deposit.zeta),
                                 deposit.provider.to_hex(), deposit.deposit_height);
                else
                    spdlog::warn("verifier: deposit of {} by {} at height {}: invalid ({})", short_hex(deposit.zeta),
                                 deposit.provider.to_hex(), deposit.deposit_height, verdict.reason);
                self->send_vote(height, vote(deposit, verdict));
            });
        });
    }

    void send_vote(std::uint64_t height, ledger::VerifierVote v) {
        std::weak_ptr<Impl> weak = weak_from_this();
        sender.submit(v, [weak, height, v](Expected<chain::Submitted, chain::SubmitFailure> sent) {
            auto self = weak.lock();
            if (!self) return;
            if (!sent) {
                if (sent.error().error == chain::Errc::tx_rejected && vote_settled(sent.error().code)) {
                    if (sent.error().code == static_cast<std::uint32_t>(ledger::Errc::not_a_verifier))
                        spdlog::error("verifier: vote refused: {}", sent.error().log);
                    else
                        spdlog::debug("verifier: vote on {} settled already: {}", short_hex(v.zeta), sent.error().log);
                    self->settled(height);
                    return;
                }
                self->vote_log.failed(sent.error().error.message() +
                                      (sent.error().log.empty() ? "" : ": " + sent.error().log));
                self->resend_later(height, v);
                return;
            }
            self->vote_log.succeeded();
            self->rpc.wait_for_tx(sent->hash, self->config.vote_timeout, self->config.ledger.poll_interval,
                                  [weak, height, v](Expected<chain::TxLookup> done) {
                                      auto me = weak.lock();
                                      if (!me) return;
                                      if (done && vote_settled(done->result.code)) {
                                          me->settled(height);
                                          return;
                                      }
                                      spdlog::warn("verifier: vote on {} {}; sending it again", short_hex(v.zeta),
                                                   done ? "failed: " + done->result.log : "was not committed in time");
                                      me->resend_later(height, v);
                                  });
        });
    }

    void resend_later(std::uint64_t height, ledger::VerifierVote v) {
        std::weak_ptr<Impl> weak = weak_from_this();
        loop.after(RESEND_DELAY, [weak, height, v] {
            if (auto self = weak.lock()) self->send_vote(height, v);
        });
    }

    void settled(std::uint64_t height) {
        for (auto& b : blocks) {
            if (b.height == height) {
                --b.unsettled;
                break;
            }
        }
        advance();
        pump();
    }

    /// Finishes the blocks at the front whose votes are all settled, in order.
    void advance() {
        while (!blocks.empty() && blocks.front().unsettled == 0) {
            follower.processed(blocks.front().height);
            blocks.pop_front();
        }
        processed = follower.done_height();
        persist_progress();
    }

    runtime::Loop& loop;
    Config config;
    std::shared_ptr<const coconut::VerificationKey> aggregate;
    std::size_t issuers = 0;
    runtime::Serial serial;
    chain::RpcClient rpc;
    chain::TxSender sender;
    chain::Follower follower;
    runtime::Timer timer;
    node::FailureLog fetch_log{"reading blocks from the ledger"};
    node::FailureLog chain_log{"reaching the ledger"};
    node::FailureLog vote_log{"broadcasting votes"};
    std::deque<Block> blocks;
    bool following = false;
    bool writing = false;
    std::uint64_t processed = 0;
    std::uint64_t written = 0;
};

Daemon::Daemon(runtime::Loop& loop, Config config, Keys keys)
    : m_impl(std::make_shared<Impl>(loop, std::move(config), std::move(keys))) {}

Daemon::~Daemon() = default;

Expected<void, std::string> Daemon::start() {
    auto& impl = *m_impl;
    std::error_code ec;
    std::filesystem::create_directories(impl.config.data_dir, ec);
    if (ec) return Unexpected("cannot create " + impl.config.data_dir.string() + ": " + ec.message());
    auto progress = impl.read_progress();
    if (!progress) return Unexpected(progress.error());
    impl.processed = impl.written = *progress;
    chain::FollowerOptions follow;
    follow.poll_interval = impl.config.ledger.poll_interval;
    follow.prefetch = 8;
    impl.follower = chain::Follower(impl.processed, follow);
    impl.loop.on_shutdown(runtime::ShutdownStage::finish, [weak = std::weak_ptr<Impl>(m_impl)] {
        if (auto self = weak.lock()) spdlog::info("verifier: stopped at height {}", self->processed);
    });
    impl.check_chain();
    return {};
}

std::uint64_t Daemon::processed_height() const noexcept {
    return m_impl->processed;
}

std::string Daemon::address() const {
    return m_impl->sender.address().to_hex();
}

} // namespace nym::verifier
