// ClientCore (core.hpp): addresses, construction and the entry points that need no other part.
// The implementation is split by concern; core_impl.hpp lists the files.
#include <client/core_impl.hpp>

#include <crypto/base58.hpp>

namespace nym::client {

// --- Addresses ---------------------------------------------------------------------------------------

std::string to_string(const Address& address) {
    return crypto::base58_encode(address.identity.bytes) + "@" + crypto::base58_encode(address.gateway.bytes);
}

namespace {

/// base58 of 32 bytes is at most 44 characters; anything much longer is refused before decoding.
constexpr std::size_t MAX_KEY_TEXT = 64;

Expected<crypto::Ed25519PublicKey> parse_identity_key(std::string_view text) {
    if (text.empty() || text.size() > MAX_KEY_TEXT) return fail(Errc::invalid_address);
    auto bytes = crypto::base58_decode(text);
    if (!bytes || bytes->size() != crypto::ED25519_PUBLIC_KEY_SIZE) return fail(Errc::invalid_address);
    crypto::Ed25519PublicKey key;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    // A key that is no point (or of small order) could never be encrypted to.
    if (!crypto::ed25519_public_to_x25519(key)) return fail(Errc::invalid_address);
    return key;
}

} // namespace

Expected<ParsedAddress> parse_address(std::string_view text) {
    const auto at = text.find('@');
    ParsedAddress parsed;
    if (at == std::string_view::npos) {
        auto identity = parse_identity_key(text);
        if (!identity) return Unexpected(identity.error());
        parsed.identity = *identity;
        return parsed;
    }
    if (text.find('@', at + 1) != std::string_view::npos) return fail(Errc::invalid_address);
    auto identity = parse_identity_key(text.substr(0, at));
    if (!identity) return Unexpected(identity.error());
    auto gateway = parse_identity_key(text.substr(at + 1));
    if (!gateway) return Unexpected(gateway.error());
    parsed.identity = *identity;
    parsed.gateway = *gateway;
    return parsed;
}

// --- The core ----------------------------------------------------------------------------------------

ClientCore::Impl::Impl(ClientKeys keys_in, Address self_in, TrafficConfig config_in, crypto::Rng& rng_in, TimePoint now)
    : keys(std::move(keys_in)), derived(format::DerivedKeys::derive(keys.identity)), self(self_in),
      config(config_in), rng(rng_in), now_seen(now), reassembler(reassembly_limits(config_in)) {
    next_main = now + poisson_gap(config.message_sending_average_delay);
    next_loop = now + poisson_gap(config.loop_cover_average_delay);
    next_gc = now + GC_INTERVAL;
    window = max_window();
}

ReassemblyLimits ClientCore::Impl::reassembly_limits(const TrafficConfig& config) {
    ReassemblyLimits limits;
    const std::size_t largest = config.max_message_size + 1 + format::SENDER_TAG_SIZE + 2 +
                                format::MAX_REPLY_SURBS * (format::REPLY_SURB_ENTRY_OVERHEAD + format::MAX_SURB_SIZE);
    limits.max_fragments = static_cast<std::uint32_t>(
        std::min<std::size_t>(format::fragment_count(largest), std::numeric_limits<std::uint32_t>::max()));
    limits.max_buffered_bytes = std::max<std::size_t>(limits.max_buffered_bytes, 2 * largest);
    limits.partial_timeout = config.reassembly_timeout;
    return limits;
}

ClientCore::ClientCore(ClientKeys keys, Address self, TrafficConfig config, crypto::Rng& rng, TimePoint now)
    : m_impl(std::make_unique<Impl>(std::move(keys), self, config, rng, now)) {}

ClientCore::~ClientCore() = default;

std::vector<Event> ClientCore::drain_events() {
    std::vector<Event> events;
    events.swap(m_impl->events);
    return events;
}

const Address& ClientCore::address() const noexcept { return m_impl->self; }

ClientStats ClientCore::stats() const {
    ClientStats s = m_impl->stats;
    s.queued_packets = m_impl->retransmit_queue.size() + m_impl->real_queue.size();
    s.unacknowledged_fragments = m_impl->pending.size();
    s.reply_surbs_stored = m_impl->surbs_stored;
    s.in_flight = m_impl->in_flight;
    s.congestion_window = m_impl->window;
    return s;
}

} // namespace nym::client
