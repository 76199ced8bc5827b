// `kmemu run`: run scenario scripts, or check them against their .expected transcripts.
#pragma once

#include <span>
#include <string>

namespace kmemu::scenario {

// args: what follows `kmemu run`. Returns the exit status (see docs/scenarios.md).
[[nodiscard]] int run_command(std::span<const std::string> args);
// `kmemu shell [WORDS...]` (shell_cli.cpp).
[[nodiscard]] int shell_command(std::span<const std::string> args);
// `kmemu shell [WORDS...]` (shell_cli.cpp).
int shell_command(std::span<const std::string> args);

// The text --check compares with FILE.expected: the transcript and a last line giving the
// script's exit status.
[[nodiscard]] std::string checked_transcript(const std::string& transcript, int status);

} // namespace kmemu::scenario
