// What changed between kernel versions in the iomem resource tree and its lookups (DESIGN.md
// lesson 11): decided once from the version in iomem_rules_for(), asked everywhere else.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"

namespace kmemu {

struct IomemRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    // e820_type_to_string names E820_TYPE_RESERVED "Reserved" since the 4.12 e820 rewrite,
    // "reserved" before (kernel-semantics §5.3: S44 "reserved", S419 "Reserved").
    bool reserved_capitalised = true;
    // x86 setup_arch: "Kernel rodata" exists and "Kernel data" starts at _sdata (5.5+, Kees
    // Cook's "x86/mm: Report actual image regions in /proc/iomem"); before, data starts at
    // _etext and there is no rodata entry.
    bool x86_kernel_rodata = true;
    // x86 "Kernel bss" resource (2.6.26+; intro version unverified).
    bool x86_kernel_bss = true;
    // x86 trim_bios_range: page 0 becomes reserved, RAM in [0xa0000, 0x100000) is dropped
    // before the resources are built (present in 3.x+ trees; taken here as 2.6.36+, unverified).
    bool x86_trim_bios_range = true;
    // PCI host-bridge _CRS windows ("PCI Bus 0000:00") by default for 2008+ BIOSes (2.6.34+,
    // QEMU's SeaBIOS qualifies); before, the legacy "Video RAM area" sits at 0xa0000.
    bool x86_pci_crs_windows = true;
    // r_show prints 0-0 to readers without CAP_SYS_ADMIN: 4.15+ (51d7b120418e), and the
    // 4.4.y backport (seen in 4.4.155; the first 4.4.y with it, and 4.9.y/4.14.y, unverified).
    bool hides_addresses_unprivileged = true;
    // CONFIG_IO_STRICT_DEVMEM exists (4.5+): busy resources count as exclusive when it is set.
    bool io_strict_devmem_exists = true;
    // resource_is_exclusive: a SYSTEM_RAM|EXCLUSIVE resource is exclusive even with
    // iomem=relaxed (5.16+, "kernel/resource: disallow access to exclusive system RAM regions").
    bool exclusive_system_ram_always = true;
    // __region_intersects also looks into the descendants of a non-matching top-level
    // resource (CXL fix, taken as 6.12+; unverified).
    bool region_intersects_descends = true;
    // x86 page_is_ram in arch/x86/mm/ioremap.c (2.6.32): pfn 0 and the BIOS area are not RAM,
    // else RAM iff inside an e820 RAM entry. Later kernels use walk_system_ram_range (taken as
    // 3.0+; the switch lies between 2.6.32 and 3.6).
    bool x86_page_is_ram_e820 = false;
    // walk_system_ram_range's result when no RAM was found: -EINVAL (5.x+), -1 before
    // (exact switch unverified; page_is_ram only compares with 1).
    int walk_no_ram_result = -22;
};

[[nodiscard]] IomemRules iomem_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
