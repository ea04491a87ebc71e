// ClientCore: the congestion window (docs/protocol/client.md "Congestion control").
#include <client/core_impl.hpp>

namespace nym::client {

void ClientCore::Impl::leave_flight(PendingFragment& f) {
    if (!f.in_flight) return;
    f.in_flight = false;
    --in_flight;
}

/// A timeout halves the window, every timeout: a burst of them (a queue that overflowed or
/// delays packets past the timeout) shrinks it to the floor at once, and acks (+1 each) grow it
/// back about twice per round trip once packets get through again.
void ClientCore::Impl::on_loss() {
    window = std::max(MIN_WINDOW, window / 2);
    ++stats.window_reductions;
}

} // namespace nym::client
