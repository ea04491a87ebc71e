#include <nlohmann/json.hpp>

#include <ethereum/abi.hpp>
#include <ethereum/dev_chain.hpp>
#include <ethereum/session.hpp>
#include <node/config_file.hpp>

namespace nym::ethereum {

Expected<TokenArtifact, Failure> read_token_artifact(const std::filesystem::path& path) {
    auto text = node::read_text_file(path, 16 * 1024 * 1024);
    if (!text) return Unexpected(Failure(Errc::invalid_data, text.error().message()));
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("bytecode") || !doc["bytecode"].is_string()) {
        return Unexpected(Failure(Errc::invalid_data, path.string() + ": not a contract artifact"));
    }
    auto code = parse_data_hex(doc["bytecode"].get<std::string>());
    if (!code || code->empty()) return Unexpected(Failure(Errc::invalid_data, path.string() + ": bytecode"));
    TokenArtifact artifact;
    artifact.bytecode = std::move(*code);
    if (doc.contains("compiler") && doc["compiler"].is_string()) artifact.compiler = doc["compiler"].get<std::string>();
    return artifact;
}

Expected<void, Failure> fund_from_developer_account(Session& session, const std::vector<Address>& accounts,
                                                    const U256& wei, std::chrono::milliseconds timeout) {
    auto held = session.accounts();
    if (!held) return Unexpected(held.error());
    if (held->empty())
        return Unexpected(Failure(Errc::rpc_error, "the node holds no account (not a development chain?)"));
    std::vector<Hash> sent;
    for (const auto& account : accounts) {
        auto hash = session.send_transaction(held->front(), account, wei, {});
        if (!hash) return Unexpected(hash.error());
        sent.push_back(*hash);
    }
    for (const auto& hash : sent) {
        auto receipt = session.wait_receipt(hash, timeout);
        if (!receipt) return Unexpected(receipt.error());
        if (!receipt->success) return Unexpected(Failure(Errc::transaction_failed, "funding " + to_data_hex(hash)));
    }
    return {};
}

Expected<Deployment, Failure> deploy_token(Session& session, const crypto::Secp256k1SecretKey& deployer,
                                           const TokenArtifact& artifact, const U256& supply,
                                           std::chrono::milliseconds timeout) {
    Bytes init = artifact.bytecode;
    const auto word = supply.to_be_bytes();
    init.insert(init.end(), word.begin(), word.end());
    auto sent = session.sign_and_send(deployer, std::nullopt, U256(0), std::move(init), 0);
    if (!sent) return Unexpected(sent.error());
    auto receipt = session.wait_receipt(sent->hash, timeout);
    if (!receipt) return Unexpected(receipt.error());
    if (!receipt->success || !receipt->contract_address) {
        return Unexpected(Failure(Errc::transaction_failed, "token creation " + to_data_hex(sent->hash)));
    }
    return Deployment{*receipt->contract_address, receipt->block_number};
}

Expected<Receipt, Failure> transfer_tokens(Session& session, const crypto::Secp256k1SecretKey& key,
                                           const Address& token, const Address& to, const U256& units,
                                           std::chrono::milliseconds timeout) {
    auto sent = session.sign_and_send(key, token, U256(0), encode_transfer(to, units), 0);
    if (!sent) return Unexpected(sent.error());
    auto receipt = session.wait_receipt(sent->hash, timeout);
    if (!receipt) return Unexpected(receipt.error());
    if (!receipt->success) return Unexpected(Failure(Errc::transaction_failed, "transfer " + to_data_hex(sent->hash)));
    return std::move(*receipt);
}

} // namespace nym::ethereum
