// The walker on ARM tables: short descriptor (section, supersection, small and large pages,
// domains, AP, XN/PXN), LPAE (TTBR0/TTBR1 split by T1SZ, blocks, AF, APTable, address size)
// and arm64 (TTBR selection, 4K/16K/64K index extraction, blocks, UXN/PXN, PA[51:48]).
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
constexpr Access kUserExec{AccessType::Execute, Privilege::User};

template <typename T>
T ok(ErrorOr<T> r) {
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}

WalkRecord run(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu, u64 va,
               Access a) {
    return ok(walk(fmt, mem, mmu, VirtAddr(va), a, WalkMode::Inspection));
}

// ARM classic: L1 table at 0x4000 (16 KiB aligned, TTBR0; TTBCR.N = 0).
struct ArmShortFixture {
    SparseTableMemory m{{{0, 256 * MiB}}};
    MmuState mmu;
    ArmShortFixture() {
        mmu.root = PhysAddr(0x4000);
        mmu.phys_bits = 40;
        // VA 0xc0000000: L1 index 0xc00, entry at 0x4000 + 0xc00 * 4 = 0x7000. Kernel RW
        // section (AP 01), C|B, PA 0x60000000.
        ArmSection s;
        s.base = PhysAddr(0x60000000);
        s.ap = 1;
        s.c = s.b = true;
        m.put32(PhysAddr(0x7000), ok(encode_arm_section(s)));
        // VA 0xc0100000 (index 0xc01): kernel read-only section (APX 1, AP 01).
        s.base = PhysAddr(0x60100000);
        s.apx = true;
        m.put32(PhysAddr(0x7004), ok(encode_arm_section(s)));
        // VA 0xd0000000..0xd0ffffff: a supersection at PA 0x2_4000_0000, written to all 16
        // entries 0xd00..0xd0f as the architecture requires.
        ArmSection ss;
        ss.supersection = true;
        ss.base = PhysAddr(0x240000000ull);
        ss.ap = 1;
        for (unsigned i = 0; i < 16; ++i)
            m.put32(PhysAddr(0x4000 + (0xd00 + i) * 4), ok(encode_arm_section(ss)));
        // VA 0x00000000..0x000fffff: coarse table at 0x8000, domain 1 (DOMAIN_USER).
        ArmCoarseTable t;
        t.base = PhysAddr(0x8000);
        t.domain = 1;
        m.put32(PhysAddr(0x4000), ok(encode_arm_coarse(t)));
        // L2 index 0x10 (VA 0x10000): user RW small page, XN, nG, PA 0x70000000.
        ArmPage p;
        p.base = PhysAddr(0x70000000);
        p.ap = 3;
        p.xn = p.ng = true;
        m.put32(PhysAddr(0x8000 + 0x10 * 4), ok(encode_arm_page(p)));
        // L2 indices 0x20..0x2f (VA 0x20000..0x2ffff): a 64 KiB large page, user read-only
        // (AP 10), executable, PA 0x70010000; replicated 16 times.
        ArmPage l;
        l.large = true;
        l.base = PhysAddr(0x70010000);
        l.ap = 2;
        for (unsigned i = 0; i < 16; ++i)
            m.put32(PhysAddr(0x8000 + (0x20 + i) * 4), ok(encode_arm_page(l)));
        // L2 index 0x30 (VA 0x30000): kernel-only RW page (AP 01).
        ArmPage k;
        k.base = PhysAddr(0x70030000);
        k.ap = 1;
        m.put32(PhysAddr(0x8000 + 0x30 * 4), ok(encode_arm_page(k)));
    }
};

} // namespace

