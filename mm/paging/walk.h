// The one page-table walker (DESIGN.md decision 3, lessons 3-5). It reads the tables of any
// PagingFormat through PageTableMemory and returns a WalkRecord: every level it visited (table
// base, index, entry address, raw entry, the kind of entry) and then either the translation or
// the fault the hardware would raise.
//
// Hardware bookkeeping in Architectural mode:
// * x86: after a translation succeeds, A is set in every entry of the walk that has one (not
//   in PAE PDPTEs) and D in the leaf on a write, as the CPU does (SDM vol. 3 §4.8). A faulting
//   walk changes nothing (kmemu's choice; the SDM allows A to be set on upper levels).
// * ARM short descriptor: no hardware access/dirty bits (Linux emulates them, arm_linux_pte.h).
// * LPAE and arm64: modelled without hardware AF/DBM management (TCR.HA/HD = 0, as ARMv7 and
//   ARMv8.0): AF = 0 raises an access-flag fault, nothing is ever written.
// Inspection mode never stores and reports the same result.
//
// Not modelled: SMEP/SMAP, PKRU checks (protection keys are decoded, never enforced), PAN,
// TBI (arm64 top-byte-ignore: bits 63..VA_BITS must all be equal), SCTLR.AFE on ARM classic
// (AP[0] is a permission bit), ARMv5 fine tables and subpage AP.
#pragma once

#include <array>
#include <string_view>
#include <variant>

#include "mm/error.h"
#include "mm/paging/arm_short_entry.h"
#include "mm/paging/format.h"
#include "mm/paging/long_descriptor.h"
#include "mm/paging/table_memory.h"
#include "mm/paging/x86_entry.h"
#include "mm/types.h"

namespace kmemu::paging {

enum class AccessType : u8 { Read, Write, Execute };
enum class Privilege : u8 { User, Supervisor };
struct Access {
    AccessType type = AccessType::Read;
    Privilege privilege = Privilege::Supervisor;
};

enum class WalkMode : u8 { Architectural, Inspection };

// The MMU registers a walk depends on.
struct MmuState {
    PhysAddr root;      // CR3's base, or TTBR0's
    PhysAddr root_high; // TTBR1 (arm64; LPAE when t1sz > 0)
    u8 t1sz = 0;        // LPAE TTBCR.T1SZ (Linux: (PAGE_OFFSET >> 30) - 1 = 2 for 3G/1G)
    // x86 MAXPHYADDR (entry address bits at or above it are reserved) or the ARM output
    // address size (TCR.IPS/PARange; OA bits above it give an address size fault).
    u8 phys_bits = 36;
    bool cr0_wp = true;   // Linux always sets CR0.WP
    bool efer_nxe = true; // with NXE clear, bit 63 is reserved
    // ARM DACR, 2 bits per domain: 00 no access, 01 client, 11 manager (10 treated as no
    // access). Default: all client.
    u32 dacr = 0x55555555u;
};

enum class FaultReason : u8 {
    NotPresent,        // x86 P = 0 / ARM translation fault
    WriteToReadOnly,   // write to a page not writable at the access's privilege
    SupervisorOnly,    // user access to a page only the kernel may use
    NoAccess,          // ARM AP: no access at this privilege at all (AP = 00, or domain)
    ExecuteNever,      // NX / XN / PXN on an instruction fetch
    ReservedBit,       // x86 reserved bit set (PDPTE bits, above MAXPHYADDR, NX without NXE)
    NonCanonical,      // x86_64: the VA is not sign-extended (#GP, no walk)
    OutsideTtbrRanges, // arm64: VA in neither TTBR0's nor TTBR1's range; 32-bit: VA > 4 GiB
    DomainFault,       // ARM short descriptor: DACR says no access for the entry's domain
    AccessFlag,        // LPAE/arm64: AF = 0
    AddressSize,       // LPAE/arm64: table or output address above the PA size
    TableNotInMemory,  // a descriptor load hit a hole (external abort on the walk)
};
[[nodiscard]] std::string_view fault_reason_name(FaultReason r);

struct Permissions {
    bool kernel_read = false, kernel_write = false, kernel_exec = false;
    bool user_read = false, user_write = false, user_exec = false;
    bool operator==(const Permissions&) const = default;
};

// Memory type bits: x86 PAT index (PAT:PCD:PWT), ARM short TEX[2:0]:C:B, long AttrIndx.
struct CacheAttributes {
    u8 index = 0;
    u8 shareability = 0; // ARM short S (0/1), long SH (0..3); 0 on x86
    bool operator==(const CacheAttributes&) const = default;
};

struct Translation {
    PhysAddr pa;
    u64 page_size = 0;
    Permissions permissions;
    bool global = false;
    CacheAttributes cache;
};

struct WalkFault {
    FaultReason reason = FaultReason::NotPresent;
    int level = -1;          // index into WalkRecord::levels; -1 before any load
    unsigned arch_level = 0; // the level as the architecture numbers it (0 when none)
};

struct LevelRecord {
    PhysAddr table;
    PhysAddr entry_addr;
    u64 raw = 0;       // as loaded
    u64 raw_after = 0; // after the architectural A/D update (== raw when untouched)
    u32 index = 0;
    u8 format_level = 0;   // index into PagingFormat::levels
    std::int8_t kind = -1; // index into LevelFormat::kinds, -1 when no kind matched
};

// The typed view of one visited entry, for explanations and pictures.
using DecodedEntry =
    std::variant<std::monostate, X86Entry, ArmSection, ArmCoarseTable, ArmPage, LongDescriptor>;

struct WalkRecord {
    VirtAddr va;
    Access access;
    bool high_root = false; // TTBR1 was selected
    std::array<LevelRecord, 5> levels{};
    unsigned depth = 0;
    std::variant<WalkFault, Translation> outcome;

    [[nodiscard]] bool ok() const { return outcome.index() == 1; }
    [[nodiscard]] const Translation& translation() const { return std::get<1>(outcome); }
    [[nodiscard]] const WalkFault& fault() const { return std::get<0>(outcome); }
};

// Checks the MMU state against the format (phys_bits range, T1SZ range).
[[nodiscard]] ErrorOr<void> check_mmu_state(const PagingFormat& fmt, const MmuState& mmu);

// Walks `va`. An error means the inputs were unusable (see check_mmu_state); every hardware
// outcome, fault or not, is in the record.
[[nodiscard]] ErrorOr<WalkRecord> walk(const PagingFormat& fmt, PageTableMemory& mem,
                                       const MmuState& mmu, VirtAddr va, Access access,
                                       WalkMode mode);

// The same walk into a caller-owned record (no copy of the record; the TLB fill path).
// Entries of rec.levels at and beyond rec.depth are stale.
[[nodiscard]] ErrorOr<void> walk_into(WalkRecord& rec, const PagingFormat& fmt,
                                      PageTableMemory& mem, const MmuState& mmu, VirtAddr va,
                                      Access access, WalkMode mode);

[[nodiscard]] DecodedEntry decode_entry(const PagingFormat& fmt, const LevelRecord& level);

// The x86 #PF error code for a fault (P, W/R, U/S, RSVD, I/D bits; SDM §4.7).
[[nodiscard]] u32 x86_page_fault_error_code(const PagingFormat& fmt, const WalkFault& fault,
                                            Access access, const MmuState& mmu);
// The ARM fault status: the short-descriptor FS[4:0] value, or the long-descriptor
// DFSC/IFSC (level in bits 1:0). Not meaningful for x86.
[[nodiscard]] u32 arm_fault_status(const PagingFormat& fmt, const WalkFault& fault);

} // namespace kmemu::paging
