#include <abci/application.hpp>
#include <abci/connection.hpp>
#include <abci/framing.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "../ledger/ledger_test_support.hpp"

namespace nym::abci {
namespace {

using ledger::test::Chain;
using ledger::test::CHAIN_ID;
using ledger::test::signed_tx;

Bytes frame(const google::protobuf::Message& m) {
    const std::string s = m.SerializeAsString();
    Bytes out;
    append_frame(out, ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    return out;
}

std::vector<pb::Response> responses(ByteSpan bytes) {
    FrameDecoder d;
    d.feed(bytes);
    std::vector<pb::Response> out;
    for (;;) {
        auto f = d.next();
        EXPECT_TRUE(f);
        if (!f || !*f) break;
        pb::Response r;
        EXPECT_TRUE(r.ParseFromArray((*f)->data(), static_cast<int>((*f)->size())));
        out.push_back(r);
    }
    EXPECT_EQ(d.buffered(), 0u);
    return out;
}

// --- framing --------------------------------------------------------------------------------------

TEST(AbciFraming, UvarintMatchesGo) {
    // binary.PutUvarint: 0 -> 00, 127 -> 7f, 128 -> 80 01, 300 -> ac 02, 16384 -> 80 80 01
    const std::vector<std::pair<std::size_t, Bytes>> cases = {
        {0, {0x00}}, {127, {0x7f}}, {128, {0x80, 0x01}}, {300, {0xac, 0x02}}, {16384, {0x80, 0x80, 0x01}}};
    for (const auto& [n, prefix] : cases) {
        Bytes out;
        append_frame(out, Bytes(n, 0x5a));
        ASSERT_EQ(out.size(), prefix.size() + n);
        EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), out.begin())) << n;
    }
}

TEST(AbciFraming, DecodesFramesFedInAnyChunks) {
    crypto::DeterministicRng rng(11);
    std::vector<Bytes> messages;
    Bytes stream;
    for (std::size_t n : {0u, 1u, 127u, 128u, 300u, 5000u, 70000u, 3u}) {
        Bytes m(n);
        rng.fill(m);
        messages.push_back(m);
        append_frame(stream, m);
    }
    for (int trial = 0; trial < 20; ++trial) {
        FrameDecoder d;
        std::vector<Bytes> got;
        std::size_t at = 0;
        while (at < stream.size()) {
            const std::size_t n = trial == 0 ? 1 : std::min<std::size_t>(stream.size() - at, 1 + rng.next_u64() % 9000);
            d.feed(ByteSpan(stream).subspan(at, n));
            at += n;
            for (;;) {
                auto f = d.next();
                ASSERT_TRUE(f);
                if (!*f) break;
                got.emplace_back((*f)->begin(), (*f)->end());
            }
        }
        EXPECT_EQ(got, messages) << "trial " << trial;
        EXPECT_EQ(d.buffered(), 0u);
    }
}

TEST(AbciFraming, OverflowOversizeAndStickyErrors) {
    {
        FrameDecoder d;
        d.feed(Bytes(11, 0xff));
        EXPECT_EQ(d.next().error(), Errc::varint_overflow);
        d.feed(Bytes{0x00});
        EXPECT_EQ(d.next().error(), Errc::varint_overflow) << "errors are sticky";
        EXPECT_TRUE(d.failed());
    }
    {
        FrameDecoder d; // 10th byte above 1: more than 64 bits
        Bytes b(9, 0x80);
        b.push_back(0x02);
        d.feed(b);
        EXPECT_EQ(d.next().error(), Errc::varint_overflow);
    }
    {
        FrameDecoder d; // 2^64 - 1 is a valid uvarint, and far too large
        Bytes b(9, 0xff);
        b.push_back(0x01);
        d.feed(b);
        EXPECT_EQ(d.next().error(), Errc::frame_too_large);
    }
    {
        FrameDecoder d(100);
        Bytes ok;
        append_frame(ok, Bytes(100, 1));
        d.feed(ok);
        ASSERT_TRUE(d.next());
        Bytes big;
        append_frame(big, Bytes(101, 1));
        d.feed(ByteSpan(big).first(2)); // the length alone is enough to refuse it
        EXPECT_EQ(d.next().error(), Errc::frame_too_large);
    }
    {
        FrameDecoder d; // an incomplete prefix waits for more bytes
        d.feed(Bytes{0x80, 0x80});
        auto f = d.next();
        ASSERT_TRUE(f);
        EXPECT_FALSE(*f);
    }
}