TEST_CASE("ARM short descriptor: sections and supersections", "[paging][walk][arm]") {
    ArmShortFixture f;
    CHECK(f.m.get32(PhysAddr(0x7000)) == 0x6000040eu);
    const WalkRecord r = run(kArmShort, f.m, f.mmu, 0xc0012345, kWrite);
    REQUIRE(r.ok());
    CHECK(r.depth == 1);
    CHECK(r.levels[0].index == 0xc00);
    CHECK(r.levels[0].entry_addr == PhysAddr(0x7000));
    CHECK(r.translation().pa == PhysAddr(0x60012345));
    CHECK(r.translation().page_size == 1 * MiB);
    CHECK(r.translation().cache == CacheAttributes{0b00011, 0}); // TEX 0, C 1, B 1
    CHECK(r.translation().global);
    const auto sect = std::get<ArmSection>(decode_entry(kArmShort, r.levels[0]));
    CHECK(sect.base == PhysAddr(0x60000000));
    CHECK(sect.ap == 1);
    // Kernel write to the APX section: permission fault, section (FS 0x0d).
    const WalkRecord ro = run(kArmShort, f.m, f.mmu, 0xc0100000, kWrite);
    CHECK(ro.fault().reason == FaultReason::WriteToReadOnly);
    CHECK(arm_fault_status(kArmShort, ro.fault()) == 0x0d);
    CHECK(run(kArmShort, f.m, f.mmu, 0xc0100000, kRead).ok());
    // Supersection: PA 0x240000000 + (0xd0312345 & 0xffffff).
    const WalkRecord ss = run(kArmShort, f.m, f.mmu, 0xd0312345, kRead);
    REQUIRE(ss.ok());
    CHECK(ss.levels[0].index == 0xd03);
    CHECK(ss.translation().pa == PhysAddr(0x240312345ull));
    CHECK(ss.translation().page_size == 16 * MiB);
    // Translation fault, section (FS 0x05): L1 entry 0xe00 is 0.
    const WalkRecord none = run(kArmShort, f.m, f.mmu, 0xe0000000, kRead);
    CHECK(none.fault().reason == FaultReason::NotPresent);
    CHECK(none.fault().arch_level == 1);
    CHECK(arm_fault_status(kArmShort, none.fault()) == 0x05);
}

TEST_CASE("ARM short descriptor: pages, AP, XN, PXN and domains", "[paging][walk][arm]") {
    ArmShortFixture f;
    const WalkRecord r = run(kArmShort, f.m, f.mmu, 0x10abc, kUserWrite);
    REQUIRE(r.ok());
    CHECK(r.depth == 2);
    CHECK(r.levels[1].table == PhysAddr(0x8000));
    CHECK(r.levels[1].index == 0x10);
    CHECK(r.translation().pa == PhysAddr(0x70000abc));
    CHECK_FALSE(r.translation().global); // nG
    // XN: no instruction fetch at either privilege; permission fault, page (FS 0x0f).
    const WalkRecord x = run(kArmShort, f.m, f.mmu, 0x10000, kUserExec);
    CHECK(x.fault().reason == FaultReason::ExecuteNever);
    CHECK(arm_fault_status(kArmShort, x.fault()) == 0x0f);
    // Large page at L2 index 0x25: PA = 0x70010000 | (0x25678 & 0xffff).
    const WalkRecord l = run(kArmShort, f.m, f.mmu, 0x25678, kUserRead);
    REQUIRE(l.ok());
    CHECK(l.levels[1].index == 0x25);
    CHECK(l.translation().pa == PhysAddr(0x70015678));
    CHECK(l.translation().page_size == 64 * KiB);
    CHECK(run(kArmShort, f.m, f.mmu, 0x25678, kUserExec).ok());
    CHECK(run(kArmShort, f.m, f.mmu, 0x25678, kUserWrite).fault().reason ==
          FaultReason::WriteToReadOnly);
    CHECK(run(kArmShort, f.m, f.mmu, 0x25678, kWrite).ok()); // AP 10: kernel RW
    // AP 01: user access is a permission fault, the kernel may read and write.
    CHECK(run(kArmShort, f.m, f.mmu, 0x30000, kUserRead).fault().reason ==
          FaultReason::SupervisorOnly);
    CHECK(run(kArmShort, f.m, f.mmu, 0x30000, kWrite).ok());
    // Translation fault, page (FS 0x07).
    const WalkRecord np = run(kArmShort, f.m, f.mmu, 0x40000, kRead);
    CHECK(np.fault().reason == FaultReason::NotPresent);
    CHECK(np.fault().arch_level == 2);
    CHECK(arm_fault_status(kArmShort, np.fault()) == 0x07);

    SECTION("domain 1 set to no access: domain fault, page (FS 0x0b)") {
        f.mmu.dacr = 0x55555551u; // domain 1 field (bits 3:2) = 00
        const WalkRecord d = run(kArmShort, f.m, f.mmu, 0x10000, kRead);
        CHECK(d.fault().reason == FaultReason::DomainFault);
        CHECK(arm_fault_status(kArmShort, d.fault()) == 0x0b);
    }
    SECTION("domain 1 as manager: AP is not checked") {
        f.mmu.dacr = 0x5555555du; // domain 1 = 11
        CHECK(run(kArmShort, f.m, f.mmu, 0x25678, kUserWrite).ok());
        CHECK(run(kArmShort, f.m, f.mmu, 0x30000, kUserRead).ok());
    }
    SECTION("PXN in the coarse-table entry stops kernel execution only") {
        f.m.put32(PhysAddr(0x4000), f.m.get32(PhysAddr(0x4000)) | (1u << 2));
        CHECK(run(kArmShort, f.m, f.mmu, 0x25000, kExec).fault().reason ==
              FaultReason::ExecuteNever);
        CHECK(run(kArmShort, f.m, f.mmu, 0x25000, kUserExec).ok());
    }
}

