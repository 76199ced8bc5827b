#include "mm/layout_arm.h"

#include "mm/machine_config.h"

namespace kmemu {

ArmRules arm_rules_for(KernelVersion version) {
    return ArmRules{version};
}

ErrorOr<Layout> compute_layout_arm(const MachineConfig& config, const ArmRules&, const RamMap&) {
    return make_error(ErrorKind::InvalidConfig, "arch: {} layouts are not available in this build",
                      arch_name(config.arch));
}

std::string render_layout_block_arm(const Layout&, const ArmRules&) {
    return {};
}

} // namespace kmemu
