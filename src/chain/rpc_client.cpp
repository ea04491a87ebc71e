#include <ledger/errors.hpp>
#include <ledger/ledger.hpp>
#include <runtime/http_client.hpp>

#include <spdlog/spdlog.h>

#include <chain/errors.hpp>
#include <chain/rpc_client.hpp>
#include <deque>

namespace nym::chain {

Expected<std::vector<runtime::Url>, std::string> parse_node_urls(const std::vector<std::string>& urls) {
    std::vector<runtime::Url> out;
    if (urls.empty()) return Unexpected(std::string("no ledger node URL given"));
    for (const auto& text : urls) {
        auto url = runtime::parse_url(text);
        if (!url || (url->scheme != "http" && url->scheme != "https"))
            return Unexpected("not an http:// URL of a CometBFT RPC node: " + text);
        out.push_back(*url);
    }
    return out;
}

struct RpcClient::Impl : std::enable_shared_from_this<RpcClient::Impl> {
    using Clock = std::chrono::steady_clock;

    Impl(runtime::Loop& l, std::vector<runtime::Url> n, RpcOptions o)
        : loop(l), http(l, client_options(o)), nodes(std::move(n)), penalty(nodes.size()), options(o) {}

    static runtime::ClientOptions client_options(const RpcOptions& o) {
        runtime::ClientOptions c;
        c.timeout = o.timeout;
        return c;
    }

    /// The node to ask first: the current one unless it failed recently and another has not.
    std::size_t pick(std::size_t attempt) const {
        const auto now = Clock::now();
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const std::size_t n = (current + attempt + i) % nodes.size();
            if (penalty[n] <= now) return n;
        }
        return (current + attempt) % nodes.size();
    }

    /// One exchange with failover: a node that cannot be reached is penalised and the next one asked,
    /// until every node was tried once. `done` gets the body of the first HTTP answer.
    void call(std::string method, std::string target, std::string body, std::size_t attempt,
              std::function<void(Expected<std::string>)> done) {
        if (nodes.empty()) {
            done(fail(Errc::unavailable));
            return;
        }
        const std::size_t n = pick(attempt);
        runtime::HttpCall c;
        c.host = nodes[n].host;
        c.port = nodes[n].port;
        c.tls = nodes[n].tls();
        c.method = method;
        c.target = target;
        c.body = body;
        std::weak_ptr<Impl> weak = weak_from_this();
        http.request(std::move(c), [weak, n, attempt, method = std::move(method), target = std::move(target),
                                    body = std::move(body),
                                    done = std::move(done)](Expected<runtime::HttpResult> r) mutable {
            auto self = weak.lock();
            if (!self) return;
            // CometBFT answers RPC errors with HTTP 500 and a JSON body: only a missing or non-JSON
            // answer counts as the node failing.
            const bool answered = r && !r->body.empty() && r->body.front() == '{';
            if (answered) {
                if (n != self->current) self->current = n;
                done(std::move(r->body));
                return;
            }
            self->penalty[n] = Clock::now() + self->options.node_penalty;
            spdlog::debug("chain: node {}:{} did not answer {}: {}", self->nodes[n].host, self->nodes[n].port, target,
                          r ? "HTTP " + std::to_string(r->status) : r.error().message());
            if (attempt + 1 < self->nodes.size()) {
                self->current = (n + 1) % self->nodes.size();
                self->call(std::move(method), std::move(target), std::move(body), 0, std::move(done));
                return;
            }
            done(fail(Errc::unavailable));
        });
    }

    template <class T>
    void get(std::string target, Parsed<T> (*parse)(std::string_view), std::function<void(Parsed<T>)> done) {
        call("GET", std::move(target), {}, 0, [parse, done = std::move(done)](Expected<std::string> body) {
            if (!body) {
                done(Parsed<T>{Unexpected(body.error()), {}});
                return;
            }
            done(parse(*body));
        });
    }

