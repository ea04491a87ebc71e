#pragma once
// nym-socks5-client's files: the mixnet client's own (client/config.hpp, socket type none) under
// $HOME/.nym/socks5-clients/<id>/, plus config/socks5.toml for the proxy:
//   provider = "<identity>@<gateway>"    # the network requester
//   port = 1080                          # the SOCKS port on 127.0.0.1
//   window = 131072                      # bytes per stream in flight towards the application
//   requester_timeout = "20s"            # silence that resets the streams

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <node/config_file.hpp>
#include <string>
#include <string_view>

namespace nym::socks5 {

inline constexpr std::string_view PROXY_ROLE_FOLDER = "socks5-clients";
inline constexpr std::string_view PROXY_FILE_NAME = "socks5.toml";
inline constexpr int DEFAULT_SOCKS_PORT = 1080;

struct ProxyFile {
    std::string provider;
    int port = DEFAULT_SOCKS_PORT;
    std::uint32_t window = 128 * 1024;
    std::chrono::milliseconds requester_timeout{20000};
};

/// <root>/<id>/config/socks5.toml
[[nodiscard]] std::filesystem::path proxy_file_path(const std::filesystem::path& root, std::string_view id);
[[nodiscard]] node::ConfigResult<ProxyFile> load_proxy_file(const std::filesystem::path& path);
[[nodiscard]] node::ConfigResult<void> save_proxy_file(const ProxyFile& file, const std::filesystem::path& path);

} // namespace nym::socks5
