#pragma once
// Setting up a development chain for the pipe (the localnet, tests, benchmarks): fund accounts with
// ether from the node's developer account (geth --dev holds one, unlocked), deploy the NymToken
// contract compiled at build time (contracts/NymToken.sol -> <build>/contracts/NymToken.json), and
// hand tokens to client accounts. Blocking, on an ethereum::Session.

#include <crypto/secp256k1.hpp>

#include <chrono>
#include <ethereum/errors.hpp>
#include <ethereum/jsonrpc.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace nym::ethereum {

class Session;

struct TokenArtifact {
    std::string compiler; ///< "solc 0.8.28+commit..."
    Bytes bytecode;       ///< init code; the constructor takes (uint256 initialSupply)
};
[[nodiscard]] Expected<TokenArtifact, Failure> read_token_artifact(const std::filesystem::path& path);

/// Sends `wei` to each account from the node's first account (eth_sendTransaction) and waits for
/// every receipt.
[[nodiscard]] Expected<void, Failure>
fund_from_developer_account(Session& session, const std::vector<Address>& accounts, const U256& wei,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

struct Deployment {
    Address token;
    std::uint64_t block = 0; ///< the block holding the creation (the watchers' start_block)
};
/// Deploys the token with `supply` base units minted to the deployer and waits for the receipt.
[[nodiscard]] Expected<Deployment, Failure> deploy_token(Session& session, const crypto::Secp256k1SecretKey& deployer,
                                                         const TokenArtifact& artifact, const U256& supply,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// ERC20 transfer(to, units) from `key`; waits for the receipt (status must be 1).
[[nodiscard]] Expected<Receipt, Failure> transfer_tokens(Session& session, const crypto::Secp256k1SecretKey& key,
                                                         const Address& token, const Address& to, const U256& units,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

} // namespace nym::ethereum
