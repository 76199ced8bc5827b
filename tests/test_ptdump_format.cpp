// emu/ptdump: the kernel's page-table dump, byte for byte, for small hand-built trees. The
// expected lines are built from the kernel's printf formats: x86 "0x%0*lx-0x%0*lx   " then
// "%9lu%c " then the flag columns (USR/RW/PWT/PCD/PSE/PAT/GLB/NX, 4 or 3 wide) and the level;
// arm/arm64 "%9lu%c %s" then " %s" per flag column.
#include <catch2/catch.hpp>

#include "emu/ptdump.h"
#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/arm_short_entry.h"
#include "mm/paging/long_descriptor.h"
#include "test_ptdump_trees.h"

using namespace kmemu;
using namespace kmemu::paging;
using namespace kmemu::test_trees;

namespace {
const std::string kNotPresent(30, ' '); // printk_prot for a non-present entry
}

TEST_CASE("ptdump x86 i386: merging, holes at their levels, markers") {
    SparseTableMemory mem({{0, 8 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x1000);
    mem.put32(PhysAddr(0x1000), 0x2000 | 0x67);              // PDE[0] -> PT (P RW US A D)
    mem.put32(PhysAddr(0x2000), 0x5000 | 0x63);              // PTE[0] 4K, P RW A D
    mem.put32(PhysAddr(0x1000 + 768 * 4), 0x400000 | 0xe3);  // 4M at 0xc0000000, P RW A D PS
    mem.put32(PhysAddr(0x1000 + 769 * 4), 0x800000 | 0x1e3); // 4M, + G
    mem.put32(PhysAddr(0x1000 + 770 * 4), 0xc00000 | 0x1e3); // 4M, same flags: merged
    const std::vector<PtdumpMarker> markers = {{0, "User Space"},
                                               {0xc0000000, "Kernel Mapping"},
                                               {0xc8800000, "vmalloc() Area"},
                                               {0xfff00000, "Fixmap area"},
                                               {0xffffffff, ""}};
    auto rules = ptdump_rules_for(Arch::I386, KernelVersion{6, 1, 0});
    REQUIRE_FALSE(rules.is_error());
    auto out = render_ptdump_with_markers(kI386, mem, mmu, markers, rules.value());
    REQUIRE_FALSE(out.is_error());
    // Lines, by hand:
    // PTE[0]: 4K; flags 0x063: "    " "RW " then PWT PCD PSE PAT GLB blank (20) and "x  ".
    // PTE[1..1023] are none (pte level, val 0); PDE[1..767] none at the pgd level
    // (real_depth folds pud/pmd/p4d into pgd): 0x1000..0x400000 = 4092K at "pte".
    // 0x400000..0xc0000000 = 0xbfc00000 = 3068M of pgd holes; the 4M page noted at
    // 0xc0000000 crosses "Kernel Mapping". 4M pages are noted at the pmd level (pmd_leaf).
    // PDE[769], [770] merge into 8M. Holes to the vmalloc marker: 0xc8800000 - 0xc0c00000 =
    // 124M. The Fixmap marker (0xfff00000) is never reached by an entry address (the last
    // PDE starts at 0xffc00000), and the flush at address 0 ends the last line:
    // 2^32 - 0xc8800000 = 0x37800000 = 888M.
    const std::string want =
        "---[ User Space ]---\n"
        "0x00000000-0x00001000           4K     RW                     x  pte\n"
        "0x00001000-0x00400000        4092K " +
        kNotPresent +
        "pte\n"
        "0x00400000-0xc0000000        3068M " +
        kNotPresent +
        "pgd\n"
        "---[ Kernel Mapping ]---\n"
        "0xc0000000-0xc0400000           4M     RW         PSE         x  pmd\n"
        "0xc0400000-0xc0c00000           8M     RW         PSE     GLB x  pmd\n"
        "0xc0c00000-0xc8800000         124M " +
        kNotPresent +
        "pgd\n"
        "---[ vmalloc() Area ]---\n"
        "0xc8800000-0x00000000         888M " +
        kNotPresent + "pgd\n";
    CHECK(out.value() == want);
}

TEST_CASE("ptdump x86_64: the guard hole, level names, NX and markers") {
    X86_64Tree t;
    // Drop the odd entries of the shared tree: the dump of a clean tree.
    t.mem.put64(PhysAddr(0x1000 + 400 * 8), 0);
    t.mem.put64(PhysAddr(0x1000 + 500 * 8), 0);
    t.mem.put64(PhysAddr(0x3000 + 16), 0);
    const std::vector<PtdumpMarker> markers = {{0, "User Space"},
                                               {u64{1} << 63, "Kernel Space"},
                                               {0xffff888000000000, "Low Kernel Mapping"},
                                               {0xffffc90000000000, "vmalloc() Area"},
                                               {0xffffffffff5fe000, "Fixmap Area"},
                                               {~u64{0}, ""}};
    auto rules = ptdump_rules_for(Arch::X86_64, KernelVersion{6, 1, 0});
    REQUIRE_FALSE(rules.is_error());
    auto out = render_ptdump_with_markers(kX86_64, t.mem, t.mmu, markers, rules.value());
    REQUIRE_FALSE(out.is_error());
    // PT[0] (P RW US A D) and PT[1] (P US A, read-only) differ: two 4K lines.
    // PD[1]: 2M user page, PSE. PD[2..511] none at the pmd level: 0x400000..0x40000000 =
    // 1020M. PDPT[1..511] none (pud): 0x40000000..0x8000000000 = 511G. PML4[1..255] none (pgd).
    // The walk skips PML4[256..271] (guard hole) and resumes at GUARD_HOLE_END_ADDR
    // 0xffff880000000000, which crosses "Kernel Space": 0xffff880000000000 - 0x8000000000
    // = 0xffff878000000000 bytes = 17179745792G. PML4[272] none up to the 1G page at
    // 0xffff888000000000 (512G), which crosses "Low Kernel Mapping". 1G page: RW PSE GLB NX
    // at pud. PDPT[1..511] none: 511G to 0xffff890000000000; pgd holes up to vmalloc at
    // PML4[402]: 0xffffc90000000000 - 0xffff890000000000 = 64T; the flush at 0 closes
    // 2^64 - 0xffffc90000000000 = 0x370000000000 = 55T.
    const std::string want =
        "---[ User Space ]---\n"
        "0x0000000000000000-0x0000000000001000           4K USR RW                     x  pte\n"
        "0x0000000000001000-0x0000000000002000           4K USR ro                     x  pte\n"
        "0x0000000000002000-0x0000000000200000        2040K " +
        kNotPresent +
        "pte\n"
        "0x0000000000200000-0x0000000000400000           2M USR RW         PSE         x  pmd\n"
        "0x0000000000400000-0x0000000040000000        1020M " +
        kNotPresent +
        "pmd\n"
        "0x0000000040000000-0x0000008000000000         511G " +
        kNotPresent +
        "pud\n"
        "0x0000008000000000-0xffff880000000000   17179745792G " +
        kNotPresent +
        "pgd\n"
        "---[ Kernel Space ]---\n"
        "0xffff880000000000-0xffff888000000000         512G " +
        kNotPresent +
        "pgd\n"
        "---[ Low Kernel Mapping ]---\n"
        "0xffff888000000000-0xffff888040000000           1G     RW         PSE     GLB NX pud\n"
        "0xffff888040000000-0xffff890000000000         511G " +
        kNotPresent +
        "pud\n"
        "0xffff890000000000-0xffffc90000000000          64T " +
        kNotPresent +
        "pgd\n"
        "---[ vmalloc() Area ]---\n"
        "0xffffc90000000000-0x0000000000000000          55T " +
        kNotPresent + "pgd\n";
    CHECK(out.value() == want);
}

TEST_CASE("ptdump x86_64: markers from a Layout, ESPfix line limit") {
    Layout l;
    l.arch = Arch::X86_64;
    l.page_offset = VirtAddr(0xffff888000000000);
    l.vmalloc_start = VirtAddr(0xffffc90000000000);
    l.modules_vaddr = VirtAddr(0xffffffffa0000000);
    l.modules_end = VirtAddr(0xffffffffff000000);
    l.fixaddr_start = VirtAddr(0xffffffffff5fe000);
    l.regions.push_back({"ldt_remap", VirtAddr(0xffff880000000000), VirtAddr(0xffff888000000000)});
    l.regions.push_back({"espfix", VirtAddr(0xffffff0000000000), VirtAddr(0xffffff8000000000)});
    l.regions.push_back(
        {"kernel_text", VirtAddr(0xffffffff80000000), VirtAddr(0xffffffffa0000000)});
    auto rules = ptdump_rules_for(Arch::X86_64, KernelVersion{6, 1, 0}).value();
    auto m = ptdump_markers(l, rules);
    REQUIRE_FALSE(m.is_error());
    std::vector<std::string> names;
    for (const auto& x : m.value())
        names.push_back(x.name);
    const std::vector<std::string> want = {"User Space",
                                           "Kernel Space",
                                           "LDT remap",
                                           "Low Kernel Mapping",
                                           "vmalloc() Area",
                                           "ESPfix Area",
                                           "High Kernel Mapping",
                                           "Modules",
                                           "End Modules",
                                           "Fixmap Area",
                                           ""};
    CHECK(names == want);
    CHECK(m.value()[5].max_lines == 16);
    CHECK(m.value()[2].start == 0xffff880000000000);
}

TEST_CASE("ptdump x86: versions before the generic walker are refused") {
    auto r = ptdump_rules_for(Arch::X86_64, KernelVersion{4, 19, 0});
    REQUIRE(r.is_error());
    CHECK_THAT(r.release_error().message(), Catch::Contains("from kernel 5.6"));
    CHECK(ptdump_rules_for(Arch::ArmLpae, KernelVersion{6, 1, 0}).is_error());
}

TEST_CASE("ptdump arm: sections with domains, Linux PTEs, holes print nothing") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x4000);
    using namespace arm_short;
    // Sections at 0xc0000000 and 0xc0100000: AP = 01 (kernel RW), XN, S, domain 0.
    const u32 rw_sect =
        static_cast<u32>(PMD_TYPE_SECT | PMD_SECT_AP_WRITE | PMD_SECT_XN | PMD_SECT_S);
    mem.put32(PhysAddr(0x4000 + 0xc00 * 4), 0x00000000 | rw_sect);
    mem.put32(PhysAddr(0x4000 + 0xc01 * 4), 0x00100000 | rw_sect);
    // 0xc0200000, 0xc0300000: APX + AP = 01 (kernel read-only), executable, not shared.
    const u32 ro_sect = static_cast<u32>(PMD_TYPE_SECT | PMD_SECT_APX | PMD_SECT_AP_WRITE);
    mem.put32(PhysAddr(0x4000 + 0xc02 * 4), 0x00200000 | ro_sect);
    mem.put32(PhysAddr(0x4000 + 0xc03 * 4), 0x00300000 | ro_sect);
    // 0xbf000000: a PTE page at 0x8000 (hardware tables at +2048/+3072, 3.x+), two Linux PTEs:
    // present, young, dirty, XN, L_PTE_MT_WRITEALLOC.
    mem.put32(PhysAddr(0x4000 + 0xbf0 * 4), 0x8000 + 2048 + 0x1);
    mem.put32(PhysAddr(0x4000 + 0xbf1 * 4), 0x8000 + 3072 + 0x1);
    using namespace arm_linux;
    const u32 pte = static_cast<u32>(L_PTE_PRESENT | L_PTE_YOUNG | L_PTE_DIRTY | L_PTE_XN |
                                     (u64{MT_WRITEALLOC} << 2));
    mem.put32(PhysAddr(0x8000), 0x300000 | pte);
    mem.put32(PhysAddr(0x8004), 0x301000 | pte);
    const std::vector<PtdumpMarker> markers = {
        {0xbf000000, "Modules"},        {0xc0000000, "Kernel Mapping"},
        {0xe0800000, "vmalloc() Area"}, {0xff800000, "FDT Area"},
        {0xffc80000, "Fixmap Area"},    {0xffff0000, "Vectors"},
        {0xffff2000, "Vectors End"},    {0xffffffff, ""}};
    auto rules = ptdump_rules_for(Arch::Arm, KernelVersion{6, 1, 0});
    REQUIRE_FALSE(rules.is_error());
    auto out = render_ptdump_with_markers(kArmShort, mem, mmu, markers, rules.value());
    REQUIRE_FALSE(out.is_error());
    // PTE line: "%9lu%c %s" = "        8K PTE", domain " KERNEL " (7 chars + space of
    // " %s"), then " %s" for USR clear ("   "), RW, NX, SHD clear ("   "), MEM/CACHED/WBWA.
    // Section lines: " " + "    RW" or "    ro", " NX" or " x ", " SHD" or "    ".
    // Empty slots (prot 0) print no line; markers still print when an entry crosses them:
    // Fixmap at the first 2M slot at or above 0xffc80000 (0xffe00000); Vectors never.
    const std::string want = "---[ Modules ]---\n"
                             "0xbf000000-0xbf002000           8K PTE KERNEL      RW NX     "
                             "MEM/CACHED/WBWA\n"
                             "---[ Kernel Mapping ]---\n"
                             "0xc0000000-0xc0200000           2M PGD KERNEL      RW NX SHD\n"
                             "0xc0200000-0xc0400000           2M PGD KERNEL      ro x     \n"
                             "---[ vmalloc() Area ]---\n"
                             "---[ FDT Area ]---\n"
                             "---[ Fixmap Area ]---\n";
    CHECK(out.value() == want);
}

