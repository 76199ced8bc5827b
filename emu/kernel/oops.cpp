#include "emu/kernel/oops.h"

#include <fmt/format.h>

namespace kmemu::kernel {

OopsRules oops_rules_for(KernelVersion v, Arch arch) {
    OopsRules r;
    r.arch = arch;
    r.ptr_digits = is_32bit(arch) ? 8 : 16;
    if (is_x86(arch)) {
        // fault_32.c / fault_64.c were merged into arch/x86/mm/fault.c for 2.6.25; the
        // "#PF:" wording is 5.1's (5.0 printed the legacy line plus "#PF error: [...]", whose
        // second line is not modelled).
        if (!v.at_least(2, 6, 25))
            r.style = OopsStyle::X86Split;
        else if (!v.at_least(5, 1))
            r.style = OopsStyle::X86Legacy;
        else
            r.style = OopsStyle::X86Modern;
    } else if (is_arm32(arch)) {
        r.style = OopsStyle::Arm;
    } else {
        r.style = OopsStyle::Arm64;
    }
    r.gp_names_noncanonical = v.at_least(5, 5);
    r.arm64_names_permission = v.at_least(4, 19);
    return r;
}

namespace {

// x86 #PF error-code bits (arch/x86/include/asm/trap_pf.h).
constexpr u32 kPfProt = 1u << 0, kPfWrite = 1u << 1, kPfUser = 1u << 2, kPfRsvd = 1u << 3,
              kPfInstr = 1u << 4, kPfPk = 1u << 5;

std::string hex(u64 v, unsigned digits) {
    return fmt::format("{:0{}x}", v, digits);
}

} // namespace

std::vector<std::string> oops_lines(const OopsRules& r, const mmu::MmuFault& f, u64 page_size) {
    std::vector<std::string> out;
    const u64 addr = f.va.get();
    const bool null = addr < page_size;
    const bool exec = f.access.type == mmu::AccessType::Execute;
    const bool write = f.access.type == mmu::AccessType::Write;

    if (f.kind == mmu::MmuFaultKind::BusError) {
        // No kernel text: what a platform does with a kernel access to a physical hole (x86
        // all-ones / machine check, ARM external abort) is not modelled.
        out.push_back(fmt::format("kmemu: kernel {} at {:#x}: no RAM or device at physical {:#x}",
                                  write ? "write" : "read", addr, f.pa.get()));
        return out;
    }
    if (f.kind == mmu::MmuFaultKind::BadMmuState) {
        out.push_back("kmemu: kernel access with unusable MMU registers");
        return out;
    }

    switch (r.style) {
    case OopsStyle::X86Split:
        if (r.ptr_digits == 8)
            out.push_back(fmt::format("BUG: unable to handle kernel {} at virtual address {}",
                                      null ? "NULL pointer dereference" : "paging request",
                                      hex(addr, 8)));
        else
            out.push_back(fmt::format("Unable to handle kernel {} at {} RIP: ",
                                      null ? "NULL pointer dereference" : "paging request",
                                      hex(addr, 16)));
        return out;
    case OopsStyle::X86Legacy:
    case OopsStyle::X86Modern: {
        if (f.reason == mmu::FaultReason::NonCanonical) {
            // do_general_protection: #GP, not #PF.
            if (r.gp_names_noncanonical)
                out.push_back(fmt::format(
                    "general protection fault, probably for non-canonical address {:#x}: 0000 [#1]",
                    addr));
            else
                out.push_back("general protection fault: 0000 [#1]");
            return out;
        }
        const u32 ec = f.status;
        // show_fault_oops: an instruction fetch from an NX page is named first.
        if ((ec & kPfInstr) && (ec & kPfProt))
            out.push_back("kernel tried to execute NX-protected page - exploit attempt? (uid: 0)");
        if (r.style == OopsStyle::X86Legacy) {
            out.push_back(fmt::format("BUG: unable to handle kernel {} at {}",
                                      null ? "NULL pointer dereference" : "paging request",
                                      hex(addr, r.ptr_digits)));
            return out;
        }
        if (null)
            out.push_back(fmt::format("BUG: kernel NULL pointer dereference, address: {}",
                                      hex(addr, r.ptr_digits)));
        else
            out.push_back(fmt::format("BUG: unable to handle page fault for address: {}",
                                      hex(addr, r.ptr_digits)));
        out.push_back(fmt::format("#PF: {} {} in {} mode", (ec & kPfUser) ? "user" : "supervisor",
                                  (ec & kPfInstr)   ? "instruction fetch"
                                  : (ec & kPfWrite) ? "write access"
                                                    : "read access",
                                  f.access.privilege == mmu::Privilege::User ? "user" : "kernel"));
        const char* what = !(ec & kPfProt)  ? "not-present page"
                           : (ec & kPfRsvd) ? "reserved bit violation"
                           : (ec & kPfPk)   ? "protection keys violation"
                                            : "permissions violation";
        out.push_back(fmt::format("#PF: error_code({:#06x}) - {}", ec, what));
        return out;
    }
    case OopsStyle::Arm:
        out.push_back(fmt::format("Unable to handle kernel {} at virtual address {}",
                                  null ? "NULL pointer dereference" : "paging request",
                                  hex(addr, 8)));
        return out;
    case OopsStyle::Arm64: {
        std::string msg = null ? "NULL pointer dereference" : "paging request";
        const bool perm = f.reason == mmu::FaultReason::WriteToReadOnly ||
                          f.reason == mmu::FaultReason::ExecuteNever ||
                          f.reason == mmu::FaultReason::NoAccess;
        if (r.arm64_names_permission && perm) {
            msg = write  ? "write to read-only memory"
                  : exec ? "execute from non-executable memory"
                         : "read from unreadable memory";
        }
        out.push_back(
            fmt::format("Unable to handle kernel {} at virtual address {}", msg, hex(addr, 16)));
        return out;
    }
    }
    return out;
}

std::string KernelOops::text() const {
    std::string s;
    for (const auto& l : m_lines) {
        s += l;
        s += '\n';
    }
    return s;
}

} // namespace kmemu::kernel
