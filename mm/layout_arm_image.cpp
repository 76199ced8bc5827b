// The ARM kernel image: where vmlinux sits and how big its sections typically are.
// KERNEL_RAM_VADDR = PAGE_OFFSET + TEXT_OFFSET (0x8000), loaded at PHYS_OFFSET + TEXT_OFFSET
// (arch/arm/Makefile, arch/arm/kernel/head.S). Section sizes cannot be derived from first
// principles; kmemu uses one typical set per era, all page-aligned, modelled on
// multi_v7_defconfig boot logs (vexpress_defconfig before multi_v7 existed, 3.8).
#include "mm/layout_arm.h"

#include <array>

namespace kmemu {

namespace {
struct SizeRow {
    KernelVersion from;
    ArmImageSizes sizes;
};

// Sizes in bytes; each is a multiple of 4 KiB. head is the .head.text before _stext.
// clang-format off
constexpr std::array<SizeRow, 8> kSizes{{
    //              head       text        rodata      init        data        bss
    {{2, 6, 11}, {4 * KiB,  2048 * KiB,  384 * KiB,  128 * KiB,  256 * KiB,  128 * KiB}},
    {{2, 6, 32}, {4 * KiB,  3328 * KiB,  640 * KiB,  160 * KiB,  320 * KiB,  192 * KiB}},
    {{3, 3, 0},  {4 * KiB,  5120 * KiB, 1152 * KiB,  256 * KiB,  384 * KiB,  320 * KiB}},
    {{3, 19, 0}, {4 * KiB,  7168 * KiB, 1792 * KiB,  512 * KiB,  512 * KiB,  384 * KiB}},
    {{4, 4, 0},  {4 * KiB, 10240 * KiB, 2560 * KiB, 1024 * KiB,  640 * KiB, 1280 * KiB}},
    {{4, 15, 0}, {4 * KiB, 12288 * KiB, 3072 * KiB, 1024 * KiB,  768 * KiB, 1344 * KiB}},
    {{5, 4, 0},  {4 * KiB, 13312 * KiB, 3584 * KiB, 1024 * KiB, 1024 * KiB, 1536 * KiB}},
    {{6, 1, 0},  {4 * KiB, 15360 * KiB, 4096 * KiB, 2048 * KiB, 1280 * KiB, 1664 * KiB}},
}};
// clang-format on
} // namespace

ArmImageSizes arm_image_sizes(KernelVersion version) {
    ArmImageSizes s = kSizes[0].sizes;
    for (const auto& row : kSizes)
        if (version >= row.from)
            s = row.sizes;
    return s;
}

KernelImage arm_kernel_image(const ArmRules& rules, VirtAddr kernel_ram_vaddr,
                             PhysAddr kernel_ram_paddr) {
    const ArmImageSizes s = arm_image_sizes(rules.version);
    KernelImage img;
    VirtAddr at = kernel_ram_vaddr;
    if (rules.init_before_text) {
        // Old vmlinux.lds: _stext and __init_begin at KERNEL_RAM_VADDR, .text (_text) after init.
        img.stext = at;
        img.init_begin = at;
        img.init_end = at.offset(s.head + s.init);
        img.text = img.init_end;
        img.etext = img.text.offset(s.text);
    } else {
        // _text (head text), _stext, .text and rodata up to _etext, then .init.
        img.text = at;
        img.stext = at.offset(s.head);
        img.etext = img.stext.offset(s.text);
        img.init_begin = img.etext;
        img.init_end = img.init_begin.offset(s.init);
    }
    img.start_rodata = img.etext.offset_down(s.rodata);
    img.end_rodata = img.etext;
    img.sdata = rules.init_before_text ? img.etext : img.init_end;
    img.edata = img.sdata.offset(s.data);
    img.bss_start = img.edata;
    img.bss_stop = img.bss_start.offset(s.bss);
    img.end = img.bss_stop;
    // phys_start is pa(_text); pa() is linear so it also holds for an .init below _text.
    img.phys_start = kernel_ram_paddr.offset(img.text.minus(kernel_ram_vaddr));
    return img;
}

} // namespace kmemu
