#include "emu/ptdump.h"

#include <array>
#include <string_view>

#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/traverse.h"

namespace kmemu {

using namespace paging;

namespace {

[[nodiscard]] u64 word_mask(unsigned word_bits) {
    return word_bits >= 64 ? ~u64{0} : (u64{1} << word_bits) - 1;
}

// Linux level numbers as the generic walker (mm/ptdump.c, 5.6+) and arm64 count them.
constexpr std::array<std::string_view, 5> kLinuxLevels = {"pgd", "p4d", "pud", "pmd", "pte"};

[[nodiscard]] int linux_index(std::string_view name) {
    for (unsigned i = 0; i < kLinuxLevels.size(); ++i)
        if (kLinuxLevels[i] == name)
            return static_cast<int>(i);
    return -1;
}

// The Linux levels a hardware level stands for: its own name down to just above the next
// level's (folded levels in between share the entry).
struct LevelSpan {
    int shallow = 0; // where pte_hole reports a none entry (real_depth, mm/pagewalk.c)
    int deep = 4;    // where pXd_leaf first sees a leaf
};
[[nodiscard]] LevelSpan level_span(const PagingFormat& fmt, unsigned li) {
    LevelSpan s;
    s.shallow = linux_index(fmt.levels[li].linux_name);
    s.deep = li + 1 < fmt.level_count ? linux_index(fmt.levels[li + 1].linux_name) - 1 : 4;
    return s;
}
[[nodiscard]] bool level_present(const PagingFormat& fmt, int linux_level) {
    for (unsigned i = 0; i < fmt.level_count; ++i)
        if (linux_index(fmt.levels[i].linux_name) == linux_level)
            return true;
    return false;
}

// One note_page call.
struct Note {
    u64 addr = 0;
    int level = 0;
    u64 val = 0;
    u64 x86_eff = 0; // x86: prot_levels[level] as effective_prot leaves it
};

// "%9lu%c" with the unit loop of note_page: x86 5.6+ starts from bytes ("BKMGTPE"), arm and
// arm64 from KiB ("KMGTPE").
[[nodiscard]] std::string size_field(u64 delta, bool from_bytes) {
    static constexpr std::string_view bytes_units = "BKMGTPE";
    static constexpr std::string_view kib_units = "KMGTPE";
    const std::string_view units = from_bytes ? bytes_units : kib_units;
    if (!from_bytes)
        delta >>= 10;
    std::size_t u = 0;
    while ((delta & 1023) == 0 && u + 1 < units.size()) {
        delta >>= 10;
        ++u;
    }
    return fmt::format("{:9}{}", delta, units[u]);
}

// --- x86: arch/x86/mm/dump_pagetables.c (note_page, printk_prot; checked on 6.16) ----------

class X86Dumper {
  public:
    X86Dumper(const std::vector<PtdumpMarker>& markers, const PtdumpRules& rules)
        : m_markers(markers), m_rules(rules) {
        // PTE_FLAGS_MASK = ~PTE_PFN_MASK: everything but bits 12..__PHYSICAL_MASK_SHIFT-1
        // (so PAT_LARGE, bit 12, never reaches a large page's printed flags).
        m_flags = ~bit_mask(rules.x86_physical_mask_shift - 1, 12) & word_mask(rules.word_bits);
    }

