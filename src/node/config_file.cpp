#include <node/config_file.hpp>

#include <toml++/toml.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nym::node {
namespace {

class ConfigCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nym.node.config"; }
    std::string message(int code) const override {
        switch (static_cast<ConfigErrc>(code)) {
        case ConfigErrc::missing_file: return "config file not found";
        case ConfigErrc::unreadable_file: return "config file cannot be read";
        case ConfigErrc::parse_error: return "config file is not valid TOML";
        case ConfigErrc::missing_field: return "required config field missing";
        case ConfigErrc::wrong_type: return "config field has the wrong type";
        case ConfigErrc::invalid_id: return "invalid id (1-64 characters of A-Z a-z 0-9 _ -)";
        case ConfigErrc::invalid_port: return "invalid port (must be 1-65535)";
        case ConfigErrc::invalid_host: return "invalid host";
        case ConfigErrc::invalid_url: return "invalid URL";
        case ConfigErrc::invalid_value: return "config value out of range";
        case ConfigErrc::already_exists: return "an instance with this id already exists (use --force to replace it)";
        case ConfigErrc::io_error: return "cannot read or write a file";
        case ConfigErrc::key_error: return "key file missing or invalid";
        case ConfigErrc::no_home: return "HOME is not set (pass --root)";
        }
        return "unknown config error";
    }
};

} // namespace

const std::error_category& config_category() noexcept {
    static const ConfigCategory category;
    return category;
}

std::string ConfigError::message() const {
    std::string m = code.message();
    if (!detail.empty()) m += ": " + detail;
    return m;
}

// --- home folders --------------------------------------------------------------------------------

ConfigResult<std::filesystem::path> default_root(std::string_view role_folder) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return config_fail(ConfigErrc::no_home);
    return std::filesystem::path(home) / ".nym" / std::string(role_folder);
}

ConfigResult<std::filesystem::path> resolve_root(const std::string& root_flag, std::string_view role_folder) {
    if (!root_flag.empty()) return std::filesystem::path(root_flag);
    return default_root(role_folder);
}

std::filesystem::path node_directory(const std::filesystem::path& root, std::string_view id) {
    return root / std::string(id);
}

std::filesystem::path config_path(const std::filesystem::path& root, std::string_view id) {
    return node_directory(root, id) / "config" / std::string(CONFIG_FILE_NAME);
}

std::filesystem::path data_directory(const std::filesystem::path& root, std::string_view id) {
    return node_directory(root, id) / "data";
}

// --- validation ------------------------------------------------------------------------------------

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > MAX_ID_LENGTH) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool valid_host(std::string_view host) noexcept {
    if (host.empty() || host.size() > 253) return false;
    return std::all_of(host.begin(), host.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '/' && c != '"' && c != '\\';
    });
}

bool unspecified_address(std::string_view host) noexcept { return host == "0.0.0.0" || host == "::" || host == "[::]"; }

bool valid_http_url(std::string_view url) noexcept {
    std::string_view rest;
    if (url.starts_with("http://")) rest = url.substr(7);
    else if (url.starts_with("https://")) rest = url.substr(8);
    else return false;
    const auto host = rest.substr(0, rest.find('/'));
    return !host.empty() && valid_host(host) && url.size() <= 2048;
}

// --- files -------------------------------------------------------------------------------------------

ConfigResult<void> write_file_atomically(const std::filesystem::path& path, std::string_view text, FileMode mode) {
    std::error_code ec;
    const auto folder = path.parent_path();
    if (!folder.empty()) {
        std::filesystem::create_directories(folder, ec);
        if (ec) return config_fail(ConfigErrc::io_error, folder.string() + ": " + ec.message());
    }
    const std::filesystem::path tmp = path.string() + ".tmp";
    const mode_t perms = mode == FileMode::secret_file ? 0600 : 0644;
    ::unlink(tmp.c_str()); // a stale temporary file could carry wider permissions
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, perms);
    if (fd < 0) return config_fail(ConfigErrc::io_error, tmp.string() + ": " + std::strerror(errno));
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return config_fail(ConfigErrc::io_error, tmp.string() + ": " + std::strerror(err));
        }
        written += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return config_fail(ConfigErrc::io_error, path.string() + ": " + std::strerror(err));
    }
    // The rename is durable once the folder's entry is.
    if (!folder.empty()) {
        const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            (void)::fsync(dir);
            ::close(dir);
        }
    }
    return {};
}

ConfigResult<std::string> read_text_file(const std::filesystem::path& path, std::uintmax_t max_size) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return config_fail(ConfigErrc::missing_file, path.string());
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > max_size)
        return config_fail(ConfigErrc::unreadable_file, path.string() + (ec ? "" : " (larger than allowed)"));
    std::ifstream in(path, std::ios::binary);
    if (!in) return config_fail(ConfigErrc::unreadable_file, path.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return config_fail(ConfigErrc::unreadable_file, path.string());
    return text.str();
}

