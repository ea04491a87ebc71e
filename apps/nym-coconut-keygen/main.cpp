// nym-coconut-keygen: a trusted dealer's t-of-n Coconut key set, written as PEM files.
//   nym-coconut-keygen --attributes 5 -n 5 -t 3 --out DIR
// writes DIR/issuer-I/coconutkeys/{secret,verification} key files and DIR/issuerKeys/ with every
// verification key (layout and file names: coconut/key_files.hpp, docs/protocol/coconut.md).

#include <coconut/key_files.hpp>
#include <crypto/rng.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"Generate a t-of-n Coconut threshold key set (trusted dealer)"};
    std::size_t attributes = 5;
    std::size_t n = 5;
    std::size_t t = 3;
    std::string out;
    app.add_option("-q,--attributes", attributes, "number of attributes q a credential may carry")
        ->check(CLI::Range(std::size_t{1}, nym::coconut::MAX_ATTRIBUTES));
    app.add_option("-n,--signers", n, "number of issuers n")->check(CLI::Range(std::size_t{1}, nym::coconut::MAX_SIGNERS));
    app.add_option("-t,--threshold", t, "threshold t (shares needed to aggregate)")->check(CLI::PositiveNumber);
    app.add_option("-o,--out", out, "output folder")->required();
    app.set_version_flag("--version", std::string("nym-coconut-keygen ") + NYM_VERSION);
    CLI11_PARSE(app, argc, argv);
    if (t > n) {
        std::fprintf(stderr, "error: threshold %zu exceeds the number of signers %zu\n", t, n);
        return 2;
    }

    auto params = nym::coconut::Parameters::setup(attributes);
    if (!params) {
        std::fprintf(stderr, "error: %s\n", params.error().message().c_str());
        return 1;
    }
    auto keys = nym::coconut::ttp_keygen(*params, t, n, nym::crypto::system_rng());
    if (!keys) {
        std::fprintf(stderr, "error: %s\n", keys.error().message().c_str());
        return 1;
    }
    auto written = nym::coconut::write_threshold_key_set(out, *keys, t);
    if (!written) {
        std::fprintf(stderr, "error: writing keys to %s: %s\n", out.c_str(), written.error().message().c_str());
        return 1;
    }
    std::printf("%zu-of-%zu Coconut key set, q = %zu attributes:\n", t, n, attributes);
    for (const auto& path : *written) std::printf("  %s\n", path.string().c_str());
    return 0;
}
