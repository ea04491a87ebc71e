#include <credentials/daemon_pipe.hpp>
#include <ethereum/abi.hpp>
#include <ethereum/pipe.hpp>
#include <thread>

namespace nym::credentials {
namespace {

/// Owns the thread that runs pipe_tokens; joined on destruction.
struct PipeWorker {
    PipeWorker(runtime::Loop& l, ethereum::PipeOptions o, std::string u, crypto::Secp256k1SecretKey k)
        : loop(l), options(std::move(o)), url(std::move(u)), key(std::move(k)) {}
    ~PipeWorker() {
        if (thread.joinable()) thread.join();
    }
    PipeWorker(const PipeWorker&) = delete;
    PipeWorker& operator=(const PipeWorker&) = delete;

    /// Whole tokens when the unit allows, else base units.
    [[nodiscard]] std::string tokens(const ethereum::U256& base_units) const {
        if (!options.unit.fits_u64()) return base_units.to_decimal() + " base units of";
        const auto d = base_units.divmod(options.unit.low_u64());
        return d.quotient.to_decimal() + (d.remainder == 0 ? "" : " and a fraction");
    }

    void run(std::uint64_t amount, const std::function<void(Step)>& report,
             const std::function<void(Expected<void, std::string>)>& done) {
        auto post = [this, &report](Step s) { loop.post([report, s = std::move(s)] { report(s); }); };
        auto o = options;
        o.amount = amount;
        const std::string n = std::to_string(amount);
        auto piped = ethereum::pipe_tokens(
            key, o, [&](ethereum::PipeStage stage, const std::string& words, const ethereum::PipeReport& r) {
                const std::string tx = ethereum::to_data_hex(r.transaction);
                switch (stage) {
                case ethereum::PipeStage::transferring:
                    post({"connect to Ethereum",
                          true,
                          url + ": account " + r.account.to_hex() + " holds " + tokens(r.tokens_before) +
                              " Nym ERC20 token(s); " + words,
                          {{"ethereum", url}, {"account", r.account.to_hex()}, {"tokens", tokens(r.tokens_before)}}});
                    break;
                case ethereum::PipeStage::confirming:
                    post({"transfer to the pipe account",
                          true,
                          "sent " + n + " Nym ERC20 token(s) from " + r.account.to_hex() + " to the pipe account " +
                              o.pipe_account.to_hex() + " in transaction " + tx + "; " + words,
                          {{"transaction", tx}, {"amount", n}, {"pipe_account", o.pipe_account.to_hex()}}});
                    break;
                case ethereum::PipeStage::crediting:
                    post({"confirmations",
                          true,
                          "transaction " + tx + " in block " + std::to_string(r.ethereum_block) + " is " +
                              std::to_string(o.confirmations) + " deep at block " + std::to_string(r.confirmed_at) +
                              "; the watchers have been watching the chain; " + words,
                          {{"ethereum_block", std::to_string(r.ethereum_block)},
                           {"confirmed_at", std::to_string(r.confirmed_at)},
                           {"ledger_height_at_confirmation", std::to_string(r.ledger_height_at_confirmation)}}});
                    break;
                case ethereum::PipeStage::credited: {
                    const auto ms =
                        std::chrono::duration_cast<std::chrono::milliseconds>(r.confirmation_to_credit).count();
                    post({"watchers notify the ledger",
                          true,
                          "a threshold of watchers notified the ledger: " + n +
                              " token(s) piped into Nym by ledger height " + std::to_string(r.ledger_height_credited) +
                              ", " + std::to_string(ms) + " ms after the confirmation",
                          {{"ledger_height_credited", std::to_string(r.ledger_height_credited)},
                           {"confirmation_to_credit_ms", std::to_string(ms)},
                           {"balance", std::to_string(r.balance)}}});
                    break;
                }
                }
            });
        if (piped)
            loop.post([done] { done({}); });
        else
            loop.post([done, why = "piping through the Ethereum node " + url + ": " + piped.error().message()] {
                done(Unexpected(why));
            });
    }

    runtime::Loop& loop;
    const ethereum::PipeOptions options;
    const std::string url;
    const crypto::Secp256k1SecretKey key;
    std::thread thread;
};

} // namespace

PipeTokens ethereum_pipe(runtime::Loop& loop, const Config& config, crypto::Secp256k1SecretKey key) {
    const auto& e = *config.ethereum;
    ethereum::PipeOptions options;
    options.ethereum = e.rpc;
    options.validators = config.ledger.nodes;
    options.token = e.token;
    options.pipe_account = e.pipe_account;
    options.unit = e.token_unit;
    options.confirmations = e.confirmations;
    options.poll = e.poll;
    options.confirmation_timeout = e.confirmation_timeout;
    options.credit_timeout = e.credit_timeout;
    auto worker = std::make_shared<PipeWorker>(loop, std::move(options), e.rpc_url, std::move(key));
    return [worker](std::uint64_t amount, std::function<void(Step)> report,
                    std::function<void(Expected<void, std::string>)> done) {
        // One pipe at a time: the previous one has posted its end already.
        if (worker->thread.joinable()) worker->thread.join();
        worker->thread = std::thread([w = worker.get(), amount, report = std::move(report), done = std::move(done)] {
            w->run(amount, report, done);
        });
    };
}

} // namespace nym::credentials
