// Linux's ARM classic page-table arrangement: the PTE page's byte layout in both eras, the
// Linux PTE bit senses per era, cpu_v7_set_pte_ext's hardware values, pmd_populate's PGD
// pair, and a walk through the result.
#include <catch2/catch.hpp>

#include <array>

#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/walk.h"

using namespace kmemu;
using namespace kmemu::paging;
using namespace kmemu::paging::arm_linux;

namespace {
template <typename T>
T ok(ErrorOr<T> r) {
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}
void ok(ErrorOr<void> r) {
    REQUIRE_FALSE(r.is_error());
}

// A user data page: present, young, dirty, writable, user, not executable, write-back (MT 3),
// PA 0x81234000.
ArmLinuxPte user_rw() {
    ArmLinuxPte p;
    p.present = p.young = p.dirty = p.writable = p.user = true;
    p.mt = MT_WRITEBACK;
    p.page = PhysAddr(0x81234000);
    return p;
}
constexpr u32 kExtNg = 0x800; // PTE_EXT_NG, what set_pte_at passes for user pages
} // namespace

TEST_CASE("ARM Linux PTE bit senses per era", "[paging][arm][linux]") {
    // 3.x/4.x: P 1 | YOUNG 2 | MT 3 << 2 = 0xc | DIRTY 0x40 | RDONLY clear | USER 0x100 |
    // XN 0x200 (not executable) -> 0x34f.
    CHECK(ok(encode_arm_linux_pte(user_rw(), ArmPteEra::V4)) == 0x8123434fu);
    CHECK(ok(encode_arm_linux_pte(user_rw(), ArmPteEra::V3)) == 0x8123434fu);
    // 2.6.32: WRITE 0x80 set, EXEC clear -> 0x1cf.
    CHECK(ok(encode_arm_linux_pte(user_rw(), ArmPteEra::V2_6_32)) == 0x812341cfu);
    for (ArmPteEra era : {ArmPteEra::V2_6_32, ArmPteEra::V3, ArmPteEra::V4}) {
        const u32 raw = ok(encode_arm_linux_pte(user_rw(), era));
        CHECK(decode_arm_linux_pte(raw, era) == user_rw());
    }
    ArmLinuxPte none = user_rw();
    none.prot_none = true;
    CHECK(ok(encode_arm_linux_pte(none, ArmPteEra::V4)) == (0x8123434fu | 0x800u));
    CHECK(encode_arm_linux_pte(none, ArmPteEra::V3).is_error()); // no L_PTE_NONE yet
    CHECK(arm_linux_table_prot(1) == 0x31); // _PAGE_USER_TABLE: TABLE | BIT4 | DOMAIN(1)
    CHECK(arm_linux_table_prot(0) == 0x11); // _PAGE_KERNEL_TABLE
}

