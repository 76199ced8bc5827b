#include <catch2/catch.hpp>

#include "mm/paging/phys_table_memory.h"
#include "mm/paging/walk.h"
#include "mm/paging/x86_entry.h"

using namespace kmemu;
using namespace kmemu::paging;

namespace {
std::unique_ptr<PhysicalMemory> small_ram() {
    RamMap map;
    map.ranges = {{PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}},
                  {PhysAddr(0x100000), PhysAddr(0x1000000), RamType::Usable, {}}};
    return PhysicalMemory::create(map, {}, 12).release_value();
}
} // namespace

TEST_CASE("paging: descriptors live in the machine's frames", "[paging][phys]") {
    auto phys = small_ram();
    PhysTableMemory mem(*phys);
    REQUIRE_FALSE(
        mem.store_descriptor(PhysAddr(0x200008), DescriptorWidth::Bytes8, 0x8000000000000163ull)
            .is_error());
    // The same bytes through the plain physical interface, little-endian.
    CHECK(phys->read_u64(PhysAddr(0x200008)).value == 0x8000000000000163ull);
    CHECK(phys->read_u8(PhysAddr(0x200008)).value == 0x63);
    CHECK(mem.load_descriptor(PhysAddr(0x200008), DescriptorWidth::Bytes8).value() ==
          0x8000000000000163ull);
    CHECK(mem.load_descriptor(PhysAddr(0x20000c), DescriptorWidth::Bytes4).value() == 0x80000000u);
    // Holes (the legacy 0xa0000 area, beyond RAM), misalignment: errors, nothing touched.
    CHECK(mem.load_descriptor(PhysAddr(0xa0000), DescriptorWidth::Bytes4).is_error());
    CHECK(mem.store_descriptor(PhysAddr(0x2000000), DescriptorWidth::Bytes8, 1).is_error());
    CHECK(mem.load_descriptor(PhysAddr(0x200004), DescriptorWidth::Bytes8).is_error());
    CHECK(phys->touched_pages() == 1);
}

TEST_CASE("paging: writes into watched page-table frames are reported", "[paging][phys]") {
    auto phys = small_ram();
    std::vector<u64> seen;
    phys->set_watched_write_observer([&](Pfn pfn) { seen.push_back(pfn.get()); });
    phys->watch_frame(Pfn(0x300));
    PhysTableMemory mem(*phys);
    REQUIRE_FALSE(mem.store_descriptor(PhysAddr(0x300ff8), DescriptorWidth::Bytes8, 7).is_error());
    CHECK(phys->write_u32(PhysAddr(0x301000), 1) == PhysStatus::Ok); // not watched
    // A write straddling into the watched frame from below reports it once.
    std::array<std::byte, 8> eight{};
    CHECK(phys->write(PhysAddr(0x2ffffc), eight).ok());
    (void)phys->host_frame(Pfn(0x300), kmemu::Access::Write);
    (void)phys->host_frame(Pfn(0x300), kmemu::Access::Read);
    CHECK(seen == std::vector<u64>{0x300, 0x300, 0x300});
    phys->unwatch_frame(Pfn(0x300));
    CHECK(phys->write_u32(PhysAddr(0x300000), 1) == PhysStatus::Ok);
    CHECK(seen.size() == 3);
}

TEST_CASE("physical memory: deferred frames are filled on first access", "[phys]") {
    auto phys = small_ram();
    int fills = 0;
    auto filler = [&fills](std::byte* frame) {
        ++fills;
        frame[0] = std::byte{0xab};
        frame[4095] = std::byte{0xcd};
    };
    phys->defer_frame(Pfn(0x400), filler);
    phys->defer_frame(Pfn(0x401), filler);
    phys->defer_frame(Pfn(0x402), filler);
    phys->defer_frame(Pfn(0xa0), filler); // a hole: ignored
    CHECK(phys->deferred_frames() == 3);
    CHECK(phys->touched_pages() == 0);
    // A read produces the contents once.
    CHECK(phys->read_u8(PhysAddr(0x400fff)).value == 0xcd);
    CHECK(phys->read_u8(PhysAddr(0x400000)).value == 0xab);
    CHECK(fills == 1);
    CHECK(phys->touched_pages() == 1);
    // A write lands on top of the filled contents.
    CHECK(phys->write_u8(PhysAddr(0x401001), 0x11) == PhysStatus::Ok);
    CHECK(phys->read_u8(PhysAddr(0x401000)).value == 0xab);
    CHECK(phys->read_u8(PhysAddr(0x401001)).value == 0x11);
    // Zeroing cancels a pending fill.
    phys->zero_frames(Pfn(0x402), 1);
    CHECK(phys->read_u8(PhysAddr(0x402000)).value == 0);
    CHECK(fills == 2);
    CHECK(phys->deferred_frames() == 0);
}
