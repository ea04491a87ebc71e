#include <crypto/hash.hpp>
#include <crypto/secret.hpp>
#include <mixnode/replay_state.hpp>

#include <algorithm>
#include <bit>
#include <cstring>

namespace nym::mixnode {
namespace {

constexpr std::string_view MAGIC_V1 = "NYMRPL01";
constexpr std::string_view MAGIC = "NYMRPL02";
static_assert(MAGIC.size() == MAGIC_V1.size());

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_bytes(std::string& out, std::span<const std::uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
/// Many u64, little-endian (tens of megabytes of filter: one copy where the host is little-endian).
void put_words(std::string& out, std::span<const std::uint64_t> words) {
    if constexpr (std::endian::native == std::endian::little) {
        out.append(reinterpret_cast<const char*>(words.data()), words.size_bytes());
    } else {
        for (const std::uint64_t word : words) put_u64(out, word);
    }
}
void put_filter(std::string& out, const BloomFilter* filter, const BloomParameters& params) {
    const BloomParameters& p = filter != nullptr ? filter->parameters() : params;
    out.push_back(static_cast<char>(p.layout));
    put_u64(out, p.bits);
    put_u64(out, p.hash_count);
    out.push_back(filter != nullptr && filter->inserted() != 0 ? '\1' : '\0');
    const std::array<std::uint64_t, 2> no_salt{};
    const auto& salt = filter != nullptr ? filter->salt() : no_salt;
    put_u64(out, salt[0]);
    put_u64(out, salt[1]);
    put_u64(out, filter != nullptr ? filter->inserted() : 0);
    if (filter == nullptr || filter->inserted() == 0) return;
    put_words(out, filter->words());
}

/// Reads fields off the front of a buffer; any overrun makes ok() false.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    bool take(std::span<std::uint8_t> out) {
        if (m_bytes.size() < out.size()) return m_ok = false;
        std::memcpy(out.data(), m_bytes.data(), out.size());
        m_bytes = m_bytes.subspan(out.size());
        return true;
    }
    std::uint64_t u64() {
        std::array<std::uint8_t, 8> b{};
        if (!take(b)) return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(b[static_cast<std::size_t>(i)]) << (8 * i);
        return v;
    }
    std::uint8_t u8() {
        std::array<std::uint8_t, 1> b{};
        take(b);
        return b[0];
    }
    crypto::X25519SecretKey key() {
        std::array<std::uint8_t, 32> raw{};
        take(raw);
        auto key = crypto::X25519SecretKey::from_bytes(raw);
        crypto::secure_wipe(raw.data(), raw.size());
        return key;
    }
    bool words(std::span<std::uint64_t> out) {
        if (m_bytes.size() / 8 < out.size()) return m_ok = false;
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(out.data(), m_bytes.data(), out.size_bytes());
            m_bytes = m_bytes.subspan(out.size_bytes());
        } else {
            for (auto& word : out) word = u64();
        }
        return true;
    }
    [[nodiscard]] bool ok() const noexcept { return m_ok; }
    [[nodiscard]] std::size_t left() const noexcept { return m_bytes.size(); }

private:
    std::span<const std::uint8_t> m_bytes;
    bool m_ok = true;
};

std::unique_ptr<BloomFilter> read_filter(Reader& in, const BloomParameters& params, crypto::Rng& rng) {
    const bool present = in.u8() != 0;
    const std::array<std::uint64_t, 2> salt{in.u64(), in.u64()};
    const std::uint64_t inserted = in.u64();
    if (!present) return std::make_unique<BloomFilter>(params, rng); // empty: a fresh salt is as good
    std::vector<std::uint64_t> words(static_cast<std::size_t>(params.bits / 64));
    in.words(words);
    return std::make_unique<BloomFilter>(params, salt, inserted, words);
}

std::string size_mismatch(std::uint64_t bits, std::uint64_t hash_count, const BloomParameters& wanted) {
    return "its filters have " + std::to_string(bits) + " bits and k = " + std::to_string(hash_count) +
           ", the config now asks for " + std::to_string(wanted.bits) + " bits and k = " +
           std::to_string(wanted.hash_count) + " (restore [replay_protection] as it was)";
}

