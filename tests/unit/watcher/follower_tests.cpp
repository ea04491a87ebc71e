// The watcher's Follower and Notifier without I/O: confirmations, ranges, the logs that are not
// claims, nodes that contradict themselves, and how notices are settled.
#include <ledger/errors.hpp>
#include <ledger/tx.hpp>

#include <gtest/gtest.h>

#include <ethereum/abi.hpp>
#include <watcher/follower.hpp>
#include <watcher/notifier.hpp>

namespace {

using namespace nym;
using namespace nym::watcher;
using ethereum::BlockHeader;
using ethereum::Log;
using ethereum::U256;

const Address TOKEN = *Address::from_hex("0x1111111111111111111111111111111111111111");
const Address OTHER_TOKEN = *Address::from_hex("0x2222222222222222222222222222222222222222");
const Address PIPE = *Address::from_hex("0x00000000000000000000000000000000000c0ffe");
const Address ALICE = *Address::from_hex("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
const Address BOB = *Address::from_hex("0x3535353535353535353535353535353535353535");
const U256 TOKEN_UNIT = U256::pow10(18);

Hash block_hash(std::uint64_t n, std::uint8_t fork = 0) {
    Hash h{};
    h[0] = fork;
    h[31] = static_cast<std::uint8_t>(n);
    h[30] = static_cast<std::uint8_t>(n >> 8);
    return h;
}

Log transfer_log(std::uint64_t block, std::uint8_t tx, std::uint64_t index, const Address& to, U256 value,
                 const Address& token = TOKEN, std::uint8_t fork = 0) {
    Log log;
    log.address = token;
    log.topics = {ethereum::transfer_event_topic(), ethereum::address_word(ALICE), ethereum::address_word(to)};
    const auto word = value.to_be_bytes();
    log.data.assign(word.begin(), word.end());
    log.block_number = block;
    log.block_hash = block_hash(block, fork);
    log.transaction_hash.fill(tx);
    log.log_index = index;
    return log;
}

std::optional<BlockHeader> header(std::uint64_t n, std::uint8_t fork = 0) {
    return BlockHeader{n, block_hash(n, fork), block_hash(n - 1, fork), 1000 + n, std::nullopt};
}

FollowerConfig config(std::uint64_t confirmations = 3) {
    FollowerConfig c;
    c.token = TOKEN;
    c.pipe_account = PIPE;
    c.confirmations = confirmations;
    c.max_range = 100;
    return c;
}

/// The action's alternative, by value (the action is a temporary).
template <class T>
T as(const follow::Action& a) {
    EXPECT_TRUE(std::holds_alternative<T>(a)) << "action index " << a.index();
    return std::holds_alternative<T>(a) ? std::get<T>(a) : T{};
}

TEST(Follower, TakesOnlyConfirmedBlocksAndReportsTransfersToThePipe) {
    Follower f(config(3), std::nullopt);
    as<follow::FetchHead>(f.start());
    // Head 1: blocks 0..1 have at most 2 confirmations.
    EXPECT_TRUE(as<follow::Wait>(f.on_head(1)).problem.empty());
    as<follow::FetchHead>(f.resume());
    // Head 10: block 8 is the newest with 3 confirmations (10 - 8 + 1).
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(10)).number, 8u);
    const auto& logs = as<follow::FetchLogs>(f.on_block(header(8)));
    EXPECT_EQ(logs.filter.from_block, 0u);
    EXPECT_EQ(logs.filter.to_block, 8u);
    ASSERT_EQ(logs.filter.topics.size(), 3u);
    EXPECT_EQ(*logs.filter.topics[2], ethereum::address_word(PIPE));
    std::vector<Log> answer{
        transfer_log(5, 0xaa, 0, PIPE, TOKEN_UNIT),                 // a claim of 1
        transfer_log(5, 0xab, 1, BOB, TOKEN_UNIT),                  // to someone else
        transfer_log(6, 0xac, 0, PIPE, TOKEN_UNIT, OTHER_TOKEN),    // another contract
        transfer_log(7, 0xad, 2, PIPE, *TOKEN_UNIT.checked_mul(3)), // a claim of 3
        transfer_log(7, 0xae, 3, PIPE, U256(5)),                    // dust
    };
    // The node checks the hash of block 5 (block 7's log is checked too).
    EXPECT_EQ(as<follow::FetchBlock>(f.on_logs(answer)).number, 5u);
    EXPECT_EQ(as<follow::FetchBlock>(f.on_block(header(5))).number, 7u);
    const auto& deliver = as<follow::Deliver>(f.on_block(header(7)));
    EXPECT_EQ(deliver.through, 8u);
    ASSERT_EQ(deliver.claims.size(), 2u);
    EXPECT_EQ(deliver.claims[0].amount, 1u);
    EXPECT_EQ(deliver.claims[0].recipient, ALICE);
    EXPECT_EQ(deliver.claims[0].log_index, 0u);
    EXPECT_EQ(deliver.claims[1].amount, 3u);
    EXPECT_EQ(f.ignored().other_recipient, 1u);
    EXPECT_EQ(f.ignored().other_contract, 1u);
    EXPECT_EQ(f.ignored().below_unit, 1u);
    as<follow::FetchHead>(f.on_delivered());
    EXPECT_EQ(f.next_block(), 9u);
    EXPECT_EQ(*f.last_done(), 8u);
    // Nothing new is confirmed at head 10 or 11 -> 9.
    EXPECT_TRUE(as<follow::Wait>(f.on_head(10)).problem.empty());
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(11)).number, 9u);
}

