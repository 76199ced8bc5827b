#include "mm/layout_x86_64.h"

#include "mm/machine_config.h"

namespace kmemu {

X86_64Rules x86_64_rules_for(KernelVersion version) { return X86_64Rules{version}; }

ErrorOr<Layout> compute_layout_x86_64(const MachineConfig& config, const X86_64Rules&, const RamMap&) {
    return make_error(ErrorKind::InvalidConfig, "arch: {} layouts are not available in this build",
                      arch_name(config.arch));
}

std::string render_layout_block_x86_64(const Layout&, const X86_64Rules&) { return {}; }

} // namespace kmemu
