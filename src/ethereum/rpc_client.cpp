#include <runtime/http_client.hpp>

#include <ethereum/rpc_client.hpp>

namespace nym::ethereum {

struct RpcClient::Impl {
    Impl(runtime::Loop& loop, runtime::Url u, std::chrono::milliseconds timeout)
        : url(std::move(u)), http(loop, runtime::ClientOptions{timeout, 64 * 1024 * 1024, {}}) {}
    runtime::Url url;
    runtime::HttpClient http;
    std::uint64_t next_id = 1;
};

RpcClient::RpcClient(runtime::Loop& loop, runtime::Url url, std::chrono::milliseconds timeout)
    : m_impl(std::make_unique<Impl>(loop, std::move(url), timeout)) {}
RpcClient::~RpcClient() = default;

const runtime::Url& RpcClient::url() const noexcept {
    return m_impl->url;
}

void RpcClient::send(const RpcRequest& request, Done<std::string> done) {
    runtime::HttpCall call;
    call.host = m_impl->url.host;
    call.port = m_impl->url.port;
    call.tls = m_impl->url.tls();
    call.method = "POST";
    call.target = m_impl->url.target.empty() ? "/" : m_impl->url.target;
    call.body = encode_request(request, m_impl->next_id++);
    m_impl->http.request(std::move(call), [done = std::move(done), method = request.method](auto result) {
        if (!result) {
            done(Unexpected(Failure(Errc::network, method + ": " + result.error().message())));
            return;
        }
        if (result->status != 200) {
            done(Unexpected(Failure(Errc::http_error, method + ": HTTP " + std::to_string(result->status))));
            return;
        }
        done(std::move(result->body));
    });
}

namespace {

template <class T, class Parse>
void typed(RpcClient& client, const RpcRequest& request, Parse parse, RpcClient::Done<T> done) {
    client.send(request, [parse, done = std::move(done)](RpcResult<std::string> body) {
        if (!body) {
            done(Unexpected(body.error()));
            return;
        }
        done(parse(*body));
    });
}

} // namespace

void RpcClient::chain_id(Done<std::uint64_t> done) {
    typed(*this, rpc::chain_id(), parse_u64_response, std::move(done));
}
void RpcClient::block_number(Done<std::uint64_t> done) {
    typed(*this, rpc::block_number(), parse_u64_response, std::move(done));
}
void RpcClient::block(BlockRef block, Done<std::optional<BlockHeader>> done) {
    typed(*this, rpc::get_block_by_number(block), parse_block_response, std::move(done));
}
void RpcClient::logs(const LogFilter& filter, Done<std::vector<Log>> done) {
    typed(*this, rpc::get_logs(filter), parse_logs_response, std::move(done));
}
void RpcClient::receipt(const Hash& tx_hash, Done<std::optional<Receipt>> done) {
    typed(*this, rpc::get_transaction_receipt(tx_hash), parse_receipt_response, std::move(done));
}
void RpcClient::send_raw_transaction(ByteSpan raw, Done<Hash> done) {
    typed(*this, rpc::send_raw_transaction(raw), parse_hash_response, std::move(done));
}
void RpcClient::transaction_count(const Address& account, BlockRef block, Done<std::uint64_t> done) {
    typed(*this, rpc::get_transaction_count(account, block), parse_u64_response, std::move(done));
}
void RpcClient::balance(const Address& account, Done<U256> done) {
    typed(*this, rpc::get_balance(account, BlockTag::latest), parse_quantity_response, std::move(done));
}
void RpcClient::gas_price(Done<U256> done) {
    typed(*this, rpc::gas_price(), parse_quantity_response, std::move(done));
}
void RpcClient::max_priority_fee_per_gas(Done<U256> done) {
    typed(*this, rpc::max_priority_fee_per_gas(), parse_quantity_response, std::move(done));
}
void RpcClient::call(const Address& to, ByteSpan data, Done<Bytes> done) {
    typed(*this, rpc::call(to, data, BlockTag::latest), parse_data_response, std::move(done));
}
void RpcClient::estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value, ByteSpan data,
                             Done<std::uint64_t> done) {
    typed(*this, rpc::estimate_gas(from, to, value, data), parse_u64_response, std::move(done));
}
void RpcClient::accounts(Done<std::vector<Address>> done) {
    typed(*this, rpc::accounts(), parse_addresses_response, std::move(done));
}
void RpcClient::send_transaction(const Address& from, const std::optional<Address>& to, const U256& value,
                                 ByteSpan data, Done<Hash> done) {
    typed(*this, rpc::send_transaction(from, to, value, data), parse_hash_response, std::move(done));
}

} // namespace nym::ethereum
