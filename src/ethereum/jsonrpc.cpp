#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ethereum/jsonrpc.hpp>

namespace nym::ethereum {
namespace {

using json = nlohmann::json;

Unexpected<Failure> malformed(std::string what) {
    return Unexpected(Failure(Errc::malformed_response, std::move(what)));
}

/// The "result" member of a JSON-RPC 2.0 answer, or its error.
RpcResult<json> result_of(std::string_view body) {
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return malformed("not a JSON object");
    if (auto error = doc.find("error"); error != doc.end() && !error->is_null()) {
        std::string message = "(no message)";
        if (error->is_object()) {
            if (auto m = error->find("message"); m != error->end() && m->is_string()) message = m->get<std::string>();
            if (auto c = error->find("code"); c != error->end() && c->is_number_integer()) {
                message += " (code " + std::to_string(c->get<std::int64_t>()) + ")";
            }
        }
        return Unexpected(Failure(Errc::rpc_error, message));
    }
    auto version = doc.find("jsonrpc");
    if (version == doc.end() || *version != "2.0") return malformed("not JSON-RPC 2.0");
    auto result = doc.find("result");
    if (result == doc.end()) return malformed("no result");
    return *result;
}

const json* field(const json& obj, const char* name) {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
}

Expected<U256> quantity(const json& v) {
    if (!v.is_string()) return Unexpected(make_error_code(Errc::invalid_quantity));
    return U256::from_quantity(v.get_ref<const std::string&>());
}

Expected<std::uint64_t> quantity_u64(const json& v) {
    auto q = quantity(v);
    if (!q) return Unexpected(q.error());
    if (!q->fits_u64()) return Unexpected(make_error_code(Errc::overflow));
    return q->low_u64();
}

template <class T, class Parse>
RpcResult<T> need(const json& obj, const char* name, Parse parse) {
    const json* v = field(obj, name);
    if (v == nullptr) return malformed(std::string("missing field '") + name + "'");
    auto parsed = parse(*v);
    if (!parsed) return malformed(std::string("field '") + name + "': " + parsed.error().message());
    return T(*parsed);
}

Expected<Hash> hash_value(const json& v) {
    if (!v.is_string()) return Unexpected(make_error_code(Errc::invalid_data));
    return parse_hash_hex(v.get_ref<const std::string&>());
}

Expected<Address> address_value(const json& v) {
    if (!v.is_string()) return Unexpected(make_error_code(Errc::invalid_data));
    return parse_address_hex(v.get_ref<const std::string&>());
}

Expected<Bytes> data_value(const json& v) {
    if (!v.is_string()) return Unexpected(make_error_code(Errc::invalid_data));
    return parse_data_hex(v.get_ref<const std::string&>());
}

RpcResult<Log> parse_log(const json& obj) {
    if (!obj.is_object()) return malformed("a log that is not an object");
    Log log;
    auto address = need<Address>(obj, "address", address_value);
    auto data = need<Bytes>(obj, "data", data_value);
    auto number = need<std::uint64_t>(obj, "blockNumber", quantity_u64);
    auto block_hash = need<Hash>(obj, "blockHash", hash_value);
    auto tx_hash = need<Hash>(obj, "transactionHash", hash_value);
    auto index = need<std::uint64_t>(obj, "logIndex", quantity_u64);
    if (!address) return Unexpected(address.error());
    if (!data) return Unexpected(data.error());
    if (!number) return Unexpected(number.error());
    if (!block_hash) return Unexpected(block_hash.error());
    if (!tx_hash) return Unexpected(tx_hash.error());
    if (!index) return Unexpected(index.error());
    const json* topics = field(obj, "topics");
    if (topics == nullptr || !topics->is_array() || topics->size() > 4) return malformed("field 'topics'");
    for (const auto& t : *topics) {
        auto h = hash_value(t);
        if (!h) return malformed("field 'topics': " + h.error().message());
        log.topics.push_back(*h);
    }
    if (const json* removed = field(obj, "removed"); removed != nullptr) {
        if (!removed->is_boolean()) return malformed("field 'removed'");
        log.removed = removed->get<bool>();
    }
    log.address = *address;
    log.data = std::move(*data);
    log.block_number = *number;
    log.block_hash = *block_hash;
    log.transaction_hash = *tx_hash;
    log.log_index = *index;
    return log;
}

std::string quote(std::string_view s) {
    return json(std::string(s)).dump();
}

RpcRequest make(std::string method, const json& params) {
    return RpcRequest{std::move(method), params.dump()};
}

} // namespace

std::string encode_request(const RpcRequest& request, std::uint64_t id) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":)" + quote(request.method) +
           R"(,"params":)" + (request.params.empty() ? std::string("[]") : request.params) + "}";
}

std::string to_data_hex(ByteSpan bytes) {
    return "0x" + util::to_hex(bytes);
}

