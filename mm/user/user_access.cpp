// MmStruct: the process's own loads and stores (user privilege; a fault the fault path cannot
// resolve is a signal), and the kernel's accesses to the user half for uaccess (supervisor
// privilege; an unresolved fault stops the copy: the exception-table fixup).
#include "mm/user/mm_struct.h"

namespace kmemu {

namespace {
// A fault the fault path keeps "resolving" at the same address would make the kernel retry
// forever (a handler that returns VM_FAULT_NOPAGE without a PTE, say): kmemu gives up.
constexpr unsigned kMaxRetries = 4;

using paging::AccessType;
using paging::Privilege;

bool repeated(const mmu::MmuFault& f, u64& last_va, unsigned& repeats) {
    if (f.va.get() == last_va)
        return ++repeats > kMaxRetries;
    last_va = f.va.get();
    repeats = 0;
    return false;
}
} // namespace

std::string UserSignal::describe() const {
    const char* sig = signo == SIGSEGV   ? "SIGSEGV"
                      : signo == SIGBUS  ? "SIGBUS"
                      : signo == SIGKILL ? "SIGKILL"
                                         : "signal";
    const char* name = "?";
    if (code == SI_KERNEL)
        name = "SI_KERNEL";
    else if (signo == SIGSEGV)
        name = code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "?";
    else if (signo == SIGBUS)
        name = code == BUS_ADRERR ? "BUS_ADRERR" : code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "?";
    return fmt::format("{} ({}) at {:#x}", sig, name, addr);
}

// What a user-mode MMU fault becomes: the fault path's answer for user addresses, and the
// arch's answer for the rest (kernel-semantics §4.4).
std::optional<UserSignal> MmStruct::user_fault(const mmu::MmuFault& f) {
    switch (f.kind) {
    case mmu::MmuFaultKind::BusError:
    case mmu::MmuFaultKind::BadMmuState:
        return sigbus_adrerr(f.va);
    case mmu::MmuFaultKind::Translation:
        break;
    }
    switch (f.reason) {
    case paging::FaultReason::NonCanonical:
        return UserSignal{SIGSEGV, SI_KERNEL, VirtAddr(0)}; // x86_64 #GP
    case paging::FaultReason::ReservedBit:
        return UserSignal{SIGKILL, SI_KERNEL, f.va}; // pgtable_bad: the task is killed
    case paging::FaultReason::TableNotInMemory:
    case paging::FaultReason::AddressSize:
        return sigbus_adrerr(f.va);
    default:
        return fault_in(f.va, f.access.type, true);
    }
}

template <mmu::MmuScalar T>
UserResult<T> MmStruct::user_load(VirtAddr va) {
    u64 last = ~u64{0};
    unsigned repeats = 0;
    while (true) {
        auto r = m_mmu->load<T>(va, {AccessType::Read, Privilege::User});
        if (r.ok())
            return r.value();
        if (repeated(r.fault(), last, repeats))
            return sigbus_adrerr(r.fault().va);
        if (auto s = user_fault(r.fault()))
            return *s;
    }
}

template <mmu::MmuScalar T>
UserResult<void> MmStruct::user_store(VirtAddr va, T value) {
    u64 last = ~u64{0};
    unsigned repeats = 0;
    while (true) {
        auto r = m_mmu->store<T>(va, value, Privilege::User);
        if (r.ok())
            return {};
        if (repeated(r.fault(), last, repeats))
            return sigbus_adrerr(r.fault().va);
        if (auto s = user_fault(r.fault()))
            return *s;
    }
}

template UserResult<u8> MmStruct::user_load<u8>(VirtAddr);
template UserResult<u16> MmStruct::user_load<u16>(VirtAddr);
template UserResult<u32> MmStruct::user_load<u32>(VirtAddr);
template UserResult<u64> MmStruct::user_load<u64>(VirtAddr);
template UserResult<void> MmStruct::user_store<u8>(VirtAddr, u8);
template UserResult<void> MmStruct::user_store<u16>(VirtAddr, u16);
template UserResult<void> MmStruct::user_store<u32>(VirtAddr, u32);
template UserResult<void> MmStruct::user_store<u64>(VirtAddr, u64);

UserBulkResult MmStruct::user_read(VirtAddr va, std::span<u8> out) {
    auto bytes = std::as_writable_bytes(out);
    u64 done = 0, last = ~u64{0};
    unsigned repeats = 0;
    while (done < bytes.size()) {
        auto r =
            m_mmu->read(va.offset(done), bytes.subspan(done), {AccessType::Read, Privilege::User});
        done += r.bytes_done;
        if (r.ok())
            break;
        if (repeated(*r.fault, last, repeats))
            return {done, sigbus_adrerr(r.fault->va)};
        if (auto s = user_fault(*r.fault))
            return {done, s};
    }
    return {done, std::nullopt};
}

UserBulkResult MmStruct::user_write(VirtAddr va, std::span<const u8> in) {
    auto bytes = std::as_bytes(in);
    u64 done = 0, last = ~u64{0};
    unsigned repeats = 0;
    while (done < bytes.size()) {
        auto r = m_mmu->write(va.offset(done), bytes.subspan(done), Privilege::User);
        done += r.bytes_done;
        if (r.ok())
            break;
        if (repeated(*r.fault, last, repeats))
            return {done, sigbus_adrerr(r.fault->va)};
        if (auto s = user_fault(*r.fault))
            return {done, s};
    }
    return {done, std::nullopt};
}

// --- uaccess ----------------------------------------------------------------------------------

bool MmStruct::access_ok(VirtAddr addr, u64 size) const {
    // addr + size neither wraps nor passes the limit (__access_ok, __range_ok).
    const u64 limit = m_rules.access_ok_limit;
    return addr.get() <= limit && size <= limit - addr.get();
}

// A kernel-mode fault during uaccess (do_user_addr_fault without FAULT_FLAG_USER): user
// addresses go through the VMAs and handle_mm_fault; anything else is fixed up at once.
bool MmStruct::kernel_fault_resolves(const mmu::MmuFault& f, u64& last_va, unsigned& repeats) {
    if (f.kind != mmu::MmuFaultKind::Translation || f.va.get() >= m_rules.task_size)
        return false;
    switch (f.reason) {
    case paging::FaultReason::NonCanonical:
    case paging::FaultReason::OutsideTtbrRanges:
    case paging::FaultReason::ReservedBit:
    case paging::FaultReason::TableNotInMemory:
    case paging::FaultReason::AddressSize:
        return false;
    default:
        break;
    }
    if (repeated(f, last_va, repeats))
        return false;
    return !fault_in(f.va, f.access.type, false).has_value();
}

u64 MmStruct::raw_copy_to_user(VirtAddr to, std::span<const u8> from) {
    auto bytes = std::as_bytes(from);
    u64 done = 0, last = ~u64{0};
    unsigned repeats = 0;
    while (done < bytes.size()) {
        auto r = m_mmu->write(to.offset(done), bytes.subspan(done), Privilege::Supervisor);
        done += r.bytes_done;
        if (r.ok() || !kernel_fault_resolves(*r.fault, last, repeats))
            break;
    }
    return bytes.size() - done;
}

u64 MmStruct::raw_copy_from_user(std::span<u8> to, VirtAddr from) {
    auto bytes = std::as_writable_bytes(to);
    u64 done = 0, last = ~u64{0};
    unsigned repeats = 0;
    while (done < bytes.size()) {
        auto r = m_mmu->read(from.offset(done), bytes.subspan(done),
                             {AccessType::Read, Privilege::Supervisor});
        done += r.bytes_done;
        if (r.ok() || !kernel_fault_resolves(*r.fault, last, repeats))
            break;
    }
    return bytes.size() - done;
}

u64 MmStruct::raw_clear_user(VirtAddr to, u64 n) {
    u64 done = 0, last = ~u64{0};
    unsigned repeats = 0;
    while (done < n) {
        auto r = m_mmu->fill(to.offset(done), 0, n - done, Privilege::Supervisor);
        done += r.bytes_done;
        if (r.ok() || !kernel_fault_resolves(*r.fault, last, repeats))
            break;
    }
    return n - done;
}

namespace {
template <typename T>
T from_bytes(const u8* b) {
    T v;
    std::memcpy(&v, b, sizeof(T));
    return v;
}
} // namespace

bool MmStruct::raw_put_user(VirtAddr to, const u8* bytes, unsigned size) {
    u64 last = ~u64{0};
    unsigned repeats = 0;
    while (true) {
        mmu::MmuResult<void> r = mmu::MmuFault{};
        switch (size) {
        case 1:
            r = m_mmu->store<u8>(to, bytes[0], Privilege::Supervisor);
            break;
        case 2:
            r = m_mmu->store<u16>(to, from_bytes<u16>(bytes), Privilege::Supervisor);
            break;
        case 4:
            r = m_mmu->store<u32>(to, from_bytes<u32>(bytes), Privilege::Supervisor);
            break;
        case 8:
            r = m_mmu->store<u64>(to, from_bytes<u64>(bytes), Privilege::Supervisor);
            break;
        default:
            return false; // __put_user_bad: not a size the kernel has
        }
        if (r.ok())
            return true;
        if (!kernel_fault_resolves(r.fault(), last, repeats))
            return false;
    }
}

bool MmStruct::raw_get_user(u8* bytes, VirtAddr from, unsigned size) {
    u64 last = ~u64{0};
    unsigned repeats = 0;
    const paging::Access a{AccessType::Read, Privilege::Supervisor};
    auto take = [&](auto r) -> std::optional<mmu::MmuFault> {
        if (!r.ok())
            return r.fault();
        const auto v = r.value();
        std::memcpy(bytes, &v, sizeof(v));
        return std::nullopt;
    };
    while (true) {
        std::optional<mmu::MmuFault> f;
        switch (size) {
        case 1:
            f = take(m_mmu->load<u8>(from, a));
            break;
        case 2:
            f = take(m_mmu->load<u16>(from, a));
            break;
        case 4:
            f = take(m_mmu->load<u32>(from, a));
            break;
        case 8:
            f = take(m_mmu->load<u64>(from, a));
            break;
        default:
            return false;
        }
        if (!f)
            return true;
        if (!kernel_fault_resolves(*f, last, repeats))
            return false;
    }
}

} // namespace kmemu
