#include <crypto/hash.hpp>
#include <ledger/codec.hpp>
#include <ledger/ledger.hpp>
#include <util/hex.hpp>

#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <shared_mutex>
#include <unordered_set>

namespace nym::ledger {

// ---------------------------------------------------------------------------------------------------
// Internals: state overlays and the signature cache

namespace {

struct BytesLess {
    using is_transparent = void;
    bool operator()(ByteSpan a, ByteSpan b) const noexcept {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    }
};

using Overlay = std::map<Bytes, std::optional<Bytes>, BytesLess>;

template <class T>
T decode_or_throw(Expected<T> decoded, const char* what) {
    if (!decoded) throw StoreError(std::string("state record does not decode: ") + what);
    return std::move(*decoded);
}

std::string dec(std::uint64_t v) {
    return std::to_string(v);
}

TxResult failure(const std::error_code& e) {
    TxResult r;
    r.code = abci_code(e);
    r.log = e.message();
    return r;
}

} // namespace

namespace detail {

/// The committed state: the store, behind a cache of recently read and written entries shared by
/// check_tx, finalize_block and queries. commit() updates the cache with the block's writes after
/// the store has them; a read that raced with a commit never caches what it read (generation check).
class Committed {
public:
    Committed(Store& store, std::size_t capacity) : m_store(store), m_capacity(capacity) {}

    [[nodiscard]] std::optional<Bytes> get(ByteSpan key) const {
        std::uint64_t generation = 0;
        if (m_capacity > 0) {
            std::shared_lock lock(m_mutex);
            auto it = m_cache.find(key);
            if (it != m_cache.end()) return it->second;
            generation = m_generation;
        }
        std::optional<Bytes> value = m_store.get(key);
        if (m_capacity > 0) {
            std::unique_lock lock(m_mutex);
            if (m_generation == generation) {
                if (m_cache.size() >= m_capacity) m_cache.clear();
                m_cache.emplace(Bytes(key.begin(), key.end()), value);
            }
        }
        return value;
    }

    void commit(WriteBatch&& batch, const CommitPoint& point) {
        m_store.commit(batch, point);
        if (m_capacity == 0) return;
        std::unique_lock lock(m_mutex);
        ++m_generation;
        if (m_cache.size() + batch.size() > m_capacity) m_cache.clear();
        for (auto& [k, v] : batch) m_cache.insert_or_assign(std::move(k), std::move(v));
    }

    [[nodiscard]] Store& store() const noexcept { return m_store; }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(ByteSpan b) const noexcept {
            return std::hash<std::string_view>()(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }
    };
    struct Equal {
        using is_transparent = void;
        bool operator()(ByteSpan a, ByteSpan b) const noexcept {
            return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
        }
    };
    Store& m_store;
    std::size_t m_capacity;
    mutable std::shared_mutex m_mutex;
    mutable std::unordered_map<Bytes, std::optional<Bytes>, Hash, Equal> m_cache;
    std::uint64_t m_generation = 0;
};

/// Writes on top of the committed state: a block's pending state, or the check state.
class View {
public:
    explicit View(const Committed& base) : m_base(base) {}

    [[nodiscard]] std::optional<Bytes> get(ByteSpan key) const {
        auto it = m_writes.find(key);
        if (it != m_writes.end()) return it->second;
        return m_base.get(key);
    }
    void set(Bytes key, std::optional<Bytes> value) { m_writes.insert_or_assign(std::move(key), std::move(value)); }
    [[nodiscard]] const Overlay& writes() const noexcept { return m_writes; }

    /// Moves the writes out (the view is spent).
    [[nodiscard]] WriteBatch take_batch() {
        WriteBatch out;
        out.reserve(m_writes.size());
        while (!m_writes.empty()) {
            auto node = m_writes.extract(m_writes.begin());
            out.emplace_back(std::move(node.key()), std::move(node.mapped()));
        }
        return out;
    }

private:
    const Committed& m_base;
    Overlay m_writes;
};

/// The writes of one transaction, applied to the view only if the transaction succeeds.
class TxWrites {
public:
    explicit TxWrites(const View& view) : m_view(view) {}

