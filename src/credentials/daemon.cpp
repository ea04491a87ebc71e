#include <ledger/errors.hpp>
#include <runtime/http_client.hpp>
#include <util/hex.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chain/errors.hpp>
#include <chain/rpc_client.hpp>
#include <credentials/daemon.hpp>
#include <node/config_file.hpp>

namespace nym::credentials {
namespace {

namespace wc = wire::credentials;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds ISSUER_RETRY{200};
constexpr int ISSUER_NETWORK_ATTEMPTS = 3;
constexpr std::chrono::milliseconds STATUS_POLL{250};
constexpr std::chrono::milliseconds BALANCE_POLL{1000};

std::string describe(const Expected<runtime::HttpResult>& r) {
    if (!r) return r.error().message();
    std::string body = r->body.substr(0, 300);
    return "HTTP " + std::to_string(r->status) + (body.empty() ? "" : ": " + body);
}

/// The "error" field of a JSON error body, or the body.
std::string error_text(const runtime::HttpResult& r) {
    const auto at = r.body.find("\"error\":\"");
    if (at == std::string::npos) return r.body.substr(0, 300);
    const auto start = at + 9;
    const auto end = r.body.find('"', start);
    return r.body.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

} // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    Impl(runtime::Loop& l, Config c, crypto::Secp256k1SecretKey account, ClientHooks h)
        : loop(l), config(std::move(c)), hooks(std::move(h)), rpc(l, config.ledger.nodes),
          sender(rpc, std::move(account), config.ledger.chain_id), http(l, http_options(config)),
          provider_http(l, provider_options(config)), serial(l) {}

    static runtime::ClientOptions http_options(const Config& c) {
        runtime::ClientOptions o;
        o.timeout = c.issuer_timeout;
        o.body_limit = 1024 * 1024;
        return o;
    }
    static runtime::ClientOptions provider_options(const Config& c) {
        runtime::ClientOptions o;
        o.timeout = c.spend_timeout + std::chrono::seconds(5);
        o.body_limit = 1024 * 1024;
        return o;
    }

    void step(Step s) {
        s.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
        if (s.ok)
            spdlog::info("{}: {}", s.name, s.detail);
        else
            spdlog::error("{}: {}", s.name, s.detail);
        if (hooks.on_step) hooks.on_step(s);
    }

    Credential* find(const std::string& id, CredentialState state) {
        if (!id.empty()) {
            for (auto& c : credentials)
                if (c.id() == id) return &c;
            return nullptr;
        }
        // The latest requested (to fetch) or the oldest issued (to spend).
        if (state == CredentialState::requested) {
            for (auto it = credentials.rbegin(); it != credentials.rend(); ++it)
                if (it->state == state && it->height != 0) return &*it;
            return nullptr;
        }
        for (auto& c : credentials)
            if (c.state == state) return &c;
        return nullptr;
    }

    /// Writes the wallet (0600) on the Serial; `then` runs on the I/O thread afterwards.
    void save_wallet(std::function<void(Expected<void, std::string>)> then) {
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([text = wallet_to_json(credentials), path = config.wallet_file, weak, then = std::move(then),
                     &l = loop]() mutable {
            auto written = node::write_file_atomically(path, text, node::FileMode::secret_file);
            crypto::secure_wipe(text.data(), text.size());
            l.post([weak, written = std::move(written), then = std::move(then)] {
                if (!weak.lock()) return;
                if (!written)
                    then(Unexpected("cannot write the wallet: " + written.error().message()));
                else
                    then({});
            });
        });
    }

    // --- connect -----------------------------------------------------------------------------------

