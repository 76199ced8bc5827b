#include <catch2/catch.hpp>

#include "emu/machine.h"
#include "emu/procfs_meminfo.h"

using namespace kmemu;

namespace {
std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}
} // namespace

TEST_CASE("meminfo: the seed machine after one vmalloc(100), byte for byte", "[meminfo]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    (void)m->vmalloc().vmalloc(100);
    // MemTotal: 129210 managed pages * 4 = 516840 kB. MemFree: minus the data page, the PTE
    // table for 0xe0800000 and three kmalloc slab pages: the page array's (kmalloc-8), the
    // vm_struct's (kmalloc-32) and the vmap_area's (kmalloc-64): 129205 * 4.
    // HIGHMEM kernel with no highmem RAM: HighTotal 0, LowTotal = MemTotal. Slab: those 3.
    // CommitLimit: 129210 * 50 / 100 = 64605 pages = 258420 kB.
    // VmallocTotal: 0xff7fe000 - 0xe0800000 = 0x1effe000 bytes = 507896 kB. VmallocUsed (2.6.32
    // get_vmalloc_info): vm->size with the guard page = 8 kB; VmallocChunk: the gap after it,
    // 507896 - 8. DirectMap: [0, 4M) in 4K pages (1024 * 4 kB), [4M, 512M) in 127 4M pages.
    CHECK(render_meminfo(*m) == "MemTotal:         516840 kB\n"
                                "MemFree:          516820 kB\n"
                                "Buffers:               0 kB\n"
                                "Cached:                0 kB\n"
                                "SwapCached:            0 kB\n"
                                "Active:                0 kB\n"
                                "Inactive:              0 kB\n"
                                "Active(anon):          0 kB\n"
                                "Inactive(anon):        0 kB\n"
                                "Active(file):          0 kB\n"
                                "Inactive(file):        0 kB\n"
                                "Unevictable:           0 kB\n"
                                "Mlocked:               0 kB\n"
                                "HighTotal:             0 kB\n"
                                "HighFree:              0 kB\n"
                                "LowTotal:         516840 kB\n"
                                "LowFree:          516820 kB\n"
                                "SwapTotal:             0 kB\n"
                                "SwapFree:              0 kB\n"
                                "Dirty:                 0 kB\n"
                                "Writeback:             0 kB\n"
                                "AnonPages:             0 kB\n"
                                "Mapped:                0 kB\n"
                                "Shmem:                 0 kB\n"
                                "Slab:                 12 kB\n"
                                "SReclaimable:          0 kB\n"
                                "SUnreclaim:           12 kB\n"
                                "KernelStack:           0 kB\n"
                                "PageTables:            0 kB\n"
                                "NFS_Unstable:          0 kB\n"
                                "Bounce:                0 kB\n"
                                "WritebackTmp:          0 kB\n"
                                "CommitLimit:      258420 kB\n"
                                "Committed_AS:          0 kB\n"
                                "VmallocTotal:     507896 kB\n"
                                "VmallocUsed:           8 kB\n"
                                "VmallocChunk:     507888 kB\n"
                                "HugePages_Total:       0\n"
                                "HugePages_Free:        0\n"
                                "HugePages_Rsvd:        0\n"
                                "HugePages_Surp:        0\n"
                                "Hugepagesize:       4096 kB\n"
                                "DirectMap4k:        4096 kB\n"
                                "DirectMap4M:      520192 kB\n");
}

TEST_CASE("meminfo: 6.1 x86_64 lines and vmalloc accounting", "[meminfo]") {
    auto m = boot({"arch=x86_64", "mem=128M", "kernel=6.1"});
    const std::string before = render_meminfo(*m);
    // VMALLOC_TOTAL with the inclusive VMALLOC_END: 32 TiB - 1 byte, >> 10 = 34359738367.
    CHECK(before.find("VmallocTotal:   34359738367 kB\n") != std::string::npos);
    CHECK(before.find("VmallocUsed:           0 kB\nVmallocChunk:          0 kB\n"
                      "Percpu:                0 kB\n") != std::string::npos);
    // 6.1 order around the slab lines, SecPageTables (6.0+), Hugetlb (4.16+).
    CHECK(before.find("Shmem:                 0 kB\nKReclaimable:          0 kB\nSlab:") !=
          std::string::npos);
    CHECK(before.find("PageTables:            0 kB\nSecPageTables:         0 kB\n") !=
          std::string::npos);
    CHECK(before.find("Hugepagesize:       2048 kB\nHugetlb:               0 kB\n") !=
          std::string::npos);
    // x86_64 maps [0, 2M) with 4K pages (ISA range apart), [2M, 128M) with 63 2M pages.
    CHECK(before.find("DirectMap4k:        2048 kB\nDirectMap2M:      129024 kB\n") !=
          std::string::npos);
    CHECK(before.find("HighTotal") == std::string::npos);
    // 5.3+: VmallocUsed = vmalloc_nr_pages(): 3 pages for vmalloc(3 * 4096).
    const VirtAddr a = m->vmalloc().vmalloc(3 * 4096);
    CHECK(render_meminfo(*m).find("VmallocUsed:          12 kB\n") != std::string::npos);
    m->vmalloc().vfree(a);
    CHECK(render_meminfo(*m).find("VmallocUsed:           0 kB\n") != std::string::npos);
}

TEST_CASE("meminfo: 4.4 reports VmallocUsed and VmallocChunk as 0", "[meminfo]") {
    auto m = boot({"arch=i386", "mem=256M", "kernel=4.4"});
    (void)m->vmalloc().vmalloc(4096);
    const std::string s = render_meminfo(*m);
    CHECK(s.find("VmallocUsed:           0 kB\nVmallocChunk:          0 kB\n") !=
          std::string::npos);
    CHECK(s.find("MemAvailable:") != std::string::npos); // 3.14+
    CHECK(s.find("KReclaimable:") == std::string::npos); // 4.20+
}
