#include "emu/scenario/cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "emu/scenario/diff.h"
#include "emu/scenario/interpreter.h"

namespace kmemu::scenario {

namespace {

constexpr const char* kRunUsage = R"(usage: kmemu run [--check | --update] FILE...

Run scenario scripts (docs/scenarios.md) and print their transcripts: command output and
failed expectations.
  --check    compare each transcript with FILE.expected and print a unified diff on a mismatch
  --update   write each transcript to FILE.expected
Exit status: 0 every expectation held (--check: every transcript matched), 1 an expectation
failed (--check: a mismatch), 2 a script error or an unreadable file.
)";

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return true;
}

} // namespace

std::string checked_transcript(const std::string& transcript, int status) {
    std::string out = transcript;
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    return out + fmt::format("# exit status: {}\n", status);
}

int run_command(std::span<const std::string> args) {
    enum class Mode { Run, Check, Update } mode = Mode::Run;
    std::vector<std::string> files;
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            fmt::print("{}", kRunUsage);
            return 0;
        }
        if (a == "--check")
            mode = Mode::Check;
        else if (a == "--update")
            mode = Mode::Update;
        else if (a.rfind("--", 0) == 0) {
            fmt::print(stderr, "kmemu run: unknown option '{}'\n\n{}", a, kRunUsage);
            return 2;
        } else
            files.push_back(a);
    }
    if (files.empty()) {
        fmt::print(stderr, "kmemu run: no script given\n\n{}", kRunUsage);
        return 2;
    }
    int worst = 0;
    FileReader reader = host_file_reader();
    for (const auto& file : files) {
        std::string text;
        if (!read_file(file, text)) {
            fmt::print(stderr, "kmemu run: cannot read '{}'\n", file);
            worst = 2;
            continue;
        }
        ScriptRun run = run_script(file, std::move(text), reader);
        if (mode == Mode::Run) {
            if (files.size() > 1)
                fmt::print("==> {} <==\n", file);
            fmt::print("{}", run.transcript);
            std::fflush(stdout);
            worst = std::max(worst, run.status);
            continue;
        }
        std::string actual = checked_transcript(run.transcript, run.status);
        std::string expected_path = file + ".expected";
        if (mode == Mode::Update) {
            std::ofstream out(expected_path, std::ios::binary | std::ios::trunc);
            out << actual;
            if (!out) {
                fmt::print(stderr, "kmemu run: cannot write '{}'\n", expected_path);
                worst = 2;
            } else {
                fmt::print("updated {}\n", expected_path);
            }
            continue;
        }
        std::string expected;
        if (!read_file(expected_path, expected)) {
            fmt::print("FAIL {}: {} is missing (kmemu run --update {} writes it)\n", file,
                       expected_path, file);
            worst = std::max(worst, 1);
            continue;
        }
        std::string diff = unified_diff(expected, actual, expected_path, file + " (actual)");
        if (diff.empty()) {
            fmt::print("ok   {}\n", file);
        } else {
            fmt::print("FAIL {}\n{}", file, diff);
            worst = std::max(worst, 1);
        }
    }
    return worst;
}

} // namespace kmemu::scenario
