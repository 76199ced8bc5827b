// Memory as a script block sees it: kernel memory in `kernel { }` (through init_mm, an oops on
// a fault), the process's user memory in `process { }` (a fault is the signal, as a value).
#pragma once

#include <string>

#include "emu/scenario/interpreter.h"

namespace kmemu::scenario {

// Bytes at addr on the side of the current block; a user fault is an error naming the signal.
[[nodiscard]] ErrorOr<std::string> read_block_memory(Interpreter& in, u64 addr, u64 len);
[[nodiscard]] ErrorOr<void> write_block_memory(Interpreter& in, u64 addr, std::string_view bytes);
// The current block's process (error outside process blocks or without a machine).
[[nodiscard]] ErrorOr<Process*> block_process(Interpreter& in, std::string_view what);

} // namespace kmemu::scenario