    [[nodiscard]] std::optional<Bytes> get(const Bytes& key) const {
        for (auto it = m_writes.rbegin(); it != m_writes.rend(); ++it)
            if (it->first == key) return it->second;
        return m_view.get(key);
    }
    void put(Bytes key, Bytes value) { m_writes.emplace_back(std::move(key), std::move(value)); }
    void erase(Bytes key) { m_writes.emplace_back(std::move(key), std::nullopt); }
    [[nodiscard]] std::vector<std::pair<Bytes, std::optional<Bytes>>> take_writes() noexcept {
        return std::move(m_writes);
    }

    Account account(const Address& a) const {
        auto raw = get(account_key(a));
        if (!raw) return {};
        return decode_or_throw(Account::decode(*raw), "account");
    }
    void put_account(const Address& a, const Account& acct) { put(account_key(a), acct.encode()); }

private:
    const View& m_view;
    std::vector<std::pair<Bytes, std::optional<Bytes>>> m_writes;
};

class SignatureCache {
public:
    explicit SignatureCache(std::size_t capacity) : m_capacity(capacity) {}

    void clear() {
        std::lock_guard lock(m_mutex);
        m_set.clear();
        m_fifo.clear();
    }
    bool contains(const Hash32& h) {
        std::lock_guard lock(m_mutex);
        return m_set.count(h) != 0;
    }
    void insert(const Hash32& h) {
        if (m_capacity == 0) return;
        std::lock_guard lock(m_mutex);
        if (!m_set.insert(h).second) return;
        m_fifo.push_back(h);
        if (m_fifo.size() > m_capacity) {
            m_set.erase(m_fifo.front());
            m_fifo.pop_front();
        }
    }

private:
    struct HashOf {
        std::size_t operator()(const Hash32& h) const noexcept {
            std::size_t v = 0;
            for (std::size_t i = 0; i < sizeof(v); ++i) v = (v << 8) | h[i];
            return v;
        }
    };
    std::mutex m_mutex;
    std::size_t m_capacity;
    std::unordered_set<Hash32, HashOf> m_set;
    std::deque<Hash32> m_fifo;
};

struct Pending {
    explicit Pending(const Committed& state) : view(state) {}
    View view;
    bool finalized = false; ///< false: only genesis (after init_chain) so far
    std::uint64_t height = 0;
    Hash32 app_hash{};
};

} // namespace detail

using detail::Committed;
using detail::Pending;
using detail::SignatureCache;
using detail::TxWrites;
using detail::View;

// ---------------------------------------------------------------------------------------------------
// Transaction rules (docs/protocol/ledger.md, "Transactions")

namespace {

struct Context {
    const Params& params;
    const SignedTx& tx;
    std::uint64_t height;
    std::vector<Event>* events; ///< null in check_tx
};

void emit(const Context& ctx, std::string type, std::vector<EventAttribute> attributes) {
    if (ctx.events != nullptr) ctx.events->push_back(Event{std::move(type), std::move(attributes)});
}

std::string eth_hex(const Hash32& h) {
    return "0x" + util::to_hex(h);
}

Expected<void> apply_transfer(TxWrites& w, const Context& ctx, const Transfer& t) {
    const Address& from = ctx.tx.tx.signer;
    Account sender = w.account(from);
    if (sender.balance < t.amount) return fail(Errc::insufficient_balance);
    if (t.to != from) {
        Account recipient = w.account(t.to);
        if (recipient.balance > UINT64_MAX - t.amount) return fail(Errc::balance_overflow);
        sender.balance -= t.amount;
        recipient.balance += t.amount;
        w.put_account(from, sender);
        w.put_account(t.to, recipient);
    }
    if (ctx.events != nullptr) // CheckTx builds no events: skip formatting them
        emit(ctx, "transfer", {{"from", from.to_hex()}, {"to", t.to.to_hex()}, {"amount", dec(t.amount)}});
    return {};
}

Expected<void> apply_watcher_notice(TxWrites& w, const Context& ctx, const WatcherNotice& n) {
    const auto index = ctx.params.watcher_index(ctx.tx.tx.signer);
    if (!index) return fail(Errc::not_a_watcher);
    if (n.pipe_account != ctx.params.pipe_account) return fail(Errc::invalid_pipe_account);
    const Bytes key = notice_key(n.eth_tx_hash, n.log_index);
    NoticeRecord rec;
    if (auto raw = w.get(key)) rec = decode_or_throw(NoticeRecord::decode(*raw), "watcher notice");
    if (rec.credited) return fail(Errc::already_credited);
    if (rec.voters.contains(*index)) return fail(Errc::already_voted);
    rec.voters.insert(*index);
    auto cand = std::find_if(rec.candidates.begin(), rec.candidates.end(), [&](const NoticeRecord::Candidate& c) {
        return c.recipient == n.recipient && c.amount == n.amount;
    });
    if (cand == rec.candidates.end()) {
        rec.candidates.push_back({n.recipient, n.amount, 0});
        cand = rec.candidates.end() - 1;
    }
    cand->votes += 1;
    const std::uint32_t votes = cand->votes;
    bool credited = false;
    if (votes >= ctx.params.watcher_threshold) {
        Account acct = w.account(n.recipient);
        if (acct.balance > UINT64_MAX - n.amount) return fail(Errc::balance_overflow);
        acct.balance += n.amount;
        w.put_account(n.recipient, acct);
        rec.credited = true;
        credited = true;
    }
    w.put(key, rec.encode());
    const std::string tx_hash = eth_hex(n.eth_tx_hash);
    emit(ctx, "watcher_notice",
         {{"watcher", ctx.tx.tx.signer.to_hex()},
          {"eth_tx_hash", tx_hash},
          {"log_index", dec(n.log_index)},
          {"recipient", n.recipient.to_hex()},
          {"amount", dec(n.amount)},
          {"votes", dec(votes)}});
    if (credited)
        emit(ctx, "erc20_credit",
             {{"eth_tx_hash", tx_hash},
              {"log_index", dec(n.log_index)},
              {"recipient", n.recipient.to_hex()},
              {"amount", dec(n.amount)}});
    return {};
}

Expected<void> apply_credential_request(TxWrites& w, const Context& ctx, const CredentialRequest& c) {
    const Address& who = ctx.tx.tx.signer;
    Account acct = w.account(who);
    if (acct.balance < c.value) return fail(Errc::insufficient_balance);
    const Bytes key = credential_request_key(ctx.height, c.gamma);
    if (w.get(key)) return fail(Errc::duplicate_credential_request);
    acct.balance -= c.value;
    w.put_account(who, acct);
    w.put(key, CredentialRequestRecord{who, c.value, c.blind_sign_request}.encode());
    emit(ctx, "credential_request",
         {{"account", who.to_hex()},
          {"value", dec(c.value)},
          {"height", dec(ctx.height)},
          {"gamma", hex(c.gamma)},
          {"request", hex(c.blind_sign_request)}});
    return {};
}

Expected<void> apply_credential_deposit(TxWrites& w, const Context& ctx, const CredentialDeposit& d) {
    const Bytes key = zeta_key(d.zeta);
    if (auto raw = w.get(key)) {
        // The 2019 application read a *spent* zeta as unspent here; the status is checked directly.
        const ZetaRecord rec = decode_or_throw(ZetaRecord::decode(*raw), "zeta");
        return fail(rec.status == ZetaStatus::spent ? Errc::double_spend : Errc::zeta_being_verified);
    }
    ZetaRecord rec;
    rec.status = ZetaStatus::being_verified;
    rec.provider = ctx.tx.tx.signer;
    rec.value = d.value;
    rec.deposit_height = ctx.height;
    w.put(key, rec.encode());
    emit(ctx, "credential_deposit",
         {{"provider", rec.provider.to_hex()},
          {"value", dec(d.value)},
          {"zeta", hex(d.zeta)},
          {"deposit_height", dec(ctx.height)},
          {"spend", hex(d.spend)}});
    return {};
}

Expected<void> apply_verifier_vote(TxWrites& w, const Context& ctx, const VerifierVote& v) {
    const auto index = ctx.params.verifier_index(ctx.tx.tx.signer);
    if (!index) return fail(Errc::not_a_verifier);
    const Bytes key = zeta_key(v.zeta);
    auto raw = w.get(key);
    if (!raw) return fail(Errc::zeta_not_being_verified);
    ZetaRecord rec = decode_or_throw(ZetaRecord::decode(*raw), "zeta");
    if (rec.status != ZetaStatus::being_verified) return fail(Errc::zeta_not_being_verified);
    if (rec.provider != v.provider || rec.value != v.value || rec.deposit_height != v.deposit_height)
        return fail(Errc::vote_mismatch);
    if (rec.voters.contains(*index)) return fail(Errc::already_voted);
    rec.voters.insert(*index);
    (v.valid ? rec.valid_votes : rec.invalid_votes) += 1;

    const std::uint32_t threshold = ctx.params.verifier_threshold;
    const auto verifiers = static_cast<std::uint32_t>(ctx.params.verifiers.size());
    std::string outcome;
    if (rec.valid_votes >= threshold) {
        Account acct = w.account(rec.provider);
        if (acct.balance > UINT64_MAX - rec.value) return fail(Errc::balance_overflow);
        acct.balance += rec.value;
        w.put_account(rec.provider, acct);
        rec.status = ZetaStatus::spent;
        w.put(key, rec.encode());
        outcome = "credential_spent";
    } else if (rec.invalid_votes > verifiers - threshold) {
        // The threshold of valid votes can no longer be reached: the deposit is refused, nothing is
        // credited, and the zeta is unspent again (a bogus deposit cannot burn someone's credential).
        w.erase(key);
        outcome = "credential_refused";
    } else {
        w.put(key, rec.encode());
    }
    emit(ctx, "verifier_vote",
         {{"verifier", ctx.tx.tx.signer.to_hex()},
          {"zeta", hex(v.zeta)},
          {"provider", v.provider.to_hex()},
          {"value", dec(v.value)},
          {"verdict", v.valid ? "valid" : "invalid"},
          {"valid_votes", dec(rec.valid_votes)},
          {"invalid_votes", dec(rec.invalid_votes)}});
    if (!outcome.empty())
        emit(ctx, outcome,
             {{"zeta", hex(v.zeta)},
              {"provider", rec.provider.to_hex()},
              {"value", dec(rec.value)},
              {"deposit_height", dec(rec.deposit_height)}});
    return {};
}

Expected<void> apply_body(TxWrites& w, const Context& ctx) {
    return std::visit(
        [&](const auto& body) -> Expected<void> {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, Transfer>) return apply_transfer(w, ctx, body);
            if constexpr (std::is_same_v<T, WatcherNotice>) return apply_watcher_notice(w, ctx, body);
            if constexpr (std::is_same_v<T, CredentialRequest>) return apply_credential_request(w, ctx, body);
            if constexpr (std::is_same_v<T, CredentialDeposit>) return apply_credential_deposit(w, ctx, body);
            if constexpr (std::is_same_v<T, VerifierVote>) return apply_verifier_vote(w, ctx, body);
        },
        ctx.tx.tx.body);
}

} // namespace