TEST_CASE("cpu_v7_set_pte_ext hardware values", "[paging][arm][linux]") {
    // User RW dirty page, ext nG. Start: Linux & ~0x3f0 & ~3 = 0x8123400c (C, B stay from
    // MT bits 3:2); | ext 0x800 | AP0 0x10 | small 0x2 = 0x8123481e; MT bit 2 (bit 4) clear:
    // no TEX[0]; writable and dirty: no APX; USER: AP1 0x20 -> 0x8123483e; not executable:
    // XN bit 0 -> 0x8123483f. Same in every era.
    for (ArmPteEra era : {ArmPteEra::V2_6_32, ArmPteEra::V3, ArmPteEra::V4}) {
        const u32 l = ok(encode_arm_linux_pte(user_rw(), era));
        CHECK(arm_linux_to_hw_pte(l, kExtNg, era) == 0x8123483fu);
    }
    // Clean (not dirty): APX 0x200 as well, so the first write faults -> 0x81234a3f.
    ArmLinuxPte clean = user_rw();
    clean.dirty = false;
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(clean, ArmPteEra::V4)), kExtNg,
                              ArmPteEra::V4) == 0x81234a3fu);
    // Read-only user page: 3.x keeps APX with AP 11 (RO for both) -> 0x81234a3f; 2.6.32
    // clears APX and AP0 (AP 10: kernel RW, user RO) -> 0x8123400c | 0x800 | 0x2 | 0x20 | 1.
    ArmLinuxPte ro = user_rw();
    ro.writable = false;
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(ro, ArmPteEra::V3)), kExtNg, ArmPteEra::V3) ==
          0x81234a3fu);
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(ro, ArmPteEra::V2_6_32)), kExtNg,
                              ArmPteEra::V2_6_32) == 0x8123482fu);
    // Kernel device page (MT_DEV_SHARED = 4: bit 4 set -> TEX[0] 0x40), dirty, XN, PA
    // 0x10000000: Linux 0x10000253 -> 0x10000000 | 0x12 | 0x40 | XN 1 = 0x10000053.
    ArmLinuxPte dev;
    dev.present = dev.young = dev.dirty = dev.writable = true;
    dev.mt = MT_DEV_SHARED;
    dev.page = PhysAddr(0x10000000);
    const u32 dl = ok(encode_arm_linux_pte(dev, ArmPteEra::V4));
    CHECK(dl == 0x10000253u);
    CHECK(arm_linux_to_hw_pte(dl, 0, ArmPteEra::V4) == 0x10000053u);
    // Not young, not present, or PROT_NONE: the hardware entry is 0.
    ArmLinuxPte old = user_rw();
    old.young = false;
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(old, ArmPteEra::V4)), kExtNg,
                              ArmPteEra::V4) == 0);
    ArmLinuxPte gone = user_rw();
    gone.present = false;
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(gone, ArmPteEra::V2_6_32)), kExtNg,
                              ArmPteEra::V2_6_32) == 0);
    ArmLinuxPte none = user_rw();
    none.prot_none = true;
    CHECK(arm_linux_to_hw_pte(ok(encode_arm_linux_pte(none, ArmPteEra::V4)), kExtNg,
                              ArmPteEra::V4) == 0);
}

namespace {
std::array<u8, 4096> page_bytes(const SparseTableMemory& m, u64 pa) {
    std::array<u8, 4096> b{};
    ok(m.read_bytes(PhysAddr(pa), b.data(), b.size()));
    return b;
}
void expect_word(const std::array<u8, 4096>& b, unsigned off, u32 v) {
    INFO("offset " << off);
    CHECK(b[off] == static_cast<u8>(v));
    CHECK(b[off + 1] == static_cast<u8>(v >> 8));
    CHECK(b[off + 2] == static_cast<u8>(v >> 16));
    CHECK(b[off + 3] == static_cast<u8>(v >> 24));
}
unsigned nonzero(const std::array<u8, 4096>& b) {
    unsigned n = 0;
    for (u8 x : b)
        n += x != 0;
    return n;
}
} // namespace

