#include <crypto/keccak.hpp>
#include <util/hex.hpp>

#include <algorithm>
#include <ethereum/abi.hpp>
#include <ethereum/errors.hpp>

namespace nym::ethereum {

Selector function_selector(std::string_view signature) {
    const auto digest = crypto::keccak256(util::as_bytes(signature));
    Selector out{};
    std::copy_n(digest.begin(), out.size(), out.begin());
    return out;
}

Hash event_topic(std::string_view signature) {
    return crypto::keccak256(util::as_bytes(signature));
}

const Hash& transfer_event_topic() {
    static const Hash topic = event_topic(ERC20_TRANSFER_EVENT);
    return topic;
}

Hash address_word(const Address& address) {
    Hash word{};
    std::copy(address.bytes.begin(), address.bytes.end(), word.begin() + 12);
    return word;
}

Expected<Address> word_address(std::span<const std::uint8_t, 32> word) {
    if (std::any_of(word.begin(), word.begin() + 12, [](std::uint8_t b) { return b != 0; })) {
        return Unexpected(make_error_code(Errc::invalid_abi));
    }
    Address out;
    std::copy(word.begin() + 12, word.end(), out.bytes.begin());
    return out;
}

namespace {

std::vector<std::uint8_t> call(std::string_view signature, std::initializer_list<Hash> words) {
    const auto selector = function_selector(signature);
    std::vector<std::uint8_t> out(selector.begin(), selector.end());
    for (const auto& w : words) out.insert(out.end(), w.begin(), w.end());
    return out;
}

} // namespace

std::vector<std::uint8_t> encode_transfer(const Address& to, const U256& amount) {
    return call(ERC20_TRANSFER, {address_word(to), amount.to_be_bytes()});
}

std::vector<std::uint8_t> encode_balance_of(const Address& owner) {
    return call(ERC20_BALANCE_OF, {address_word(owner)});
}

Expected<U256> decode_uint256(std::span<const std::uint8_t> data) {
    if (data.size() != 32) return Unexpected(make_error_code(Errc::invalid_abi));
    return U256::from_be_bytes(data.first<32>());
}

Expected<TransferEvent> decode_transfer_event(std::span<const Hash> topics, std::span<const std::uint8_t> data) {
    if (topics.size() != 3 || topics[0] != transfer_event_topic() || data.size() != 32) {
        return Unexpected(make_error_code(Errc::invalid_abi));
    }
    auto from = word_address(topics[1]);
    auto to = word_address(topics[2]);
    if (!from || !to) return Unexpected(make_error_code(Errc::invalid_abi));
    return TransferEvent{*from, *to, U256::from_be_bytes(data.first<32>())};
}

} // namespace nym::ethereum
