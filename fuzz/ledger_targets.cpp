// Ledger and ABCI fuzz targets.
//
//   abci_frames      the frame decoder, fed the input in chunks the input chooses, against a
//                    straightforward reference reading of the same bytes
//   abci_connection  a whole ABCI connection over a fresh ledger: frames, protobuf requests, the
//                    application's dispatch and the ledger's block lifecycle
//   ledger_tx        the transaction decoder; whatever decodes is re-signed by a chain key and run
//                    through check_tx and finalize_block, so the fuzzer reaches every rule

#include <abci/connection.hpp>
#include <abci/framing.hpp>
#include <crypto/secp256k1.hpp>
#include <ledger/ledger.hpp>
#include <ledger/store.hpp>
#include <ledger/tx.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz.hpp"

namespace {

using namespace nym;

void require(bool condition) {
    if (!condition) std::abort();
}

constexpr std::string_view CHAIN_ID = "nym-fuzz";

crypto::Secp256k1SecretKey fuzz_key(std::uint8_t n) {
    std::array<std::uint8_t, 32> raw{};
    raw[0] = 0x5e;
    raw[31] = n;
    return *crypto::Secp256k1SecretKey::from_bytes(raw);
}

/// Keys 1..4 are watchers, 5..7 verifiers, 8..11 funded users; 12 is nobody.
const std::vector<crypto::Secp256k1SecretKey>& keys() {
    static const std::vector<crypto::Secp256k1SecretKey> k = [] {
        std::vector<crypto::Secp256k1SecretKey> v;
        for (std::uint8_t i = 1; i <= 12; ++i) v.push_back(fuzz_key(i));
        return v;
    }();
    return k;
}

std::string genesis() {
    auto list = [](std::size_t from, std::size_t to) {
        std::string s;
        for (std::size_t i = from; i < to; ++i) s += (s.empty() ? "\"" : ",\"") + keys()[i].address().to_hex() + "\"";
        return s;
    };
    std::string accounts;
    for (std::size_t i = 7; i < 11; ++i)
        accounts += (accounts.empty() ? "" : ",") + std::string("{\"address\":\"") + keys()[i].address().to_hex() +
                    "\",\"balance\":\"1000000\"}";
    return std::string("{\"chain_id\":\"") + std::string(CHAIN_ID) +
           "\",\"pipe_account\":\"0x00000000000000000000000000000000000c0ffe\"," +
           "\"watchers\":{\"threshold\":2,\"addresses\":[" + list(0, 4) + "]}," +
           "\"verifiers\":{\"threshold\":2,\"addresses\":[" + list(4, 7) + "]}," + "\"accounts\":[" + accounts + "]}";
}

/// A ledger at height 1 with the genesis above.
struct FreshLedger {
    ledger::MemoryStore store;
    std::unique_ptr<ledger::Ledger> ledger;
    FreshLedger() {
        ledger = std::move(*ledger::Ledger::open(store));
        const std::string g = genesis();
        require(
            ledger->init_chain(CHAIN_ID, {reinterpret_cast<const std::uint8_t*>(g.data()), g.size()}, 1).has_value());
        require(ledger->finalize_block(1, {}).has_value());
        require(ledger->commit().has_value());
    }
};

} // namespace

