#include <catch2/catch.hpp>

#include "emu/machine.h"
#include "mm/direct_map.h"

using namespace kmemu;

namespace {
std::unique_ptr<Machine> boot(std::initializer_list<const char*> words) {
    std::vector<std::string> w(words.begin(), words.end());
    auto config = parse_config_words(w);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}
} // namespace

TEST_CASE("direct map: i386 lowmem only", "[direct_map]") {
    // 1 GiB with HIGHMEM: lowmem ends at high_memory 0xf77fe000 (max_low_pfn 0x377fe).
    auto m = boot({"arch=i386", "mem=1G", "kernel=6.1"});
    const Layout& l = m->layout();
    DirectMap dm(l, &m->page_allocator());
    CHECK(dm.pa(VirtAddr(0xc0000000)) == PhysAddr(0));
    CHECK(dm.pa(l.high_memory.offset_down(1)) == PhysAddr(l.pa(l.high_memory).get() - 1));
    CHECK_FALSE(dm.pa(l.high_memory));
    CHECK_FALSE(dm.pa(VirtAddr(0xbfffffff)));
    CHECK(dm.virt_addr_valid(l.high_memory.offset_down(1)));
    CHECK_FALSE(dm.virt_addr_valid(l.high_memory));
    CHECK_FALSE(dm.virt_addr_valid(l.vmalloc_start));
    // __va of a highmem address has no direct-map answer.
    const PhysAddr high = l.phys_of(l.max_low_pfn);
    CHECK_FALSE(dm.va(high));
    CHECK(dm.va(PhysAddr(0x1000)) == VirtAddr(0xc0001000));
    // page_address: 0 for an unmapped highmem page, the kmap address through the hook.
    page* hp = m->page_allocator().pfn_to_page(l.max_low_pfn);
    REQUIRE(hp != nullptr);
    CHECK(dm.page_address(hp) == VirtAddr(0));
    dm.set_kmap_lookup([&](Pfn p) -> std::optional<VirtAddr> {
        if (p == l.max_low_pfn)
            return *l.pkmap_base;
        return std::nullopt;
    });
    CHECK(dm.page_address(hp) == *l.pkmap_base);
    page* lp = dm.virt_to_page(VirtAddr(0xc0100000));
    REQUIRE(lp != nullptr);
    CHECK(page_to_pfn(lp) == Pfn(0x100));
    CHECK(dm.page_address(lp) == VirtAddr(0xc0100000));
    CHECK(dm.virt_to_page(l.high_memory) == nullptr);
}

TEST_CASE("direct map: x86_64 accepts the kernel image mapping", "[direct_map]") {
    auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
    const Layout& l = m->layout();
    DirectMap dm(l, &m->page_allocator());
    // __phys_addr: 0xffffffff81000000 - __START_KERNEL_map + phys_base (0) = 0x1000000.
    CHECK(dm.pa(VirtAddr(0xffffffff81000000u)) == PhysAddr(0x1000000));
    CHECK(dm.virt_addr_valid(VirtAddr(0xffffffff81000000u)));
    CHECK(dm.pa(l.page_offset.offset(0x1000000)) == PhysAddr(0x1000000));
    // A modules address is neither.
    CHECK_FALSE(dm.pa(l.modules_vaddr.offset(4096)));
    CHECK_FALSE(dm.virt_addr_valid(l.vmalloc_start));
}

TEST_CASE("direct map: ARM and arm64 linear maps from PHYS_OFFSET", "[direct_map]") {
    auto a = boot({"arch=arm", "mem=512M", "kernel=5.10"});
    DirectMap dm(a->layout(), &a->page_allocator());
    CHECK(dm.pa(VirtAddr(0xc0000000)) == PhysAddr(0x40000000));
    CHECK_FALSE(dm.va(PhysAddr(0x3ffff000))); // below PHYS_OFFSET
    CHECK(dm.va(PhysAddr(0x40001000)) == VirtAddr(0xc0001000));
    CHECK(dm.virt_addr_valid(VirtAddr(0xc0000000)));
    CHECK_FALSE(dm.virt_addr_valid(VirtAddr(0xbf000000)));

    auto b = boot({"arch=arm64", "mem=512M", "kernel=6.1"});
    const Layout& l = b->layout();
    DirectMap d64(l, &b->page_allocator());
    CHECK(d64.pa(l.page_offset) == PhysAddr(0x40000000));
    CHECK(d64.virt_addr_valid(l.page_offset));
    // The image alias at KIMAGE_VADDR is not a linear-map address.
    CHECK_FALSE(d64.virt_addr_valid(l.image.text));
    CHECK_FALSE(d64.pa(l.image.text));
}
