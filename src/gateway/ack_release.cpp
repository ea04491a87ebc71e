#include <gateway/ack_release.hpp>
#include <gateway/errors.hpp>

namespace nym::gateway {

CommitOutcome commit_then_release(std::vector<HeldMessage> held, const CommitFunction& commit) {
    CommitOutcome outcome{{}, ReleasedAcks{}};
    if (held.empty()) return outcome;
    std::vector<IncomingMessage> messages;
    messages.reserve(held.size());
    for (const HeldMessage& h : held) messages.push_back(h.message);

    outcome.ids = commit(messages);
    // The commit has returned: from here on, what it stored is durable.
    if (outcome.ids.size() != held.size()) {
        outcome.ids.assign(held.size(), Expected<std::uint64_t>(fail(Errc::database_error)));
        return outcome;
    }
    for (std::size_t i = 0; i < held.size(); ++i) {
        if (outcome.ids[i] && held[i].ack) outcome.acks.m_acks.push_back(std::move(*held[i].ack));
    }
    return outcome;
}

} // namespace nym::gateway