// ---------------------------------------------------------------------------------------------------
// Ledger

Ledger::Ledger(Store& store, LedgerOptions options)
    : m_store(store), m_options(options),
      m_sig_cache(std::make_unique<SignatureCache>(options.signature_cache_entries)),
      m_state(std::make_unique<Committed>(store, options.read_cache_entries)),
      m_check(std::make_unique<View>(*m_state)) {}

Ledger::~Ledger() = default;

Expected<std::unique_ptr<Ledger>> Ledger::open(Store& store, LedgerOptions options) {
    std::unique_ptr<Ledger> ledger(new Ledger(store, options));
    try {
        if (auto ok = ledger->load(); !ok) return Unexpected(ok.error());
    } catch (const StoreError&) {
        return fail(Errc::state_corrupt);
    }
    return ledger;
}

Expected<void> Ledger::load() {
    const CommitPoint point = m_store.last_commit();
    if (point.height > 0) {
        auto raw = m_store.get(params_key());
        if (!raw) return fail(Errc::state_corrupt);
        auto params = Params::from_json(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
        if (!params) return fail(Errc::state_corrupt);
        m_store.scan([&](ByteSpan key, ByteSpan value) { m_state_hash.put(key, value); });
        const Hash32 root = m_state_hash.root();
        if (!std::equal(root.begin(), root.end(), point.app_hash.begin(), point.app_hash.end()))
            return fail(Errc::state_corrupt);
        m_params = std::make_shared<const Params>(std::move(*params));
    }
    m_committed = point;
    return {};
}

Expected<void> Ledger::usable() const {
    if (m_failed.load()) return fail(Errc::ledger_failed);
    return {};
}

Hash32 Ledger::tx_hash(ByteSpan tx) {
    return crypto::sha256(tx);
}

std::shared_ptr<const Params> Ledger::params() const {
    std::lock_guard lock(m_info_mutex);
    return m_params;
}

CommitPoint Ledger::info() const {
    std::lock_guard lock(m_info_mutex);
    return m_committed;
}

Expected<void> Ledger::authenticate(const SignedTx& tx, ByteSpan raw, const Params& params) {
    const Hash32 h = tx_hash(raw);
    if (m_sig_cache->contains(h)) return {};
    const Hash32 digest = signing_digest(params.chain_id, raw.first(raw.size() - crypto::RECOVERABLE_SIGNATURE_SIZE));
    auto who = crypto::recover_address(digest, tx.signature);
    if (!who || *who != tx.tx.signer) return fail(Errc::invalid_signature);
    m_sig_cache->insert(h);
    return {};
}

namespace {

/// The stateful part shared by check_tx and finalize_block: nonce, rules, writes.
TxResult apply_tx(View& view, const SignedTx& tx, const Params& params, std::uint64_t height, bool deliver) {
    TxWrites w(view);
    Account signer = w.account(tx.tx.signer);
    if (tx.tx.nonce != signer.nonce) return failure(make_error_code(Errc::wrong_nonce));
    signer.nonce += 1;
    w.put_account(tx.tx.signer, signer);
    const Bytes bumped = signer.encode();

    TxResult result;
    Context ctx{params, tx, height, deliver ? &result.events : nullptr};
    auto applied = apply_body(w, ctx);
    if (!applied) {
        // In a block an authenticated transaction consumes its nonce even when its effect is
        // refused, so the signer's later transactions stay valid; the mempool keeps nothing.
        if (deliver) view.set(account_key(tx.tx.signer), bumped);
        result = failure(applied.error());
        return result;
    }
    for (auto& [k, v] : w.take_writes()) view.set(std::move(k), std::move(v));
    if (deliver)
        result.events.insert(result.events.begin(), Event{"message",
                                                          {{"action", std::string(tx_type_name(tx.tx.type()))},
                                                           {"sender", tx.tx.signer.to_hex()},
                                                           {"nonce", dec(tx.tx.nonce)}}});
    return result;
}

} // namespace

TxResult Ledger::check_tx(ByteSpan raw, CheckMode) {
    if (auto ok = usable(); !ok) return failure(ok.error());
    const auto params = this->params();
    if (!params) return failure(make_error_code(Errc::not_initialized));
    auto tx = SignedTx::decode(raw);
    if (!tx) return failure(tx.error());
    if (auto ok = authenticate(*tx, raw, *params); !ok) return failure(ok.error());

    std::lock_guard lock(m_check_mutex);
    try {
        std::uint64_t committed = 0;
        {
            std::lock_guard info_lock(m_info_mutex); // the height only: no copy of the app hash
            committed = m_committed.height;
        }
        const std::uint64_t height = committed == 0 ? m_initial_height : committed + 1;
        return apply_tx(*m_check, *tx, *params, height, false);
    } catch (const StoreError&) {
        m_failed = true;
        return failure(make_error_code(Errc::ledger_failed));
    }
}

Expected<Hash32> Ledger::init_chain(std::string_view chain_id, ByteSpan app_state, std::uint64_t initial_height) {
    std::lock_guard lock(m_consensus_mutex);
    if (auto ok = usable(); !ok) return Unexpected(ok.error());
    if (info().height > 0) return fail(Errc::already_initialized);
    auto genesis = parse_genesis(std::string_view(reinterpret_cast<const char*>(app_state.data()), app_state.size()));
    if (!genesis) return Unexpected(genesis.error());
    if (genesis->params.chain_id != chain_id) return fail(Errc::chain_id_mismatch);

    m_pending = std::make_unique<Pending>(*m_state);
    m_state_hash = StateHash(); // nothing is committed yet: the tree holds exactly the genesis state
    m_sig_cache->clear();       // verified under a chain id that may differ from this one
    View& view = m_pending->view;
    const std::string params_json = genesis->params.to_json();
    view.set(params_key(), Bytes(params_json.begin(), params_json.end()));
    for (const auto& a : genesis->accounts) view.set(account_key(a.address), Account{a.balance, 0}.encode());
    for (const auto& [k, v] : view.writes()) m_state_hash.put(k, *v);
    const Hash32 root = m_state_hash.root();
    m_initial_height = initial_height == 0 ? 1 : initial_height;
    {
        std::lock_guard info_lock(m_info_mutex);
        m_params = std::make_shared<const Params>(std::move(genesis->params));
    }
    {
        std::lock_guard check_lock(m_check_mutex);
        m_check = std::make_unique<View>(*m_state);
        for (const auto& [k, v] : view.writes()) m_check->set(k, v);
    }
    return root;
}

Expected<BlockResult> Ledger::finalize_block(std::uint64_t height, std::span<const ByteSpan> txs) {
    std::lock_guard lock(m_consensus_mutex);
    if (auto ok = usable(); !ok) return Unexpected(ok.error());
    const auto params = this->params();
    if (!params) return fail(Errc::not_initialized);
    if (m_pending && m_pending->finalized) return fail(Errc::block_pending);
    const CommitPoint committed = info();
    const std::uint64_t expected = committed.height == 0 ? m_initial_height : committed.height + 1;
    if (height != expected) return fail(Errc::wrong_height);
    if (!m_pending) m_pending = std::make_unique<Pending>(*m_state);

    BlockResult out;
    out.height = height;
    out.tx_results.reserve(txs.size());
    try {
        View& view = m_pending->view;
        for (const ByteSpan raw : txs) {
            auto tx = SignedTx::decode(raw);
            if (!tx) {
                out.tx_results.push_back(failure(tx.error()));
                continue;
            }
            if (auto ok = authenticate(*tx, raw, *params); !ok) {
                out.tx_results.push_back(failure(ok.error()));
                continue;
            }
            out.tx_results.push_back(apply_tx(view, *tx, *params, height, true));
        }
        for (const auto& [k, v] : view.writes()) {
            if (v)
                m_state_hash.put(k, *v);
            else
                m_state_hash.erase(k);
        }
    } catch (const StoreError&) {
        m_failed = true;
        return fail(Errc::ledger_failed);
    }
    out.app_hash = m_state_hash.root();
    m_pending->finalized = true;
    m_pending->height = height;
    m_pending->app_hash = out.app_hash;
    return out;
}

Expected<CommitPoint> Ledger::commit() {
    std::lock_guard lock(m_consensus_mutex);
    if (auto ok = usable(); !ok) return Unexpected(ok.error());
    if (!m_pending || !m_pending->finalized) return fail(Errc::nothing_to_commit);
    CommitPoint point{m_pending->height, Bytes(m_pending->app_hash.begin(), m_pending->app_hash.end())};
    {
        std::lock_guard check_lock(m_check_mutex);
        try {
            m_state->commit(m_pending->view.take_batch(), point);
        } catch (const StoreError&) {
            m_failed = true;
            return fail(Errc::ledger_failed);
        }
        m_check = std::make_unique<View>(*m_state);
        std::lock_guard info_lock(m_info_mutex);
        m_committed = point;
    }
    m_pending.reset();
    return point;
}

// ---------------------------------------------------------------------------------------------------
// Queries (docs/protocol/ledger.md, "Queries")

namespace {

using nlohmann::json;

/// Raw bytes of exactly N, or their hex text (with or without 0x) as CometBFT's URI form passes strings.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> fixed_bytes(ByteSpan data) {
    std::array<std::uint8_t, N> out{};
    if (data.size() == N) {
        std::copy(data.begin(), data.end(), out.begin());
        return out;
    }
    std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.size() >= 2 && text[0] == '0' && text[1] == 'x') text.remove_prefix(2);
    if (text.size() != 2 * N || !util::from_hex_into(text, out)) return std::nullopt;
    return out;
}

