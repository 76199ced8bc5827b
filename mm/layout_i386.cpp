#include "mm/layout_i386.h"

#include "mm/machine_config.h"

namespace kmemu {

I386Rules i386_rules_for(KernelVersion version) { return I386Rules{version}; }

ErrorOr<Layout> compute_layout_i386(const MachineConfig& config, const I386Rules&, const RamMap&) {
    return make_error(ErrorKind::InvalidConfig, "arch: {} layouts are not available in this build",
                      arch_name(config.arch));
}

std::string render_layout_block_i386(const Layout&, const I386Rules&) { return {}; }

} // namespace kmemu
