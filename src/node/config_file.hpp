#pragma once
// What every daemon does with files: its home folder, a commented TOML config read field by field
// with errors that name the field, key files in PEM (secrets 0600, refused when readable by
// others), and atomic writes (temporary file, fsync, rename). One error type for all of it.
//
//   <root>/<id>/config/config.toml    where <root> is $HOME/.nym/<role folder> unless --root is given
//   <root>/<id>/data/...              keys and databases

#include <crypto/pem.hpp>
#include <crypto/secret.hpp>
#include <util/expected.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace nym::node {

inline constexpr std::size_t MAX_ID_LENGTH = 64;
inline constexpr std::string_view CONFIG_FILE_NAME = "config.toml";
inline constexpr std::uintmax_t MAX_CONFIG_FILE_SIZE = 1024 * 1024;

enum class ConfigErrc {
    missing_file = 1, ///< the config file does not exist
    unreadable_file,  ///< exists but cannot be read (or is too large)
    parse_error,      ///< not valid TOML
    missing_field,    ///< a required key is absent
    wrong_type,       ///< a key holds the wrong TOML type
    invalid_id,       ///< id empty, too long, or not [A-Za-z0-9_-]
    invalid_port,     ///< port outside 1..65535
    invalid_host,     ///< empty or malformed host, or an unspecified announce address
    invalid_url,      ///< a URL this software cannot use
    invalid_value,    ///< any other value out of range (layer, rates, intervals, lengths)
    already_exists,   ///< init on an id that already has a config (without --force)
    io_error,         ///< a folder or file could not be created, read or written
    key_error,        ///< a key file is missing, malformed, mismatched, or has unsafe permissions
    no_home,          ///< $HOME is unset and no root was given
};

const std::error_category& config_category() noexcept;
inline std::error_code make_error_code(ConfigErrc e) noexcept { return {static_cast<int>(e), config_category()}; }

} // namespace nym::node

template <>
struct std::is_error_code_enum<nym::node::ConfigErrc> : std::true_type {};

namespace nym::node {

/// A config error plus what it is about (the field, file or underlying error), for the operator.
struct ConfigError {
    std::error_code code;
    std::string detail;

    ConfigError() = default;
    ConfigError(std::error_code c, std::string d = {}) : code(c), detail(std::move(d)) {}             // NOLINT: implicit
    ConfigError(ConfigErrc e, std::string d = {}) : code(make_error_code(e)), detail(std::move(d)) {} // NOLINT: implicit
    /// "<what the code means>: <detail>".
    [[nodiscard]] std::string message() const;
    friend bool operator==(const ConfigError& e, ConfigErrc c) noexcept { return e.code == make_error_code(c); }
};

template <class T>
using ConfigResult = Expected<T, ConfigError>;

[[nodiscard]] inline Unexpected<ConfigError> config_fail(ConfigErrc e, std::string detail = {}) {
    return Unexpected<ConfigError>(ConfigError(e, std::move(detail)));
}

// --- home folders --------------------------------------------------------------------------------

/// $HOME/.nym/<role_folder> (e.g. "mixnodes"). ConfigErrc::no_home if HOME is unset or empty.
[[nodiscard]] ConfigResult<std::filesystem::path> default_root(std::string_view role_folder);
/// `root_flag` when given, else default_root(role_folder).
[[nodiscard]] ConfigResult<std::filesystem::path> resolve_root(const std::string& root_flag,
                                                               std::string_view role_folder);
[[nodiscard]] std::filesystem::path node_directory(const std::filesystem::path& root, std::string_view id);
/// <root>/<id>/config/config.toml
[[nodiscard]] std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id);
/// <root>/<id>/data
[[nodiscard]] std::filesystem::path data_directory(const std::filesystem::path& root, std::string_view id);

// --- validation of common values ------------------------------------------------------------------

/// 1-64 characters of A-Z a-z 0-9 _ -
[[nodiscard]] bool valid_id(std::string_view id) noexcept;
/// Printable, no spaces, quotes, slashes or backslashes; at most 253 characters.
[[nodiscard]] bool valid_host(std::string_view host) noexcept;
/// 0.0.0.0, :: or [::]: fine to listen on, never to announce.
[[nodiscard]] bool unspecified_address(std::string_view host) noexcept;
/// http:// or https:// followed by a valid host (and optional port/path), at most 2048 characters.
[[nodiscard]] bool valid_http_url(std::string_view url) noexcept;

// --- files ------------------------------------------------------------------------------------------

enum class FileMode { public_file, secret_file };

