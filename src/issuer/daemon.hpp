#pragma once
// The running issuer: follows the ledger's committed blocks from the last height it finished,
// blind-signs every credential request on the loop's workers, commits each block's answers (with
// the new processed height) on a Serial, and serves the committed answers over HTTP/JSON
// (docs/protocol/credentials.md §3).

#include <runtime/loop.hpp>
#include <util/expected.hpp>

#include <cstdint>
#include <issuer/config.hpp>
#include <memory>
#include <string>

namespace nym::issuer {

struct DaemonOptions {
    std::size_t prefetch = 4;           ///< blocks fetched ahead of the last committed one
    std::size_t max_commit_blocks = 64; ///< blocks written in one transaction at most
};

class Daemon {
public:
    Daemon(runtime::Loop& loop, Config config, Keys keys, DaemonOptions options = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Opens the store, listens, and starts following the chain. The bound port, or why not.
    [[nodiscard]] Expected<std::uint16_t, std::string> start();
    /// The last height whose answers are committed (I/O thread).
    [[nodiscard]] std::uint64_t processed_height() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

} // namespace nym::issuer
