// Capability names for `process caps=...` (include/uapi/linux/capability.h numbering).
#pragma once

#include <optional>
#include <string_view>

namespace kmemu::scenario {

// CAP_CHECKPOINT_RESTORE (40) is the last capability as of Linux 5.9 to 6.13.
constexpr unsigned kCapLastCap = 40;
[[nodiscard]] std::optional<unsigned> capability_number(std::string_view name);
[[nodiscard]] const char* capability_name(unsigned number); // "CAP_SYS_RAWIO"

} // namespace kmemu::scenario
