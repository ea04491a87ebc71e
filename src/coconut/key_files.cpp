#include <coconut/key_files.hpp>

#include <crypto/pem.hpp>
#include <crypto/secret.hpp>

namespace nym::coconut {
namespace {

std::string file_name(std::string_view kind, std::uint64_t index, std::size_t q, std::size_t n, std::size_t t) {
    return "threshold-" + std::string(kind) + "-id=" + std::to_string(index) + "-attrs=" + std::to_string(q) +
           "-n=" + std::to_string(n) + "-t=" + std::to_string(t) + ".pem";
}

/// Encoded secret bytes, wiped when done.
struct WipedBytes {
    Bytes bytes;
    ~WipedBytes() { crypto::secure_wipe(bytes.data(), bytes.size()); }
};

} // namespace

std::string secret_key_file_name(std::uint64_t index, std::size_t q, std::size_t n, std::size_t t) {
    return file_name("secretKey", index, q, n, t);
}

std::string verification_key_file_name(std::uint64_t index, std::size_t q, std::size_t n, std::size_t t) {
    return file_name("verificationKey", index, q, n, t);
}

Expected<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key) {
    WipedBytes body{key.encode()};
    // I/O and permission errors pass through as nym::crypto errors (io_error, insecure_permissions, ...).
    return crypto::write_pem_file(path, SECRET_KEY_PEM_LABEL, body.bytes, crypto::FileSecrecy::secret_file);
}

Expected<void> write_verification_key_file(const std::filesystem::path& path, const VerificationKey& key) {
    const Bytes body = key.encode();
    return crypto::write_pem_file(path, VERIFICATION_KEY_PEM_LABEL, body, crypto::FileSecrecy::public_file);
}

Expected<SecretKey> read_secret_key_file(const std::filesystem::path& path) {
    auto block = crypto::read_pem_file(path, SECRET_KEY_PEM_LABEL, crypto::FileSecrecy::secret_file);
    if (!block) return Unexpected(block.error());
    WipedBytes body{std::move(block->body)};
    return SecretKey::decode(body.bytes);
}

Expected<VerificationKey> read_verification_key_file(const std::filesystem::path& path) {
    auto block = crypto::read_pem_file(path, VERIFICATION_KEY_PEM_LABEL, crypto::FileSecrecy::public_file);
    if (!block) return Unexpected(block.error());
    return VerificationKey::decode(block->body);
}

Expected<std::vector<std::filesystem::path>> write_threshold_key_set(const std::filesystem::path& out_dir,
                                                                     std::span<const KeyPair> keys,
                                                                     std::size_t threshold) {
    if (keys.empty() || threshold == 0 || threshold > keys.size()) return fail(Errc::invalid_parameters);
    const std::size_t n = keys.size();
    std::vector<std::filesystem::path> written;
    for (const KeyPair& kp : keys) {
        const std::size_t q = kp.secret.ys.size();
        const auto folder = out_dir / ("issuer-" + std::to_string(kp.secret.index)) / ISSUER_KEYS_FOLDER;
        const auto sk_path = folder / secret_key_file_name(kp.secret.index, q, n, threshold);
        const auto vk_path = folder / verification_key_file_name(kp.verification.index, q, n, threshold);
        if (auto ok = write_secret_key_file(sk_path, kp.secret); !ok) return Unexpected(ok.error());
        written.push_back(sk_path);
        if (auto ok = write_verification_key_file(vk_path, kp.verification); !ok) return Unexpected(ok.error());
        written.push_back(vk_path);
    }
    for (const KeyPair& kp : keys) {
        const auto path = out_dir / ALL_VERIFICATION_KEYS_FOLDER /
                          verification_key_file_name(kp.verification.index, kp.verification.betas.size(), n, threshold);
        if (auto ok = write_verification_key_file(path, kp.verification); !ok) return Unexpected(ok.error());
        written.push_back(path);
    }
    return written;
}

} // namespace nym::coconut
