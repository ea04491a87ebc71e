#include <runtime/loop.hpp>

#include <ethereum/abi.hpp>
#include <ethereum/rpc_client.hpp>
#include <ethereum/session.hpp>
#include <future>
#include <map>
#include <thread>

namespace nym::ethereum {

struct Session::Impl {
    Impl(runtime::Url url, std::chrono::milliseconds timeout)
        : loop(runtime::LoopOptions{1, false, std::chrono::milliseconds(1000)}), rpc(loop, std::move(url), timeout),
          call_timeout(timeout) {
        thread = std::thread([this] { loop.run(); });
    }
    ~Impl() {
        loop.stop();
        if (thread.joinable()) thread.join();
    }
    runtime::Loop loop;
    RpcClient rpc;
    std::chrono::milliseconds call_timeout;
    std::map<std::string, std::unique_ptr<node::CometBftClient>> comet; // by endpoint list, used on the loop only
    std::thread thread;
};

Session::Session(runtime::Url url, std::chrono::milliseconds call_timeout)
    : m_impl(std::make_unique<Impl>(std::move(url), call_timeout)) {}
Session::~Session() = default;

void Session::run_on_loop(std::function<void()> task) {
    m_impl->loop.post(std::move(task));
}
RpcClient& Session::client() {
    return m_impl->rpc;
}

template <class T>
RpcResult<T> Session::await(std::function<void(RpcClient&, std::function<void(RpcResult<T>)>)> start) {
    auto promise = std::make_shared<std::promise<RpcResult<T>>>();
    auto future = promise->get_future();
    run_on_loop([this, start = std::move(start), promise] {
        start(client(), [promise](RpcResult<T> result) { promise->set_value(std::move(result)); });
    });
    // The HTTP client's own deadline answers every call; this bound only guards a stopped loop.
    if (future.wait_for(m_impl->call_timeout + std::chrono::seconds(5)) != std::future_status::ready) {
        return Unexpected(Failure(Errc::network, "no answer from the session's loop"));
    }
    return future.get();
}

RpcResult<std::uint64_t> Session::chain_id() {
    return await<std::uint64_t>([](RpcClient& c, auto done) { c.chain_id(std::move(done)); });
}
RpcResult<std::uint64_t> Session::block_number() {
    return await<std::uint64_t>([](RpcClient& c, auto done) { c.block_number(std::move(done)); });
}
RpcResult<std::optional<BlockHeader>> Session::block(BlockRef block) {
    return await<std::optional<BlockHeader>>([block](RpcClient& c, auto done) { c.block(block, std::move(done)); });
}
RpcResult<std::optional<Receipt>> Session::receipt(const Hash& tx_hash) {
    return await<std::optional<Receipt>>([tx_hash](RpcClient& c, auto done) { c.receipt(tx_hash, std::move(done)); });
}
RpcResult<std::uint64_t> Session::transaction_count(const Address& account, BlockRef block) {
    return await<std::uint64_t>(
        [account, block](RpcClient& c, auto done) { c.transaction_count(account, block, std::move(done)); });
}
RpcResult<U256> Session::balance(const Address& account) {
    return await<U256>([account](RpcClient& c, auto done) { c.balance(account, std::move(done)); });
}
RpcResult<Bytes> Session::call(const Address& to, ByteSpan data) {
    Bytes copy(data.begin(), data.end());
    return await<Bytes>([to, copy](RpcClient& c, auto done) { c.call(to, copy, std::move(done)); });
}
RpcResult<std::vector<Address>> Session::accounts() {
    return await<std::vector<Address>>([](RpcClient& c, auto done) { c.accounts(std::move(done)); });
}
RpcResult<Hash> Session::send_raw_transaction(ByteSpan raw) {
    Bytes copy(raw.begin(), raw.end());
    return await<Hash>([copy](RpcClient& c, auto done) { c.send_raw_transaction(copy, std::move(done)); });
}
RpcResult<std::uint64_t> Session::estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value,
                                               ByteSpan data) {
    Bytes copy(data.begin(), data.end());
    return await<std::uint64_t>(
        [from, to, value, copy](RpcClient& c, auto done) { c.estimate_gas(from, to, value, copy, std::move(done)); });
}

RpcResult<Hash> Session::send_transaction(const Address& from, const std::optional<Address>& to, const U256& value,
                                          ByteSpan data) {
    Bytes copy(data.begin(), data.end());
    return await<Hash>([from, to, value, copy](RpcClient& c, auto done) {
        c.send_transaction(from, to, value, copy, std::move(done));
    });
}

RpcResult<U256> Session::token_balance(const Address& token, const Address& owner) {
    auto data = call(token, encode_balance_of(owner));
    if (!data) return Unexpected(data.error());
    auto value = decode_uint256(*data);
    if (!value) return Unexpected(Failure(Errc::invalid_abi, "balanceOf answered " + to_data_hex(*data)));
    return *value;
}

