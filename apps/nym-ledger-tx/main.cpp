// nym-ledger-tx: account keys and signed ledger transactions for scripts, tests and benchmarks
// (docs/protocol/ledger.md). A thin command line over nym::ledger; it talks to no network: the
// transaction bytes it prints (hex, one per line) go to CometBFT's broadcast_tx_* RPC.
//
//   nym-ledger-tx keygen --out FILE                  a new secp256k1 key (64 hex digits, mode 0600); prints its address
//   nym-ledger-tx address --key FILE                 the account address of a key file
//   nym-ledger-tx transfer --key FILE --chain-id ID --nonce N --to ADDR --amount A
//   nym-ledger-tx watcher-notice --key FILE --chain-id ID --nonce N --eth-tx HASH --log-index I
//                                --pipe ADDR --recipient ADDR --amount A
//   nym-ledger-tx vote --key FILE --chain-id ID --nonce N --provider ADDR --value V --zeta HEX
//                      --deposit-height H --verdict valid|invalid
//   nym-ledger-tx bench-accounts --count N --balance B     genesis "accounts" JSON of N deterministic test keys
//   nym-ledger-tx bench-transfers --count N --rounds R --chain-id ID [--first-nonce K]
//                                    R rounds of one transfer from each of the N test accounts (hex lines)

#include <crypto/rng.hpp>
#include <crypto/secp256k1.hpp>
#include <ledger/tx.hpp>
#include <util/hex.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <node/config_file.hpp>
#include <optional>
#include <string>

namespace {

using namespace nym;

int fail(const std::string& message) {
    std::fprintf(stderr, "nym-ledger-tx: %s\n", message.c_str());
    return 1;
}

std::optional<crypto::Secp256k1SecretKey> read_key(const std::string& path, std::string& why) {
    std::error_code ec;
    const auto perms = std::filesystem::status(path, ec).permissions();
    if (ec) {
        why = path + ": " + ec.message();
        return std::nullopt;
    }
    using std::filesystem::perms;
    if ((perms & (perms::group_all | perms::others_all)) != perms::none) {
        why = path + " is readable by others (chmod 600 it)";
        return std::nullopt;
    }
    auto text = node::read_text_file(path, 4096);
    if (!text) {
        why = text.error().message();
        return std::nullopt;
    }
    std::string hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
    auto key = crypto::Secp256k1SecretKey::from_hex(hex);
    crypto::secure_wipe(hex.data(), hex.size());
    if (!key) {
        why = path + ": not a secp256k1 key (64 hex digits): " + key.error().message();
        return std::nullopt;
    }
    return std::move(*key);
}

/// The test keys of bench-accounts / bench-transfers: 0x42 || 0…0 || u32 index, never secret.
crypto::Secp256k1SecretKey bench_key(std::uint32_t i) {
    std::array<std::uint8_t, 32> raw{};
    raw[0] = 0x42;
    for (int b = 0; b < 4; ++b) raw[static_cast<std::size_t>(31 - b)] = static_cast<std::uint8_t>(i >> (8 * b));
    return *crypto::Secp256k1SecretKey::from_bytes(raw);
}

template <std::size_t N>
bool parse_hex_array(std::string_view text, std::array<std::uint8_t, N>& out) {
    if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
    return text.size() == 2 * N && util::from_hex_into(text, out).has_value();
}

/// Options every signed transaction takes.
struct Signing {
    std::string key_file;
    std::string chain_id;
    std::uint64_t nonce = 0;

    void add(CLI::App* cmd) {
        cmd->add_option("--key", key_file, "the signer's key file")->required();
        cmd->add_option("--chain-id", chain_id, "the chain id (genesis.json's)")->required();
        cmd->add_option("--nonce", nonce, "the signer's account nonce (/account query)")->required();
    }
    int sign_and_print(ledger::TxBody body) const {
        std::string why;
        auto key = read_key(key_file, why);
        if (!key) return fail(why);
        if (chain_id.empty() || chain_id.size() > ledger::MAX_CHAIN_ID_SIZE) return fail("--chain-id: 1 to 50 bytes");
        ledger::Tx tx;
        tx.nonce = nonce;
        tx.body = std::move(body);
        std::printf("%s\n", util::to_hex(ledger::sign_tx(std::move(tx), chain_id, *key).encode()).c_str());
        return 0;
    }
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nym-ledger-tx: ledger account keys and signed transactions (hex) for CometBFT's broadcast_tx RPC"};
    app.set_version_flag("--version", std::string("nym-ledger-tx ") + NYM_VERSION);
    app.require_subcommand(1);

    std::string out, key_file, to, pipe, recipient, provider, zeta_hex, eth_tx, verdict;
    std::uint64_t amount = 0, value = 0, deposit_height = 0, balance = 0, first_nonce = 0;
    std::uint32_t log_index = 0, count = 0, rounds = 1;
    Signing signing;

    auto* keygen = app.add_subcommand("keygen", "write a new key file (mode 0600) and print its address");
    keygen->add_option("--out", out, "key file to create (refused if it exists)")->required();
    auto* address = app.add_subcommand("address", "print the address of a key file");
    address->add_option("--key", key_file, "key file")->required();

    auto* transfer = app.add_subcommand("transfer", "sign a transfer");
    signing.add(transfer);
    transfer->add_option("--to", to, "recipient address")->required();
    transfer->add_option("--amount", amount, "amount (> 0)")->required();