ConfigResult<void> write_key(const std::filesystem::path& path, std::string_view label,
                             std::span<const std::uint8_t> body, crypto::FileSecrecy secrecy) {
    if (auto r = crypto::write_pem_file(path, label, body, secrecy); !r)
        return config_fail(ConfigErrc::io_error, path.string() + ": " + r.error().message());
    return {};
}

ConfigResult<std::vector<std::uint8_t>> read_key(const std::filesystem::path& path, std::string_view label,
                                                 std::size_t size, crypto::FileSecrecy secrecy) {
    auto block = crypto::read_pem_file(path, label, secrecy);
    if (!block) return config_fail(ConfigErrc::key_error, path.string() + ": " + block.error().message());
    if (block->body.size() != size) {
        const auto got = block->body.size();
        crypto::secure_wipe(block->body.data(), block->body.size());
        return config_fail(ConfigErrc::key_error, path.string() + ": key has " + std::to_string(got) +
                                                      " bytes, expected " + std::to_string(size));
    }
    return std::move(block->body);
}

// --- TOML --------------------------------------------------------------------------------------------

struct ConfigDocument::Impl {
    toml::table table;
};

ConfigDocument::ConfigDocument(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ConfigDocument::ConfigDocument(ConfigDocument&&) noexcept = default;
ConfigDocument& ConfigDocument::operator=(ConfigDocument&&) noexcept = default;
ConfigDocument::~ConfigDocument() = default;

ConfigResult<ConfigDocument> ConfigDocument::parse(std::string_view text) {
    auto impl = std::make_unique<Impl>();
    try {
        impl->table = toml::parse(text);
    } catch (const toml::parse_error& err) {
        return config_fail(ConfigErrc::parse_error, "line " + std::to_string(err.source().begin.line) + ": " +
                                                        std::string(err.description()));
    }
    return ConfigDocument(std::move(impl));
}

namespace {

const toml::node* find(const toml::table& table, std::string_view path) { return table.at_path(path).node(); }

} // namespace

bool ConfigDocument::has(std::string_view path) const { return find(m_impl->table, path) != nullptr; }

ConfigResult<std::string> ConfigDocument::string(std::string_view path) const {
    const toml::node* n = find(m_impl->table, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* s = n->as_string();
    if (s == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected a string)");
    return s->get();
}

ConfigResult<std::int64_t> ConfigDocument::integer(std::string_view path) const {
    const toml::node* n = find(m_impl->table, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* i = n->as_integer();
    if (i == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected an integer)");
    return i->get();
}

ConfigResult<std::int64_t> ConfigDocument::integer_in(std::string_view path, std::int64_t min, std::int64_t max) const {
    auto v = integer(path);
    if (!v) return v;
    if (*v < min || *v > max)
        return config_fail(ConfigErrc::invalid_value,
                           std::string(path) + " must be in " + std::to_string(min) + ".." + std::to_string(max));
    return v;
}

ConfigResult<double> ConfigDocument::number(std::string_view path) const {
    const toml::node* n = find(m_impl->table, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    if (const auto* f = n->as_floating_point()) return f->get();
    if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
    return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected a number)");
}

ConfigResult<bool> ConfigDocument::boolean(std::string_view path) const {
    const toml::node* n = find(m_impl->table, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* b = n->as_boolean();
    if (b == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected true or false)");
    return b->get();
}

ConfigResult<std::vector<std::string>> ConfigDocument::strings(std::string_view path) const {
    const toml::node* n = find(m_impl->table, path);
    if (n == nullptr) return config_fail(ConfigErrc::missing_field, std::string(path));
    const auto* array = n->as_array();
    if (array == nullptr) return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected an array)");
    std::vector<std::string> out;
    for (const auto& element : *array) {
        const auto* s = element.as_string();
        if (s == nullptr)
            return config_fail(ConfigErrc::wrong_type, std::string(path) + " (expected an array of strings)");
        out.push_back(s->get());
    }
    return out;
}

ConfigResult<std::string> ConfigDocument::string_or(std::string_view path, std::string fallback) const {
    if (!has(path)) return fallback;
    return string(path);
}
ConfigResult<std::int64_t> ConfigDocument::integer_or(std::string_view path, std::int64_t fallback) const {
    if (!has(path)) return fallback;
    return integer(path);
}
ConfigResult<std::int64_t> ConfigDocument::integer_in_or(std::string_view path, std::int64_t min, std::int64_t max,
                                                         std::int64_t fallback) const {
    if (!has(path)) return fallback;
    return integer_in(path, min, max);
}
ConfigResult<double> ConfigDocument::number_or(std::string_view path, double fallback) const {
    if (!has(path)) return fallback;
    return number(path);
}
ConfigResult<bool> ConfigDocument::boolean_or(std::string_view path, bool fallback) const {
    if (!has(path)) return fallback;
    return boolean(path);
}
ConfigResult<std::vector<std::string>> ConfigDocument::strings_or(std::string_view path,
                                                                  std::vector<std::string> fallback) const {
    if (!has(path)) return fallback;
    return strings(path);
}

std::string toml_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& value) {
    std::filesystem::path p(value);
    if (p.is_relative() && !base.empty()) p = base / p;
    return p;
}

} // namespace nym::node
