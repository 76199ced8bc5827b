// A small unified diff (for `kmemu run --check`), so golden tests need no outside tool.
#pragma once

#include <string>
#include <string_view>

namespace kmemu::scenario {

// The unified diff (3 lines of context) turning `expected` into `actual`, with the given file
// labels; empty when they are equal. Inputs larger than a few thousand lines on both sides are
// shown as one hunk replacing everything, which keeps the work bounded.
[[nodiscard]] std::string unified_diff(std::string_view expected, std::string_view actual,
                                       std::string_view expected_label,
                                       std::string_view actual_label);

} // namespace kmemu::scenario
