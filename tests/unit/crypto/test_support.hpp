#pragma once
// Helpers shared by the crypto unit tests: hex and JSON vector files.

#include <util/hex.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace nym::crypto::test {

inline std::vector<std::uint8_t> hex(const std::string& text) {
    auto r = util::from_hex(text);
    EXPECT_TRUE(r) << "bad hex in test data: " << text;
    return r ? *r : std::vector<std::uint8_t>{};
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(const std::string& text) {
    std::array<std::uint8_t, N> out{};
    EXPECT_TRUE(util::from_hex_into(text, out)) << "bad hex (want " << N << " bytes): " << text;
    return out;
}

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
    return util::to_hex(bytes);
}

inline std::vector<std::uint8_t> ascii(std::string_view s) {
    return {s.begin(), s.end()};
}

/// Our own known-answer file from tests/vectors/ (always present in the repository).
inline nlohmann::json load_vectors(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(NYM_TEST_VECTORS_DIR) / name;
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "missing vector file " << path;
    if (!in.good()) return nlohmann::json::object();
    return nlohmann::json::parse(in);
}

/// A vector file from another implementation in ../shared/vectors/; empty when absent.
inline std::optional<nlohmann::json> load_shared_vectors(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(NYM_SHARED_DIR) / "vectors" / name;
    std::ifstream in(path);
    if (!in.good()) return std::nullopt;
    return nlohmann::json::parse(in);
}

} // namespace nym::crypto::test
