// AddressSpaceMmu on x86_64 4-level tables in PhysicalMemory: round trips, page crossing, each
// fault reason, TLB hits, A/D bits, invalidation by page-table writes and by flushes, zero-page
// reads, MMIO and holes.
#include "test_mmu_machine.h"

#include <array>

using namespace kmemu;
using namespace kmemu::mmu;
using namespace kmemu::mmu::test;

namespace {

constexpr auto T = X86EntryShape::Table;
constexpr auto P4K = X86EntryShape::Page4K;
constexpr auto W64 = X86EntryWidth::Bits64;

constexpr auto kSup = Privilege::Supervisor;
constexpr auto kUser = Privilege::User;

// PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. VA 0x400000 + n * 0x1000 is PML4[0],
// PDPT[0], PD[2] (0x400000 >> 21), PT[n], so PTE n sits at 0x4000 + 8n.
struct X86_64 {
    MmuMachine m;
    MmuState state;
    std::unique_ptr<AddressSpaceMmu> mmu;

    X86_64() {
        // PML4[0] without A: the first walk sets it (0x2007 -> 0x2027).
        m.put64(0x1000, x86_entry(T, W64, 0x2000, true, true));
        m.put64(0x2000, x86::_PAGE_TABLE | 0x3000);
        m.put64(0x3010, x86::_PAGE_TABLE | 0x4000);
        // PD[3]: a 2 MiB kernel page at PA 0x600000 (VA 0x600000..0x7fffff), A and D set.
        m.put64(0x3018, x86_entry(X86EntryShape::Large2M, W64, 0x600000, true, false, true, true));
        // PTEs, raw values worked out from the bits (P 1, RW 2, US 4, A 0x20, D 0x40, NX 2^63):
        m.put64(0x4000, x86_entry(P4K, W64, 0x100000, true, true)); // 0x100007: user RW, no A/D
        m.put64(0x4008, x86_entry(P4K, W64, 0x200000, true, true, true, true)); // 0x200067
        m.put64(0x4010, x86_entry(P4K, W64, 0x102000, false, true, true));      // 0x102025: RO
        // PT[3] not present.
        m.put64(0x4020, x86_entry(P4K, W64, 0x104000, true, false, true, true));      // kernel only
        m.put64(0x4028, x86_entry(P4K, W64, 0x105000, true, true, true, true, true)); // NX
        m.put64(0x4030, x86_entry(P4K, W64, kMmioBase, true, false, true, true));     // device
        m.put64(0x4038, x86_entry(P4K, W64, 0x40000000, true, false, true, true));    // past RAM
        // PT[8]: PA bit 40 set, above MAXPHYADDR 36: a reserved-bit fault.
        m.put64(0x4040, x86_entry(P4K, W64, 0x10000108000ull, true, false, true, true));
        state.root = PhysAddr(0x1000);
        state.phys_bits = 36;
        mmu = m.mmu(kX86_64, state);
    }
};

} // namespace

TEST_CASE("mmu x86_64: loads and stores of every width, little-endian", "[mmu]") {
    X86_64 f;
    CHECK(f.m.get64(0x4000) == 0x100007); // the encoder's raw PTE as worked out above
    require_ok(f.mmu->store<u64>(VirtAddr(0x400008), 0x1122334455667788ull, kUser));
    CHECK(value_of(f.mmu->load<u8>(VirtAddr(0x400008), kUserRead)) == 0x88);
    CHECK(value_of(f.mmu->load<u16>(VirtAddr(0x40000a), kUserRead)) == 0x5566);
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x40000c), kUserRead)) == 0x11223344);
    // VA 0x400008 is PA 0x100008.
    CHECK(f.m.get64(0x100008) == 0x1122334455667788ull);
    require_ok(f.mmu->store<u16>(VirtAddr(0x400009), 0xabcd, kSup));
    CHECK(f.m.get64(0x100008) == 0x1122334455abcd88ull); // bytes 9, 10 now cd ab
    require_ok(f.mmu->store<u8>(VirtAddr(0x40000f), 0x99, kSup));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x400008), kRead)) == 0x9922334455abcd88ull);
}

