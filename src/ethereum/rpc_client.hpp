#pragma once
// An Ethereum JSON-RPC client on a runtime::Loop: each call is one HTTP POST (runtime::HttpClient)
// whose answer is parsed by jsonrpc.hpp; callbacks run on the loop's I/O thread. Network failures
// are Errc::network, HTTP statuses other than 200 Errc::http_error.

#include <runtime/http.hpp>
#include <runtime/loop.hpp>

#include <chrono>
#include <ethereum/jsonrpc.hpp>
#include <functional>
#include <memory>
#include <string>

namespace nym::ethereum {

class RpcClient {
public:
    template <class T>
    using Done = std::function<void(RpcResult<T>)>;

    RpcClient(runtime::Loop& loop, runtime::Url url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~RpcClient();
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    /// The raw answer body of one request.
    void send(const RpcRequest& request, Done<std::string> done);

    void chain_id(Done<std::uint64_t> done);
    void block_number(Done<std::uint64_t> done);
    void block(BlockRef block, Done<std::optional<BlockHeader>> done);
    void logs(const LogFilter& filter, Done<std::vector<Log>> done);
    void receipt(const Hash& tx_hash, Done<std::optional<Receipt>> done);
    void send_raw_transaction(ByteSpan raw, Done<Hash> done);
    void transaction_count(const Address& account, BlockRef block, Done<std::uint64_t> done);
    void balance(const Address& account, Done<U256> done);
    void gas_price(Done<U256> done);
    void max_priority_fee_per_gas(Done<U256> done);
    void call(const Address& to, ByteSpan data, Done<Bytes> done);
    void estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value, ByteSpan data,
                      Done<std::uint64_t> done);
    void accounts(Done<std::vector<Address>> done);
    void send_transaction(const Address& from, const std::optional<Address>& to, const U256& value, ByteSpan data,
                          Done<Hash> done);

    [[nodiscard]] const runtime::Url& url() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::ethereum
