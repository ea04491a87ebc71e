#pragma once
// Ethereum transactions and their signatures with secp256k1 over Keccak-256.
//
//   legacy, EIP-155:  hash  = Keccak(rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]))
//                     raw   = rlp([nonce, gasPrice, gas, to, value, data, v, r, s]),
//                             v = chainId * 2 + 35 + recovery id
//   EIP-1559 (type 2): hash = Keccak(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
//                                                 gas, to, value, data, accessList]))
//                     raw   = 0x02 || rlp([... the same nine ..., yParity, r, s])
//   transaction hash = Keccak(raw)
//
// `to` absent is a contract creation (RLP empty string). Access lists are always empty here.
// Signatures are deterministic (RFC 6979) with low s, so a transaction and a key give one raw form.

#include <crypto/secp256k1.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <ethereum/abi.hpp>
#include <ethereum/rlp.hpp>
#include <ethereum/u256.hpp>
#include <optional>
#include <variant>

namespace nym::ethereum {

struct LegacyTransaction {
    std::uint64_t chain_id = 1;
    std::uint64_t nonce = 0;
    U256 gas_price;
    std::uint64_t gas_limit = 21000;
    std::optional<Address> to;
    U256 value;
    Bytes data;
    friend bool operator==(const LegacyTransaction&, const LegacyTransaction&) = default;
};

struct Eip1559Transaction {
    std::uint64_t chain_id = 1;
    std::uint64_t nonce = 0;
    U256 max_priority_fee_per_gas;
    U256 max_fee_per_gas;
    std::uint64_t gas_limit = 21000;
    std::optional<Address> to;
    U256 value;
    Bytes data;
    friend bool operator==(const Eip1559Transaction&, const Eip1559Transaction&) = default;
};

using Transaction = std::variant<LegacyTransaction, Eip1559Transaction>;

/// The bytes whose Keccak-256 is signed (the RLP above, with the type byte for EIP-1559).
[[nodiscard]] Bytes signing_payload(const Transaction& tx);
[[nodiscard]] Hash signing_hash(const Transaction& tx);

struct SignedTransaction {
    Bytes raw;   ///< what eth_sendRawTransaction takes
    Hash hash{}; ///< Keccak-256(raw): the transaction's hash on the chain
};

[[nodiscard]] SignedTransaction sign_transaction(const Transaction& tx, const crypto::Secp256k1SecretKey& key);

/// A raw signed transaction taken apart: the fields, and the sender its signature recovers to.
struct DecodedTransaction {
    Transaction tx;
    Address sender;
    Hash hash{};
};
/// Legacy transactions must carry an EIP-155 v (chainId * 2 + 35/36); EIP-1559 ones an empty access
/// list. Errc::invalid_rlp for any other shape, crypto's errors for a signature that recovers no key.
[[nodiscard]] Expected<DecodedTransaction> decode_transaction(ByteSpan raw);

/// The address of the contract created by `sender` with `nonce`: Keccak(rlp([sender, nonce]))[12..].
[[nodiscard]] Address contract_address(const Address& sender, std::uint64_t nonce);

} // namespace nym::ethereum
