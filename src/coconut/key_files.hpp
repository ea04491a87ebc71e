#pragma once
// Threshold key files as the 2019 Nym TTP wrote them (names), with this library's bodies:
//   threshold-secretKey-id=I-attrs=Q-n=N-t=T.pem        label COCONUT THRESHOLD SECRET KEY, mode 0600
//   threshold-verificationKey-id=I-attrs=Q-n=N-t=T.pem  label COCONUT THRESHOLD VERIFICATION KEY
// Bodies are SecretKey::encode() / VerificationKey::encode() (docs/protocol/coconut.md). File errors
// are nym::crypto errors; a body that does not decode gives the coconut decoder's error.

#include <coconut/scheme.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace nym::coconut {

inline constexpr std::string_view SECRET_KEY_PEM_LABEL = "COCONUT THRESHOLD SECRET KEY";
inline constexpr std::string_view VERIFICATION_KEY_PEM_LABEL = "COCONUT THRESHOLD VERIFICATION KEY";
/// Per-issuer folder (OUT/issuer-I/coconutkeys/) and the folder of every verification key (OUT/issuerKeys/).
inline constexpr std::string_view ISSUER_KEYS_FOLDER = "coconutkeys";
inline constexpr std::string_view ALL_VERIFICATION_KEYS_FOLDER = "issuerKeys";

[[nodiscard]] std::string secret_key_file_name(std::uint64_t index, std::size_t q, std::size_t n, std::size_t t);
[[nodiscard]] std::string verification_key_file_name(std::uint64_t index, std::size_t q, std::size_t n, std::size_t t);

Expected<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key);
Expected<void> write_verification_key_file(const std::filesystem::path& path, const VerificationKey& key);
Expected<SecretKey> read_secret_key_file(const std::filesystem::path& path);
Expected<VerificationKey> read_verification_key_file(const std::filesystem::path& path);

/// Writes a whole t-of-n key set under out_dir:
///   out_dir/issuer-I/coconutkeys/<secret key file>   (0600)
///   out_dir/issuer-I/coconutkeys/<verification key file>
///   out_dir/issuerKeys/<verification key file>        for every I
/// Returns the paths written, in that order per issuer and then the issuerKeys copies.
Expected<std::vector<std::filesystem::path>> write_threshold_key_set(const std::filesystem::path& out_dir,
                                                                     std::span<const KeyPair> keys,
                                                                     std::size_t threshold);

} // namespace nym::coconut