// --- the application --------------------------------------------------------------------------

struct AbciNode {
    Chain chain;
    ledger::MemoryStore store;
    std::unique_ptr<ledger::Ledger> ledger = std::move(*ledger::Ledger::open(store));
    Application app{*ledger};

    pb::Response init() {
        pb::Request req;
        auto* ic = req.mutable_init_chain();
        ic->set_chain_id(std::string(CHAIN_ID));
        ic->set_app_state_bytes(chain.genesis());
        ic->set_initial_height(1);
        return app.handle(req);
    }
    pb::Response finalize(std::int64_t height, const std::vector<Bytes>& txs) {
        pb::Request req;
        auto* fb = req.mutable_finalize_block();
        fb->set_height(height);
        for (const auto& t : txs) fb->add_txs(std::string(t.begin(), t.end()));
        return app.handle(req);
    }
    pb::Response commit() {
        pb::Request req;
        req.mutable_commit();
        return app.handle(req);
    }
    pb::Response info() {
        pb::Request req;
        req.mutable_info();
        return app.handle(req);
    }
};

TEST(AbciApplication, BlockLifecycle) {
    AbciNode n;
    auto info0 = n.info();
    ASSERT_TRUE(info0.has_info());
    EXPECT_EQ(info0.info().last_block_height(), 0);
    EXPECT_TRUE(info0.info().last_block_app_hash().empty());
    EXPECT_EQ(info0.info().data(), "nym-validator");

    auto init = n.init();
    ASSERT_TRUE(init.has_init_chain()) << init.DebugString();
    EXPECT_EQ(init.init_chain().app_hash().size(), 32u) << "a non-empty genesis app hash";
    EXPECT_EQ(init.init_chain().validators_size(), 0);

    const auto& alice = n.chain.users[0];
    const Bytes good = signed_tx(alice, 0, ledger::Transfer{n.chain.users[1].address(), 5});
    auto fb = n.finalize(1, {good, Bytes{0x01, 0x02}});
    ASSERT_TRUE(fb.has_finalize_block()) << fb.DebugString();
    ASSERT_EQ(fb.finalize_block().tx_results_size(), 2);
    const auto& ok = fb.finalize_block().tx_results(0);
    EXPECT_EQ(ok.code(), 0u);
    ASSERT_GE(ok.events_size(), 2);
    EXPECT_EQ(ok.events(1).type(), "transfer");
    EXPECT_EQ(ok.events(1).attributes(2).key(), "amount");
    EXPECT_EQ(ok.events(1).attributes(2).value(), "5");
    EXPECT_TRUE(ok.events(1).attributes(0).index());
    const auto& bad = fb.finalize_block().tx_results(1);
    EXPECT_EQ(bad.code(), static_cast<std::uint32_t>(ledger::Errc::malformed_tx));
    EXPECT_EQ(bad.codespace(), "nym");
    EXPECT_FALSE(bad.log().empty());
    const std::string app_hash = fb.finalize_block().app_hash();
    EXPECT_EQ(app_hash.size(), 32u);

    auto c = n.commit();
    ASSERT_TRUE(c.has_commit());
    EXPECT_EQ(c.commit().retain_height(), 0);
    auto info1 = n.info();
    EXPECT_EQ(info1.info().last_block_height(), 1);
    EXPECT_EQ(info1.info().last_block_app_hash(), app_hash);

    // Misuse of the lifecycle stops the chain: CometBFT gets an exception.
    EXPECT_TRUE(n.finalize(5, {}).has_exception());
    EXPECT_TRUE(n.commit().has_exception());
    EXPECT_TRUE(n.init().has_exception());
    EXPECT_TRUE(n.finalize(0, {}).has_exception());
    EXPECT_TRUE(n.app.handle(pb::Request{}).has_exception()) << "a request with no value";
}

