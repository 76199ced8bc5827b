#include "mm/iomem_rules.h"

namespace kmemu {

IomemRules iomem_rules_for(KernelVersion v, Arch arch) {
    IomemRules r;
    r.version = v;
    r.arch = arch;
    r.reserved_capitalised = v.at_least(4, 12);
    r.x86_kernel_rodata = v.at_least(5, 5);
    r.x86_kernel_bss = v.at_least(2, 6, 26);
    r.x86_trim_bios_range = v.at_least(2, 6, 36);
    r.x86_pci_crs_windows = v.at_least(2, 6, 34);
    const bool stable_4_4_backport = v.major == 4 && v.minor == 4 && v.patch >= 155;
    r.hides_addresses_unprivileged = v.at_least(4, 15) || stable_4_4_backport;
    r.io_strict_devmem_exists = v.at_least(4, 5);
    r.exclusive_system_ram_always = v.at_least(5, 16);
    r.region_intersects_descends = v.at_least(6, 12);
    r.x86_page_is_ram_e820 = is_x86(arch) && !v.at_least(3, 0);
    r.walk_no_ram_result = v.at_least(5, 0) ? -22 : -1;
    return r;
}

} // namespace kmemu
