// ClientCore: the congestion window (docs/protocol/client.md "Congestion control").
#include <client/core_impl.hpp>

namespace nym::client {

void ClientCore::Impl::leave_flight(PendingFragment& f) {
    if (!f.in_flight) return;
    f.in_flight = false;
    --in_flight;
}

void ClientCore::Impl::on_loss() {
    window = std::max(MIN_WINDOW, window / 2);
    ++stats.window_reductions;
}

} // namespace nym::client
