#include "emu/procfs_smaps.h"

#include <array>

namespace kmemu {

SmapsRules smaps_rules_for(const UserMmRules& mr) {
    const KernelVersion v = mr.version;
    SmapsRules r;
    r.version = v;
    r.arch = mr.arch;
    r.page_shift = mr.page_shift;
    // PMD_SIZE as in pagemap_rules_for (i386 non-PAE 4 MiB, ARM 2 MiB, else PAGE_SIZE/8 ptes).
    r.pmd_shift = mr.arch == Arch::I386 ? 22 : mr.arch == Arch::Arm ? 21 : 2 * mr.page_shift - 3;
    r.exists = v.at_least(2, 6, 14);
    r.layout = v.at_least(6, 1, 0)    ? SmapsLayout::V6_1
               : v.at_least(5, 10, 0) ? SmapsLayout::V5_10
               : v.at_least(4, 19, 0) ? SmapsLayout::V4_19
               : v.at_least(3, 10, 0) ? SmapsLayout::V3_10
                                      : SmapsLayout::V2_6_32;
    r.vm_flags = v.at_least(3, 8, 0); // show_smap_vma_flags (3.8)
    // walk_page_range skips VM_PFNMAP VMAs from 3.10 (as for pagemap); show_smap walks from
    // vm_start, so the whole VMA is skipped.
    r.walks_pfnmap = !v.at_least(3, 10, 0);
    r.thp = mr.arch != Arch::Arm; // HAVE_ARCH_TRANSPARENT_HUGEPAGE: not on ARM without LPAE
    return r;
}

std::string_view vm_flag_mnemonic(unsigned bit, const SmapsRules& r) {
    const KernelVersion v = r.version;
    // show_smap_vma_flags' table (3.8 .. 6.13, read in 5.10): every bit defaults to "??" ("a flag
    // we don't know about"); the entries that came or went say when.
    static constexpr std::array<std::string_view, 32> kFixed = {
        "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "??", "pf",
        "??", "??", "lo", "io", "sr", "rr", "dc", "de", "??", "ac", "nr",
        "ht", "??", "ar", "??", "dd", "??", "mm", "hg", "nh", "mg"};
    switch (bit) {
    case 9:  // VM_UFFD_MISSING (4.3); VM_GROWSUP before, without a name
    case 12: // VM_UFFD_WP (4.3)
        return v.at_least(4, 3, 0) ? (bit == 9 ? "um" : "uw") : "??";
    case 11: // VM_DENYWRITE: named until its removal in 5.15
        return v.at_least(5, 15, 0) ? "??" : "dw";
    case 23: // VM_NONLINEAR until 4.0, VM_SYNC from 4.15
        return !v.at_least(4, 0, 0) ? "nl" : v.at_least(4, 15, 0) ? "sf" : "??";
    case 25: // VM_WIPEONFORK (4.14)
        return v.at_least(4, 14, 0) ? "wf" : "??";
    case 27: // VM_SOFTDIRTY: named only with CONFIG_MEM_SOFT_DIRTY (x86_64, 3.11+)
        return (r.arch == Arch::X86_64 || r.arch == Arch::X86_64La57) && v.at_least(3, 11, 0)
                   ? "sd"
                   : "??";
    default: // bit 19 (VM_LOCKONFAULT, 4.4+) has no name in the tables read: "??"
        return bit < kFixed.size() ? kFixed[bit] : "??";
    }
}

std::string render_vm_flags(unsigned long flags, const SmapsRules& r) {
    std::string out = "VmFlags: ";
    for (unsigned bit = 0; bit < 8 * sizeof(flags); ++bit) {
        if ((flags >> bit) & 1) {
            out += vm_flag_mnemonic(bit, r);
            out += ' ';
        }
    }
    out += '\n';
    return out;
}

namespace {

constexpr unsigned kPssShift = 12; // PSS_SHIFT

struct Mss {
    u64 resident = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0;
    u64 referenced = 0, anonymous = 0;
    u64 pss = 0, pss_dirty = 0, pss_locked = 0; // << kPssShift
};

// smaps_pte_entry + smaps_account / smaps_page_accumulate for one VMA.
Mss gather(MmStruct& mm, const vm_area_struct& vma, const SmapsRules& r) {
    Mss s;
    if ((vma.vm_flags & VM_PFNMAP) && !r.walks_pfnmap)
        return s;
    const u64 ps = u64{1} << r.page_shift;
    const bool locked = (vma.vm_flags & VM_LOCKED) != 0;
    const UserPteFormat& f = mm.pte_format();
    for (u64 addr = vma.vm_start; addr < vma.vm_end; addr += ps) {
        auto got = mm.pte_at(VirtAddr(addr));
        if (got.is_error() || !got.value() || !f.present(*got.value()))
            continue;
        const u64 pte = *got.value();
        const page* pg = mm.normal_page(vma, VirtAddr(addr), pte);
        if (pg == nullptr)
            continue;
        if (mm.page_anon(pg))
            s.anonymous += ps;
        s.resident += ps;
        if (f.young(pte) || PageReferenced(pg))
            s.referenced += ps;
        const i64 mapcount = page_mapcount(pg);
        const bool priv = mapcount < 2;
        const u64 pss = priv ? (ps << kPssShift) : (ps << kPssShift) / static_cast<u64>(mapcount);
        const bool dirty = f.dirty(pte) || PageDirty(pg);
        s.pss += pss;
        if (locked)
            s.pss_locked += pss;
        if (dirty) {
            s.pss_dirty += pss;
            (priv ? s.private_dirty : s.shared_dirty) += ps;
        } else {
            (priv ? s.private_clean : s.shared_clean) += ps;
        }
    }
    return s;
}

// transparent_hugepage_enabled (5.10) / hugepage_vma_check(smaps) (6.1) for THP "always".
bool thp_eligible(const vm_area_struct& vma, const SmapsRules& r) {
    if (!r.thp || vma.vm_mm == nullptr || vma.vm_file != nullptr || vma.vm_ops != nullptr)
        return false;
    if (vma.vm_flags & (VM_NOHUGEPAGE | VM_SPECIAL | VM_HUGETLB))
        return false;
    // transhuge_vma_suitable(vma, vm_end - HPAGE_PMD_SIZE): an aligned PMD inside the VMA.
    const u64 pmd = u64{1} << r.pmd_shift;
    if (vma.vm_end < pmd)
        return false;
    const u64 haddr = (vma.vm_end - pmd) & ~(pmd - 1);
    return haddr >= vma.vm_start && haddr + pmd <= vma.vm_end;
}

void put(std::string& out, std::string_view name, u64 bytes) {
    out += fmt::format("{}{:>8} kB\n", name, bytes >> 10);
}

} // namespace

std::string render_smaps_vma(MmStruct& mm, const vm_area_struct& vma, const MapsSources& sources) {
    const SmapsRules r = smaps_rules_for(mm.rules());
    const bool gate = vma.vm_mm == nullptr;
    const Mss s = gate ? Mss{} : gather(mm, vma, r);
    const u64 size = vma.vm_end - vma.vm_start, ps = u64{1} << r.page_shift;
    const u64 pss = s.pss >> kPssShift, pss_dirty = s.pss_dirty >> kPssShift;
    const u64 locked = s.pss_locked >> kPssShift;
    std::string out = render_maps_line(mm, vma, sources);
    auto counts = [&] {
        put(out, "Shared_Clean:   ", s.shared_clean);
        put(out, "Shared_Dirty:   ", s.shared_dirty);
        put(out, "Private_Clean:  ", s.private_clean);
        put(out, "Private_Dirty:  ", s.private_dirty);
        put(out, "Referenced:     ", s.referenced);
    };
    switch (r.layout) {
    case SmapsLayout::V2_6_32:
    case SmapsLayout::V3_10: {
        const bool v310 = r.layout == SmapsLayout::V3_10;
        put(out, "Size:           ", size);
        put(out, "Rss:            ", s.resident);
        put(out, "Pss:            ", pss);
        counts();
        if (v310) {
            put(out, "Anonymous:      ", s.anonymous);
            put(out, "AnonHugePages:  ", 0);
        }
        put(out, "Swap:           ", 0);
        put(out, "KernelPageSize: ", ps);
        put(out, "MMUPageSize:    ", ps);
        if (v310)
            put(out, "Locked:         ", locked);
        break;
    }
    case SmapsLayout::V4_19:
    case SmapsLayout::V5_10:
    case SmapsLayout::V6_1: {
        const bool v510 = r.layout != SmapsLayout::V4_19;
        put(out, "Size:           ", size);
        put(out, "KernelPageSize: ", ps);
        put(out, "MMUPageSize:    ", ps);
        put(out, "Rss:            ", s.resident);
        put(out, "Pss:            ", pss);
        if (r.layout == SmapsLayout::V6_1)
            put(out, "Pss_Dirty:      ", pss_dirty);
        counts();
        put(out, "Anonymous:      ", s.anonymous);
        put(out, "LazyFree:       ", 0);
        put(out, "AnonHugePages:  ", 0);
        put(out, "ShmemPmdMapped: ", 0);
        if (v510)
            put(out, "FilePmdMapped:  ", 0);
        put(out, "Shared_Hugetlb: ", 0);
        out += fmt::format("Private_Hugetlb: {:>7} kB\n", 0);
        put(out, "Swap:           ", 0);
        put(out, "SwapPss:        ", 0);
        put(out, "Locked:         ", locked);
        if (v510)
            out += fmt::format("THPeligible:    {}\n", thp_eligible(vma, r) ? 1 : 0);
        break;
    }
    }
    if (r.vm_flags)
        out += render_vm_flags(vma.vm_flags, r);
    return out;
}

std::string render_proc_smaps(MmStruct& mm, const MapsSources& sources) {
    std::string out;
    for (const vm_area_struct* v = mm.first_vma(); v != nullptr; v = v->vm_next)
        out += render_smaps_vma(mm, *v, sources);
    if (const auto gate = mm.gate_vma())
        out += render_smaps_vma(mm, *gate, sources);
    return out;
}

} // namespace kmemu
