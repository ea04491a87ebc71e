#include <ledger/errors.hpp>
#include <ledger/tx.hpp>

#include "ledger_test_support.hpp"

namespace nym::ledger {
namespace {

using test::Chain;
using test::CHAIN_ID;

Errc error_of(const Expected<SignedTx>& r) {
    EXPECT_FALSE(r);
    if (r) return Errc{};
    EXPECT_EQ(r.error().category(), ledger_category());
    return static_cast<Errc>(r.error().value());
}

struct Samples {
    Chain chain;
    test::Coconut coconut;
    std::vector<TxBody> bodies;

    Samples() {
        Hash32 eth{};
        eth.fill(0xab);
        G1Bytes zeta = coconut::G1::generator().to_compressed();
        bodies.push_back(Transfer{chain.users[1].address(), 25});
        bodies.push_back(WatcherNotice{eth, 7, chain.pipe, chain.users[2].address(), 500});
        bodies.push_back(*CredentialRequest::make(5, coconut.request(5)));
        bodies.push_back(CredentialDeposit::make(5, coconut.spend(5, chain.providers[0].address())));
        bodies.push_back(VerifierVote{chain.providers[0].address(), 5, zeta, 12, true});
    }
};

Samples& samples() {
    static Samples s;
    return s;
}

TEST(LedgerTx, EveryTypeRoundTripsAndVerifies) {
    auto& s = samples();
    std::uint64_t nonce = 0;
    for (const auto& body : s.bodies) {
        const Bytes raw = test::signed_tx(s.chain.users[0], nonce++, body);
        auto decoded = SignedTx::decode(raw);
        ASSERT_TRUE(decoded) << decoded.error().message();
        EXPECT_EQ(decoded->encode(), raw);
        EXPECT_EQ(decoded->tx.signer, s.chain.users[0].address());
        EXPECT_EQ(decoded->tx.nonce, nonce - 1);
        EXPECT_EQ(decoded->tx.body.index(), body.index());
        EXPECT_TRUE(verify_tx_signature(*decoded, CHAIN_ID));
        EXPECT_EQ(verify_tx_signature(*decoded, "another-chain").error(), Errc::invalid_signature);
    }
    // The Coconut payloads come back with the names the ledger keys them by.
    auto req = SignedTx::decode(test::signed_tx(s.chain.users[0], 0, s.bodies[2]));
    EXPECT_EQ(std::get<CredentialRequest>(req->tx.body).gamma, std::get<CredentialRequest>(s.bodies[2]).gamma);
    auto dep = SignedTx::decode(test::signed_tx(s.chain.users[0], 0, s.bodies[3]));
    EXPECT_EQ(std::get<CredentialDeposit>(dep->tx.body).zeta, std::get<CredentialDeposit>(s.bodies[3]).zeta);
}

TEST(LedgerTx, EncodingIsTheDocumentedLayout) {
    auto& s = samples();
    Tx tx;
    tx.signer = s.chain.users[0].address();
    tx.nonce = 0x0102030405060708;
    tx.body = Transfer{*Address::from_hex("0x1111111111111111111111111111111111111111"), 0x2a};
    const Bytes u = tx.encode_unsigned();
    ASSERT_EQ(u.size(), 1 + 1 + 20 + 8 + 20 + 8);
    EXPECT_EQ(u[0], TX_VERSION);
    EXPECT_EQ(u[1], 0x01);
    EXPECT_TRUE(std::equal(u.begin() + 2, u.begin() + 22, tx.signer.bytes.begin()));
    EXPECT_EQ(util::to_hex(std::span(u).subspan(22, 8)), "0102030405060708");
    EXPECT_EQ(util::to_hex(std::span(u).subspan(30, 20)), std::string(40, '1'));
    EXPECT_EQ(util::to_hex(std::span(u).subspan(50, 8)), "000000000000002a");

    // digest = Keccak-256(domain || u8 len || chain id || unsigned)
    std::string text(SIGNING_DOMAIN);
    text += static_cast<char>(CHAIN_ID.size());
    text += CHAIN_ID;
    text.append(u.begin(), u.end());
    const Bytes msg = test::as_bytes(text);
    EXPECT_EQ(signing_digest(CHAIN_ID, u), crypto::keccak256(msg));
    EXPECT_EQ(SIGNING_DOMAIN.size(), 27u);
    EXPECT_EQ(SIGNING_DOMAIN[0], '\x19');
}

TEST(LedgerTx, VoteSignatureCoversZeta) {
    // The 2019 application zeroed the zeta in the signed message, so a vote could be moved to
    // another credential. Every field of the vote, zeta included, changes the digest.
    auto& s = samples();
    Tx tx;
    tx.signer = s.chain.verifiers[0].address();
    tx.body = std::get<VerifierVote>(s.bodies[4]);
    const Hash32 base = signing_digest(CHAIN_ID, tx.encode_unsigned());
    auto vote = std::get<VerifierVote>(s.bodies[4]);
    for (std::size_t i = 0; i < G1_BYTES; ++i) {
        auto moved = vote;
        moved.zeta[i] ^= 0x01;
        Tx other = tx;
        other.body = moved;
        EXPECT_NE(signing_digest(CHAIN_ID, other.encode_unsigned()), base) << "zeta byte " << i;
    }
    for (auto change :
         {+[](VerifierVote& v) { v.valid = !v.valid; }, +[](VerifierVote& v) { v.value += 1; },
          +[](VerifierVote& v) { v.deposit_height += 1; }, +[](VerifierVote& v) { v.provider.bytes[0] ^= 1; }}) {
        auto moved = vote;
        change(moved);
        Tx other = tx;
        other.body = moved;
        EXPECT_NE(signing_digest(CHAIN_ID, other.encode_unsigned()), base);
    }

    // A signed vote whose zeta is swapped on the wire no longer verifies.
    const Bytes raw = test::signed_tx(s.chain.verifiers[0], 0, vote);
    Bytes tampered = raw;
    const std::size_t zeta_at = 2 + 20 + 8 + 20 + 8;
    tampered[zeta_at + 5] ^= 0x40;
    auto decoded = SignedTx::decode(tampered);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(verify_tx_signature(*decoded, CHAIN_ID).error(), Errc::invalid_signature);
}

TEST(LedgerTx, MalformedInputsGiveTypedErrors) {
    auto& s = samples();
    const Bytes transfer = test::signed_tx(s.chain.users[0], 0, s.bodies[0]);
    for (std::size_t n = 0; n < transfer.size(); ++n) {
        auto r = SignedTx::decode(std::span(transfer).first(n));
        ASSERT_FALSE(r) << "prefix of " << n << " bytes";
        EXPECT_EQ(r.error().category(), ledger_category());
    }
    Bytes longer = transfer;
    longer.insert(longer.end() - 65, 0x00); // a body byte too many
    EXPECT_EQ(error_of(SignedTx::decode(longer)), Errc::malformed_tx);

    Bytes version = transfer;
    version[0] = 2;
    EXPECT_EQ(error_of(SignedTx::decode(version)), Errc::unsupported_version);
    for (int type : {0x00, 0x06, 0xff}) {
        Bytes t = transfer;
        t[1] = static_cast<std::uint8_t>(type);
        EXPECT_EQ(error_of(SignedTx::decode(t)), Errc::unknown_tx_type);
    }
    EXPECT_EQ(error_of(SignedTx::decode(Bytes(MAX_TX_SIZE + 1, 1))), Errc::tx_too_large);

    EXPECT_EQ(error_of(SignedTx::decode(test::signed_tx(s.chain.users[0], 0, Transfer{s.chain.users[1].address(), 0}))),
              Errc::invalid_amount);

    Bytes vote = test::signed_tx(s.chain.verifiers[0], 0, s.bodies[4]);
    vote[vote.size() - 66] = 2; // the verdict byte
    EXPECT_EQ(error_of(SignedTx::decode(vote)), Errc::malformed_tx);

    // v outside {0,1}, and the high-s twin, are refused before any recovery.
    Bytes bad_v = transfer;
    bad_v.back() = 27;
    EXPECT_EQ(error_of(SignedTx::decode(bad_v)), Errc::invalid_signature);
    Bytes zero_sig = transfer;
    std::fill(zero_sig.end() - 65, zero_sig.end(), 0);
    EXPECT_EQ(error_of(SignedTx::decode(zero_sig)), Errc::invalid_signature);
}

TEST(LedgerTx, CoconutPayloadsAreValidated) {
    auto& s = samples();
    auto request = s.coconut.request(10);
    // A request whose first public attribute is not the value paid is refused.
    EXPECT_EQ(CredentialRequest::make(11, request).error(), Errc::invalid_credential_request);
    CredentialRequest forged = *CredentialRequest::make(10, request);
    forged.value = 11; // carried value differs from the bound one
    EXPECT_EQ(error_of(SignedTx::decode(test::signed_tx(s.chain.users[0], 0, forged))),
              Errc::invalid_credential_request);

    CredentialRequest garbage = *CredentialRequest::make(10, request);
    garbage.blind_sign_request[3] ^= 0xff;
    EXPECT_EQ(error_of(SignedTx::decode(test::signed_tx(s.chain.users[0], 0, garbage))),
              Errc::invalid_credential_request);

    CredentialDeposit deposit = std::get<CredentialDeposit>(s.bodies[3]);
    deposit.spend.pop_back();
    EXPECT_EQ(error_of(SignedTx::decode(test::signed_tx(s.chain.providers[0], 0, deposit))), Errc::invalid_spend);
}

TEST(LedgerTx, SignerMustBeTheRecoveredAddress) {
    auto& s = samples();
    Tx tx;
    tx.body = s.bodies[0];
    SignedTx signed_by_alice = sign_tx(tx, CHAIN_ID, s.chain.users[0]);
    signed_by_alice.tx.signer = s.chain.users[1].address(); // claim to be bob
    EXPECT_EQ(verify_tx_signature(signed_by_alice, CHAIN_ID).error(), Errc::invalid_signature);
}

} // namespace
} // namespace nym::ledger