/// Creates the parent folder, writes a temporary file (0600 for secrets, created so), fsyncs it,
/// renames it over `path` and fsyncs the folder. ConfigErrc::io_error naming the file.
[[nodiscard]] ConfigResult<void> write_file_atomically(const std::filesystem::path& path, std::string_view text,
                                                       FileMode mode = FileMode::public_file);
/// The whole file, at most `max_size` bytes. missing_file, unreadable_file.
[[nodiscard]] ConfigResult<std::string> read_text_file(const std::filesystem::path& path,
                                                       std::uintmax_t max_size = MAX_CONFIG_FILE_SIZE);

/// A PEM key file (crypto::write_pem_file: secrets are created 0600). ConfigErrc::io_error.
[[nodiscard]] ConfigResult<void> write_key(const std::filesystem::path& path, std::string_view label,
                                           std::span<const std::uint8_t> body, crypto::FileSecrecy secrecy);
/// A PEM key of exactly `size` bytes; secrets readable by group or others are refused.
/// ConfigErrc::key_error naming the file. The caller wipes secret bytes it no longer needs.
[[nodiscard]] ConfigResult<std::vector<std::uint8_t>> read_key(const std::filesystem::path& path,
                                                               std::string_view label, std::size_t size,
                                                               crypto::FileSecrecy secrecy);
template <std::size_t N>
[[nodiscard]] ConfigResult<std::array<std::uint8_t, N>> read_key_array(const std::filesystem::path& path,
                                                                       std::string_view label,
                                                                       crypto::FileSecrecy secrecy) {
    auto bytes = read_key(path, label, N, secrecy);
    if (!bytes) return Unexpected(bytes.error());
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = (*bytes)[i];
    crypto::secure_wipe(bytes->data(), bytes->size());
    return out;
}

// --- TOML -------------------------------------------------------------------------------------------

/// A parsed TOML document read field by field ("section.key" paths). Every getter's error names
/// the field; nothing throws.
class ConfigDocument {
public:
    /// ConfigErrc::parse_error with the parser's line and reason.
    [[nodiscard]] static ConfigResult<ConfigDocument> parse(std::string_view text);
    ConfigDocument(ConfigDocument&&) noexcept;
    ConfigDocument& operator=(ConfigDocument&&) noexcept;
    ~ConfigDocument();

    [[nodiscard]] bool has(std::string_view path) const;
    [[nodiscard]] ConfigResult<std::string> string(std::string_view path) const;
    [[nodiscard]] ConfigResult<std::int64_t> integer(std::string_view path) const;
    /// An integer in [min, max], else invalid_value naming the field and the range.
    [[nodiscard]] ConfigResult<std::int64_t> integer_in(std::string_view path, std::int64_t min,
                                                        std::int64_t max) const;
    /// A float or an integer.
    [[nodiscard]] ConfigResult<double> number(std::string_view path) const;
    [[nodiscard]] ConfigResult<bool> boolean(std::string_view path) const;
    /// An array of strings.
    [[nodiscard]] ConfigResult<std::vector<std::string>> strings(std::string_view path) const;

    /// The same getters with a default for an absent key (a present key of the wrong type is still
    /// an error).
    [[nodiscard]] ConfigResult<std::string> string_or(std::string_view path, std::string fallback) const;
    [[nodiscard]] ConfigResult<std::int64_t> integer_or(std::string_view path, std::int64_t fallback) const;
    [[nodiscard]] ConfigResult<std::int64_t> integer_in_or(std::string_view path, std::int64_t min, std::int64_t max,
                                                           std::int64_t fallback) const;
    [[nodiscard]] ConfigResult<double> number_or(std::string_view path, double fallback) const;
    [[nodiscard]] ConfigResult<bool> boolean_or(std::string_view path, bool fallback) const;
    [[nodiscard]] ConfigResult<std::vector<std::string>> strings_or(std::string_view path,
                                                                    std::vector<std::string> fallback) const;

private:
    struct Impl;
    explicit ConfigDocument(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// A TOML basic string literal: quotes, backslashes and control characters escaped.
[[nodiscard]] std::string toml_quote(std::string_view text);
/// `path` relative to `base` unless absolute (config files may name files relative to themselves).
[[nodiscard]] std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& value);

} // namespace nym::node

/// Inside a function returning ConfigResult<T>: evaluates `expr` (a ConfigResult<U>), returns its
/// error, or moves its value into `target`.
#define NYM_CONFIG_READ(target, expr)                                                                                  \
    do {                                                                                                               \
        auto nym_config_read_ = (expr);                                                                                \
        if (!nym_config_read_) return ::nym::Unexpected(nym_config_read_.error());                                     \
        target = std::move(*nym_config_read_);                                                                         \
    } while (false)
