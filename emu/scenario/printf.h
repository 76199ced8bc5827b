// printf for scripts: C's conversions with C's integer widths on the machine's ABI.
#pragma once

#include <span>
#include <string>

#include "emu/scenario/value.h"
#include "mm/error.h"

namespace kmemu::scenario {

// Conversions: %d %i %u %x %X %o %c %s %p %%, flags - 0 # + space, a width and a precision
// (digits only, at most 256), length h hh l ll z. Without a length an integer is a 32-bit int;
// l and z take the machine's word size (`word_bits`), ll 64 bits. %p prints as glibc does:
// 0x and hex digits, "(nil)" for 0.
[[nodiscard]] ErrorOr<std::string> format_printf(std::string_view format,
                                                 std::span<const Value> args, unsigned word_bits);

} // namespace kmemu::scenario