    void note(u64 addr, int level, u64 val, u64 eff_in) {
        const u64 new_prot = val & m_flags;
        const u64 new_eff = val == 0 ? 0 : eff_in;
        if (m_level == -1) {
            m_cur = new_prot;
            m_eff = new_eff;
            m_level = level;
            m_marker = 0;
            m_lines = 0;
            m_out += fmt::format("---[ {} ]---\n", m_markers[0].name);
            return;
        }
        const bool crosses = addr >= next_marker();
        if (new_prot == m_cur && new_eff == m_eff && level == m_level && !crosses)
            return;
        const PtdumpMarker& mk = m_markers[m_marker];
        if (mk.max_lines == 0 || m_lines < mk.max_lines) {
            const int width = static_cast<int>(m_rules.word_bits / 4);
            m_out += fmt::format("0x{:0{}x}-0x{:0{}x}   ", m_start, width, addr, width);
            m_out += size_field((addr - m_start) & word_mask(m_rules.word_bits), true);
            m_out += ' ';
            prot(m_cur, m_level);
        }
        ++m_lines;
        if (crosses) {
            if (mk.max_lines != 0 && m_lines > mk.max_lines) {
                const u64 nskip = m_lines - mk.max_lines;
                m_out +=
                    fmt::format("... {} entr{} skipped ... \n", nskip, nskip == 1 ? "y" : "ies");
            }
            ++m_marker;
            m_lines = 0;
            m_out += fmt::format("---[ {} ]---\n", m_markers[m_marker].name);
        }
        m_start = addr;
        m_cur = new_prot;
        m_eff = new_eff;
        m_level = level;
    }

    // note_page_flush: address 0, level -1.
    std::string finish() && {
        note(0, -1, 0, 0);
        return std::move(m_out);
    }

  private:
    [[nodiscard]] u64 next_marker() const {
        return m_marker + 1 < m_markers.size() ? m_markers[m_marker + 1].start : ~u64{0};
    }

    void prot(u64 pr, int level) {
        using namespace x86;
        if ((pr & _PAGE_PRESENT) == 0) {
            m_out += std::string(30, ' ');
        } else {
            m_out += (pr & _PAGE_USER) ? "USR " : "    ";
            m_out += (pr & _PAGE_RW) ? "RW " : "ro ";
            m_out += (pr & _PAGE_PWT) ? "PWT " : "    ";
            m_out += (pr & _PAGE_PCD) ? "PCD " : "    ";
            // Bit 7 is PSE above the PTE level and PAT in a PTE.
            m_out += (level <= 3 && (pr & _PAGE_PSE)) ? "PSE " : "    ";
            const bool pat = (level == 4 && (pr & _PAGE_PAT)) ||
                             ((level == 3 || level == 2) && (pr & _PAGE_PAT_LARGE));
            m_out += pat ? "PAT " : "    ";
            m_out += (pr & _PAGE_GLOBAL) ? "GLB " : "    ";
            m_out += (pr & _PAGE_NX) ? "NX " : "x  ";
        }
        m_out += level >= 0 ? kLinuxLevels[static_cast<unsigned>(level)] : std::string_view{};
        m_out += '\n';
    }

