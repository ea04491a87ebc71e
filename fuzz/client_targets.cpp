// Client fuzz target: parse_address on the whole input, then a fresh ClientCore fed a sequence of
// deliveries. Whatever the bytes, nothing crashes, every event is well-formed and an address that
// parses prints back to itself.
//
// Input layout after the address pass: chunks of  mode (1) ‖ length (u16 BE) ‖ bytes.  mode & 3:
//   0  the bytes are delivered raw (what a hostile gateway could send)
//   1  the bytes, padded or cut to a fragment plaintext, are sealed to the client (forward mode) first,
//      so the fuzzer reaches the fragment parser, reassembly and message decoding
//   2  the same, sealed in reply mode under the key id in the first 32 bytes
//   3  the first 5 bytes are an ack id, sealed as an ack payload; then the core is polled
// mode >> 2 advances the clock by that many seconds (reaching the expiry paths).

#include "fuzz.hpp"

#include <client/core.hpp>
#include <client/packet_format.hpp>
#include <wire/client_api.hpp>
#include <wire/client_api_tcp.hpp>

#include <crypto/rng.hpp>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using namespace nym;
namespace format = client::format;

void require(bool condition) {
    if (!condition) std::abort();
}

struct Fixture {
    crypto::Ed25519SecretKey identity;
    client::Address self;
    format::DerivedKeys derived;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        crypto::DeterministicRng rng(0xc11e);
        Fixture x;
        x.identity = crypto::Ed25519SecretKey::generate(rng);
        x.self = client::Address{x.identity.public_key(), crypto::Ed25519SecretKey::generate(rng).public_key()};
        x.derived = format::DerivedKeys::derive(x.identity);
        return x;
    }();
    return f;
}

void check_address(std::span<const std::uint8_t> input) {
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    auto parsed = client::parse_address(text);
    if (!parsed || !parsed->gateway) return;
    const std::string printed = client::to_string(client::Address{parsed->identity, *parsed->gateway});
    auto again = client::parse_address(printed);
    require(again.has_value() && again->identity == parsed->identity && again->gateway == parsed->gateway);
}

} // namespace

NYM_FUZZ_TARGET(client_delivered) {
    check_address(input);

    const Fixture& f = fixture();
    crypto::DeterministicRng rng(1);
    client::TrafficConfig config;
    config.max_message_size = 1 << 20;
    config.reassembly_timeout = std::chrono::seconds(30);
    const client::TimePoint start{};
    client::TimePoint now = start;
    client::ClientCore core(client::ClientKeys{f.identity, f.identity.public_key()}, f.self, config, rng, now);

    std::size_t pos = 0;
    while (pos + 3 <= input.size()) {
        const std::uint8_t mode = input[pos];
        const std::size_t length = (std::size_t{input[pos + 1]} << 8) | input[pos + 2];
        pos += 3;
        const auto chunk = input.subspan(pos, std::min(length, input.size() - pos));
        pos += chunk.size();
        now += std::chrono::seconds(mode >> 2);

        std::vector<std::uint8_t> delivered;
        switch (mode & 3) {
        case 0: delivered.assign(chunk.begin(), chunk.end()); break;
        case 1:
        case 2: {
            std::vector<std::uint8_t> plaintext(format::FRAGMENT_PLAINTEXT_SIZE, 0);
            std::copy_n(chunk.begin(), std::min(chunk.size(), plaintext.size()), plaintext.begin());
            delivered.resize(format::SEALED_BLOCK_SIZE);
            if ((mode & 3) == 1) {
                require(format::seal_forward(f.derived.e2e_public, plaintext, delivered, rng).has_value());
            } else {
                std::array<std::uint8_t, format::REPLY_KEY_ID_SIZE> key_id{};
                std::copy_n(chunk.begin(), std::min(chunk.size(), key_id.size()), key_id.begin());
                const auto key = format::reply_key_for(f.derived, key_id);
                format::seal_reply(key_id, key.bytes(), plaintext, delivered);
            }
            break;
        }
        default: {
            std::array<std::uint8_t, format::ACK_ID_SIZE> id{};
            std::copy_n(chunk.begin(), std::min(chunk.size(), id.size()), id.begin());
            const auto payload = format::seal_ack(f.derived, format::get_be(id, id.size()), rng);
            delivered.assign(payload.begin(), payload.end());
            break;
        }
        }
        for (const auto& event : core.on_delivered(delivered, now)) {
            if (const auto* m = std::get_if<client::MessageReceived>(&event))
                require(m->data.size() <= config.max_message_size);
            else
                require(false); // nothing was sent, so nothing can be delivered or fail
        }
        if ((mode & 3) == 3) require(core.poll(now).empty()); // no topology: nothing to send
    }
    const client::ClientStats stats = core.stats();
    require(stats.unacknowledged_fragments == 0 && stats.queued_packets == 0);
}

