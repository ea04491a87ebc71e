#pragma once
// The issuer's durable record (SQLite, WAL, synchronous=FULL): every credential request it has
// answered, keyed by (height, gamma), and the last height it finished. A block's answers and the
// new processed height are written in one transaction, and nothing is served before it commits,
// so after a crash at any point the issuer resumes after the last committed height and never
// serves two different answers for one request (an answer, once written, is never replaced). The
// database remembers the issuer's verification key and chain id and refuses to be used with others.
//
// Not thread-safe: the daemon calls it from one runtime::Serial.

#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nym::issuer {

using Bytes = std::vector<std::uint8_t>;
using Gamma = std::array<std::uint8_t, 48>;

/// One answered request: a blinded signature, or the reason it was refused.
struct Answer {
    std::uint64_t height = 0;
    Gamma gamma{};
    Bytes blinded_signature; ///< empty when refused
    std::string refused;     ///< why it was not signed (empty when signed)
};

/// A finished block: its answers (possibly none).
struct FinishedBlock {
    std::uint64_t height = 0;
    std::vector<Answer> answers;
};

struct StoreCounts {
    std::uint64_t issued = 0;
    std::uint64_t refused = 0;
};

class Store {
public:
    /// Opens (creating) <dir>/issuer.sqlite and checks it against this issuer's identity (the
    /// encoded verification key and the chain id). The error says what is wrong, for the operator.
    static Expected<std::unique_ptr<Store>, std::string>
    open(const std::filesystem::path& dir, const Bytes& verification_key, const std::string& chain_id);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    [[nodiscard]] std::uint64_t processed_height() const noexcept { return m_processed; }
    [[nodiscard]] StoreCounts counts() const noexcept { return m_counts; }

    /// Writes consecutive finished blocks (the first must be processed_height() + 1) and the new
    /// processed height in one synced transaction. An answer already stored is kept as it was.
    Expected<void, std::string> commit(const std::vector<FinishedBlock>& blocks);

    [[nodiscard]] Expected<std::optional<Answer>, std::string> find(std::uint64_t height, const Gamma& gamma) const;
    [[nodiscard]] Expected<std::vector<Answer>, std::string> block(std::uint64_t height) const;

private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    std::uint64_t m_processed = 0;
    StoreCounts m_counts;
};

} // namespace nym::issuer