    const std::vector<PtdumpMarker>& m_markers;
    const PtdumpRules& m_rules;
    u64 m_flags = 0;
    int m_level = -1;
    u64 m_cur = 0, m_eff = 0, m_start = 0, m_lines = 0;
    std::size_t m_marker = 0;
    std::string m_out;
};

// effective_prot over the path: USER and RW ANDed, NX ORed (dump_pagetables.c 5.6+). Any note
// below the pgd level has been combined at least once, which keeps only those three bits.
[[nodiscard]] u64 x86_effective(const TraversalItem& item) {
    using namespace x86;
    u64 ur = _PAGE_USER | _PAGE_RW, nx = 0;
    for (unsigned i = 0; i < item.depth; ++i) {
        ur &= item.path[i];
        nx |= item.path[i] & _PAGE_NX;
    }
    return ur | nx;
}

// The note_page calls of ptdump_walk_pgd for a traversal (merge_holes off: one call per entry).
[[nodiscard]] std::vector<Note>
notes_for(const PagingFormat& fmt, const std::vector<TraversalItem>& items, PtdumpStyle style) {
    std::vector<Note> notes;
    notes.reserve(items.size());
    const bool p4d_folded = !level_present(fmt, 1), pud_folded = !level_present(fmt, 2);
    for (const TraversalItem& it : items) {
        const LevelSpan span = level_span(fmt, it.format_level);
        Note n;
        n.addr = it.va.get();
        n.val = it.raw;
        if (it.kind == TraversalItemKind::Leaf || it.kind == TraversalItemKind::BadEntry) {
            n.level = span.deep;
            // arm64 note_page: a leaf at a folded p4d or pud level is reported as pgd.
            if (style == PtdumpStyle::Arm64 &&
                ((n.level == 1 && p4d_folded) || (n.level == 2 && pud_folded)))
                n.level = 0;
        } else {
            // Holes, and tables kmemu cannot follow (shown as one entry at their level).
            n.level = span.shallow;
        }
        n.x86_eff = x86_effective(it);
        notes.push_back(n);
    }
    return notes;
}

// --- arm64: arch/arm64/mm/ptdump.c (note_page, pte_bits; checked on 6.16) -------------------

struct ProtBit {
    u64 mask;
    u64 val;
    std::string_view set;
    std::string_view clear; // empty: print nothing when clear
    bool has_clear;
};

constexpr u64 b(unsigned n) {
    return u64{1} << n;
}

// MT_NORMAL 0, MT_NORMAL_TAGGED 1, MT_NORMAL_NC 2, MT_DEVICE_nGnRnE 3, MT_DEVICE_nGnRE 4
// (arch/arm64/include/asm/memory.h, 5.11+); AttrIndx is bits 4:2.
constexpr std::array<ProtBit, 16> kArm64Bits = {{
    {b(0), b(0), " ", "F", true},                           // PTE_VALID
    {b(6), b(6), "USR", "   ", true},                       // PTE_USER
    {b(7), b(7), "ro", "RW", true},                         // PTE_RDONLY
    {b(53), b(53), "NX", "x ", true},                       // PTE_PXN
    {u64{3} << 8, u64{3} << 8, "SHD", "   ", true},         // PTE_SHARED
    {b(10), b(10), "AF", "  ", true},                       // PTE_AF
    {b(11), b(11), "NG", "  ", true},                       // PTE_NG
    {b(52), b(52), "CON", "   ", true},                     // PTE_CONT
    {u64{3}, u64{1}, "BLK", "   ", true},                   // PMD_TYPE_SECT
    {b(54), b(54), "UXN", "   ", true},                     // PTE_UXN
    {b(50), b(50), "GP", "  ", true},                       // PTE_GP
    {u64{7} << 2, u64{3} << 2, "DEVICE/nGnRnE", "", false}, //
    {u64{7} << 2, u64{4} << 2, "DEVICE/nGnRE", "", false},  //
    {u64{7} << 2, u64{2} << 2, "MEM/NORMAL-NC", "", false}, //
    {u64{7} << 2, u64{0} << 2, "MEM/NORMAL", "", false},    //
    {u64{7} << 2, u64{1} << 2, "MEM/NORMAL-TAGGED", "", false},
}};

template <std::size_t N>
[[nodiscard]] u64 mask_of(const std::array<ProtBit, N>& bits) {
    u64 m = 0;
    for (const ProtBit& p : bits)
        m |= p.mask;
    return m;
}

template <std::size_t N>
void dump_prot(std::string& out, u64 prot, const std::array<ProtBit, N>& bits) {
    for (const ProtBit& p : bits) {
        if ((prot & p.mask) == p.val) {
            out += ' ';
            out += p.set;
        } else if (p.has_clear) {
            out += ' ';
            out += p.clear;
        }
    }
}

class Arm64Dumper {
  public:
    explicit Arm64Dumper(const std::vector<PtdumpMarker>& markers) : m_markers(markers) {}