TEST_CASE("mmu x86_64: accesses crossing a page go to both frames", "[mmu]") {
    X86_64 f;
    // VA 0x400ffc..0x401003: the low 4 bytes in PA 0x100ffc, the high 4 in PA 0x200000.
    require_ok(f.mmu->store<u64>(VirtAddr(0x400ffc), 0x1122334455667788ull, kSup));
    CHECK(f.m.get32(0x100ffc) == 0x55667788u);
    CHECK(f.m.get32(0x200000) == 0x11223344u);
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x400ffc), kRead)) == 0x1122334455667788ull);
    CHECK(value_of(f.mmu->load<u16>(VirtAddr(0x400fff), kRead)) == 0x4455);

    // A crossing load whose second page is not present faults at that page's first byte.
    auto r = fault_of(f.mmu->load<u32>(VirtAddr(0x402ffe), kRead));
    CHECK(r.reason == FaultReason::NotPresent);
    CHECK(r.va == VirtAddr(0x403000));
    // A crossing store into a read-only page moves no byte at all.
    auto w = fault_of(f.mmu->store<u32>(VirtAddr(0x401ffe), 0xffffffffu, kUser));
    CHECK(w.reason == FaultReason::WriteToReadOnly);
    CHECK(w.va == VirtAddr(0x402000));
    CHECK(f.m.get32(0x200ffc) == 0);
    CHECK(f.m.get32(0x102000) == 0);
}

TEST_CASE("mmu x86_64: each fault reason, with VA, entry and #PF error code", "[mmu]") {
    X86_64 f;
    // PT[3] empty: not present at the PTE (depth index 3, arch level 1); error code 0
    // (supervisor read of a not-present page).
    auto np = fault_of(f.mmu->load<u64>(VirtAddr(0x403008), kRead));
    CHECK(np.kind == MmuFaultKind::Translation);
    CHECK(np.reason == FaultReason::NotPresent);
    CHECK(np.va == VirtAddr(0x403008));
    CHECK(np.level == 3);
    CHECK(np.arch_level == 1);
    CHECK(np.entry_addr == PhysAddr(0x4018));
    CHECK(np.entry_raw == 0);
    CHECK(np.status == 0);
    CHECK(f.mmu->last_fault_walk().depth == 4);
    // User write to the RO page: P|W|U = 0x7.
    auto ro = fault_of(f.mmu->store<u32>(VirtAddr(0x402010), 1, kUser));
    CHECK(ro.reason == FaultReason::WriteToReadOnly);
    CHECK(ro.va == VirtAddr(0x402010));
    CHECK(ro.entry_addr == PhysAddr(0x4010));
    CHECK(ro.entry_raw == 0x102025);
    CHECK(ro.status == 0x7);
    // The supervisor may write it only with CR0.WP clear; Linux sets WP: also refused (P|W).
    CHECK(fault_of(f.mmu->store<u8>(VirtAddr(0x402000), 1, kSup)).status == 0x3);
    // User read of a kernel page: P|U = 0x5.
    auto so = fault_of(f.mmu->load<u8>(VirtAddr(0x404000), kUserRead));
    CHECK(so.reason == FaultReason::SupervisorOnly);
    CHECK(so.status == 0x5);
    // Instruction fetch from an NX page: P|I/D = 0x11.
    auto nx = fault_of(f.mmu->load<u32>(VirtAddr(0x405100), kExec));
    CHECK(nx.reason == FaultReason::ExecuteNever);
    CHECK(nx.va == VirtAddr(0x405100));
    CHECK(nx.status == 0x11);
    // ...but it reads fine.
    CHECK(f.mmu->load<u32>(VirtAddr(0x405100), kUserRead).ok());
    // Address bit 40 with MAXPHYADDR 36: P|RSVD = 0x9.
    auto rsv = fault_of(f.mmu->load<u8>(VirtAddr(0x408000), kRead));
    CHECK(rsv.reason == FaultReason::ReservedBit);
    CHECK(rsv.status == 0x9);
    // Bit 47 set, 63..48 clear: non-canonical, no walk (#GP, error code 0).
    auto nc = fault_of(f.mmu->load<u64>(VirtAddr(0x0000800000000000ull), kRead));
    CHECK(nc.reason == FaultReason::NonCanonical);
    CHECK(nc.level == -1);
    CHECK(nc.status == 0);
    // PD[4] points at a table past the end of RAM: the walk's load has nothing to read.
    f.m.put64(0x3020, x86::_PAGE_TABLE | 0x50000000);
    auto tnm = fault_of(f.mmu->load<u8>(VirtAddr(0x800000), kRead));
    CHECK(tnm.reason == FaultReason::TableNotInMemory);
    CHECK(tnm.entry_addr == PhysAddr(0x50000000));
    CHECK(f.mmu->stats().faults == 8);
    CHECK(nc.describe() == "read at 0x800000000000 (supervisor): non-canonical address, "
                           "status 0x0");
}

