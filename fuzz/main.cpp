#include "fuzz.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace nym::fuzz {

std::map<std::string, Target>& registry() {
    static std::map<std::string, Target> targets;
    return targets;
}

} // namespace nym::fuzz

namespace {

void list_targets() {
    for (const auto& [name, target] : nym::fuzz::registry()) std::fprintf(stderr, "  %s\n", name.c_str());
}

} // namespace

#ifdef NYM_FUZZ_LIBFUZZER

namespace {
const nym::fuzz::Target* g_target = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* name = std::getenv("FUZZ");
    if (name == nullptr) {
        std::fprintf(stderr, "set FUZZ to one of:\n");
        list_targets();
        std::exit(2);
    }
    auto it = nym::fuzz::registry().find(name);
    if (it == nym::fuzz::registry().end()) {
        std::fprintf(stderr, "unknown fuzz target '%s'; known:\n", name);
        list_targets();
        std::exit(2);
    }
    g_target = &it->second;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (*g_target)(std::span<const std::uint8_t>(data, size));
    return 0;
}

#else

// Replay driver: runs a target over corpus files, so every build checks the corpora stay clean.
int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <target> <file-or-folder>...\ntargets:\n", argv[0]);
        list_targets();
        return 2;
    }
    auto it = nym::fuzz::registry().find(argv[1]);
    if (it == nym::fuzz::registry().end()) {
        std::fprintf(stderr, "unknown fuzz target '%s'\n", argv[1]);
        list_targets();
        return 2;
    }
    std::size_t runs = 0;
    auto run_file = [&](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        it->second(bytes);
        ++runs;
    };
    for (int i = 2; i < argc; ++i) {
        const std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& entry : std::filesystem::directory_iterator(p))
                if (entry.is_regular_file()) run_file(entry.path());
        } else {
            run_file(p);
        }
    }
    std::printf("%s: replayed %zu inputs cleanly\n", argv[1], runs);
    return runs > 0 ? 0 : 1;
}

#endif