TEST_CASE("ptdump arm64: blocks, pages, level names and flag columns") {
    SparseTableMemory mem({{0, 16 * MiB}});
    MmuState mmu;
    mmu.root = PhysAddr(0x20000); // TTBR0: empty, below PAGE_OFFSET anyway
    mmu.root_high = PhysAddr(0x10000);
    mmu.phys_bits = 48;
    using namespace arm_long;
    const u64 af = bit(AF), sh = u64{3} << 8, pxn = bit(PXN), uxn = bit(XN);
    mem.put64(PhysAddr(0x10000), 0x11000 | TYPE_TABLE);
    mem.put64(PhysAddr(0x11000), 0x12000 | TYPE_TABLE);
    // L2[0]: 2M block, normal memory (AttrIndx 0), inner shareable, AF, PXN, UXN.
    mem.put64(PhysAddr(0x12000), 0x40000000 | TYPE_BLOCK | sh | af | pxn | uxn);
    mem.put64(PhysAddr(0x12000 + 8), 0x13000 | TYPE_TABLE);
    // L3[0], [1]: read-only pages (AP[2]), executable at EL1, UXN.
    const u64 ro_page = TYPE_TABLE | sh | af | bit(AP_RDONLY) | uxn;
    mem.put64(PhysAddr(0x13000), 0x40200000 | ro_page);
    mem.put64(PhysAddr(0x13000 + 8), 0x40201000 | ro_page);
    // L1[1]: 1G device block (AttrIndx 4 = MT_DEVICE_nGnRE), AF, PXN, UXN.
    mem.put64(PhysAddr(0x11000 + 8), 0x80000000 | TYPE_BLOCK | (u64{4} << 2) | af | pxn | uxn);
    const std::vector<PtdumpMarker> markers = {{0xffff000000000000, "Linear Mapping start"},
                                               {0xffff800000000000, "Linear Mapping end"},
                                               {~u64{0}, ""}};
    auto rules = ptdump_rules_for(Arch::Arm64, KernelVersion{6, 6, 0});
    REQUIRE_FALSE(rules.is_error());
    auto out = render_ptdump_with_markers(kArm64_4K_48, mem, mmu, markers, rules.value());
    REQUIRE_FALSE(out.is_error());
    // Columns (" %s" each): valid " ", USR "   ", ro/RW, NX/"x ", SHD/"   ", AF/"  ",
    // NG "  ", CON "   ", BLK/"   ", UXN, GP "  ", memory type. Holes print the level only.
    // 0xffff000000400000..0xffff000040000000 = 0x3fc00000 = 1020M of pmd holes; pud holes
    // 0xffff000080000000..0xffff008000000000 = 510G; pgd holes to PAGE_END
    // 0x7f8000000000 bytes = 130560G; the flush at 0 closes 2^64 - 0xffff800000000000 = 128T.
    const std::string want =
        "---[ Linear Mapping start ]---\n"
        "0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF        BLK "
        "UXN    MEM/NORMAL\n"
        "0xffff000000200000-0xffff000000202000           8K PTE       ro x  SHD AF            "
        "UXN    MEM/NORMAL\n"
        "0xffff000000202000-0xffff000000400000        2040K PTE\n"
        "0xffff000000400000-0xffff000040000000        1020M PMD\n"
        "0xffff000040000000-0xffff000080000000           1G PUD       RW NX     AF        BLK "
        "UXN    DEVICE/nGnRE\n"
        "0xffff000080000000-0xffff008000000000         510G PUD\n"
        "0xffff008000000000-0xffff800000000000      130560G PGD\n"
        "---[ Linear Mapping end ]---\n"
        "0xffff800000000000-0x0000000000000000         128T PGD\n";
    CHECK(out.value() == want);
}
