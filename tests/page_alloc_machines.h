// Hand-built machines for the page allocator tests (Layouts by hand: the arch layout code is
// written elsewhere; only the fields the allocator reads are filled).
#pragma once

#include "mm/page_alloc.h"

namespace kmemu::test {

inline RamRange ram(u64 start, u64 end, RamType t = RamType::Usable) {
    return RamRange{PhysAddr(start), PhysAddr(end), t, {}};
}

// i386, 512 MiB: e820 usable [0, 0x9f000) and [1 MiB, 512 MiB); zones DMA [0, 4096),
// Normal [4096, 0x20000); kernel image 8 MiB at phys 16 MiB (pfns 0x1000..0x1800).
inline Layout i386_512m() {
    Layout l;
    l.arch = Arch::I386;
    l.word_bits = 32;
    l.page_shift = 12;
    l.page_offset = VirtAddr(0xc0000000);
    l.high_memory = VirtAddr(0xe0000000);
    l.min_low_pfn = Pfn(0);
    l.max_low_pfn = Pfn(0x20000);
    l.max_pfn = Pfn(0x20000);
    l.zones = {{ZoneType::Dma, Pfn(0), Pfn(0x1000)}, {ZoneType::Normal, Pfn(0x1000), Pfn(0x20000)}};
    l.image.phys_start = PhysAddr(0x1000000);
    l.image.text = VirtAddr(0xc1000000);
    l.image.end = VirtAddr(0xc1800000);
    return l;
}
inline RamMap i386_512m_ram() {
    RamMap m;
    m.ranges = {ram(0, 0x9f000), ram(0x9f000, 0x100000, RamType::Reserved),
                ram(0x100000, 0x20000000)};
    return m;
}

// i386 PAE, 4 GiB installed: RAM [1 MiB, 0xbffe0000) and [4 GiB, 5 GiB) (PCI hole between);
// max_low_pfn 0x377fe; HighMem [0x377fe, 0x140000).
inline Layout i386pae_highmem() {
    Layout l = i386_512m();
    l.arch = Arch::I386Pae;
    l.max_low_pfn = Pfn(0x377fe);
    l.max_pfn = Pfn(0x140000);
    l.high_memory = VirtAddr(0xc0000000 + 0x377fe000);
    l.zones = {{ZoneType::Dma, Pfn(0), Pfn(0x1000)},
               {ZoneType::Normal, Pfn(0x1000), Pfn(0x377fe)},
               {ZoneType::HighMem, Pfn(0x377fe), Pfn(0x140000)}};
    return l;
}
inline RamMap i386pae_highmem_ram() {
    RamMap m;
    m.ranges = {ram(0, 0x9f000), ram(0x100000, 0xbffe0000), ram(0x100000000, 0x140000000)};
    return m;
}

// x86_64 with `top` bytes of RAM above 4 GiB: RAM [0, 0x9f000), [1 MiB, 3 GiB),
// [4 GiB, 4 GiB + top); zones DMA [0, 4096), DMA32 [4096, 1M), Normal [1M, max_pfn).
inline Layout x86_64_machine(u64 top) {
    Layout l;
    l.arch = Arch::X86_64;
    l.page_shift = 12;
    l.page_offset = VirtAddr(0xffff888000000000);
    const u64 max_pfn = (4 * GiB + top) >> 12;
    l.max_low_pfn = Pfn(max_pfn);
    l.max_pfn = Pfn(max_pfn);
    l.high_memory = VirtAddr(0xffff888000000000 + (max_pfn << 12));
    l.zones = {{ZoneType::Dma, Pfn(0), Pfn(0x1000)},
               {ZoneType::Dma32, Pfn(0x1000), Pfn(0x100000)},
               {ZoneType::Normal, Pfn(0x100000), Pfn(max_pfn)}};
    l.image.phys_start = PhysAddr(0x1000000);
    l.image.text = VirtAddr(0xffffffff81000000);
    l.image.end = VirtAddr(0xffffffff83000000);
    return l;
}
inline RamMap x86_64_ram(u64 top) {
    RamMap m;
    m.ranges = {ram(0, 0x9f000), ram(0x100000, 0xc0000000), ram(0x100000000, 0x100000000 + top)};
    return m;
}

// arm64, 64K pages, 1 GiB of RAM at 0x40000000 (pfns 0x4000..0x8000), all in ZONE_DMA;
// kernel image 16 MiB at 0x40200000 (pfns 0x4020..0x4120).
inline Layout arm64_64k() {
    Layout l;
    l.arch = Arch::Arm64;
    l.page_shift = 16;
    l.page_offset = VirtAddr(0xfffffc0000000000);
    l.phys_offset = PhysAddr(0x40000000);
    l.min_low_pfn = Pfn(0x4000);
    l.max_low_pfn = Pfn(0x8000);
    l.max_pfn = Pfn(0x8000);
    l.high_memory = VirtAddr(0xfffffc0040000000);
    l.zones = {{ZoneType::Dma, Pfn(0x4000), Pfn(0x8000)}};
    l.image.phys_start = PhysAddr(0x40200000);
    l.image.text = VirtAddr(0xffff800008000000);
    l.image.end = VirtAddr(0xffff800009000000);
    return l;
}
inline RamMap arm64_64k_ram() {
    RamMap m;
    m.ranges = {ram(0x40000000, 0x80000000)};
    return m;
}

inline std::unique_ptr<PageAllocator> boot_or_die(const Layout& l, const RamMap& r,
                                                  const PageAllocRules& rules) {
    auto pa = PageAllocator::boot(l, r, rules);
    if (pa.is_error())
        throw std::runtime_error(pa.error().message());
    return pa.release_value();
}

} // namespace kmemu::test
