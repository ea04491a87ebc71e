#pragma once
// nymclient's driver: the steps of the credential sequence on a runtime::Loop, each reported by name
// as it happens — connect to the Nym ledger, (pipe tokens in), request a credential, fetch partial
// credentials, unblind, aggregate, re-randomize, spend at the provider, the provider's answer. The
// cryptography is credentials/credential.hpp; this file only talks to the ledger (chain::RpcClient),
// the issuers and the provider (runtime::HttpClient), and keeps the wallet file.

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <credentials/config.hpp>
#include <credentials/credential.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <wire/credentials.hpp>

namespace nym::credentials {

/// One step done (or failed), for the log and for --json.
struct Step {
    std::string name; ///< the step's name: "connect to the Nym ledger", "request credential", ...
    bool ok = true;
    std::string detail;                                     ///< what happened, in words
    std::vector<std::pair<std::string, std::string>> facts; ///< key/value pairs for --json
    std::int64_t at_ms = 0; ///< when it was done, in milliseconds since the client was made
};

/// Moving `amount` tokens into the ledger account (the Ethereum pipe: credentials/daemon_pipe.hpp).
/// It reports its steps through `report` (on the loop's thread) and calls `done` there once the
/// ledger has credited them, or with why not. Unset: the balance comes from genesis, and a short
/// balance is an error.
using PipeTokens = std::function<void(std::uint64_t amount, std::function<void(Step)> report,
                                      std::function<void(Expected<void, std::string>)> done)>;

struct ClientHooks {
    std::function<void(const Step&)> on_step; ///< every step, as it is done
    PipeTokens pipe_tokens;                   ///< ethereum_pipe() when the config has [ethereum]
};

/// What the ledger says at connection time.
struct LedgerView {
    std::string chain_id;
    std::uint64_t height = 0;
    std::uint64_t balance = 0;
    std::uint64_t nonce = 0;
    IssuerSet issuers;
};

/// The outcome of a whole run, or of a spend.
struct SpendResult {
    std::string credential; ///< its id
    wire::credentials::SpendAnswer answer;
};

class Client {
public:
    template <class T>
    using Done = std::function<void(Expected<T, std::string>)>;

    Client(runtime::Loop& loop, Config config, crypto::Secp256k1SecretKey account, ClientHooks hooks = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Reads the wallet file (a missing file is an empty wallet).
    [[nodiscard]] Expected<void, std::string> open_wallet();
    [[nodiscard]] const std::vector<Credential>& wallet() const noexcept;
    [[nodiscard]] std::string address() const;

    /// The chain, the account and the issuers. `need_issuers` false (the balance, the pipe): a chain
    /// that lists no usable issuers is no error (the view's issuer set is empty).
    void connect(Done<LedgerView> done, bool need_issuers = true);
    /// connect, pipe `amount` tokens in, wait until the ledger credited them; the new balance.
    /// Fails without a pipe hook.
    void pipe(std::uint64_t amount, Done<std::uint64_t> done);
    /// connect, pipe tokens if needed, request a credential of `value` and wait until committed.
    void request(std::uint64_t value, Done<std::string> done);
    /// Collects the partial credentials of a requested credential (by id; empty: the latest
    /// requested), unblinds, aggregates.
    void fetch(std::string id, Done<std::string> done);
    /// Re-randomizes and spends an issued credential (by id; empty: the oldest issued) at the
    /// configured provider.
    void spend(std::string id, Done<SpendResult> done);
    /// The whole sequence with a fresh credential of the configured value: with a pipe hook, pipe
    /// that value in first ("Piping currency into Nym"), else pay from the balance.
    void run(Done<SpendResult> done);

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::credentials
