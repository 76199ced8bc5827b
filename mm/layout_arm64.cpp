#include "mm/layout_arm64.h"

#include "mm/machine_config.h"

namespace kmemu {

Arm64Rules arm64_rules_for(KernelVersion version) { return Arm64Rules{version}; }

ErrorOr<Layout> compute_layout_arm64(const MachineConfig& config, const Arm64Rules&, const RamMap&) {
    return make_error(ErrorKind::InvalidConfig, "arch: {} layouts are not available in this build",
                      arch_name(config.arch));
}

std::string render_layout_block_arm64(const Layout&, const Arm64Rules&) { return {}; }

} // namespace kmemu
