// KernelImageRules: what the kernel image's symbol table, its variables and /proc/kallsyms look
// like for one kernel version and arch (DESIGN.md lesson 11). Decided once in
// kernel_image_rules_for(); the symbol builder, the variable writer and the kallsyms renderer
// only read it.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// How s_show prints a symbol's address (kernel/kallsyms.c).
enum class KallsymsAddressRule : u8 {
    AlwaysReal, // "%0*lx": the real value for every reader (up to 2.6.37)
    PercentK,   // "%pK", decided per read by kptr_restrict (2.6.38 .. 4.14)
    ShowValue,  // "%px" of a value kallsyms_show_value() allowed, else NULL (4.15+)
};

// Where a page-table root symbol lives in the image.
enum class PgdPlacement : u8 {
    BssStart,    // i386 head_32.S: swapper_pg_dir, first page of .bss..page_aligned
    DataStart,   // x86_64 head_64.S: init_level4_pgt / init_top_pgt, page aligned in .data
    BelowText,   // ARM head.S: .equ swapper_pg_dir, KERNEL_RAM_VADDR - PG_DIR_SIZE
    AfterBss,    // arm64 up to 4.17: vmlinux.lds.S reserves it after .bss, before _end
    EndOfRodata, // arm64 4.18+: vmlinux.lds.S puts it after RO_DATA, before __init_begin
};

struct KernelImageRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    unsigned word_bytes = 8; // sizeof(unsigned long) and sizeof(void *)

    // CONFIG_HZ of the arch's defconfig: x86 i386_defconfig/x86_64_defconfig set HZ_1000;
    // ARM (multi_v7/vexpress) takes arch/arm/Kconfig's default 100; arm64's defconfig sets no
    // HZ, so kernel/Kconfig.hz's default 250 applies.
    unsigned hz = 1000;

    // x86_64 up to 2.6.39: jiffies lives in the vsyscall page (vmlinux.lds.S `.jiffies`,
    // `jiffies = VVIRT(.jiffies)`), so its address is in the fixed vsyscall mapping
    // 0xffffffffff600000 while its bytes sit in the image's data.
    bool jiffies_in_vsyscall = false;

    // Symbol names that changed.
    const char* totalram_name = "totalram_pages";  // "_totalram_pages" from 5.0 (atomic_long_t)
    const char* printk_name = "printk";            // "_printk" from 5.15 (printk became a macro)
    const char* page_fault_name = "do_page_fault"; // x86 5.8+: exc_page_fault (idtentry)
    char page_fault_type = 'T';                    // ARM/arm64: static do_page_fault -> 't'
    const char* pgd_name = "swapper_pg_dir";       // x86_64: init_level4_pgt (<4.14), init_top_pgt
    char pgd_type = 'B';
    PgdPlacement pgd_placement = PgdPlacement::BssStart;
    // The vmalloc lists' heads: the global `vmlist` pointer (<= 3.9; an __initdata static
    // after), LIST_HEAD(vmap_area_list) ('d' static 2.6.28-3.9, 'D' global 3.10-6.8, 0 = gone
    // in 6.9's vmap_node rework), the static rb_root vmap_area_root (2.6.28-6.8).
    bool has_vmlist = false;
    char vmap_area_list_type = 'D';
    bool has_vmap_area_root = true;

    // /proc/kallsyms.
    KallsymsAddressRule kallsyms_addresses = KallsymsAddressRule::ShowValue;
    // %pK with kptr_restrict=1 also requires euid==uid and egid==gid (S310 has it).
    bool pk_checks_credentials = true;

    // linux_banner: compilers of the era; 5.8+ adds ", <ld -v>" (scripts/mkcompile_h).
    bool banner_has_linker = true;
};

[[nodiscard]] KernelImageRules kernel_image_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
