#include "devices/mem/devmem_rules.h"

#include "mm/iomem_rules.h"

namespace kmemu {

namespace {

bool stable(const KernelVersion& v, unsigned major, unsigned minor, unsigned from_patch) {
    return v.major == major && v.minor == minor && v.patch >= from_patch;
}

// When the arch got CONFIG_STRICT_DEVMEM: x86 2.6.27 (kernel-semantics §2.4.4), ARM 2.6.37
// (commit 087aaffcdf9c "ARM: implement CONFIG_STRICT_DEVMEM by disabling access to RAM via
// /dev/mem"), arm64 3.19 [unverified].
bool arch_has_strict_devmem(const KernelVersion& v, Arch arch) {
    if (is_x86(arch))
        return v.at_least(2, 6, 27);
    if (is_arm32(arch))
        return v.at_least(2, 6, 37);
    return v.at_least(3, 19);
}

} // namespace

DevmemRules devmem_rules_for(KernelVersion v, Arch arch, const MachineConfig& config,
                             unsigned phys_bits) {
    DevmemRules r;
    r.arch = arch;
    r.page_shift = config.page_shift();
    r.word_bits = is_32bit(arch) ? 32 : 64;
    r.phys_addr_bits = (arch == Arch::I386 || arch == Arch::Arm) ? 32 : 64;
    r.cpu_phys_bits = phys_bits;

    r.mem_present = config.devmem.value_or(true);
    r.kmem_present = !v.at_least(5, 13) && config.devkmem.value_or(true);
    r.lockdown_checked = v.at_least(5, 4);
    r.fop_unsigned_offset = v.at_least(6, 12);
    r.locked_down = r.lockdown_checked && config.lockdown != Lockdown::None;

    // memory_lseek (§2.3): 2.6.39 brought FMODE_UNSIGNED_OFFSET and the -4096 window (absent in
    // 2.6.32.69, present in 3.6.5); 3.10.108 still has the -4096 test and a 3.14 tree the
    // IS_ERR_VALUE form (first release seen; 3.11-3.13 not read), as 4.4.155 does; 4.19 the
    // 64-bit -MAX_ERRNO test (4.7: IS_ERR_VALUE's users fixed, from memory).
    if (v.at_least(4, 7))
        r.lseek = MemLseekLimit::MaxErrno64;
    else if (v.at_least(3, 14) || stable(v, 4, 4, 0))
        r.lseek = MemLseekLimit::IsErrValue;
    else if (v.at_least(2, 6, 39))
        r.lseek = MemLseekLimit::Below4096;
    else
        r.lseek = MemLseekLimit::None;

    // read_mem/write_mem's p: unsigned long in 2.6.x, phys_addr_t in 3.x (3.6.5 has it).
    r.mem_pos_bits = v.at_least(3, 0) ? r.phys_addr_bits : r.word_bits;
    r.pos_guard = v.at_least(3, 15);

    r.strict_devmem = arch_has_strict_devmem(v, arch) && config.strict_devmem.value_or(true);
    // a4866aa81251 "mm: Tighten x86 /dev/mem with zeroing reads" (CVE-2017-7889): 4.11; in
    // 4.4.y from 4.4.65 (a distribution's changelog patches it onto 4.4.64 and drops the patch
    // as upstreamed at 4.4.65); 3.10.108 has it (first 3.10.y release not determined).
    const bool zeroing = v.at_least(4, 11) || stable(v, 3, 10, 108) || stable(v, 4, 4, 65);
    if (!is_x86(arch))
        r.devmem_allowed = DevmemAllowed::Arm;
    else if (v.at_least(4, 14))
        r.devmem_allowed = DevmemAllowed::X86ZeroingIntersects;
    else if (zeroing)
        r.devmem_allowed = DevmemAllowed::X86Zeroing;
    else if (v.at_least(3, 0))
        r.devmem_allowed = DevmemAllowed::X86FirstMib;
    else
        r.devmem_allowed = DevmemAllowed::X86FirstMibInclusive;
    r.x86_checks_exclusive = v.at_least(2, 6, 28);
    r.exclusive_alias_4g = arch == Arch::I386 || arch == Arch::I386Pae;
    r.iomem_policy.strict_iomem_checks = r.strict_devmem;
    r.iomem_policy.io_strict_devmem = config.io_strict_devmem.value_or(false);

    if (arch == Arch::Arm64 && v.at_least(4, 6))
        r.valid_phys = ValidPhysRange::Arm64Memblock; // 4.6+ [unverified]; 6.x verified
    else if (is_arm32(arch) || arch == Arch::Arm64)
        r.valid_phys = ValidPhysRange::Arm;
    else if (v.at_least(5, 1) || stable(v, 4, 19, 39) || stable(v, 5, 0, 12))
        r.valid_phys = ValidPhysRange::X86LastByte; // 92c77f7c4d5d, in 4.19.39 and 5.0.12
    else
        r.valid_phys = ValidPhysRange::Generic;
    if (is_arm32(arch))
        r.valid_mmap = ValidMmapRange::ArmPhysMask;
    else if (arch == Arch::Arm64)
        r.valid_mmap = ValidMmapRange::Arm64PhysMask;
    else if (v.at_least(4, 15))
        r.valid_mmap = ValidMmapRange::X86PhysBits; // be62a3204406 (4.15 merge window)
    else
        r.valid_mmap = ValidMmapRange::Always;

    if (!r.strict_devmem)
        r.loop = MemLoop::Plain;
    else if (zeroing) // the zeroing-reads change rewrote the generic loop for every arch
        r.loop = MemLoop::PerPage;
    else
        r.loop = MemLoop::RangeChecked;
    r.read_bounce = v.at_least(4, 16); // 22ec1a2aea73, authored 2017-12-01
    // 8619e5bdeee8 "/dev/mem: Bail out upon SIGKILL." (queued Sept 2019: 5.4; its stable
    // backports are not modelled), then "/dev/mem: make reads and writes interruptible"
    // (posted April 2022: 5.19).
    if (v.at_least(5, 19))
        r.stop = StopCheck::AnySignal;
    else if (v.at_least(5, 4))
        r.stop = StopCheck::FatalSignal;
    else
        r.stop = StopCheck::None;

    r.mmap_pfn_fits = v.at_least(4, 13);
    r.mmap_wrap_check = v.at_least(4, 12) || stable(v, 4, 4, 155);
    r.mmap_prot_allowed = v.at_least(2, 6, 27);
    r.mmap_mem_ops = v.at_least(2, 6, 26);
    r.x86_pat_request = is_x86(arch) && v.at_least(2, 6, 26);
    r.x86_pat_enabled = r.x86_pat_request && config.pat.value_or(true);

    r.kmem_checks_vmalloc = v.at_least(2, 6, 32);
    r.kmem_virt_addr_valid = v.at_least(4, 14);
    return r;
}

} // namespace kmemu
