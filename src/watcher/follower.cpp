#include <algorithm>
#include <ethereum/abi.hpp>
#include <limits>
#include <watcher/follower.hpp>

namespace nym::watcher {

using namespace std::chrono_literals;

std::chrono::milliseconds Backoff::next() {
    auto delay = m_initial;
    for (std::uint32_t i = 0; i < m_failures && delay < m_max; ++i) delay *= 2;
    if (m_failures < std::numeric_limits<std::uint32_t>::max()) ++m_failures;
    return std::min(delay, m_max);
}

Follower::Follower(FollowerConfig config, std::optional<std::uint64_t> last_done)
    : m_config(std::move(config)), m_backoff(m_config.backoff_initial, m_config.backoff_max) {
    if (m_config.confirmations == 0) m_config.confirmations = 1;
    if (m_config.max_range == 0) m_config.max_range = 1;
    m_next = last_done ? std::max(*last_done + 1, m_config.start_block) : m_config.start_block;
}

std::optional<std::uint64_t> Follower::last_done() const noexcept {
    if (m_next == 0 || m_next <= m_config.start_block) return std::nullopt;
    return m_next - 1;
}

follow::Action Follower::start() {
    m_phase = Phase::head;
    m_claims.clear();
    m_to_verify.clear();
    m_verified = 0;
    return follow::FetchHead{};
}

follow::Action Follower::fail(std::string problem) {
    m_phase = Phase::idle;
    return follow::Wait{m_backoff.next(), std::move(problem)};
}

follow::Action Follower::on_head(const ethereum::RpcResult<std::uint64_t>& head) {
    if (m_phase != Phase::head) return fail("unexpected head");
    if (!head) return fail("eth_blockNumber: " + head.error().message());
    m_highest_head = std::max(m_highest_head, *head);
    // The newest block with enough confirmations: head - number + 1 >= confirmations.
    if (*head + 1 < m_config.confirmations) {
        m_phase = Phase::idle;
        m_backoff.reset();
        return follow::Wait{m_config.poll_interval, {}};
    }
    const std::uint64_t confirmed = *head + 1 - m_config.confirmations;
    if (confirmed < m_next) {
        // Caught up — or the node is behind what we already processed (restarted on an older
        // state, or lying): never go back, wait for it.
        m_phase = Phase::idle;
        if (m_next > 0 && *head + 1 < m_next)
            return follow::Wait{m_config.poll_interval, "node is behind the progress"};
        m_backoff.reset();
        return follow::Wait{m_config.poll_interval, {}};
    }
    m_range_end = std::min(confirmed, m_next + (m_config.max_range - 1));
    m_phase = Phase::range_end;
    return follow::FetchBlock{m_range_end};
}

follow::Action Follower::on_block(const ethereum::RpcResult<std::optional<ethereum::BlockHeader>>& block) {
    if (m_phase != Phase::range_end && m_phase != Phase::verify) return fail("unexpected block");
    if (!block) return fail("eth_getBlockByNumber: " + block.error().message());
    if (m_phase == Phase::range_end) {
        if (!*block) return fail("the node announced block " + std::to_string(m_range_end) + " but does not have it");
        if ((*block)->number != m_range_end)
            return fail("asked for block " + std::to_string(m_range_end) + ", got another");
        m_range_end_hash = (*block)->hash;
        m_phase = Phase::logs;
        ethereum::LogFilter filter;
        filter.from_block = m_next;
        filter.to_block = m_range_end;
        filter.addresses = {m_config.token};
        filter.topics = {ethereum::transfer_event_topic(), std::nullopt, ethereum::address_word(m_config.pipe_account)};
        return follow::FetchLogs{std::move(filter)};
    }
    const auto& [number, hash] = m_to_verify[m_verified];
    if (!*block) return fail("block " + std::to_string(number) + " vanished");
    if ((*block)->number != number || (*block)->hash != hash) {
        return fail("a log of block " + std::to_string(number) + " names a block hash the node no longer has");
    }
    ++m_verified;
    return verify_next();
}

follow::Action Follower::on_logs(const ethereum::RpcResult<std::vector<ethereum::Log>>& logs) {
    if (m_phase != Phase::logs) return fail("unexpected logs");
    if (!logs) return fail("eth_getLogs: " + logs.error().message());
    std::vector<Claim> claims;
    std::vector<std::pair<std::uint64_t, Hash>> blocks;
    IgnoredLogs ignored;
    for (const auto& log : *logs) {
        if (log.block_number < m_next || log.block_number > m_range_end) {
            return fail("eth_getLogs answered a log of block " + std::to_string(log.block_number) + " outside " +
                        std::to_string(m_next) + ".." + std::to_string(m_range_end));
        }
        if (log.removed) return fail("eth_getLogs answered a removed log in confirmed blocks");
        if (log.address != m_config.token) {
            ++ignored.other_contract;
            continue;
        }
        auto event = ethereum::decode_transfer_event(log.topics, log.data);
        if (!event) {
            ++ignored.not_a_transfer;
            continue;
        }
        if (event->to != m_config.pipe_account) {
            ++ignored.other_recipient;
            continue;
        }
        if (log.log_index > std::numeric_limits<std::uint32_t>::max()) {
            ++ignored.not_a_transfer;
            continue;
        }
        const auto [units, dust] = [&] {
            // value / unit, in 256 bits (unit fits 64 bits by configuration).
            return event->value.divmod(m_config.unit.low_u64());
        }();
        (void)dust; // less than one ledger unit stays in the pipe account, uncredited (ethereum.md)
        if (units.is_zero()) {
            ++ignored.below_unit;
            continue;
        }
        if (!units.fits_u64()) {
            ++ignored.too_large;
            continue;
        }
        Claim claim{log.transaction_hash, static_cast<std::uint32_t>(log.log_index), event->from, units.low_u64(),
                    log.block_number};
        if (std::find_if(claims.begin(), claims.end(), [&](const Claim& c) {
                return c.eth_tx_hash == claim.eth_tx_hash && c.log_index == claim.log_index;
            }) != claims.end()) {
            continue; // the same log twice in one answer
        }
        if (std::find(blocks.begin(), blocks.end(), std::make_pair(log.block_number, log.block_hash)) == blocks.end()) {
            blocks.emplace_back(log.block_number, log.block_hash);
        }
        claims.push_back(claim);
    }
    // Two hashes for one block number in one answer: the node mixed forks.
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        for (std::size_t j = i + 1; j < blocks.size(); ++j) {
            if (blocks[i].first == blocks[j].first)
                return fail("logs of two different blocks " + std::to_string(blocks[i].first));
        }
    }
    m_ignored.other_contract += ignored.other_contract;
    m_ignored.other_recipient += ignored.other_recipient;
    m_ignored.not_a_transfer += ignored.not_a_transfer;
    m_ignored.below_unit += ignored.below_unit;
    m_ignored.too_large += ignored.too_large;
    m_claims = std::move(claims);
    m_to_verify = std::move(blocks);
    m_verified = 0;
    m_phase = Phase::verify;
    return verify_next();
}

follow::Action Follower::verify_next() {
    while (m_verified < m_to_verify.size()) {
        const auto& [number, hash] = m_to_verify[m_verified];
        if (number == m_range_end) {
            if (hash != m_range_end_hash) {
                return fail("a log of block " + std::to_string(number) + " names a block hash the node no longer has");
            }
            ++m_verified;
            continue;
        }
        return follow::FetchBlock{number};
    }
    m_phase = Phase::deliver;
    return follow::Deliver{m_claims, m_range_end};
}

follow::Action Follower::on_delivered() {
    if (m_phase != Phase::deliver) return fail("unexpected delivery");
    m_claims_found += m_claims.size();
    m_next = m_range_end + 1;
    m_claims.clear();
    m_to_verify.clear();
    m_backoff.reset();
    m_phase = Phase::head;
    return follow::FetchHead{};
}

} // namespace nym::watcher
