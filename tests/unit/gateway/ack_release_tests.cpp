// The rule "a SURB-ack leaves only after its message is committed" (src/gateway/ack_release.hpp),
// as a function and inside the mix stage. These tests fail if acks are released before, without,
// or despite the commit.
#include "gateway_fixture.hpp"

#include <gateway/errors.hpp>

#include <sqlite3.h>

#include <gtest/gtest.h>

namespace nym::gateway {
namespace {

using namespace test;

HeldMessage held(std::uint8_t n, bool with_ack = true) {
    static const Bytes content{1, 2, 3};
    HeldMessage h{IncomingMessage{ClientAddress{}, content, at(NOW)}, std::nullopt};
    if (with_ack) h.ack = HeldAck{sphinx::IpEndpoint::v4({10, 0, 0, n}, 1789), Bytes(ACK_PACKET_SIZE, n)};
    return h;
}

std::vector<Expected<std::uint64_t>> answers(std::initializer_list<bool> stored) {
    std::vector<Expected<std::uint64_t>> out;
    std::uint64_t id = 1;
    for (bool ok : stored) {
        if (ok) out.emplace_back(id++);
        else out.emplace_back(fail(Errc::quota_exceeded_count));
    }
    return out;
}

TEST(CommitThenRelease, OnlyTheAcksOfMessagesTheCommitStoredAreReleasedInOrder) {
    std::vector<HeldMessage> batch;
    for (std::uint8_t n = 1; n <= 4; ++n) batch.push_back(held(n, n != 3));
    int commits = 0;
    std::size_t committed_messages = 0;
    CommitOutcome out = commit_then_release(std::move(batch), [&](std::span<const IncomingMessage> messages) {
        ++commits;
        committed_messages = messages.size();
        return answers({true, false, true, true});
    });
    EXPECT_EQ(commits, 1);              // one group commit for the whole batch
    EXPECT_EQ(committed_messages, 4u);
    ASSERT_EQ(out.ids.size(), 4u);
    ASSERT_EQ(out.acks.size(), 2u);     // message 2 was refused, message 3 carried no ack
    EXPECT_EQ(out.acks.acks()[0].packet, Bytes(ACK_PACKET_SIZE, 1));
    EXPECT_EQ(out.acks.acks()[1].packet, Bytes(ACK_PACKET_SIZE, 4));
    EXPECT_EQ(out.acks.acks()[1].first_hop, sphinx::IpEndpoint::v4({10, 0, 0, 4}, 1789));
}

TEST(CommitThenRelease, AFailedCommitReleasesNothing) {
    std::vector<HeldMessage> batch{held(1), held(2)};
    CommitOutcome out = commit_then_release(std::move(batch), [](std::span<const IncomingMessage> messages) {
        return std::vector<Expected<std::uint64_t>>(messages.size(), Expected<std::uint64_t>(fail(Errc::database_error)));
    });
    EXPECT_TRUE(out.acks.empty());
    EXPECT_FALSE(out.ids.at(0));
}

TEST(CommitThenRelease, ACommitThatDoesNotAnswerForEveryMessageCountsAsFailed) {
    std::vector<HeldMessage> batch{held(1), held(2)};
    CommitOutcome out = commit_then_release(std::move(batch), [](std::span<const IncomingMessage>) {
        return answers({true}); // one answer for two messages: nothing is known to be durable
    });
    EXPECT_TRUE(out.acks.empty());
    ASSERT_EQ(out.ids.size(), 2u);
    EXPECT_FALSE(out.ids[0]);
    EXPECT_FALSE(out.ids[1]);
}

TEST(CommitThenRelease, ACommitThatThrowsReleasesNothing) {
    std::vector<HeldMessage> batch{held(1)};
    std::optional<CommitOutcome> out;
    EXPECT_THROW(out.emplace(commit_then_release(std::move(batch),
                                                 [](std::span<const IncomingMessage>)
                                                     -> std::vector<Expected<std::uint64_t>> {
                                                     throw std::runtime_error("disk gone");
                                                 })),
                 std::runtime_error);
    EXPECT_FALSE(out.has_value());
}

TEST(MixStage, ReleasedAcksBelongToMessagesAlreadyInTheStore) {
    GatewayFixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    StoreQueue::Work work;
    work.packets.push_back(f.packet_for_client(1, HOP_A));
    work.packets.push_back(f.packet_for_client(2, HOP_B));
    StageOutput out = f.stage.process(std::move(work), at(NOW));
    ASSERT_EQ(out.acks.size(), 2u);
    // When the acks exist, their messages are durable: a second connection to the file sees them.
    auto other = MessageStore::open(f.dir.path() / "messages.sqlite");
    ASSERT_TRUE(other);
    EXPECT_EQ((*other)->fetch_batch(f.client.public_key()).value().size(), 2u);
}

TEST(MixStage, AFailedCommitReleasesNoAckAndCountsStorageErrors) {
    GatewayFixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    // Break the messages table behind the store's back: every insert of the next commit fails.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((f.dir.path() / "messages.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE messages;", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    StoreQueue::Work work;
    work.packets.push_back(f.packet_for_client(1, HOP_A));
    work.packets.push_back(f.packet_for_client(2, HOP_B));
    StageOutput out = f.stage.process(std::move(work), at(NOW));
    EXPECT_TRUE(out.acks.empty());
    EXPECT_TRUE(out.clients_with_new_messages.empty());
    EXPECT_EQ(f.counters.stored.load(), 0u);
    EXPECT_EQ(f.counters.dropped_by(DropReason::storage_error), 2u);
}

TEST(MixStage, AMessageOverQuotaReleasesNoAck) {
    test::TempDir dir;
    GatewayFixture f;
    ASSERT_TRUE(f.register_client(1).closes.empty());
    StoreLimits one;
    one.max_messages_per_client = 1;
    auto store = std::move(MessageStore::open(dir.path() / "quota.sqlite", one).value());
    ASSERT_TRUE(store->register_client(RegisteredClient{f.client.public_key(), wg::SharedKey{}, at(NOW)}));
    ReplayCache replays;
    MixStage stage{f.sphinx_keys.secret, *store, replays, f.counters};
    StoreQueue::Work work;
    work.packets.push_back(f.packet_for_client(1, HOP_A));
    work.packets.push_back(f.packet_for_client(2, HOP_B));
    StageOutput out = stage.process(std::move(work), at(NOW));
    ASSERT_EQ(out.acks.size(), 1u);
    EXPECT_EQ(out.acks.acks()[0].first_hop, HOP_A);
    EXPECT_EQ(f.counters.dropped_by(DropReason::over_quota), 1u);
}

} // namespace
} // namespace nym::gateway
