// AddressSpaceMmu on the other formats: i386 2-level, i386 PAE, arm64 4K/48 and 16K/47, ARM
// short descriptor. Each: a round trip, the format's faults with their status values, hits,
// and the format's hardware bookkeeping (x86 A/D set, ARM nothing stored).
#include "test_mmu_machine.h"

using namespace kmemu;
using namespace kmemu::mmu;
using namespace kmemu::mmu::test;

namespace {

constexpr auto kSup = Privilege::Supervisor;
constexpr auto kUser = Privilege::User;

u64 long_entry(LongDescriptorType type, u64 pa, unsigned shift, u8 ap, bool af, bool pxn = false,
               bool xn = false, LongAddressing a = LongAddressing::Granule4K) {
    LongDescriptor d;
    d.type = type;
    d.address = PhysAddr(pa);
    if (type != LongDescriptorType::Table) {
        d.ap = ap;
        d.af = af;
        d.pxn = pxn;
        d.xn = xn;
        d.sh = 3;
    }
    return ok(encode_long(d, a, shift));
}
u64 table64(u64 pa, unsigned shift = 12, LongAddressing a = LongAddressing::Granule4K) {
    return long_entry(LongDescriptorType::Table, pa, shift, 0, false, false, false, a);
}

} // namespace

TEST_CASE("mmu i386: 2-level tables, 4M pages, A/D and faults", "[mmu]") {
    MmuMachine m;
    constexpr auto W32 = X86EntryWidth::Bits32;
    // VA 0xc0000000: PDE 768 at 0x1000 + 768 * 4 = 0x1c00 -> PT 0x2000; PTE n at 0x2000 + 4n.
    m.put32(0x1c00, x86::_PAGE_TABLE | 0x2000);
    m.put32(0x2000, x86_entry(X86EntryShape::Page4K, W32, 0x100000, true, false)); // 0x100003
    m.put32(0x2004, x86_entry(X86EntryShape::Page4K, W32, 0x101000, false, false, true)); // RO
    // PDE 769: a 4 MiB page (PS) at PA 0x400000 for VA 0xc0400000, A and D set: 0x4000e3.
    m.put32(0x1c04, x86_entry(X86EntryShape::Large4M, W32, 0x400000, true, false, true, true));
    CHECK(m.get32(0x1c04) == 0x4000e3u);
    MmuState s;
    s.root = PhysAddr(0x1000);
    s.phys_bits = 32;
    auto mmu = m.mmu(kI386, s);

    CHECK(m.get32(0x2000) == 0x100003u);
    CHECK(value_of(mmu->load<u32>(VirtAddr(0xc0000010), kRead)) == 0);
    CHECK(m.get32(0x2000) == 0x100023u); // A
    require_ok(mmu->store<u32>(VirtAddr(0xc0000010), 0xc0ffee, kSup));
    CHECK(m.get32(0x2000) == 0x100063u); // D
    CHECK(m.get32(0x100010) == 0xc0ffeeu);
    CHECK(mmu->stats() == MmuStats{0, 2, 2, 0, 0, 0});

    // A store crossing into the RO page: P|W = 0x3 at VA 0xc0001000, nothing written.
    auto f = fault_of(mmu->store<u32>(VirtAddr(0xc0000ffe), 0xffffffffu, kSup));
    CHECK(f.reason == FaultReason::WriteToReadOnly);
    CHECK(f.va == VirtAddr(0xc0001000));
    CHECK(f.status == 0x3);
    CHECK(m.get32(0x100ffc) == 0);
    // PTE 2 empty: not present, entry 0x2008.
    auto np = fault_of(mmu->load<u8>(VirtAddr(0xc0002000), kRead));
    CHECK(np.reason == FaultReason::NotPresent);
    CHECK(np.entry_addr == PhysAddr(0x2008));
    // The 4M page: VA 0xc0512344 is PA 0x400000 + 0x112344.
    REQUIRE(m.phys->write_u32(PhysAddr(0x512344), 0x4d4d) == PhysStatus::Ok);
    CHECK(value_of(mmu->load<u32>(VirtAddr(0xc0512344), kRead)) == 0x4d4d);
    // A 32-bit machine has no VA at or above 4 GiB.
    CHECK(fault_of(mmu->load<u8>(VirtAddr(0x100000000ull), kRead)).reason ==
          FaultReason::OutsideTtbrRanges);
}

