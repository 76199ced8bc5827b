// The kmemu command's subcommands. Each takes its arguments (after the command name) and
// returns the process exit status: 0 success, 1 a check failed, 2 a usage or machine error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/machine.h"

namespace kmemu::cli {

int cmd_layout(const std::vector<std::string>& args);
int cmd_proc(const std::vector<std::string>& args);
int cmd_ptdump(const std::vector<std::string>& args);
int cmd_walk(const std::vector<std::string>& args);

// Shared pieces.
extern const char* const kUsage;
int usage_error(std::string_view message);
// Options of the form --name or --name VALUE, then machine words. An unknown option is an
// error; `value_options` take the next argument.
struct ParsedArgs {
    std::vector<std::string> flags;
    std::vector<std::pair<std::string, std::string>> values;
    std::vector<std::string> words;
    [[nodiscard]] bool has(std::string_view flag) const;
    [[nodiscard]] std::optional<std::string> value(std::string_view name) const;
};
[[nodiscard]] std::optional<ParsedArgs> parse_args(std::string_view command,
                                                   const std::vector<std::string>& args,
                                                   const std::vector<std::string>& flags,
                                                   const std::vector<std::string>& value_options,
                                                   int* exit_status);
// Boot from words, printing the error (status 2) on failure.
[[nodiscard]] std::unique_ptr<Machine> boot_or_report(const std::vector<std::string>& words);
// Write a file; prints an error and returns false when it cannot.
[[nodiscard]] bool write_file(std::string_view command, const std::string& path,
                              std::string_view text);

} // namespace kmemu::cli