    void connect(Done<LedgerView> done, bool need_issuers = true) {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.status([weak, need_issuers, done = std::move(done)](chain::Parsed<chain::Status> s) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!s.value) {
                const std::string why = "no ledger node answered (" + self->config.ledger.node_urls.front() +
                                        (self->config.ledger.node_urls.size() > 1 ? ", ..." : "") + ")";
                self->step({"connect to the Nym ledger", false, why, {}});
                done(Unexpected(why));
                return;
            }
            if (s.value->chain_id != self->config.ledger.chain_id) {
                const std::string why = "the ledger serves chain '" + s.value->chain_id + "', the config says '" +
                                        self->config.ledger.chain_id + "'";
                self->step({"connect to the Nym ledger", false, why, {}});
                done(Unexpected(why));
                return;
            }
            auto view = std::make_shared<LedgerView>();
            view->chain_id = s.value->chain_id;
            view->height = s.value->latest_height;
            self->rpc.params([weak, view, need_issuers, done = std::move(done)](Expected<ledger::Params> p) mutable {
                auto me = weak.lock();
                if (!me) return;
                auto set = p ? IssuerSet::from_params(*p) : Expected<IssuerSet>(Unexpected(p.error()));
                // The balance and the pipe need no issuers: a chain without them is fine there.
                if (!set && (need_issuers || !p)) {
                    const std::string why = "the chain's issuers cannot be used: " + set.error().message();
                    me->step({"connect to the Nym ledger", false, why, {}});
                    done(Unexpected(why));
                    return;
                }
                if (set) view->issuers = std::move(*set);
                me->rpc.account(me->sender.address(), [weak, view, done = std::move(done)](
                                                          Expected<chain::AccountState> a) mutable {
                    auto self2 = weak.lock();
                    if (!self2) return;
                    if (!a) {
                        const std::string why = "cannot read the account: " + a.error().message();
                        self2->step({"connect to the Nym ledger", false, why, {}});
                        done(Unexpected(why));
                        return;
                    }
                    view->balance = a->balance;
                    view->nonce = a->nonce;
                    self2->issuers = view->issuers;
                    self2->step({"connect to the Nym ledger",
                                 true,
                                 "chain " + view->chain_id + " at height " + std::to_string(view->height) +
                                     ", account " + self2->sender.address().to_hex() + " holds " +
                                     std::to_string(view->balance) + ", " + std::to_string(view->issuers.keys.size()) +
                                     " issuers (threshold " + std::to_string(view->issuers.threshold) + ")",
                                 {{"chain_id", view->chain_id},
                                  {"height", std::to_string(view->height)},
                                  {"address", self2->sender.address().to_hex()},
                                  {"balance", std::to_string(view->balance)}}});
                    done(*view);
                });
            });
        });
    }

    // --- tokens ---------------------------------------------------------------------------------------

    void ensure_balance(std::uint64_t have, std::uint64_t value, Done<bool> done) {
        if (have >= value) {
            step({"pipe tokens into Nym",
                  true,
                  "not needed: the balance " + std::to_string(have) + " covers the value " + std::to_string(value),
                  {}});
            done(true);
            return;
        }
        if (!hooks.pipe_tokens) {
            const std::string why = "the balance " + std::to_string(have) + " is below the value " +
                                    std::to_string(value) +
                                    " and no Ethereum pipe is configured (the balance comes from genesis)";
            step({"pipe tokens into Nym", false, why, {}});
            done(Unexpected(why));
            return;
        }
        pipe_in(value - have, value, std::move(done));
    }

    /// Runs the pipe hook for `amount`, then waits until the balance reaches `target`.
    void pipe_in(std::uint64_t amount, std::uint64_t target, Done<bool> done) {
        if (!hooks.pipe_tokens) {
            const std::string why = "no Ethereum pipe is configured (an [ethereum] section in the config)";
            step({"pipe tokens into Nym", false, why, {}});
            done(Unexpected(why));
            return;
        }
        std::weak_ptr<Impl> weak = weak_from_this();
        hooks.pipe_tokens(
            amount,
            [weak](Step s) {
                if (auto self = weak.lock()) self->step(std::move(s));
            },
            [weak, target, done = std::move(done)](Expected<void, std::string> piped) mutable {
                auto self = weak.lock();
                if (!self) return;
                if (!piped) {
                    self->step({"pipe tokens into Nym", false, piped.error(), {}});
                    done(Unexpected(piped.error()));
                    return;
                }
                self->wait_balance(target, Clock::now() + std::chrono::minutes(10), std::move(done));
            });
    }

    /// connect, pipe `amount` in; the balance afterwards.
    void pipe(std::uint64_t amount, Done<std::uint64_t> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        connect(
            [weak, amount, done = std::move(done)](Expected<LedgerView, std::string> view) mutable {
                auto self = weak.lock();
                if (!self) return;
                if (!view) return done(Unexpected(view.error()));
                self->pipe_in(amount, view->balance + amount,
                              [weak, done = std::move(done)](Expected<bool, std::string> ok) mutable {
                                  auto me = weak.lock();
                                  if (!me) return;
                                  if (!ok) return done(Unexpected(ok.error()));
                                  done(me->last_balance);
                              });
            },
            false);
    }

    void wait_balance(std::uint64_t value, Clock::time_point deadline, Done<bool> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        rpc.account(sender.address(),
                    [weak, value, deadline, done = std::move(done)](Expected<chain::AccountState> a) mutable {
                        auto self = weak.lock();
                        if (!self) return;
                        if (a && a->balance >= value) {
                            self->last_balance = a->balance;
                            self->step({"pipe tokens into Nym",
                                        true,
                                        "the account in Nym is credited: it holds " + std::to_string(a->balance),
                                        {{"balance", std::to_string(a->balance)}}});
                            done(true);
                            return;
                        }
                        if (Clock::now() >= deadline) {
                            self->step({"pipe tokens into Nym", false, "the tokens did not arrive", {}});
                            done(Unexpected(std::string("the tokens did not arrive")));
                            return;
                        }
                        self->loop.after(BALANCE_POLL, [weak, value, deadline, done = std::move(done)]() mutable {
                            if (auto again = weak.lock()) again->wait_balance(value, deadline, std::move(done));
                        });
                    });
    }

    // --- request ---------------------------------------------------------------------------------------

    void request(std::uint64_t value, Done<std::string> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        connect([weak, value, done = std::move(done)](Expected<LedgerView, std::string> view) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!view) {
                done(Unexpected(view.error()));
                return;
            }
            self->ensure_balance(view->balance, value,
                                 [weak, value, done = std::move(done)](Expected<bool, std::string> ok) mutable {
                                     auto me = weak.lock();
                                     if (!me) return;
                                     if (!ok) {
                                         done(Unexpected(ok.error()));
                                         return;
                                     }
                                     me->send_request(value, std::move(done));
                                 });
        });
    }

    void send_request(std::uint64_t value, Done<std::string> done) {
        auto prepared = prepare_credential(value, config.ledger.chain_id, crypto::system_rng());
        if (!prepared) {
            done(Unexpected("cannot prepare the request: " + prepared.error().message()));
            return;
        }
        auto tx = request_transaction(*prepared);
        if (!tx) {
            done(Unexpected("cannot prepare the request: " + tx.error().message()));
            return;
        }
        credentials.push_back(std::move(*prepared));
        const std::string id = credentials.back().id();
        std::weak_ptr<Impl> weak = weak_from_this();
        // The secrets are on disk before the ledger is paid: a crash after paying loses nothing.
        save_wallet([weak, id, tx = std::move(*tx), done = std::move(done)](Expected<void, std::string> saved) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!saved) {
                done(Unexpected(saved.error()));
                return;
            }
            self->sender.submit(std::move(tx), [weak, id, done = std::move(done)](
                                                   Expected<chain::Submitted, chain::SubmitFailure> sent) mutable {
                auto me = weak.lock();
                if (!me) return;
                if (!sent) {
                    const std::string why =
                        "the ledger refused the request: " +
                        (sent.error().log.empty() ? sent.error().error.message() : sent.error().log);
                    me->mark(id, CredentialState::refused, why);
                    me->step({"request credential", false, why, {}});
                    me->save_wallet(
                        [done = std::move(done), why](Expected<void, std::string>) { done(Unexpected(why)); });
                    return;
                }
                me->rpc.wait_for_tx(sent->hash, std::chrono::seconds(60), me->config.ledger.poll_interval,
                                    [weak, id, done = std::move(done)](Expected<chain::TxLookup> r) mutable {
                                        auto self2 = weak.lock();
                                        if (!self2) return;
                                        self2->request_committed(id, std::move(r), std::move(done));
                                    });
            });
        });
    }

    void request_committed(const std::string& id, Expected<chain::TxLookup> r, Done<std::string> done) {
        Credential* c = find(id, CredentialState::requested);
        if (!c) return done(Unexpected(std::string("the credential vanished from the wallet")));
        if (!r || !r->result.ok()) {
            const std::string why = !r ? "the request was not committed: " + r.error().message()
                                       : "the ledger refused the request: " + r->result.log;
            c->state = CredentialState::refused;
            c->note = why;
            step({"request credential", false, why, {}});
            save_wallet([done = std::move(done), why](Expected<void, std::string>) { done(Unexpected(why)); });
            return;
        }
        c->height = r->height;
        step({"request credential",
              true,
              "paid " + std::to_string(c->value) + " at height " + std::to_string(c->height) + " (credential " + id +
                  ")",
              {{"credential", id},
               {"height", std::to_string(c->height)},
               {"gamma", util::to_hex(c->gamma())},
               {"value", std::to_string(c->value)}}});
        save_wallet([id, done = std::move(done)](Expected<void, std::string> saved) {
            if (!saved)
                done(Unexpected(saved.error()));
            else
                done(id);
        });
    }

    void mark(const std::string& id, CredentialState state, std::string note) {
        for (auto& c : credentials)
            if (c.id() == id) {
                c.state = state;
                c.note = std::move(note);
            }
    }

    // --- fetch -----------------------------------------------------------------------------------------

    struct Fetch {
        std::string id;
        std::shared_ptr<ShareCollector> collector;
        Clock::time_point deadline;
        std::vector<std::string> outcome; ///< per issuer: "" while working
        std::size_t in_check = 0;
        bool finished = false;
        Done<std::string> done;
    };

    void fetch(std::string id, Done<std::string> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        auto go = [weak, id = std::move(id), done = std::move(done)](Expected<LedgerView, std::string> view) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!view) return done(Unexpected(view.error()));
            self->fetch_connected(id, std::move(done));
        };
        if (issuers.keys.empty())
            connect(std::move(go));
        else
            go(LedgerView{config.ledger.chain_id, 0, 0, 0, issuers});
    }

    void fetch_connected(const std::string& id, Done<std::string> done) {
        Credential* c = find(id, CredentialState::requested);
        if (!c || c->state != CredentialState::requested || c->height == 0)
            return done(Unexpected(id.empty() ? std::string("no committed credential request to fetch")
                                              : "no committed credential request " + id));
        auto f = std::make_shared<Fetch>();
        f->id = c->id();
        f->collector = std::make_shared<ShareCollector>(*c, issuers);
        f->deadline = Clock::now() + config.fetch_timeout;
        f->outcome.assign(config.issuers.size(), std::string());
        f->done = std::move(done);
        const wc::CredentialLookup lookup{c->height, c->gamma()};
        spdlog::info("fetch partial credentials: asking {} issuers for credential {} (height {}), {} needed",
                     config.issuers.size(), f->id, c->height, issuers.threshold);
        for (std::size_t i = 0; i < config.issuers.size(); ++i) ask_issuer(f, i, lookup, 1);
    }

    void ask_issuer(const std::shared_ptr<Fetch>& f, std::size_t i, const wc::CredentialLookup& lookup, int attempt) {
        if (f->finished) return;
        std::weak_ptr<Impl> weak = weak_from_this();
        http.get(config.issuers[i], "/api/partial-credential?" + wc::lookup_query(lookup),
                 [weak, f, i, lookup, attempt](Expected<runtime::HttpResult> r) {
                     auto self = weak.lock();
                     if (!self || f->finished) return;
                     self->issuer_answered(f, i, lookup, attempt, std::move(r));
                 });
    }

    void retry_issuer(const std::shared_ptr<Fetch>& f, std::size_t i, const wc::CredentialLookup& lookup, int attempt,
                      const std::string& why) {
        if (Clock::now() + ISSUER_RETRY >= f->deadline) {
            issuer_done(f, i, why + " (gave up at the fetch deadline)");
            return;
        }
        std::weak_ptr<Impl> weak = weak_from_this();
        loop.after(ISSUER_RETRY, [weak, f, i, lookup, attempt] {
            if (auto self = weak.lock()) self->ask_issuer(f, i, lookup, attempt);
        });
    }

    void issuer_answered(const std::shared_ptr<Fetch>& f, std::size_t i, const wc::CredentialLookup& lookup,
                         int attempt, Expected<runtime::HttpResult> r) {
        const std::string& url = config.issuer_urls[i];
        if (!r) {
            if (attempt < ISSUER_NETWORK_ATTEMPTS) return retry_issuer(f, i, lookup, attempt + 1, describe(r));
            return issuer_done(f, i, "unreachable: " + describe(r));
        }
        if (r->status == 503) return retry_issuer(f, i, lookup, attempt, "not processed yet");
        if (r->status != 200)
            return issuer_done(f, i, "answered HTTP " + std::to_string(r->status) + ": " + error_text(*r));
        auto partial = wc::parse_partial_credential(r->body);
        if (!partial) return issuer_done(f, i, "a malformed answer: " + partial.error());
        ++f->in_check;
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([weak, f, i, partial = std::move(*partial), &l = loop]() mutable {
            auto checked = f->collector->add(partial.index, partial.height, partial.gamma, partial.blinded_signature);
            l.post([weak, f, i, index = partial.index, checked = std::move(checked)] {
                auto self = weak.lock();
                if (!self) return;
                --f->in_check;
                if (!checked)
                    self->issuer_done(f, i, "refused: " + checked.error());
                else
                    self->issuer_done(f, i, "ok (issuer " + std::to_string(index) + ")", true);
            });
        });
        (void)url;
    }

    void issuer_done(const std::shared_ptr<Fetch>& f, std::size_t i, std::string what, bool valid = false) {
        if (f->finished) return;
        f->outcome[i] = what;
        if (valid)
            spdlog::info("fetch partial credentials: {}: valid share {}", config.issuer_urls[i], what);
        else
            spdlog::warn("fetch partial credentials: skipping {}: {}", config.issuer_urls[i], what);
        if (f->collector->complete()) return fetched(f);
        const bool all_done =
            std::all_of(f->outcome.begin(), f->outcome.end(), [](const auto& o) { return !o.empty(); });
        if (all_done && f->in_check == 0) {
            std::string summary;
            for (std::size_t k = 0; k < f->outcome.size(); ++k)
                summary += (summary.empty() ? "" : "; ") + config.issuer_urls[k] + ": " + f->outcome[k];
            const std::string why = "only " + std::to_string(f->collector->valid()) + " of the " +
                                    std::to_string(f->collector->needed()) +
                                    " partial credentials needed could be collected (" + summary + ")";
            f->finished = true;
            step({"fetch partial credentials", false, why, {}});
            f->done(Unexpected(why));
        }
    }

    void fetched(const std::shared_ptr<Fetch>& f) {
        f->finished = true;
        step({"fetch partial credentials",
              true,
              std::to_string(f->collector->valid()) + " valid partial credentials from " +
                  std::to_string(config.issuers.size()) + " issuers asked (" + std::to_string(f->collector->needed()) +
                  " needed)",
              {{"shares", std::to_string(f->collector->valid())}}});
        step({"unblind",
              true,
              "each share unblinded with the request's ElGamal key and checked against its issuer's key",
              {}});
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([weak, f, &l = loop] {
            auto aggregate = f->collector->aggregate();
            l.post([weak, f, aggregate = std::move(aggregate)] {
                auto self = weak.lock();
                if (!self) return;
                Credential* c = self->find(f->id, CredentialState::requested);
                if (!aggregate || !c) {
                    const std::string why =
                        "the aggregate credential does not verify: " +
                        (aggregate ? std::string("credential missing") : aggregate.error().message());
                    self->step({"aggregate", false, why, {}});
                    f->done(Unexpected(why));
                    return;
                }
                c->signature = *aggregate;
                c->state = CredentialState::issued;
                self->step({"aggregate",
                            true,
                            "credential " + f->id + " verifies under the issuers' aggregate key",
                            {{"credential", f->id}}});
                self->save_wallet([f](Expected<void, std::string> saved) {
                    if (!saved)
                        f->done(Unexpected(saved.error()));
                    else
                        f->done(f->id);
                });
            });
        });
    }

    // --- spend -----------------------------------------------------------------------------------------

    void spend(std::string id, Done<SpendResult> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        auto go = [weak, id = std::move(id), done = std::move(done)](Expected<LedgerView, std::string> view) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!view) return done(Unexpected(view.error()));
            self->spend_connected(id, std::move(done));
        };
        if (issuers.keys.empty())
            connect(std::move(go));
        else
            go(LedgerView{config.ledger.chain_id, 0, 0, 0, issuers});
    }

    void spend_connected(const std::string& wanted, Done<SpendResult> done) {
        Credential* c = find(wanted, CredentialState::issued);
        if (!c || c->state != CredentialState::issued)
            return done(Unexpected(wanted.empty() ? std::string("no issued credential to spend")
                                                  : "credential " + wanted + " is not issued"));
        const std::string id = c->id();
        std::weak_ptr<Impl> weak = weak_from_this();
        provider_http.get(
            config.provider, "/api/info", [weak, id, done = std::move(done)](Expected<runtime::HttpResult> r) mutable {
                auto self = weak.lock();
                if (!self) return;
                auto info = r && r->status == 200 ? wc::parse_provider_info(r->body)
                                                  : wc::Parse<wc::ProviderInfo>(Unexpected(describe(r)));
                if (!info) {
                    const std::string why =
                        "the provider " + self->config.provider_url + " did not answer /api/info: " + info.error();
                    self->step({"spend credential", false, why, {}});
                    return done(Unexpected(why));
                }
                if (self->config.provider_address && *self->config.provider_address != info->address) {
                    const std::string why = "the provider announces " + info->address.to_hex() +
                                            ", the config expects " + self->config.provider_address->to_hex();
                    self->step({"spend credential", false, why, {}});
                    return done(Unexpected(why));
                }
                self->provider_http.post_json(self->config.provider, "/api/spend-nonce", "{}",
                                              [weak, id, address = info->address,
                                               done = std::move(done)](Expected<runtime::HttpResult> n) mutable {
                                                  auto me = weak.lock();
                                                  if (!me) return;
                                                  auto nonce = n && n->status == 200
                                                                   ? wc::parse_spend_nonce(n->body)
                                                                   : wc::Parse<wc::SpendNonce>(Unexpected(describe(n)));
                                                  if (!nonce) {
                                                      const std::string why =
                                                          "the provider gave no spend nonce: " + nonce.error();
                                                      me->step({"spend credential", false, why, {}});
                                                      return done(Unexpected(why));
                                                  }
                                                  me->prove(id, address, nonce->nonce, std::move(done));
                                              });
            });
    }

    void prove(const std::string& id, const ledger::Address& provider, const wc::Nonce& nonce, Done<SpendResult> done) {
        Credential* c = find(id, CredentialState::issued);
        if (!c) return done(Unexpected(std::string("the credential vanished from the wallet")));
        std::weak_ptr<Impl> weak = weak_from_this();
        serial.post([weak, credential = *c, aggregate = issuers.aggregate, provider, nonce, id, done = std::move(done),
                     &l = loop]() mutable {
            auto spend = make_spend(credential, aggregate, provider, nonce, crypto::system_rng());
            l.post([weak, spend = std::move(spend), provider, nonce, id, value = credential.value,
                    done = std::move(done)]() mutable {
                auto self = weak.lock();
                if (!self) return;
                if (!spend) {
                    const std::string why = "cannot make the spend: " + spend.error().message();
                    self->step({"spend credential", false, why, {}});
                    return done(Unexpected(why));
                }
                self->step(
                    {"re-randomize", true, "a fresh show of credential " + id + ", unlinkable to the issued one", {}});
                const auto zeta = spend->zeta_bytes();
                const std::string body = wc::to_json(wc::SpendRequest{value, nonce, spend->encode()});
                self->step({"spend credential",
                            true,
                            "sending it to " + self->config.provider_url + " (bound to " + provider.to_hex() + ")",
                            {{"provider", provider.to_hex()}, {"zeta", util::to_hex(zeta)}}});
                self->provider_http.post_json(
                    self->config.provider, "/api/spend", body,
                    [weak, id, zeta, done = std::move(done)](Expected<runtime::HttpResult> r) mutable {
                        auto me = weak.lock();
                        if (!me) return;
                        me->spend_answered(id, zeta, std::move(r), Clock::now() + me->config.spend_timeout,
                                           std::move(done));
                    });
            });
        });
    }

    void spend_answered(const std::string& id, const ledger::G1Bytes& zeta, Expected<runtime::HttpResult> r,
                        Clock::time_point deadline, Done<SpendResult> done) {
        auto answer = r && r->status == 200 ? wc::parse_spend_answer(r->body)
                                            : wc::Parse<wc::SpendAnswer>(Unexpected(describe(r)));
        if (!answer) {
            // No answer (a timeout, the provider restarting): ask for the outcome of this zeta.
            if (Clock::now() < deadline) return poll_status(id, zeta, deadline, std::move(done));
            const std::string why = "the provider did not answer: " + answer.error();
            step({"provider answer", false, why, {}});
            return done(Unexpected(why));
        }
        if (answer->outcome == wc::SpendOutcome::pending && Clock::now() < deadline) {
            spdlog::info("provider answer: pending ({}); asking again", answer->reason);
            return poll_status(id, zeta, deadline, std::move(done));
        }
        finish_spend(id, std::move(*answer), std::move(done));
    }

    void poll_status(const std::string& id, const ledger::G1Bytes& zeta, Clock::time_point deadline,
                     Done<SpendResult> done) {
        std::weak_ptr<Impl> weak = weak_from_this();
        loop.after(STATUS_POLL, [weak, id, zeta, deadline, done = std::move(done)]() mutable {
            auto self = weak.lock();
            if (!self) return;
            self->provider_http.get(
                self->config.provider, "/api/spend-status?zeta=" + util::to_hex(zeta),
                [weak, id, zeta, deadline, done = std::move(done)](Expected<runtime::HttpResult> r) mutable {
                    auto me = weak.lock();
                    if (!me) return;
                    me->spend_answered(id, zeta, std::move(r), deadline, std::move(done));
                });
        });
    }

    void finish_spend(const std::string& id, wc::SpendAnswer answer, Done<SpendResult> done) {
        const bool accepted = answer.accepted();
        std::string detail = accepted ? "true" : "false";
        if (!answer.reason.empty()) detail += " (" + answer.reason + ")";
        step({"provider answer",
              true,
              detail,
              {{"accepted", accepted ? "true" : "false"}, {"outcome", std::string(wc::outcome_name(answer.outcome))}}});
        if (accepted)
            mark(id, CredentialState::spent, "accepted by " + config.provider_url);
        else if (answer.outcome == wc::SpendOutcome::pending)
            mark(id, CredentialState::issued, "spend pending at " + config.provider_url + ": " + answer.reason);
        else {
            for (auto& c : credentials)
                if (c.id() == id) c.note = "refused by " + config.provider_url + ": " + answer.reason;
        }
        SpendResult result{id, std::move(answer)};
        save_wallet([result = std::move(result), done = std::move(done)](Expected<void, std::string>) mutable {
            done(std::move(result));
        });
    }

    runtime::Loop& loop;
    Config config;
    ClientHooks hooks;
    chain::RpcClient rpc;
    chain::TxSender sender;
    runtime::HttpClient http;
    runtime::HttpClient provider_http;
    runtime::Serial serial;
    std::vector<Credential> credentials;
    IssuerSet issuers;
    std::uint64_t last_balance = 0;
    Clock::time_point started = Clock::now();
};