TEST(AbciApplication, CheckTxQueryAndTheOtherRequests) {
    AbciNode n;
    n.init();
    n.finalize(1, {});
    n.commit();
    const auto& alice = n.chain.users[0];

    pb::Request check;
    const Bytes tx = signed_tx(alice, 0, ledger::Transfer{n.chain.users[1].address(), 5});
    check.mutable_check_tx()->set_tx(std::string(tx.begin(), tx.end()));
    EXPECT_EQ(n.app.handle(check).check_tx().code(), 0u);
    auto replay = n.app.handle(check).check_tx();
    EXPECT_EQ(replay.code(), static_cast<std::uint32_t>(ledger::Errc::wrong_nonce));
    EXPECT_EQ(replay.codespace(), "nym");
    check.mutable_check_tx()->set_type(pb::RECHECK);
    EXPECT_NE(n.app.handle(check).check_tx().code(), 0u);

    pb::Request q;
    q.mutable_query()->set_path("/balance");
    const auto alice_address = alice.address();
    q.mutable_query()->set_data(std::string(alice_address.bytes.begin(), alice_address.bytes.end()));
    auto qr = n.app.handle(q).query();
    EXPECT_EQ(qr.code(), 0u);
    EXPECT_EQ(qr.height(), 1);
    EXPECT_EQ(nlohmann::json::parse(qr.value())["balance"], "1000");
    q.mutable_query()->set_height(-1);
    EXPECT_NE(n.app.handle(q).query().code(), 0u);
    q.mutable_query()->set_height(0);
    q.mutable_query()->set_path("/nope");
    auto unknown = n.app.handle(q).query();
    EXPECT_EQ(unknown.code(), static_cast<std::uint32_t>(ledger::Errc::unknown_query_path));
    EXPECT_EQ(unknown.codespace(), "nym");

    pb::Request echo;
    echo.mutable_echo()->set_message("hello");
    EXPECT_EQ(n.app.handle(echo).echo().message(), "hello");

    pb::Request prep;
    for (int i = 0; i < 5; ++i) prep.mutable_prepare_proposal()->add_txs(std::string(100, 'x'));
    prep.mutable_prepare_proposal()->set_max_tx_bytes(3 * 102 + 50); // each tx costs 1 + 1 + 100 bytes
    EXPECT_EQ(n.app.handle(prep).prepare_proposal().txs_size(), 3);
    prep.mutable_prepare_proposal()->set_max_tx_bytes(0);
    EXPECT_EQ(n.app.handle(prep).prepare_proposal().txs_size(), 0);

    pb::Request proc;
    proc.mutable_process_proposal()->add_txs("anything");
    EXPECT_EQ(n.app.handle(proc).process_proposal().status(), pb::ResponseProcessProposal::ACCEPT);
    pb::Request ext;
    ext.mutable_extend_vote()->set_height(2);
    auto er = n.app.handle(ext);
    ASSERT_TRUE(er.has_extend_vote());
    EXPECT_TRUE(er.extend_vote().vote_extension().empty());
    pb::Request ver;
    ver.mutable_verify_vote_extension()->set_height(2);
    EXPECT_EQ(n.app.handle(ver).verify_vote_extension().status(), pb::ResponseVerifyVoteExtension::ACCEPT);

    pb::Request snaps;
    snaps.mutable_list_snapshots();
    auto sr = n.app.handle(snaps);
    ASSERT_TRUE(sr.has_list_snapshots());
    EXPECT_EQ(sr.list_snapshots().snapshots_size(), 0);
    pb::Request offer;
    offer.mutable_offer_snapshot();
    EXPECT_EQ(n.app.handle(offer).offer_snapshot().result(), pb::ResponseOfferSnapshot::ABORT);
    pb::Request load;
    load.mutable_load_snapshot_chunk();
    EXPECT_TRUE(n.app.handle(load).has_load_snapshot_chunk());
    pb::Request apply;
    apply.mutable_apply_snapshot_chunk();
    EXPECT_EQ(n.app.handle(apply).apply_snapshot_chunk().result(), pb::ResponseApplySnapshotChunk::ABORT);
}

TEST(AbciApplication, InitChainRefusesBadGenesis) {
    AbciNode n;
    pb::Request req;
    req.mutable_init_chain()->set_chain_id(std::string(CHAIN_ID));
    req.mutable_init_chain()->set_app_state_bytes("{\"chain_id\": 5}");
    auto r = n.app.handle(req);
    ASSERT_TRUE(r.has_exception());
    EXPECT_NE(r.exception().error().find("genesis"), std::string::npos) << r.exception().error();
    req.mutable_init_chain()->set_chain_id("other");
    req.mutable_init_chain()->set_app_state_bytes(n.chain.genesis());
    EXPECT_TRUE(n.app.handle(req).has_exception());
}

// --- connections ----------------------------------------------------------------------------------

pb::Request echo_request(const std::string& m) {
    pb::Request r;
    r.mutable_echo()->set_message(m);
    return r;
}

pb::Request flush_request() {
    pb::Request r;
    r.mutable_flush();
    return r;
}