// The application API's request parser (wire::client_api), as the client runs it on every API frame:
// the first byte chooses text (even) or binary (odd) framing. Whatever the bytes, nothing crashes, a
// refusal says why, and a parsed request serializes to a frame that parses to the same request kind.
NYM_FUZZ_TARGET(client_api_request) {
    namespace api = wire::client_api;
    if (input.empty()) return;
    const bool binary = (input[0] & 1) != 0;
    api::Limits limits;
    limits.max_request_size = 64 * 1024;
    limits.max_message_size = 16 * 1024;
    auto request = api::parse_request(input.subspan(1), binary, limits);
    if (!request) {
        require(!request.error().message.empty());
        return;
    }
    for (const auto encoding : {api::Encoding::text, api::Encoding::binary}) {
        const api::Frame frame = api::serialize(*request, encoding);
        auto again = api::parse_request(frame.data, frame.binary, api::Limits{});
        require(again.has_value() && again->index() == request->index());
    }
    // And every response the handler could give to it serializes and parses back.
    const api::Response response = api::ErrorResponse{std::string(input.begin(), input.end())};
    const api::Frame frame = api::serialize(response, binary ? api::Encoding::binary : api::Encoding::text);
    require(api::parse_response(frame.data, frame.binary).has_value());
}

// The TCP socket API's frame reader and request decoder (wire::client_api::tcp), as the client runs
// them on a connection's bytes: the first byte sets the chunk size the stream arrives in. Whatever
// the bytes, nothing crashes, every frame is within the limit, a refusal says why, and a decoded
// request encodes to a frame that decodes to the same kind.
NYM_FUZZ_TARGET(client_tcp_frames) {
    namespace api = wire::client_api;
    if (input.empty()) return;
    const std::size_t chunk = std::size_t{input[0]} + 1;
    const auto stream = input.subspan(1);
    constexpr std::size_t MAX_FRAME = 4096;
    api::tcp::FrameReader reader(MAX_FRAME);
    api::Limits limits;
    limits.max_message_size = 1024;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
        reader.feed(stream.subspan(pos, std::min(chunk, stream.size() - pos)));
        while (true) {
            auto frame = reader.next();
            if (!frame) {
                require(!frame.error().message.empty());
                require(!reader.next()); // refused for good
                return;
            }
            if (!*frame) break;
            require((*frame)->size() <= MAX_FRAME);
            auto request = api::tcp::decode_request(**frame, limits);
            if (!request) {
                require(!request.error().message.empty());
                continue;
            }
            auto again = api::tcp::encode_request(*request);
            require(again.has_value());
            api::tcp::FrameReader echo(MAX_FRAME);
            echo.feed(*again);
            auto body = echo.next();
            require(body.has_value() && body->has_value());
            auto decoded = api::tcp::decode_request(**body, limits);
            require(decoded.has_value() && decoded->index() == request->index());
        }
    }
}