QueryResult answer(const json& j, std::uint64_t height) {
    QueryResult r;
    const std::string text = j.dump();
    r.value.assign(text.begin(), text.end());
    r.height = height;
    return r;
}

QueryResult query_error(Errc e, std::uint64_t height) {
    QueryResult r;
    r.code = static_cast<std::uint32_t>(e);
    r.log = make_error_code(e).message();
    r.height = height;
    return r;
}

} // namespace

QueryResult Ledger::query(std::string_view path, ByteSpan data, std::uint64_t height) const {
    const CommitPoint point = info();
    if (m_failed.load()) return query_error(Errc::ledger_failed, point.height);
    if (height != 0 && height != point.height) return query_error(Errc::height_unavailable, point.height);
    const auto params = this->params();
    try {
        if (path == "/balance" || path == "/account") {
            auto addr = fixed_bytes<crypto::ETHEREUM_ADDRESS_SIZE>(data);
            if (!addr) return query_error(Errc::malformed_query, point.height);
            Address a;
            a.bytes = *addr;
            Account acct;
            if (auto raw = m_state->get(account_key(a))) acct = decode_or_throw(Account::decode(*raw), "account");
            json j{{"address", a.to_hex()}, {"balance", dec(acct.balance)}};
            if (path == "/account") j["nonce"] = dec(acct.nonce);
            return answer(j, point.height);
        }
        if (path == "/zeta") {
            auto zeta = fixed_bytes<G1_BYTES>(data);
            if (!zeta) return query_error(Errc::malformed_query, point.height);
            json j{{"zeta", hex(*zeta)}};
            if (auto raw = m_state->get(zeta_key(*zeta))) {
                const ZetaRecord rec = decode_or_throw(ZetaRecord::decode(*raw), "zeta");
                j["status"] = std::string(zeta_status_name(rec.status));
                j["provider"] = rec.provider.to_hex();
                j["value"] = dec(rec.value);
                j["deposit_height"] = dec(rec.deposit_height);
                j["valid_votes"] = rec.valid_votes;
                j["invalid_votes"] = rec.invalid_votes;
            } else {
                j["status"] = std::string(zeta_status_name(ZetaStatus::unspent));
            }
            return answer(j, point.height);
        }
        if (path == "/credential_request") {
            if (data.size() != 8 + G1_BYTES) return query_error(Errc::malformed_query, point.height);
            std::uint64_t h = 0;
            for (std::size_t i = 0; i < 8; ++i) h = (h << 8) | data[i];
            G1Bytes gamma{};
            std::copy(data.begin() + 8, data.end(), gamma.begin());
            auto raw = m_state->get(credential_request_key(h, gamma));
            if (!raw) return query_error(Errc::not_found, point.height);
            const auto rec = decode_or_throw(CredentialRequestRecord::decode(*raw), "credential request");
            return answer(json{{"height", dec(h)},
                               {"gamma", hex(gamma)},
                               {"account", rec.account.to_hex()},
                               {"value", dec(rec.value)},
                               {"request", hex(rec.blind_sign_request)}},
                          point.height);
        }
        if (path == "/watcher_notice") {
            if (data.size() != 32 + 4) return query_error(Errc::malformed_query, point.height);
            Hash32 eth{};
            std::copy(data.begin(), data.begin() + 32, eth.begin());
            std::uint32_t index = 0;
            for (std::size_t i = 32; i < 36; ++i) index = (index << 8) | data[i];
            NoticeRecord rec;
            if (auto raw = m_state->get(notice_key(eth, index)))
                rec = decode_or_throw(NoticeRecord::decode(*raw), "watcher notice");
            json candidates = json::array();
            for (const auto& c : rec.candidates)
                candidates.push_back(
                    {{"recipient", c.recipient.to_hex()}, {"amount", dec(c.amount)}, {"votes", c.votes}});
            return answer(json{{"eth_tx_hash", "0x" + hex(eth)},
                               {"log_index", index},
                               {"credited", rec.credited},
                               {"candidates", candidates}},
                          point.height);
        }
        if (path == "/params") {
            if (!data.empty()) return query_error(Errc::malformed_query, point.height);
            if (!params) return query_error(Errc::not_found, point.height);
            return answer(json::parse(params->to_json()), point.height);
        }
    } catch (const StoreError&) {
        return query_error(Errc::state_corrupt, point.height);
    }
    return query_error(Errc::unknown_query_path, point.height);
}

} // namespace nym::ledger
