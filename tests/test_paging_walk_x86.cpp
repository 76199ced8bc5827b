// The walker on x86 tables built by hand with the encoders: i386 2-level (4K, 4M, PSE-36), PAE
// (4K, 2M, PDPTE rules), x86_64 4- and 5-level (4K, 2M, 1G), every x86 fault reason, and the
// accessed/dirty bits an architectural walk sets.
#include <catch2/catch.hpp>

#include "mm/paging/walk.h"

using namespace kmemu;
using namespace kmemu::paging;

namespace {

constexpr Access kRead{AccessType::Read, Privilege::Supervisor};
constexpr Access kWrite{AccessType::Write, Privilege::Supervisor};
constexpr Access kExec{AccessType::Execute, Privilege::Supervisor};
constexpr Access kUserRead{AccessType::Read, Privilege::User};
constexpr Access kUserWrite{AccessType::Write, Privilege::User};

SparseTableMemory ram() {
    return SparseTableMemory({{0, 1 * GiB}});
}

u64 enc(X86Entry e, X86EntryShape shape, X86EntryWidth w = X86EntryWidth::Bits64) {
    auto r = encode_x86(e, shape, w);
    REQUIRE_FALSE(r.is_error());
    return r.value();
}
X86Entry table_to(u64 pa, bool user = false) {
    X86Entry e;
    e.present = e.rw = e.accessed = e.dirty = true; // _KERNPG_TABLE (+US: _PAGE_TABLE)
    e.user = user;
    e.addr = PhysAddr(pa);
    return e;
}
X86Entry kernel_page(u64 pa, bool nx = true) {
    X86Entry e; // PAGE_KERNEL: P|RW|A|D|G|NX
    e.present = e.rw = e.accessed = e.dirty = e.global = true;
    e.nx = nx;
    e.addr = PhysAddr(pa);
    return e;
}

WalkRecord run(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu, u64 va, Access a,
               WalkMode mode = WalkMode::Inspection) {
    auto r = walk(fmt, mem, mmu, VirtAddr(va), a, mode);
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}

// x86_64 4-level tables for VA 0xffff888000001000 (PAGE_OFFSET + 4 KiB):
//   PML4 index = bits 47:39 = 0x888000001000 >> 39 = 0x111 = 273 (B.5: 0xffff888000000000 is
//   index 273); PDPT, PD index 0; PT index 1.
// CR3 = 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000; the page is PA 0x12345000.
void build_x86_64(SparseTableMemory& m) {
    m.put64(PhysAddr(0x1000 + 273 * 8), enc(table_to(0x2000), X86EntryShape::Table));
    m.put64(PhysAddr(0x2000), enc(table_to(0x3000), X86EntryShape::Table));
    m.put64(PhysAddr(0x3000), enc(table_to(0x4000), X86EntryShape::Table));
    m.put64(PhysAddr(0x4008), enc(kernel_page(0x12345000), X86EntryShape::Page4K));
}

} // namespace

TEST_CASE("x86_64 4-level walk of a 4K kernel page", "[paging][walk][x86_64]") {
    auto m = ram();
    build_x86_64(m);
    CHECK(m.get64(PhysAddr(0x1888)) == 0x2063);                // _KERNPG_TABLE | 0x2000
    CHECK(m.get64(PhysAddr(0x4008)) == 0x8000000012345163ull); // PAGE_KERNEL | PA
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000001abcull, kRead);
    REQUIRE(r.ok());
    REQUIRE(r.depth == 4);
    CHECK(r.levels[0].index == 273);
    CHECK(r.levels[0].entry_addr == PhysAddr(0x1888));
    CHECK(r.levels[0].table == PhysAddr(0x1000));
    CHECK(r.levels[1].table == PhysAddr(0x2000));
    CHECK(r.levels[3].index == 1);
    CHECK(r.levels[3].entry_addr == PhysAddr(0x4008));
    CHECK(r.levels[3].raw == 0x8000000012345163ull);
    const Translation& t = r.translation();
    CHECK(t.pa == PhysAddr(0x12345abc));
    CHECK(t.page_size == 4096);
    CHECK(t.global);
    CHECK(t.permissions == Permissions{true, true, false, false, false, false});
    // The decoded view of the leaf is the PTE the encoder was given.
    CHECK(std::get<X86Entry>(decode_entry(kX86_64, r.levels[3])) == kernel_page(0x12345000));
}

