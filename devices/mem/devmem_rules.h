// The /dev/mem and /dev/kmem rules that changed between kernel versions and arches
// (drivers/char/mem.c, arch/x86/mm/init.c and mmap.c, arch/arm/mm/mmap.c, arch/arm64/mm/mmap.c),
// decided once from the machine's version, arch and config (DESIGN.md lesson 11). The drivers
// ask these fields; no version comparison happens anywhere else.
//
// Versions: behaviour is taken from the trees of kernel-semantics.md §0.1 (2.6.24, 2.6.32.69,
// 3.6.5, 3.10.108, 4.4.155, 4.19.72, 5.4.18, 5.10.44, 6.1.119, 6.13.7). Where a change sits
// between two of them the mainline version is given as best known and marked [unverified];
// stable backports seen in 3.10.108 and 4.4.155 are keyed on those patch levels (the first
// stable release carrying them was not determined).
#pragma once

#include "mm/arch.h"
#include "mm/iomem.h"
#include "mm/kernel_version.h"
#include "mm/machine_config.h"
#include "mm/types.h"

namespace kmemu {

// memory_lseek's refusal window for the new position (§2.3).
enum class MemLseekLimit : u8 {
    None,       // 2.6.11-2.6.38: any position, f_pos = offset
    Below4096,  // 2.6.39+: (u64)new >= 0xFFFFFFFFFFFFF000 -> EOVERFLOW
    IsErrValue, // 3.15+ [unverified]: IS_ERR_VALUE((unsigned long)new), 32-bit on i386/ARM
    MaxErrno64, // 4.7+ [unverified]: (u64)new >= (u64)-MAX_ERRNO
};

// Which devmem_is_allowed() the arch and version have (§2.4.4).
enum class DevmemAllowed : u8 {
    X86FirstMibInclusive, // 2.6.27+: pagenr <= 256 -> 1 (the off-by-one lets pfn 256 through)
    X86FirstMib,          // 3.0+ [unverified]: pagenr < 256 -> 1; exclusive 0; RAM 0
    X86Zeroing,           // 4.11+, 3.10.108, 4.4.65: RAM below 1 MiB -> 2 (zeros), RAM 0
    X86ZeroingIntersects, // 4.14+ [unverified]: as Zeroing, RAM = region_intersects System RAM
    Arm,                  // ARM 2.6.37+ and arm64: exclusive 0; not RAM 1; RAM 0
};

// valid_phys_addr_range() of read_mem/write_mem (§2.4.2).
enum class ValidPhysRange : u8 {
    Generic, // addr + count <= __pa(high_memory)
    // x86 5.1+ (92c77f7c4d5d "x86/mm: Dont exceed the valid physical address space", also in
    // 4.19.39 and 5.0.12): addr + count - 1 <= __pa(high_memory - 1). x86's own function of
    // 4.15-5.0 (be62a3204406) kept the generic formula.
    X86LastByte,
    Arm,           // ARM: PHYS_OFFSET <= addr and addr + count <= __pa(high_memory - 1) + 1
    Arm64Memblock, // arm64: the range lies inside one memblock memory region (RAM)
};

// valid_mmap_phys_addr_range() (§2.4.2).
enum class ValidMmapRange : u8 {
    Always,       // generic
    X86PhysBits,  // x86 4.15+ (be62a3204406): last byte below 2^cpu_phys_bits
    ArmPhysMask,  // ARM: pfn + pages <= 1 + (PHYS_MASK >> PAGE_SHIFT)
    Arm64PhysMask // arm64: (pfn << PAGE_SHIFT) + size has no bit above PHYS_MASK
};

// The shape of read_mem / write_mem's loop (§2.5).
enum class MemLoop : u8 {
    Plain,        // no STRICT_DEVMEM (config off, or before the arch has it)
    RangeChecked, // range_is_allowed: read checks the whole remaining count, write each chunk
    PerPage,      // page_is_allowed per chunk with zero-filled (2) pages (a4866aa81251)
};

// should_stop_iteration() (§2.4.5): fatal signals from 5.4, any signal from 5.19.
enum class StopCheck : u8 { None, FatalSignal, AnySignal };

struct DevmemRules {
    Arch arch = Arch::X86_64;
    unsigned page_shift = 12;
    unsigned word_bits = 64;      // unsigned long / size_t
    unsigned phys_addr_bits = 64; // phys_addr_t (32 on i386 without PAE and ARM without LPAE)
    unsigned cpu_phys_bits = 46;  // the CPU's physical address width (x86 MAXPHYADDR, arm64 PA)

    // Presence. /dev/mem: CONFIG_DEVMEM (devmem=). /dev/kmem: CONFIG_DEVKMEM up to 5.12
    // ("drivers/char: remove /dev/kmem for good", 5.13).
    bool mem_present = true;
    bool kmem_present = true;

