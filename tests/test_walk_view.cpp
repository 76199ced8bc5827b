// emu/walk_view and emu/svg/walk_svg: the text of a walk, byte for byte, for a translation
// and for each fault kind; structural checks of the SVG.
#include <catch2/catch.hpp>

#include "emu/svg/walk_svg.h"
#include "emu/walk_view.h"
#include "mm/paging/arm_short_entry.h"
#include "mm/paging/long_descriptor.h"
#include "test_ptdump_trees.h"

using namespace kmemu;
using namespace kmemu::paging;
using namespace kmemu::test_trees;

namespace {
WalkRecord walk_of(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu, u64 va,
                   Access a) {
    auto r = walk(fmt, mem, mmu, VirtAddr(va), a, WalkMode::Inspection);
    REQUIRE_FALSE(r.is_error());
    return r.value();
}
// The last two lines of a fault's text.
std::string tail_lines(const std::string& s) {
    auto end = s.size() - 1;
    auto p = s.rfind('\n', end - 1);
    p = s.rfind('\n', p - 1);
    return s.substr(p + 1);
}
constexpr Access kRead{AccessType::Read, Privilege::Supervisor};
constexpr Access kUserRead{AccessType::Read, Privilege::User};
constexpr Access kUserWrite{AccessType::Write, Privilege::User};
constexpr Access kExec{AccessType::Execute, Privilege::Supervisor};
} // namespace

TEST_CASE("walk view: x86_64 translation through four levels") {
    X86_64Tree t;
    const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x1234, kUserRead);
    // Indices of 0x1234: PML4 0, PDPT 0, PD 0, PT 1; offset 0x234. Entry addresses are the
    // tables plus index * 8. PT[1] = 0x101000 | P US A: user read-only.
    const std::string want =
        "walk 0x0000000000001234 (x86_64 4-level, user read), CR3 0x0000000000001000\n"
        "  PGD (PML4E)  index   0  entry 0x0000000000001000  raw 0x0000000000002067  table: P "
        "R/W U/S A D -> 0x0000000000002000\n"
        "  PUD (PDPTE)  index   0  entry 0x0000000000002000  raw 0x0000000000003067  table: P "
        "R/W U/S A D -> 0x0000000000003000\n"
        "  PMD (PDE)    index   0  entry 0x0000000000003000  raw 0x0000000000004067  table: P "
        "R/W U/S A D -> 0x0000000000004000\n"
        "  PTE (PTE)    index   1  entry 0x0000000000004008  raw 0x0000000000101025  4K page: P "
        "U/S A -> 0x0000000000101000\n"
        "result: PA 0x0000000000101234, 4K page, kernel r-x user r-x, memory type 0\n";
    CHECK(render_walk_text(kX86_64, rec, t.mmu) == want);
}