TEST(Follower, AReorgAboveTheConfirmationDepthNeverReachesIt) {
    // Head 10 on fork 0: a transfer in block 9 (one confirmation short of 3). The chain reorganises
    // blocks 9 and 10 (fork 1, no transfer); the follower only ever asks for block 9 once it is
    // confirmed, and then gets fork 1's logs.
    Follower f(config(3), 8);
    as<follow::FetchHead>(f.start());
    EXPECT_TRUE(as<follow::Wait>(f.on_head(10)).problem.empty());
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(11)).number, 9u);
    as<follow::FetchLogs>(f.on_block(header(9, 1)));
    const auto& deliver = as<follow::Deliver>(f.on_logs(std::vector<Log>{}));
    EXPECT_TRUE(deliver.claims.empty());
    EXPECT_EQ(deliver.through, 9u);
}

TEST(Follower, AStaleLogFromAnAbandonedForkIsNotTaken) {
    Follower f(config(2), 4);
    as<follow::FetchHead>(f.start());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(8)).number, 7u);
    as<follow::FetchLogs>(f.on_block(header(7, 1)));
    // The node serves a log that names fork 0's block 6, but block 6 is fork 1's now.
    EXPECT_EQ(as<follow::FetchBlock>(f.on_logs(std::vector<Log>{transfer_log(6, 0xaa, 0, PIPE, TOKEN_UNIT, TOKEN, 0)}))
                  .number,
              6u);
    const auto& wait = as<follow::Wait>(f.on_block(header(6, 1)));
    EXPECT_FALSE(wait.problem.empty());
    EXPECT_EQ(f.next_block(), 5u); // no progress
    // A log naming the range end with the wrong hash is caught without another request.
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(8)).number, 7u);
    as<follow::FetchLogs>(f.on_block(header(7, 1)));
    EXPECT_FALSE(as<follow::Wait>(f.on_logs(std::vector<Log>{transfer_log(7, 0xaa, 0, PIPE, TOKEN_UNIT, TOKEN, 0)}))
                     .problem.empty());
}

TEST(Follower, ANodeThatLiesAboutHeightsMovesNothing) {
    Follower f(config(1), 20);
    as<follow::FetchHead>(f.start());
    // Announces head 5000 but has no block 120 (the end of the first range of 100).
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(5000)).number, 120u);
    EXPECT_FALSE(as<follow::Wait>(f.on_block(std::optional<BlockHeader>{})).problem.empty());
    // Answers another block than the one asked.
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(5000)).number, 120u);
    EXPECT_FALSE(as<follow::Wait>(f.on_block(header(119))).problem.empty());
    // Goes back below the progress (restarted on an old state): wait, never re-process.
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::Wait>(f.on_head(3)).problem, "node is behind the progress");
    // Logs outside the asked range.
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(25)).number, 25u);
    as<follow::FetchLogs>(f.on_block(header(25)));
    EXPECT_FALSE(
        as<follow::Wait>(f.on_logs(std::vector<Log>{transfer_log(3, 0xaa, 0, PIPE, TOKEN_UNIT)})).problem.empty());
    EXPECT_EQ(f.next_block(), 21u);
    EXPECT_EQ(f.highest_head(), 5000u);
}

