#include <crypto/errors.hpp>
#include <crypto/pem.hpp>
#include <crypto/rng.hpp>
#include <crypto/secret.hpp>
#include <crypto/sodium_init.hpp>

#include <sodium.h>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace nym::crypto {
namespace {

constexpr std::string_view BEGIN = "-----BEGIN ";
constexpr std::string_view END = "-----END ";
constexpr std::string_view DASHES = "-----";
constexpr std::size_t LINE = 64;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// RFC 7468 §3: printable ASCII; a hyphen only between other characters.
bool valid_label(std::string_view label) noexcept {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
    return true;
}

/// Closes a file descriptor on scope exit.
class Fd {
public:
    explicit Fd(int fd) noexcept : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return m_fd; }
    bool close_checked() noexcept {
        const int fd = m_fd;
        m_fd = -1;
        return fd < 0 || ::close(fd) == 0;
    }
    void reset() noexcept {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd;
};

bool write_all(int fd, std::string_view data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void wipe_string(std::string& s) noexcept {
    if (!s.empty()) secure_wipe(s.data(), s.size());
    s.clear();
}

} // namespace

std::string pem_encode(std::string_view label, std::span<const std::uint8_t> body) {
    const std::size_t b64_size = sodium_base64_encoded_len(body.size(), sodium_base64_VARIANT_ORIGINAL);
    std::string b64(b64_size, '\0'); // includes the terminating NUL
    sodium_bin2base64(b64.data(), b64.size(), body.data(), body.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(b64_size - 1);

    std::string out;
    out.reserve(2 * (label.size() + 20) + b64.size() + b64.size() / LINE + 2);
    out.append(BEGIN).append(label).append(DASHES).push_back('\n');
    for (std::size_t pos = 0; pos < b64.size(); pos += LINE) {
        out.append(b64, pos, LINE);
        out.push_back('\n');
    }
    out.append(END).append(label).append(DASHES).push_back('\n');
    wipe_string(b64);
    return out;
}

Expected<PemBlock> pem_decode(std::string_view text) {
    const std::size_t begin = text.find(BEGIN);
    if (begin == std::string_view::npos) return fail(Errc::invalid_pem);
    const std::size_t label_start = begin + BEGIN.size();
    const std::size_t label_end = text.find(DASHES, label_start);
    if (label_end == std::string_view::npos) return fail(Errc::invalid_pem);
    const std::string_view label = text.substr(label_start, label_end - label_start);
    if (!valid_label(label)) return fail(Errc::invalid_pem);

    // The armour line must end right after its dashes.
    std::size_t body_start = label_end + DASHES.size();
    if (body_start < text.size() && text[body_start] == '\r') ++body_start;
    if (body_start >= text.size() || text[body_start] != '\n') return fail(Errc::invalid_pem);
    ++body_start;

    const std::size_t end = text.find(END, body_start);
    if (end == std::string_view::npos) return fail(Errc::invalid_pem);
    const std::size_t end_label_start = end + END.size();
    const std::size_t end_label_end = text.find(DASHES, end_label_start);
    if (end_label_end == std::string_view::npos) return fail(Errc::invalid_pem);
    if (text.substr(end_label_start, end_label_end - end_label_start) != label) return fail(Errc::invalid_pem);

    // Body: base64 lines; whitespace between them is ignored, anything else must be base64.
    std::string compact;
    compact.reserve(end - body_start);
    for (char c : text.substr(body_start, end - body_start))
        if (!is_space(c)) compact.push_back(c);
    if (compact.empty()) return fail(Errc::invalid_pem);

    PemBlock block;
    block.label = std::string(label);
    block.body.resize(compact.size() / 4 * 3 + 3);
    std::size_t decoded = 0;
    const int rc = sodium_base642bin(block.body.data(), block.body.size(), compact.data(), compact.size(), nullptr,
                                     &decoded, nullptr, sodium_base64_VARIANT_ORIGINAL);
    wipe_string(compact);
    if (rc != 0) {
        secure_wipe(block.body.data(), block.body.size());
        return fail(Errc::invalid_pem);
    }
    // Shrink without reallocating, wiping the unused tail first.
    secure_wipe(block.body.data() + decoded, block.body.size() - decoded);
    block.body.resize(decoded);
    return block;
}

Expected<void> write_pem_file(const std::filesystem::path& path, std::string_view label,
                              std::span<const std::uint8_t> body, FileSecrecy secrecy) {
    if (path.empty() || !path.has_filename()) return fail(Errc::io_error);
    std::error_code ec;
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::io_error);

    const ::mode_t mode = secrecy == FileSecrecy::secret_file ? 0600 : 0644;
    std::string text = pem_encode(label, body);

    // A fresh, unpredictable temporary name in the same folder, created exclusively with its
    // final mode so a secret is never visible to others, even for an instant.
    std::filesystem::path tmp;
    int raw_fd = -1;
    for (int attempt = 0; attempt < 16 && raw_fd < 0; ++attempt) {
        std::array<std::uint8_t, 8> nonce{};
        system_rng().fill(nonce);
        std::string name(1, '.'); // appended, not "." + string: GCC 12 -O3 -Wrestrict false positive
        name += path.filename().string();
        name += ".tmp-";
        for (std::uint8_t b : nonce) {
            static constexpr char HEX[] = "0123456789abcdef";
            name.push_back(HEX[b >> 4]);
            name.push_back(HEX[b & 0x0f]);
        }
        tmp = dir / name;
        raw_fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (raw_fd < 0 && errno != EEXIST) break;
    }
    if (raw_fd < 0) {
        wipe_string(text);
        return fail(Errc::io_error);
    }
    Fd fd(raw_fd);
    // umask may have removed bits from a public file's mode; set it exactly.
    bool ok = ::fchmod(fd.get(), mode) == 0 && write_all(fd.get(), text) && ::fsync(fd.get()) == 0;
    wipe_string(text);
    ok = fd.close_checked() && ok;
    if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        ::unlink(tmp.c_str());
        return fail(Errc::io_error);
    }
    // Make the rename itself durable.
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) return fail(Errc::io_error);
    return {};
}

Expected<PemBlock> read_pem_file(const std::filesystem::path& path, std::string_view expected_label,
                                 FileSecrecy secrecy) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(Errc::io_error);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return fail(Errc::io_error);
    if (secrecy == FileSecrecy::secret_file && (st.st_mode & 077) != 0) return fail(Errc::insecure_permissions);
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > PEM_MAX_FILE_SIZE) return fail(Errc::invalid_length);

    // Read up to one byte past the cap, in case the file grew after fstat.
    std::string text(PEM_MAX_FILE_SIZE + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            wipe_string(text);
            return fail(Errc::io_error);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > PEM_MAX_FILE_SIZE) {
        wipe_string(text);
        return fail(Errc::invalid_length);
    }
    auto block = pem_decode(std::string_view(text.data(), got));
    wipe_string(text);
    if (!block) return Unexpected(block.error());
    if (block->label != expected_label) {
        secure_wipe(block->body.data(), block->body.size());
        return fail(Errc::pem_label_mismatch);
    }
    return block;
}

} // namespace nym::crypto
