#pragma once
// nym-network-requester's files: the mixnet client's own (client/config.hpp, socket type none) under
// $HOME/.nym/network-requesters/<id>/, plus config/requester.toml:
//   allow_list = "allowed.list"          # host:port patterns (socks5/allow_list.hpp), relative to config/
//   max_streams = 1024                   # open streams in all
//   max_streams_per_client = 128
//   connect_timeout = "10s"
//   idle_timeout = "5m"
// and the allow-list itself (written empty by init: nothing is allowed until a line says so).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <node/config_file.hpp>
#include <string_view>

namespace nym::requester {

inline constexpr std::string_view ROLE_FOLDER = "network-requesters";
inline constexpr std::string_view FILE_NAME = "requester.toml";
inline constexpr std::string_view DEFAULT_ALLOW_LIST = "allowed.list";

struct RequesterFile {
    std::filesystem::path allow_list; ///< absolute once loaded
    std::size_t max_streams = 1024;
    std::size_t max_streams_per_client = 128;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds idle_timeout{300000};
};

[[nodiscard]] std::filesystem::path requester_file_path(const std::filesystem::path& root, std::string_view id);
[[nodiscard]] node::ConfigResult<RequesterFile> load_requester_file(const std::filesystem::path& path);
/// Writes requester.toml and, when it does not exist yet, an allow-list that allows nothing.
[[nodiscard]] node::ConfigResult<void> save_requester_file(const RequesterFile& file,
                                                           const std::filesystem::path& path);

} // namespace nym::requester