namespace nym::ledger {
namespace {

// The worked example of docs/protocol/ledger.md ("Signing"): key 0x4646...46 (EIP-155's example key,
// address 0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f) sends 1000 to 0x3535...35 with nonce 9 on
// chain "nym-localnet". The digest and the signature were cross-checked with Go's
// golang.org/x/crypto/sha3 (legacy Keccak-256) and github.com/decred/dcrd/dcrec/secp256k1/v4
// (ecdsa.SignCompact, RFC 6979).
TEST(LedgerTx, DocumentedExample) {
    const auto k =
        *crypto::Secp256k1SecretKey::from_hex("4646464646464646464646464646464646464646464646464646464646464646");
    Tx tx;
    tx.nonce = 9;
    tx.body = Transfer{*Address::from_hex("0x3535353535353535353535353535353535353535"), 1000};
    const SignedTx signed_tx = sign_tx(tx, "nym-localnet", k);
    const Bytes unsigned_bytes = signed_tx.tx.encode_unsigned();
    EXPECT_EQ(util::to_hex(unsigned_bytes), "01019d8a62f656a8d1615c1294fd71e9cfb3e4855a4f0000000000000009"
                                            "353535353535353535353535353535353535353500000000000003e8");
    EXPECT_EQ(util::to_hex(signing_digest("nym-localnet", unsigned_bytes)),
              "dbcac5ce493dd0adedec57351ae66cccdcf62b9350430e52a45565338aeabcbb");
    EXPECT_EQ(util::to_hex(signed_tx.signature.bytes),
              "ede294caba81cfd0edca28bac198570e680fe357569a215dfc6227913484fdb4"
              "208c11a93ae4f766a261ea81c5dcdaca7f2c4269354df36f1dee46ad737c9cf100");
}

} // namespace
} // namespace nym::ledger