RpcResult<SignedTransaction> Session::sign_and_send(const crypto::Secp256k1SecretKey& key,
                                                    const std::optional<Address>& to, const U256& value, Bytes data,
                                                    std::uint64_t gas_limit) {
    auto chain = chain_id();
    if (!chain) return Unexpected(chain.error());
    auto nonce = transaction_count(key.address(), BlockTag::pending);
    if (!nonce) return Unexpected(nonce.error());
    if (gas_limit == 0) {
        auto estimate = estimate_gas(key.address(), to, value, data);
        if (!estimate) return Unexpected(estimate.error());
        gas_limit = *estimate + *estimate / 4;
    }
    auto latest = block(BlockTag::latest);
    if (!latest) return Unexpected(latest.error());
    if (!*latest) return Unexpected(Failure(Errc::inconsistent_chain, "no latest block"));
    Transaction tx;
    if ((*latest)->base_fee_per_gas) {
        auto tip = await<U256>([](RpcClient& c, auto done) { c.max_priority_fee_per_gas(std::move(done)); });
        const U256 priority = tip ? *tip : U256(1'000'000'000); // 1 gwei where the node suggests nothing
        const auto doubled = (*(*latest)->base_fee_per_gas).checked_mul(2);
        const auto max_fee = doubled ? doubled->checked_add(priority) : std::nullopt;
        if (!max_fee) return Unexpected(Failure(Errc::overflow, "base fee"));
        Eip1559Transaction t;
        t.chain_id = *chain;
        t.nonce = *nonce;
        t.max_priority_fee_per_gas = priority;
        t.max_fee_per_gas = *max_fee;
        t.gas_limit = gas_limit;
        t.to = to;
        t.value = value;
        t.data = std::move(data);
        tx = std::move(t);
    } else {
        auto price = await<U256>([](RpcClient& c, auto done) { c.gas_price(std::move(done)); });
        if (!price) return Unexpected(price.error());
        LegacyTransaction t;
        t.chain_id = *chain;
        t.nonce = *nonce;
        t.gas_price = *price;
        t.gas_limit = gas_limit;
        t.to = to;
        t.value = value;
        t.data = std::move(data);
        tx = std::move(t);
    }
    auto signed_tx = sign_transaction(tx, key);
    auto hash = send_raw_transaction(signed_tx.raw);
    if (!hash) return Unexpected(hash.error());
    if (*hash != signed_tx.hash) {
        return Unexpected(Failure(Errc::inconsistent_chain, "the node names the transaction " + to_data_hex(*hash) +
                                                                ", its hash is " + to_data_hex(signed_tx.hash)));
    }
    return signed_tx;
}

RpcResult<Receipt> Session::wait_receipt(const Hash& tx_hash, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = receipt(tx_hash);
        if (r && *r) return std::move(**r);
        if (std::chrono::steady_clock::now() >= deadline) {
            return Unexpected(
                Failure(Errc::timed_out, r ? "no receipt for " + to_data_hex(tx_hash) : r.error().message()));
        }
        std::this_thread::sleep_for(poll);
    }
}

RpcResult<std::uint64_t> Session::wait_height(std::uint64_t height, std::chrono::milliseconds timeout,
                                              std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto head = block_number();
        if (head && *head >= height) return *head;
        if (std::chrono::steady_clock::now() >= deadline) {
            return Unexpected(Failure(Errc::timed_out, head ? "block " + std::to_string(height) +
                                                                  " not reached (head " + std::to_string(*head) + ")"
                                                            : head.error().message()));
        }
        std::this_thread::sleep_for(poll);
    }
}

namespace {

std::string key_of(const std::vector<runtime::Url>& validators) {
    std::string key;
    for (const auto& u : validators) key += u.host + ":" + std::to_string(u.port) + ",";
    return key;
}

} // namespace

node::CometResult<node::AbciQueryResult> Session::abci_query(const std::vector<runtime::Url>& validators,
                                                             std::string path, std::vector<std::uint8_t> data) {
    auto promise = std::make_shared<std::promise<node::CometResult<node::AbciQueryResult>>>();
    auto future = promise->get_future();
    run_on_loop([this, validators, path = std::move(path), data = std::move(data), promise] {
        auto& slot = m_impl->comet[key_of(validators)];
        if (!slot) slot = std::make_unique<node::CometBftClient>(m_impl->loop, validators, m_impl->call_timeout);
        slot->abci_query(path, data, [promise](auto result) { promise->set_value(std::move(result)); });
    });
    if (future.wait_for(m_impl->call_timeout + std::chrono::seconds(5)) != std::future_status::ready) {
        return Unexpected(node::CometError{node::CometError::Kind::unreachable, "no answer from the session's loop"});
    }
    return future.get();
}

node::CometResult<node::CometStatus> Session::comet_status(const std::vector<runtime::Url>& validators) {
    auto promise = std::make_shared<std::promise<node::CometResult<node::CometStatus>>>();
    auto future = promise->get_future();
    run_on_loop([this, validators, promise] {
        auto& slot = m_impl->comet[key_of(validators)];
        if (!slot) slot = std::make_unique<node::CometBftClient>(m_impl->loop, validators, m_impl->call_timeout);
        slot->status([promise](auto result) { promise->set_value(std::move(result)); });
    });
    if (future.wait_for(m_impl->call_timeout + std::chrono::seconds(5)) != std::future_status::ready) {
        return Unexpected(node::CometError{node::CometError::Kind::unreachable, "no answer from the session's loop"});
    }
    return future.get();
}

} // namespace nym::ethereum
