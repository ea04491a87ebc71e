#include <nlohmann/json.hpp>

#include <ethereum/abi.hpp>
#include <ethereum/pipe.hpp>
#include <ethereum/session.hpp>
#include <thread>

namespace nym::ethereum {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

Unexpected<Failure> ledger_failure(const node::CometError& e) {
    return Unexpected(Failure(e.kind == node::CometError::Kind::unreachable ? Errc::network : Errc::malformed_response,
                              "ledger: " + e.message));
}

/// A JSON object from an ABCI query that answered code 0.
Expected<json, Failure> query_json(Session& session, const std::vector<runtime::Url>& validators, std::string path,
                                   std::vector<std::uint8_t> data) {
    auto answer = session.abci_query(validators, path, data);
    // A validator that does not answer: the client moves on to the next one, so try each in turn
    // (a client configured with 4 validators keeps piping when the first is down).
    for (std::size_t tried = 1;
         !answer && answer.error().kind == node::CometError::Kind::unreachable && tried < validators.size(); ++tried) {
        answer = session.abci_query(validators, path, data);
    }
    if (!answer) return ledger_failure(answer.error());
    if (answer->code != 0) {
        return Unexpected(Failure(Errc::rpc_error, "ledger query " + path + ": code " + std::to_string(answer->code) +
                                                       " " + answer->log));
    }
    json doc = json::parse(answer->value, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return Unexpected(Failure(Errc::malformed_response, "ledger query " + path + ": not a JSON object"));
    }
    doc["__height"] = answer->height;
    return doc;
}

Expected<std::uint64_t, Failure> balance_of(Session& session, const std::vector<runtime::Url>& validators,
                                            const Address& account) {
    auto doc = query_json(session, validators, "/balance", {account.bytes.begin(), account.bytes.end()});
    if (!doc) return Unexpected(doc.error());
    auto it = doc->find("balance");
    if (it == doc->end() || !it->is_string()) return Unexpected(Failure(Errc::malformed_response, "/balance"));
    auto value = U256::from_decimal(it->get<std::string>());
    if (!value || !value->fits_u64()) return Unexpected(Failure(Errc::malformed_response, "/balance"));
    return value->low_u64();
}

/// The Transfer log of `token` to `pipe` in the receipt.
std::optional<std::uint32_t> pipe_log_index(const Receipt& receipt, const Address& token, const Address& pipe) {
    for (const auto& log : receipt.logs) {
        if (log.address != token) continue;
        auto event = decode_transfer_event(log.topics, log.data);
        if (event && event->to == pipe && log.log_index <= 0xffffffffu)
            return static_cast<std::uint32_t>(log.log_index);
    }
    return std::nullopt;
}

} // namespace

Expected<std::uint64_t, Failure> ledger_balance(const std::vector<runtime::Url>& validators, const Address& account) {
    if (validators.empty()) return Unexpected(Failure(Errc::network, "no validator"));
    Session session(validators.front());
    return balance_of(session, validators, account);
}

Expected<PipeReport, Failure> pipe_tokens(const crypto::Secp256k1SecretKey& key, const PipeOptions& options,
                                          const PipeProgress& progress) {
    PipeReport report;
    const auto say = [&progress, &report](PipeStage stage, const std::string& words) {
        if (progress) progress(stage, words, report);
    };
    if (options.validators.empty()) return Unexpected(Failure(Errc::network, "no validator"));
    if (options.amount == 0) return Unexpected(Failure(Errc::overflow, "amount 0"));
    const auto units = options.unit.checked_mul(options.amount);
    if (!units) return Unexpected(Failure(Errc::overflow, "amount x unit beyond 2^256"));
    const Address me = key.address();
    Session session(options.ethereum);
    report.account = me;

    auto before = balance_of(session, options.validators, me);
    if (!before) return Unexpected(before.error());
    report.balance_before = *before;

    auto held = session.token_balance(options.token, me);
    if (!held) return Unexpected(held.error());
    if (*held < *units) {
        return Unexpected(Failure(Errc::insufficient_tokens, me.to_checksum_hex() + " holds " + held->to_decimal() +
                                                                 " base units, the transfer needs " +
                                                                 units->to_decimal()));
    }

    report.tokens_before = *held;
    say(PipeStage::transferring,
        "transferring " + std::to_string(options.amount) + " Nym ERC20 token(s) to the pipe account");
    auto sent = session.sign_and_send(key, options.token, U256(0), encode_transfer(options.pipe_account, *units),
                                      options.gas_limit);
    if (!sent) return Unexpected(sent.error());
    report.transaction = sent->hash;

    say(PipeStage::confirming, "waiting for confirmations");
    auto receipt = session.wait_receipt(sent->hash, options.confirmation_timeout, options.poll);
    if (!receipt) return Unexpected(receipt.error());
    if (!receipt->success) return Unexpected(Failure(Errc::transaction_failed, to_data_hex(sent->hash)));
    auto index = pipe_log_index(*receipt, options.token, options.pipe_account);
    if (!index) return Unexpected(Failure(Errc::transaction_failed, "no Transfer log to the pipe account"));
    report.log_index = *index;
    report.ethereum_block = receipt->block_number;
    const std::uint64_t confirming =
        receipt->block_number + (options.confirmations == 0 ? 0 : options.confirmations - 1);
    auto head = session.wait_height(confirming, options.confirmation_timeout, options.poll);
    if (!head) return Unexpected(head.error());
    const auto confirmed_at = Clock::now();
    report.confirmed_at = *head;
    if (auto status = session.comet_status(options.validators); status) {
        report.ledger_height_at_confirmation = status->latest_block_height;
    }

    say(PipeStage::crediting, "waiting for the watchers to credit the ledger");
    std::vector<std::uint8_t> claim(report.transaction.begin(), report.transaction.end());
    for (int shift = 24; shift >= 0; shift -= 8) claim.push_back(static_cast<std::uint8_t>(report.log_index >> shift));
    const auto deadline = Clock::now() + options.credit_timeout;
    for (;;) {
        auto notice = query_json(session, options.validators, "/watcher_notice", claim);
        if (notice) {
            auto credited = notice->find("credited");
            if (credited != notice->end() && credited->is_boolean() && credited->get<bool>()) {
                report.confirmation_to_credit = Clock::now() - confirmed_at;
                report.ledger_height_credited = (*notice)["__height"].get<std::uint64_t>();
                break;
            }
        }
        if (Clock::now() >= deadline) {
            return Unexpected(Failure(Errc::timed_out, "the ledger has not credited " +
                                                           to_data_hex(report.transaction) +
                                                           (notice ? std::string() : ": " + notice.error().message())));
        }
        std::this_thread::sleep_for(options.poll);
    }
    auto after = balance_of(session, options.validators, me);
    if (!after) return Unexpected(after.error());
    report.balance = *after;
    say(PipeStage::credited, "credited: balance " + std::to_string(report.balance));
    return report;
}

} // namespace nym::ethereum
