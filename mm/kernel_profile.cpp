#include "mm/kernel_profile.h"

namespace kmemu {

KernelProfile KernelProfile::for_machine(KernelVersion version, Arch arch, unsigned page_shift) {
    KernelProfile p;
    p.version = version;
    p.arch = arch;
    p.i386 = i386_rules_for(version);
    p.x86_64 = x86_64_rules_for(version);
    p.arm = arm_rules_for(version);
    p.arm64 = arm64_rules_for(version);
    p.page_alloc = page_alloc_rules_for(version, arch, page_shift);
    p.mem_init = mem_init_rules_for(version, arch);
    p.iomem = iomem_rules_for(version, arch);
    p.vmalloc = vmalloc_rules_for(version, arch, page_shift);
    p.kernel_image = kernel_image_rules_for(version, arch);
    p.slab = slab_rules_for(version, arch, page_shift, p.page_alloc.nr_orders);
    return p;
}

} // namespace kmemu