TEST(Follower, CatchesUpAGapInRangesAndBacksOffOnFailures) {
    auto c = config(1);
    c.max_range = 10;
    c.backoff_initial = std::chrono::milliseconds(100);
    c.backoff_max = std::chrono::milliseconds(400);
    Follower f(c, 0);
    as<follow::FetchHead>(f.start());
    std::uint64_t ranges = 0;
    for (std::uint64_t expected_end = 10; expected_end <= 35;
         expected_end = std::min<std::uint64_t>(expected_end + 10, 35)) {
        EXPECT_EQ(as<follow::FetchBlock>(f.on_head(35)).number, expected_end);
        as<follow::FetchLogs>(f.on_block(header(expected_end)));
        EXPECT_EQ(as<follow::Deliver>(f.on_logs(std::vector<Log>{})).through, expected_end);
        as<follow::FetchHead>(f.on_delivered());
        ++ranges;
        if (expected_end == 35) break;
    }
    EXPECT_EQ(ranges, 4u);
    EXPECT_EQ(f.next_block(), 36u);
    const auto failed =
        ethereum::RpcResult<std::uint64_t>(Unexpected(ethereum::Failure(ethereum::Errc::network, "down")));
    EXPECT_EQ(as<follow::Wait>(f.on_head(failed)).delay, std::chrono::milliseconds(100));
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::Wait>(f.on_head(failed)).delay, std::chrono::milliseconds(200));
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::Wait>(f.on_head(failed)).delay, std::chrono::milliseconds(400));
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::Wait>(f.on_head(failed)).delay, std::chrono::milliseconds(400));
    // Malformed answers are failures too (the parser refused them before the follower saw them).
    as<follow::FetchHead>(f.resume());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(36)).number, 36u);
    const auto garbage = ethereum::RpcResult<std::optional<BlockHeader>>(
        Unexpected(ethereum::Failure(ethereum::Errc::malformed_response, "not a JSON object")));
    EXPECT_FALSE(as<follow::Wait>(f.on_block(garbage)).problem.empty());
    EXPECT_EQ(f.next_block(), 36u);
}

TEST(Follower, DuplicateLogsAndHugeAmounts) {
    Follower f(config(1), 0);
    as<follow::FetchHead>(f.start());
    EXPECT_EQ(as<follow::FetchBlock>(f.on_head(3)).number, 3u);
    as<follow::FetchLogs>(f.on_block(header(3)));
    const auto huge =
        *U256::from_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639935");
    const auto& deliver = as<follow::Deliver>(
        f.on_logs(std::vector<Log>{transfer_log(3, 0xaa, 0, PIPE, TOKEN_UNIT),
                                   transfer_log(3, 0xaa, 0, PIPE, TOKEN_UNIT), transfer_log(3, 0xab, 1, PIPE, huge)}));
    EXPECT_EQ(deliver.claims.size(), 1u);
    EXPECT_EQ(f.ignored().too_large, 1u);
}

// --- Notifier --------------------------------------------------------------------------------------

const auto T0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

crypto::Secp256k1SecretKey watcher_key() {
    return *crypto::Secp256k1SecretKey::from_hex("4646464646464646464646464646464646464646464646464646464646464646");
}

NotifierConfig notifier_config() {
    NotifierConfig c;
    c.chain_id = "nym-test";
    c.pipe_account = PIPE;
    c.commit_timeout = std::chrono::seconds(10);
    return c;
}

Claim claim(std::uint8_t tx, std::uint32_t index = 0) {
    Claim c;
    c.eth_tx_hash.fill(tx);
    c.log_index = index;
    c.recipient = ALICE;
    c.amount = 1;
    return c;
}

template <class T>
T is(const notify::Action& a) {
    EXPECT_TRUE(std::holds_alternative<T>(a)) << "action index " << a.index();
    return std::holds_alternative<T>(a) ? std::get<T>(a) : T{};
}

BroadcastOutcome code(std::uint32_t c) {
    return BroadcastOutcome{BroadcastOutcome::Kind::answered, c, {}};
}

