// render_layout_block_arm: mem_init's "Virtual kernel memory layout:" block (arch/arm/mm/init.c,
// ../shared/reference/layouts.md §E.3). Region lines print 0x%08lx ranges with sizes shifted
// down (>>10 kB, >>20 MB); section lines print %p ranges with sizes rounded up to kB.
#include <fmt/format.h>

#include "mm/layout_arm.h"

namespace kmemu {

namespace {

// "    label   : 0x%08lx - 0x%08lx   (%4ld unit)": label left-justified to 7 after 4 spaces.
void region_line(std::string& out, const char* label, u64 start, u64 end, unsigned shift,
                 const char* unit) {
    out += fmt::format("    {:<7} : 0x{:08x} - 0x{:08x}   ({:4} {})\n", label, start, end,
                       (end - start) >> shift, unit);
}

// "      .text : 0x%p - 0x%p   (%4d kB)" with the size DIV_ROUND_UP(end - start, 1024).
// From 4.15 an early %p prints "(ptrval)" (field width 8, which it fills exactly).
void section_line(std::string& out, const char* label, VirtAddr start, VirtAddr end, bool ptrval) {
    u64 kb = (end.minus(start) + 1023) / 1024;
    if (ptrval)
        out += fmt::format("{:>11} : 0x(ptrval) - 0x(ptrval)   ({:4} kB)\n", label, kb);
    else
        out += fmt::format("{:>11} : 0x{:08x} - 0x{:08x}   ({:4} kB)\n", label, start.get(),
                           end.get(), kb);
}

} // namespace

std::string render_layout_block_arm(const Layout& l, const ArmRules& rules) {
    std::string out = "Virtual kernel memory layout:\n";
    const NamedRegion* vector = l.region("vector");
    const NamedRegion* fixmap = l.region("fixmap");
    const NamedRegion* dma = l.region("DMA");
    if (vector)
        region_line(out, "vector", vector->start.get(), vector->end.get(), 10, "kB");
    // fixmap: FIXADDR_START..FIXADDR_TOP ≤3.18, ..FIXADDR_END 3.19+ (the region's end).
    if (fixmap)
        region_line(out, "fixmap", fixmap->start.get(), fixmap->end.get(), 10, "kB");
    if (rules.layout_block == ArmLayoutBlock::Dma) {
        // CONSISTENT_BASE..CONSISTENT_END; printed also when the region is not modelled.
        u64 s = dma ? dma->start.get() : 0xffc00000;
        u64 e = dma ? dma->end.get() : 0xffe00000;
        region_line(out, "DMA", s, e, 20, "MB");
    }
    region_line(out, "vmalloc", l.vmalloc_start.get(), l.vmalloc_end.get(), 20, "MB");
    region_line(out, "lowmem", l.page_offset.get(), l.high_memory.get(), 20, "MB");
    if (l.pkmap_base)
        region_line(out, "pkmap", l.pkmap_base->get(),
                    l.pkmap_base->get() + l.last_pkmap * l.page_size(), 20, "MB");
    region_line(out, "modules", l.modules_vaddr.get(), l.modules_end.get(), 20, "MB");

    const KernelImage& img = l.image;
    if (rules.layout_block == ArmLayoutBlock::Dma) {
        section_line(out, ".init", img.init_begin, img.init_end, false);
        section_line(out, ".text", img.text, img.etext, false);
        section_line(out, ".data", img.sdata, img.edata, false);
    } else {
        const bool ptrval = rules.layout_block == ArmLayoutBlock::Ptrval;
        section_line(out, ".text", img.text, img.etext, ptrval);
        section_line(out, ".init", img.init_begin, img.init_end, ptrval);
        section_line(out, ".data", img.sdata, img.edata, ptrval);
        section_line(out, ".bss", img.bss_start, img.bss_stop, ptrval);
    }
    return out;
}

} // namespace kmemu
