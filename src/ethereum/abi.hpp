#pragma once
// The few pieces of the Solidity ABI the pipe needs: calls of an ERC20's transfer(address,uint256)
// and balanceOf(address), and its Transfer(address indexed from, address indexed to, uint256 value)
// event. A call is the 4-byte selector (the first bytes of Keccak-256 of the signature) followed by
// 32-byte words; an address is a word with 12 zero bytes first.

#include <crypto/secp256k1.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <ethereum/u256.hpp>
#include <span>
#include <string_view>
#include <vector>

namespace nym::ethereum {

using Address = crypto::EthereumAddress;
using Hash = std::array<std::uint8_t, 32>;
using Selector = std::array<std::uint8_t, 4>;

/// Keccak-256(signature)[0..4], e.g. "transfer(address,uint256)" -> a9059cbb.
[[nodiscard]] Selector function_selector(std::string_view signature);
/// Keccak-256(signature), e.g. "Transfer(address,address,uint256)" -> ddf252ad...
[[nodiscard]] Hash event_topic(std::string_view signature);

inline constexpr std::string_view ERC20_TRANSFER = "transfer(address,uint256)";
inline constexpr std::string_view ERC20_BALANCE_OF = "balanceOf(address)";
inline constexpr std::string_view ERC20_TRANSFER_EVENT = "Transfer(address,address,uint256)";
/// Keccak-256("Transfer(address,address,uint256)").
[[nodiscard]] const Hash& transfer_event_topic();

/// The 32-byte word of an address (12 zero bytes, then the address).
[[nodiscard]] Hash address_word(const Address& address);
/// The address in a word; Errc::invalid_abi when its first 12 bytes are not zero.
[[nodiscard]] Expected<Address> word_address(std::span<const std::uint8_t, 32> word);

/// transfer(to, amount) call data (68 bytes).
[[nodiscard]] std::vector<std::uint8_t> encode_transfer(const Address& to, const U256& amount);
/// balanceOf(owner) call data (36 bytes).
[[nodiscard]] std::vector<std::uint8_t> encode_balance_of(const Address& owner);
/// A function's single uint256 result: exactly 32 bytes (Errc::invalid_abi otherwise).
[[nodiscard]] Expected<U256> decode_uint256(std::span<const std::uint8_t> data);

/// An ERC20 Transfer event as it appears in a log.
struct TransferEvent {
    Address from;
    Address to;
    U256 value;
};
/// Decodes a log's topics and data as Transfer: exactly three topics, the first the event's topic,
/// two address words, 32 bytes of data. Errc::invalid_abi otherwise (an ERC721 Transfer has the
/// value as a fourth topic and no data, so it is refused here).
[[nodiscard]] Expected<TransferEvent> decode_transfer_event(std::span<const Hash> topics,
                                                            std::span<const std::uint8_t> data);

} // namespace nym::ethereum
