#pragma once
// A small chain for the ledger tests: deterministic keys for users, watchers, verifiers and
// providers, a genesis app_state, and real Coconut payloads (blind-sign requests and spends).

#include <coconut/scheme.hpp>
#include <coconut/show.hpp>
#include <crypto/rng.hpp>
#include <crypto/secp256k1.hpp>
#include <ledger/ledger.hpp>
#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nym::ledger::test {

inline constexpr std::string_view CHAIN_ID = "nym-test-chain";

inline crypto::Secp256k1SecretKey key(std::uint8_t tag, std::uint8_t n) {
    std::array<std::uint8_t, 32> raw{};
    raw[0] = tag;
    raw[31] = n;
    return *crypto::Secp256k1SecretKey::from_bytes(raw);
}

inline Bytes as_bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

/// Keys and genesis of the test chain: 4 watchers (threshold 2), 3 verifiers (threshold 2).
struct Chain {
    std::vector<crypto::Secp256k1SecretKey> users;      // users[0..3], balance 1000 each
    std::vector<crypto::Secp256k1SecretKey> watchers;   // 4 registered
    std::vector<crypto::Secp256k1SecretKey> verifiers;  // 3 registered
    std::vector<crypto::Secp256k1SecretKey> providers;  // 4, no balance
    crypto::Secp256k1SecretKey outsider = key(0xee, 1); // registered as nothing
    Address pipe = *Address::from_hex("0x00000000000000000000000000000000000c0ffe");

    Chain() {
        for (std::uint8_t i = 1; i <= 4; ++i) users.push_back(key(0x01, i));
        for (std::uint8_t i = 1; i <= 4; ++i) watchers.push_back(key(0x02, i));
        for (std::uint8_t i = 1; i <= 3; ++i) verifiers.push_back(key(0x03, i));
        for (std::uint8_t i = 1; i <= 4; ++i) providers.push_back(key(0x04, i));
    }

    nlohmann::json genesis_json() const {
        nlohmann::json w = nlohmann::json::array(), v = nlohmann::json::array(), accounts = nlohmann::json::array();
        for (const auto& k : watchers) w.push_back(k.address().to_checksum_hex());
        for (const auto& k : verifiers) v.push_back(k.address().to_hex());
        for (const auto& k : users) accounts.push_back({{"address", k.address().to_hex()}, {"balance", "1000"}});
        return {{"chain_id", CHAIN_ID},
                {"pipe_account", pipe.to_hex()},
                {"watchers", {{"threshold", 2}, {"addresses", w}}},
                {"verifiers", {{"threshold", 2}, {"addresses", v}}},
                {"accounts", accounts}};
    }
    std::string genesis() const { return genesis_json().dump(); }
};

/// A ledger over an in-memory store, with helpers to sign and run blocks.
struct Node {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    std::unique_ptr<Ledger> ledger;

    Node() { ledger = std::move(*Ledger::open(*store)); }
    explicit Node(std::shared_ptr<MemoryStore> s) : store(std::move(s)) { ledger = std::move(*Ledger::open(*store)); }

    Hash32 init(const Chain& chain) {
        const std::string g = chain.genesis();
        auto h = ledger->init_chain(CHAIN_ID, as_bytes(g), 1);
        EXPECT_TRUE(h) << h.error().message();
        return h ? *h : Hash32{};
    }
    /// finalize_block at the next height, then commit.
    BlockResult block(const std::vector<Bytes>& txs) {
        std::vector<ByteSpan> spans(txs.begin(), txs.end());
        const std::uint64_t height = ledger->info().height + 1;
        auto r = ledger->finalize_block(height, spans);
        EXPECT_TRUE(r) << r.error().message();
        auto c = ledger->commit();
        EXPECT_TRUE(c) << c.error().message();
        return r ? *r : BlockResult{};
    }
    std::uint64_t balance(const Address& a) const {
        auto q = ledger->query("/balance", a.bytes);
        EXPECT_EQ(q.code, 0u) << q.log;
        return std::stoull(nlohmann::json::parse(q.value)["balance"].get<std::string>());
    }
    std::uint64_t nonce(const Address& a) const {
        auto q = ledger->query("/account", a.bytes);
        return std::stoull(nlohmann::json::parse(q.value)["nonce"].get<std::string>());
    }
    nlohmann::json zeta(const G1Bytes& z) const {
        auto q = ledger->query("/zeta", z);
        EXPECT_EQ(q.code, 0u) << q.log;
        return nlohmann::json::parse(q.value);
    }
};

inline Bytes signed_tx(const crypto::Secp256k1SecretKey& k, std::uint64_t nonce, TxBody body,
                       std::string_view chain = CHAIN_ID) {
    Tx tx;
    tx.nonce = nonce;
    tx.body = std::move(body);
    return sign_tx(std::move(tx), chain, k).encode();
}

/// Coconut material: one issuer (1-of-1), attributes [serial, secret | value].
struct Coconut {
    crypto::DeterministicRng rng{99};
    coconut::Parameters params = *coconut::Parameters::setup(3);
    std::vector<coconut::KeyPair> keys = *coconut::ttp_keygen(params, 1, 1, rng);

    coconut::BlindSignRequest request(std::uint64_t value, coconut::ElGamalKeyPair* elgamal_out = nullptr) {
        auto elgamal = coconut::ElGamalKeyPair::generate(rng);
        std::vector<coconut::Attribute> priv{coconut::generate_serial(rng), coconut::Scalar::random(rng)};
        std::vector<coconut::Attribute> pub{coconut::Scalar::from_u64(value)};
        auto r = coconut::prepare_blind_sign(params, elgamal, priv, pub, rng);
        EXPECT_TRUE(r);
        if (elgamal_out) *elgamal_out = elgamal;
        return *r;
    }

    /// A fresh credential of `value`, spent at `provider`.
    coconut::SpendTheta spend(std::uint64_t value, const Address& provider) {
        auto elgamal = coconut::ElGamalKeyPair::generate(rng);
        std::vector<coconut::Attribute> priv{coconut::generate_serial(rng), coconut::Scalar::random(rng)};
        std::vector<coconut::Attribute> pub{coconut::Scalar::from_u64(value)};
        auto req = *coconut::prepare_blind_sign(params, elgamal, priv, pub, rng);
        auto blinded = *coconut::blind_sign(params, keys[0].secret, req);
        std::vector<coconut::Attribute> all = priv;
        all.insert(all.end(), pub.begin(), pub.end());
        auto sig = *coconut::unblind(params, blinded, elgamal, req.commitment_hash(), keys[0].verification, all);
        std::array<std::uint8_t, coconut::SPEND_NONCE_SIZE> nonce{};
        rng.fill(nonce);
        const std::size_t disclosed[] = {2};
        auto spend =
            coconut::prove_spend(params, keys[0].verification, sig, all, disclosed, provider.bytes, nonce, rng);
        EXPECT_TRUE(spend);
        return *spend;
    }
};

} // namespace nym::ledger::test