TEST_CASE("mmu x86_64: the first access walks, the next ones hit", "[mmu]") {
    X86_64 f;
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead)) == 0);
    CHECK(f.mmu->stats() == MmuStats{0, 1, 1, 0, 0, 0});
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401ff8), kRead)) == 0);
    // The PTE already had D set, so the read fill allows writes: no second walk.
    require_ok(f.mmu->store<u32>(VirtAddr(0x401010), 5, kSup));
    require_ok(f.mmu->store<u32>(VirtAddr(0x401014), 6, kUser));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401010), kUserRead)) == 0x0000000600000005ull);
    CHECK(f.mmu->stats() == MmuStats{4, 1, 1, 0, 0, 0});
    CHECK(f.mmu->valid_entries() == 1);
}

TEST_CASE("mmu x86_64: A is set by the first walk, D by the first write walk", "[mmu]") {
    X86_64 f;
    CHECK(f.m.get64(0x1000) == 0x2007);
    CHECK(f.m.get64(0x4000) == 0x100007);
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x400000), kUserRead)) == 0);
    // A (0x20) in the PML4E and the PTE; the PDPTE and PDE already had it; D untouched.
    CHECK(f.m.get64(0x1000) == 0x2027);
    CHECK(f.m.get64(0x2000) == 0x3067);
    CHECK(f.m.get64(0x3010) == 0x4067);
    CHECK(f.m.get64(0x4000) == 0x100027);
    CHECK(f.mmu->stats().walks == 1);
    // The read fill cached no write permission (D was clear): the store walks and sets D.
    require_ok(f.mmu->store<u32>(VirtAddr(0x400004), 0xfeed, kUser));
    CHECK(f.mmu->stats().walks == 2);
    CHECK(f.m.get64(0x4000) == 0x100067);
    CHECK(f.m.get64(0x1000) == 0x2027); // D is set in the leaf only
    require_ok(f.mmu->store<u32>(VirtAddr(0x400008), 0xbeef, kUser));
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x400004), kRead)) == 0xfeed);
    CHECK(f.mmu->stats().walks == 2);
    // The walk's own A/D stores into the watched table frames invalidated nothing.
    CHECK(f.mmu->stats().invalidations == 0);
    // A faulting walk sets nothing: PT[2] (RO) stays 0x102025 after a refused write.
    CHECK_FALSE(f.mmu->store<u8>(VirtAddr(0x402000), 1, kUser).ok());
    CHECK(f.m.get64(0x4010) == 0x102025);
}

TEST_CASE("mmu x86_64: clearing a PTE makes the next access fault without a flush", "[mmu]") {
    X86_64 f;
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 42, kSup));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead)) == 42);
    f.m.put64(0x4008, 0); // pte_clear through the descriptor door
    auto r = fault_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead));
    CHECK(r.reason == FaultReason::NotPresent);
    CHECK(r.entry_addr == PhysAddr(0x4008));
    CHECK(f.mmu->stats().flushes == 0);
    CHECK(f.mmu->stats().invalidations == 1);
    // A write into a watched frame no cached walk read (0x9000) drops nothing; a write into
    // the PT frame drops every slot whose walk read that frame (the observer names a frame,
    // not an entry), here the one for VA 0x400000.
    CHECK(f.mmu->load<u8>(VirtAddr(0x400000), kRead).ok());
    f.m.put64(0x9000, 0);
    CHECK(f.mmu->valid_entries() == 1);
    f.m.put64(0x4ff8, 0);
    CHECK(f.mmu->valid_entries() == 0);
    CHECK(f.mmu->stats().invalidations == 2);
    // Clearing an upper level (the PDE) drops everything below it too.
    f.m.put64(0x4008, x86_entry(P4K, W64, 0x200000, true, true, true, true));
    CHECK(f.mmu->load<u64>(VirtAddr(0x401000), kRead).ok());
    CHECK(f.mmu->load<u64>(VirtAddr(0x402000), kRead).ok());
    f.m.put64(0x3010, 0);
    CHECK(fault_of(f.mmu->load<u8>(VirtAddr(0x402000), kRead)).entry_addr == PhysAddr(0x3010));
    CHECK(fault_of(f.mmu->load<u8>(VirtAddr(0x401000), kRead)).reason == FaultReason::NotPresent);
}

