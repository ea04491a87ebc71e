// ClientCore: acknowledgements, ack timers and retransmission (docs/protocol/client.md
// "Acknowledgements and retransmission").
#include <client/core_impl.hpp>

namespace nym::client {

Nanos ClientCore::Impl::backed_off(Nanos base, std::uint32_t retransmissions) {
    const Nanos cap = std::max<Nanos>(base, MAX_ACK_TIMEOUT);
    Nanos wait = base;
    for (std::uint32_t i = 0; i < std::min(retransmissions, MAX_BACKOFF_SHIFT) && wait < cap; ++i) wait *= 2;
    return std::min(wait, cap);
}

void ClientCore::Impl::arm_timer(std::uint64_t ack_id, PendingFragment& f, TimePoint deadline) {
    f.timer_armed = true;
    ++f.timer_generation;
    timers.push(Timer{deadline, ack_id, f.timer_generation});
}

void ClientCore::Impl::fail_message(MessageId id, std::string reason) {
    auto it = outgoing.find(id);
    if (it == outgoing.end()) return;
    for (std::uint64_t ack_id : it->second.ack_ids) {
        auto f = pending.find(ack_id);
        if (f == pending.end()) continue;
        leave_flight(f->second);
        pending.erase(f);
    }
    outgoing.erase(it);
    ++stats.messages_failed;
    events.emplace_back(MessageFailed{id, std::move(reason)});
}

void ClientCore::Impl::process_timers(TimePoint now) {
    while (!timers.empty() && timers.top().deadline <= now) {
        const Timer t = timers.top();
        timers.pop();
        auto it = pending.find(t.ack_id);
        if (it == pending.end() || !it->second.timer_armed || it->second.timer_generation != t.generation) continue;
        PendingFragment& f = it->second;
        f.timer_armed = false;
        if (f.parked) {
            retransmit_queue.push_back(t.ack_id);
            continue;
        }
        leave_flight(f);
        on_loss();
        if (f.has_route) strike(f.route, now);
        if (config.max_retransmissions && f.retransmissions >= *config.max_retransmissions) {
            fail_message(f.message, "no acknowledgement after " + std::to_string(f.retransmissions) + " retransmissions");
            continue;
        }
        ++f.retransmissions;
        retransmit_queue.push_back(t.ack_id);
    }
}

void ClientCore::Impl::on_ack(std::uint64_t ack_id, TimePoint now) {
    if (ack_id == format::UNTRACKED_ACK_ID) {
        ++stats.cover_acks_received;
        return;
    }
    auto it = pending.find(ack_id);
    if (it == pending.end()) {
        ++stats.unknown_acks;
        return;
    }
    ++stats.acks_received;
    leave_flight(it->second);
    window = std::min(max_window(), window + 1);
    if (it->second.has_route) credit(it->second.route, now);
    const MessageId id = it->second.message;
    pending.erase(it);
    auto msg = outgoing.find(id);
    if (msg == outgoing.end()) return;
    if (--msg->second.unacked == 0) {
        outgoing.erase(msg);
        ++stats.messages_delivered;
        events.emplace_back(MessageDelivered{id});
    }
}

std::uint64_t ClientCore::Impl::allocate_ack_id() {
    for (;;) {
        const std::uint64_t id = next_ack_id;
        next_ack_id = next_ack_id >= format::MAX_ACK_ID ? 1 : next_ack_id + 1;
        if (pending.count(id) == 0) return id;
    }
}

} // namespace nym::client