TEST_CASE("x86_64 large pages: 2 MiB PDE and 1 GiB PDPTE", "[paging][walk][x86_64]") {
    auto m = ram();
    build_x86_64(m);
    // PD[1] = 2 MiB page at PA 0x200000: VA 0xffff888000200000 (PMD index 1).
    m.put64(PhysAddr(0x3008), enc(kernel_page(0x200000), X86EntryShape::Large2M));
    // PDPT[1] = 1 GiB page at PA 0x40000000: VA 0xffff888040000000 (PUD index 1).
    m.put64(PhysAddr(0x2008), enc(kernel_page(0x40000000), X86EntryShape::Large1G));
    CHECK(m.get64(PhysAddr(0x2008)) == 0x80000000400001e3ull); // PS (0x80) in the PDPTE
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    const WalkRecord r2 = run(kX86_64, m, mmu, 0xffff888000205678ull, kWrite);
    REQUIRE(r2.ok());
    CHECK(r2.depth == 3);
    CHECK(r2.translation().pa == PhysAddr(0x205678));
    CHECK(r2.translation().page_size == 2 * MiB);
    const WalkRecord r1 = run(kX86_64, m, mmu, 0xffff888040123456ull, kRead);
    REQUIRE(r1.ok());
    CHECK(r1.depth == 2);
    CHECK(r1.translation().pa == PhysAddr(0x40123456));
    CHECK(r1.translation().page_size == 1 * GiB);
    // Bits 29:13 of a 1 GiB entry are reserved: bit 13 set -> reserved-bit fault, RSVD|P.
    m.put64(PhysAddr(0x2008), m.get64(PhysAddr(0x2008)) | (1u << 13));
    const WalkRecord bad = run(kX86_64, m, mmu, 0xffff888040123456ull, kRead);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.fault().reason == FaultReason::ReservedBit);
    CHECK(bad.fault().level == 1);
    CHECK(bad.fault().arch_level == 3);
    CHECK(x86_page_fault_error_code(kX86_64, bad.fault(), kRead, mmu) == 0x9);
}

