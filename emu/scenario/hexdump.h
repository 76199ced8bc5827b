// `hexdump -C` output (util-linux): offset, 16 bytes in two groups of 8, the printable
// characters between bars; identical lines after the first collapse into one `*`; the last line
// is the end offset. Offsets start at `base` (hexdump -s) and have at least 8 hex digits.
#pragma once

#include <string>
#include <string_view>

#include "mm/types.h"

namespace kmemu::scenario {

[[nodiscard]] std::string hexdump_canonical(std::string_view bytes, u64 base);

} // namespace kmemu::scenario
