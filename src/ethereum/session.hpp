#pragma once
// A blocking Ethereum client for command-line tools and tests (never for daemons, which use
// RpcClient on their own loop): a private runtime::Loop on a thread of its own, RpcClient on it,
// and each call waits for its answer. On top of the calls, what a wallet does: pick the nonce and
// the fees, sign (EIP-1559 where the chain has a base fee, EIP-155 otherwise), send, and wait for
// the receipt or for a block height.

#include <crypto/secp256k1.hpp>
#include <runtime/http.hpp>

#include <chrono>
#include <ethereum/jsonrpc.hpp>
#include <ethereum/transaction.hpp>
#include <functional>
#include <memory>
#include <node/cometbft_client.hpp>
#include <optional>

namespace nym::ethereum {

class RpcClient;

class Session {
public:
    explicit Session(runtime::Url url, std::chrono::milliseconds call_timeout = std::chrono::seconds(10));
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    RpcResult<std::uint64_t> chain_id();
    RpcResult<std::uint64_t> block_number();
    RpcResult<std::optional<BlockHeader>> block(BlockRef block);
    RpcResult<std::optional<Receipt>> receipt(const Hash& tx_hash);
    RpcResult<std::uint64_t> transaction_count(const Address& account, BlockRef block);
    RpcResult<U256> balance(const Address& account);
    RpcResult<Bytes> call(const Address& to, ByteSpan data);
    RpcResult<std::vector<Address>> accounts();
    RpcResult<Hash> send_raw_transaction(ByteSpan raw);
    RpcResult<std::uint64_t> estimate_gas(const Address& from, const std::optional<Address>& to, const U256& value,
                                          ByteSpan data);
    RpcResult<Hash> send_transaction(const Address& from, const std::optional<Address>& to, const U256& value,
                                     ByteSpan data);
    /// An ERC20's balanceOf(owner).
    RpcResult<U256> token_balance(const Address& token, const Address& owner);

    /// Nonce ("pending"), gas (eth_estimateGas + 25 % when `gas_limit` is 0), fees (base fee of the
    /// latest block x 2 + the node's suggested tip, or the gas price on a chain without base fee),
    /// signature, eth_sendRawTransaction. The signed transaction (its hash is checked against the
    /// node's answer).
    RpcResult<SignedTransaction> sign_and_send(const crypto::Secp256k1SecretKey& key, const std::optional<Address>& to,
                                               const U256& value, Bytes data, std::uint64_t gas_limit);
    /// Polls for the receipt every `poll` until `timeout`.
    RpcResult<Receipt> wait_receipt(const Hash& tx_hash, std::chrono::milliseconds timeout,
                                    std::chrono::milliseconds poll = std::chrono::milliseconds(100));
    /// Polls eth_blockNumber until it reaches `height`; the height seen.
    RpcResult<std::uint64_t> wait_height(std::uint64_t height, std::chrono::milliseconds timeout,
                                         std::chrono::milliseconds poll = std::chrono::milliseconds(100));

    /// A CometBFT client on the same loop (for tools that watch both chains).
    node::CometResult<node::AbciQueryResult> abci_query(const std::vector<runtime::Url>& validators, std::string path,
                                                        std::vector<std::uint8_t> data);
    node::CometResult<node::CometStatus> comet_status(const std::vector<runtime::Url>& validators);

private:
    struct Impl;
    /// Runs `start(client, done)` on the session's loop and waits for `done`.
    template <class T>
    RpcResult<T> await(std::function<void(RpcClient&, std::function<void(RpcResult<T>)>)> start);
    void run_on_loop(std::function<void()> task);
    RpcClient& client();
    std::unique_ptr<Impl> m_impl;
};

} // namespace nym::ethereum