TEST_CASE("walk view: x86_64 faults, each with its reason and #PF code") {
    X86_64Tree t;
    SECTION("not present: PT[2] is zero; #PF code 0x4 (user, read, not present)") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x2000, kUserRead);
        const std::string want =
            "walk 0x0000000000002000 (x86_64 4-level, user read), CR3 0x0000000000001000\n"
            "  PGD (PML4E)  index   0  entry 0x0000000000001000  raw 0x0000000000002067  "
            "table: P R/W U/S A D -> 0x0000000000002000\n"
            "  PUD (PDPTE)  index   0  entry 0x0000000000002000  raw 0x0000000000003067  "
            "table: P R/W U/S A D -> 0x0000000000003000\n"
            "  PMD (PDE)    index   0  entry 0x0000000000003000  raw 0x0000000000004067  "
            "table: P R/W U/S A D -> 0x0000000000004000\n"
            "  PTE (PTE)    index   2  entry 0x0000000000004010  raw 0x0000000000000000  "
            "invalid\n"
            "fault: not present (translation fault) at PTE (PTE): P (bit 0) is clear\n"
            "exception: #PF, error code 0x4\n";
        CHECK(render_walk_text(kX86_64, rec, t.mmu) == want);
    }
    SECTION("write to read-only: P | W | U = 0x7") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x1000, kUserWrite);
        CHECK(tail_lines(render_walk_text(kX86_64, rec, t.mmu)) ==
              "fault: write to read-only page at PTE (PTE): R/W is clear at some level (CR0.WP "
              "= 1)\nexception: #PF, error code 0x7\n");
    }
    SECTION("user access to a supervisor page: P | U = 0x5") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0xffff888000000000, kUserRead);
        CHECK(tail_lines(render_walk_text(kX86_64, rec, t.mmu)) ==
              "fault: user access to supervisor page at PUD (PDPTE): U/S is clear at some "
              "level\nexception: #PF, error code 0x5\n");
    }
    SECTION("execute of an NX page: P | I/D = 0x11") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0xffff888000000000, kExec);
        CHECK(tail_lines(render_walk_text(kX86_64, rec, t.mmu)) ==
              "fault: execute-never (NX/XN/PXN) at PUD (PDPTE): XD (bit 63) is set at some "
              "level\nexception: #PF, error code 0x11\n");
    }
    SECTION("reserved bit 13 in a 2M PDE: P | RSVD = 0x9") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x400000, kRead);
        CHECK(tail_lines(render_walk_text(kX86_64, rec, t.mmu)) ==
              "fault: reserved bit set at PMD (PDE): a reserved bit is set (or an address bit "
              "at or above MAXPHYADDR)\nexception: #PF, error code 0x9\n");
    }
    SECTION("non-canonical: #GP, no levels") {
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x0000800000000000, kRead);
        const std::string want =
            "walk 0x0000800000000000 (x86_64 4-level, kernel read), CR3 0x0000000000001000\n"
            "fault: non-canonical address: bits 63..va_bits-1 are not a sign extension (#GP, "
            "no walk)\nexception: #GP(0)\n";
        CHECK(render_walk_text(kX86_64, rec, t.mmu) == want);
    }
    SECTION("a table in a hole: the PDPT load at 0x20000000 fails; not-present code 0x0") {
        // 0xffffc80000000000: PML4 index 400 -> PDPT 0x20000000 (beyond RAM), index 0.
        const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0xffffc80000000000, kRead);
        const std::string text = render_walk_text(kX86_64, rec, t.mmu);
        CHECK_THAT(text, Catch::Contains("  PUD (PDPTE)  index   0  entry 0x0000000020000000  "
                                         "raw 0x0000000000000000  (not loaded)\n"));
        CHECK(tail_lines(text) == "fault: table not in memory (external abort on walk) at PUD "
                                  "(PDPTE): the descriptor load hit a hole in physical "
                                  "memory\nexception: #PF, error code 0x0\n");
    }
}

TEST_CASE("walk view: ARM short descriptor section, domain and permission faults") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x4000);
    ArmSection s;
    s.ap = 1; // kernel RW only
    s.xn = true;
    s.domain = 2;
    s.base = PhysAddr(0x00100000);
    mem.put32(PhysAddr(0x4000 + 0xc00 * 4), encode_arm_section(s).value());
    SECTION("translation") {
        // L1 index 0xc00 = 3072; entry 0x4000 + 3072 * 4 = 0x7000. raw: base 0x00100000,
        // AP 01 (bit 10), domain 2 (bits 8:5 = 0x40), XN (bit 4), type 10.
        const auto rec = walk_of(kArmShort, mem, mmu, 0xc0012345, kRead);
        const std::string want =
            "walk 0xc0012345 (ARM short-descriptor, kernel read), TTBR0 0x00004000\n"
            "  L1  index 3072  entry 0x00007000  raw 0x00100452  section: AP=01 TEX=000 XN "
            "Domain=2 -> 0x00100000\n"
            "result: PA 0x00112345, 1M page, kernel rw- user ---, global, memory type 0, "
            "shareability 0\n";
        CHECK(render_walk_text(kArmShort, rec, mmu) == want);
    }
    SECTION("user read of a kernel-only section: FS 0x0d (permission, section)") {
        const auto rec = walk_of(kArmShort, mem, mmu, 0xc0012345, kUserRead);
        CHECK(tail_lines(render_walk_text(kArmShort, rec, mmu)) ==
              "fault: user access to supervisor page at L1: AP gives no access at EL0/PL0\n"
              "exception: abort, FSR.FS 0x0d\n");
    }
    SECTION("AP = 00: no access at all, FS 0x0d") {
        s.ap = 0;
        mem.put32(PhysAddr(0x4000 + 0xc01 * 4), encode_arm_section(s).value());
        const auto rec = walk_of(kArmShort, mem, mmu, 0xc0100000, kRead);
        CHECK(tail_lines(render_walk_text(kArmShort, rec, mmu)) ==
              "fault: no access permitted at L1: AP gives no access at this privilege\n"
              "exception: abort, FSR.FS 0x0d\n");
    }
    SECTION("domain 2 set to no access: FS 0x09 (domain, section)") {
        mmu.dacr = 0x55555555u & ~(3u << 4);
        const auto rec = walk_of(kArmShort, mem, mmu, 0xc0012345, kRead);
        CHECK(tail_lines(render_walk_text(kArmShort, rec, mmu)) ==
              "fault: domain fault at L1: DACR gives the entry's domain no access\n"
              "exception: abort, FSR.FS 0x09\n");
    }
}