TEST_CASE("ARM LPAE: TTBR0/TTBR1 split by T1SZ, blocks, pages and faults", "[paging][walk][lpae]") {
    SparseTableMemory m({{0, 256 * MiB}});
    auto put = [&](u64 pa, LongDescriptor d, unsigned shift) {
        m.put64(PhysAddr(pa), ok(encode_long(d, LongAddressing::Lpae40, shift)));
    };
    LongDescriptor table;
    table.type = LongDescriptorType::Table;
    // User: TTBR0 = 0x1000 (4-entry PGD, VA[31:30]). VA 0x00401000: PGD index 0, PMD index
    // (0x401000 >> 21) & 511 = 2, PTE index (0x401000 >> 12) & 511 = 1.
    table.address = PhysAddr(0x2000);
    put(0x1000, table, 12);
    table.address = PhysAddr(0x3000);
    put(0x2000 + 2 * 8, table, 12);
    LongDescriptor page;
    page.type = LongDescriptorType::Page;
    page.address = PhysAddr(0x90001000);
    page.af = page.ng = page.xn = true;
    page.ap = 3; // user, read-only
    put(0x3000 + 1 * 8, page, 12);
    // 0x90001000 | page 0b11 | AP[1] 0x40 | AP[2] 0x80 | AF 0x400 | nG 0x800 | XN bit 54.
    CHECK(m.get64(PhysAddr(0x3008)) == 0x0040000090001cc3ull);
    // Kernel: T1SZ = 2, TTBR1 = 0x5000 covers 0xc0000000.. (1 GiB): the walk starts at level
    // 2 with 9 index bits. VA 0xc0212345: PMD index (0xc0212345 >> 21) & 511 = 1.
    LongDescriptor block;
    block.type = LongDescriptorType::Block;
    block.address = PhysAddr(0x80200000);
    block.af = true;
    block.sh = 3;
    block.attr_indx = 7;
    put(0x5000 + 1 * 8, block, 21);
    CHECK(m.get64(PhysAddr(0x5008)) == 0x8020071dull);

    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    mmu.root_high = PhysAddr(0x5000);
    mmu.t1sz = 2;
    mmu.phys_bits = 40;

    const WalkRecord k = run(kArmLpae, m, mmu, 0xc0212345, kWrite);
    REQUIRE(k.ok());
    CHECK(k.high_root);
    CHECK(k.depth == 1);
    CHECK(k.levels[0].format_level == 1);
    CHECK(k.levels[0].index == 1);
    CHECK(k.translation().pa == PhysAddr(0x80212345));
    CHECK(k.translation().page_size == 2 * MiB);
    CHECK(k.translation().cache == CacheAttributes{7, 3});
    CHECK(k.translation().permissions.kernel_exec);
    CHECK_FALSE(k.translation().permissions.user_read);

    const WalkRecord u = run(kArmLpae, m, mmu, 0x00401abc, kUserRead);
    REQUIRE(u.ok());
    CHECK_FALSE(u.high_root);
    CHECK(u.depth == 3);
    CHECK(u.levels[1].index == 2);
    CHECK(u.levels[2].index == 1);
    CHECK(u.translation().pa == PhysAddr(0x90001abc));
    // Permission fault, level 3: DFSC 0b001111.
    const WalkRecord w = run(kArmLpae, m, mmu, 0x00401000, kUserWrite);
    CHECK(w.fault().reason == FaultReason::WriteToReadOnly);
    CHECK(arm_fault_status(kArmLpae, w.fault()) == 0x0f);
    // LPAE XN applies at PL1 too.
    CHECK(run(kArmLpae, m, mmu, 0x00401000, kExec).fault().reason == FaultReason::ExecuteNever);
    // 0xbfffffff is below TTBR1's region: TTBR0, PGD index 2, which is empty (translation
    // fault, level 1: DFSC 0b000101).
    const WalkRecord below = run(kArmLpae, m, mmu, 0xbfffffff, kRead);
    CHECK_FALSE(below.high_root);
    CHECK(below.levels[0].index == 2);
    CHECK(arm_fault_status(kArmLpae, below.fault()) == 0x05);

    SECTION("T1SZ = 0: everything through TTBR0, 0xc0212345 is PGD index 3") {
        mmu.t1sz = 0;
        const WalkRecord r = run(kArmLpae, m, mmu, 0xc0212345, kRead);
        CHECK_FALSE(r.high_root);
        CHECK(r.levels[0].index == 3);
    }
    SECTION("AF = 0: access flag fault, level 3 (DFSC 0b001011)") {
        m.put64(PhysAddr(0x3008), m.get64(PhysAddr(0x3008)) & ~(1ull << 10));
        const WalkRecord r = run(kArmLpae, m, mmu, 0x00401000, kUserRead);
        CHECK(r.fault().reason == FaultReason::AccessFlag);
        CHECK(arm_fault_status(kArmLpae, r.fault()) == 0x0b);
    }
    SECTION("output address bit 40 set: address size fault, level 3") {
        m.put64(PhysAddr(0x3008), m.get64(PhysAddr(0x3008)) | (1ull << 40));
        const WalkRecord r = run(kArmLpae, m, mmu, 0x00401000, kUserRead);
        CHECK(r.fault().reason == FaultReason::AddressSize);
        CHECK(arm_fault_status(kArmLpae, r.fault()) == 0x03);
    }
    SECTION("APTable[0] in the PGD entry denies EL0 below it") {
        m.put64(PhysAddr(0x1000), m.get64(PhysAddr(0x1000)) | (1ull << 61));
        CHECK(run(kArmLpae, m, mmu, 0x00401000, kUserRead).fault().reason ==
              FaultReason::SupervisorOnly);
        CHECK(run(kArmLpae, m, mmu, 0x00401000, kRead).ok());
    }
    SECTION("a T1SZ above 7 is refused") {
        mmu.t1sz = 8;
        CHECK(walk(kArmLpae, m, mmu, VirtAddr(0), kRead, WalkMode::Inspection).is_error());
    }
}

