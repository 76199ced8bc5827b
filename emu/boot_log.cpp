#include "emu/boot_log.h"

#include <fmt/format.h>

namespace kmemu {

namespace {

struct SectionSizes {
    u64 code, rwdata, rodata, init, bss;
};

// The section sizes of mem_init_print_info (mm/page_alloc.c 3.11+), including its rule that a
// section lying inside another is not counted twice (adj_init_size).
SectionSizes generic_sections(const KernelImage& im) {
    u64 code = im.etext.minus(im.stext);
    u64 rwdata = im.edata.minus(im.sdata);
    u64 rodata = im.end_rodata.minus(im.start_rodata);
    u64 init = im.init_end.minus(im.init_begin);
    u64 bss = im.bss_stop.minus(im.bss_start);
    auto inside = [](VirtAddr start, VirtAddr end, VirtAddr pos) {
        return start <= pos && pos < end;
    };
    if (inside(im.sdata, im.edata, im.init_begin) && rwdata > init)
        rwdata -= init;
    if (inside(im.stext, im.etext, im.start_rodata) && code > rodata)
        code -= rodata;
    if (inside(im.sdata, im.edata, im.start_rodata) && rwdata > rodata)
        rwdata -= rodata;
    return {code, rwdata, rodata, init, bss};
}

// memblock regions as the ARM classic line lists them: adjacent usable ranges merged.
std::vector<u64> bank_sizes(const RamMap& ram) {
    std::vector<u64> sizes;
    PhysAddr last_end{0};
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        if (!sizes.empty() && r.start == last_end)
            sizes.back() += r.size();
        else
            sizes.push_back(r.size());
        last_end = r.end;
    }
    return sizes;
}

} // namespace

std::string render_memory_line(const Layout& l, const KernelProfile& profile, const RamMap& ram,
                               const BootMemoryStats& s) {
    const unsigned kshift = l.page_shift - 10; // pages -> KiB
    const KernelImage& im = l.image;
    switch (profile.mem_init.format) {
    case MemInitFormat::I386Classic: {
        // arch/x86/mm/init_32.c mem_init (2.6.x-3.10): the total is num_physpages, the pfn span
        // (highend_pfn with HIGHMEM, else max_low_pfn), holes included.
        u64 span = l.max_pfn.get();
        return fmt::format("Memory: {}k/{}k available ({}k kernel code, {}k reserved, {}k data, "
                           "{}k init, {}k highmem)\n",
                           s.free_pages << kshift, span << kshift, im.etext.minus(im.text) >> 10,
                           s.reserved_lowmem_pages << kshift, im.edata.minus(im.etext) >> 10,
                           im.init_end.minus(im.init_begin) >> 10,
                           s.highmem_managed_pages << kshift);
    }
    case MemInitFormat::X86_64Classic: {
        // arch/x86/mm/init_64.c mem_init (2.6.x-3.10): absent = holes below max_pfn, reserved =
        // max_pfn - totalram - absent.
        u64 max_pfn = l.max_pfn.get();
        u64 absent = max_pfn > s.present_pages ? max_pfn - s.present_pages : 0;
        u64 reserved = max_pfn - s.managed_pages - absent;
        return fmt::format("Memory: {}k/{}k available ({}k kernel code, {}k absent, {}k reserved, "
                           "{}k data, {}k init)\n",
                           s.free_pages << kshift, max_pfn << kshift, im.etext.minus(im.text) >> 10,
                           absent << kshift, reserved << kshift, im.edata.minus(im.etext) >> 10,
                           im.init_end.minus(im.init_begin) >> 10);
    }
    case MemInitFormat::Arm26:
    case MemInitFormat::Arm3: {
        // arch/arm/mm/init.c mem_init: first the memory banks, then the page counts.
        std::string out = "Memory:";
        u64 total = 0;
        for (u64 size : bank_sizes(ram)) {
            out += fmt::format(" {}MB", size >> 20);
            total += size;
        }
        out += fmt::format(" = {}MB total\n", total >> 20);
        if (profile.mem_init.format == MemInitFormat::Arm26)
            out += fmt::format(
                "Memory: {}KB available ({}K code, {}K data, {}K init, {}K highmem)\n",
                s.free_pages << kshift, im.etext.minus(im.text) >> 10, im.end.minus(im.sdata) >> 10,
                im.init_end.minus(im.init_begin) >> 10, s.highmem_managed_pages << kshift);
        else
            out += fmt::format("Memory: {}k/{}k available, {}k reserved, {}K highmem\n",
                               s.free_pages << kshift, s.free_pages << kshift,
                               s.reserved_pages << kshift, s.highmem_managed_pages << kshift);
        return out;
    }
    case MemInitFormat::Generic: {
        // mm_init.c / page_alloc.c mem_init_print_info (3.11+). reserved = physpages -
        // totalram - totalcma; the highmem field only in HIGHMEM kernels.
        SectionSizes sec = generic_sections(im);
        std::string out = fmt::format(
            "Memory: {}K/{}K available ({}K kernel code, {}K rwdata, {}K rodata, {}K init, {}K "
            "bss, {}K reserved",
            s.free_pages << kshift, s.present_pages << kshift, sec.code >> 10, sec.rwdata >> 10,
            sec.rodata >> 10, sec.init >> 10, sec.bss >> 10,
            (s.present_pages - s.managed_pages - s.cma_pages) << kshift);
        if (profile.mem_init.has_cma_reserved)
            out += fmt::format(", {}K cma-reserved", s.cma_pages << kshift);
        if (l.pkmap_base)
            out += fmt::format(", {}K highmem", s.highmem_managed_pages << kshift);
        out += ")\n";
        return out;
    }
    }
    return {};
}

} // namespace kmemu
