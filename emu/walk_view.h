// A human-readable page-table walk of one address (kmemu walk): per level the level's name as
// the architecture names it (x86: the kernel's PGD/P4D/PUD/PMD/PTE with the SDM's entry name
// in parentheses; ARM short: L1/L2; LPAE and arm64: L0-L3), the index, the entry's physical
// address, the raw entry in the entry width and its decoded fields by the manual's names;
// then the translation (PA, page size, permissions) or the fault and why. Built from a
// WalkRecord only, so it shows exactly what the walker did.
#pragma once

#include <string>

#include "mm/paging/format.h"
#include "mm/paging/walk.h"

namespace kmemu {

// The level label of `format_level`: "PMD (PDE)", "L2", "L0".
[[nodiscard]] std::string walk_level_label(const paging::PagingFormat& fmt, unsigned format_level);

// The decoded fields of one visited entry: "P RW A D PS G NX -> 0x200000".
[[nodiscard]] std::string describe_entry(const paging::PagingFormat& fmt,
                                         const paging::LevelRecord& level);

// The whole walk as text, lines ending in '\n'. `root` is the table register value used (CR3,
// TTBR0 or TTBR1) as the caller knows it.
[[nodiscard]] std::string render_walk_text(const paging::PagingFormat& fmt,
                                           const paging::WalkRecord& rec,
                                           const paging::MmuState& mmu);

} // namespace kmemu