TEST_CASE("arm64 formats: level counts and index bits per D.1", "[paging][arm64]") {
    // shift(n) = (PAGE_SHIFT - 3)(4 - n) + 3; levels = (VA_BITS - 4) / (PAGE_SHIFT - 3).
    // 4K/48: 44 / 9 = 4 levels, shifts 39 30 21 12, 9 bits each.
    CHECK(kArm64_4K_48.levels[0].index_shift == 39);
    CHECK(kArm64_4K_48.levels[0].index_bits == 9);
    CHECK(kArm64_4K_48.levels[0].arch_level == 0);
    // 4K/39: 35 / 9 = 3 levels starting at level 1 (38:30).
    CHECK(kArm64_4K_39.levels[0].arch_level == 1);
    CHECK(kArm64_4K_39.levels[0].index_bits == 9);
    // 16K/48: 44 / 11 = 4 levels; level 0 is VA bit 47 alone (2 entries).
    CHECK(kArm64_16K_48.levels[0].index_shift == 47);
    CHECK(kArm64_16K_48.levels[0].index_bits == 1);
    CHECK(kArm64_16K_48.levels[1].index_shift == 36);
    CHECK(kArm64_16K_48.levels[1].index_bits == 11);
    // 16K/47: 43 / 11 = 3 levels from level 1 (46:36).
    CHECK(kArm64_16K_47.levels[0].arch_level == 1);
    CHECK(kArm64_16K_47.levels[0].index_bits == 11);
    // 64K/48: 44 / 13 = 3 levels; level 1 is 47:42 (64 entries).
    CHECK(kArm64_64K_48.levels[0].index_shift == 42);
    CHECK(kArm64_64K_48.levels[0].index_bits == 6);
    CHECK(kArm64_64K_48.levels[1].index_shift == 29);
    // 64K/42: 38 / 13 = 2 levels, level 2 (41:29) and 3 (28:16).
    CHECK(kArm64_64K_42.levels[0].arch_level == 2);
    CHECK(kArm64_64K_42.levels[0].index_bits == 13);
    // Blocks: 1 GiB and 2 MiB with 4K; 32 MiB with 16K; 512 MiB with 64K; none at level 1
    // for 16K/64K.
    CHECK(kArm64_4K_48.levels[1].kinds[0].size_shift == 30);
    CHECK(kArm64_4K_48.levels[2].kinds[0].size_shift == 21);
    CHECK(kArm64_16K_48.levels[2].kinds[0].size_shift == 25);
    CHECK(kArm64_16K_48.levels[1].kind_count == 1);
    CHECK(kArm64_64K_48.levels[1].kinds[0].size_shift == 29);
    CHECK(arm64_paging_format(12, 48).value() == &kArm64_4K_48);
    CHECK(arm64_paging_format(16, 39).is_error());
}