    void wait_for_tx(Hash32 hash, Clock::time_point deadline, std::chrono::milliseconds poll, Done<TxLookup> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        get<TxLookup>(tx_target(hash), &parse_tx,
                      [weak, hash, deadline, poll, done = std::move(done)](Parsed<TxLookup> r) mutable {
                          auto self = weak.lock();
                          if (!self) return;
                          if (r.value) {
                              done(std::move(r.value));
                              return;
                          }
                          if (Clock::now() + poll >= deadline) {
                              done(fail(Errc::timeout));
                              return;
                          }
                          self->loop.after(poll, [weak, hash, deadline, poll, done = std::move(done)]() mutable {
                              if (auto again = weak.lock()) again->wait_for_tx(hash, deadline, poll, std::move(done));
                          });
                      });
    }

    runtime::Loop& loop;
    runtime::HttpClient http;
    std::vector<runtime::Url> nodes;
    std::vector<Clock::time_point> penalty;
    std::size_t current = 0;
    RpcOptions options;
};

RpcClient::RpcClient(runtime::Loop& loop, std::vector<runtime::Url> nodes, RpcOptions options)
    : m_impl(std::make_shared<Impl>(loop, std::move(nodes), options)) {}

RpcClient::~RpcClient() = default;

runtime::Loop& RpcClient::loop() noexcept {
    return m_impl->loop;
}

void RpcClient::status(Callback<Status> done) {
    m_impl->get<Status>(status_target(), &parse_status, std::move(done));
}

void RpcClient::block_results(std::uint64_t height, Callback<BlockResults> done) {
    m_impl->get<BlockResults>(block_results_target(height), &parse_block_results, std::move(done));
}

void RpcClient::abci_query(std::string_view path, Bytes data, Callback<QueryAnswer> done) {
    m_impl->get<QueryAnswer>(abci_query_target(path, data), &parse_abci_query, std::move(done));
}

void RpcClient::broadcast_tx_sync(Bytes tx, Callback<BroadcastAnswer> done) {
    m_impl->call("POST", "/", broadcast_tx_sync_body(tx), 0, [done = std::move(done)](Expected<std::string> body) {
        if (!body) {
            done(Parsed<BroadcastAnswer>{Unexpected(body.error()), {}});
            return;
        }
        done(parse_broadcast(*body));
    });
}

void RpcClient::tx(const Hash32& hash, Callback<TxLookup> done) {
    m_impl->get<TxLookup>(tx_target(hash), &parse_tx, std::move(done));
}

namespace {

/// A query whose non-zero code is an error, then the JSON value parsed by `parse`.
template <class T>
std::function<void(Parsed<QueryAnswer>)> typed(Expected<T> (*parse)(std::string_view), RpcClient::Done<T> done) {
    return [parse, done = std::move(done)](Parsed<QueryAnswer> r) {
        if (!r.value) {
            done(Unexpected(r.value.error()));
            return;
        }
        if (r.value->code != 0) {
            done(fail(Errc::query_failed));
            return;
        }
        done(parse(r.value->value));
    };
}

} // namespace

void RpcClient::account(const ledger::Address& address, Done<AccountState> done) {
    abci_query(QUERY_ACCOUNT, Bytes(address.bytes.begin(), address.bytes.end()),
               typed(&parse_account, std::move(done)));
}

void RpcClient::zeta(const ledger::G1Bytes& zeta, Done<ZetaState> done) {
    abci_query(QUERY_ZETA, Bytes(zeta.begin(), zeta.end()), [done = std::move(done)](Parsed<QueryAnswer> r) {
        if (!r.value) {
            done(Unexpected(r.value.error()));
            return;
        }
        if (r.value->code != 0) {
            done(fail(Errc::query_failed));
            return;
        }
        auto state = parse_zeta(r.value->value);
        if (state) state->answered_at = r.value->height;
        done(std::move(state));
    });
}

void RpcClient::params(Done<ledger::Params> done) {
    abci_query(QUERY_PARAMS, {}, typed(&parse_params, std::move(done)));
}

void RpcClient::wait_for_tx(const Hash32& hash, std::chrono::milliseconds timeout, std::chrono::milliseconds poll,
                            Done<TxLookup> done) {
    m_impl->wait_for_tx(hash, Impl::Clock::now() + timeout, poll, std::move(done));
}