TEST_CASE("mmu i386 PAE: PDPTEs, NX, A/D in the leaf only", "[mmu]") {
    MmuMachine m;
    constexpr auto W64 = X86EntryWidth::Bits64;
    // VA 0xc0000000: PDPTE 3 at 0x1018 (P only: 0x2001), PDE 0 at 0x2000, PTE n at 0x3000 + 8n.
    m.put64(0x1018, x86::PAE_PDPTE_PRESENT | 0x2000);
    m.put64(0x2000, x86::_PAGE_TABLE | 0x3000);
    m.put64(0x3000, page_kernel(W64, NxSupport::Present) | 0x100000); // 0x8000000000100163
    m.put64(0x3008, x86_entry(X86EntryShape::Page4K, W64, 0x101000, true, true)); // 0x101007
    MmuState s;
    s.root = PhysAddr(0x1000);
    auto mmu = m.mmu(kI386Pae, s);

    require_ok(mmu->store<u64>(VirtAddr(0xc0000008), 0x0123456789abcdefull, kSup));
    CHECK(value_of(mmu->load<u64>(VirtAddr(0xc0000008), kRead)) == 0x0123456789abcdefull);
    CHECK(m.get64(0x100008) == 0x0123456789abcdefull);
    // PAGE_KERNEL is NX: instruction fetch faults with P|I/D = 0x11.
    auto nx = fault_of(mmu->load<u32>(VirtAddr(0xc0000000), kExec));
    CHECK(nx.reason == FaultReason::ExecuteNever);
    CHECK(nx.status == 0x11);
    // The user page: A on the read, D on the write; the PDPTE (no A bit) is never written.
    CHECK(value_of(mmu->load<u8>(VirtAddr(0xc0001000), kUserRead)) == 0);
    CHECK(m.get64(0x3008) == 0x101027);
    require_ok(mmu->store<u8>(VirtAddr(0xc0001000), 1, kUser));
    CHECK(m.get64(0x3008) == 0x101067);
    CHECK(m.get64(0x1018) == 0x2001);
    // User executes it (no NX): fine.
    CHECK(value_of(mmu->load<u8>(VirtAddr(0xc0001000), kUserExec)) == 1);
}

