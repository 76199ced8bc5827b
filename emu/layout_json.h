// `kmemu layout --json`: every Layout constant as JSON (addresses as "0x..." strings, counts as
// numbers), plus the zones and the arch's extra regions.
#pragma once

#include <string>

#include "mm/layout.h"

namespace kmemu {

[[nodiscard]] std::string layout_to_json(const Layout& layout);

} // namespace kmemu