TEST(Notifier, SignsOneNoticePerClaimWithConsecutiveNoncesAndWaitsForTheCommit) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::QueryAccount>(n.start({claim(1), claim(2)}, T0));
    const auto& first = is<notify::Broadcast>(n.on_account(5, {}, T0));
    EXPECT_EQ(first.nonce, 5u);
    auto tx = ledger::SignedTx::decode(first.tx);
    ASSERT_TRUE(tx);
    EXPECT_TRUE(ledger::verify_tx_signature(*tx, "nym-test"));
    EXPECT_EQ(tx->tx.signer, n.address());
    const auto& notice = std::get<ledger::WatcherNotice>(tx->tx.body);
    EXPECT_EQ(notice.pipe_account, PIPE);
    EXPECT_EQ(notice.recipient, ALICE);
    EXPECT_EQ(notice.amount, 1u);
    EXPECT_EQ(is<notify::Broadcast>(n.on_broadcast(code(0), T0)).nonce, 6u);
    EXPECT_TRUE(is<notify::Sleep>(n.on_broadcast(code(0), T0)).problem.empty());
    is<notify::QueryAccount>(n.wake());
    is<notify::Sleep>(n.on_account(6, {}, T0)); // only the first is committed
    is<notify::Settled>(n.on_account(7, {}, T0));
    EXPECT_EQ(n.verdicts(), (std::vector<Verdict>{Verdict::committed, Verdict::committed}));
}

TEST(Notifier, AlreadyVotedAndAlreadyCreditedSettleWithoutANonce) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::QueryAccount>(n.start({claim(1), claim(2), claim(3)}, T0));
    EXPECT_EQ(is<notify::Broadcast>(n.on_account(0, {}, T0)).nonce, 0u);
    EXPECT_EQ(
        is<notify::Broadcast>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::already_voted)), T0)).nonce,
        0u);
    EXPECT_EQ(
        is<notify::Broadcast>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::already_credited)), T0))
            .nonce,
        0u);
    is<notify::Settled>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::already_voted)), T0));
    EXPECT_EQ(n.verdicts(),
              (std::vector<Verdict>{Verdict::already_voted, Verdict::already_credited, Verdict::already_voted}));
}

TEST(Notifier, RefusalsForGoodAreNotRetriedAndFailuresAre) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::QueryAccount>(n.start({claim(1), claim(2)}, T0));
    is<notify::Broadcast>(n.on_account(0, {}, T0));
    is<notify::Broadcast>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::not_a_watcher)), T0));
    // The validator is down: back off, then start again from the committed nonce.
    EXPECT_FALSE(
        is<notify::Sleep>(n.on_broadcast(BroadcastOutcome{BroadcastOutcome::Kind::unreachable, 0, "refused"}, T0))
            .problem.empty());
    is<notify::QueryAccount>(n.wake());
    EXPECT_FALSE(is<notify::Sleep>(n.on_account(std::nullopt, "down", T0)).problem.empty());
    is<notify::QueryAccount>(n.wake());
    const auto& again = is<notify::Broadcast>(n.on_account(0, {}, T0));
    EXPECT_EQ(again.claim, 1u); // the refused claim is not sent again
    is<notify::Settled>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::already_voted)), T0));
    EXPECT_EQ(n.refused(), 1u);
}

TEST(Notifier, ALostMempoolIsBroadcastAgainWithTheSameBytes) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::QueryAccount>(n.start({claim(1)}, T0));
    const auto first = is<notify::Broadcast>(n.on_account(2, {}, T0));
    is<notify::Sleep>(n.on_broadcast(code(0), T0));
    is<notify::Sleep>(n.on_account(2, {}, T0 + std::chrono::seconds(5)));
    // 10 s later the nonce has not moved: the notice is signed again at the committed nonce.
    const auto again = is<notify::Broadcast>(n.on_account(2, {}, T0 + std::chrono::seconds(11)));
    EXPECT_EQ(again.tx, first.tx);
    // A validator that still has it says so; it counts as admitted.
    is<notify::Sleep>(n.on_broadcast(
        BroadcastOutcome{BroadcastOutcome::Kind::rpc_error, 0, "Internal error: tx already exists in cache"},
        T0 + std::chrono::seconds(11)));
    is<notify::Settled>(n.on_account(3, {}, T0 + std::chrono::seconds(12)));
}

TEST(Notifier, WrongNonceStartsAgainFromTheCommittedNonce) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::QueryAccount>(n.start({claim(1)}, T0));
    is<notify::Broadcast>(n.on_account(0, {}, T0));
    is<notify::Sleep>(n.on_broadcast(code(static_cast<std::uint32_t>(ledger::Errc::wrong_nonce)), T0));
    is<notify::QueryAccount>(n.wake());
    EXPECT_EQ(is<notify::Broadcast>(n.on_account(4, {}, T0)).nonce, 4u);
}

TEST(Notifier, NothingToSendSettlesAtOnce) {
    Notifier n(notifier_config(), watcher_key());
    is<notify::Settled>(n.start({}, T0));
}

} // namespace
