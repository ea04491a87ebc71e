#pragma once
// Account key files: a secp256k1 secret key as 64 hex digits and a newline (the form go-ethereum
// and the ledger tools read), written with mode 0600 and refused when readable by group or others.
// The same key is an account on Ethereum and on the Nym ledger (docs/protocol/ledger.md §1).

#include <crypto/secp256k1.hpp>
#include <util/expected.hpp>

#include <ethereum/errors.hpp>
#include <filesystem>

namespace nym::ethereum {

[[nodiscard]] Expected<crypto::Secp256k1SecretKey, Failure> read_account_key(const std::filesystem::path& path);
/// Atomically, mode 0600 (Errc::key_error naming the file on failure).
[[nodiscard]] Expected<void, Failure> write_account_key(const std::filesystem::path& path,
                                                        const crypto::Secp256k1SecretKey& key);

} // namespace nym::ethereum