    void note(u64 addr, int level, u64 val) {
        static constexpr std::array<std::string_view, 5> names = {"PGD", "P4D", "PUD", "PMD",
                                                                  "PTE"};
        const u64 prot = level >= 0 ? val & mask_of(kArm64Bits) : 0;
        if (m_level == -1) {
            m_level = level;
            m_cur = prot;
            m_start = addr;
            m_out += fmt::format("---[ {} ]---\n", m_markers[m_marker].name);
        } else if (prot != m_cur || level != m_level || addr >= next_marker()) {
            m_out += fmt::format("0x{:016x}-0x{:016x}   ", m_start, addr);
            m_out += size_field(addr - m_start, false);
            m_out += ' ';
            m_out += names[static_cast<unsigned>(m_level)];
            if (m_cur != 0)
                dump_prot(m_out, m_cur, kArm64Bits);
            m_out += '\n';
            if (addr >= next_marker())
                advance();
            m_start = addr;
            m_cur = prot;
            m_level = level;
        }
        // note_page checks the marker once more after either branch.
        if (addr >= next_marker())
            advance();
    }

    std::string finish() && {
        note(0, -1, 0);
        return std::move(m_out);
    }

  private:
    [[nodiscard]] u64 next_marker() const {
        return m_marker + 1 < m_markers.size() ? m_markers[m_marker + 1].start : ~u64{0};
    }
    void advance() {
        if (m_marker + 1 >= m_markers.size())
            return;
        ++m_marker;
        m_out += fmt::format("---[ {} ]---\n", m_markers[m_marker].name);
    }

    const std::vector<PtdumpMarker>& m_markers;
    int m_level = -1;
    u64 m_cur = 0, m_start = 0;
    std::size_t m_marker = 0;
    std::string m_out;
};

// --- arm: arch/arm/mm/dump.c (walk_pgd/walk_pmd/walk_pte, note_page; checked on 6.16) -------

// Sections on ARMv6+ without LPAE: AP[2], AP[1:0] as four named combinations, XN, S.
constexpr u64 kApx = b(15), kApRead = b(11), kApWrite = b(10);
constexpr std::array<ProtBit, 6> kArmSectionBits = {{
    {kApx | kApRead | kApWrite, kApx | kApWrite, "    ro", "", false},
    {kApx | kApRead | kApWrite, kApWrite, "    RW", "", false},
    {kApx | kApRead | kApWrite, kApRead, "USR ro", "", false},
    {kApx | kApRead | kApWrite, kApRead | kApWrite, "USR RW", "", false},
    {b(4), b(4), "NX", "x ", true},
    {b(16), b(16), "SHD", "   ", true},
}};

// Linux PTE bits (3.x+ polarity: L_PTE_RDONLY, L_PTE_XN) and the L_PTE_MT_* types in the
// order dump.c lists them.
constexpr u64 kMt = arm_linux::L_PTE_MT.mask();
constexpr u64 mt(u8 v) {
    return u64{v} << 2;
}
constexpr std::array<ProtBit, 14> kArmPteBits = {{
    {arm_linux::L_PTE_USER, arm_linux::L_PTE_USER, "USR", "   ", true},
    {arm_linux::L_PTE_RDONLY, arm_linux::L_PTE_RDONLY, "ro", "RW", true},
    {arm_linux::L_PTE_XN, arm_linux::L_PTE_XN, "NX", "x ", true},
    {arm_linux::L_PTE_SHARED, arm_linux::L_PTE_SHARED, "SHD", "   ", true},
    {kMt, mt(arm_linux::MT_UNCACHED), "SO/UNCACHED", "", false},
    {kMt, mt(arm_linux::MT_BUFFERABLE), "MEM/BUFFERABLE/WC", "", false},
    {kMt, mt(arm_linux::MT_WRITETHROUGH), "MEM/CACHED/WT", "", false},
    {kMt, mt(arm_linux::MT_WRITEBACK), "MEM/CACHED/WBRA", "", false},
    {kMt, mt(arm_linux::MT_MINICACHE), "MEM/MINICACHE", "", false},
    {kMt, mt(arm_linux::MT_WRITEALLOC), "MEM/CACHED/WBWA", "", false},
    {kMt, mt(arm_linux::MT_DEV_SHARED), "DEV/SHARED", "", false},
    {kMt, mt(arm_linux::MT_DEV_NONSHARED), "DEV/NONSHARED", "", false},
    {kMt, mt(arm_linux::MT_DEV_WC), "DEV/WC", "", false},
    {kMt, mt(arm_linux::MT_DEV_CACHED), "DEV/CACHED", "", false},
}};

// get_domain_name: DOMAIN_KERNEL 0, DOMAIN_USER 1, DOMAIN_IO 2, DOMAIN_VECTORS 3 (domain.h
// without CONFIG_IO_36); every other value is the one "unknown" string.
constexpr std::array<std::string_view, 5> kDomainNames = {"KERNEL ", "USER   ", "IO     ",
                                                          "VECTORS", "unknown"};

class ArmDumper {
  public:
    ArmDumper(const std::vector<PtdumpMarker>& markers, const PtdumpRules& rules)
        : m_markers(markers), m_rules(rules) {}