TEST_CASE("mmu x86_64: RW to RO makes the next write fault", "[mmu]") {
    X86_64 f;
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 7, kUser));
    // mprotect(PROT_READ): RW cleared, A and D kept (0x200065).
    f.m.put64(0x4008, x86_entry(P4K, W64, 0x200000, false, true, true, true));
    CHECK(f.m.get64(0x4008) == 0x200065);
    CHECK(fault_of(f.mmu->store<u64>(VirtAddr(0x401000), 8, kUser)).reason ==
          FaultReason::WriteToReadOnly);
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kUserRead)) == 7);
}

TEST_CASE("mmu x86_64: flush_tlb_page after a remap in an unwatched table", "[mmu]") {
    X86_64 f;
    // With the PT frame not watched the TLB behaves as hardware: stale until invlpg.
    f.m.phys->unwatch_frame(Pfn(0x4));
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 0xaaaa, kSup));
    REQUIRE(f.m.phys->write_u64(PhysAddr(0x300000), 0xbbbb) == PhysStatus::Ok);
    REQUIRE_FALSE(f.m.tables
                      ->store_descriptor(PhysAddr(0x4008), DescriptorWidth::Bytes8,
                                         x86_entry(P4K, W64, 0x300000, true, true, true, true))
                      .is_error());
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead)) == 0xaaaa);
    f.mmu->flush_tlb_page(VirtAddr(0x401abc));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead)) == 0xbbbb);
    CHECK(f.mmu->stats().flushes == 1);
    CHECK(f.mmu->stats().walks == 2);
    // flush_tlb_range drops the pages it covers, and only those.
    CHECK(f.mmu->load<u8>(VirtAddr(0x400000), kRead).ok());
    CHECK(f.mmu->load<u8>(VirtAddr(0x402000), kRead).ok());
    CHECK(f.mmu->valid_entries() == 3);
    f.mmu->flush_tlb_range(VirtAddr(0x400fff), VirtAddr(0x401001)); // pages 0x400000, 0x401000
    CHECK(f.mmu->valid_entries() == 1);
    f.mmu->flush_tlb_mm();
    CHECK(f.mmu->valid_entries() == 0);
}

TEST_CASE("mmu x86_64: a never-written frame reads as zeros until another path writes it",
          "[mmu]") {
    X86_64 f;
    const u64 touched = f.m.phys->touched_pages(); // the four table frames
    CHECK(touched == 4);
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x400010), kRead)) == 0);
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x400018), kRead)) == 0);
    CHECK(f.m.phys->touched_pages() == touched); // reading cost no frame
    // PA 0x100010 written through PhysicalMemory (as /dev/mem would).
    REQUIRE(f.m.phys->write_u64(PhysAddr(0x100010), 0x0102030405060708ull) == PhysStatus::Ok);
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x400010), kRead)) == 0x0102030405060708ull);
    CHECK(value_of(f.mmu->load<u8>(VirtAddr(0x400017), kRead)) == 0x01);
    CHECK(f.mmu->stats().walks == 1);
    // A write through the MMU to another never-written frame: VA 0x600000 (2 MiB page, D set).
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x600000), kRead)) == 0);
    require_ok(f.mmu->store<u64>(VirtAddr(0x600000), 9, kSup));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x600000), kRead)) == 9);
    CHECK(f.m.get64(0x600000) == 9);
}

TEST_CASE("mmu x86_64: MMIO reaches the device with the access width", "[mmu]") {
    X86_64 f;
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x406010), kRead)) == 0xdead0010u);
    require_ok(f.mmu->store<u16>(VirtAddr(0x406020), 0xbeef, kSup));
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x406008), kRead)) == 0xdead0008ull);
    std::array<std::byte, 16> buf{};
    CHECK(f.mmu->read(VirtAddr(0x406000), buf, kRead).ok());
    CHECK(f.m.device_log == std::vector<DeviceAccess>{{false, 0x10, 4, 0},
                                                      {true, 0x20, 2, 0xbeef},
                                                      {false, 0x08, 8, 0},
                                                      {false, 0x00, 8, 0},
                                                      {false, 0x08, 8, 0}});
    // Translations of the device page are cached; the accesses still all reach the device.
    CHECK(f.mmu->stats().walks == 1);
    CHECK(f.m.phys->touched_pages() == 4);
}