TEST_CASE("mmu arm64 4K/48: TTBR0 and TTBR1, AF, AP, XN, no descriptor stores", "[mmu]") {
    MmuMachine m;
    constexpr auto Page = LongDescriptorType::Page;
    // TTBR1 VA 0xffff800008000000: L0 256, L1 0, L2 64, L3 0 (as in bench_walk.cpp).
    m.put64(0x10000 + 256 * 8, table64(0x11000));
    m.put64(0x11000, table64(0x12000));
    m.put64(0x12000 + 64 * 8, table64(0x13000));
    // L3[0]: kernel RW data (AP 00, AF, PXN, UXN) at PA 0x200000.
    m.put64(0x13000, long_entry(Page, 0x200000, 12, 0b00, true, true, true));
    CHECK(m.get64(0x13000) == 0x0060000000200703ull);
    m.put64(0x13008, long_entry(Page, 0x201000, 12, 0b00, false)); // AF = 0
    m.put64(0x13010, long_entry(Page, 0x202000, 12, 0b10, true));  // kernel RO
    // L3[3] invalid.
    // TTBR0 VA 0x400000: L0 0, L1 0, L2 2, L3 0 -> user RW page (AP 01) at PA 0x300000.
    m.put64(0x14000, table64(0x15000));
    m.put64(0x15000, table64(0x16000));
    m.put64(0x16010, table64(0x17000));
    m.put64(0x17000, long_entry(Page, 0x300000, 12, 0b01, true, true, false));
    MmuState s;
    s.root = PhysAddr(0x14000);
    s.root_high = PhysAddr(0x10000);
    s.phys_bits = 48;
    auto mmu = m.mmu(kArm64_4K_48, s);
    const u64 stores_before = m.tables->stores();

    const VirtAddr k(0xffff800008000000ull);
    require_ok(mmu->store<u64>(k.offset(0x10), 0x1234, kSup));
    CHECK(value_of(mmu->load<u64>(k.offset(0x10), kRead)) == 0x1234);
    CHECK(m.get64(0x200010) == 0x1234);
    CHECK(mmu->stats().walks == 1); // no D bit to set: the read fill already allows writes
    require_ok(mmu->store<u32>(VirtAddr(0x400ffc), 77, kUser));
    CHECK(value_of(mmu->load<u32>(VirtAddr(0x400ffc), kUserRead)) == 77);
    CHECK(m.get32(0x300ffc) == 77);
    // Walks store nothing on arm64 (no hardware AF/DBM): every descriptor as written.
    CHECK(mmu->table_memory().stores() == 0);
    CHECK(m.tables->stores() == stores_before);
    CHECK(m.get64(0x13000) == 0x0060000000200703ull);

    // DFSC: access flag level 3 = 0x0b, permission level 3 = 0x0f, translation level 3 = 0x07.
    auto af = fault_of(mmu->load<u8>(k.offset(0x1000), kRead));
    CHECK(af.reason == FaultReason::AccessFlag);
    CHECK(af.status == 0x0b);
    auto ro = fault_of(mmu->store<u8>(k.offset(0x2000), 1, kSup));
    CHECK(ro.reason == FaultReason::WriteToReadOnly);
    CHECK(ro.status == 0x0f);
    auto tr = fault_of(mmu->load<u8>(k.offset(0x3000), kRead));
    CHECK(tr.reason == FaultReason::NotPresent);
    CHECK(tr.status == 0x07);
    CHECK(tr.entry_addr == PhysAddr(0x13018));
    // EL0 reading kernel data: permission fault; EL1 executing it: PXN.
    CHECK(fault_of(mmu->load<u8>(k, kUserRead)).reason == FaultReason::SupervisorOnly);
    CHECK(fault_of(mmu->load<u8>(k, kExec)).reason == FaultReason::ExecuteNever);
    // Neither TTBR covers a VA with bits 63..48 mixed.
    CHECK(fault_of(mmu->load<u8>(VirtAddr(0x0001000000000000ull), kRead)).reason ==
          FaultReason::OutsideTtbrRanges);
}

TEST_CASE("mmu arm64 16K/47: 16 KiB pages and crossing", "[mmu]") {
    MmuMachine m(14);
    constexpr auto g = LongAddressing::Granule16K;
    // 3 levels: L1 VA[46:36], L2 VA[35:25], L3 VA[24:14]. VA 0x400000 -> L1 0, L2 0,
    // L3 0x100 (entry 0x18000 + 0x800); VA 0x404000 -> L3 0x101.
    m.put64(0x10000, table64(0x14000, 14, g));
    m.put64(0x14000, table64(0x18000, 14, g));
    m.put64(0x18800,
            long_entry(LongDescriptorType::Page, 0x200000, 14, 0b01, true, true, false, g));
    m.put64(0x18808,
            long_entry(LongDescriptorType::Page, 0x300000, 14, 0b01, true, true, false, g));
    MmuState s;
    s.root = PhysAddr(0x10000);
    s.phys_bits = 48;
    auto mmu = m.mmu(kArm64_16K_47, s);
    // VA 0x403ffc is the last 4 bytes of the first 16K page (PA 0x203ffc).
    require_ok(mmu->store<u64>(VirtAddr(0x403ffc), 0xaabbccdd11223344ull, kUser));
    CHECK(m.get32(0x203ffc) == 0x11223344u);
    CHECK(m.get32(0x300000) == 0xaabbccddu);
    CHECK(value_of(mmu->load<u64>(VirtAddr(0x403ffc), kUserRead)) == 0xaabbccdd11223344ull);
    CHECK(mmu->stats().walks == 2);
    CHECK(mmu->valid_entries() == 2);
    // L3 0x102 is empty: the next 16K page faults.
    CHECK(fault_of(mmu->load<u8>(VirtAddr(0x408000), kRead)).entry_addr == PhysAddr(0x18810));
}

