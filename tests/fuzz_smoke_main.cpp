// A short, deterministic run of the scenario parser's fuzz entry point, built with the normal
// compiler so it runs in the default test suite (the full libFuzzer target needs clang and
// KMEMU_FUZZ=ON). Seeds: every script in the directories given on the command line; then a
// fixed number of mutations of them (byte flips, cuts, splices, token insertions) from a
// fixed-seed generator. Any crash, sanitizer report or hang (ctest's timeout) fails it.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& s) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> seeds;
    for (int i = 1; i < argc; ++i)
        for (const auto& e : std::filesystem::directory_iterator(argv[i]))
            if (e.path().extension() == ".kms") {
                std::ifstream in(e.path(), std::ios::binary);
                std::ostringstream text;
                text << in.rdbuf();
                seeds.push_back(text.str());
            }
    seeds.push_back("include \"self.kms\"\n");
    seeds.push_back("kernel { process { expect (((((1))))) } }\n");
    const std::vector<std::string> tokens{"{",
                                          "}",
                                          "(",
                                          ")",
                                          "[",
                                          "]",
                                          "\"",
                                          "x\"",
                                          "#",
                                          "include \"self.kms\"\n",
                                          "machine ",
                                          "expect ",
                                          "kernel {",
                                          "process uid=0 {",
                                          "repeat 99999999 {",
                                          "0x",
                                          "99999999999999999999",
                                          "\\",
                                          "\n",
                                          "=",
                                          "?:"};
    std::mt19937_64 rng(0x6b6d656d75); // fixed seed: the same inputs on every run
    unsigned runs = 0;
    for (const auto& s : seeds) {
        run(s);
        ++runs;
    }
    for (unsigned i = 0; i < 200000; ++i) {
        std::string s = seeds[rng() % seeds.size()];
        const unsigned edits = 1 + static_cast<unsigned>(rng() % 4);
        for (unsigned e = 0; e < edits; ++e) {
            const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
            switch (rng() % 4) {
            case 0:
                if (!s.empty())
                    s[at % s.size()] = static_cast<char>(rng() & 0xff);
                break;
            case 1:
                s.resize(at);
                break;
            case 2:
                s.insert(at, tokens[rng() % tokens.size()]);
                break;
            default:
                s.insert(at, seeds[rng() % seeds.size()].substr(0, 64));
                break;
            }
        }
        run(s);
        ++runs;
    }
    std::printf("%u inputs parsed without a crash\n", runs);
    return 0;
}