TEST_CASE("x86_64 faults and their #PF error codes", "[paging][walk][x86_64]") {
    auto m = ram();
    build_x86_64(m);
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);

    SECTION("non-canonical: bit 47 set, bits 63:48 clear") {
        const WalkRecord r = run(kX86_64, m, mmu, 0x0000800000000000ull, kRead);
        CHECK(r.fault().reason == FaultReason::NonCanonical);
        CHECK(r.depth == 0);
        CHECK(x86_page_fault_error_code(kX86_64, r.fault(), kRead, mmu) == 0); // #GP
    }
    SECTION("not present at the PTE: user write -> error code W|U = 6") {
        const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000002000ull, kUserWrite);
        CHECK(r.fault().reason == FaultReason::NotPresent);
        CHECK(r.fault().level == 3);
        CHECK(r.fault().arch_level == 1);
        CHECK(x86_page_fault_error_code(kX86_64, r.fault(), kUserWrite, mmu) == 0x6);
    }
    SECTION("user read of a kernel page -> P|U = 5") {
        const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000001000ull, kUserRead);
        CHECK(r.fault().reason == FaultReason::SupervisorOnly);
        CHECK(x86_page_fault_error_code(kX86_64, r.fault(), kUserRead, mmu) == 0x5);
    }
    SECTION("execute of an NX page -> P|I/D = 0x11") {
        const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000001000ull, kExec);
        CHECK(r.fault().reason == FaultReason::ExecuteNever);
        CHECK(x86_page_fault_error_code(kX86_64, r.fault(), kExec, mmu) == 0x11);
    }
    SECTION("NX in an upper level forbids execution of everything below") {
        m.put64(PhysAddr(0x4008), enc(kernel_page(0x12345000, false), X86EntryShape::Page4K));
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kExec).ok());
        X86Entry pud = table_to(0x3000);
        pud.nx = true;
        m.put64(PhysAddr(0x2000), enc(pud, X86EntryShape::Table));
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kExec).fault().reason ==
              FaultReason::ExecuteNever);
    }
    SECTION("supervisor write to a read-only page faults with CR0.WP, not without") {
        X86Entry ro = kernel_page(0x12345000);
        ro.rw = false;
        m.put64(PhysAddr(0x4008), enc(ro, X86EntryShape::Page4K));
        const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000001000ull, kWrite);
        CHECK(r.fault().reason == FaultReason::WriteToReadOnly);
        CHECK(x86_page_fault_error_code(kX86_64, r.fault(), kWrite, mmu) == 0x3);
        mmu.cr0_wp = false;
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kWrite).ok());
        // A user write to it still faults: WP only concerns supervisor writes.
    }
    SECTION("RW cleared in an upper level makes the page read-only") {
        X86Entry pmd = table_to(0x4000);
        pmd.rw = false;
        m.put64(PhysAddr(0x3000), enc(pmd, X86EntryShape::Table));
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kWrite).fault().reason ==
              FaultReason::WriteToReadOnly);
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kRead).ok());
    }
    SECTION("address bits at or above MAXPHYADDR are reserved") {
        // phys_bits 36: a PTE for PA 2^36 sets bit 36, reserved.
        m.put64(PhysAddr(0x4008), enc(kernel_page(0x1000000000ull), X86EntryShape::Page4K));
        mmu.phys_bits = 36;
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kRead).fault().reason ==
              FaultReason::ReservedBit);
        mmu.phys_bits = 46;
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kRead).translation().pa ==
              PhysAddr(0x1000000000ull));
    }
    SECTION("NX without EFER.NXE is a reserved bit") {
        mmu.efer_nxe = false;
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kRead).fault().reason ==
              FaultReason::ReservedBit);
    }
    SECTION("PS set in a PML4E is reserved") {
        m.put64(PhysAddr(0x1888), 0x2063 | 0x80);
        CHECK(run(kX86_64, m, mmu, 0xffff888000001000ull, kRead).fault().reason ==
              FaultReason::ReservedBit);
    }
    SECTION("a table in a hole is a walk fault at the level whose load failed") {
        m.put64(PhysAddr(0x1888), enc(table_to(0x80000000), X86EntryShape::Table)); // 2 GiB
        const WalkRecord r = run(kX86_64, m, mmu, 0xffff888000001000ull, kRead);
        CHECK(r.fault().reason == FaultReason::TableNotInMemory);
        CHECK(r.fault().level == 1);
        CHECK(r.levels[1].entry_addr == PhysAddr(0x80000000));
    }
    SECTION("bad MMU state is an error, not a fault") {
        mmu.phys_bits = 60;
        auto r = walk(kX86_64, m, mmu, VirtAddr(0), kRead, WalkMode::Inspection);
        REQUIRE(r.is_error());
        CHECK(r.error().message().find("phys_bits 60") != std::string::npos);
    }
}

TEST_CASE("x86 architectural walks set A on every level and D on the leaf; inspection walks "
          "change nothing",
          "[paging][walk][x86_64]") {
    auto m = ram();
    // Tables and page with P|RW only (0x3): no A, no D anywhere.
    X86Entry bare;
    bare.present = bare.rw = true;
    auto at = [&](u64 pa) {
        X86Entry e = bare;
        e.addr = PhysAddr(pa);
        return e;
    };
    m.put64(PhysAddr(0x1888), enc(at(0x2000), X86EntryShape::Table));
    m.put64(PhysAddr(0x2000), enc(at(0x3000), X86EntryShape::Table));
    m.put64(PhysAddr(0x3000), enc(at(0x4000), X86EntryShape::Table));
    m.put64(PhysAddr(0x4008), enc(at(0x12345000), X86EntryShape::Page4K));
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    const u64 before = m.content_hash();
    const u64 stores_before = m.stores();

    const WalkRecord insp = run(kX86_64, m, mmu, 0xffff888000001000ull, kWrite);
    REQUIRE(insp.ok());
    CHECK(m.content_hash() == before);
    CHECK(m.stores() == stores_before);
    CHECK(insp.levels[3].raw_after == insp.levels[3].raw);

    // A read: A (0x20) on all four levels, no D.
    const WalkRecord rd =
        run(kX86_64, m, mmu, 0xffff888000001000ull, kRead, WalkMode::Architectural);
    REQUIRE(rd.ok());
    CHECK(m.get64(PhysAddr(0x1888)) == 0x2023);
    CHECK(m.get64(PhysAddr(0x2000)) == 0x3023);
    CHECK(m.get64(PhysAddr(0x3000)) == 0x4023);
    CHECK(m.get64(PhysAddr(0x4008)) == 0x12345023);
    CHECK(rd.levels[3].raw == 0x12345003);
    CHECK(rd.levels[3].raw_after == 0x12345023);
    // A write: D (0x40) on the leaf only; the tables keep their D clear.
    REQUIRE(run(kX86_64, m, mmu, 0xffff888000001000ull, kWrite, WalkMode::Architectural).ok());
    CHECK(m.get64(PhysAddr(0x4008)) == 0x12345063);
    CHECK(m.get64(PhysAddr(0x3000)) == 0x4023);
    // A faulting architectural walk stores nothing.
    const u64 stores = m.stores();
    CHECK_FALSE(
        run(kX86_64, m, mmu, 0xffff888000001000ull, kUserRead, WalkMode::Architectural).ok());
    CHECK(m.stores() == stores);
}

