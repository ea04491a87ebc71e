// Key epochs and the replay state across restarts: a replayed packet stays a replay after a restart
// (the filter is saved and loaded), a packet for the previous key is accepted for one epoch and
// refused after, a damaged state file is refused, and the heartbeat announces the next key.
#include <mixnode/node.hpp>
#include <mixnode/replay_state.hpp>
#include <sphinx/builder.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <wire/directory.hpp>

namespace nym::mixnode {
namespace {

using namespace std::chrono_literals;
using sphinx::PacketSize;

const TimePoint T0 = TimePoint{} + 1000s;
constexpr std::int64_t START_UNIX = 1'700'000'000;

class ReplayStateTest : public ::testing::Test {
protected:
    crypto::DeterministicRng rng{11};
    NodeKeys keys = make_keys();
    Config config = make_config();
    crypto::X25519SecretKey next_key = crypto::X25519SecretKey::generate(rng);
    sphinx::IpEndpoint next = sphinx::IpEndpoint::v4({127, 0, 0, 1}, 2001);

    NodeKeys make_keys() {
        auto identity = crypto::Ed25519SecretKey::generate(rng);
        auto identity_public = identity.public_key();
        auto sphinx_key = crypto::X25519SecretKey::generate(rng);
        auto sphinx_public = sphinx_key.public_key();
        return NodeKeys{std::move(identity), identity_public, std::move(sphinx_key), sphinx_public};
    }
    static Config make_config() {
        Config c;
        c.id = "unit";
        c.layer = 3;
        c.replay_expected_packets_per_second = 10;
        c.replay_epoch = 3600s;
        return c;
    }
    /// A fresh state as `init` writes it, loaded back as `run` does.
    ReplayState initial_state() {
        const auto params =
            BloomParameters::optimal(config.replay_filter_config().expected_packets_per_epoch, config.replay_fp_rate);
        const auto bytes =
            encode_replay_state(EpochKeys::first(keys.sphinx, START_UNIX, rng), config.replay_epoch, nullptr, params);
        return restored(bytes);
    }
    ReplayState restored(const std::string& bytes) {
        auto state = decode_replay_state({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                                         config.replay_filter_config(), rng);
        EXPECT_TRUE(state) << (state ? "" : state.error());
        return std::move(*state);
    }
    static wire::directory::Topology gateway_at(const sphinx::IpEndpoint& hop) {
        wire::directory::Topology t;
        wire::directory::TopologyGateway g;
        g.host = hop.to_string();
        t.gateways.push_back(g);
        return t;
    }
    std::unique_ptr<MixNode> start(ReplayState state) {
        auto node = std::make_unique<MixNode>(config, keys, std::move(state), rng);
        (void)node->update_topology(gateway_at(next), T0);
        return node;
    }
    /// A packet [this node under `key`, next] with no delay.
    wire::Frame packet(const crypto::X25519PublicKey& key) {
        const std::vector<sphinx::RouteNode> route{{sphinx::encode_node_address(next), key},
                                                   {sphinx::encode_node_address(next), next_key.public_key()}};
        const std::vector<sphinx::Delay> delays{sphinx::Delay{}, sphinx::Delay{}};
        const std::vector<std::uint8_t> message{'r'};
        auto built = sphinx::build_packet(route, delays, sphinx::DestinationAddress{}, sphinx::SurbIdentifier{},
                                          message, sphinx::payload_size(PacketSize::regular), rng);
        EXPECT_TRUE(built);
        wire::Frame frame;
        frame.size = PacketSize::regular;
        frame.packet = built ? *built : std::vector<std::uint8_t>{};
        return frame;
    }
    static std::optional<DropReason> dropped(const Decision& d) {
        if (const auto* drop = std::get_if<Drop>(&d)) return drop->reason;
        return std::nullopt;
    }
};

TEST_F(ReplayStateTest, APacketReplayedAfterARestartIsDroppedAsReplayed) {
    auto node = start(initial_state());
    const auto p = packet(keys.sphinx_public);
    EXPECT_FALSE(dropped(node->unwrap(p, T0)));
    const std::string saved = node->save_state(); // at shutdown
    node.reset();

    auto restarted = start(restored(saved));
    EXPECT_EQ(dropped(restarted->unwrap(p, T0 + 1s)), DropReason::replayed);
    EXPECT_FALSE(dropped(restarted->unwrap(packet(keys.sphinx_public), T0 + 1s))) << "fresh packets still pass";
}

TEST_F(ReplayStateTest, APacketForThePreviousKeyIsAcceptedForOneEpochOnly) {
    auto node = start(initial_state());
    const auto first_key = node->keys()->current.public_key();
    const auto announced_next = node->keys()->next.public_key();
    const auto p = packet(first_key);
    const auto q = packet(first_key);
    const auto r = packet(first_key);
    EXPECT_FALSE(dropped(node->unwrap(p, T0)));

    node->rotate_epoch(START_UNIX + 3600);
    EXPECT_EQ(node->keys()->current.public_key(), announced_next) << "the announced next key becomes current";
    EXPECT_FALSE(dropped(node->unwrap(q, T0))) << "the previous key is accepted during its grace epoch";
    EXPECT_EQ(dropped(node->unwrap(p, T0)), DropReason::replayed) << "and its replays are still caught";
    EXPECT_FALSE(dropped(node->unwrap(packet(announced_next), T0)));

    node->rotate_epoch(START_UNIX + 7200);
    EXPECT_EQ(dropped(node->unwrap(r, T0)), DropReason::bad_mac) << "two epochs old: refused";
    EXPECT_EQ(dropped(node->unwrap(q, T0)), DropReason::bad_mac);
}

TEST_F(ReplayStateTest, TheGraceEpochSurvivesARestartToo) {
    auto node = start(initial_state());
    const auto first_key = node->keys()->current.public_key();
    node->rotate_epoch(START_UNIX + 3600);
    const auto p = packet(first_key);
    EXPECT_FALSE(dropped(node->unwrap(p, T0)));
    auto restarted = start(restored(node->save_state()));
    EXPECT_EQ(dropped(restarted->unwrap(p, T0)), DropReason::replayed);
    EXPECT_FALSE(dropped(restarted->unwrap(packet(first_key), T0)));
}

TEST_F(ReplayStateTest, CatchingUpAfterALongStopRotatesEveryKeyAway) {
    auto node = start(initial_state());
    const auto first_key = node->keys()->current.public_key();
    EXPECT_EQ(node->catch_up(START_UNIX + 100), 0);
    EXPECT_EQ(node->catch_up(START_UNIX + 3600 + 5), 1);
    EXPECT_EQ(node->keys()->epoch, 1u);
    EXPECT_EQ(node->epoch_ends_unix(), START_UNIX + 7200) << "epochs stay aligned";
    EXPECT_EQ(node->catch_up(START_UNIX + 100 * 3600), 3);
    EXPECT_EQ(dropped(node->unwrap(packet(first_key), T0)), DropReason::bad_mac);
    EXPECT_EQ(node->epoch_ends_unix(), START_UNIX + 100 * 3600 + 3600);
}

TEST_F(ReplayStateTest, ADamagedStateIsRefusedWithWhatToDo) {
    auto node = start(initial_state());
    (void)node->unwrap(packet(keys.sphinx_public), T0);
    std::string saved = node->save_state();
    const auto decode = [&](const std::string& bytes) {
        return decode_replay_state({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                                   config.replay_filter_config(), rng);
    };
    ASSERT_TRUE(decode(saved));
    std::string flipped = saved;
    flipped[flipped.size() / 2] ^= 0x01;
    EXPECT_FALSE(decode(flipped));
    EXPECT_FALSE(decode(saved.substr(0, saved.size() - 1)));
    EXPECT_FALSE(decode("NYMRPL01"));
    Config bigger = config;
    bigger.replay_expected_packets_per_second = 1000;
    EXPECT_FALSE(decode_replay_state({reinterpret_cast<const std::uint8_t*>(saved.data()), saved.size()},
                                     bigger.replay_filter_config(), rng))
        << "filters of another size cannot be reused";

    std::random_device rd;
    const auto dir = std::filesystem::temp_directory_path() / ("nym-replay-state-" + std::to_string(rd()));
    const auto path = dir / "replay_state.bin";
    ASSERT_TRUE(save_replay_state(path, flipped));
    auto loaded = load_replay_state(path, config.replay_filter_config(), rng);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message().find("--reset-replay-state"), std::string::npos) << loaded.error().message();
    EXPECT_FALSE(load_replay_state(dir / "missing.bin", config.replay_filter_config(), rng));

    config.replay_state_file = path;
    auto reset = open_replay_state(config, keys.sphinx, true, START_UNIX, rng);
    ASSERT_TRUE(reset);
    EXPECT_FALSE(reset->keys.current.public_key() == keys.sphinx_public) << "a reset always brings a new key";
    EXPECT_TRUE(load_replay_state(path, config.replay_filter_config(), rng)) << "and is saved before use";

    // A config written before key epochs existed: its node never saved a state; the first run starts
    // one with the init key. A current config with its state missing is refused.
    config.replay_state_file = dir / "never-written.bin";
    config.replay_state_predates = true;
    auto upgraded = open_replay_state(config, keys.sphinx, false, START_UNIX, rng);
    ASSERT_TRUE(upgraded);
    EXPECT_EQ(upgraded->keys.current.public_key(), keys.sphinx_public);
    EXPECT_TRUE(std::filesystem::exists(config.replay_state_file)) << "saved at once";
    config.replay_state_file = dir / "lost.bin";
    config.replay_state_predates = false;
    EXPECT_FALSE(open_replay_state(config, keys.sphinx, false, START_UNIX, rng));
    std::filesystem::remove_all(dir);
}

TEST_F(ReplayStateTest, AfterACrashTheKeysWhoseFiltersMayBeIncompleteAreRotatedAway) {
    std::random_device rd;
    const auto dir = std::filesystem::temp_directory_path() / ("nym-replay-crash-" + std::to_string(rd()));
    config.replay_state_file = dir / "replay_state.bin";
    const auto first = initial_state();
    const auto first_key = first.keys.current.public_key();
    ASSERT_TRUE(save_replay_state(config.replay_state_file,
                                  encode_replay_state(first.keys, config.replay_epoch, nullptr,
                                                      first.filter->parameters())));
    auto clean = open_replay_state(config, keys.sphinx, false, START_UNIX, rng);
    ASSERT_TRUE(clean);
    EXPECT_FALSE(clean->recovered);
    EXPECT_EQ(clean->keys.current.public_key(), first_key);
    EXPECT_TRUE(std::filesystem::exists(running_marker(config.replay_state_file))) << "running from now on";

    // The node is killed: the marker stays. Whatever it forwarded since the last save is not in the
    // saved filter, so the next start must not accept the keys those packets were built for.
    auto crashed = open_replay_state(config, keys.sphinx, false, START_UNIX + 10, rng);
    ASSERT_TRUE(crashed);
    EXPECT_TRUE(crashed->recovered);
    EXPECT_FALSE(crashed->keys.current.public_key() == first_key);
    ASSERT_TRUE(crashed->keys.previous);
    EXPECT_FALSE(crashed->keys.previous->public_key() == first_key);
    auto node = start(std::move(*crashed));
    EXPECT_EQ(dropped(node->unwrap(packet(first_key), T0)), DropReason::bad_mac);
    EXPECT_FALSE(dropped(node->unwrap(packet(node->keys()->current.public_key()), T0)));
    std::filesystem::remove_all(dir);
}

TEST_F(ReplayStateTest, TheHeartbeatAnnouncesTheNextKeySigned) {
    auto node = start(initial_state());
    auto h = node->heartbeat("127.0.0.1:2000", 1'700'000'000'000);
    EXPECT_EQ(h.sphinx_key, keys.sphinx_public);
    ASSERT_TRUE(h.next_sphinx_key);
    EXPECT_EQ(*h.next_sphinx_key, node->keys()->next.public_key());
    EXPECT_EQ(h.next_sphinx_key_from_ms, (START_UNIX + 3600) * 1000);
    EXPECT_TRUE(wire::directory::verify(h));
    auto parsed = wire::directory::parse_mixnode_heartbeat(wire::directory::to_json(h));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, h);
    EXPECT_TRUE(wire::directory::verify(*parsed));
    auto tampered = h;
    tampered.next_sphinx_key = keys.sphinx_public;
    EXPECT_FALSE(wire::directory::verify(tampered)) << "the next key is covered by the signature";

    // A heartbeat without the optional fields (an older node) parses and verifies as before.
    auto old = h;
    old.next_sphinx_key.reset();
    old.next_sphinx_key_from_ms.reset();
    wire::directory::sign(old, keys.identity, keys.sphinx);
    const auto json = wire::directory::to_json(old);
    EXPECT_EQ(json.find("nextSphinxKey"), std::string::npos);
    auto old_parsed = wire::directory::parse_mixnode_heartbeat(json);
    ASSERT_TRUE(old_parsed);
    EXPECT_FALSE(old_parsed->next_sphinx_key);
    EXPECT_TRUE(wire::directory::verify(*old_parsed));
}

} // namespace
} // namespace nym::mixnode