TEST_CASE("mmu x86_64: a leaf past the end of RAM is a bus error, not a host access", "[mmu]") {
    X86_64 f;
    auto r = fault_of(f.mmu->load<u32>(VirtAddr(0x407000), kRead));
    CHECK(r.kind == MmuFaultKind::BusError);
    CHECK(r.va == VirtAddr(0x407000));
    CHECK(r.pa == PhysAddr(0x40000000));
    auto w = fault_of(f.mmu->store<u8>(VirtAddr(0x407abc), 1, kSup));
    CHECK(w.kind == MmuFaultKind::BusError);
    CHECK(w.pa == PhysAddr(0x40000abc));
    CHECK(w.describe() == "write at 0x407abc (supervisor): bus error: nothing at physical "
                          "0x40000abc");
    // A bulk read from the device page into the hole stops after the device's 8 bytes.
    std::array<std::byte, 16> buf{};
    auto b = f.mmu->read(VirtAddr(0x406ff8), buf, kRead);
    CHECK(b.bytes_done == 8);
    REQUIRE(b.fault);
    CHECK(b.fault->kind == MmuFaultKind::BusError);
    CHECK(b.fault->va == VirtAddr(0x407000));
}

TEST_CASE("mmu x86_64: bulk write, fill and read across pages, with partial progress", "[mmu]") {
    X86_64 f;
    std::vector<std::byte> data(0x3000);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::byte>(i * 7);
    // 0x400800..0x403800: 0x800 bytes to PA 0x100800, 0x1000 to PA 0x200000, then the RO page.
    auto w = f.mmu->write(VirtAddr(0x400800), data, kUser);
    CHECK(w.bytes_done == 0x1800);
    REQUIRE(w.fault);
    CHECK(w.fault->reason == FaultReason::WriteToReadOnly);
    CHECK(w.fault->va == VirtAddr(0x402000));
    CHECK(f.m.phys->read_u8(PhysAddr(0x100801)).value == 7);
    CHECK(f.m.phys->read_u8(PhysAddr(0x200001)).value == static_cast<u8>(0x801 * 7));
    std::vector<std::byte> back(0x1800);
    CHECK(f.mmu->read(VirtAddr(0x400800), back, kUserRead).bytes_done == 0x1800);
    CHECK(std::equal(back.begin(), back.end(), data.begin()));

    CHECK(f.mmu->fill(VirtAddr(0x400ff0), 0x5a, 0x20, kSup).ok());
    CHECK(f.m.phys->read_u8(PhysAddr(0x100fff)).value == 0x5a);
    CHECK(f.m.phys->read_u8(PhysAddr(0x20000f)).value == 0x5a);
    CHECK(f.m.phys->read_u8(PhysAddr(0x200010)).value == static_cast<u8>(0x810 * 7));
    // A fill of the device page goes through PhysicalMemory in 8-byte bus accesses.
    f.m.device_log.clear();
    CHECK(f.mmu->fill(VirtAddr(0x406000), 0xff, 16, kSup).ok());
    CHECK(f.m.device_log ==
          std::vector<DeviceAccess>{{true, 0, 8, ~u64{0}}, {true, 8, 8, ~u64{0}}});
}

TEST_CASE("mmu x86_64: a 2 MiB page fills per base page and flushes whole", "[mmu]") {
    X86_64 f;
    REQUIRE(f.m.phys->write_u32(PhysAddr(0x601234), 0xcafe) == PhysStatus::Ok);
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x601234), kRead)) == 0xcafe);
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x7ff000), kRead)) == 0);
    CHECK(f.mmu->stats().walks == 2);
    CHECK(f.mmu->valid_entries() == 2);
    // User access to the kernel large page faults at the PDE (arch level 2).
    auto u = fault_of(f.mmu->load<u8>(VirtAddr(0x700000), kUserRead));
    CHECK(u.reason == FaultReason::SupervisorOnly);
    CHECK(u.arch_level == 2);
    // invlpg anywhere in the large page drops the slots of all its base pages.
    f.mmu->flush_tlb_page(VirtAddr(0x700000));
    CHECK(f.mmu->valid_entries() == 0);
    CHECK(value_of(f.mmu->load<u32>(VirtAddr(0x601234), kRead)) == 0xcafe);
    f.mmu->flush_tlb_range(VirtAddr(0x7ff000), VirtAddr(0x800000));
    CHECK(f.mmu->valid_entries() == 0);
}

