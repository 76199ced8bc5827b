#include "mm/kernel_pgtable.h"

#include "mm/page_alloc.h"

namespace kmemu {

using paging::DescriptorWidth;
using paging::EntryRole;

KernelPgtableRules kernel_pgtable_rules_for(KernelVersion v, Arch arch) {
    KernelPgtableRules r;
    // x86: find_early_table_space used find_e820_area (bottom-up) until memblock took over
    // early allocation in 3.0 (arch/x86/mm/init.c).
    r.x86_early_alloc = v.at_least(3, 0, 0) ? X86EarlyTableAlloc::MemblockTopDown
                                            : X86EarlyTableAlloc::E820BottomUp;
    // init_mem_mapping -> init_range_memory_mapping maps memblock RAM ranges only (3.9+);
    // before, init_memory_mapping(0, max_low_pfn) covered holes too.
    r.x86_map_ram_only = v.at_least(3, 9, 0);
    // vsyscall default mode: emulate from 3.1 (VSYSCALL_EMULATE default), xonly from 5.8.
    r.x86_vsyscall = v.at_least(5, 8, 0)   ? X86VsyscallMode::XOnly
                     : v.at_least(3, 1, 0) ? X86VsyscallMode::Emulate
                                           : X86VsyscallMode::Native;
    // head_64.S level2_fixmap_pgt: FIXMAP_PMD_NUM = 2 level1_fixmap_pgt pages since 4.19
    // ("x86/mm: Expand static page table for fixmap space"); one before.
    r.x86_fixmap_pmd_num = v.at_least(4, 19, 0) ? 2 : 1;
    // mark_rodata_ro on the high kernel mapping: CONFIG_DEBUG_RODATA mandatory on x86 from 4.6
    // (default y well before); kmemu applies it from 4.6.
    r.x86_64_mark_rodata_ro = v.at_least(4, 6, 0);
    // ARM moved from bootmem to memblock in 2.6.38 (arch/arm/mm/mmu.c early_alloc).
    r.arm_early_alloc =
        v.at_least(2, 6, 38) ? ArmEarlyAlloc::MemblockTopDown : ArmEarlyAlloc::BootmemBottomUp;
    // map_lowmem splits text (MT_MEMORY_RWX) from the rest (MT_MEMORY_RW, XN) from 3.14.
    r.arm_text_rwx_data_rw = v.at_least(3, 14, 0);
    // devicemaps_init: vectors = early_alloc(PAGE_SIZE * 2) (kuser helpers page) from 3.11.
    r.arm_vectors_two_pages = v.at_least(3, 11, 0);
    // kmap_init pre-allocates the PTE table at FIXADDR_START with the 3 MiB fixmap (3.19+).
    r.arm_fixmap_pte = v.at_least(3, 19, 0);
    r.arm_pte_era = v.at_least(4, 0, 0)    ? paging::ArmPteEra::V4
                    : v.at_least(2, 6, 38) ? paging::ArmPteEra::V3
                                           : paging::ArmPteEra::V2_6_32;
    // DOMAIN_VECTORS became its own domain (3) with the 4.3 domain rework (CPU_SW_DOMAIN_PAN);
    // MT_HIGH_VECTORS used DOMAIN_USER (1) before (arch/arm/include/asm/domain.h).
    r.arm_domain_vectors = v.at_least(4, 3, 0) ? 3 : 1;
    // arm64 MAIR layout: MT_NORMAL moved to index 0 in 5.10 (before: nGnRnE 0, nGnRE 1, GRE 2,
    // NORMAL_NC 3, NORMAL 4) (unverified exact version; arch/arm64/include/asm/memory.h).
    const bool mair_new = v.at_least(5, 10, 0);
    r.arm64_mt_normal = mair_new ? 0 : 4;
    r.arm64_mt_normal_nc = mair_new ? 2 : 3;
    r.arm64_mt_device = mair_new ? 4 : 1;
    // Kernel table descriptors with PMD_TABLE_UXN etc. (alloc_init_cont_pte, 5.11+).
    r.arm64_table_uxn = v.at_least(5, 11, 0);
    // arm64: map_kernel maps the image at KIMAGE_VADDR with per-segment permissions since the
    // image moved out of the linear map (4.6).
    r.arm64_map_kernel_segments = v.at_least(4, 6, 0);
    r.arm64_swapper_in_rodata = v.at_least(4, 18, 0); // same rule as KernelImageRules'
    (void)arch;
    return r;
}

KernelPageTables::KernelPageTables(const Layout& layout, PhysicalMemory& phys,
                                   KernelPgtableRules rules, const paging::PagingFormat& fmt)
    : m_layout(layout), m_phys(phys), m_mem(phys), m_rules(rules), m_format(&fmt) {}

void KernelPageTables::adopt_table(PhysAddr pa, u64 bytes) {
    const unsigned shift = m_phys.page_shift();
    const Pfn first(pa.get() >> shift);
    const u64 n = std::max<u64>(1, align_up(bytes, m_phys.page_size()) >> shift);
    m_phys.zero_frames(first, n);
    for (u64 i = 0; i < n; ++i) {
        const Pfn p(first.get() + i);
        if (!m_phys.is_watched(p)) {
            m_phys.watch_frame(p);
            m_frames.push_back(p);
        }
    }
}

ErrorOr<PhysAddr> KernelPageTables::new_table(u64 bytes) {
    if (!m_alloc)
        return make_error(ErrorKind::Internal, "kernel page tables: no table allocator");
    PhysAddr pa = TRY(m_alloc(bytes));
    adopt_table(pa, bytes);
    return pa;
}

void KernelPageTables::attach_page_allocator(PageAllocator& pa) {
    const unsigned shift = m_phys.page_shift();
    m_alloc = [&pa, shift](u64 bytes) -> ErrorOr<PhysAddr> {
        unsigned order = 0;
        while ((u64{1} << (shift + order)) < bytes)
            ++order;
        // pte_alloc_one_kernel / pmd_alloc_one: GFP_KERNEL | __GFP_ZERO (lowmem).
        page* p = pa.alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
        if (p == nullptr)
            return make_error(ErrorKind::NoMemory,
                              "kernel page tables: no free page for a new table (order {})", order);
        return phys_of(page_to_pfn(p), shift);
    };
}

u64 KernelPageTables::entry_index(VirtAddr va, unsigned level) const {
    const auto& L = m_format->levels[level];
    return (va.get() >> L.index_shift) & ((u64{1} << L.index_bits) - 1);
}

int KernelPageTables::kind_of(u64 raw, unsigned level) const {
    const auto& L = m_format->levels[level];
    for (unsigned i = 0; i < L.kind_count; ++i)
        if ((raw & L.kinds[i].match_mask) == L.kinds[i].match_value)
            return static_cast<int>(i);
    return -1;
}

u64 KernelPageTables::entry_address(u64 raw, unsigned level, int kind) const {
    const auto& k = m_format->levels[level].kinds[static_cast<unsigned>(kind)];
    u64 a = 0;
    for (unsigned i = 0; i < k.pieces; ++i)
        a |= k.address[i].src.get(raw) << k.address[i].dst_lo;
    return a;
}

// Kernel tables are written from the swapper root at level 0 (LPAE: the 4-entry PGD, which
// TTBR1 shares; arm64: TTBR1's table).
unsigned KernelPageTables::first_level_for(VirtAddr, PhysAddr& table) const {
    table = m_format->split == paging::VaSplit::Arm64TtbrPair ? m_mmu.root_high : m_root_pa;
    return 0;
}

ErrorOr<PhysAddr> KernelPageTables::table_for(VirtAddr va, unsigned level) {
    const u64 key = level == 0 ? 0 : va.get() >> m_format->levels[level - 1].index_shift;
    if (level > 0 && m_cache[level].key == key)
        return m_cache[level].table;
    PhysAddr table;
    const unsigned eb = m_format->entry_bytes();
    for (unsigned l = first_level_for(va, table); l < level; ++l) {
        const PhysAddr slot = table.offset(entry_index(va, l) * eb);
        const u64 raw = TRY(m_mem.load_descriptor(slot, m_format->width));
        const int k = raw == 0 ? -1 : kind_of(raw, l);
        if (raw == 0 || k < 0) {
            if (raw != 0)
                return make_error(ErrorKind::Internal,
                                  "kernel page tables: entry {:#x} at {:#x} ({}) is not a table",
                                  raw, slot, m_format->levels[l].name);
            const PhysAddr next = TRY(new_table(table_alloc_bytes(l + 1)));
            TRY(m_mem.store_descriptor(slot, m_format->width, encode_table(l, next)));
            table = next;
            continue;
        }
        if (m_format->levels[l].kinds[static_cast<unsigned>(k)].role == EntryRole::Leaf)
            return make_error(ErrorKind::InvalidConfig,
                              "{:#x} lies inside a {} mapping ({} entry {:#x})", va,
                              m_format->levels[l].kinds[static_cast<unsigned>(k)].name,
                              m_format->levels[l].name, raw);
        table = PhysAddr(entry_address(raw, l, k));
    }
    if (level > 0)
        m_cache[level] = {key, table};
    return table;
}

ErrorOr<void> KernelPageTables::map_range(VirtAddr va, PhysAddr pa, u64 size, u64 max_leaf,
                                          const ProtFor& prot_for) {
    const u64 ps = m_layout.page_size();
    if (!va.is_aligned(ps) || !pa.is_aligned(ps) || size % ps != 0)
        return make_error(ErrorKind::Internal,
                          "map_range: {:#x} -> {:#x} size {:#x} is not page aligned", va, pa, size);
    u64 done = 0;
    while (done < size) {
        const u64 v = va.get() + done;
        const u64 p = pa.get() + done;
        // The biggest leaf that fits: levels from the top, leaf-capable, aligned, inside.
        unsigned chosen = m_format->level_count - 1u;
        for (unsigned l = 0; l + 1 < m_format->level_count; ++l) {
            const auto& L = m_format->levels[l];
            bool leaf_ok = false;
            for (unsigned k = 0; k < L.kind_count; ++k)
                leaf_ok |=
                    L.kinds[k].role == EntryRole::Leaf && L.kinds[k].size_shift == L.index_shift;
            const u64 bs = u64{1} << L.index_shift;
            if (leaf_ok && bs <= max_leaf && (v % bs) == 0 && (p % bs) == 0 && size - done >= bs) {
                chosen = l;
                break;
            }
        }
        const u64 bs = u64{1} << m_format->levels[chosen].index_shift;
        const KernelProt prot = prot_for(VirtAddr(v), bs);
        TRY(set_leaf(VirtAddr(v), chosen, encode_leaf(chosen, PhysAddr(p), prot)));
        done += bs;
    }
    return {};
}

ErrorOr<void> KernelPageTables::set_leaf(VirtAddr va, unsigned leaf_level, u64 raw) {
    const PhysAddr table = TRY(table_for(va, leaf_level));
    return m_mem.store_descriptor(
        table.offset(entry_index(va, leaf_level) * m_format->entry_bytes()), m_format->width, raw);
}

ErrorOr<void> KernelPageTables::link_table(VirtAddr va, unsigned level, PhysAddr next) {
    const PhysAddr table = TRY(table_for(va, level));
    return m_mem.store_descriptor(table.offset(entry_index(va, level) * m_format->entry_bytes()),
                                  m_format->width, encode_table(level, next));
}

// --- ARM classic: Linux PGD pairs and PTE pages -------------------------------------------

ErrorOr<PhysAddr> KernelPageTables::arm_pte_page_for(VirtAddr va, u32 prot_l1) {
    using namespace paging;
    const PhysAddr l1 = m_root_pa.offset((va.get() >> arm_linux::SECTION_SHIFT) * 4);
    const u64 raw = TRY(m_mem.load_descriptor(l1, DescriptorWidth::Bytes4));
    const auto era = m_rules.arm_pte_era;
    if (raw == 0) {
        // early_pte_alloc / pte_alloc_one_kernel: one page holding the Linux and h/w tables.
        const PhysAddr page = TRY(new_table(4096));
        TRY(arm_pmd_populate(m_mem, m_root_pa, va, page, prot_l1, era));
        return page;
    }
    if ((raw & arm_short::L1_TYPE.mask()) != arm_short::L1_TYPE_COARSE)
        return make_error(ErrorKind::InvalidConfig,
                          "{:#x} lies inside a section mapping (L1 entry {:#010x})", va, raw);
    // The L1 entry points at hardware table 0 or 1 of the PTE page.
    const u64 hw = raw & arm_short::L1_COARSE_BASE.mask();
    const u64 which = (va.get() >> arm_linux::SECTION_SHIFT) & 1u;
    return PhysAddr(hw - arm_hw_table_offset(era, static_cast<unsigned>(which)));
}

ErrorOr<void> KernelPageTables::arm_set_kernel_pte(VirtAddr va, u32 linux_pte, u32 prot_l1) {
    const PhysAddr page = TRY(arm_pte_page_for(va, prot_l1));
    const unsigned index = static_cast<unsigned>((va.get() >> 12) & 511u);
    // Kernel mappings are global: ext = 0 (alloc_init_pte passes 0).
    return paging::arm_set_pte_ext(m_mem, page, index, linux_pte, 0, m_rules.arm_pte_era);
}

// --- mapping primitives --------------------------------------------------------------------

ErrorOr<paging::WalkRecord> KernelPageTables::walk(VirtAddr va, paging::AccessType type) {
    return paging::walk(*m_format, m_mem, m_mmu, va,
                        paging::Access{type, paging::Privilege::Supervisor},
                        paging::WalkMode::Inspection);
}

ErrorOr<std::optional<KernelMapping>> KernelPageTables::lookup(VirtAddr va) {
    const paging::WalkRecord rec = TRY(walk(va));
    if (!rec.ok())
        return std::optional<KernelMapping>{};
    const auto& t = rec.translation();
    KernelMapping m;
    m.pa = t.pa.align_down(m_layout.page_size());
    m.page_size = t.page_size;
    m.permissions = t.permissions;
    m.leaf_raw = rec.levels[rec.depth - 1].raw;
    return std::optional<KernelMapping>{m};
}

ErrorOr<void> KernelPageTables::map_page(VirtAddr va, PhysAddr pa, KernelProt prot) {
    const u64 ps = m_layout.page_size();
    if (!va.is_aligned(ps) || !pa.is_aligned(ps))
        return make_error(ErrorKind::InvalidConfig,
                          "map_page: va {:#x} and pa {:#x} must be aligned to PAGE_SIZE {:#x}", va,
                          pa, ps);
    if (auto m = TRY(lookup(va)))
        return make_error(ErrorKind::InvalidConfig,
                          "map_page: {:#x} is already mapped (to {:#x}, {} byte page)", va, m->pa,
                          m->page_size);
    if (m_format->family == paging::DescriptorFamily::ArmShort) {
        if (pa.get() > 0xffffffffu)
            return make_error(ErrorKind::InvalidConfig,
                              "map_page: {:#x} is above 4 GiB, which a classic ARM PTE cannot "
                              "hold",
                              pa);
        return arm_set_kernel_pte(va, arm_linux_pte(pa, prot), arm_kernel_table_prot);
    }
    const unsigned leaf = m_format->level_count - 1u;
    // The leaf slot must be empty (an entry with the present bit clear but other bits set
    // counts as "something there" too).
    const PhysAddr table = TRY(table_for(va, leaf));
    const PhysAddr slot = table.offset(entry_index(va, leaf) * m_format->entry_bytes());
    if (TRY(m_mem.load_descriptor(slot, m_format->width)) != 0)
        return make_error(ErrorKind::InvalidConfig, "map_page: the PTE for {:#x} is not empty", va);
    return m_mem.store_descriptor(slot, m_format->width, encode_leaf(leaf, pa, prot));
}

ErrorOr<std::optional<KernelMapping>> KernelPageTables::unmap_page(VirtAddr va) {
    const u64 ps = m_layout.page_size();
    if (!va.is_aligned(ps))
        return make_error(ErrorKind::InvalidConfig,
                          "unmap_page: va {:#x} must be aligned to PAGE_SIZE {:#x}", va, ps);
    const std::optional<KernelMapping> was = TRY(lookup(va));
    if (was && was->page_size != ps)
        return make_error(ErrorKind::InvalidConfig,
                          "unmap_page: {:#x} is mapped by a {:#x}-byte large page; split it first",
                          va, was->page_size);
    if (m_format->family == paging::DescriptorFamily::ArmShort) {
        using namespace paging;
        const PhysAddr l1 = m_root_pa.offset((va.get() >> arm_linux::SECTION_SHIFT) * 4);
        const u64 raw = TRY(m_mem.load_descriptor(l1, DescriptorWidth::Bytes4));
        if ((raw & arm_short::L1_TYPE.mask()) != arm_short::L1_TYPE_COARSE)
            return was;
        const PhysAddr page = TRY(arm_pte_page_for(va, arm_kernel_table_prot));
        // pte_clear: set_pte_ext(ptep, __pte(0), 0) clears both halves.
        TRY(arm_set_pte_ext(m_mem, page, static_cast<unsigned>((va.get() >> 12) & 511u), 0, 0,
                            m_rules.arm_pte_era));
        return was;
    }
    // Find the leaf slot without creating tables.
    PhysAddr table;
    const unsigned eb = m_format->entry_bytes();
    const unsigned leaf = m_format->level_count - 1u;
    for (unsigned l = first_level_for(va, table); l < leaf; ++l) {
        const u64 raw =
            TRY(m_mem.load_descriptor(table.offset(entry_index(va, l) * eb), m_format->width));
        const int k = kind_of(raw, l);
        if (raw == 0 || k < 0 ||
            m_format->levels[l].kinds[static_cast<unsigned>(k)].role != EntryRole::Table)
            return was;
        table = PhysAddr(entry_address(raw, l, k));
    }
    TRY(m_mem.store_descriptor(table.offset(entry_index(va, leaf) * eb), m_format->width, 0));
    return was;
}

ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables(const Layout& layout, const KernelProfile& profile, const RamMap& ram,
                         const KernelPgtableOptions& options, PhysicalMemory& phys,
                         Memblock& memblock) {
    const KernelPgtableRules rules = kernel_pgtable_rules_for(profile.version, layout.arch);
    switch (layout.arch) {
    case Arch::I386:
    case Arch::I386Pae:
    case Arch::X86_64:
    case Arch::X86_64La57:
        return build_kernel_page_tables_x86(layout, rules, ram, options, phys, memblock);
    case Arch::Arm:
    case Arch::ArmLpae:
        return build_kernel_page_tables_arm(layout, rules, ram, options, phys, memblock);
    case Arch::Arm64:
        return build_kernel_page_tables_arm64(layout, rules, ram, options, phys, memblock);
    }
    return make_error(ErrorKind::Internal, "kernel page tables: unknown arch");
}

} // namespace kmemu