TEST_CASE("ARM PTE page byte layout, >= 2.6.38: Linux at +0/+1024, h/w at +2048/+3072",
          "[paging][arm][linux]") {
    SparseTableMemory m({{0, 16 * MiB}});
    const ArmPteEra era = ArmPteEra::V4;
    const u32 l = ok(encode_arm_linux_pte(user_rw(), era));
    // Index 1 (Linux table 0) and index 300 (Linux table 1, hardware table 1 entry 44).
    ok(arm_set_pte_ext(m, PhysAddr(0x9000), 1, l, kExtNg, era));
    ok(arm_set_pte_ext(m, PhysAddr(0x9000), 300, l, kExtNg, era));
    const auto b = page_bytes(m, 0x9000);
    expect_word(b, 4, 0x8123434f);             // Linux pte 1 at +4: bytes 4f 43 23 81
    expect_word(b, 2048 + 4, 0x8123483f);      // its hardware pte at +2048
    expect_word(b, 1200, 0x8123434f);          // Linux pte 300 at 300 * 4
    expect_word(b, 3072 + 44 * 4, 0x8123483f); // h/w table 1 (+3072), entry 300 - 256
    CHECK(b[4] == 0x4f);
    CHECK(b[7] == 0x81);
    CHECK(nonzero(b) == 16); // nothing else written (every byte of the 4 words is non-zero)

    // pmd_populate for VA 0x00400000: Linux pgd index 0x400000 >> 21 = 2 -> 8 bytes at pgd
    // + 16 = hardware L1 entries 4 and 5, pointing at +2048 and +3072 with _PAGE_USER_TABLE.
    ok(arm_pmd_populate(m, PhysAddr(0x4000), VirtAddr(0x400000), PhysAddr(0x9000),
                        arm_linux_table_prot(1), era));
    CHECK(m.get32(PhysAddr(0x4010)) == 0x9831u);
    CHECK(m.get32(PhysAddr(0x4014)) == 0x9c31u);

    // The hardware walk finds the hardware entries: VA 0x401000 (L1 4, L2 1) and VA 0x52c000
    // (Linux index 300: 0x400000 + 300 * 4096; L1 5, L2 0x52c & 0xff = 44).
    MmuState mmu;
    mmu.root = PhysAddr(0x4000);
    mmu.phys_bits = 32;
    const Access user_write{AccessType::Write, Privilege::User};
    auto r = ok(walk(kArmShort, m, mmu, VirtAddr(0x401abc), user_write, WalkMode::Inspection));
    REQUIRE(r.ok());
    CHECK(r.levels[1].entry_addr == PhysAddr(0x9804));
    CHECK(r.translation().pa == PhysAddr(0x81234abc));
    auto r2 = ok(walk(kArmShort, m, mmu, VirtAddr(0x52c000), user_write, WalkMode::Inspection));
    REQUIRE(r2.ok());
    CHECK(r2.levels[1].entry_addr == PhysAddr(0x9cb0));
    // A not-young pte reads as a translation fault to the hardware (young emulation).
    ArmLinuxPte old = user_rw();
    old.young = false;
    ok(arm_set_pte_ext(m, PhysAddr(0x9000), 2, ok(encode_arm_linux_pte(old, era)), kExtNg, era));
    auto r3 = ok(walk(kArmShort, m, mmu, VirtAddr(0x402000), user_write, WalkMode::Inspection));
    CHECK(r3.fault().reason == FaultReason::NotPresent);
    CHECK(r3.fault().arch_level == 2);
}

TEST_CASE("ARM PTE page byte layout, 2.6.32: h/w at +0/+1024, Linux at +2048/+3072",
          "[paging][arm][linux]") {
    SparseTableMemory m({{0, 16 * MiB}});
    const ArmPteEra era = ArmPteEra::V2_6_32;
    const u32 l = ok(encode_arm_linux_pte(user_rw(), era));
    CHECK(l == 0x812341cfu);
    ok(arm_set_pte_ext(m, PhysAddr(0x9000), 1, l, kExtNg, era));
    ok(arm_set_pte_ext(m, PhysAddr(0x9000), 300, l, kExtNg, era));
    const auto b = page_bytes(m, 0x9000);
    expect_word(b, 4, 0x8123483f);             // hardware pte 1 at +4
    expect_word(b, 2048 + 4, 0x812341cf);      // Linux pte 1 at +2048
    expect_word(b, 1024 + 44 * 4, 0x8123483f); // h/w table 1 at +1024
    expect_word(b, 2048 + 1200, 0x812341cf);
    CHECK(nonzero(b) == 16);
    ok(arm_pmd_populate(m, PhysAddr(0x4000), VirtAddr(0x400000), PhysAddr(0x9000),
                        arm_linux_table_prot(1), era));
    CHECK(m.get32(PhysAddr(0x4010)) == 0x9031u);
    CHECK(m.get32(PhysAddr(0x4014)) == 0x9431u);
    MmuState mmu;
    mmu.root = PhysAddr(0x4000);
    mmu.phys_bits = 32;
    auto r = ok(walk(kArmShort, m, mmu, VirtAddr(0x401000),
                     Access{AccessType::Read, Privilege::User}, WalkMode::Inspection));
    REQUIRE(r.ok());
    CHECK(r.levels[1].entry_addr == PhysAddr(0x9004));
    // Bad input: index 512 or a misaligned PTE page.
    CHECK(arm_set_pte_ext(m, PhysAddr(0x9000), 512, l, 0, era).is_error());
    CHECK(arm_set_pte_ext(m, PhysAddr(0x9100), 0, l, 0, era).is_error());
}
