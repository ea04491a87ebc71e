#include <client/config.hpp>

#include <requester/config.hpp>

namespace nym::requester {
namespace {

node::ConfigResult<std::chrono::milliseconds> duration(const node::ConfigDocument& doc, std::string_view key,
                                                       std::chrono::milliseconds fallback) {
    auto text = doc.string_or(key, client::format_duration(fallback));
    if (!text) return Unexpected(text.error());
    const auto parsed = client::parse_duration(*text);
    if (!parsed || parsed->count() == 0)
        return node::config_fail(node::ConfigErrc::invalid_value, std::string(key) + " (a positive duration)");
    return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

} // namespace

std::filesystem::path requester_file_path(const std::filesystem::path& root, std::string_view id) {
    return node::config_path(root, id).parent_path() / FILE_NAME;
}

node::ConfigResult<RequesterFile> load_requester_file(const std::filesystem::path& path) {
    auto text = node::read_text_file(path, node::MAX_CONFIG_FILE_SIZE);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    RequesterFile f;
    std::string allow;
    NYM_CONFIG_READ(allow, doc->string_or("allow_list", std::string(DEFAULT_ALLOW_LIST)));
    f.allow_list = node::resolve_path(path.parent_path(), allow);
    std::int64_t n = 0;
    NYM_CONFIG_READ(n, doc->integer_in_or("max_streams", 1, 1'000'000, 1024));
    f.max_streams = static_cast<std::size_t>(n);
    NYM_CONFIG_READ(n, doc->integer_in_or("max_streams_per_client", 1, 1'000'000, 128));
    f.max_streams_per_client = static_cast<std::size_t>(n);
    NYM_CONFIG_READ(f.connect_timeout, duration(*doc, "connect_timeout", f.connect_timeout));
    NYM_CONFIG_READ(f.idle_timeout, duration(*doc, "idle_timeout", f.idle_timeout));
    return f;
}

node::ConfigResult<void> save_requester_file(const RequesterFile& f, const std::filesystem::path& path) {
    const std::filesystem::path allow = f.allow_list.empty() ? path.parent_path() / DEFAULT_ALLOW_LIST : f.allow_list;
    const std::string text =
        "# nym-network-requester: which connections this requester opens for SOCKS clients.\n"
        "# The allow-list: one host:port pattern a line (example.com:443, *.example.com:443, host:*,\n"
        "# 10.0.0.0/8:80, [::1]:8080). Nothing else is allowed. Relative to this folder.\n"
        "allow_list = " +
        node::toml_quote(allow.string()) +
        "\n"
        "# Open streams in all, and per client.\n"
        "max_streams = " +
        std::to_string(f.max_streams) +
        "\n"
        "max_streams_per_client = " +
        std::to_string(f.max_streams_per_client) +
        "\n"
        "# A destination that does not accept the connection in this time is reported as timed out.\n"
        "connect_timeout = " +
        node::toml_quote(client::format_duration(f.connect_timeout)) +
        "\n"
        "# A stream with no byte either way for this long is reset.\n"
        "idle_timeout = " +
        node::toml_quote(client::format_duration(f.idle_timeout)) + "\n";
    if (auto written = node::write_file_atomically(path, text); !written) return written;
    std::error_code ec;
    if (!std::filesystem::exists(allow, ec))
        return node::write_file_atomically(
            allow, "# Destinations this network requester connects to, one host:port pattern a line.\n"
                   "# Nothing is allowed unless listed here. Examples:\n"
                   "#   example.com:443\n#   *.wikipedia.org:443\n#   127.0.0.1:8000\n");
    return {};
}

} // namespace nym::requester
