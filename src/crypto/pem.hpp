#pragma once
// PEM files holding raw key bytes: "-----BEGIN <LABEL>-----", base64 body in 64-column lines,
// "-----END <LABEL>-----". Secret files are created with mode 0600 and replaced atomically.

#include <util/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nym::crypto {

inline constexpr std::size_t PEM_MAX_FILE_SIZE = 64 * 1024;

struct PemBlock {
    std::string label;
    std::vector<std::uint8_t> body;
};

[[nodiscard]] std::string pem_encode(std::string_view label, std::span<const std::uint8_t> body);
/// Parses the first block; Errc::invalid_pem on missing armour, mismatched END label or bad base64.
[[nodiscard]] Expected<PemBlock> pem_decode(std::string_view text);

enum class FileSecrecy { public_file, secret_file };

/// Writes to a temporary file in the same folder, fsyncs it and renames it into place; a secret
/// file is created 0600 from the start (never briefly world-readable). Parent folders are created.
[[nodiscard]] Expected<void> write_pem_file(const std::filesystem::path& path, std::string_view label,
                                            std::span<const std::uint8_t> body, FileSecrecy secrecy);
/// Reads one block and checks its label. For secret_file, refuses a file readable by group or others.
[[nodiscard]] Expected<PemBlock> read_pem_file(const std::filesystem::path& path, std::string_view expected_label,
                                               FileSecrecy secrecy);

} // namespace nym::crypto
