// The ledger application's own cost per simple transfer (CheckTx + its share of FinalizeBlock and
// Commit), next to its floor: one Keccak-256 of the signing message and one secp256k1 public-key
// recovery, the work no implementation of these transactions can skip. Blocks of 1,000 transfers
// from 1,000 distinct accounts, on the in-memory store and on RocksDB with a synced commit.
// Also: the app hash's cost per block (StateHash), for docs/protocol/ledger.md. The per-phase
// counters (check_us, finalize_us, commit_us, us_per_tx) are this thread's CPU time per transfer;
// compare us_per_tx with floor_keccak_and_recover's CPU column.

#include <crypto/keccak.hpp>
#include <crypto/secp256k1.hpp>
#include <ledger/ledger.hpp>
#include <ledger/state_hash.hpp>
#include <store/rocks_store.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace nym;
using Clock = std::chrono::steady_clock;

constexpr std::string_view CHAIN_ID = "nym-bench";
constexpr std::size_t ACCOUNTS = 1000;
constexpr std::size_t BLOCK = 1000;

crypto::Secp256k1SecretKey bench_key(std::size_t i) {
    std::array<std::uint8_t, 32> raw{};
    raw[0] = 0x42;
    raw[30] = static_cast<std::uint8_t>(i >> 8);
    raw[31] = static_cast<std::uint8_t>(i);
    return *crypto::Secp256k1SecretKey::from_bytes(raw);
}

struct Accounts {
    std::vector<crypto::Secp256k1SecretKey> keys;
    std::vector<ledger::Address> addresses;
    std::vector<std::uint64_t> nonces;

    Accounts() {
        for (std::size_t i = 0; i < ACCOUNTS; ++i) {
            keys.push_back(bench_key(i));
            addresses.push_back(keys.back().address());
        }
        nonces.assign(ACCOUNTS, 0);
    }
    std::string genesis() const {
        std::string accounts;
        for (const auto& a : addresses)
            accounts += (accounts.empty() ? "" : ",") + std::string("{\"address\":\"") + a.to_hex() +
                        "\",\"balance\":\"1000000000000\"}";
        return std::string("{\"chain_id\":\"") + std::string(CHAIN_ID) +
               "\",\"pipe_account\":\"0x00000000000000000000000000000000000c0ffe\",\"accounts\":[" + accounts + "]}";
    }
    /// One transfer from each account to the next.
    std::vector<ledger::Bytes> block() {
        std::vector<ledger::Bytes> txs;
        txs.reserve(BLOCK);
        for (std::size_t i = 0; i < BLOCK; ++i) {
            ledger::Tx tx;
            tx.nonce = nonces[i]++;
            tx.body = ledger::Transfer{addresses[(i + 1) % ACCOUNTS], 1};
            txs.push_back(ledger::sign_tx(std::move(tx), CHAIN_ID, keys[i]).encode());
        }
        return txs;
    }
};

Accounts& accounts() {
    static Accounts a;
    return a;
}

// ---- floor ---------------------------------------------------------------------------------------

void floor_keccak_and_recover(benchmark::State& state) {
    // The signing messages and signatures of a whole block, recovered in turn: as in the ledger, each
    // recovery meets a new signature (recovering one signature over and over keeps libsecp256k1's
    // precomputed tables hot and would flatter the floor).
    auto& acc = accounts();
    acc.nonces.assign(ACCOUNTS, 0);
    struct Item {
        ledger::Bytes msg;
        crypto::RecoverableSignature sig;
    };
    std::vector<Item> items;
    for (const auto& tx : acc.block()) {
        const std::size_t unsigned_size = tx.size() - crypto::RECOVERABLE_SIGNATURE_SIZE;
        // What the ledger hashes: domain || chain id || the unsigned transaction.
        ledger::Bytes msg(ledger::SIGNING_DOMAIN.begin(), ledger::SIGNING_DOMAIN.end());
        msg.push_back(static_cast<std::uint8_t>(CHAIN_ID.size()));
        msg.insert(msg.end(), CHAIN_ID.begin(), CHAIN_ID.end());
        msg.insert(msg.end(), tx.begin(), tx.begin() + static_cast<std::ptrdiff_t>(unsigned_size));
        items.push_back(
            {msg, *crypto::RecoverableSignature::parse(std::span(tx).last(crypto::RECOVERABLE_SIGNATURE_SIZE))});
    }
    std::size_t i = 0;
    for (auto _ : state) {
        const Item& it = items[i++ % items.size()];
        const auto digest = crypto::keccak256(it.msg);
        auto who = crypto::recover_address(digest, it.sig);
        benchmark::DoNotOptimize(who);
    }
}
BENCHMARK(floor_keccak_and_recover)->Unit(benchmark::kMicrosecond);

