// The arm64 boot printout "Virtual kernel memory layout:" (reference E.4; arch/arm64/mm/init.c
// mem_init of 3.19 and 4.9). Each line is `    name : 0x%16lx - 0x%16lx   (%6ld UNIT)`;
// section lines print their addresses with "0x%p" (16 zero-padded hex digits) and round the
// size up to KB (MLK_ROUNDUP); region sizes truncate (MLK/MLM/MLG).
#include <fmt/format.h>

#include "mm/layout_arm64.h"

namespace kmemu {

namespace {

constexpr u64 kStructPageSize = 64;

struct Printer {
    std::string out;
    bool ptrval = false;

    void region(std::string_view prefix, u64 start, u64 end, unsigned shift, std::string_view unit,
                std::string_view suffix = "") {
        out += fmt::format("{}0x{:16x} - 0x{:16x}   ({:6} {}{})\n", prefix, start, end,
                           (end - start) >> shift, unit, suffix);
    }
    void section(std::string_view prefix, VirtAddr start, VirtAddr end) {
        u64 kb = (end.get() - start.get() + 1023) / 1024; // DIV_ROUND_UP(size, SZ_1K)
        if (ptrval) // 4.15: %p before the hashing key is ready
            out += fmt::format("{}0x(ptrval) - 0x(ptrval)   ({:6} KB)\n", prefix, kb);
        else
            out += fmt::format("{}0x{:016x} - 0x{:016x}   ({:6} KB)\n", prefix, start.get(),
                               end.get(), kb);
    }
};

} // namespace

// Versions after the printout's removal (4.16+) get the format of 4.15, the last version
// that printed it, but with real section addresses (4.15 itself prints "(ptrval)").
std::string render_layout_block_arm64(const Layout& l, const Arm64Rules& rules) {
    const unsigned ps = l.page_shift;
    const NamedRegion* vmemmap = l.region("vmemmap");
    const NamedRegion* pci = l.region("pci_io");
    if (vmemmap == nullptr || pci == nullptr)
        return {};
    const bool legacy = !rules.print_49_order;
    const u64 memstart_pfn = l.phys_offset.get() >> ps;
    const u64 dram_start = l.min_low_pfn.get() << ps;
    // struct page address of a pfn: 3.x vmemmap has no PHYS_OFFSET bias; from 4.6 vmemmap is
    // VMEMMAP_START - (memstart_addr >> PAGE_SHIFT) struct pages.
    auto page = [&](u64 pfn) {
        return vmemmap->start.get() + (legacy ? pfn : pfn - memstart_pfn) * kStructPageSize;
    };
    const u64 high_pfn = l.pa(l.high_memory).get() >> ps;
    const auto& img = l.image;

    Printer p;
    p.ptrval = rules.print_ptrval;
    p.out = "Virtual kernel memory layout:\n";
    if (legacy) {
        // 3.19 order.
        p.region("    vmalloc : ", l.vmalloc_start.get(), l.vmalloc_end.get(), 30, "GB");
        p.region("    vmemmap : ", vmemmap->start.get(), vmemmap->end.get(), 30, "GB", " maximum");
        p.region("              ", page(memstart_pfn), page(high_pfn), 20, "MB", " actual");
        p.region("    fixed   : ", l.fixaddr_start.get(), l.fixaddr_top.get(), 10, "KB");
        p.region("    PCI I/O : ", pci->start.get(), pci->end.get(), 20, "MB");
        p.region("    modules : ", l.modules_vaddr.get(), l.modules_end.get(), 20, "MB");
        p.region("    memory  : ", l.page_offset.get(), l.high_memory.get(), 20, "MB");
        p.section("      .init : ", img.init_begin, img.init_end);
        p.section("      .text : ", img.text, img.etext);
        p.section("      .data : ", img.sdata, img.edata);
        return p.out;
    }
    // 4.9 order (4.6-4.15).
    p.region("    modules : ", l.modules_vaddr.get(), l.modules_end.get(), 20, "MB");
    p.region("    vmalloc : ", l.vmalloc_start.get(), l.vmalloc_end.get(), 30, "GB");
    p.section("      .text : ", img.text, img.etext);
    p.section("    .rodata : ", img.start_rodata, img.init_begin);
    p.section("      .init : ", img.init_begin, img.init_end);
    p.section("      .data : ", img.sdata, img.edata);
    p.section("       .bss : ", img.bss_start, img.bss_stop);
    p.region("    fixed   : ", l.fixaddr_start.get(), l.fixaddr_top.get(), 10, "KB");
    p.region("    PCI I/O : ", pci->start.get(), pci->end.get(), 20, "MB");
    p.region("    vmemmap : ", vmemmap->start.get(), vmemmap->end.get(), 30, "GB", " maximum");
    p.region("              ", page(dram_start >> ps), page(high_pfn), 20, "MB", " actual");
    p.region("    memory  : ", l.va(PhysAddr(dram_start)).get(), l.high_memory.get(), 20, "MB");
    return p.out;
}

} // namespace kmemu
