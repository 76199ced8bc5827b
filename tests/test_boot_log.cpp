#include <catch2/catch.hpp>

#include "emu/boot_log.h"

using namespace kmemu;

namespace {

// A hand-made 32-bit image: text 6 MiB, rodata 2 MiB after it, data 1 MiB, init 512 KiB,
// bss 1 MiB.
Layout sample_layout(bool highmem) {
    Layout l;
    l.arch = Arch::I386;
    l.word_bits = 32;
    l.page_shift = 12;
    l.max_pfn = Pfn(0x20000);
    if (highmem)
        l.pkmap_base = VirtAddr(0xff800000);
    auto& im = l.image;
    im.text = im.stext = VirtAddr(0xc1000000);
    im.etext = VirtAddr(0xc1600000);
    im.start_rodata = VirtAddr(0xc1600000);
    im.end_rodata = VirtAddr(0xc1800000);
    im.sdata = VirtAddr(0xc1800000);
    im.edata = VirtAddr(0xc1900000);
    im.init_begin = VirtAddr(0xc1a00000);
    im.init_end = VirtAddr(0xc1a80000);
    im.bss_start = VirtAddr(0xc1b00000);
    im.bss_stop = VirtAddr(0xc1c00000);
    im.end = VirtAddr(0xc1c00000);
    return l;
}

BootMemoryStats sample_stats() {
    BootMemoryStats s;
    s.free_pages = 120000;
    s.present_pages = 130000;
    s.managed_pages = 125000;
    s.highmem_managed_pages = 1000;
    s.reserved_lowmem_pages = 4000;
    s.reserved_pages = 5000;
    return s;
}

RamMap two_banks() {
    RamMap m;
    m.ranges = {{PhysAddr(0x40000000), PhysAddr(0x50000000), RamType::Usable, {}},
                {PhysAddr(0x60000000), PhysAddr(0x64000000), RamType::Usable, {}}};
    return m;
}

} // namespace

TEST_CASE("boot log: generic mem_init_print_info line (3.11+)", "[bootlog]") {
    auto profile = KernelProfile::for_machine(KernelVersion{5, 10, 0}, Arch::I386);
    // free 120000 pages = 480000K, present 130000 = 520000K; code 6 MiB = 6144K, rwdata 1024K,
    // rodata 2048K, init 512K, bss 1024K; reserved = 130000 - 125000 - 0 = 5000 pages = 20000K.
    CHECK(render_memory_line(sample_layout(false), profile, {}, sample_stats()) ==
          "Memory: 480000K/520000K available (6144K kernel code, 1024K rwdata, 2048K rodata, "
          "512K init, 1024K bss, 20000K reserved, 0K cma-reserved)\n");
    // A HIGHMEM kernel adds totalhigh_pages: 1000 pages = 4000K.
    CHECK(render_memory_line(sample_layout(true), profile, {}, sample_stats()) ==
          "Memory: 480000K/520000K available (6144K kernel code, 1024K rwdata, 2048K rodata, "
          "512K init, 1024K bss, 20000K reserved, 0K cma-reserved, 4000K highmem)\n");
    // 3.11-3.18 have no cma-reserved field.
    auto p318 = KernelProfile::for_machine(KernelVersion{3, 18, 0}, Arch::I386);
    CHECK(render_memory_line(sample_layout(false), p318, {}, sample_stats()) ==
          "Memory: 480000K/520000K available (6144K kernel code, 1024K rwdata, 2048K rodata, "
          "512K init, 1024K bss, 20000K reserved)\n");
}

TEST_CASE("boot log: rodata inside text is not counted twice (adj_init_size)", "[bootlog]") {
    auto profile = KernelProfile::for_machine(KernelVersion{6, 1, 0}, Arch::Arm);
    Layout l = sample_layout(false);
    // ARM keeps rodata before _etext: text 0xc1000000-0xc1800000 holds rodata 0xc1600000+2M,
    // so code = 8 MiB - 2 MiB = 6144K.
    l.image.etext = VirtAddr(0xc1800000);
    CHECK(render_memory_line(l, profile, {}, sample_stats()) ==
          "Memory: 480000K/520000K available (6144K kernel code, 1024K rwdata, 2048K rodata, "
          "512K init, 1024K bss, 20000K reserved, 0K cma-reserved)\n");
}

TEST_CASE("boot log: i386 classic line (2.6.x to 3.10)", "[bootlog]") {
    auto profile = KernelProfile::for_machine(KernelVersion{2, 6, 32}, Arch::I386);
    // total = max_pfn 0x20000 pages = 524288K; code = _etext - _text = 6144K; reserved 4000
    // pages = 16000K; data = _edata - _etext = 3 MiB = 3072K; init 512K; highmem 4000K.
    CHECK(render_memory_line(sample_layout(true), profile, {}, sample_stats()) ==
          "Memory: 480000k/524288k available (6144k kernel code, 16000k reserved, 3072k data, "
          "512k init, 4000k highmem)\n");
}

TEST_CASE("boot log: x86_64 classic line (2.6.x to 3.10)", "[bootlog]") {
    auto profile = KernelProfile::for_machine(KernelVersion{2, 6, 32}, Arch::X86_64);
    Layout l = sample_layout(false);
    l.arch = Arch::X86_64;
    // absent = max_pfn 131072 - present 130000 = 1072 pages = 4288K;
    // reserved = 131072 - 125000 - 1072 = 5000 pages = 20000K.
    CHECK(render_memory_line(l, profile, {}, sample_stats()) ==
          "Memory: 480000k/524288k available (6144k kernel code, 4288k absent, 20000k reserved, "
          "3072k data, 512k init)\n");
}

TEST_CASE("boot log: ARM classic lines list the banks", "[bootlog]") {
    Layout l = sample_layout(true);
    l.arch = Arch::Arm;
    auto p36 = KernelProfile::for_machine(KernelVersion{3, 6, 5}, Arch::Arm);
    // Banks of 256 MiB and 64 MiB; free 480000K twice, reserved 5000 pages = 20000K.
    CHECK(render_memory_line(l, p36, two_banks(), sample_stats()) ==
          "Memory: 256MB 64MB = 320MB total\n"
          "Memory: 480000k/480000k available, 20000k reserved, 4000K highmem\n");
    auto p2632 = KernelProfile::for_machine(KernelVersion{2, 6, 32}, Arch::Arm);
    // data = _end - _sdata = 0xc1c00000 - 0xc1800000 = 4096K.
    CHECK(render_memory_line(l, p2632, two_banks(), sample_stats()) ==
          "Memory: 256MB 64MB = 320MB total\n"
          "Memory: 480000KB available (6144K code, 4096K data, 512K init, 4000K highmem)\n");
}
