// The kernel's page-table dump (/sys/kernel/debug/page_tables/kernel on x86 with
// CONFIG_PTDUMP_DEBUGFS / X86_PTDUMP, /sys/kernel/debug/kernel_page_tables on arm and arm64),
// byte for byte. Each arch's note_page is reproduced as a small state machine fed with the
// same (address, level, value) calls the kernel's walker makes, so merging of consecutive
// identical entries and the "---[ marker ]---" lines come out where the kernel puts them.
//
// Modelled formats (checked against the kernel sources named in ptdump.cpp):
// * x86: the generic-walker format (mm/ptdump.c, 5.6+); earlier versions are refused.
// * arm (short descriptors): arch/arm/mm/dump.c with domains and the FDT marker (5.11+
//   markers); LPAE is refused.
// * arm64: arch/arm64/mm/ptdump.c of 6.x (F/GP columns, Linear Mapping first).
#pragma once

#include <string>
#include <vector>

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/kernel_version.h"
#include "mm/layout.h"
#include "mm/paging/format.h"
#include "mm/paging/table_memory.h"
#include "mm/paging/walk.h"

namespace kmemu {

enum class PtdumpStyle : u8 { X86, Arm, Arm64 };

// What differs between arches and versions, decided once in ptdump_rules_for.
struct PtdumpRules {
    PtdumpStyle style = PtdumpStyle::X86;
    unsigned word_bits = 64;
    // x86: __PHYSICAL_MASK_SHIFT; PTE_FLAGS_MASK keeps the bits outside 12..shift-1.
    unsigned x86_physical_mask_shift = 52;
    // x86_64: the walk skips the guard hole after the user half.
    bool x86_guard_hole_split = false;
    // arm: the domain column (get_domain_name) and the FDT Area marker.
    bool arm_domains = true;
    bool arm_fdt_marker = true;
};

[[nodiscard]] ErrorOr<PtdumpRules> ptdump_rules_for(Arch arch, KernelVersion version);

// One "---[ name ]---" marker; max_lines > 0 truncates the lines under it (x86 ESPfix).
struct PtdumpMarker {
    u64 start = 0;
    std::string name;
    u64 max_lines = 0;
};

// The arch's marker table with the Layout's addresses, ending with the kernel's -1 sentinel.
[[nodiscard]] ErrorOr<std::vector<PtdumpMarker>> ptdump_markers(const Layout& layout,
                                                                const PtdumpRules& rules);

// The dump of the tree under `mmu` (CR3 / TTBR0 / TTBR1) with explicit markers.
[[nodiscard]] ErrorOr<std::string>
render_ptdump_with_markers(const paging::PagingFormat& fmt, paging::PageTableMemory& mem,
                           const paging::MmuState& mmu, const std::vector<PtdumpMarker>& markers,
                           const PtdumpRules& rules);

// The dump with the markers of `layout` and the rules of `version`.
[[nodiscard]] ErrorOr<std::string> render_ptdump(const paging::PagingFormat& fmt,
                                                 paging::PageTableMemory& mem,
                                                 const paging::MmuState& mmu, const Layout& layout,
                                                 KernelVersion version);

} // namespace kmemu