Client::Client(runtime::Loop& loop, Config config, crypto::Secp256k1SecretKey account, ClientHooks hooks)
    : m_impl(std::make_shared<Impl>(loop, std::move(config), std::move(account), std::move(hooks))) {}

Client::~Client() = default;

Expected<void, std::string> Client::open_wallet() {
    std::error_code ec;
    if (!std::filesystem::exists(m_impl->config.wallet_file, ec)) return {};
    auto text = node::read_text_file(m_impl->config.wallet_file, 64 * 1024 * 1024);
    if (!text) return Unexpected(text.error().message());
    auto wallet = wallet_from_json(*text);
    crypto::secure_wipe(text->data(), text->size());
    if (!wallet) return Unexpected(m_impl->config.wallet_file.string() + ": " + wallet.error());
    m_impl->credentials = std::move(*wallet);
    return {};
}

const std::vector<Credential>& Client::wallet() const noexcept {
    return m_impl->credentials;
}

std::string Client::address() const {
    return m_impl->sender.address().to_hex();
}

void Client::connect(Done<LedgerView> done, bool need_issuers) {
    m_impl->connect(std::move(done), need_issuers);
}
void Client::request(std::uint64_t value, Done<std::string> done) {
    m_impl->request(value, std::move(done));
}
void Client::fetch(std::string id, Done<std::string> done) {
    m_impl->fetch(std::move(id), std::move(done));
}
void Client::spend(std::string id, Done<SpendResult> done) {
    m_impl->spend(std::move(id), std::move(done));
}