// --- TxSender ----------------------------------------------------------------------------------------

namespace {

constexpr int MAX_NONCE_RETRIES = 20;
constexpr std::chrono::milliseconds NONCE_RETRY_DELAY{250};

} // namespace

struct TxSender::Impl : std::enable_shared_from_this<TxSender::Impl> {
    Impl(RpcClient& c, crypto::Secp256k1SecretKey k, std::string id)
        : client(c), key(std::move(k)), address(key.address()), chain_id(std::move(id)) {}

    struct Job {
        ledger::TxBody body;
        Done done;
        int retries = 0;
    };

    void pump() {
        if (busy || queue.empty()) return;
        busy = true;
        if (!nonce) {
            std::weak_ptr<Impl> weak = weak_from_this();
            client.account(address, [weak](Expected<AccountState> a) {
                auto self = weak.lock();
                if (!self) return;
                if (!a) {
                    self->finish(Unexpected(SubmitFailure{a.error(), 0, "cannot read the account's nonce"}));
                    return;
                }
                self->nonce = a->nonce;
                self->send();
            });
            return;
        }
        send();
    }

    void send() {
        Job& job = queue.front();
        ledger::Tx tx;
        tx.nonce = *nonce;
        tx.body = job.body;
        Submitted sent;
        sent.nonce = *nonce;
        sent.tx = ledger::sign_tx(std::move(tx), chain_id, key).encode();
        sent.hash = ledger::Ledger::tx_hash(sent.tx);
        std::weak_ptr<Impl> weak = weak_from_this();
        Bytes bytes = sent.tx;
        client.broadcast_tx_sync(std::move(bytes), [weak, sent = std::move(sent)](Parsed<BroadcastAnswer> r) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!r.value) {
                // Identical bytes already in the node's cache were admitted before.
                if (r.failure.message.find("already exists in cache") != std::string::npos) {
                    self->nonce = sent.nonce + 1;
                    self->finish(std::move(sent));
                    return;
                }
                self->nonce.reset(); // unknown whether it was admitted: read the nonce again next time
                self->finish(Unexpected(SubmitFailure{r.value.error(), 0, r.failure.message}));
                return;
            }
            const auto code = r.value->code;
            if (code == 0) {
                self->nonce = sent.nonce + 1;
                self->finish(std::move(sent));
                return;
            }
            if (code == static_cast<std::uint32_t>(ledger::Errc::wrong_nonce) &&
                ++self->queue.front().retries <= MAX_NONCE_RETRIES) {
                // Our own earlier transactions may still be in the mempool (after a restart): read the
                // committed nonce again once they had time to be committed.
                self->nonce.reset();
                self->busy = false;
                self->client.loop().after(NONCE_RETRY_DELAY, [weak] {
                    if (auto again = weak.lock()) again->pump();
                });
                return;
            }
            self->finish(Unexpected(SubmitFailure{make_error_code(Errc::tx_rejected), code, r.value->log}));
        });
    }

    void finish(Expected<Submitted, SubmitFailure> result) {
        Done done = std::move(queue.front().done);
        queue.pop_front();
        busy = false;
        done(std::move(result));
        pump();
    }

    RpcClient& client;
    crypto::Secp256k1SecretKey key;
    ledger::Address address;
    std::string chain_id;
    std::deque<Job> queue;
    std::optional<std::uint64_t> nonce;
    bool busy = false;
};

TxSender::TxSender(RpcClient& client, crypto::Secp256k1SecretKey key, std::string chain_id)
    : m_impl(std::make_shared<Impl>(client, std::move(key), std::move(chain_id))) {}

TxSender::~TxSender() = default;

void TxSender::submit(ledger::TxBody body, Done done) {
    m_impl->queue.push_back(Impl::Job{std::move(body), std::move(done)});
    m_impl->pump();
}

const ledger::Address& TxSender::address() const noexcept {
    return m_impl->address;
}

} // namespace nym::chain