    // level: 4 = the PGD/PMD section level, 5 = PTE, 0 = the final flush. domain -1 = NULL.
    void note(u64 addr, unsigned level, u64 val, int domain) {
        if (!m_rules.arm_domains)
            domain = -1;
        const u64 prot = level == 4   ? val & mask_of(kArmSectionBits)
                         : level == 5 ? val & mask_of(kArmPteBits)
                                      : 0;
        if (m_level == 0) {
            m_level = level;
            m_cur = prot;
            m_domain = domain;
            m_out += fmt::format("---[ {} ]---\n", m_markers[m_marker].name);
            return;
        }
        const bool crosses = addr >= next_marker();
        if (prot == m_cur && level == m_level && domain == m_domain && !crosses)
            return;
        if (m_cur != 0) {
            m_out += fmt::format("0x{:08x}-0x{:08x}   ", m_start, addr);
            m_out += size_field((addr - m_start) & 0xffffffffu, false);
            m_out += m_level == 4 ? " PGD" : " PTE";
            if (m_domain >= 0) {
                m_out += ' ';
                m_out += kDomainNames[static_cast<unsigned>(m_domain)];
            }
            if (m_level == 4)
                dump_prot(m_out, m_cur, kArmSectionBits);
            else
                dump_prot(m_out, m_cur, kArmPteBits);
            m_out += '\n';
        }
        if (crosses && m_marker + 1 < m_markers.size()) {
            ++m_marker;
            m_out += fmt::format("---[ {} ]---\n", m_markers[m_marker].name);
        }
        m_start = addr;
        m_cur = prot;
        m_domain = domain;
        m_level = level;
    }

    std::string finish() && {
        note(0, 0, 0, -1);
        return std::move(m_out);
    }

  private:
    [[nodiscard]] u64 next_marker() const {
        return m_marker + 1 < m_markers.size() ? m_markers[m_marker + 1].start : 0xffffffffu;
    }