void floor_keccak_only(benchmark::State& state) {
    const ledger::Bytes msg(27 + 1 + 9 + 58, 0x5a);
    for (auto _ : state) benchmark::DoNotOptimize(crypto::keccak256(msg));
}
BENCHMARK(floor_keccak_only)->Unit(benchmark::kMicrosecond);

// ---- the application --------------------------------------------------------------------------

class TempDir {
public:
    TempDir() : m_path(std::filesystem::temp_directory_path() / ("nym-ledger-bench-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(m_path);
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// This thread's CPU time: the machine is shared, so wall time would measure the neighbours too.
double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Per iteration: one block of BLOCK transfers through check_tx, finalize_block and commit.
void run_blocks(benchmark::State& state, ledger::Store& store) {
    auto& acc = accounts();
    acc.nonces.assign(ACCOUNTS, 0);
    auto ledger = std::move(*ledger::Ledger::open(store));
    const std::string g = acc.genesis();
    if (!ledger->init_chain(CHAIN_ID, {reinterpret_cast<const std::uint8_t*>(g.data()), g.size()}, 1) ||
        !ledger->finalize_block(1, {}) || !ledger->commit()) {
        state.SkipWithError("genesis failed");
        return;
    }
    double check = 0, finalize = 0, commit = 0, commit_wall = 0;
    std::uint64_t height = 1;
    for (auto _ : state) {
        state.PauseTiming();
        const auto txs = acc.block(); // signing is the clients' work, not the app's
        const std::vector<ledger::ByteSpan> spans(txs.begin(), txs.end());
        state.ResumeTiming();

        const double t0 = cpu_seconds();
        for (const auto& tx : spans)
            if (!ledger->check_tx(tx).ok()) state.SkipWithError("check_tx refused a transfer");
        const double t1 = cpu_seconds();
        auto block = ledger->finalize_block(++height, spans);
        const double t2 = cpu_seconds();
        const auto w2 = Clock::now();
        if (!block || !ledger->commit()) state.SkipWithError("block failed");
        const double t3 = cpu_seconds();
        commit_wall += std::chrono::duration<double>(Clock::now() - w2).count();
        check += t1 - t0;
        finalize += t2 - t1;
        commit += t3 - t2;
    }
    const double txs = static_cast<double>(state.iterations()) * BLOCK;
    state.SetItemsProcessed(static_cast<std::int64_t>(txs));
    state.counters["us_per_tx"] = (check + finalize + commit) / txs * 1e6;
    state.counters["check_us"] = check / txs * 1e6;
    state.counters["finalize_us"] = finalize / txs * 1e6;
    state.counters["commit_us"] = commit / txs * 1e6;
    state.counters["commit_wall_ms_per_block"] = commit_wall / static_cast<double>(state.iterations()) * 1e3;
}

void ledger_transfer_memory(benchmark::State& state) {
    ledger::MemoryStore store;
    run_blocks(state, store);
}
BENCHMARK(ledger_transfer_memory)->Unit(benchmark::kMillisecond)->Iterations(30);

void ledger_transfer_rocksdb(benchmark::State& state) {
    TempDir dir;
    auto store = store::RocksStore::open(dir.path());
    if (!store) {
        state.SkipWithError("cannot open RocksDB");
        return;
    }
    run_blocks(state, **store);
}
BENCHMARK(ledger_transfer_rocksdb)->Unit(benchmark::kMillisecond)->Iterations(30);

// ---- the app hash -------------------------------------------------------------------------------

/// 2,000 updated keys (a block of 1,000 transfers) in a state of range(0) entries, then root().
void state_hash_block(benchmark::State& state) {
    ledger::StateHash h;
    const auto entries = static_cast<std::uint64_t>(state.range(0));
    auto key = [](std::uint64_t i) {
        ledger::Bytes k(21, 0x02);
        for (int b = 0; b < 8; ++b) k[static_cast<std::size_t>(13 + b)] = static_cast<std::uint8_t>(i >> (8 * b));
        return k;
    };
    const ledger::Bytes value(16, 0x07);
    for (std::uint64_t i = 0; i < entries; ++i) h.put(key(i), value);
    (void)h.root();
    std::uint64_t round = 0;
    for (auto _ : state) {
        ++round;
        ledger::Bytes v = value;
        v[0] = static_cast<std::uint8_t>(round);
        for (std::uint64_t i = 0; i < 2000; ++i) h.put(key((round * 2000 + i * 7919) % entries), v);
        benchmark::DoNotOptimize(h.root());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 2000));
}
BENCHMARK(state_hash_block)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
