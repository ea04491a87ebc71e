#pragma once
// The gateway's durable store (docs/protocol/gateway.md "Storage"): messages waiting for their client,
// the registered clients' shared keys and the Sphinx replay tags of stored packets, in one SQLite database.
//
// Durability: WAL journal with synchronous=FULL, so store() returns only after its transaction is
// fsynced; a message whose store() returned survives a crash or power loss. A message is deleted only
// by ack() (its owner acknowledged it) or expire() (older than the configured age).
//
// Secrecy: the file holds the clients' shared keys. It is created mode 0600 (SQLite gives its -wal and
// -shm files the same mode), an existing file with looser permissions is tightened to 0600, and
// secure_delete is on so deleted messages are overwritten.
//
// Health: open() refuses a damaged file (PRAGMA quick_check) with Errc::database_corrupt; the WAL is
// kept to 64 MiB after checkpoints (journal_size_limit); a free-space reserve (StoreLimits) keeps
// deletions possible on a filling disk. Every failure returns an error and leaves SQLite's words for
// it in last_error() for the caller's log.
//
// Thread safety: every call takes an internal mutex; one MessageStore may be shared by threads.

#include <gateway/client_registry.hpp>
#include <sphinx/types.hpp>
#include <util/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nym::gateway {

inline constexpr std::size_t MESSAGE_RETRIEVAL_LIMIT = 100; ///< messages per fetch_batch, as in Nym's gateway

struct StoreLimits {
    std::uint64_t max_messages_per_client = 10'000;
    std::uint64_t max_bytes_per_client = 64ull * 1024 * 1024;
    std::size_t max_message_size = wire::gateway::MAX_DELIVER_SIZE;
    /// Free space kept on the database's file system: below it, stores and registrations are refused
    /// (Errc::low_disk_space) so that deletions, which need a little space themselves, still work and
    /// the store never wedges on a full disk. 0 = no reserve.
    std::uint64_t min_free_bytes = 64ull * 1024 * 1024;
};

struct StoredMessage {
    std::uint64_t id = 0;
    std::vector<std::uint8_t> content;
    UnixSeconds received_at{};
};

/// One message to store, for store_batch.
struct IncomingMessage {
    ClientAddress client;
    std::span<const std::uint8_t> content;
    UnixSeconds received_at{};
};

struct ClientUsage {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    friend bool operator==(const ClientUsage&, const ClientUsage&) = default;
};

class MessageStore final : public ClientRegistry {
public:
    /// Opens (creating when absent) the database at `path` and its schema. Errc::database_error,
    /// Errc::database_corrupt (quick_check failed, or not a database), Errc::insecure_permissions.
    [[nodiscard]] static Expected<std::unique_ptr<MessageStore>> open(const std::filesystem::path& path,
                                                                      StoreLimits limits = {});
    ~MessageStore() override;
    MessageStore(const MessageStore&) = delete;
    MessageStore& operator=(const MessageStore&) = delete;

    /// Stores one message for `client` and returns its id (increasing, never reused) once committed.
    /// Errc::message_too_large, Errc::quota_exceeded_count, Errc::quota_exceeded_bytes (nothing stored),
    /// Errc::database_error.
    [[nodiscard]] Expected<std::uint64_t> store(const ClientAddress& client, std::span<const std::uint8_t> message,
                                                UnixSeconds received_at);
    /// Group commit: each message is checked and stored as by store(), all in one transaction and
    /// so one fsync (a durable store costs one disk flush, ~5 ms on the CI disk; a batch of 100
    /// costs about the same). One result per message, in order, valid once the call returned. A
    /// database failure fails every message of the batch (nothing is committed). The batch's
    /// Sphinx replay tags are recorded (seen at `seen_at`) in the same transaction.
    [[nodiscard]] std::vector<Expected<std::uint64_t>> store_batch(std::span<const IncomingMessage> messages,
                                                                   std::span<const sphinx::ReplayTag> replay_tags = {},
                                                                   UnixSeconds seen_at = {});
    /// Whether a committed batch recorded this replay tag (and it was not forgotten since).
    [[nodiscard]] Expected<bool> replay_tag_seen(const sphinx::ReplayTag& tag);
    /// Forgets replay tags seen before `older_than`; how many.
    [[nodiscard]] Expected<std::size_t> forget_replay_tags(UnixSeconds older_than);
    /// Up to `limit` of the client's messages with id > after_id, oldest first.
    [[nodiscard]] Expected<std::vector<StoredMessage>> fetch_batch(const ClientAddress& client,
                                                                   std::size_t limit = MESSAGE_RETRIEVAL_LIMIT,
                                                                   std::uint64_t after_id = 0);
    /// Deletes those of `ids` that belong to `client` (others' ids and unknown ids are ignored) and
    /// returns how many were deleted.
    [[nodiscard]] Expected<std::size_t> ack(const ClientAddress& client, std::span<const std::uint64_t> ids);
    /// Deletes every message received before `older_than`; returns how many.
    [[nodiscard]] Expected<std::size_t> expire(UnixSeconds older_than);
    [[nodiscard]] Expected<ClientUsage> usage(const ClientAddress& client);
    [[nodiscard]] Expected<std::uint64_t> count(const ClientAddress& client);

    /// Records an accepted authentication at `at` (the client-signed timestamp); true when it was newer
    /// than the one recorded (it is then the new lower bound), false when not (a replay).
    [[nodiscard]] Expected<bool> record_authentication(const ClientAddress& client, UnixSeconds at);
    /// Inserts or replaces the client's registration (the handshake's policy decides whether to call
    /// it); a new key starts with no authentication recorded.
    [[nodiscard]] Expected<void> register_client(const RegisteredClient& client);
    [[nodiscard]] Expected<std::optional<RegisteredClient>> find_client(const ClientAddress& address) override;
    /// Deletes the registrations never used: registered before `registered_before`, never
    /// authenticated since, with no stored message, and not in `keep` (the clients connected now).
    /// How many.
    [[nodiscard]] Expected<std::size_t> expire_unused_registrations(UnixSeconds registered_before,
                                                                    std::span<const ClientAddress> keep);
    /// Every registered client's address (for the directory heartbeat), in address order.
    [[nodiscard]] Expected<std::vector<ClientAddress>> registered_clients();

    /// SQLite's description of the last failure ("database or disk is full"), for logs.
    [[nodiscard]] std::string last_error() const;

    const StoreLimits& limits() const noexcept { return m_limits; }

private:
    struct Impl;
    MessageStore(std::unique_ptr<Impl> impl, StoreLimits limits) noexcept;

    std::unique_ptr<Impl> m_impl;
    StoreLimits m_limits;
};

} // namespace nym::gateway
