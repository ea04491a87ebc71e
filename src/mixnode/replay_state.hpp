#pragma once
// Sphinx key epochs and the replay state that survives restarts (docs/protocol/framing.md
// "Replay protection").
//
// Replay tags are only comparable under one Sphinx key, and a filter can only forget what its key
// can no longer open. So the key rotates with the filter epoch: the node holds the current key, the
// previous one (accepted for one more epoch — the grace period for packets built from an older
// topology) and the next one (generated ahead and announced in the heartbeat). At each rotation
// previous := current, current := next, next := a fresh key, and the filters rotate with them; a
// packet for any older key no longer opens (bad_mac), so no tag older than the previous filter can
// matter.
//
// The keys and both filters are saved together in one file (<data>/replay_state.bin, mode 0600, an
// atomic write) at every rotation and at shutdown, and loaded at start, so a packet replayed after a
// restart is still caught. A damaged file is refused: starting with an empty filter under the same
// keys would accept replays. The only way to a fresh filter is a fresh key set (reset).
//
// File layout (little-endian), followed by the SHA-256 of everything before it:
//   "NYMRPL02" | epoch u64 | started_unix i64 | epoch_secs u64 | has_previous u8 |
//   current key 32 | previous key 32 (zeros if none) | next key 32 |
//   per filter (current, then previous): layout u8 (0 classic, 1 blocked) | bits u64 | hash_count u64 |
//     present u8 | salt 2×u64 | inserted u64 | [bits/64 × u64 if present]
// Version 1 ("NYMRPL01", written before the blocked layout) had one `bits u64 | hash_count u64` after
// the keys for both filters, which were classic, and no layout byte. It is still read: its filters
// keep serving (classic) until they rotate away — the next rotation adds a blocked filter, the one
// after it drops the last classic one — and the next save writes version 2.

#include <crypto/rng.hpp>
#include <crypto/x25519.hpp>
#include <mixnode/config.hpp>
#include <mixnode/replay_filter.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <node/config_file.hpp>
#include <optional>
#include <span>
#include <string>

namespace nym::mixnode {

struct EpochKeys {
    std::uint64_t epoch = 0;       ///< number of the current key epoch (0 at init)
    std::int64_t started_unix = 0; ///< wall-clock second at which the current epoch began
    crypto::X25519SecretKey current;
    std::optional<crypto::X25519SecretKey> previous;
    crypto::X25519SecretKey next;

    /// Epoch 0 starting at `now_unix` with `current` and a fresh next key.
    [[nodiscard]] static EpochKeys first(const crypto::X25519SecretKey& current, std::int64_t now_unix,
                                         crypto::Rng& rng);
    /// previous := current, current := next, next := fresh; the new epoch began at `started_unix`.
    void rotate(std::int64_t started_unix, crypto::Rng& rng);
};

/// The keys, shared by the workers (snapshot) and the I/O thread (rotate). Thread-safe.
class KeyRing {
public:
    explicit KeyRing(EpochKeys keys) : m_keys(std::make_shared<const EpochKeys>(std::move(keys))) {}
    [[nodiscard]] std::shared_ptr<const EpochKeys> snapshot() const {
        const std::lock_guard lock(m_mutex);
        return m_keys;
    }
    void replace(EpochKeys keys) {
        auto fresh = std::make_shared<const EpochKeys>(std::move(keys));
        const std::lock_guard lock(m_mutex);
        m_keys = std::move(fresh);
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const EpochKeys> m_keys;
};

/// What replay_state.bin holds.
struct ReplayState {
    EpochKeys keys;
    std::unique_ptr<ReplayFilter> filter;
    /// open_replay_state() found that the node had not stopped cleanly: its filters missed what it
    /// forwarded since the last save, so both keys they served were rotated away.
    bool recovered = false;
};

/// `<state file>.running`: present while a node runs (open_replay_state() creates it, a clean
/// shutdown removes it after the last save); found at start, it means the node crashed.
[[nodiscard]] std::filesystem::path running_marker(const std::filesystem::path& state_file);

/// The file's bytes (version 2); `filter` may be null (both filters empty with `params`, e.g. right
/// after init).
[[nodiscard]] std::string encode_replay_state(const EpochKeys& keys, std::chrono::seconds epoch,
                                              const ReplayFilter* filter, const BloomParameters& params);
/// Parses a saved state (version 1 or 2) for filters sized by `config`. The error says what is wrong.
[[nodiscard]] Expected<ReplayState, std::string>
decode_replay_state(std::span<const std::uint8_t> bytes, const ReplayFilterConfig& config, crypto::Rng& rng);

/// Writes the state atomically, mode 0600.
[[nodiscard]] node::ConfigResult<void> save_replay_state(const std::filesystem::path& path, const std::string& bytes);
/// Loads the state; a missing or damaged file is a ConfigErrc::key_error that says how to start
/// afresh (with a new Sphinx key).
[[nodiscard]] node::ConfigResult<ReplayState> load_replay_state(const std::filesystem::path& path,
                                                                const ReplayFilterConfig& config, crypto::Rng& rng);

/// The state `run` starts from: config.replay_state_file, or with `reset` a new key set (epoch 0
/// from `now_unix`, a new current and next Sphinx key) and empty filters, saved before use. A node
/// whose config predates key epochs (and so never saved a state) starts epoch 0 with `init_key`,
/// its key from `init`, as it always did. After a crash (the running marker is still there) the
/// keys rotate twice, with empty filters: packets for the keys whose filters may be incomplete no
/// longer open, so none of them can be replayed. Creates the running marker.
[[nodiscard]] node::ConfigResult<ReplayState> open_replay_state(const Config& config,
                                                                const crypto::X25519SecretKey& init_key, bool reset,
                                                                std::int64_t now_unix, crypto::Rng& rng);

} // namespace nym::mixnode