void Client::pipe(std::uint64_t amount, Done<std::uint64_t> done) {
    m_impl->pipe(amount, std::move(done));
}

void Client::run(Done<SpendResult> done) {
    std::weak_ptr<Impl> weak = m_impl;
    auto then_fetch_and_spend = [weak, done = std::move(done)](Expected<std::string, std::string> id) mutable {
        auto self = weak.lock();
        if (!self) return;
        if (!id) return done(Unexpected(id.error()));
        self->fetch(*id, [weak, done = std::move(done)](Expected<std::string, std::string> issued) mutable {
            auto me = weak.lock();
            if (!me) return;
            if (!issued) return done(Unexpected(issued.error()));
            me->spend(*issued, std::move(done));
        });
    };
    const std::uint64_t value = m_impl->config.value;
    if (!m_impl->hooks.pipe_tokens) {
        m_impl->request(value, std::move(then_fetch_and_spend));
        return;
    }
    // The whole sequence: pipe the credential's value in, then pay for the credential with it.
    m_impl->connect(
        [weak, value, next = std::move(then_fetch_and_spend)](Expected<LedgerView, std::string> view) mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!view) return next(Unexpected(view.error()));
            self->pipe_in(value, view->balance + value,
                          [weak, value, next = std::move(next)](Expected<bool, std::string> ok) mutable {
                              auto me = weak.lock();
                              if (!me) return;
                              if (!ok) return next(Unexpected(ok.error()));
                              me->send_request(value, std::move(next));
                          });
        });
}

} // namespace nym::credentials
