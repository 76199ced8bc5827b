// The software TLB of one address space (DESIGN.md decision 5; QEMU's softmmu CPUTLBEntry):
// a direct-mapped array indexed by the low bits of the virtual page number.
//
// Each slot has a hot half, read by the inline fast path, and a cold half, read by the slow
// path and by invalidation:
// * hot:  tag = page VA | the access bits the fast path may serve, and the host address of the
//         page's first byte. A slot serves an access when (tag & (page mask | bit)) equals
//         (page VA | bit): one AND and one compare; an empty slot (tag 0) matches nothing.
// * cold: what the walk found (physical page, leaf size and VA, permissions, global), which
//         table frames it read (for invalidation on page-table writes), and why the hot half
//         may serve less than the translation allows (watched frame, zero page, no frame).
//
// Invariants:
// * hot bits are a subset of the cold permissions;
// * a hot write bit is never set for a watched frame (page-table stores then always reach
//   PhysicalMemory and its observer), nor for a frame not yet written (whose host pointer is
//   the shared zero page);
// * hot read/execute bits are never set over the zero page: reads of a never-written frame go
//   through PhysicalMemory::read, so no pointer to the zero page is ever used on the fast path
//   and nothing goes stale when the frame is first written by another path;
// * on x86 the cold write permission is set only after a walk that left D set in the leaf
//   (a write walk, or a read walk that found D already set), as a hardware TLB caches the
//   dirty state with the translation (SDM vol. 3 §4.8).
// Large pages (2M/4M/1G, sections, blocks) are filled one base page per slot; the cold half
// keeps the leaf's VA and size so flush_tlb_page inside a large page drops all its slots.
#pragma once

#include <array>
#include <cstddef>

#include "mm/paging/walk.h"
#include "mm/types.h"

namespace kmemu::mmu {

inline constexpr unsigned kTlbEntries = 256; // a power of two

// One bit per (access type, privilege): bit 2 * type + privilege, so 6 bits (all below the
// smallest page offset, 4 KiB, where the tag keeps them).
[[nodiscard]] constexpr u64 perm_bit(paging::Access a) {
    return u64{1} << (2u * static_cast<unsigned>(a.type) + static_cast<unsigned>(a.privilege));
}
inline constexpr u64 kWriteBits =
    perm_bit({paging::AccessType::Write, paging::Privilege::User}) |
    perm_bit({paging::AccessType::Write, paging::Privilege::Supervisor});
inline constexpr u64 kAllPermBits = 0x3f;
static_assert(kAllPermBits < 4096);

[[nodiscard]] constexpr u64 perm_bits_of(const paging::Permissions& p) {
    using paging::AccessType;
    using paging::Privilege;
    u64 b = 0;
    b |= p.user_read ? perm_bit({AccessType::Read, Privilege::User}) : 0;
    b |= p.kernel_read ? perm_bit({AccessType::Read, Privilege::Supervisor}) : 0;
    b |= p.user_write ? perm_bit({AccessType::Write, Privilege::User}) : 0;
    b |= p.kernel_write ? perm_bit({AccessType::Write, Privilege::Supervisor}) : 0;
    b |= p.user_exec ? perm_bit({AccessType::Execute, Privilege::User}) : 0;
    b |= p.kernel_exec ? perm_bit({AccessType::Execute, Privilege::Supervisor}) : 0;
    return b;
}

struct TlbHot {
    u64 tag = 0;
    std::byte* host = nullptr;
};
static_assert(sizeof(TlbHot) == 16);

enum class FrameKind : u8 {
    Ram,    // a frame of PhysicalMemory
    NotRam, // MMIO or a hole: every access goes through PhysicalMemory::read/write
};

struct TlbCold {
    bool valid = false;
    FrameKind frame = FrameKind::Ram;
    bool zero_backed = false; // RAM never written when filled (no host pointer kept)
    bool watched = false;     // a page-table frame: no fast-path writes
    bool global = false;
    u8 depth = 0;    // table frames the walk read
    u64 perms = 0;   // permission bits the slow path may serve without a walk
    u64 vpage = 0;   // VA of the base page
    PhysAddr ppage;  // PA of the base page
    u64 leaf_va = 0; // VA and size of the whole leaf (page, large page, section, block)
    u64 leaf_size = 0;
    u64 fill_generation = 0; // PhysicalMemory::frames_touched_generation() when zero_backed
    std::array<u64, 5> table_pfns{};
};

// Counters for tests and benchmarks.
struct MmuStats {
    u64 hits = 0;          // accesses (per page touched) served without a walk
    u64 misses = 0;        // accesses (per page) that needed a walk
    u64 walks = 0;         // architectural walks done (== misses)
    u64 faults = 0;        // translation faults and bus errors returned
    u64 flushes = 0;       // flush_tlb_* calls and MMU state changes that reached this TLB
    u64 invalidations = 0; // slots dropped by page-table writes (watched frames)
    bool operator==(const MmuStats&) const = default;
};

} // namespace kmemu::mmu