TEST(AbciConnection, ResponsesWaitForFlushAndKeepTheirOrder) {
    AbciNode n;
    Connection c(n.app);
    Bytes in;
    for (int i = 0; i < 3; ++i) {
        const Bytes f = frame(echo_request("m" + std::to_string(i)));
        in.insert(in.end(), f.begin(), f.end());
    }
    EXPECT_TRUE(c.on_bytes(in).empty()) << "nothing is written before a Flush";
    const Bytes out = c.on_bytes(frame(flush_request()));
    auto rs = responses(out);
    ASSERT_EQ(rs.size(), 4u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rs[static_cast<std::size_t>(i)].echo().message(), "m" + std::to_string(i));
    EXPECT_TRUE(rs[3].has_flush());
    EXPECT_EQ(c.requests(), 4u);
    EXPECT_FALSE(c.closed());
}

TEST(AbciConnection, ByteByByteInputGivesTheSameOutput) {
    AbciNode a, b;
    Bytes stream;
    for (const auto& req : {echo_request("x"), flush_request(), echo_request(std::string(300, 'y')), flush_request()}) {
        const Bytes f = frame(req);
        stream.insert(stream.end(), f.begin(), f.end());
    }
    Connection whole(a.app), bytewise(b.app);
    const Bytes expected = whole.on_bytes(stream);
    Bytes got;
    for (std::uint8_t byte : stream) {
        const Bytes out = bytewise.on_bytes(ByteSpan(&byte, 1));
        got.insert(got.end(), out.begin(), out.end());
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(responses(got).size(), 4u);
}

TEST(AbciConnection, LargeOutputIsReleasedWithoutFlush) {
    AbciNode n;
    ConnectionOptions o;
    o.flush_threshold = 1000;
    Connection c(n.app, o);
    EXPECT_TRUE(c.on_bytes(frame(echo_request(std::string(500, 'a')))).empty());
    EXPECT_EQ(responses(c.on_bytes(frame(echo_request(std::string(600, 'b'))))).size(), 2u);
}

TEST(AbciConnection, GarbageAndOversizedFramesCloseTheConnectionWithAnException) {
    {
        AbciNode n;
        Connection c(n.app);
        Bytes garbage;
        append_frame(garbage, Bytes{0xff, 0xff, 0xff, 0xff}); // not a protobuf Request
        const auto earlier = frame(echo_request("before"));
        Bytes in = earlier;
        in.insert(in.end(), garbage.begin(), garbage.end());
        auto rs = responses(c.on_bytes(in));
        ASSERT_EQ(rs.size(), 2u) << "pending responses go out before the exception";
        EXPECT_EQ(rs[0].echo().message(), "before");
        EXPECT_TRUE(rs[1].has_exception());
        EXPECT_TRUE(c.closed());
        EXPECT_FALSE(c.close_reason().empty());
        EXPECT_TRUE(c.on_bytes(frame(flush_request())).empty()) << "a closed connection answers nothing";
    }
    {
        AbciNode n;
        ConnectionOptions o;
        o.max_frame_size = 64;
        Connection c(n.app, o);
        auto rs = responses(c.on_bytes(frame(echo_request(std::string(100, 'z')))));
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_TRUE(rs[0].has_exception());
        EXPECT_TRUE(c.closed());
    }
    {
        AbciNode n;
        Connection c(n.app);
        auto rs = responses(c.on_bytes(Bytes(12, 0xff)));
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_TRUE(rs[0].has_exception());
    }
}

TEST(AbciConnection, FourConnectionsAtOnce) {
    // CometBFT's consensus, mempool and query connections on their own threads.
    AbciNode n;
    Connection consensus(n.app), mempool(n.app), query(n.app);
    auto roundtrip = [](Connection& c, const pb::Request& req) {
        Bytes in = frame(req);
        const Bytes f = frame(flush_request());
        in.insert(in.end(), f.begin(), f.end());
        auto rs = responses(c.on_bytes(in));
        EXPECT_EQ(rs.size(), 2u);
        return rs.empty() ? pb::Response{} : rs[0];
    };
    pb::Request init;
    init.mutable_init_chain()->set_chain_id(std::string(CHAIN_ID));
    init.mutable_init_chain()->set_app_state_bytes(n.chain.genesis());
    ASSERT_TRUE(roundtrip(consensus, init).has_init_chain());

    std::atomic<bool> stop{false};
    std::thread mempool_thread([&] {
        std::uint64_t i = 0;
        while (!stop) {
            pb::Request check;
            const Bytes tx = signed_tx(n.chain.users[1], i++ % 20, ledger::Transfer{n.chain.users[0].address(), 1});
            check.mutable_check_tx()->set_tx(std::string(tx.begin(), tx.end()));
            (void)roundtrip(mempool, check);
        }
    });
    std::thread query_thread([&] {
        while (!stop) {
            pb::Request q;
            q.mutable_query()->set_path("/account");
            q.mutable_query()->set_data(std::string(20, '\x01'));
            (void)roundtrip(query, q);
        }
    });
    for (std::int64_t h = 1; h <= 20; ++h) {
        pb::Request fb;
        fb.mutable_finalize_block()->set_height(h);
        const Bytes tx = signed_tx(n.chain.users[0], static_cast<std::uint64_t>(h - 1),
                                   ledger::Transfer{n.chain.users[2].address(), 1});
        fb.mutable_finalize_block()->add_txs(std::string(tx.begin(), tx.end()));
        auto r = roundtrip(consensus, fb);
        ASSERT_TRUE(r.has_finalize_block()) << r.DebugString();
        EXPECT_EQ(r.finalize_block().tx_results(0).code(), 0u);
        pb::Request commit;
        commit.mutable_commit();
        ASSERT_TRUE(roundtrip(consensus, commit).has_commit());
    }
    stop = true;
    mempool_thread.join();
    query_thread.join();
    EXPECT_EQ(n.ledger->info().height, 20u);
}

} // namespace
} // namespace nym::abci

