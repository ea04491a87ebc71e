#include <ledger/errors.hpp>
#include <ledger/tx.hpp>

#include <watcher/notifier.hpp>

namespace nym::watcher {

Notifier::Notifier(NotifierConfig config, crypto::Secp256k1SecretKey key)
    : m_config(std::move(config)), m_key(std::move(key)), m_address(m_key.address()),
      m_backoff(m_config.backoff_initial, m_config.backoff_max) {}

std::vector<std::uint8_t> Notifier::sign(const Claim& claim, std::uint64_t nonce) const {
    ledger::WatcherNotice notice;
    notice.eth_tx_hash = claim.eth_tx_hash;
    notice.log_index = claim.log_index;
    notice.pipe_account = m_config.pipe_account;
    notice.recipient = claim.recipient;
    notice.amount = claim.amount;
    ledger::Tx tx{m_address, nonce, notice};
    return ledger::sign_tx(std::move(tx), m_config.chain_id, m_key).encode();
}

notify::Action Notifier::start(std::vector<Claim> claims, std::chrono::steady_clock::time_point /*now*/) {
    m_claims = std::move(claims);
    m_verdicts.assign(m_claims.size(), Verdict::pending);
    m_cursor = 0;
    if (m_claims.empty()) {
        m_phase = Phase::idle;
        return notify::Settled{};
    }
    m_phase = Phase::account;
    return notify::QueryAccount{};
}

notify::Action Notifier::problem(std::string text) {
    return notify::Sleep{m_backoff.next(), std::move(text)};
}

notify::Action Notifier::on_account(const std::optional<std::uint64_t>& nonce, std::string why,
                                    std::chrono::steady_clock::time_point now) {
    if (m_phase == Phase::idle || m_phase == Phase::sending) return problem("unexpected account answer");
    if (!nonce) return problem("ledger account query: " + why);
    if (m_phase == Phase::account) {
        m_nonce = *nonce;
        // Send again every claim that is not settled (after a failure or a lost mempool).
        m_cursor = 0;
        m_phase = Phase::sending;
        return send_next(now);
    }
    // Phase::committing
    if (*nonce >= m_commit_target) {
        for (auto& v : m_verdicts) {
            if (v == Verdict::pending) v = Verdict::committed;
        }
        m_backoff.reset();
        m_phase = Phase::idle;
        return notify::Settled{};
    }
    if (now >= m_commit_deadline) {
        m_nonce = *nonce;
        m_cursor = 0;
        m_phase = Phase::sending;
        return send_next(now);
    }
    return notify::Sleep{m_config.commit_poll, {}};
}

notify::Action Notifier::send_next(std::chrono::steady_clock::time_point now) {
    while (m_cursor < m_claims.size() && m_verdicts[m_cursor] != Verdict::pending) ++m_cursor;
    if (m_cursor < m_claims.size()) {
        return notify::Broadcast{sign(m_claims[m_cursor], m_nonce), m_cursor, m_nonce};
    }
    // Everything broadcast: wait until the nonce shows that the admitted notices are committed.
    bool waiting = false;
    for (auto v : m_verdicts) waiting = waiting || v == Verdict::pending;
    if (!waiting) {
        m_backoff.reset();
        m_phase = Phase::idle;
        return notify::Settled{};
    }
    m_commit_target = m_nonce;
    m_commit_deadline = now + m_config.commit_timeout;
    m_phase = Phase::committing;
    return notify::Sleep{m_config.commit_poll, {}};
}

notify::Action Notifier::on_broadcast(const BroadcastOutcome& outcome, std::chrono::steady_clock::time_point now) {
    if (m_phase != Phase::sending || m_cursor >= m_claims.size()) return problem("unexpected broadcast answer");
    if (outcome.kind == BroadcastOutcome::Kind::unreachable) {
        m_phase = Phase::account;
        return problem("broadcast: " + outcome.message);
    }
    if (outcome.kind == BroadcastOutcome::Kind::rpc_error) {
        if (outcome.message.find("tx already exists in cache") != std::string::npos) {
            ++m_nonce; // these exact bytes (this claim at this nonce) are in the mempool already
            ++m_cursor;
            return send_next(now);
        }
        m_phase = Phase::account; // mempool full, or another transient refusal: later, from the committed nonce
        return problem("broadcast: " + outcome.message);
    }
    if (outcome.code == 0) {
        ++m_nonce;
        ++m_cursor;
        return send_next(now);
    }
    using ledger::Errc;
    switch (static_cast<Errc>(outcome.code)) {
    case Errc::already_voted:
        m_verdicts[m_cursor++] = Verdict::already_voted;
        return send_next(now);
    case Errc::already_credited:
        m_verdicts[m_cursor++] = Verdict::already_credited;
        return send_next(now);
    case Errc::wrong_nonce:
        m_phase = Phase::account; // another process signs with this key, or the mempool moved on
        return problem("broadcast: wrong nonce " + std::to_string(m_nonce));
    case Errc::ledger_failed:
        m_phase = Phase::account;
        return problem("broadcast: the validator's ledger failed: " + outcome.message);
    default:
        // not_a_watcher, invalid_pipe_account, a notice the ledger cannot take: retrying cannot help.
        m_verdicts[m_cursor++] = Verdict::refused;
        ++m_refused_total;
        return send_next(now);
    }
}

} // namespace nym::watcher
