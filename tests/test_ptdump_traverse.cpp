// mm/paging/traverse: whole-tree inspection walks of hand-built tables for each format.
#include <catch2/catch.hpp>

#include "mm/paging/arm_short_entry.h"
#include "mm/paging/long_descriptor.h"
#include "mm/paging/traverse.h"
#include "test_ptdump_trees.h"

using namespace kmemu;
using namespace kmemu::paging;
using namespace kmemu::test_trees;

namespace {
struct LeafView {
    u64 va, size, pa;
    unsigned level;
    bool operator==(const LeafView&) const = default;
};
std::vector<LeafView> leaves_of(const std::vector<TraversalItem>& items) {
    std::vector<LeafView> out;
    for (const auto& it : items)
        if (it.kind == TraversalItemKind::Leaf)
            out.push_back({it.va.get(), it.size, it.next.get(), it.format_level});
    return out;
}
} // namespace

TEST_CASE("traverse: x86_64 4-level leaves, holes, a table in a hole and a loop") {
    X86_64Tree t;
    const u64 hash = t.mem.content_hash();
    auto items = traverse_all(kX86_64, t.mem, t.mmu);
    REQUIRE_FALSE(items.is_error());
    // PML4[273] covers 273 << 39 = 0x888000000000, sign-extended to 0xffff888000000000.
    const std::vector<LeafView> want = {
        {0x0, 4 * KiB, 0x100000, 3},
        {0x1000, 4 * KiB, 0x101000, 3},
        {0x200000, 2 * MiB, 0x200000, 2},
        {0xffff888000000000, 1 * GiB, 0x40000000, 1},
    };
    CHECK(leaves_of(items.value()) == want);
    // Nothing was stored (inspection only).
    CHECK(t.mem.content_hash() == hash);
    CHECK(t.mem.stores() == 11);

    std::vector<const TraversalItem*> odd;
    std::vector<std::pair<u32, u32>> top_holes; // (first index, count) of PML4 holes
    for (const auto& it : items.value()) {
        if (it.kind != TraversalItemKind::Leaf && it.kind != TraversalItemKind::Hole)
            odd.push_back(&it);
        if (it.kind == TraversalItemKind::Hole && it.format_level == 0)
            top_holes.emplace_back(it.index, it.count);
    }
    REQUIRE(odd.size() == 3);
    // PD[2]: 2M page with bit 13 (reserved in a 2M PDE) set.
    CHECK(odd[0]->kind == TraversalItemKind::BadEntry);
    CHECK(odd[0]->va.get() == 0x400000);
    // PML4[400] -> 0x20000000, beyond the 16 MiB of RAM: reported, not followed.
    // 400 << 39 = 0xc80000000000 -> 0xffffc80000000000.
    CHECK(odd[1]->kind == TraversalItemKind::TableInHole);
    CHECK(odd[1]->va.get() == 0xffffc80000000000);
    CHECK(odd[1]->next.get() == 0x20000000);
    // PML4[500] -> the PML4 itself: 500 << 39 = 0xfa0000000000 -> 0xfffffa0000000000.
    CHECK(odd[2]->kind == TraversalItemKind::TableLoop);
    CHECK(odd[2]->va.get() == 0xfffffa0000000000);
    // PML4 holes between the present entries 0, 273, 400, 500.
    const std::vector<std::pair<u32, u32>> want_holes = {
        {1, 272}, {274, 126}, {401, 99}, {501, 11}};
    CHECK(top_holes == want_holes);
    // The leaf's translation is the walker's (kernel read): PT[1] is read-only.
    const auto& ro = items.value()[1];
    REQUIRE(ro.translation);
    CHECK_FALSE(ro.translation->permissions.kernel_write);
    CHECK(ro.translation->permissions.user_read);
}

