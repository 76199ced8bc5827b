// render_layout_block_i386(): mem_init()'s "virtual kernel memory layout:" printout
// (arch/i386/mm/init.c 2.6.2x, arch/x86/mm/init_32.c to 5.6), reference E.1.
#include "mm/layout_i386.h"

#include <fmt/format.h>

namespace kmemu {

std::string render_layout_block_i386(const Layout& l, const I386Rules& rules) {
    // Versions that do not print the block (2.6.11-2.6.17, 5.7+) get the format of the nearest
    // version that did: the 2.6.18+ format for the old ones (no cpu_entry line), the 5.6
    // format (with cpu_entry) for the new ones; rules.block_has_cpu_entry covers both.
    std::string out = "virtual kernel memory layout:\n";
    append_layout_line(out, "    fixmap  ", l.fixaddr_start.get(), l.fixaddr_top.get(), 10, "kB",
                       8);
    if (rules.block_has_cpu_entry) {
        if (const NamedRegion* cea = l.region(kRegionCpuEntryArea))
            append_layout_line(out, "  cpu_entry ", cea->start.get(), cea->end.get(), 10, "kB", 8);
    }
    if (l.pkmap_base) {
        u64 base = l.pkmap_base->get();
        append_layout_line(out, "    pkmap   ", base, base + l.last_pkmap * l.page_size(), 10, "kB",
                           8);
    }
    append_layout_line(out, "    vmalloc ", l.vmalloc_start.get(), l.vmalloc_end.get(), 20, "MB",
                       8);
    append_layout_line(out, "    lowmem  ", l.page_offset.get(), l.high_memory.get(), 20, "MB", 8);
    append_layout_line(out, "      .init ", l.image.init_begin.get(), l.image.init_end.get(), 10,
                       "kB", 8);
    append_layout_line(out, "      .data ", l.image.etext.get(), l.image.edata.get(), 10, "kB", 8);
    append_layout_line(out, "      .text ", l.image.text.get(), l.image.etext.get(), 10, "kB", 8);
    return out;
}

} // namespace kmemu
