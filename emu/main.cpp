// The kmemu command: dispatch to the subcommands in emu/cli/ and the scenario runner.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "emu/cli/cli.h"
#include "emu/scenario/cli.h"

int main(int argc, char** argv) {
    using namespace kmemu;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        fmt::print(stderr, "{}", cli::kUsage);
        return 2;
    }
    const std::string cmd = args.front();
    args.erase(args.begin());
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
        fmt::print("{}", cli::kUsage);
        return 0;
    }
    if (cmd == "layout")
        return cli::cmd_layout(args);
    if (cmd == "proc")
        return cli::cmd_proc(args);
    if (cmd == "ptdump")
        return cli::cmd_ptdump(args);
    if (cmd == "walk")
        return cli::cmd_walk(args);
    if (cmd == "run")
        return scenario::run_command(args);
    if (cmd == "shell")
        return scenario::shell_command(args);
    return cli::usage_error(fmt::format("unknown command '{}'", cmd));
}