    const std::vector<PtdumpMarker>& m_markers;
    const PtdumpRules& m_rules;
    unsigned m_level = 0;
    u64 m_cur = 0, m_start = 0;
    int m_domain = -1;
    std::size_t m_marker = 0;
    std::string m_out;
};

[[nodiscard]] int domain_of(u64 l1) {
    const u64 d = arm_short::L1_DOMAIN.get(l1);
    return d < 4 ? static_cast<int>(d) : 4;
}

// walk_pgd over the 2048 Linux PGD slots of 2 MiB (each the pair of hardware L1 entries);
// walk_pte reads the 512 Linux PTEs at the start of the PTE page (3.x+ arrangement).
ErrorOr<std::string> render_arm(PageTableMemory& mem, const MmuState& mmu,
                                const std::vector<PtdumpMarker>& markers,
                                const PtdumpRules& rules) {
    ArmDumper d(markers, rules);
    const PhysAddr pgd = mmu.root.align_down(16 * KiB); // TTBR0 bits 13:0 ignored (N = 0)
    const auto load = [&](PhysAddr pa) -> ErrorOr<u64> {
        auto v = mem.load_descriptor(pa, DescriptorWidth::Bytes4);
        if (v.is_error())
            return make_error(ErrorKind::NotFound,
                              "ptdump: the page table at {:#x} is not in memory", pa);
        return v.value();
    };
    for (unsigned i = 0; i < arm_linux::PTRS_PER_PGD; ++i) {
        const u64 addr = u64{i} << arm_linux::PGDIR_SHIFT;
        const u64 e0 = TRY(load(pgd.offset(u64{i} * 8)));
        const u64 e1 = TRY(load(pgd.offset(u64{i} * 8 + 4)));
        const bool leaf0 = (e0 & arm_short::PMD_TYPE_SECT) != 0; // pmd_leaf: bit 1
        if (e0 == 0 || leaf0) {
            d.note(addr, 4, e0, domain_of(e0));
        } else {
            const PhysAddr page(e0 & bit_mask(31, 12)); // pmd_page_vaddr: PAGE_MASK
            for (unsigned j = 0; j < arm_linux::PTRS_PER_PTE; ++j) {
                const u64 pte = TRY(load(page.offset(arm_linux_pte_offset(ArmPteEra::V4, j))));
                d.note(addr + (u64{j} << 12), 5, pte, domain_of(e0));
            }
        }
        // SECTION_SIZE < PMD_SIZE: the second section of the pair is noted on its own.
        if ((e1 & arm_short::PMD_TYPE_SECT) != 0)
            d.note(addr + (u64{1} << arm_linux::SECTION_SHIFT), 4, e1, domain_of(e1));
    }
    return std::move(d).finish();
}

} // namespace

ErrorOr<PtdumpRules> ptdump_rules_for(Arch arch, KernelVersion version) {
    PtdumpRules r;
    switch (arch) {
    case Arch::I386:
    case Arch::I386Pae:
    case Arch::X86_64:
    case Arch::X86_64La57:
        // The generic walker (mm/ptdump.c) arrived in 5.6; older dumps are not modelled.
        if (!version.at_least(5, 6))
            return make_error(ErrorKind::InvalidConfig,
                              "ptdump: the x86 page-table dump is modelled from kernel 5.6 "
                              "(generic ptdump walker); kernel={}.{} is older",
                              version.major, version.minor);
        r.style = PtdumpStyle::X86;
        r.word_bits = (arch == Arch::X86_64 || arch == Arch::X86_64La57) ? 64 : 32;
        // __PHYSICAL_MASK_SHIFT: 52 on x86_64, 44 on PAE, 32 without PAE (page_*_types.h).
        r.x86_physical_mask_shift = r.word_bits == 64 ? 52 : arch == Arch::I386Pae ? 44 : 32;
        r.x86_guard_hole_split = r.word_bits == 64;
        return r;
    case Arch::Arm:
        // arch/arm/mm/dump.c; the FDT Area marker (FDT_FIXED_BASE) exists from 5.11.
        if (!version.at_least(5, 11))
            return make_error(ErrorKind::InvalidConfig,
                              "ptdump: the arm page-table dump is modelled from kernel 5.11; "
                              "kernel={}.{} is older",
                              version.major, version.minor);
        r.style = PtdumpStyle::Arm;
        r.word_bits = 32;
        return r;
    case Arch::ArmLpae:
        return make_error(ErrorKind::InvalidConfig,
                          "ptdump: arch=arm-lpae is not modelled (allowed: i386, i386-pae, "
                          "x86_64, x86_64-la57, arm, arm64)");
    case Arch::Arm64:
        // 6.x columns (F, GP) and markers (Linear Mapping first, FIXADDR_TOT_START).
        if (!version.at_least(6, 0))
            return make_error(ErrorKind::InvalidConfig,
                              "ptdump: the arm64 page-table dump is modelled from kernel 6.0; "
                              "kernel={}.{} is older",
                              version.major, version.minor);
        r.style = PtdumpStyle::Arm64;
        r.word_bits = 64;
        return r;
    }
    return make_error(ErrorKind::Internal, "ptdump: unknown arch");
}

ErrorOr<std::vector<PtdumpMarker>> ptdump_markers(const Layout& l, const PtdumpRules& rules) {
    std::vector<PtdumpMarker> m;
    const auto region_start = [&](std::string_view name) -> std::optional<u64> {
        if (const NamedRegion* r = l.region(name))
            return r->start.get();
        return std::nullopt;
    };
    const auto add_region = [&](std::string_view region, std::string name, u64 max_lines = 0) {
        if (auto s = region_start(region))
            m.push_back(PtdumpMarker{*s, std::move(name), max_lines});
    };
    switch (rules.style) {
    case PtdumpStyle::X86:
        if (rules.word_bits == 64) {
            // address_markers[] of dump_pagetables.c (CONFIG_X86_64): optional entries appear
            // when the Layout has the region.
            m.push_back({0, "User Space"});
            m.push_back({u64{1} << 63, "Kernel Space"});
            add_region("ldt_remap", "LDT remap");
            m.push_back({l.page_offset.get(), "Low Kernel Mapping"});
            m.push_back({l.vmalloc_start.get(), "vmalloc() Area"});
            add_region("vmemmap", "Vmemmap");
            add_region("cpu_entry_area", "CPU entry Area");
            add_region("espfix", "ESPfix Area", 16);
            add_region("efi", "EFI Runtime Services");
            add_region("kernel_text", "High Kernel Mapping");
            m.push_back({l.modules_vaddr.get(), "Modules"});
            m.push_back({l.modules_end.get(), "End Modules"});
            m.push_back({l.fixaddr_start.get(), "Fixmap Area"});
            m.push_back({~u64{0}, ""});
        } else {
            // CONFIG_X86_32; the LDT and CPU entry area markers need regions the i386 Layout
            // does not name yet, and are left out when absent.
            m.push_back({0, "User Space"});
            m.push_back({l.page_offset.get(), "Kernel Mapping"});
            m.push_back({l.vmalloc_start.get(), "vmalloc() Area"});
            m.push_back({l.vmalloc_end.get(), "vmalloc() End"});
            if (l.pkmap_base)
                m.push_back({l.pkmap_base->get(), "Persistent kmap() Area"});
            add_region("ldt_remap", "LDT remap");
            add_region("cpu_entry_area", "CPU entry area");
            m.push_back({l.fixaddr_start.get(), "Fixmap area"});
            m.push_back({0xffffffffu, ""});
        }
        break;
    case PtdumpStyle::Arm:
        // address_markers[] of arch/arm/mm/dump.c (no KASAN). FDT_FIXED_BASE 0xff800000,
        // VECTORS_BASE 0xffff0000 (high vectors), vectors and stubs pages.
        m.push_back({l.modules_vaddr.get(), "Modules"});
        m.push_back({l.page_offset.get(), "Kernel Mapping"});
        m.push_back({l.vmalloc_start.get(), "vmalloc() Area"});
        if (rules.arm_fdt_marker)
            m.push_back({0xff800000u, "FDT Area"});
        m.push_back({l.fixaddr_start.get(), "Fixmap Area"});
        m.push_back({0xffff0000u, "Vectors"});
        m.push_back({0xffff0000u + 2 * l.page_size(), "Vectors End"});
        m.push_back({0xffffffffu, ""});
        break;
    case PtdumpStyle::Arm64: {
        // ptdump_init of arch/arm64/mm/ptdump.c (no KASAN). PAGE_END is the end of the
        // linear map half; vmemmap and PCI I/O come from the Layout's regions.
        const u64 va_bits = 64 - static_cast<unsigned>(__builtin_clzll(~l.page_offset.get()));
        const u64 page_end = l.page_offset.get() + (u64{1} << (va_bits - 1));
        m.push_back({l.page_offset.get(), "Linear Mapping start"});
        m.push_back({page_end, "Linear Mapping end"});
        m.push_back({l.modules_vaddr.get(), "Modules start"});
        m.push_back({l.modules_end.get(), "Modules end"});
        m.push_back({l.vmalloc_start.get(), "vmalloc() area"});
        m.push_back({l.vmalloc_end.get(), "vmalloc() end"});
        if (const NamedRegion* r = l.region("vmemmap")) {
            m.push_back({r->start.get(), "vmemmap start"});
            m.push_back({r->end.get(), "vmemmap end"});
        }
        if (const NamedRegion* r = l.region("pci_io")) {
            m.push_back({r->start.get(), "PCI I/O start"});
            m.push_back({r->end.get(), "PCI I/O end"});
        }
        m.push_back({l.fixaddr_start.get(), "Fixmap start"});
        m.push_back({l.fixaddr_top.get(), "Fixmap end"});
        m.push_back({~u64{0}, ""});
        break;
    }
    }
    return m;
}

ErrorOr<std::string> render_ptdump_with_markers(const PagingFormat& fmt, PageTableMemory& mem,
                                                const MmuState& mmu,
                                                const std::vector<PtdumpMarker>& markers,
                                                const PtdumpRules& rules) {
    if (markers.size() < 2)
        return make_error(ErrorKind::InvalidConfig,
                          "ptdump: at least one marker and the end sentinel are needed");
    const bool family_ok =
        (rules.style == PtdumpStyle::X86 && fmt.family == DescriptorFamily::X86) ||
        (rules.style == PtdumpStyle::Arm && fmt.family == DescriptorFamily::ArmShort) ||
        (rules.style == PtdumpStyle::Arm64 && fmt.split == VaSplit::Arm64TtbrPair);
    if (!family_ok)
        return make_error(ErrorKind::InvalidConfig, "ptdump: format {} does not fit the rules",
                          fmt.name);
    if (rules.style == PtdumpStyle::Arm)
        return render_arm(mem, mmu, markers, rules);

    TraverseOptions opts;
    opts.merge_holes = false;
    auto items = TRY(traverse_all(fmt, mem, mmu, opts));
    const std::vector<Note> notes = notes_for(fmt, items, rules.style);

    if (rules.style == PtdumpStyle::Arm64) {
        // ptdump_walk: the kernel tree from PAGE_OFFSET (_PAGE_OFFSET(vabits_actual)) up.
        Arm64Dumper d(markers);
        for (const Note& n : notes)
            if (n.addr >= markers.front().start)
                d.note(n.addr, n.level, n.val);
        return std::move(d).finish();
    }

    // ptdump_walk_pgd_level_core ranges: x86_64 walks [0, half of the PGD span) and
    // [GUARD_HOLE_END_ADDR, ~0] (16 PGD slots from slot -256 skipped); 32-bit everything.
    u64 low_end = ~u64{0}, high_start = 0;
    if (rules.x86_guard_hole_split) {
        const unsigned pgdir_shift = fmt.levels[0].index_shift;
        low_end = u64{1} << (fmt.va_bits - 1);
        high_start = (~u64{0} << (pgdir_shift + 8)) + (u64{16} << pgdir_shift);
    }
    X86Dumper d(markers, rules);
    for (const Note& n : notes)
        if (n.addr < low_end || n.addr >= high_start)
            d.note(n.addr, n.level, n.val, n.x86_eff);
    return std::move(d).finish();
}

ErrorOr<std::string> render_ptdump(const PagingFormat& fmt, PageTableMemory& mem,
                                   const MmuState& mmu, const Layout& layout,
                                   KernelVersion version) {
    const PtdumpRules rules = TRY(ptdump_rules_for(layout.arch, version));
    const auto markers = TRY(ptdump_markers(layout, rules));
    return render_ptdump_with_markers(fmt, mem, mmu, markers, rules);
}

} // namespace kmemu
