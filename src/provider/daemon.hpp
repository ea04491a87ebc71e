#pragma once
// The running dummy service provider: an HTTP/JSON endpoint that takes a credential spend bound to
// this provider, checks it locally, refuses a zeta it has seen or the ledger does not report as
// unspent, deposits it on the ledger, waits (at most spend_timeout) for the verifiers' decision and
// answers true or false (docs/protocol/credentials.md §5).

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <memory>
#include <provider/config.hpp>
#include <string>

namespace nym::provider {

class Daemon {
public:
    Daemon(runtime::Loop& loop, Config config, Keys keys);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Listens; the bound port, or why not.
    [[nodiscard]] Expected<std::uint16_t, std::string> start();
    [[nodiscard]] std::string address() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::provider