NYM_FUZZ_TARGET(abci_frames) {
    if (input.empty()) return;
    const std::size_t max_frame = 1 + input[0] * 16u; // small limits reach frame_too_large
    const std::span<const std::uint8_t> stream = input.subspan(1);

    // Reference: read the stream front to back in one go.
    std::vector<std::vector<std::uint8_t>> expected;
    bool expected_error = false;
    for (std::size_t at = 0; at < stream.size();) {
        std::uint64_t len = 0;
        std::size_t i = 0;
        bool complete = false;
        for (; at + i < stream.size() && i < abci::MAX_VARINT_SIZE; ++i) {
            const std::uint8_t b = stream[at + i];
            if (i == abci::MAX_VARINT_SIZE - 1 && b > 1) {
                expected_error = true;
                break;
            }
            len |= std::uint64_t{b & 0x7fu} << (7 * i);
            if (!(b & 0x80)) {
                complete = true;
                break;
            }
        }
        if (expected_error || !complete) break;
        if (len > max_frame) {
            expected_error = true;
            break;
        }
        if (stream.size() - at - (i + 1) < len) break;
        expected.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at + i + 1),
                              stream.begin() + static_cast<std::ptrdiff_t>(at + i + 1 + len));
        at += i + 1 + static_cast<std::size_t>(len);
    }

    // The decoder, fed in chunks of 1..8 bytes chosen by the stream itself.
    abci::FrameDecoder decoder(max_frame);
    std::vector<std::vector<std::uint8_t>> got;
    bool got_error = false;
    for (std::size_t at = 0; at < stream.size() && !got_error;) {
        const std::size_t n = std::min<std::size_t>(stream.size() - at, 1 + stream[at] % 8);
        decoder.feed(stream.subspan(at, n));
        at += n;
        for (;;) {
            auto f = decoder.next();
            if (!f) {
                require(f.error().category() == abci::abci_category());
                got_error = true;
                break;
            }
            if (!*f) break;
            got.emplace_back((*f)->begin(), (*f)->end());
        }
    }
    require(got == expected);
    require(got_error == expected_error);

    // (Frames need not re-encode to their bytes: like Go's binary.ReadUvarint, the decoder accepts
    // non-minimal length prefixes such as 0x80 0x00.)
}

NYM_FUZZ_TARGET(abci_connection) {
    if (input.empty()) return;
    ledger::MemoryStore store;
    auto ledger = std::move(*ledger::Ledger::open(store));
    abci::Application app(*ledger);
    abci::ConnectionOptions options;
    options.max_frame_size = 1 << 20;
    abci::Connection connection(app, options);

    const std::size_t chunk = 1 + input[0];
    std::vector<std::uint8_t> out;
    for (std::size_t at = 1; at < input.size(); at += chunk) {
        const bool was_closed = connection.closed();
        auto bytes = connection.on_bytes(input.subspan(at, std::min(chunk, input.size() - at)));
        if (was_closed) require(bytes.empty());
        out.insert(out.end(), bytes.begin(), bytes.end());
    }
    // Everything written is a sequence of whole Response frames.
    abci::FrameDecoder d;
    d.feed(out);
    for (;;) {
        auto f = d.next();
        require(f.has_value());
        if (!*f) break;
        abci::pb::Response r;
        require(r.ParseFromArray((*f)->data(), static_cast<int>((*f)->size())));
        require(r.value_case() != abci::pb::Response::VALUE_NOT_SET);
    }
    require(d.buffered() == 0);
}

NYM_FUZZ_TARGET(ledger_tx) {
    auto decoded = ledger::SignedTx::decode(input);
    if (!decoded) {
        require(decoded.error().category() == ledger::ledger_category());
        require(decoded.error().value() != 0);
        return;
    }
    const auto again = decoded->encode();
    require(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));

    // Sign the decoded transaction with a chain key picked by r's last byte (and, unless r's
    // second-to-last byte is odd, with the signer's current nonce 0), then run it.
    FreshLedger fresh;
    const auto& key = keys()[decoded->signature.bytes[31] % keys().size()];
    ledger::Tx body = decoded->tx;
    if ((decoded->signature.bytes[30] & 1) == 0) body.nonce = 0;
    const ledger::Bytes tx = ledger::sign_tx(body, CHAIN_ID, key).encode();
    const auto check = fresh.ledger->check_tx(tx);
    auto block = fresh.ledger->finalize_block(2, std::vector<ledger::ByteSpan>{tx, tx});
    require(block.has_value());
    require(block->tx_results.size() == 2);
    // A transaction admitted by the mempool is, alone in a block, accepted too; its replay never is.
    if (check.ok()) require(block->tx_results[0].ok());
    require(!block->tx_results[1].ok());
    require(fresh.ledger->commit().has_value());
}