namespace {
// Tables where every entry of level i points at the level i+1 table, and every last-level
// entry at the page 0x40000000 (AF, kernel RW): any VA then walks the whole depth and the
// record shows the indices the walker extracted.
void chain(SparseTableMemory& m, const PagingFormat& fmt, u64 root) {
    const LongAddressing a = fmt.long_addressing;
    u64 table = root;
    for (unsigned li = 0; li < fmt.level_count; ++li) {
        // The next table sits 4 pages further on: above any table of this one's size.
        const u64 aligned = align_up(table + (u64{4} << fmt.page_shift), u64{1} << fmt.page_shift);
        LongDescriptor d;
        if (li + 1 == fmt.level_count) {
            d.type = LongDescriptorType::Page;
            d.af = true;
            d.address = PhysAddr(0x40000000);
        } else {
            d.type = LongDescriptorType::Table;
            d.address = PhysAddr(aligned);
        }
        const u64 raw = ok(encode_long(d, a, fmt.page_shift));
        for (u64 i = 0; i < fmt.levels[li].entries(); ++i)
            m.put64(PhysAddr(table + i * 8), raw);
        table = aligned;
    }
}

std::vector<u32> indices(const PagingFormat& fmt, u64 va) {
    SparseTableMemory m({{0, 256 * MiB}});
    chain(m, fmt, 0x100000);
    MmuState mmu;
    mmu.root = mmu.root_high = PhysAddr(0x100000);
    mmu.phys_bits = 48;
    const WalkRecord r = run(fmt, m, mmu, va, kRead);
    REQUIRE(r.ok());
    CHECK(r.high_root);
    CHECK(r.translation().pa.get() == (0x40000000 | (va & ((u64{1} << fmt.page_shift) - 1))));
    std::vector<u32> out;
    for (unsigned i = 0; i < r.depth; ++i)
        out.push_back(r.levels[i].index);
    return out;
}
} // namespace

