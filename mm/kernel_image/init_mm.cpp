#include "mm/kernel_image/init_mm.h"

#include <vector>

#include "mm/kernel_image/c_struct_layout.h"

namespace kmemu {

namespace {

// MT_FLAGS_ALLOC_RANGE 0x01 | MT_FLAGS_USE_RCU 0x02 | MT_FLAGS_LOCK_EXTERN 0x300
// (include/linux/maple_tree.h). MM_MT_FLAGS is ALLOC_RANGE | LOCK_EXTERN in 6.1.0; "mm: enable
// maple tree RCU mode by default" (6.3, sent to stable and present in 6.1.y) adds USE_RCU.
constexpr u32 kMmMtFlags = 0x01 | 0x02 | 0x300;

} // namespace

InitMmLayout init_mm_layout_for(KernelVersion v, Arch arch, unsigned levels) {
    InitMmLayout l;
    CStructLayout s(arch);
    const bool compat_bases = arch == Arch::X86_64 || arch == Arch::X86_64La57;

    if (v.at_least(6, 5)) {
        // 6.5 BTF: struct { atomic_t mm_count; } ____cacheline_aligned_in_smp comes first
        // (SMP_CACHE_BYTES 64 on x86 and arm64 defconfigs, ARM v7 L1_CACHE_SHIFT 6).
        l.mm_count = s.u32_field();
        s.align_to(64);
    }
    if (v.at_least(6, 1)) {
        // struct maple_tree { union { spinlock_t ma_lock; lockdep_map_p ma_external_lock; };
        // void __rcu *ma_root; unsigned int ma_flags; } (lockdep_map_p is empty without
        // LOCKDEP). MTREE_INIT_EXT(mm_mt, MM_MT_FLAGS, init_mm.mmap_lock): unlocked lock,
        // empty tree (ma_root NULL), ma_flags = MM_MT_FLAGS.
        CStructLayout mt(arch);
        mt.u32_field();
        const u32 root = mt.word();
        const u32 flags = mt.u32_field();
        l.maple_tree = true;
        l.vma_root = s.field(mt.size(), mt.word_bytes());
        l.mt_root = l.vma_root + root;
        l.mt_flags = l.vma_root + flags;
        l.mt_flags_value = kMmMtFlags;
    } else {
        l.vma_root = s.word(); // struct vm_area_struct *mmap
        l.mm_rb = s.word();    // struct rb_root mm_rb
    }
    if (v.at_least(3, 15) && !v.at_least(6, 1)) {
        // "mm: per-thread vma caching" (3.15) replaced mmap_cache; u64 since the
        // CVE-2018-17182 fix in 4.19 (u32 in the 4.4-4.15 BTF).
        if (v.at_least(4, 19))
            s.u64_field();
        else
            s.u32_field();
    } else if (!v.at_least(3, 15)) {
        s.word(); // struct vm_area_struct *mmap_cache
    }
    s.word(); // get_unmapped_area (CONFIG_MMU)
    if (!v.at_least(3, 15))
        s.word(); // unmap_area (gone in the 4.4 BTF; 3.15 from the vmacache rework, unverified)
    s.word();     // mmap_base
    if (v.at_least(3, 10))
        s.word(); // mmap_legacy_base (3.10.y stable, 3.11 mainline)
    if (compat_bases && v.at_least(4, 13)) {
        s.word(); // mmap_compat_base
        s.word(); // mmap_compat_legacy_base
    }
    s.word(); // task_size
    if (!v.at_least(3, 15)) {
        s.word(); // cached_hole_size
        s.word(); // free_area_cache
    }
    if (v.at_least(3, 8) && !v.at_least(6, 1))
        s.word(); // highest_vm_end ("mm: augment vma rbtree with rb_subtree_gap", 3.8)
    l.pgd = s.word();
    if (v.at_least(5, 4))
        s.u32_field(); // membarrier_state, moved next to pgd in 5.4
    l.mm_users = s.u32_field();
    if (v.at_least(6, 5)) {
        s.word(); // struct mm_cid __percpu *pcpu_cid (SCHED_MM_CID)
        s.word(); // mm_cid_next_scan
    } else {
        l.mm_count = s.u32_field();
    }
    if (v.at_least(5, 9) && !v.at_least(5, 15))
        s.u32_field(); // has_pinned ("mm: Introduce mm_struct.has_pinned", 5.9; gone by 5.15)
    if (v.at_least(5, 10) && !v.at_least(5, 13))
        s.u32_field(); // seqcount_t write_protect_seq (5.11, in 5.10.y; moved down in 5.13)
    if (v.at_least(4, 15)) {
        s.word(); // atomic_long_t pgtables_bytes
    } else if (v.at_least(3, 13)) {
        s.word(); // atomic_long_t nr_ptes ("mm: convert mm->nr_ptes to atomic_long_t", 3.13)
        if (v.at_least(4, 0) && levels > 2)
            s.word(); // nr_pmds ("mm: account pmd page tables to the process", 4.0)
    }
    l.map_count = s.u32_field();
    l.modelled_bytes = s.offset();
    return l;
}

ErrorOr<void> write_init_mm(KernelSymbols& symbols, const KernelImageRules& rules, unsigned levels,
                            PhysicalMemory& phys) {
    const KernelSymbol* mm = symbols.find("init_mm");
    const KernelSymbol* pgd = symbols.find(symbols.pgd_name());
    if (mm == nullptr || pgd == nullptr)
        return make_error(ErrorKind::Internal, "init_mm or {} has no symbol", symbols.pgd_name());
    const InitMmLayout l = init_mm_layout_for(rules.version, rules.arch, levels);
    const unsigned w = rules.word_bytes;
    std::vector<std::byte> buf(l.modelled_bytes, std::byte{0});
    auto put = [&](u32 off, unsigned bytes, u64 value) {
        for (unsigned i = 0; i < bytes; ++i)
            buf[off + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
    };
    // mm/init-mm.c: .pgd = swapper_pg_dir, .mm_users = ATOMIC_INIT(2), .mm_count =
    // ATOMIC_INIT(1); mmap / mm_rb / ma_root NULL, map_count 0.
    put(l.pgd, w, pgd->address.get());
    put(l.mm_users, 4, 2);
    put(l.mm_count, 4, 1);
    if (l.maple_tree)
        put(l.mt_flags, 4, l.mt_flags_value);
    const PhysResult r = phys.write(mm->phys, buf);
    if (r.status != PhysStatus::Ok)
        return make_error(ErrorKind::InvalidConfig,
                          "init_mm ({:#x}) is at physical {:#x}, which is not RAM", mm->address,
                          mm->phys);
    return symbols.set_size("init_mm", l.modelled_bytes);
}

} // namespace kmemu