Expected<Bytes> parse_data_hex(std::string_view text) {
    if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
        return Unexpected(make_error_code(Errc::invalid_data));
    }
    auto bytes = util::from_hex(text.substr(2));
    if (!bytes) return Unexpected(make_error_code(Errc::invalid_data));
    return std::move(*bytes);
}

Expected<Hash> parse_hash_hex(std::string_view text) {
    auto bytes = parse_data_hex(text);
    if (!bytes || bytes->size() != 32) return Unexpected(make_error_code(Errc::invalid_data));
    Hash out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

Expected<Address> parse_address_hex(std::string_view text) {
    if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
        return Unexpected(make_error_code(Errc::invalid_data));
    }
    auto address = Address::from_hex(text);
    if (!address) return Unexpected(make_error_code(Errc::invalid_data));
    return *address;
}

std::string block_ref_text(BlockRef block) {
    if (const auto* number = std::get_if<std::uint64_t>(&block)) return U256(*number).to_quantity();
    switch (std::get<BlockTag>(block)) {
    case BlockTag::latest:
        return "latest";
    case BlockTag::pending:
        return "pending";
    case BlockTag::earliest:
        return "earliest";
    case BlockTag::safe:
        return "safe";
    case BlockTag::finalized:
        return "finalized";
    }
    return "latest";
}

namespace rpc {

RpcRequest chain_id() {
    return make("eth_chainId", json::array());
}
RpcRequest block_number() {
    return make("eth_blockNumber", json::array());
}
RpcRequest get_block_by_number(BlockRef block) {
    return make("eth_getBlockByNumber", json::array({block_ref_text(block), false}));
}
RpcRequest get_logs(const LogFilter& filter) {
    json f = json::object();
    f["fromBlock"] = U256(filter.from_block).to_quantity();
    f["toBlock"] = U256(filter.to_block).to_quantity();
    if (filter.addresses.size() == 1) {
        f["address"] = filter.addresses[0].to_hex();
    } else if (!filter.addresses.empty()) {
        json a = json::array();
        for (const auto& address : filter.addresses) a.push_back(address.to_hex());
        f["address"] = a;
    }
    json topics = json::array();
    for (const auto& t : filter.topics) topics.push_back(t ? json(to_data_hex(*t)) : json(nullptr));
    f["topics"] = topics;
    return make("eth_getLogs", json::array({f}));
}
RpcRequest get_transaction_receipt(const Hash& tx_hash) {
    return make("eth_getTransactionReceipt", json::array({to_data_hex(tx_hash)}));
}
RpcRequest send_raw_transaction(ByteSpan raw) {
    return make("eth_sendRawTransaction", json::array({to_data_hex(raw)}));
}
RpcRequest get_transaction_count(const Address& account, BlockRef block) {
    return make("eth_getTransactionCount", json::array({account.to_hex(), block_ref_text(block)}));
}
RpcRequest get_balance(const Address& account, BlockRef block) {
    return make("eth_getBalance", json::array({account.to_hex(), block_ref_text(block)}));
}
RpcRequest gas_price() {
    return make("eth_gasPrice", json::array());
}
RpcRequest max_priority_fee_per_gas() {
    return make("eth_maxPriorityFeePerGas", json::array());
}
RpcRequest fee_history(std::uint64_t block_count, BlockRef newest, const std::vector<double>& percentiles) {
    return make("eth_feeHistory",
                json::array({U256(block_count).to_quantity(), block_ref_text(newest), json(percentiles)}));
}
RpcRequest call(const Address& to, ByteSpan data, BlockRef block) {
    return make("eth_call",
                json::array({json{{"to", to.to_hex()}, {"data", to_data_hex(data)}}, block_ref_text(block)}));
}
RpcRequest estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value, ByteSpan data) {
    json tx{{"from", from.to_hex()}, {"value", value.to_quantity()}, {"data", to_data_hex(data)}};
    if (to) tx["to"] = to->to_hex();
    return make("eth_estimateGas", json::array({tx}));
}
RpcRequest accounts() {
    return make("eth_accounts", json::array());
}
RpcRequest send_transaction(const Address& from, const std::optional<Address>& to, const U256& value, ByteSpan data) {
    json tx{{"from", from.to_hex()}, {"value", value.to_quantity()}};
    if (to) tx["to"] = to->to_hex();
    if (!data.empty()) tx["data"] = to_data_hex(data);
    return make("eth_sendTransaction", json::array({tx}));
}

} // namespace rpc

RpcResult<U256> parse_quantity_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    auto q = quantity(*result);
    if (!q) return malformed("result: " + q.error().message());
    return *q;
}

RpcResult<std::uint64_t> parse_u64_response(std::string_view body) {
    auto q = parse_quantity_response(body);
    if (!q) return Unexpected(q.error());
    if (!q->fits_u64()) return malformed("result: beyond 64 bits");
    return q->low_u64();
}