TEST_CASE("arm64 index extraction for each granule and VA size", "[paging][walk][arm64]") {
    using V = std::vector<u32>;
    // 4K/48, VA 0xffff800008000000: bits 47:0 = 0x800008000000 = 2^47 + 2^27.
    //   L0 = 47:39 = 2^47 >> 39 = 256; L1 = 38:30 = 2^27 >> 30 = 0; L2 = 29:21 = 2^27 >> 21 =
    //   64; L3 = 20:12 = 0.
    CHECK(indices(kArm64_4K_48, 0xffff800008000000ull) == V{256, 0, 64, 0});
    // 4K/39, VA 0xffffffc008000000: bits 38:0 = 0x4008000000 = 2^38 + 2^27.
    //   L1 = 2^38 >> 30 = 256; L2 = 64; L3 = 0.
    CHECK(indices(kArm64_4K_39, 0xffffffc008000000ull) == V{256, 64, 0});
    // 16K/47, VA 0xffffc00012345678: bits 46:0 = 0x400012345678 = 2^46 + 0x12345678.
    //   L1 = 46:36 = 2^46 >> 36 = 1024; L2 = 35:25 = 0x12345678 >> 25 = 9 (9 * 2^25 =
    //   0x12000000); L3 = 24:14 = (0x12345678 >> 14) & 0x7ff = 0x48d1 & 0x7ff = 0xd1 = 209.
    CHECK(indices(kArm64_16K_47, 0xffffc00012345678ull) == V{1024, 9, 209});
    // 16K/48, same VA: L0 = bit 47 = 1, then as above.
    CHECK(indices(kArm64_16K_48, 0xffffc00012345678ull) == V{1, 1024, 9, 209});
    // 64K/42, VA 0xfffffd0012345678: bits 41:0 = 0x10012345678 = 2^40 + 0x12345678.
    //   L2 = 41:29 = 2^40 >> 29 = 2048; L3 = 28:16 = 0x12345678 >> 16 = 0x1234 = 4660.
    CHECK(indices(kArm64_64K_42, 0xfffffd0012345678ull) == V{2048, 4660});
    // 64K/48, VA 0xffff850012345678: bits 47:0 = 0x850012345678 = 0x21 * 2^42 + 2^40 +
    //   0x12345678. L1 = 47:42 = 0x21 = 33; L2 = 2048; L3 = 4660.
    CHECK(indices(kArm64_64K_48, 0xffff850012345678ull) == V{33, 2048, 4660});
}

