#include "mm/mmu/mmu_result.h"

#include <fmt/format.h>

namespace kmemu::mmu {

std::string_view mmu_fault_kind_name(MmuFaultKind k) {
    switch (k) {
    case MmuFaultKind::Translation:
        return "translation fault";
    case MmuFaultKind::BusError:
        return "bus error";
    case MmuFaultKind::BadMmuState:
        return "unusable MMU state";
    }
    return "?";
}

namespace {
std::string_view access_name(AccessType t) {
    switch (t) {
    case AccessType::Read:
        return "read";
    case AccessType::Write:
        return "write";
    case AccessType::Execute:
        return "execute";
    }
    return "?";
}
} // namespace

std::string MmuFault::describe() const {
    const std::string_view who = access.privilege == Privilege::User ? "user" : "supervisor";
    std::string s = fmt::format("{} at {:#x} ({}): ", access_name(access.type), va.get(), who);
    switch (kind) {
    case MmuFaultKind::Translation:
        s += paging::fault_reason_name(reason);
        if (level >= 0)
            s += fmt::format(", level {} entry at {:#x} = {:#x}", arch_level, entry_addr.get(),
                             entry_raw);
        s += fmt::format(", status {:#x}", status);
        break;
    case MmuFaultKind::BusError:
        s += fmt::format("bus error: nothing at physical {:#x}", pa.get());
        break;
    case MmuFaultKind::BadMmuState:
        s += "the MMU registers do not fit the paging format";
        break;
    }
    return s;
}

} // namespace kmemu::mmu
