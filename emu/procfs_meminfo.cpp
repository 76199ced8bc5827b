#include "emu/procfs_meminfo.h"

#include <algorithm>

#include <fmt/format.h>

#include "emu/machine.h"

namespace kmemu {

namespace {

// Which lines a version prints (meminfo_proc_show), decided once.
enum class VmallocUsedMode { VmlistSum, Zero, NrPages };
struct MeminfoRules {
    bool split_lru = true;      // Active(anon).. Unevictable, Mlocked (2.6.28+)
    bool shmem = true;          // Shmem, KernelStack (2.6.32+)
    bool writeback_tmp = true;  // WritebackTmp (2.6.26+)
    bool mem_available = true;  // MemAvailable (3.14+)
    bool kreclaimable = true;   // KReclaimable (4.20+)
    bool percpu = true;         // Percpu (4.16+)
    bool sec_pagetables = true; // SecPageTables (6.0+)
    bool hugetlb_total = true;  // "Hugetlb:" (4.16+)
    bool thp_file = true;       // ShmemHugePages.. FilePmdMapped with THP (4.8+ / 5.4+)
    VmallocUsedMode vmalloc_used = VmallocUsedMode::NrPages;
};

MeminfoRules meminfo_rules_for(KernelVersion v) {
    MeminfoRules r;
    r.split_lru = v.at_least(2, 6, 28);
    r.shmem = v.at_least(2, 6, 32);
    r.writeback_tmp = v.at_least(2, 6, 26);
    r.mem_available = v.at_least(3, 14);
    r.kreclaimable = v.at_least(4, 20);
    r.percpu = v.at_least(4, 16);
    r.sec_pagetables = v.at_least(6, 0);
    r.hugetlb_total = v.at_least(4, 16);
    r.thp_file = v.at_least(5, 4);
    // get_vmalloc_info summed vmlist sizes until 4.4 dropped it (both 0); 5.3 brought back
    // VmallocUsed as vmalloc_nr_pages(); VmallocChunk stays 0.
    r.vmalloc_used = !v.at_least(4, 4)   ? VmallocUsedMode::VmlistSum
                     : !v.at_least(5, 3) ? VmallocUsedMode::Zero
                                         : VmallocUsedMode::NrPages;
    return r;
}

void line(std::string& out, std::string_view label, u64 kb) {
    out += fmt::format("{:<16}{:>8} kB\n", label, kb);
}

} // namespace

std::string render_meminfo(Machine& m, const MeminfoOptions& o) {
    const MeminfoRules r = meminfo_rules_for(m.config().kernel);
    const Layout& l = m.layout();
    const unsigned shift = l.page_shift;
    auto kb = [&](u64 pages) { return pages << (shift - 10); };
    const PageAllocator& pa = m.page_allocator();

    u64 totalram = 0, totalhigh = 0, freehigh = 0, totalreserve = 0;
    for (const auto& z : pa.zones()) {
        totalram += z->managed_pages();
        if (z->is_highmem()) {
            totalhigh += z->managed_pages();
            freehigh += z->free_pages();
        }
        // calculate_totalreserve_pages: max lowmem_reserve plus the high watermark.
        u64 maxres = 0;
        for (const auto& other : pa.zones())
            maxres = std::max(maxres, z->lowmem_reserve(other->type()));
        totalreserve += std::min(maxres + z->high_wmark_pages(), z->managed_pages());
    }
    const u64 freeram = pa.nr_free_pages();
    u64 slab_pages = 0;
    for (const auto& c : m.kmalloc().slabinfo())
        slab_pages += c.num_slabs * c.pagesperslab;

    std::string out;
    line(out, "MemTotal:", kb(totalram));
    line(out, "MemFree:", kb(freeram));
    if (r.mem_available)
        line(out, "MemAvailable:", kb(freeram > totalreserve ? freeram - totalreserve : 0));
    for (auto label : {"Buffers:", "Cached:", "SwapCached:", "Active:", "Inactive:"})
        line(out, label, 0);
    if (r.split_lru)
        for (auto label : {"Active(anon):", "Inactive(anon):", "Active(file):", "Inactive(file):",
                           "Unevictable:", "Mlocked:"})
            line(out, label, 0);
    if (m.config().highmem_enabled()) {
        line(out, "HighTotal:", kb(totalhigh));
        line(out, "HighFree:", kb(freehigh));
        line(out, "LowTotal:", kb(totalram - totalhigh));
        line(out, "LowFree:", kb(freeram - freehigh));
    }
    for (auto label : {"SwapTotal:", "SwapFree:", "Dirty:", "Writeback:", "AnonPages:", "Mapped:"})
        line(out, label, 0);
    if (r.shmem)
        line(out, "Shmem:", 0);
    if (r.kreclaimable)
        line(out, "KReclaimable:", 0);
    line(out, "Slab:", kb(slab_pages));
    line(out, "SReclaimable:", 0);
    line(out, "SUnreclaim:", kb(slab_pages));
    if (r.shmem)
        line(out, "KernelStack:", 0);
    line(out, "PageTables:", 0); // NR_PAGETABLE counts user page tables only
    if (r.sec_pagetables)
        line(out, "SecPageTables:", 0);
    line(out, "NFS_Unstable:", 0);
    line(out, "Bounce:", 0);
    if (r.writeback_tmp)
        line(out, "WritebackTmp:", 0);
    line(out, "CommitLimit:", kb(totalram * 50 / 100)); // vm_commit_limit, overcommit_ratio 50
    line(out, "Committed_AS:", 0);
    // VMALLOC_TOTAL = VMALLOC_END - VMALLOC_START with the arch's own constant (inclusive on
    // x86_64, so one byte less than the range).
    const VmapSpace& vs = m.vmap_space();
    line(out, "VmallocTotal:", vs.vmalloc_end().minus(vs.vmalloc_start()) >> 10);
    u64 used = 0, chunk = 0;
    if (r.vmalloc_used == VmallocUsedMode::VmlistSum) {
        // get_vmalloc_info (<= 4.3): vm->size (guard page included) of the areas inside
        // [VMALLOC_START, VMALLOC_END), and the largest gap between them.
        u64 prev_end = vs.vmalloc_start().get();
        for (const VmArea* a : vs.areas()) {
            if (a->addr >= vs.vmalloc_end())
                break;
            if (a->addr < vs.vmalloc_start())
                continue;
            used += a->size;
            chunk = std::max(chunk, a->addr.get() - prev_end);
            prev_end = a->end().get();
        }
        chunk = std::max(chunk, vs.vmalloc_end().get() - prev_end);
        used >>= 10;
        chunk >>= 10;
    } else if (r.vmalloc_used == VmallocUsedMode::NrPages) {
        used = kb(m.vmalloc().nr_vmalloc_pages());
    }
    line(out, "VmallocUsed:", used);
    line(out, "VmallocChunk:", chunk);
    if (r.percpu)
        line(out, "Percpu:", 0); // the per-cpu allocator is not modelled
    if (o.memory_failure)
        out += fmt::format("HardwareCorrupted: {:>5} kB\n", 0);
    if (o.transparent_hugepage) {
        line(out, "AnonHugePages:", 0);
        if (r.thp_file)
            for (auto label :
                 {"ShmemHugePages:", "ShmemPmdMapped:", "FileHugePages:", "FilePmdMapped:"})
                line(out, label, 0);
    }
    const bool hugetlb_arch = l.arch != Arch::Arm; // classic ARM has no hugetlbfs
    if (o.hugetlbfs && hugetlb_arch) {
        // HPAGE_SIZE: PMD size (4M on 2-level i386, 2M on PAE, x86_64, LPAE, arm64 4K granule).
        const u64 hpage_kb = l.arch == Arch::I386 ? 4096 : (u64{1} << (shift + shift - 3)) >> 10;
        out += fmt::format("HugePages_Total:   {:>5}\nHugePages_Free:    {:>5}\n"
                           "HugePages_Rsvd:    {:>5}\nHugePages_Surp:    {:>5}\n",
                           0, 0, 0, 0);
        line(out, "Hugepagesize:", hpage_kb);
        if (r.hugetlb_total)
            line(out, "Hugetlb:", 0);
    }
    if (is_x86(l.arch)) {
        // arch_report_meminfo: the direct map's leaf entries by size.
        u64 n4k = 0, nlarge = 0, n1g = 0;
        auto& pt = m.kernel_page_tables();
        for (u64 va = l.page_offset.get(); va < l.high_memory.get();) {
            auto found = pt.lookup(VirtAddr(va));
            if (found.is_error() || !found.value()) {
                va += l.page_size();
                continue;
            }
            const u64 size = found.value()->page_size;
            if (size == l.page_size())
                ++n4k;
            else if (size == GiB)
                ++n1g;
            else
                ++nlarge;
            va = align_down(va, size) + size;
        }
        line(out, "DirectMap4k:", n4k * 4);
        if (l.arch == Arch::I386)
            line(out, "DirectMap4M:", nlarge * 4096);
        else
            line(out, "DirectMap2M:", nlarge * 2048);
        if (l.arch != Arch::I386 && l.arch != Arch::I386Pae && o.direct_gbpages)
            line(out, "DirectMap1G:", n1g * 1024 * 1024);
    }
    return out;
}

} // namespace kmemu