/// Version 2: each filter names its layout and size, which must be what `config` gives that layout.
Expected<std::unique_ptr<BloomFilter>, std::string> read_filter_v2(Reader& in, const ReplayFilterConfig& config,
                                                                   crypto::Rng& rng) {
    const std::uint8_t layout = in.u8();
    const std::uint64_t bits = in.u64();
    const std::uint64_t hash_count = in.u64();
    if (!in.ok()) return Unexpected(std::string("truncated"));
    if (layout != static_cast<std::uint8_t>(BloomLayout::classic) &&
        layout != static_cast<std::uint8_t>(BloomLayout::blocked))
        return Unexpected("unknown filter layout " + std::to_string(layout));
    const auto params =
        BloomParameters::of(static_cast<BloomLayout>(layout), config.expected_packets_per_epoch, config.fp_rate);
    if (bits != params.bits || hash_count != params.hash_count) return Unexpected(size_mismatch(bits, hash_count, params));
    auto filter = read_filter(in, params, rng);
    if (!in.ok()) return Unexpected(std::string("truncated filter"));
    return filter;
}

} // namespace

EpochKeys EpochKeys::first(const crypto::X25519SecretKey& current, std::int64_t now_unix, crypto::Rng& rng) {
    EpochKeys keys;
    keys.epoch = 0;
    keys.started_unix = now_unix;
    keys.current = current;
    keys.next = crypto::X25519SecretKey::generate(rng);
    return keys;
}

void EpochKeys::rotate(std::int64_t started, crypto::Rng& rng) {
    ++epoch;
    started_unix = started;
    previous = current;
    current = next;
    next = crypto::X25519SecretKey::generate(rng);
}

std::string encode_replay_state(const EpochKeys& keys, std::chrono::seconds epoch_length, const ReplayFilter* filter,
                                const BloomParameters& params) {
    std::string out;
    out.reserve(256 + (filter != nullptr ? filter->memory_bytes() : 0));
    out.append(MAGIC);
    put_u64(out, keys.epoch);
    put_u64(out, static_cast<std::uint64_t>(keys.started_unix));
    put_u64(out, static_cast<std::uint64_t>(epoch_length.count()));
    out.push_back(keys.previous ? '\1' : '\0');
    put_bytes(out, keys.current.bytes());
    const std::array<std::uint8_t, 32> none{};
    put_bytes(out, keys.previous ? keys.previous->bytes() : std::span<const std::uint8_t, 32>(none));
    put_bytes(out, keys.next.bytes());
    if (filter != nullptr) {
        filter->visit([&out, &params](const BloomFilter& current, const BloomFilter& previous) {
            put_filter(out, &current, params);
            put_filter(out, &previous, params);
        });
    } else {
        put_filter(out, nullptr, params);
        put_filter(out, nullptr, params);
    }
    const auto digest = crypto::sha256({reinterpret_cast<const std::uint8_t*>(out.data()), out.size()});
    put_bytes(out, digest);
    return out;
}

Expected<ReplayState, std::string> decode_replay_state(std::span<const std::uint8_t> bytes,
                                                       const ReplayFilterConfig& config, crypto::Rng& rng) {
    constexpr std::size_t DIGEST = 32;
    if (bytes.size() < MAGIC.size() + DIGEST) return Unexpected(std::string("not a replay state file"));
    const bool v1 = std::memcmp(bytes.data(), MAGIC_V1.data(), MAGIC_V1.size()) == 0;
    if (!v1 && std::memcmp(bytes.data(), MAGIC.data(), MAGIC.size()) != 0)
        return Unexpected(std::string("not a replay state file"));
    const auto body = bytes.first(bytes.size() - DIGEST);
    const auto digest = crypto::sha256(body);
    if (!std::equal(digest.begin(), digest.end(), bytes.end() - DIGEST))
        return Unexpected(std::string("checksum mismatch (damaged or truncated)"));

    Reader in(body.subspan(MAGIC.size()));
    ReplayState state;
    state.keys.epoch = in.u64();
    state.keys.started_unix = static_cast<std::int64_t>(in.u64());
    (void)in.u64(); // the epoch length it was written with (informative)
    const bool has_previous = in.u8() != 0;
    state.keys.current = in.key();
    auto previous = in.key();
    if (has_previous) state.keys.previous = previous;
    state.keys.next = in.key();
    std::unique_ptr<BloomFilter> current;
    std::unique_ptr<BloomFilter> previous_filter;
    if (v1) { // both filters classic, sized once for the file
        const auto params = BloomParameters::classic(config.expected_packets_per_epoch, config.fp_rate);
        const std::uint64_t bits = in.u64();
        const std::uint64_t hash_count = in.u64();
        if (!in.ok()) return Unexpected(std::string("truncated"));
        if (bits != params.bits || hash_count != params.hash_count)
            return Unexpected(size_mismatch(bits, hash_count, params));
        current = read_filter(in, params, rng);
        previous_filter = read_filter(in, params, rng);
        if (!in.ok()) return Unexpected(std::string("truncated filter"));
    } else {
        auto c = read_filter_v2(in, config, rng);
        if (!c) return Unexpected(c.error());
        auto p = read_filter_v2(in, config, rng);
        if (!p) return Unexpected(p.error());
        current = std::move(*c);
        previous_filter = std::move(*p);
    }
    if (in.left() != 0) return Unexpected(std::string("trailing bytes"));
    state.filter = std::make_unique<ReplayFilter>(config, rng, std::move(current), std::move(previous_filter));
    return state;
}

