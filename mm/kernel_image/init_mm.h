// init_mm (mm/init-mm.c): the kernel's struct mm_struct, written into the image's frames at the
// `init_mm` symbol so that a kernel-memory reader finds init_mm.pgd == swapper_pg_dir,
// mm_users == 2, mm_count == 1, an empty VMA list (mmap NULL / an empty maple tree) and
// map_count == 0 at the offsets of that version's struct for the arch.
//
// What is modelled: the prefix of struct mm_struct up to map_count, field by field per era
// (include/linux/mm_types.h), with the ABI's alignment (CStructLayout). Eras and their
// sources: 2.6.32 (read in a 2.6.32 tree; used for every version below 3.8), 3.10 (3.10.30:
// mmap_legacy_base is a 3.11 change backported to 3.10.y; used for 3.10-3.14), and from 4.4 the
// x86_64 BTF type of each listed release (4.4, 4.8, 4.10, 4.13, 4.15, 4.18, 5.0, 5.3, 5.4,
// 5.8, 5.11, 5.13, 5.15, 5.19, 6.2, 6.5, 6.8) with the 5.10 stable tree read for 5.10; a
// version between two known ones takes the earlier one's layout unless the change's own
// release is known (noted in init_mm.cpp). Config-dependent members follow the defconfigs:
// MEMBARRIER=y, SCHED_MM_CID=y (6.5+), no LOCKDEP, HAVE_ARCH_COMPAT_MMAP_BASES on x86_64
// only, nr_pmds only with more than two page-table levels.
//
// Not modelled (left 0): every field after map_count (mmap_lock / mmap_sem with its wait
// list, page_table_lock, mmlist = LIST_HEAD_INIT, user_ns, cpu_bitmap, context).
#pragma once

#include <optional>

#include "mm/error.h"
#include "mm/kernel_image/kernel_symbols.h"
#include "mm/phys_memory.h"

namespace kmemu {

struct InitMmLayout {
    u32 vma_root = 0; // mmap (a VMA list head pointer) or mm_mt (6.1+, struct maple_tree)
    bool maple_tree = false;
    u32 mt_root = 0, mt_flags = 0; // 6.1+: offsets of ma_root and ma_flags in init_mm
    u32 mt_flags_value = 0;        // MM_MT_FLAGS
    std::optional<u32> mm_rb;      // struct rb_root mm_rb (<= 6.0): RB_ROOT = NULL
    u32 pgd = 0, mm_users = 0, mm_count = 0, map_count = 0;
    u32 modelled_bytes = 0; // bytes from the start of init_mm through map_count
};

// levels: the number of page-table levels of the machine (nr_pmds exists with more than 2).
[[nodiscard]] InitMmLayout init_mm_layout_for(KernelVersion version, Arch arch, unsigned levels);

// Write init_mm with pgd = the page-table root symbol's address (swapper_pg_dir; on x86_64 the
// init_level4_pgt / init_top_pgt it is a macro for); the symbol's size becomes the bytes kept.
ErrorOr<void> write_init_mm(KernelSymbols& symbols, const KernelImageRules& rules, unsigned levels,
                            PhysicalMemory& phys);

} // namespace kmemu
