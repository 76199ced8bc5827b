// arm64 layout rules: the per-version constants and the formulas of ../shared/reference/layouts.md
// for this arch family. The rules struct is this arch's part of KernelProfile.
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// What changed between kernel versions for this arch's layout (filled from the version once).
struct Arm64Rules {
    KernelVersion version;
};

[[nodiscard]] Arm64Rules arm64_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_arm64(const MachineConfig& config, const Arm64Rules& rules,
                                                const RamMap& ram);
[[nodiscard]] std::string render_layout_block_arm64(const Layout& layout, const Arm64Rules& rules);

} // namespace kmemu
