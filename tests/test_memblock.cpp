#include <catch2/catch.hpp>

#include "mm/memblock.h"

using namespace kmemu;

TEST_CASE("memblock: top-down allocations pack below each other and skip reservations",
          "[memblock]") {
    RamMap ram;
    ram.ranges = {{PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}},
                  {PhysAddr(0x100000), PhysAddr(0x20000000), RamType::Usable, {}}};
    Memblock mb(ram, 12);
    mb.set_policy({MemblockDirection::TopDown, PhysAddr(0), PhysAddr(0x20000000)});
    // A reservation right at the top: the first allocation lands just below it.
    mb.reserve(PhysAddr(0x1ffff000), PhysAddr(0x20000000));
    // 3000 page allocations: each the page below the previous one (0x1fffe000, 0x1fffd000, ...),
    // as memblock's top-down search gives; merging the adjacent reservations keeps each search
    // one step long.
    for (u64 i = 0; i < 3000; ++i) {
        auto p = mb.alloc(4096, 4096, "pgtable");
        REQUIRE(p);
        REQUIRE(p.value() == PhysAddr(0x1fffe000 - i * 0x1000));
    }
    // The allocations reach down to 0x1fffe000 - 2999 * 0x1000 = 0x1f447000. With
    // [0x1000000, 0x1f000000) reserved, the gap [0x1f000000, 0x1f447000) holds two 2 MiB
    // blocks, the higher first (0x1f200000, 0x1f000000); a third goes below 0x1000000.
    mb.reserve(PhysAddr(0x1000000), PhysAddr(0x1f000000));
    auto big = mb.alloc(0x200000, 0x200000, "big");
    REQUIRE(big);
    CHECK(big.value() == PhysAddr(0x1f200000));
    auto big2 = mb.alloc(0x200000, 0x200000, "big");
    REQUIRE(big2);
    CHECK(big2.value() == PhysAddr(0x1f000000));
    auto big3 = mb.alloc(0x200000, 0x200000, "big");
    REQUIRE(big3);
    CHECK(big3.value() == PhysAddr(0xe00000));
    CHECK(mb.allocations().size() == 3003);
}