TEST_CASE("mmu x86_64: several address spaces see page-table writes and flush_tlb_all", "[mmu]") {
    X86_64 f;
    // A second mm whose PML4 (0x5000) shares the PDPT: as processes share kernel tables.
    f.m.put64(0x5000, x86::_PAGE_TABLE | 0x2000);
    MmuState s2 = f.state;
    s2.root = PhysAddr(0x5000);
    auto mm2 = f.m.mmu(kX86_64, s2);
    CHECK(f.m.registry->address_spaces().size() == 2);
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 11, kSup));
    CHECK(value_of(mm2->load<u64>(VirtAddr(0x401000), kRead)) == 11);
    f.m.put64(0x4008, 0);
    CHECK(fault_of(f.mmu->load<u8>(VirtAddr(0x401000), kRead)).reason == FaultReason::NotPresent);
    CHECK(fault_of(mm2->load<u8>(VirtAddr(0x401000), kRead)).reason == FaultReason::NotPresent);
    CHECK(mm2->stats().invalidations == 1);

    CHECK(f.mmu->load<u8>(VirtAddr(0x400000), kRead).ok());
    CHECK(mm2->load<u8>(VirtAddr(0x402000), kRead).ok());
    f.m.registry->flush_tlb_kernel_range(VirtAddr(0x402000), VirtAddr(0x403000));
    CHECK(f.mmu->valid_entries() == 1);
    CHECK(mm2->valid_entries() == 0);
    f.m.registry->flush_tlb_all();
    CHECK(f.mmu->valid_entries() == 0);
    CHECK(mm2->stats().flushes == 2);
    mm2.reset();
    CHECK(f.m.registry->address_spaces().size() == 1);
}

TEST_CASE("mmu x86_64: a frame that becomes a page table loses cached write access", "[mmu]") {
    X86_64 f;
    // VA 0x401000 maps PA 0x200000 writable; the TLB caches a host pointer for writes.
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 0, kSup));
    // The frame becomes a page table (watch_frame happens inside put64): its entry 0 maps PA
    // 0x300000. It is linked into a second mm (PML4 0x5000 -> PDPT 0x6000 -> PD 0x7000 ->
    // PT 0x200000, so VA 0 uses it), whose table writes do not touch the first mm's slots.
    f.m.put64(0x200000, x86_entry(P4K, W64, 0x300000, true, false, true, true));
    f.m.put64(0x5000, x86::_PAGE_TABLE | 0x6000);
    f.m.put64(0x6000, x86::_PAGE_TABLE | 0x7000);
    f.m.put64(0x7000, x86::_PAGE_TABLE | 0x200000);
    MmuState s2 = f.state;
    s2.root = PhysAddr(0x5000);
    auto mm2 = f.m.mmu(kX86_64, s2);
    CHECK(mm2->load<u8>(VirtAddr(0), kRead).ok());
    CHECK(f.mmu->stats().invalidations == 0); // the first mm's slot survived, write bit gone
    // The kernel clears the PTE through its alias (VA 0x401000, as set_pte through the direct
    // map): the store must reach PhysicalMemory and drop the other mm's translation.
    require_ok(f.mmu->store<u64>(VirtAddr(0x401000), 0, kSup));
    CHECK(f.mmu->stats().walks == 1);
    CHECK(mm2->stats().invalidations == 1);
    CHECK(fault_of(mm2->load<u8>(VirtAddr(0), kRead)).reason == FaultReason::NotPresent);
    // Reads of the table through the alias still hit and see the current entry.
    CHECK(value_of(f.mmu->load<u64>(VirtAddr(0x401000), kRead)) == 0);
}

TEST_CASE("mmu: bad setups are errors", "[mmu]") {
    MmuMachine m;
    MmuState s;
    s.phys_bits = 60; // above x86's 52
    auto r = AddressSpaceMmu::create(*m.registry, kX86_64, s);
    REQUIRE(r.is_error());
    // arm64 16K tables on a 4K machine.
    MmuState a;
    a.phys_bits = 40;
    auto g = AddressSpaceMmu::create(*m.registry, kArm64_16K_47, a);
    REQUIRE(g.is_error());
    CHECK(g.error().message().find("16384") != std::string::npos);
}