TEST_CASE("arm64 4K/48: TTBR selection, blocks and permissions", "[paging][walk][arm64]") {
    SparseTableMemory m({{0, 256 * MiB}});
    auto put = [&](u64 pa, LongDescriptor d, unsigned shift) {
        m.put64(PhysAddr(pa), ok(encode_long(d, LongAddressing::Granule4K, shift)));
    };
    LongDescriptor t;
    t.type = LongDescriptorType::Table;
    // Kernel, TTBR1 = 0x10000. VA 0xffff800008000000: L0 256, L1 0, L2 64, L3 0 (see above).
    t.address = PhysAddr(0x11000);
    put(0x10000 + 256 * 8, t, 12);
    t.address = PhysAddr(0x12000);
    put(0x11000, t, 12);
    t.address = PhysAddr(0x13000);
    put(0x12000 + 64 * 8, t, 12);
    LongDescriptor kpage;
    kpage.type = LongDescriptorType::Page;
    kpage.address = PhysAddr(0x40000000);
    kpage.af = true;
    kpage.sh = 3;
    kpage.pxn = kpage.xn = true;
    put(0x13000, kpage, 12);
    CHECK(m.get64(PhysAddr(0x13000)) == 0x0060000040000703ull);
    // L2 index 65 (VA 0xffff800008200000): 2 MiB block at PA 0x40200000.
    LongDescriptor blk;
    blk.type = LongDescriptorType::Block;
    blk.af = true;
    blk.address = PhysAddr(0x40200000);
    put(0x12000 + 65 * 8, blk, 21);
    // L1 index 1 (VA 0xffff800040000000): 1 GiB block at PA 0x80000000.
    blk.address = PhysAddr(0x80000000);
    put(0x11000 + 8, blk, 30);
    // User, TTBR0 = 0x20000. VA 0x400000: L0 0, L1 0, L2 2, L3 0. EL0 RW page (AP 01),
    // no PXN bit set.
    t.address = PhysAddr(0x21000);
    put(0x20000, t, 12);
    t.address = PhysAddr(0x22000);
    put(0x21000, t, 12);
    t.address = PhysAddr(0x23000);
    put(0x22000 + 2 * 8, t, 12);
    LongDescriptor upage;
    upage.type = LongDescriptorType::Page;
    upage.address = PhysAddr(0x50000000);
    upage.af = upage.ng = true;
    upage.ap = 1;
    put(0x23000, upage, 12);

    MmuState mmu;
    mmu.root = PhysAddr(0x20000);
    mmu.root_high = PhysAddr(0x10000);
    mmu.phys_bits = 48;

    const WalkRecord k = run(kArm64_4K_48, m, mmu, 0xffff800008000abcull, kWrite);
    REQUIRE(k.ok());
    CHECK(k.high_root);
    CHECK(std::get<LongDescriptor>(decode_entry(kArm64_4K_48, k.levels[3])) == kpage);
    CHECK(std::get<LongDescriptor>(decode_entry(kArm64_4K_48, k.levels[0])).address ==
          PhysAddr(0x11000));
    CHECK(k.translation().pa == PhysAddr(0x40000abc));
    CHECK(run(kArm64_4K_48, m, mmu, 0xffff800008000000ull, kExec).fault().reason ==
          FaultReason::ExecuteNever);
    const WalkRecord b2 = run(kArm64_4K_48, m, mmu, 0xffff800008201234ull, kRead);
    CHECK(b2.translation().pa == PhysAddr(0x40201234));
    CHECK(b2.translation().page_size == 2 * MiB);
    const WalkRecord b1 = run(kArm64_4K_48, m, mmu, 0xffff800040123456ull, kRead);
    CHECK(b1.translation().pa == PhysAddr(0x80123456));
    CHECK(b1.translation().page_size == 1 * GiB);
    CHECK(b1.depth == 2);

    const WalkRecord u = run(kArm64_4K_48, m, mmu, 0x400123, kUserWrite);
    REQUIRE(u.ok());
    CHECK_FALSE(u.high_root);
    CHECK(u.translation().pa == PhysAddr(0x50000123));
    CHECK(run(kArm64_4K_48, m, mmu, 0x400000, kUserExec).ok());
    // EL1 never executes EL0-writable memory, even without PXN (permission fault, level 3).
    const WalkRecord kx = run(kArm64_4K_48, m, mmu, 0x400000, kExec);
    CHECK(kx.fault().reason == FaultReason::ExecuteNever);
    CHECK(arm_fault_status(kArm64_4K_48, kx.fault()) == 0x0f);

    // Neither range: bits 63:48 are neither all 0 nor all 1 -> translation fault, level 0.
    const WalkRecord out = run(kArm64_4K_48, m, mmu, 0xfffe800000000000ull, kRead);
    CHECK(out.fault().reason == FaultReason::OutsideTtbrRanges);
    CHECK(out.depth == 0);
    CHECK(arm_fault_status(kArm64_4K_48, out.fault()) == 0x04);
    CHECK(run(kArm64_4K_48, m, mmu, 0x0001000000000000ull, kRead).fault().reason ==
          FaultReason::OutsideTtbrRanges);
    // A block at level 0 is not allowed without LPA2: translation fault, level 0.
    m.put64(PhysAddr(0x10000), 0x401);
    CHECK(run(kArm64_4K_48, m, mmu, 0xffff000000000000ull, kRead).fault().reason ==
          FaultReason::NotPresent);
}

