// A small machine for the MMU tests: 16 MiB of RAM (with the legacy 0xa0000-0xfffff hole), one
// MMIO page at 0xfee00000 whose device records every access, a registry and helpers that place
// descriptors through PhysTableMemory and watch the frames that hold them.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "mm/mmu/address_space_mmu.h"
#include "mm/paging/phys_table_memory.h"
#include "mm/paging/x86_entry.h"

namespace kmemu::mmu::test {

using namespace kmemu::paging;

inline constexpr Access kRead{AccessType::Read, Privilege::Supervisor};
inline constexpr Access kExec{AccessType::Execute, Privilege::Supervisor};
inline constexpr Access kUserRead{AccessType::Read, Privilege::User};
inline constexpr Access kUserExec{AccessType::Execute, Privilege::User};
inline constexpr u64 kMmioBase = 0xfee00000;

template <typename T>
T ok(ErrorOr<T> r) {
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}

struct DeviceAccess {
    bool write = false;
    u64 offset = 0;
    unsigned width = 0;
    u64 value = 0;
    bool operator==(const DeviceAccess&) const = default;
};

struct MmuMachine {
    std::vector<DeviceAccess> device_log;
    std::unique_ptr<PhysicalMemory> phys;
    std::unique_ptr<PhysTableMemory> tables;
    std::unique_ptr<MmuRegistry> registry;

    explicit MmuMachine(unsigned page_shift = 12, u64 ram_end = 16 * MiB) {
        RamMap map;
        map.ranges = {{PhysAddr(0), PhysAddr(0xa0000), RamType::Usable, {}},
                      {PhysAddr(0x100000), PhysAddr(ram_end), RamType::Usable, {}}};
        MmioRegion dev;
        dev.name = "test-device";
        dev.start = PhysAddr(kMmioBase);
        dev.size = 0x1000;
        // Reads return 0xdead0000 | offset, so a test can tell which offset was read.
        dev.read = [this](u64 offset, unsigned width) {
            device_log.push_back({false, offset, width, 0});
            return u64{0xdead0000} | offset;
        };
        dev.write = [this](u64 offset, unsigned width, u64 value) {
            device_log.push_back({true, offset, width, value});
        };
        std::vector<MmioRegion> mmio{dev};
        phys = ok(PhysicalMemory::create(map, mmio, page_shift));
        tables = std::make_unique<PhysTableMemory>(*phys);
        registry = std::make_unique<MmuRegistry>(*phys);
    }

    // A descriptor stored the way the kernel's set_pte would land in memory, in a frame the
    // TLB watches.
    void put64(u64 pa, u64 value) {
        phys->watch_frame(Pfn(pa >> phys->page_shift()));
        REQUIRE_FALSE(
            tables->store_descriptor(PhysAddr(pa), DescriptorWidth::Bytes8, value).is_error());
    }
    void put32(u64 pa, u64 value) {
        phys->watch_frame(Pfn(pa >> phys->page_shift()));
        REQUIRE_FALSE(
            tables->store_descriptor(PhysAddr(pa), DescriptorWidth::Bytes4, value).is_error());
    }
    [[nodiscard]] u64 get64(u64 pa) const { return phys->read_u64(PhysAddr(pa)).value; }
    [[nodiscard]] u32 get32(u64 pa) const { return phys->read_u32(PhysAddr(pa)).value; }

    std::unique_ptr<AddressSpaceMmu> mmu(const PagingFormat& fmt, const MmuState& state) {
        return ok(AddressSpaceMmu::create(*registry, fmt, state));
    }
};

// x86 entries through the encoder.
inline u64 x86_entry(X86EntryShape shape, X86EntryWidth width, u64 pa, bool rw, bool user,
                     bool accessed = false, bool dirty = false, bool nx = false) {
    X86Entry e;
    e.present = true;
    e.rw = rw;
    e.user = user;
    e.accessed = accessed;
    e.dirty = dirty;
    e.nx = nx;
    e.addr = PhysAddr(pa);
    return ok(encode_x86(e, shape, width));
}

template <typename T>
T value_of(const MmuResult<T>& r) {
    if (!r.ok())
        FAIL("unexpected fault: " << r.fault().describe());
    return r.value();
}
inline void require_ok(const MmuResult<void>& r) {
    if (!r.ok())
        FAIL("unexpected fault: " << r.fault().describe());
}
template <typename T>
MmuFault fault_of(const MmuResult<T>& r) {
    REQUIRE_FALSE(r.ok());
    return r.fault();
}

} // namespace kmemu::mmu::test