RpcResult<std::optional<BlockHeader>> parse_block_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    if (result->is_null()) return std::optional<BlockHeader>{};
    if (!result->is_object()) return malformed("a block that is not an object");
    auto number = need<std::uint64_t>(*result, "number", quantity_u64);
    auto hash = need<Hash>(*result, "hash", hash_value);
    auto parent = need<Hash>(*result, "parentHash", hash_value);
    auto timestamp = need<std::uint64_t>(*result, "timestamp", quantity_u64);
    if (!number) return Unexpected(number.error());
    if (!hash) return Unexpected(hash.error());
    if (!parent) return Unexpected(parent.error());
    if (!timestamp) return Unexpected(timestamp.error());
    BlockHeader header{*number, *hash, *parent, *timestamp, std::nullopt};
    if (const json* base = field(*result, "baseFeePerGas"); base != nullptr && !base->is_null()) {
        auto fee = quantity(*base);
        if (!fee) return malformed("field 'baseFeePerGas'");
        header.base_fee_per_gas = *fee;
    }
    return std::optional<BlockHeader>{header};
}

RpcResult<std::vector<Log>> parse_logs_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    if (!result->is_array()) return malformed("logs that are not an array");
    std::vector<Log> logs;
    logs.reserve(result->size());
    for (const auto& entry : *result) {
        auto log = parse_log(entry);
        if (!log) return Unexpected(log.error());
        logs.push_back(std::move(*log));
    }
    return logs;
}

RpcResult<std::optional<Receipt>> parse_receipt_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    if (result->is_null()) return std::optional<Receipt>{};
    if (!result->is_object()) return malformed("a receipt that is not an object");
    Receipt receipt;
    auto tx_hash = need<Hash>(*result, "transactionHash", hash_value);
    auto number = need<std::uint64_t>(*result, "blockNumber", quantity_u64);
    auto block_hash = need<Hash>(*result, "blockHash", hash_value);
    auto status = need<std::uint64_t>(*result, "status", quantity_u64);
    auto gas = need<std::uint64_t>(*result, "gasUsed", quantity_u64);
    if (!tx_hash) return Unexpected(tx_hash.error());
    if (!number) return Unexpected(number.error());
    if (!block_hash) return Unexpected(block_hash.error());
    if (!status) return Unexpected(status.error());
    if (!gas) return Unexpected(gas.error());
    if (*status > 1) return malformed("field 'status': not 0x0 or 0x1");
    receipt.transaction_hash = *tx_hash;
    receipt.block_number = *number;
    receipt.block_hash = *block_hash;
    receipt.success = *status == 1;
    receipt.gas_used = *gas;
    if (const json* created = field(*result, "contractAddress"); created != nullptr && !created->is_null()) {
        auto address = address_value(*created);
        if (!address) return malformed("field 'contractAddress'");
        receipt.contract_address = *address;
    }
    const json* logs = field(*result, "logs");
    if (logs == nullptr || !logs->is_array()) return malformed("field 'logs'");
    for (const auto& entry : *logs) {
        auto log = parse_log(entry);
        if (!log) return Unexpected(log.error());
        receipt.logs.push_back(std::move(*log));
    }
    return std::optional<Receipt>{std::move(receipt)};
}

RpcResult<Hash> parse_hash_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    auto h = hash_value(*result);
    if (!h) return malformed("result: not a 32-byte hash");
    return *h;
}

RpcResult<Bytes> parse_data_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    auto d = data_value(*result);
    if (!d) return malformed("result: not hex data");
    return std::move(*d);
}

RpcResult<std::vector<Address>> parse_addresses_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    if (!result->is_array()) return malformed("result: not an array");
    std::vector<Address> out;
    for (const auto& entry : *result) {
        auto a = address_value(entry);
        if (!a) return malformed("result: not an address");
        out.push_back(*a);
    }
    return out;
}

RpcResult<FeeHistory> parse_fee_history_response(std::string_view body) {
    auto result = result_of(body);
    if (!result) return Unexpected(result.error());
    if (!result->is_object()) return malformed("fee history that is not an object");
    FeeHistory history;
    auto oldest = need<std::uint64_t>(*result, "oldestBlock", quantity_u64);
    if (!oldest) return Unexpected(oldest.error());
    history.oldest_block = *oldest;
    const json* base = field(*result, "baseFeePerGas");
    if (base == nullptr || !base->is_array()) return malformed("field 'baseFeePerGas'");
    for (const auto& fee : *base) {
        auto q = quantity(fee);
        if (!q) return malformed("field 'baseFeePerGas'");
        history.base_fee_per_gas.push_back(*q);
    }
    if (const json* reward = field(*result, "reward"); reward != nullptr && !reward->is_null()) {
        if (!reward->is_array()) return malformed("field 'reward'");
        for (const auto& row : *reward) {
            if (!row.is_array()) return malformed("field 'reward'");
            std::vector<U256> values;
            for (const auto& r : row) {
                auto q = quantity(r);
                if (!q) return malformed("field 'reward'");
                values.push_back(*q);
            }
            history.reward.push_back(std::move(values));
        }
    }
    return history;
}

} // namespace nym::ethereum
