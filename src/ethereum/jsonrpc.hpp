#pragma once
// Ethereum's JSON-RPC API (execution-apis): the requests the pipe sends and typed views of the
// answers, without I/O. A request is a method and its params; encode_request() makes the JSON-RPC
// 2.0 body. Each parse_*_response() takes an HTTP body and returns the typed result, the node's
// JSON-RPC error (Errc::rpc_error with its message), or Errc::malformed_response naming what is
// wrong — a node that answers garbage never yields a value.
//
// Quantities are "0x" + hex without leading zeros; data and hashes "0x" + an even number of hex
// digits; addresses 20 bytes of data (any case is accepted; a mixed-case one must be a valid EIP-55
// checksum).

#include <util/expected.hpp>

#include <cstdint>
#include <ethereum/abi.hpp>
#include <ethereum/errors.hpp>
#include <ethereum/rlp.hpp>
#include <ethereum/u256.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nym::ethereum {

template <class T>
using RpcResult = Expected<T, Failure>;

enum class BlockTag { latest, pending, earliest, safe, finalized };
/// A block number or a tag.
using BlockRef = std::variant<std::uint64_t, BlockTag>;

struct RpcRequest {
    std::string method;
    std::string params; ///< a JSON array
};
/// {"jsonrpc":"2.0","id":id,"method":...,"params":...}
[[nodiscard]] std::string encode_request(const RpcRequest& request, std::uint64_t id);

/// eth_getLogs' filter: an inclusive block range, contract addresses (any of), and topics by
/// position (nullopt matches anything).
struct LogFilter {
    std::uint64_t from_block = 0;
    std::uint64_t to_block = 0;
    std::vector<Address> addresses;
    std::vector<std::optional<Hash>> topics;
};

namespace rpc {
[[nodiscard]] RpcRequest chain_id();
[[nodiscard]] RpcRequest block_number();
[[nodiscard]] RpcRequest get_block_by_number(BlockRef block);
[[nodiscard]] RpcRequest get_logs(const LogFilter& filter);
[[nodiscard]] RpcRequest get_transaction_receipt(const Hash& tx_hash);
[[nodiscard]] RpcRequest send_raw_transaction(ByteSpan raw);
[[nodiscard]] RpcRequest get_transaction_count(const Address& account, BlockRef block);
[[nodiscard]] RpcRequest get_balance(const Address& account, BlockRef block);
[[nodiscard]] RpcRequest gas_price();
[[nodiscard]] RpcRequest max_priority_fee_per_gas();
/// eth_feeHistory over `block_count` blocks ending at `newest`, with reward percentiles.
[[nodiscard]] RpcRequest fee_history(std::uint64_t block_count, BlockRef newest,
                                     const std::vector<double>& percentiles);
[[nodiscard]] RpcRequest call(const Address& to, ByteSpan data, BlockRef block);
[[nodiscard]] RpcRequest estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value,
                                      ByteSpan data);
/// The accounts the node holds keys for (on a development chain: its funded developer account).
[[nodiscard]] RpcRequest accounts();
/// A transaction the node signs with one of its own accounts (development chains only).
[[nodiscard]] RpcRequest send_transaction(const Address& from, const std::optional<Address>& to, const U256& value,
                                          ByteSpan data);
} // namespace rpc

struct BlockHeader {
    std::uint64_t number = 0;
    Hash hash{};
    Hash parent_hash{};
    std::uint64_t timestamp = 0;          ///< seconds since the epoch
    std::optional<U256> base_fee_per_gas; ///< absent before London (EIP-1559)
};

struct Log {
    Address address;
    std::vector<Hash> topics;
    Bytes data;
    std::uint64_t block_number = 0;
    Hash block_hash{};
    Hash transaction_hash{};
    std::uint64_t log_index = 0;
    bool removed = false;
};

struct Receipt {
    Hash transaction_hash{};
    std::uint64_t block_number = 0;
    Hash block_hash{};
    bool success = false; ///< status 0x1
    std::uint64_t gas_used = 0;
    std::optional<Address> contract_address;
    std::vector<Log> logs;
};

struct FeeHistory {
    std::uint64_t oldest_block = 0;
    std::vector<U256> base_fee_per_gas; ///< one more than the blocks: the next block's base fee last
    std::vector<std::vector<U256>> reward;
};

[[nodiscard]] RpcResult<U256> parse_quantity_response(std::string_view body);
/// A quantity that must fit 64 bits (block numbers, nonces, chain ids).
[[nodiscard]] RpcResult<std::uint64_t> parse_u64_response(std::string_view body);
/// nullopt when the node has no such block (result null).
[[nodiscard]] RpcResult<std::optional<BlockHeader>> parse_block_response(std::string_view body);
[[nodiscard]] RpcResult<std::vector<Log>> parse_logs_response(std::string_view body);
/// nullopt while the transaction is not mined (result null).
[[nodiscard]] RpcResult<std::optional<Receipt>> parse_receipt_response(std::string_view body);
[[nodiscard]] RpcResult<Hash> parse_hash_response(std::string_view body);
[[nodiscard]] RpcResult<Bytes> parse_data_response(std::string_view body);
[[nodiscard]] RpcResult<std::vector<Address>> parse_addresses_response(std::string_view body);
[[nodiscard]] RpcResult<FeeHistory> parse_fee_history_response(std::string_view body);

/// "0x" + lowercase hex.
[[nodiscard]] std::string to_data_hex(ByteSpan bytes);
[[nodiscard]] Expected<Bytes> parse_data_hex(std::string_view text);
[[nodiscard]] Expected<Hash> parse_hash_hex(std::string_view text);
[[nodiscard]] Expected<Address> parse_address_hex(std::string_view text);
/// "0x1a" for numbers, "latest"/"pending"/... for tags.
[[nodiscard]] std::string block_ref_text(BlockRef block);

} // namespace nym::ethereum
