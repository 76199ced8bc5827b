// `kmemu shell`: the scenario language one input at a time on a persistent interpreter — the
// machine, variables and processes stay between inputs, an error is reported and the session
// goes on. A block (`kernel {`, `process {`, `repeat`, `if`) may span lines: input is gathered
// until its braces balance. The line editor is the command's business (emu/scenario/cli.cpp);
// this class only turns lines into output, so tests can drive it.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "emu/scenario/interpreter.h"

namespace kmemu::scenario {

class Shell {
  public:
    // words: machine configuration words to boot with at once (may be empty).
    explicit Shell(const std::vector<std::string>& words = {});

    // One line of input; returns what it printed (empty while a block is still open).
    [[nodiscard]] std::string feed(std::string_view line);
    // Inside an unfinished block: the next line continues it.
    [[nodiscard]] bool wants_more() const { return !m_pending.empty(); }
    // `help` and `help NAME`.
    [[nodiscard]] std::string help(std::string_view topic) const;

  private:
    std::string run_text(std::string text);
    Program m_empty;
    Interpreter m_interp;
    std::deque<Program> m_programs; // every input's program stays alive: values refer to it
    std::string m_pending;
    unsigned m_inputs = 0;
};

// Braces still open in `text` (strings and comments skipped); negative when over-closed.
[[nodiscard]] int open_braces(std::string_view text);

} // namespace kmemu::scenario
