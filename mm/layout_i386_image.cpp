// The i386 kernel image: load address and section symbols, placed the way the i386 linker
// script (arch/i386/kernel/vmlinux.lds.S, later arch/x86/kernel/vmlinux.lds.S) places them.
#include "mm/layout_i386.h"

namespace kmemu {

namespace {

// Typical section sizes of an i386_defconfig-like kernel, by era. These are kmemu's synthetic
// defaults (no single build is reproduced; real builds vary with .config by megabytes), chosen
// to be of the size the "Memory:" line of such kernels reports: text grows from about 2 MiB
// (2.6.1x) to about 9.5 MiB (5.x/6.x). head_text is the .head.text run that precedes _stext
// while the linker script put _stext after HEAD_TEXT (until 4.x, when _stext moved to _text).
// brk is the .brk reservation (2.6.30+: 64 KiB dmi_alloc plus the early page-table brk).
struct SizeRow {
    KernelVersion from;
    I386ImageSizes sizes;
};

constexpr SizeRow kImageSizes[] = {
    //                    head    text      rodata    data      init     bss      brk
    {{2, 6, 11}, {0x0, 0x1f4a3c, 0x8b2e0, 0x62a94, 0x31000, 0x3c2a8, 0x0}},
    {{2, 6, 20}, {0x0, 0x28c1f6, 0xb9c40, 0x7e3a8, 0x3e000, 0x5b0b0, 0x0}},
    {{2, 6, 30}, {0x2b0, 0x33d5e1, 0xf45a0, 0x92f64, 0x5a000, 0x6f0c4, 0x151000}},
    {{3, 0, 0}, {0x2f0, 0x4a81c3, 0x17a3b0, 0xb4d38, 0x76000, 0xb81d4, 0x151000}},
    {{4, 0, 0}, {0x0, 0x6f3a2e, 0x22c6f8, 0xe6a1c, 0xa8000, 0x14f2c0, 0x151000}},
    {{5, 0, 0}, {0x0, 0x93b51d, 0x2c1e48, 0x11c7f0, 0xd4000, 0x18e3a4, 0x151000}},
};

} // namespace

I386ImageSizes i386_image_sizes_for(KernelVersion version) {
    I386ImageSizes sizes = kImageSizes[0].sizes;
    for (const auto& row : kImageSizes)
        if (version >= row.from)
            sizes = row.sizes;
    return sizes;
}

KernelImage i386_kernel_image(const I386Rules& rules, VirtAddr page_offset) {
    constexpr u64 page = 4096;
    const I386ImageSizes& s = rules.image;
    KernelImage img;
    // _text = LOAD_OFFSET (= PAGE_OFFSET) + LOAD_PHYSICAL_ADDR.
    img.phys_start = PhysAddr(rules.physical_start);
    img.text = page_offset.offset(rules.physical_start);
    img.stext = img.text.offset(s.head_text);
    img.etext = img.stext.offset(s.text);
    // RO_DATA(PAGE_SIZE) starts on a page; the data section follows the page-aligned end of
    // rodata (mark_rodata_ro protects whole pages).
    img.start_rodata = img.etext.align_up(page);
    img.end_rodata = img.start_rodata.offset(s.rodata).align_up(page);
    img.sdata = img.end_rodata;
    img.edata = img.sdata.offset(s.data);
    // .init.begin and .init.end are page aligned: free_initmem() frees whole pages.
    img.init_begin = img.edata.align_up(page);
    img.init_end = img.init_begin.offset(s.init).align_up(page);
    // .bss starts on a page (.bss..page_aligned first); .brk follows page aligned, then _end.
    img.bss_start = img.init_end;
    img.bss_stop = img.bss_start.offset(s.bss);
    img.end = img.bss_stop.align_up(page).offset(s.brk);
    return img;
}

} // namespace kmemu