TEST_CASE("x86_64 5-level walk and its canonical rule", "[paging][walk][x86_64]") {
    // VA 0xff11000000001000 (the LA57 direct map): PML5 index = bits 56:48 = 0xff11 & 0x1ff =
    // 0x111 = 273; P4D, PUD, PMD index 0; PTE index 1.
    auto m = ram();
    m.put64(PhysAddr(0x1000 + 273 * 8), enc(table_to(0x5000), X86EntryShape::Table));
    m.put64(PhysAddr(0x5000), enc(table_to(0x2000), X86EntryShape::Table));
    m.put64(PhysAddr(0x2000), enc(table_to(0x3000), X86EntryShape::Table));
    m.put64(PhysAddr(0x3000), enc(table_to(0x4000), X86EntryShape::Table));
    m.put64(PhysAddr(0x4008), enc(kernel_page(0x777000), X86EntryShape::Page4K));
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    const WalkRecord r = run(kX86_64La57, m, mmu, 0xff11000000001234ull, kRead);
    REQUIRE(r.ok());
    CHECK(r.depth == 5);
    CHECK(r.levels[0].index == 273);
    CHECK(r.translation().pa == PhysAddr(0x777234));
    // 0x0000800000000000 is canonical with 57 bits (bits 63:56 = bit 56 = 0) but not with 48.
    CHECK(run(kX86_64La57, m, mmu, 0x0000800000000000ull, kRead).fault().reason ==
          FaultReason::NotPresent);
    CHECK(run(kX86_64, m, mmu, 0x0000800000000000ull, kRead).fault().reason ==
          FaultReason::NonCanonical);
    CHECK(run(kX86_64La57, m, mmu, 0x0100000000000000ull, kRead).fault().reason ==
          FaultReason::NonCanonical);
}

TEST_CASE("i386 2-level walk: 4K, 4M and PSE-36", "[paging][walk][i386]") {
    auto m = ram();
    const auto w32 = X86EntryWidth::Bits32;
    // VA 0xc0101000: PDE index = 0xc0101000 >> 22 = 0x300 = 768 (PAGE_OFFSET >> PGDIR_SHIFT,
    // A.2), PTE index = (va >> 12) & 0x3ff = 0x101 = 257.
    m.put32(PhysAddr(0x1000 + 768 * 4),
            static_cast<u32>(enc(table_to(0x2000), X86EntryShape::Table, w32)));
    X86Entry k = kernel_page(0x101000, false); // non-PAE: no NX
    m.put32(PhysAddr(0x2000 + 257 * 4), static_cast<u32>(enc(k, X86EntryShape::Page4K, w32)));
    CHECK(m.get32(PhysAddr(0x1c00)) == 0x2063);
    CHECK(m.get32(PhysAddr(0x2404)) == 0x101163); // PAGE_KERNEL 0x163 | PA
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    mmu.phys_bits = 32;
    const WalkRecord r = run(kI386, m, mmu, 0xc0101234, kRead);
    REQUIRE(r.ok());
    CHECK(r.levels[0].index == 768);
    CHECK(r.levels[1].index == 257);
    CHECK(r.translation().pa == PhysAddr(0x101234));
    CHECK(r.translation().permissions.kernel_exec); // no NX in 32-bit entries

    // PDE 769 = 4 MiB page at PA 0x400000: P|RW|A|D|PS|G = 0x1e3.
    k.addr = PhysAddr(0x400000);
    m.put32(PhysAddr(0x1000 + 769 * 4), static_cast<u32>(enc(k, X86EntryShape::Large4M, w32)));
    CHECK(m.get32(PhysAddr(0x1c04)) == 0x004001e3);
    const WalkRecord big = run(kI386, m, mmu, 0xc0512345, kRead);
    REQUIRE(big.ok());
    CHECK(big.depth == 1);
    CHECK(big.translation().pa == PhysAddr(0x512345));
    CHECK(big.translation().page_size == 4 * MiB);

    // PSE-36: PDE 770 for PA 0x3_0080_0000 (bits 20:13 = 3). Needs MAXPHYADDR > 32.
    k.addr = PhysAddr(0x300800000ull);
    m.put32(PhysAddr(0x1000 + 770 * 4), static_cast<u32>(enc(k, X86EntryShape::Large4M, w32)));
    CHECK(m.get32(PhysAddr(0x1c08)) == 0x008061e3);
    CHECK(run(kI386, m, mmu, 0xc0800010, kRead).fault().reason == FaultReason::ReservedBit);
    mmu.phys_bits = 36;
    CHECK(run(kI386, m, mmu, 0xc0800010, kRead).translation().pa == PhysAddr(0x300800010ull));
    // Bit 21 of a 4 MiB PDE is reserved.
    m.put32(PhysAddr(0x1c08), 0x008061e3u | (1u << 21));
    CHECK(run(kI386, m, mmu, 0xc0800010, kRead).fault().reason == FaultReason::ReservedBit);
    // A VA wider than 32 bits is outside what the format translates.
    CHECK(run(kI386, m, mmu, 0x100000000ull, kRead).fault().reason ==
          FaultReason::OutsideTtbrRanges);
}

