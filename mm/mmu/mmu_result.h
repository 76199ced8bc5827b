// What an access through the MMU gives back: the data, or an MmuFault saying why not. Faults are
// ordinary values (DESIGN.md lesson 6): the caller decides whether one is an oops, a SIGSEGV, a
// SIGBUS or the -EFAULT of copy_to_user.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "mm/paging/walk.h"
#include "mm/types.h"

namespace kmemu::mmu {

using paging::Access;
using paging::AccessType;
using paging::FaultReason;
using paging::Privilege;

enum class MmuFaultKind : u8 {
    Translation, // the walk refused the access (reason says why): #PF / data or prefetch abort
    BusError,    // translated, but the physical address is neither RAM nor a device (a hole)
    BadMmuState, // the MMU registers are unusable for the format (a kmemu setup error)
};
[[nodiscard]] std::string_view mmu_fault_kind_name(MmuFaultKind k);

struct MmuFault {
    VirtAddr va; // the first byte of the access inside the page that faulted
    Access access;
    MmuFaultKind kind = MmuFaultKind::Translation;
    FaultReason reason = FaultReason::NotPresent; // Translation only
    // The walk's stopping point (Translation): -1 when no entry was loaded (non-canonical VA,
    // VA outside the TTBR ranges), else the depth index and the architecture's level number.
    int level = -1;
    unsigned arch_level = 0;
    PhysAddr entry_addr; // the entry the walk stopped at, and its raw value
    u64 entry_raw = 0;
    PhysAddr pa; // BusError: the physical address that has no memory behind it
    // x86: the #PF error code (paging::x86_page_fault_error_code); ARM: the FSR/DFSC value.
    u32 status = 0;

    // "read at 0xc0001000 (supervisor): not present (translation fault) at PTE 0x..."
    [[nodiscard]] std::string describe() const;
};

inline const MmuFault kNoFault{};

// A value or a fault. Holds no walk record (it would make every load's result hundreds of
// bytes); AddressSpaceMmu::last_fault_walk() keeps the full record of the last faulting walk.
template <typename T>
class [[nodiscard]] MmuResult {
  public:
    MmuResult(T value) : m_v(std::in_place_index<0>, value) {} // NOLINT: implicit by design
    MmuResult(const MmuFault& fault) : m_v(std::in_place_index<1>, fault) {} // NOLINT
    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    // value() of a fault is T{} and fault() of a value an empty MmuFault: defined, never UB.
    [[nodiscard]] T value() const { return ok() ? *std::get_if<0>(&m_v) : T{}; }
    [[nodiscard]] const MmuFault& fault() const { return ok() ? kNoFault : *std::get_if<1>(&m_v); }

  private:
    std::variant<T, MmuFault> m_v;
};

template <>
class [[nodiscard]] MmuResult<void> {
  public:
    MmuResult() = default;
    MmuResult(const MmuFault& fault) : m_fault(fault) {} // NOLINT: implicit by design
    [[nodiscard]] bool ok() const { return !m_fault.has_value(); }
    [[nodiscard]] const MmuFault& fault() const { return m_fault ? *m_fault : kNoFault; }

  private:
    std::optional<MmuFault> m_fault;
};

// A bulk transfer stops at the first fault; bytes_done bytes (from the start) were moved.
struct [[nodiscard]] MmuBulkResult {
    u64 bytes_done = 0;
    std::optional<MmuFault> fault;
    [[nodiscard]] bool ok() const { return !fault.has_value(); }
};

} // namespace kmemu::mmu
