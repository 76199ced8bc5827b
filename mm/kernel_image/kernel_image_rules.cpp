#include "mm/kernel_image/kernel_image_rules.h"

namespace kmemu {

KernelImageRules kernel_image_rules_for(KernelVersion v, Arch arch) {
    KernelImageRules r;
    r.version = v;
    r.arch = arch;
    r.word_bytes = is_32bit(arch) ? 4 : 8;
    const bool x86 = arch == Arch::I386 || arch == Arch::I386Pae || arch == Arch::X86_64 ||
                     arch == Arch::X86_64La57;
    const bool arm = arch == Arch::Arm || arch == Arch::ArmLpae;
    const bool x86_64 = arch == Arch::X86_64 || arch == Arch::X86_64La57;

    r.hz = x86 ? 1000 : arm ? 100 : 250;
    // The vsyscall cleanup of 3.0 moved jiffies out of the vsyscall page into .data.
    r.jiffies_in_vsyscall = x86_64 && !v.at_least(3, 0);

    // mm: convert totalram_pages to atomic (5.0): the variable became _totalram_pages.
    r.totalram_name = v.at_least(5, 0) ? "_totalram_pages" : "totalram_pages";
    // printk: 5.15 turned printk() into a macro over _printk().
    r.printk_name = v.at_least(5, 15) ? "_printk" : "printk";
    if (x86) {
        // x86 5.8 IDT entry rework: the #PF entry is exc_page_fault; do_page_fault is gone.
        r.page_fault_name = v.at_least(5, 8) ? "exc_page_fault" : "do_page_fault";
        r.page_fault_type = 'T';
    } else {
        // arch/arm/mm/fault.c and arch/arm64/mm/fault.c: static do_page_fault.
        r.page_fault_name = "do_page_fault";
        r.page_fault_type = 't';
    }
    // 3.10 ("remove list management of vmlist after initializing vmalloc") made vmlist a
    // boot-only __initdata static (kmemu does not list it: the memory is freed after boot) and
    // exported vmap_area_list for kexec, a static LIST_HEAD of mm/vmalloc.c since 2.6.28 (S32). 6.9
    // ("mm/vmalloc: remove vmap_area_list", "remove global vmap_area_root rb-tree") moved the
    // busy areas into per-node trees and lists.
    r.has_vmlist = !v.at_least(3, 10);
    if (!v.at_least(2, 6, 28) || v.at_least(6, 9))
        r.vmap_area_list_type = 0;
    else
        r.vmap_area_list_type = v.at_least(3, 10) ? 'D' : 'd';
    r.has_vmap_area_root = v.at_least(2, 6, 28) && !v.at_least(6, 9);

    if (x86_64) {
        // swapper_pg_dir is a #define of the top-level table on x86_64 (pgtable_64.h).
        r.pgd_name = v.at_least(4, 14) ? "init_top_pgt" : "init_level4_pgt";
        r.pgd_type = 'D';
        r.pgd_placement = PgdPlacement::DataStart;
    } else if (x86) {
        r.pgd_name = "swapper_pg_dir";
        r.pgd_type = 'B';
        r.pgd_placement = PgdPlacement::BssStart;
    } else if (arm) {
        // An absolute symbol (.equ in head.S).
        r.pgd_name = "swapper_pg_dir";
        r.pgd_type = 'A';
        r.pgd_placement = PgdPlacement::BelowText;
    } else {
        r.pgd_name = "swapper_pg_dir";
        if (v.at_least(4, 18)) {
            r.pgd_type = 'R';
            r.pgd_placement = PgdPlacement::EndOfRodata;
        } else {
            r.pgd_type = 'B';
            r.pgd_placement = PgdPlacement::AfterBss;
        }
    }

    // kptr_restrict (2.6.38) turned s_show's "%0*lx" into "%pK"; 4.15 ("kallsyms: take
    // advantage of the new '%px' format") decides once through kallsyms_show_value().
    if (!v.at_least(2, 6, 38))
        r.kallsyms_addresses = KallsymsAddressRule::AlwaysReal;
    else if (!v.at_least(4, 15))
        r.kallsyms_addresses = KallsymsAddressRule::PercentK;
    else
        r.kallsyms_addresses = KallsymsAddressRule::ShowValue;
    // lib/vsprintf.c %pK: the euid/egid checks for kptr_restrict=1 came with 3.8 (unverified;
    // present in the 3.10.108 tree the reference read).
    r.pk_checks_credentials = v.at_least(3, 8);

    // scripts/mkcompile_h: LINUX_COMPILER = "$CC --version | head -1, $LD -v" from 5.8;
    // before, the last line of `$CC -v` ("gcc version X (GCC) ").
    r.banner_has_linker = v.at_least(5, 8);
    return r;
}

} // namespace kmemu
