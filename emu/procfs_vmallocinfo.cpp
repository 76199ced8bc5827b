#include "emu/procfs_vmallocinfo.h"

#include <fmt/format.h>

namespace kmemu {

namespace {

struct Printer {
    const VmallocRules& rules;
    const VmallocinfoOptions& opt;
    unsigned ptr_digits; // %p: 2 * sizeof(void *) zero-padded hex digits
    std::string out;

    u64 ptr(u64 v) const { return opt.restrict_pointers ? 0 : v; }

    // "0x%p-0x%p %7ld" (E2 %p; 3.x on %pK, same digits).
    void range(u64 start, u64 size) {
        fmt::format_to(std::back_inserter(out), "0x{:0{}x}-0x{:0{}x} {:7}", ptr(start), ptr_digits,
                       ptr(start + size), ptr_digits, size);
    }

    void area(const VmArea& a) {
        range(a.addr.get(), a.size);
        if (!a.caller.empty())
            out += " " + a.caller; // sprint_symbol / %pS text, as given
        if (a.nr_pages)
            fmt::format_to(std::back_inserter(out), " pages={}", a.nr_pages);
        if (a.phys_addr.get()) {
            if (rules.phys_format == PhysFormat::Pa) // %pa: 0x + 2*sizeof(phys_addr_t) digits
                fmt::format_to(std::back_inserter(out), " phys=0x{:0{}x}", a.phys_addr.get(),
                               2 * rules.phys_addr_bytes());
            else // %lx / %llx
                fmt::format_to(std::back_inserter(out), " phys={:x}", a.phys_addr.get());
        }
        // Flag words in s_show order.
        if (a.flags & VmIoremap)
            out += " ioremap";
        if (a.flags & VmAlloc)
            out += " vmalloc";
        if (a.flags & VmMap)
            out += " vmap";
        if (a.flags & VmUsermap)
            out += " user";
        if (rules.dma_coherent_word && (a.flags & VmDmaCoherent))
            out += " dma-coherent";
        if (a.vpages)
            out += " vpages"; // VM_VPAGES (<=4.4) or is_vmalloc_addr(v->pages)
        // show_numa_info: one node, so N0 counts every page.
        if (opt.numa && a.nr_pages)
            fmt::format_to(std::back_inserter(out), " N0={}", a.nr_pages);
        out += '\n';
    }

    void word_line(u64 start, u64 size, const char* what) {
        range(start, size);
        out += ' ';
        out += what;
        out += '\n';
    }
};

} // namespace

ErrorOr<std::string> render_vmallocinfo(const VmapSpace& space, const VmallocinfoOptions& options) {
    const VmallocRules& rules = space.rules();
    if (!rules.has_vmallocinfo)
        return make_error(ErrorKind::NotFound,
                          "/proc/vmallocinfo does not exist in kernel {} (added in 2.6.25)",
                          rules.version.to_string());
    Printer p{rules, options, is_32bit(rules.arch) ? 8u : 16u, {}};
    const auto list = space.vmap_area_list();
    for (const auto& entry : list) {
        if (!entry.lazy) {
            p.area(*entry.area);
            continue;
        }
        // A lazily freed area: gone from vmlist (<3.10); a vmap_area without VM_VM_AREA in
        // 3.10-5.1; out of the list from 5.2 (shown after it).
        if (rules.unpurged == UnpurgedView::VmMapRamLine)
            p.word_line(entry.area->addr.get(), entry.area->size, "vm_map_ram");
        else if (rules.unpurged == UnpurgedView::UnpurgedLine)
            p.word_line(entry.area->addr.get(), entry.area->size, "unpurged vm_area");
    }
    // 5.2+: show_purge_info() runs while showing the last list entry, so an empty busy list
    // shows no unpurged ranges either.
    const bool after_list = rules.unpurged == UnpurgedView::AfterListLifo ||
                            rules.unpurged == UnpurgedView::AfterListMerged;
    if (after_list && !space.areas().empty())
        for (const auto& [start, size] : space.unpurged())
            p.word_line(start.get(), size, "unpurged vm_area");
    return p.out;
}

} // namespace kmemu
