#include <util/hex.hpp>

#include <ethereum/account_key.hpp>
#include <node/config_file.hpp>

namespace nym::ethereum {

Expected<crypto::Secp256k1SecretKey, Failure> read_account_key(const std::filesystem::path& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return Unexpected(Failure(Errc::key_error, path.string() + ": missing"));
    }
    using std::filesystem::perms;
    if ((status.permissions() & (perms::group_all | perms::others_all)) != perms::none) {
        return Unexpected(Failure(Errc::key_error, path.string() + " is readable by others (chmod 600 it)"));
    }
    auto text = node::read_text_file(path, 4096);
    if (!text) return Unexpected(Failure(Errc::key_error, text.error().message()));
    std::string hex = *text;
    crypto::secure_wipe(text->data(), text->size());
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
    auto key = crypto::Secp256k1SecretKey::from_hex(hex);
    crypto::secure_wipe(hex.data(), hex.size());
    if (!key) return Unexpected(Failure(Errc::key_error, path.string() + ": not a secp256k1 key (64 hex digits)"));
    return std::move(*key);
}

Expected<void, Failure> write_account_key(const std::filesystem::path& path, const crypto::Secp256k1SecretKey& key) {
    std::string text = util::to_hex(key.bytes()) + "\n";
    auto written = node::write_file_atomically(path, text, node::FileMode::secret_file);
    crypto::secure_wipe(text.data(), text.size());
    if (!written) return Unexpected(Failure(Errc::key_error, written.error().message()));
    return {};
}

} // namespace nym::ethereum