TEST_CASE("traverse: i386 2-level with a PTE table and 4M pages") {
    SparseTableMemory mem({{0, 8 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    mem.put32(PhysAddr(0x1000), 0x2000 | 0x67);             // PDE[0] -> PT 0x2000
    mem.put32(PhysAddr(0x2000 + 5 * 4), 0x5000 | 0x63);     // PTE[5] -> 0x5000
    mem.put32(PhysAddr(0x1000 + 768 * 4), 0x400000 | 0xe3); // PDE[768] 4M page (P RW A D PS)
    // PSE-36: PA[35:32] = 1 in bits 16:13 -> 4M page at 0x1_00800000.
    mem.put32(PhysAddr(0x1000 + 769 * 4), 0x00800000 | (1u << 13) | 0xe3);
    auto items = traverse_all(kI386, mem, mmu);
    REQUIRE_FALSE(items.is_error());
    const std::vector<LeafView> want = {
        {0x5000, 4 * KiB, 0x5000, 1},          // 5 << 12
        {0xc0000000, 4 * MiB, 0x400000, 0},    // 768 << 22
        {0xc0400000, 4 * MiB, 0x100800000, 0}, // 769 << 22
    };
    CHECK(leaves_of(items.value()) == want);
}

TEST_CASE("traverse: i386 PAE, the 4-entry PDPT") {
    SparseTableMemory mem({{0, 8 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x1020);                     // CR3 bits 4:0 ignored; 32-byte aligned
    mem.put64(PhysAddr(0x1020 + 3 * 8), 0x3000 | P); // PDPTE[3] (only P)
    mem.put64(PhysAddr(0x3000 + 0 * 8), 0x200000 | P | RW | A | D | PS | G | NX); // 2M
    mem.put64(PhysAddr(0x3000 + 1 * 8), 0x4000 | P | RW | A | D);
    mem.put64(PhysAddr(0x4000 + 511 * 8), 0x7000 | P | RW | A | D);
    auto items = traverse_all(kI386Pae, mem, mmu);
    REQUIRE_FALSE(items.is_error());
    // 3 << 30 = 0xc0000000; PDE[1] covers 0xc0200000; PTE[511] is 511 << 12 = 0x1ff000 in.
    const std::vector<LeafView> want = {
        {0xc0000000, 2 * MiB, 0x200000, 1},
        {0xc03ff000, 4 * KiB, 0x7000, 2},
    };
    CHECK(leaves_of(items.value()) == want);
}

TEST_CASE("traverse: ARM short descriptors, sections, a supersection and a coarse table") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x4000);
    ArmSection s;
    s.ap = 1;
    s.base = PhysAddr(0x00100000);
    mem.put32(PhysAddr(0x4000 + 0xc00 * 4), encode_arm_section(s).value()); // 0xc0000000
    s.base = PhysAddr(0x00200000);
    mem.put32(PhysAddr(0x4000 + 0xc01 * 4), encode_arm_section(s).value());
    ArmCoarseTable c;
    c.base = PhysAddr(0x8800);                                             // 1 KiB aligned
    mem.put32(PhysAddr(0x4000 + 0xbf0 * 4), encode_arm_coarse(c).value()); // 0xbf000000
    ArmPage pg;
    pg.ap = 1;
    pg.base = PhysAddr(0x300000);
    mem.put32(PhysAddr(0x8800 + 2 * 4), encode_arm_page(pg).value()); // small page, index 2
    // A supersection is repeated in 16 consecutive L1 entries; the traversal reports each.
    ArmSection sup;
    sup.supersection = true;
    sup.ap = 1;
    sup.base = PhysAddr(0x1000000);
    for (unsigned i = 0; i < 16; ++i)
        mem.put32(PhysAddr(0x4000 + (0xd00 + i) * 4), encode_arm_section(sup).value());
    auto items = traverse_all(kArmShort, mem, mmu);
    REQUIRE_FALSE(items.is_error());
    std::vector<LeafView> want = {
        {0xbf002000, 4 * KiB, 0x300000, 1}, // 0xbf000000 + 2 * 4K
        {0xc0000000, 1 * MiB, 0x100000, 0},
        {0xc0100000, 1 * MiB, 0x200000, 0},
    };
    for (unsigned i = 0; i < 16; ++i)
        want.push_back({0xd0000000 + i * MiB, 1 * MiB, 0x1000000, 0});
    CHECK(leaves_of(items.value()) == want);
    // The leaf's translation is the supersection's 16 MiB, at the 16 MiB base + 1 MiB offset.
    for (const auto& it : items.value())
        if (it.kind == TraversalItemKind::Leaf && it.va.get() == 0xd0100000) {
            REQUIRE(it.translation);
            CHECK(it.translation->page_size == 16 * MiB);
            CHECK(it.translation->pa.get() == 0x1100000);
        }
}

TEST_CASE("traverse: arm64 4K/48 blocks and pages in both halves") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x20000);
    mmu.root_high = PhysAddr(0x10000);
    mmu.phys_bits = 48;
    using namespace arm_long;
    const u64 table = TYPE_TABLE, af = bit(AF), sh = u64{3} << 8;
    // TTBR1: L0[0] -> L1 0x11000; L1[0] -> L2 0x12000; L2[0] 2M block 0x400000;
    // L2[1] -> L3 0x13000 with pages [0], [1]; L1[1] 1G block at 0x40000000.
    mem.put64(PhysAddr(0x10000), 0x11000 | table);
    mem.put64(PhysAddr(0x11000), 0x12000 | table);
    mem.put64(PhysAddr(0x11000 + 8), 0x40000000 | TYPE_BLOCK | af);
    mem.put64(PhysAddr(0x12000), 0x400000 | TYPE_BLOCK | af | sh);
    mem.put64(PhysAddr(0x12000 + 8), 0x13000 | table);
    mem.put64(PhysAddr(0x13000), 0x600000 | TYPE_TABLE | af);
    mem.put64(PhysAddr(0x13000 + 8), 0x601000 | TYPE_TABLE | af);
    // TTBR0: L0[1] -> L1 0x21000; L1[2] 1G block at 0x80000000 (user).
    mem.put64(PhysAddr(0x20000 + 8), 0x21000 | table);
    mem.put64(PhysAddr(0x21000 + 2 * 8), 0x80000000 | TYPE_BLOCK | af | bit(AP_USER));
    auto items = traverse_all(kArm64_4K_48, mem, mmu);
    REQUIRE_FALSE(items.is_error());
    // TTBR0 first: L0[1] = 1 << 39 = 0x8000000000, L1[2] = 2 << 30.
    // TTBR1 from 0xffff000000000000: L2[1] = 0x200000, L1[1] = 0x40000000.
    const std::vector<LeafView> want = {
        {0x8080000000, 1 * GiB, 0x80000000, 1},       {0xffff000000000000, 2 * MiB, 0x400000, 2},
        {0xffff000000200000, 4 * KiB, 0x600000, 3},   {0xffff000000201000, 4 * KiB, 0x601000, 3},
        {0xffff000040000000, 1 * GiB, 0x40000000, 1},
    };
    CHECK(leaves_of(items.value()) == want);
    CHECK(items.value()[0].high_root == false);
}

TEST_CASE("traverse: a tree of shared tables exceeds the entry budget with an error") {
    X86_64Tree t;
    // Every PML4 slot points at PDPT 0x2000 (no loop, only sharing).
    for (unsigned i = 0; i < 512; ++i)
        t.mem.put64(PhysAddr(0x1000 + i * 8), 0x2000 | P | RW | US | A | D);
    TraverseOptions o;
    o.max_entries = 10000;
    auto r = traverse_all(kX86_64, t.mem, t.mmu, o);
    REQUIRE(r.is_error());
    CHECK_THAT(r.release_error().message(), Catch::Contains("more than 10000 entries"));
}

TEST_CASE("traverse: a root outside memory is one item") {
    SparseTableMemory mem({{0, 1 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x200000);
    auto items = traverse_all(kI386, mem, mmu);
    REQUIRE_FALSE(items.is_error());
    REQUIRE(items.value().size() == 1);
    CHECK(items.value()[0].kind == TraversalItemKind::TableInHole);
    CHECK(items.value()[0].size == u64{1} << 32);
}
