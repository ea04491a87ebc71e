#include <abci/application.hpp>
#include <abci/framing.hpp>

#include <nlohmann/json.hpp>

#include <exception>
#include <time.h>

namespace nym::abci {
namespace {

pb::Response exception(std::string message) {
    pb::Response r;
    r.mutable_exception()->set_error(std::move(message));
    return r;
}

std::string as_string(ledger::ByteSpan b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

ledger::ByteSpan as_span(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <class Events>
void move_events(std::vector<ledger::Event>&& from, Events* to) {
    to->Reserve(static_cast<int>(from.size()));
    for (auto& e : from) {
        auto* ev = to->Add();
        ev->set_type(std::move(e.type));
        ev->mutable_attributes()->Reserve(static_cast<int>(e.attributes.size()));
        for (auto& a : e.attributes) {
            auto* attr = ev->add_attributes();
            attr->set_key(std::move(a.key));
            attr->set_value(std::move(a.value));
            attr->set_index(true);
        }
    }
}

template <class Result>
void fill_tx_result(ledger::TxResult&& from, Result* to) {
    to->set_code(from.code);
    if (from.code != 0) {
        to->set_log(std::move(from.log));
        to->set_codespace(std::string(ledger::LEDGER_CODESPACE));
    }
    move_events(std::move(from.events), to->mutable_events());
}

std::size_t varint_size(std::uint64_t n) {
    std::size_t s = 1;
    while (n >= 0x80) {
        n >>= 7;
        ++s;
    }
    return s;
}

std::uint64_t thread_cpu_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

StatKind kind_of(const pb::Request& request) noexcept {
    switch (request.value_case()) {
    case pb::Request::kCheckTx:
        return request.check_tx().type() == pb::RECHECK ? StatKind::check_tx_recheck : StatKind::check_tx_new;
    case pb::Request::kPrepareProposal:
        return StatKind::prepare_proposal;
    case pb::Request::kProcessProposal:
        return StatKind::process_proposal;
    case pb::Request::kFinalizeBlock:
        return StatKind::finalize_block;
    case pb::Request::kCommit:
        return StatKind::commit;
    case pb::Request::kQuery:
        return StatKind::query;
    default:
        return StatKind::other;
    }
}

constexpr const char* STAT_NAMES[] = {
    "check_tx_new", "check_tx_recheck", "prepare_proposal", "process_proposal", "finalize_block", "commit", "query",
    "other"};
static_assert(std::size(STAT_NAMES) == static_cast<std::size_t>(StatKind::count_));

} // namespace

Application::Application(ledger::Ledger& ledger, ApplicationOptions options)
    : m_ledger(ledger), m_options(std::move(options)) {}

std::vector<std::string> Application::select_proposal(const google::protobuf::RepeatedPtrField<std::string>& txs,
                                                      std::int64_t max_tx_bytes) {
    std::vector<std::string> out;
    std::int64_t total = 0;
    for (const auto& tx : txs) {
        // types.ComputeProtoSizeForTxs: field tag (1 byte) + uvarint length + the bytes.
        const auto size = static_cast<std::int64_t>(1 + varint_size(tx.size()) + tx.size());
        if (total + size > max_tx_bytes) break;
        total += size;
        out.push_back(tx);
    }
    return out;
}

pb::Response Application::finalize_block(const pb::RequestFinalizeBlock& req) {
    if (req.height() <= 0) return exception("FinalizeBlock: height must be positive");
    std::vector<ledger::ByteSpan> txs;
    txs.reserve(static_cast<std::size_t>(req.txs_size()));
    for (const auto& tx : req.txs()) txs.push_back(as_span(tx));
    auto block = m_ledger.finalize_block(static_cast<std::uint64_t>(req.height()), txs);
    if (!block)
        return exception("FinalizeBlock at height " + std::to_string(req.height()) + ": " + block.error().message());
    pb::Response r;
    m_finalized_txs.fetch_add(txs.size(), std::memory_order_relaxed);
    auto* out = r.mutable_finalize_block();
    out->mutable_tx_results()->Reserve(static_cast<int>(block->tx_results.size()));
    for (auto& result : block->tx_results) fill_tx_result(std::move(result), out->add_tx_results());
    out->set_app_hash(as_string(block->app_hash));
    return r;
}

std::string Application::stats_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (std::size_t i = 0; i < m_stats.size(); ++i) {
        const auto requests = m_stats[i].requests.load(std::memory_order_relaxed);
        const auto timed = m_stats[i].timed.load(std::memory_order_relaxed);
        const double ns = static_cast<double>(m_stats[i].cpu_ns.load(std::memory_order_relaxed));
        const double total_ns = timed == 0 ? 0.0 : ns * static_cast<double>(requests) / static_cast<double>(timed);
        out[STAT_NAMES[i]] = {
            {"requests", requests}, {"timed", timed}, {"cpu_us", static_cast<std::uint64_t>(total_ns / 1000.0)}};
    }
    out["finalized_txs"] = m_finalized_txs.load(std::memory_order_relaxed);
    return out.dump();
}

pb::Response Application::handle(const pb::Request& request) {
    const StatKind kind = kind_of(request);
    auto& counter = m_stats[static_cast<std::size_t>(kind)];
    const std::uint64_t n = counter.requests.fetch_add(1, std::memory_order_relaxed);
    const bool frequent = kind == StatKind::check_tx_new || kind == StatKind::check_tx_recheck ||
                          kind == StatKind::query || kind == StatKind::other;
    if (frequent && n % STAT_SAMPLE_EVERY != 0) return dispatch(request);
    const std::uint64_t start = thread_cpu_ns();
    pb::Response response = dispatch(request);
    counter.cpu_ns.fetch_add(thread_cpu_ns() - start, std::memory_order_relaxed);
    counter.timed.fetch_add(1, std::memory_order_relaxed);
    return response;
}

pb::Response Application::dispatch(const pb::Request& request) {
    try {
        pb::Response r;
        switch (request.value_case()) {
        case pb::Request::kEcho:
            r.mutable_echo()->set_message(request.echo().message());
            return r;
        case pb::Request::kFlush:
            r.mutable_flush();
            return r;
        case pb::Request::kInfo: {
            const ledger::CommitPoint point = m_ledger.info();
            auto* info = r.mutable_info();
            info->set_data(m_options.name);
            info->set_version(m_options.version);
            info->set_app_version(m_options.app_version);
            info->set_last_block_height(static_cast<std::int64_t>(point.height));
            info->set_last_block_app_hash(as_string(point.app_hash));
            return r;
        }
        case pb::Request::kInitChain: {
            const auto& req = request.init_chain();
            const std::int64_t initial = req.initial_height();
            auto hash = m_ledger.init_chain(req.chain_id(), as_span(req.app_state_bytes()),
                                            initial > 0 ? static_cast<std::uint64_t>(initial) : 1);
            if (!hash) return exception("InitChain: " + hash.error().message());
            // Validators and consensus parameters stay those of genesis.json.
            r.mutable_init_chain()->set_app_hash(as_string(*hash));
            return r;
        }
        case pb::Request::kQuery: {
            const auto& req = request.query();
            if (req.height() < 0) {
                auto* q = r.mutable_query();
                q->set_code(static_cast<std::uint32_t>(ledger::Errc::height_unavailable));
                q->set_log("negative height");
                q->set_codespace(std::string(ledger::LEDGER_CODESPACE));
                return r;
            }
            if (req.path() == STATS_QUERY_PATH) {
                auto* q = r.mutable_query();
                q->set_key(req.data());
                q->set_value(stats_json());
                q->set_height(static_cast<std::int64_t>(m_ledger.info().height));
                return r;
            }
            const ledger::QueryResult result =
                m_ledger.query(req.path(), as_span(req.data()), static_cast<std::uint64_t>(req.height()));
            auto* q = r.mutable_query();
            q->set_code(result.code);
            q->set_key(req.data());
            q->set_value(as_string(result.value));
            q->set_height(static_cast<std::int64_t>(result.height));
            if (result.code != 0) {
                q->set_log(result.log);
                q->set_codespace(std::string(ledger::LEDGER_CODESPACE));
            }
            return r;
        }
        case pb::Request::kCheckTx: {
            const auto& req = request.check_tx();
            const auto mode = req.type() == pb::RECHECK ? ledger::CheckMode::recheck : ledger::CheckMode::new_tx;
            fill_tx_result(m_ledger.check_tx(as_span(req.tx()), mode), r.mutable_check_tx());
            return r;
        }
        case pb::Request::kCommit: {
            auto point = m_ledger.commit();
            if (!point) return exception("Commit: " + point.error().message());
            r.mutable_commit()->set_retain_height(0); // keep every block
            return r;
        }
        case pb::Request::kListSnapshots:
            r.mutable_list_snapshots();
            return r;
        case pb::Request::kOfferSnapshot:
            r.mutable_offer_snapshot()->set_result(pb::ResponseOfferSnapshot::ABORT); // no state sync
            return r;
        case pb::Request::kLoadSnapshotChunk:
            r.mutable_load_snapshot_chunk();
            return r;
        case pb::Request::kApplySnapshotChunk:
            r.mutable_apply_snapshot_chunk()->set_result(pb::ResponseApplySnapshotChunk::ABORT);
            return r;
        case pb::Request::kPrepareProposal: {
            const auto& req = request.prepare_proposal();
            auto* out = r.mutable_prepare_proposal();
            for (auto& tx : select_proposal(req.txs(), req.max_tx_bytes())) out->add_txs(std::move(tx));
            return r;
        }
        case pb::Request::kProcessProposal:
            r.mutable_process_proposal()->set_status(pb::ResponseProcessProposal::ACCEPT);
            return r;
        case pb::Request::kExtendVote:
            r.mutable_extend_vote();
            return r;
        case pb::Request::kVerifyVoteExtension:
            r.mutable_verify_vote_extension()->set_status(pb::ResponseVerifyVoteExtension::ACCEPT);
            return r;
        case pb::Request::kFinalizeBlock:
            return finalize_block(request.finalize_block());
        case pb::Request::VALUE_NOT_SET:
            break;
        }
        return exception(make_error_code(Errc::unknown_request).message());
    } catch (const std::exception& e) { // std::bad_alloc and the like; the ledger itself does not throw
        return exception(std::string("internal error: ") + e.what());
    }
}

} // namespace nym::abci