    auto* notice =
        app.add_subcommand("watcher-notice", "sign a watcher's notice of an ERC20 transfer to the pipe account");
    signing.add(notice);
    notice->add_option("--eth-tx", eth_tx, "Ethereum transaction hash (32 bytes hex)")->required();
    notice->add_option("--log-index", log_index, "index of the Transfer log in that transaction")->required();
    notice->add_option("--pipe", pipe, "the pipe account (genesis pipe_account)")->required();
    notice->add_option("--recipient", recipient, "ledger account to credit")->required();
    notice->add_option("--amount", amount, "amount (> 0)")->required();

    auto* vote = app.add_subcommand("vote", "sign a verifier's vote on a credential deposit");
    signing.add(vote);
    vote->add_option("--provider", provider, "the depositing provider's address")->required();
    vote->add_option("--value", value, "the deposit's value")->required();
    vote->add_option("--zeta", zeta_hex, "the credential's zeta (48 bytes hex)")->required();
    vote->add_option("--deposit-height", deposit_height, "the height of the deposit")->required();
    vote->add_option("--verdict", verdict, "valid or invalid")->required()->check(CLI::IsMember({"valid", "invalid"}));

    auto* accounts = app.add_subcommand("bench-accounts", "genesis accounts JSON of N deterministic test keys");
    accounts->add_option("--count", count, "number of accounts")->required()->check(CLI::Range(1u, 1000000u));
    accounts->add_option("--balance", balance, "balance of each")->required();

    auto* transfers = app.add_subcommand("bench-transfers",
                                         "ROUNDS rounds of one transfer from each of COUNT test accounts to the next");
    transfers->add_option("--count", count, "number of accounts")->required()->check(CLI::Range(2u, 1000000u));
    transfers->add_option("--rounds", rounds, "transfers per account")->check(CLI::Range(1u, 100000u));
    transfers->add_option("--chain-id", signing.chain_id, "the chain id")->required();
    transfers->add_option("--first-nonce", first_nonce, "nonce of each account's first transfer");

    CLI11_PARSE(app, argc, argv);

    if (*keygen) {
        if (std::filesystem::exists(out)) return fail(out + " exists; refusing to overwrite a key");
        const auto key = crypto::Secp256k1SecretKey::generate(crypto::system_rng());
        std::string text = util::to_hex(key.bytes()) + "\n";
        auto written = node::write_file_atomically(out, text, node::FileMode::secret_file);
        crypto::secure_wipe(text.data(), text.size());
        if (!written) return fail(written.error().message());
        std::printf("%s\n", key.address().to_hex().c_str());
        return 0;
    }
    if (*address) {
        std::string why;
        auto key = read_key(key_file, why);
        if (!key) return fail(why);
        std::printf("%s\n", key->address().to_hex().c_str());
        return 0;
    }
    auto parse_address = [](const std::string& text, const char* what) -> std::optional<ledger::Address> {
        auto a = ledger::Address::from_hex(text);
        if (!a) {
            std::fprintf(stderr, "nym-ledger-tx: %s: not an address: %s\n", what, text.c_str());
            return std::nullopt;
        }
        return *a;
    };
    if (*transfer) {
        auto a = parse_address(to, "--to");
        if (!a) return 1;
        return signing.sign_and_print(ledger::Transfer{*a, amount});
    }
    if (*notice) {
        ledger::WatcherNotice n;
        auto p = parse_address(pipe, "--pipe");
        auto r = parse_address(recipient, "--recipient");
        if (!p || !r) return 1;
        if (!parse_hex_array(eth_tx, n.eth_tx_hash)) return fail("--eth-tx: 32 bytes in hex");
        n.log_index = log_index;
        n.pipe_account = *p;
        n.recipient = *r;
        n.amount = amount;
        return signing.sign_and_print(n);
    }
    if (*vote) {
        ledger::VerifierVote v;
        auto p = parse_address(provider, "--provider");
        if (!p) return 1;
        if (!parse_hex_array(zeta_hex, v.zeta)) return fail("--zeta: 48 bytes in hex");
        v.provider = *p;
        v.value = value;
        v.deposit_height = deposit_height;
        v.valid = verdict == "valid";
        return signing.sign_and_print(v);
    }
    if (*accounts) {
        std::printf("[");
        for (std::uint32_t i = 0; i < count; ++i)
            std::printf("%s{\"address\":\"%s\",\"balance\":\"%llu\"}", i ? "," : "",
                        bench_key(i).address().to_hex().c_str(), static_cast<unsigned long long>(balance));
        std::printf("]\n");
        return 0;
    }
    if (*transfers) {
        if (signing.chain_id.empty() || signing.chain_id.size() > ledger::MAX_CHAIN_ID_SIZE)
            return fail("--chain-id: 1 to 50 bytes");
        std::vector<crypto::Secp256k1SecretKey> keys;
        std::vector<ledger::Address> addresses;
        keys.reserve(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            keys.push_back(bench_key(i));
            addresses.push_back(keys.back().address());
        }
        for (std::uint32_t r = 0; r < rounds; ++r)
            for (std::uint32_t i = 0; i < count; ++i) {
                ledger::Tx tx;
                tx.nonce = first_nonce + r;
                tx.body = ledger::Transfer{addresses[(i + 1) % count], 1};
                std::printf("%s\n",
                            util::to_hex(ledger::sign_tx(std::move(tx), signing.chain_id, keys[i]).encode()).c_str());
            }
        return 0;
    }
    return 0;
}
