// i386 layout rules: the per-version constants and the formulas of ../shared/reference/layouts.md
// for this arch family. The rules struct is this arch's part of KernelProfile.
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// What changed between kernel versions for this arch's layout (filled from the version once).
struct I386Rules {
    KernelVersion version;
};

[[nodiscard]] I386Rules i386_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_i386(const MachineConfig& config, const I386Rules& rules,
                                                const RamMap& ram);
[[nodiscard]] std::string render_layout_block_i386(const Layout& layout, const I386Rules& rules);

} // namespace kmemu
