// `kmemu shell [WORDS...]`: the Shell behind a line editor (libedit's readline interface, with
// history in ~/.kmemu_history). Without a terminal on stdin it reads plain lines and prints no
// prompt, so `kmemu shell < script` works in pipelines.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>

#include <editline/readline.h>
#include <fmt/format.h>

#include "emu/scenario/cli.h"
#include "emu/scenario/shell.h"

namespace kmemu::scenario {

namespace {

constexpr const char* kShellUsage = R"(usage: kmemu shell [WORDS...]

An interactive session in the scenario language (docs/scenarios.md). WORDS boot the machine
at once (e.g. arch=i386 mem=512M kernel=2.6.32); otherwise type a `machine` line first.
`help` lists statements, commands and functions; `help NAME` shows one. `exit` or end of input
leaves.
)";

std::string history_path() {
    const char* home = std::getenv("HOME");
    return home ? std::string(home) + "/.kmemu_history" : std::string();
}

} // namespace

int shell_command(std::span<const std::string> args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            fmt::print("{}", kShellUsage);
            return 0;
        }
    Shell shell(std::vector<std::string>(args.begin(), args.end()));
    const bool tty = isatty(STDIN_FILENO) != 0;
    const std::string hist = history_path();
    if (tty) {
        fmt::print("kmemu shell — `help` for help, `exit` to leave\n");
        using_history();
        if (!hist.empty())
            read_history(hist.c_str());
    }
    for (;;) {
        std::string line;
        if (tty) {
            char* raw = readline(shell.wants_more() ? "...> " : "kmemu> ");
            if (!raw)
                break;
            line = raw;
            std::free(raw);
            if (!line.empty())
                add_history(line.c_str());
        } else if (!std::getline(std::cin, line)) {
            break;
        }
        if (!shell.wants_more() && (line == "exit" || line == "quit"))
            break;
        fmt::print("{}", shell.feed(line));
        std::fflush(stdout);
    }
    if (tty && !hist.empty())
        write_history(hist.c_str());
    return 0;
}

} // namespace kmemu::scenario
