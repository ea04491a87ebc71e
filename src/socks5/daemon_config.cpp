#include <client/config.hpp>

#include <socks5/daemon_config.hpp>

namespace nym::socks5 {

std::filesystem::path proxy_file_path(const std::filesystem::path& root, std::string_view id) {
    return node::config_path(root, id).parent_path() / PROXY_FILE_NAME;
}

node::ConfigResult<ProxyFile> load_proxy_file(const std::filesystem::path& path) {
    auto text = node::read_text_file(path, node::MAX_CONFIG_FILE_SIZE);
    if (!text) return Unexpected(text.error());
    auto doc = node::ConfigDocument::parse(*text);
    if (!doc) return Unexpected(doc.error());
    ProxyFile f;
    NYM_CONFIG_READ(f.provider, doc->string("provider"));
    std::int64_t port = 0, window = 0;
    NYM_CONFIG_READ(port, doc->integer_in_or("port", 0, 65535, DEFAULT_SOCKS_PORT));
    NYM_CONFIG_READ(window, doc->integer_in_or("window", 16 * 1024, 16 * 1024 * 1024, f.window));
    f.port = static_cast<int>(port);
    f.window = static_cast<std::uint32_t>(window);
    std::string timeout;
    NYM_CONFIG_READ(timeout, doc->string_or("requester_timeout", "20s"));
    const auto parsed = client::parse_duration(timeout);
    if (!parsed || *parsed < std::chrono::seconds(1))
        return node::config_fail(node::ConfigErrc::invalid_value, "requester_timeout (a duration of at least 1s)");
    f.requester_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
    return f;
}

node::ConfigResult<void> save_proxy_file(const ProxyFile& f, const std::filesystem::path& path) {
    const std::string text =
        "# nym-socks5-client: the SOCKS proxy in front of this mixnet client (config.toml beside it).\n"
        "# The network requester that opens the connections (its address, identity@gateway).\n"
        "provider = " +
        node::toml_quote(f.provider) +
        "\n"
        "# The SOCKS4/4a/5 port on 127.0.0.1 (0 = any free port, printed at start).\n"
        "port = " +
        std::to_string(f.port) +
        "\n"
        "# Bytes per stream the requester may send ahead of what the application has read.\n"
        "window = " +
        std::to_string(f.window) +
        "\n"
        "# With streams open, a requester silent this long is taken for gone: the streams are reset.\n"
        "requester_timeout = " +
        node::toml_quote(client::format_duration(f.requester_timeout)) + "\n";
    return node::write_file_atomically(path, text);
}

} // namespace nym::socks5