TEST_CASE("walk view: arm64 access flag, address size and outside-TTBR faults") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x20000);
    mmu.root_high = PhysAddr(0x10000);
    mmu.phys_bits = 40;
    using namespace arm_long;
    mem.put64(PhysAddr(0x10000), 0x11000 | TYPE_TABLE);
    mem.put64(PhysAddr(0x11000), 0x40000000 | TYPE_BLOCK);                   // AF clear
    mem.put64(PhysAddr(0x11000 + 8), (u64{1} << 44) | TYPE_BLOCK | bit(AF)); // PA > 40 bits
    SECTION("access flag: DFSC 0x09 (level 1)") {
        const auto rec = walk_of(kArm64_4K_48, mem, mmu, 0xffff000000001000, kRead);
        const std::string want = "walk 0xffff000000001000 (arm64 4K VA48, kernel read), TTBR1 "
                                 "0x0000000000010000\n"
                                 "  L0  index   0  entry 0x0000000000010000  raw "
                                 "0x0000000000011003  table: APTable=00 -> 0x0000000000011000\n"
                                 "  L1  index   0  entry 0x0000000000011000  raw "
                                 "0x0000000040000001  block: AttrIndx=0 AP=00 SH=00 -> "
                                 "0x0000000040000000\n"
                                 "fault: access flag fault at L1: AF (bit 10) is clear\n"
                                 "exception: abort, status (DFSC) 0x09\n";
        CHECK(render_walk_text(kArm64_4K_48, rec, mmu) == want);
    }
    SECTION("address size: DFSC 0x01") {
        const auto rec = walk_of(kArm64_4K_48, mem, mmu, 0xffff000040000000, kRead);
        CHECK(tail_lines(render_walk_text(kArm64_4K_48, rec, mmu)) ==
              "fault: address size fault at L1: an output address exceeds the physical address "
              "size\nexception: abort, status (DFSC) 0x01\n");
    }
    SECTION("outside both TTBR ranges") {
        const auto rec = walk_of(kArm64_4K_48, mem, mmu, 0x00ff000000000000, kRead);
        CHECK(tail_lines(render_walk_text(kArm64_4K_48, rec, mmu)) ==
              "fault: address outside the translated ranges: the address is in no translation "
              "table's range\nexception: abort, status (DFSC) 0x04\n");
    }
}

TEST_CASE("walk svg: one box per level with index and raw entry, deterministic") {
    X86_64Tree t;
    const auto rec = walk_of(kX86_64, t.mem, t.mmu, 0x1234, kUserRead);
    const std::string svg = render_walk_svg(kX86_64, rec, t.mmu);
    CHECK(svg == render_walk_svg(kX86_64, rec, t.mmu));
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK_THAT(svg, Catch::EndsWith("</svg>\n"));
    for (const char* s :
         {"PGD (PML4E) table", "[0] 0x0000000000002067", "PUD (PDPTE) table",
          "[0] 0x0000000000003067", "PMD (PDE) table", "[0] 0x0000000000004067", "PTE (PTE) table",
          "[1] 0x0000000000101025", "PA 0x0000000000101234", "entry 0x0000000000004008"})
        CHECK_THAT(svg, Catch::Contains(s));
    // Four highlighted entries, four arrows (to the next tables and the page).
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto p = svg.find(needle); p != std::string::npos; p = svg.find(needle, p + 1))
            ++n;
        return n;
    };
    CHECK(count("class=\"sel\"") == 4);
    CHECK(count("class=\"head\"") == 4);
    CHECK(count("class=\"page\"") == 1);

    const auto bad = walk_of(kX86_64, t.mem, t.mmu, 0x2000, kUserRead);
    const std::string fsvg = render_walk_svg(kX86_64, bad, t.mmu);
    CHECK_THAT(fsvg, Catch::Contains("not present (translation fault)"));
    CHECK_THAT(fsvg, Catch::Contains("#PF error code 0x4"));
}
