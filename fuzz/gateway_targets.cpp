// Gateway fuzz target: the client protocol parsers and the session state machine. Whatever the bytes,
// parsing returns a message or a typed nym.wire.gateway error, a parsed message re-serializes to the
// same bytes, and the session answers with well-formed frames and never crashes.
//
// Input layout for the session part: byte 0 selects the start (bit 0: a valid authentication of the
// pre-registered client is fed first, so the fuzzer reaches the authenticated state, and its frames
// are then sealed with the session MAC unless bit 1 is set); the rest is a sequence of frames, each
// u16 big-endian length ‖ bytes. The whole input is also parsed as one frame.

#include "fuzz.hpp"

#include <gateway/client_session.hpp>
#include <wire/gateway_protocol.hpp>

#include <crypto/rng.hpp>
#include <sphinx/node_address.hpp>
#include <sphinx/packet_size.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <vector>

namespace {

using namespace nym;
namespace wg = wire::gateway;

void require(bool condition) {
    if (!condition) std::abort();
}

constexpr std::int64_t NOW = 1'700'000'000;

struct Fixture {
    crypto::Ed25519SecretKey gateway;
    crypto::Ed25519SecretKey client;
    wg::SharedKey key;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        crypto::DeterministicRng rng(0x6a7e);
        Fixture x;
        x.gateway = crypto::Ed25519SecretKey::generate(rng);
        x.client = crypto::Ed25519SecretKey::generate(rng);
        x.key.mutable_bytes()[0] = 0x42;
        return x;
    }();
    return f;
}

class OneClientRegistry final : public gateway::ClientRegistry {
public:
    Expected<std::optional<gateway::RegisteredClient>> find_client(const gateway::ClientAddress& address) override {
        if (address != fixture().client.public_key()) return std::optional<gateway::RegisteredClient>{};
        return std::optional<gateway::RegisteredClient>{
            gateway::RegisteredClient{address, fixture().key, gateway::UnixSeconds(std::chrono::seconds(NOW - 1000))}};
    }
};

/// The gateway only ever sends well-formed frames (after the handshake, under the session MAC).
void check_reply(const wg::Bytes& bytes, std::optional<wg::SessionChannel>& channel) {
    wg::Bytes frame = bytes;
    if (channel) {
        auto opened = channel->open(bytes);
        require(opened.has_value());
        frame = std::move(*opened);
    }
    auto parsed = wg::parse_message(frame);
    require(parsed.has_value());
    require(wg::serialize(*parsed) == frame);
}

} // namespace

NYM_FUZZ_TARGET(gateway_protocol) {
    // 1. The whole input as one frame.
    auto parsed = wg::parse_message(input);
    if (parsed) {
        const wg::Bytes again = wg::serialize(*parsed);
        require(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
    } else {
        require(&parsed.error().category() == &wg::gateway_protocol_category());
    }

    // 2. The input as a conversation with a session.
    if (input.empty()) return;
    const Fixture& f = fixture();
    OneClientRegistry registry;
    gateway::NonceCache nonces(64);
    crypto::DeterministicRng rng(1);
    gateway::ClientSession session(f.gateway, registry, nonces, rng);
    const gateway::UnixSeconds now{std::chrono::seconds(NOW)};
    // After an authentication the fuzzer's frames are sealed as the client would seal them, so it
    // reaches the message parser behind the session MAC (the MAC check itself is the first frame's).
    std::optional<wg::SessionChannel> channel;
    if ((input[0] & 1) != 0) {
        std::array<std::uint8_t, wg::AUTH_NONCE_SIZE> nonce{};
        const auto auth = wg::make_authenticate_request(f.key, f.gateway.public_key(), f.client.public_key(),
                                                        static_cast<std::uint64_t>(NOW), nonce);
        const auto out = session.on_frame(wg::serialize(wg::Message{auth}), now);
        require(!out.close.has_value() && session.state() == gateway::ClientSession::State::authenticated);
        channel.emplace(wg::Side::client, f.key, wg::authentication_session_transcript(auth));
    }
    std::size_t pos = 1;
    std::uint64_t delivered = 0;
    while (pos + 2 <= input.size()) {
        const std::size_t length = (std::size_t{input[pos]} << 8) | input[pos + 1];
        pos += 2;
        const std::size_t take = std::min(length, input.size() - pos);
        const auto piece = input.subspan(pos, take);
        const bool seal = channel && (input[0] & 2) == 0; // bit 1 set: send the frames unsealed
        const auto out = session.on_frame(seal ? channel->seal(piece) : wg::Bytes(piece.begin(), piece.end()), now);
        pos += take;
        for (const auto& reply : out.replies) check_reply(reply, channel);
        if (out.close) require(session.state() == gateway::ClientSession::State::closed);
        for (const auto& action : out.actions) {
            if (const auto* fwd = std::get_if<gateway::ForwardPacket>(&action))
                require(sphinx::packet_size_from_length(fwd->packet.size()).has_value()); // first hop parsed by now
            if (std::holds_alternative<gateway::StoreSharedKey>(action) ||
                std::holds_alternative<gateway::DeleteMessages>(action))
                require(session.client().has_value());
        }
        if (session.state() == gateway::ClientSession::State::authenticated) {
            const std::uint8_t payload[3] = {1, 2, 3};
            auto d = session.deliver(delivered++, payload);
            require(d.has_value());
            check_reply(*d, channel);
        }
    }
}