TEST_CASE("arm64 64K granule: PA[51:48] in bits 15:12", "[paging][walk][arm64]") {
    SparseTableMemory m({{0, 256 * MiB}});
    // 64K/42, TTBR0 = 0x100000; VA 0x10000 (L2 index 0, L3 index 1). The page is PA
    // 0x3_0000_1234_0000: bits 47:16 = 0x12340000, PA[51:48] = 3 in bits 15:12.
    LongDescriptor t;
    t.type = LongDescriptorType::Table;
    t.address = PhysAddr(0x200000);
    m.put64(PhysAddr(0x100000), ok(encode_long(t, LongAddressing::Granule64K, 16)));
    LongDescriptor p;
    p.type = LongDescriptorType::Page;
    p.af = true;
    p.address = PhysAddr(0x0003000012340000ull);
    m.put64(PhysAddr(0x200008), ok(encode_long(p, LongAddressing::Granule64K, 16)));
    CHECK(m.get64(PhysAddr(0x200008)) == 0x12343403ull);
    MmuState mmu;
    mmu.root = PhysAddr(0x100000);
    mmu.phys_bits = 52;
    const WalkRecord r = run(kArm64_64K_42, m, mmu, 0x1abcd, kRead);
    REQUIRE(r.ok());
    CHECK(r.translation().pa == PhysAddr(0x000300001234abcdull));
    CHECK(r.translation().page_size == 64 * KiB);
    // With a 48-bit PA size the same entry is an address size fault at level 3.
    mmu.phys_bits = 48;
    const WalkRecord bad = run(kArm64_64K_42, m, mmu, 0x1abcd, kRead);
    CHECK(bad.fault().reason == FaultReason::AddressSize);
    CHECK(arm_fault_status(kArm64_64K_42, bad.fault()) == 0x03);
}

TEST_CASE("ARM architectural walks store nothing (no hardware AF/DBM or A/D model)",
          "[paging][walk][arm64][lpae][arm]") {
    // arm64 4K/39 through TTBR0 = 0x1000: L1 0 -> 0x2000, L2 0 -> 0x3000, L3 1 = page with
    // AF = 0 (access flag fault) and L3 2 = page with AF = 1, AP[2] = 1 (read-only).
    SparseTableMemory m({{0, 16 * MiB}});
    m.put64(PhysAddr(0x1000), 0x2003);
    m.put64(PhysAddr(0x2000), 0x3003);
    m.put64(PhysAddr(0x3008), 0x40001003);                // page, AF clear
    m.put64(PhysAddr(0x3010), 0x40002003 | 0x400 | 0x80); // page, AF, read-only
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    mmu.phys_bits = 48;
    const u64 hash = m.content_hash();
    const u64 stores = m.stores();
    auto af = walk(kArm64_4K_39, m, mmu, VirtAddr(0x1000), kRead, WalkMode::Architectural);
    REQUIRE_FALSE(af.is_error());
    CHECK(af.value().fault().reason == FaultReason::AccessFlag);
    CHECK(arm_fault_status(kArm64_4K_39, af.value().fault()) == 0x0b); // level 3
    auto rd = walk(kArm64_4K_39, m, mmu, VirtAddr(0x2000), kRead, WalkMode::Architectural);
    REQUIRE(rd.value().ok());
    auto wr = walk(kArm64_4K_39, m, mmu, VirtAddr(0x2000), kWrite, WalkMode::Architectural);
    CHECK(wr.value().fault().reason == FaultReason::WriteToReadOnly);
    CHECK(m.stores() == stores);
    CHECK(m.content_hash() == hash);
    // ARM classic likewise: a section walk changes nothing.
    ArmShortFixture f;
    const u64 before = f.m.content_hash();
    REQUIRE(ok(walk(kArmShort, f.m, f.mmu, VirtAddr(0xc0000000), kWrite, WalkMode::Architectural))
                .ok());
    CHECK(f.m.content_hash() == before);
}

TEST_CASE("paging_format_for picks the format of each arch", "[paging]") {
    CHECK(paging_format_for(Arch::I386, 12, 0).value() == &kI386);
    CHECK(paging_format_for(Arch::I386Pae, 12, 0).value() == &kI386Pae);
    CHECK(paging_format_for(Arch::X86_64La57, 12, 0).value() == &kX86_64La57);
    CHECK(paging_format_for(Arch::Arm, 12, 0).value() == &kArmShort);
    CHECK(paging_format_for(Arch::ArmLpae, 12, 0).value() == &kArmLpae);
    CHECK(paging_format_for(Arch::Arm64, 14, 47).value() == &kArm64_16K_47);
    auto bad = paging_format_for(Arch::X86_64, 16, 0);
    REQUIRE(bad.is_error());
    CHECK(bad.error().message().find("PAGE_SHIFT 16") != std::string::npos);
    CHECK(fault_reason_name(FaultReason::AccessFlag) == "access flag fault");
}