namespace nym::abci {
namespace {

// The fuzz corpus's "session" seed (fuzz/make_ledger_corpus.py) walks the whole lifecycle; check that
// it really does, so the fuzzer starts from deep inputs.
TEST(AbciConnection, FuzzSeedSessionReachesEveryRequest) {
    const std::filesystem::path seed =
        std::filesystem::path(NYM_TEST_VECTORS_DIR).parent_path().parent_path() / "fuzz/corpus/abci_connection/session";
    std::ifstream in(seed, std::ios::binary);
    ASSERT_TRUE(in.good()) << seed;
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ledger::MemoryStore store;
    auto ledger = std::move(*ledger::Ledger::open(store));
    Application app(*ledger);
    Connection c(app);
    auto rs = responses(c.on_bytes(ByteSpan(bytes).subspan(1)));
    ASSERT_EQ(rs.size(), 13u);
    for (const auto& r : rs) EXPECT_FALSE(r.has_exception()) << r.DebugString();
    EXPECT_TRUE(rs[3].has_init_chain());
    EXPECT_TRUE(rs[8].has_finalize_block());
    EXPECT_EQ(ledger->info().height, 1u);
    EXPECT_FALSE(c.closed());
}

TEST(AbciApplication, StatsQueryCountsRequestsByKind) {
    AbciNode n;
    n.init();
    n.finalize(1, {});
    n.commit();
    const auto& alice = n.chain.users[0];
    const Bytes tx = signed_tx(alice, 0, ledger::Transfer{n.chain.users[1].address(), 5});
    pb::Request check;
    check.mutable_check_tx()->set_tx(std::string(tx.begin(), tx.end()));
    EXPECT_EQ(n.app.handle(check).check_tx().code(), 0u);
    check.mutable_check_tx()->set_type(pb::RECHECK);
    (void)n.app.handle(check);
    n.finalize(2, {tx});
    n.commit();

    pb::Request q;
    q.mutable_query()->set_path("/stats");
    q.mutable_query()->set_data("ignored");
    const auto r = n.app.handle(q).query();
    ASSERT_EQ(r.code(), 0u) << r.log();
    EXPECT_EQ(r.height(), 2);
    const auto stats = nlohmann::json::parse(r.value());
    EXPECT_EQ(stats["check_tx_new"]["requests"], 1);
    EXPECT_EQ(stats["check_tx_recheck"]["requests"], 1);
    EXPECT_EQ(stats["finalize_block"]["requests"], 2);
    EXPECT_EQ(stats["commit"]["requests"], 2);
    EXPECT_EQ(stats["finalized_txs"], 1);
    EXPECT_EQ(stats["query"]["requests"], 1) << "this /stats query itself";
    EXPECT_EQ(stats["check_tx_new"]["timed"], 1) << "the first of every STAT_SAMPLE_EVERY is timed";
    EXPECT_GT(stats["check_tx_new"]["cpu_us"].template get<std::uint64_t>(), 0u) << "a signature recovery takes time";
}

} // namespace
} // namespace nym::abci