    // open_mem: security_locked_down(LOCKDOWN_DEV_MEM) after CAP_SYS_RAWIO (5.4+).
    bool lockdown_checked = true;
    // mem_fops.fop_flags = FOP_UNSIGNED_OFFSET (6.12+, commit 641bb4394f40), replacing the
    // devlist's FMODE_UNSIGNED_OFFSET.
    bool fop_unsigned_offset = true;
    bool locked_down = false; // lockdown= integrity or confidentiality, on a 5.4+ kernel

    MemLseekLimit lseek = MemLseekLimit::MaxErrno64;
    // read_mem/write_mem's p: unsigned long before 3.x's phys_addr_t (3.15+ [unverified]
    // together with the p != *ppos guard; 3.10.108 still truncates to unsigned long).
    unsigned mem_pos_bits = 64;
    // p != *ppos (the position does not fit phys_addr_t): read 0, write -EFBIG.
    bool pos_guard = true;

    // CONFIG_STRICT_DEVMEM in effect (x86 2.6.27+, ARM 2.6.37+, arm64 3.19+ [unverified]).
    bool strict_devmem = true;
    DevmemAllowed devmem_allowed = DevmemAllowed::X86ZeroingIntersects;
    // x86 devmem_is_allowed refuses exclusive iomem resources: not in the first STRICT_DEVMEM
    // (2.6.27's init_64.c has only the first-MiB and RAM tests), 2.6.28+ [unverified].
    bool x86_checks_exclusive = true;
    // x86 32-bit (PAE, and non-PAE for mmap offsets >= 4 GiB): devmem_is_allowed passes pagenr <<
    // PAGE_SHIFT in a 32-bit unsigned long to iomem_is_exclusive, so the exclusivity of a page >= 4
    // GiB is that of its alias below.
    bool exclusive_alias_4g = false;
    IomemPolicy iomem_policy; // strict_iomem_checks (STRICT_DEVMEM default) and IO_STRICT_DEVMEM

    ValidPhysRange valid_phys = ValidPhysRange::X86LastByte;
    ValidMmapRange valid_mmap = ValidMmapRange::X86PhysBits;
    MemLoop loop = MemLoop::PerPage;
    // read_mem copies through a kmalloc'ed bounce page with a fault-tolerant kernel read
    // (probe_kernel_read, copy_from_kernel_nofault): 22ec1a2aea73 "/dev/mem: Add bounce buffer
    // for copy-out", authored 2017-12-01, so 4.16 (merge release inferred); -ENOMEM when it
    // cannot be had.
    bool read_bounce = true;
    StopCheck stop = StopCheck::AnySignal;

    // mmap_mem's steps (§2.6): (a) the offset fits phys_addr_t (4.13+ [unverified]); (b) offset +
    // size - 1 does not wrap (4.12+ [unverified], 4.4.155); (e) range_is_allowed and (f)
    // phys_mem_access_prot_allowed exist with STRICT_DEVMEM's era (2.6.27+ on x86).
    bool mmap_pfn_fits = true;
    bool mmap_wrap_check = true;
    bool mmap_prot_allowed = true;
    // mmap_mem sets vm_ops = &mmap_mem_ops (2.6.26+ [unverified]; NULL in 2.6.24).
    bool mmap_mem_ops = true;
    // x86 cache attribute of a /dev/mem mapping (§2.6): up to 2.6.25 uncached_access gives
    // pgprot_noncached (PCD | PWT) for O_SYNC only; 2.6.26+ (PAT) requests UC- for O_DSYNC and,
    // with PAT enabled (no `nopat`, config pat=off), the PAT tracking rules decide.
    bool x86_pat_request = true;
    bool x86_pat_enabled = true;

    // read_kmem/write_kmem. E1 (<= 2.6.31): no is_vmalloc_or_module_addr check, high phase in
    // PAGE_SIZE pieces, vwrite's 0 livelocks the write. E2+: size_inside_page chunks, -ENXIO
    // outside vmalloc/modules, `read ? read : err` (Wu Fengguang's series, authored December
    // 2009: mainline 2.6.33, in the 2.6.32.y stable tree read (2.6.32.69); "2.6.32" here means
    // that late 2.6.32.y, as kernel-semantics' E2 does).
    bool kmem_checks_vmalloc = true;
    // virt_addr_valid() before each low-phase chunk (4.14+ [unverified]; absent in 4.4.155).
    bool kmem_virt_addr_valid = true;

    [[nodiscard]] u64 page_size() const { return u64{1} << page_shift; }
};

[[nodiscard]] DevmemRules devmem_rules_for(KernelVersion version, Arch arch,
                                           const MachineConfig& config, unsigned phys_bits);

} // namespace kmemu
