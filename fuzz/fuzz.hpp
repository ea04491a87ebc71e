#pragma once
// One self-registering fuzz binary (nym_fuzz). Each target is a function of the input bytes that
// must never crash, leak or invoke undefined behaviour, whatever the bytes are.
//   libFuzzer build (preset fuzz):  FUZZ=<target> build/fuzz/fuzz/nym_fuzz [libFuzzer flags] [corpus]
//   replay build (every preset):    nym_fuzz <target> <file-or-folder>...   (ctest runs the corpora)

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

namespace nym::fuzz {

using Target = std::function<void(std::span<const std::uint8_t>)>;

std::map<std::string, Target>& registry();

struct Registrar {
    Registrar(const char* name, Target target) { registry().emplace(name, std::move(target)); }
};

} // namespace nym::fuzz

#define NYM_FUZZ_TARGET(name)                                                                                      \
    static void nym_fuzz_target_##name(std::span<const std::uint8_t> input);                                       \
    static const ::nym::fuzz::Registrar nym_fuzz_registrar_##name{#name, nym_fuzz_target_##name};                  \
    static void nym_fuzz_target_##name(std::span<const std::uint8_t> input)