TEST_CASE("mmu ARM short descriptor: sections, small pages, domains", "[mmu]") {
    MmuMachine m;
    // L1 at 0x4000 (16 KiB). VA 0xc0000000: index 0xc00 at 0x7000, kernel RW section at PA
    // 0x100000 (AP 01, domain 0); VA 0xc0100000 (0x7004): kernel RO section (APX 1, AP 01) at
    // PA 0x200000.
    ArmSection sec;
    sec.base = PhysAddr(0x100000);
    sec.ap = 1;
    m.put32(0x7000, ok(encode_arm_section(sec)));
    sec.base = PhysAddr(0x200000);
    sec.apx = true;
    m.put32(0x7004, ok(encode_arm_section(sec)));
    // VA 0x00000000: coarse table at 0x8000, domain 1; L2[0x10] (VA 0x10000, at 0x8040) a user
    // RW small page (AP 11) at PA 0x300000; L2[0x11] empty.
    ArmCoarseTable ct;
    ct.base = PhysAddr(0x8000);
    ct.domain = 1;
    m.put32(0x4000, ok(encode_arm_coarse(ct)));
    ArmPage pg;
    pg.base = PhysAddr(0x300000);
    pg.ap = 3;
    m.put32(0x8040, ok(encode_arm_page(pg)));
    MmuState s;
    s.root = PhysAddr(0x4000);
    auto mmu = m.mmu(kArmShort, s);

    // The section fills per 4K page: VA 0xc00ff000 is PA 0x1ff000.
    require_ok(mmu->store<u32>(VirtAddr(0xc00ff000), 0x5ec7, kSup));
    CHECK(m.get32(0x1ff000) == 0x5ec7u);
    CHECK(value_of(mmu->load<u32>(VirtAddr(0xc00ff000), kRead)) == 0x5ec7u);
    require_ok(mmu->store<u16>(VirtAddr(0x10002), 0x7777, kUser));
    CHECK(value_of(mmu->load<u16>(VirtAddr(0x10002), kUserRead)) == 0x7777);
    CHECK(mmu->stats().walks == 2);
    CHECK(mmu->table_memory().stores() == 0);
    // FS: section permission 0x0d, page translation 0x07.
    auto ro = fault_of(mmu->store<u8>(VirtAddr(0xc0100000), 1, kSup));
    CHECK(ro.reason == FaultReason::WriteToReadOnly);
    CHECK(ro.status == 0x0d);
    auto tr = fault_of(mmu->load<u8>(VirtAddr(0x11000), kUserRead));
    CHECK(tr.reason == FaultReason::NotPresent);
    CHECK(tr.status == 0x07);
    CHECK(tr.entry_addr == PhysAddr(0x8044));
    // DACR domain 1 -> no access (bits 3:2 = 00): a page domain fault (0x0b). The new MMU
    // state flushes the TLB, so the cached translation does not hide it.
    s.dacr = 0x55555551u;
    REQUIRE_FALSE(mmu->set_mmu_state(s).is_error());
    auto dom = fault_of(mmu->load<u8>(VirtAddr(0x10000), kUserRead));
    CHECK(dom.reason == FaultReason::DomainFault);
    CHECK(dom.status == 0x0b);
    CHECK(mmu->load<u8>(VirtAddr(0xc0000000), kRead).ok()); // domain 0 still client
}
