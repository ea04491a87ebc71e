#pragma once
// The running verifier: follows the ledger's committed blocks from the last height it finished,
// judges every credential deposit on the loop's workers, broadcasts a signed vote for each and
// waits until the vote is settled on the ledger; a height is finished (and its number persisted)
// once every vote of it is settled, so a verifier that was down catches up and votes on everything.

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <memory>
#include <string>
#include <verifier/config.hpp>

namespace nym::verifier {

class Daemon {
public:
    Daemon(runtime::Loop& loop, Config config, Keys keys);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Reads the progress and starts following. Why not, for the operator.
    [[nodiscard]] Expected<void, std::string> start();
    [[nodiscard]] std::uint64_t processed_height() const noexcept;
    [[nodiscard]] std::string address() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::verifier