node::ConfigResult<void> save_replay_state(const std::filesystem::path& path, const std::string& bytes) {
    return node::write_file_atomically(path, bytes, node::FileMode::secret_file);
}

node::ConfigResult<ReplayState> load_replay_state(const std::filesystem::path& path, const ReplayFilterConfig& config,
                                                  crypto::Rng& rng) {
    const std::string remedy =
        " — refusing to start, since an empty filter under the same Sphinx keys would accept replayed packets. "
        "To start afresh with a new Sphinx key (and an empty filter), run with --reset-replay-state.";
    std::error_code ec;
    const auto perms = std::filesystem::status(path, ec).permissions();
    if (!ec && (perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
                   std::filesystem::perms::none)
        return node::config_fail(node::ConfigErrc::key_error,
                                 path.string() + ": holds secret keys but is readable by others (chmod 600 it)");
    auto text = node::read_text_file(path, 64ULL << 30);
    if (!text)
        return node::config_fail(node::ConfigErrc::key_error, path.string() + ": cannot read the replay state (" +
                                                                  text.error().message() + ")" + remedy);
    auto state = decode_replay_state({reinterpret_cast<const std::uint8_t*>(text->data()), text->size()}, config, rng);
    if (!state)
        return node::config_fail(node::ConfigErrc::key_error,
                                 path.string() + ": the replay state is unusable: " + state.error() + remedy);
    return std::move(*state);
}

std::filesystem::path running_marker(const std::filesystem::path& state_file) {
    return std::filesystem::path(state_file.string() + ".running");
}

node::ConfigResult<ReplayState> open_replay_state(const Config& config, const crypto::X25519SecretKey& init_key,
                                                  bool reset, std::int64_t now_unix, crypto::Rng& rng) {
    std::error_code ec;
    const bool upgrade =
        !reset && config.replay_state_predates && !std::filesystem::exists(config.replay_state_file, ec);
    const auto marker = running_marker(config.replay_state_file);
    if (!reset && !upgrade) {
        auto loaded = load_replay_state(config.replay_state_file, config.replay_filter_config(), rng);
        if (!loaded) return loaded;
        if (std::filesystem::exists(marker, ec)) {
            loaded->keys.rotate(now_unix, rng);
            loaded->keys.rotate(now_unix, rng);
            loaded->filter = std::make_unique<ReplayFilter>(config.replay_filter_config(), rng);
            loaded->recovered = true;
            if (auto saved = save_replay_state(
                    config.replay_state_file,
                    encode_replay_state(loaded->keys, config.replay_epoch, nullptr, loaded->filter->parameters()));
                !saved)
                return Unexpected(saved.error());
        }
        if (auto running = node::write_file_atomically(marker, "running\n"); !running)
            return Unexpected(running.error());
        return loaded;
    }
    ReplayState state{EpochKeys::first(upgrade ? init_key : crypto::X25519SecretKey::generate(rng), now_unix, rng),
                      std::make_unique<ReplayFilter>(config.replay_filter_config(), rng)};
    if (auto saved =
            save_replay_state(config.replay_state_file, encode_replay_state(state.keys, config.replay_epoch, nullptr,
                                                                            state.filter->parameters()));
        !saved)
        return Unexpected(saved.error());
    if (auto running = node::write_file_atomically(marker, "running\n"); !running) return Unexpected(running.error());
    return state;
}

} // namespace nym::mixnode
