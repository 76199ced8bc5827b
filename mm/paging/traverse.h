// An inspection traversal of a whole page-table tree (DESIGN.md lesson 4): every entry of every
// table reachable from the roots, in address order, reported as leaf mappings and holes. It
// stores nothing. Tables are read through PageTableMemory only; a table that sits in a hole is
// reported, not followed; depth is bounded by the format, and a table that is already on the
// path from the root (a loop) is reported, not followed. Sharing without a loop (one table
// reachable from many entries) is followed each time, up to a budget of visited entries.
//
// Leaves carry the translation the one walker (walk.h) gives for a kernel read of the leaf's
// first address, so the traversal and the walk never disagree about a mapping.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <vector>

#include "mm/error.h"
#include "mm/paging/format.h"
#include "mm/paging/table_memory.h"
#include "mm/paging/walk.h"
#include "mm/types.h"

namespace kmemu::paging {

enum class TraversalItemKind : u8 {
    Leaf,        // a page, large page, section or block
    Hole,        // one or more consecutive entries of one table that match no kind
    TableInHole, // a table entry whose next table is not memory the walker may read
    TableLoop,   // a table entry pointing at a table already on the path from the root
    BadEntry,    // a present entry the hardware rejects (x86 reserved bits, ARM address size)
};

struct TraversalItem {
    TraversalItemKind kind = TraversalItemKind::Hole;
    VirtAddr va;  // first address covered (sign-extended on x86_64, TTBR1 addresses on arm64)
    u64 size = 0; // bytes covered: the entry's span, times the count for a merged hole
    u8 format_level = 0;         // index into PagingFormat::levels
    u32 index = 0;               // index of the (first) entry in its table
    u32 count = 1;               // entries merged (holes only; 1 otherwise)
    PhysAddr table;              // the table holding the entry
    PhysAddr entry_addr;         // the (first) entry
    u64 raw = 0;                 // the entry (0 or the non-matching value of the first hole entry)
    std::int8_t entry_kind = -1; // index into LevelFormat::kinds, -1 for holes
    PhysAddr next;               // TableInHole / TableLoop: the table it points at
    // Raw entries from the root down to this one (path[depth - 1] == raw).
    std::array<u64, 5> path{};
    u8 depth = 0;
    bool high_root = false; // reached from TTBR1 (arm64, LPAE with T1SZ > 0)
    // Leaves: the walker's answer for a kernel read of `va`.
    std::optional<Translation> translation;
    std::optional<WalkFault> fault; // leaves the walker refuses (AF = 0, AP = 00, domain)
};

struct TraverseOptions {
    // Entries read before the traversal gives up with an error (a tree of shared tables).
    u64 max_entries = u64{1} << 24;
    // Merge consecutive non-matching entries of one table into one Hole item.
    bool merge_holes = true;
};

using TraversalVisitor = std::function<void(const TraversalItem&)>;

// Visits every entry reachable from the MMU state's roots in address order: TTBR0 (or CR3)
// first, then TTBR1 where the format has one. An error means unusable inputs or an exceeded
// budget; every hardware oddity is an item.
[[nodiscard]] ErrorOr<void> traverse(const PagingFormat& fmt, PageTableMemory& mem,
                                     const MmuState& mmu, const TraversalVisitor& visit,
                                     const TraverseOptions& options = {});

// The same, collected.
[[nodiscard]] ErrorOr<std::vector<TraversalItem>> traverse_all(const PagingFormat& fmt,
                                                               PageTableMemory& mem,
                                                               const MmuState& mmu,
                                                               const TraverseOptions& options = {});

// Only the leaves, in address order.
[[nodiscard]] ErrorOr<std::vector<TraversalItem>>
traverse_leaves(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu);

[[nodiscard]] std::string_view traversal_item_kind_name(TraversalItemKind kind);

} // namespace kmemu::paging
