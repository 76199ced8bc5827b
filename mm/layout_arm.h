// arm layout rules: the per-version constants and the formulas of ../shared/reference/layouts.md
// for this arch family. The rules struct is this arch's part of KernelProfile.
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// What changed between kernel versions for this arch's layout (filled from the version once).
struct ArmRules {
    KernelVersion version;
};

[[nodiscard]] ArmRules arm_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_arm(const MachineConfig& config, const ArmRules& rules,
                                                 const RamMap& ram);
[[nodiscard]] std::string render_layout_block_arm(const Layout& layout, const ArmRules& rules);

} // namespace kmemu