TEST_CASE("i386 PAE walk: PDPTE rules, 4K and 2M", "[paging][walk][pae]") {
    auto m = ram();
    // VA 0xc0201000: PDPT index = va >> 30 = 3; PMD index = (va >> 21) & 511 = 1; PTE index =
    // (va >> 12) & 511 = 0x201 & 0x1ff = 1. CR3 = 0x1fe0 (32-byte aligned PDPT), so PDPTE 3 is
    // at 0x1fe0 + 24 = 0x1ff8.
    X86Entry pdpte;
    pdpte.present = true;
    pdpte.addr = PhysAddr(0x2000);
    m.put64(PhysAddr(0x1ff8), enc(pdpte, X86EntryShape::PaePdpte));
    CHECK(m.get64(PhysAddr(0x1ff8)) == 0x2001); // P and the address only (A.10)
    m.put64(PhysAddr(0x2008), enc(table_to(0x3000), X86EntryShape::Table));
    m.put64(PhysAddr(0x3008), enc(kernel_page(0xabc000), X86EntryShape::Page4K));
    // PMD index 2 (VA 0xc0400000): 2 MiB page at PA 0xa00000.
    m.put64(PhysAddr(0x2010), enc(kernel_page(0xa00000), X86EntryShape::Large2M));
    MmuState mmu;
    mmu.root = PhysAddr(0x1fe0);
    const WalkRecord r = run(kI386Pae, m, mmu, 0xc0201abc, kWrite, WalkMode::Architectural);
    REQUIRE(r.ok());
    CHECK(r.levels[0].entry_addr == PhysAddr(0x1ff8));
    CHECK(r.levels[0].index == 3);
    CHECK(r.translation().pa == PhysAddr(0xabcabc));
    // The CPU does not set A in a PDPTE (it has none): still 0x2001.
    CHECK(m.get64(PhysAddr(0x1ff8)) == 0x2001);
    CHECK(run(kI386Pae, m, mmu, 0xc0401234, kRead).translation().pa == PhysAddr(0xa01234));
    CHECK(run(kI386Pae, m, mmu, 0xc0401234, kRead).translation().page_size == 2 * MiB);
    // RW in a PDPTE is reserved (bits 2:1 and 8:5 must be 0).
    m.put64(PhysAddr(0x1ff8), 0x2003);
    const WalkRecord bad = run(kI386Pae, m, mmu, 0xc0201000, kRead);
    CHECK(bad.fault().reason == FaultReason::ReservedBit);
    CHECK(bad.fault().arch_level == 3);
    m.put64(PhysAddr(0x1ff8), 0x2001);
    // PAE bits 62:52 are reserved (not ignored as on x86_64): bit 52 in the PTE.
    m.put64(PhysAddr(0x3008), m.get64(PhysAddr(0x3008)) | (1ull << 52));
    CHECK(run(kI386Pae, m, mmu, 0xc0201000, kRead).fault().reason == FaultReason::ReservedBit);
}
