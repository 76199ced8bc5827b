// Kernel oopses of the interpreted way in (DESIGN.md decision 4): a kernel-mode access that the
// MMU refuses becomes a KernelOops exception carrying the first lines the machine's kernel
// would print for it (arch/x86/mm/fault.c show_fault_oops / page_fault_oops, arch/arm/mm/
// fault.c and arch/arm64/mm/fault.c __do_kernel_fault / die_kernel_fault), so tests can assert
// on them and a later printk/dmesg can log them.
//
// Modelled: the fault-description lines. Not modelled: the page-table dump that follows (PGD
// ... / *pde = ...), "Oops: %04lx [#%d]" with its config words, the register dump, the call
// trace, the IP/PC line (there is no emulated instruction pointer).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/mmu/mmu_result.h"

namespace kmemu::kernel {

enum class OopsStyle : u8 {
    X86Split,  // <= 2.6.24: fault_32.c "BUG: ... at virtual address %08lx", fault_64.c
               // "Unable to handle kernel ... at %016lx RIP: "
    X86Legacy, // 2.6.25-5.0: "BUG: unable to handle kernel <what> at %p"
    X86Modern, // 5.1+: "BUG: kernel NULL pointer dereference, address: %px" + "#PF:" lines
    Arm,       // "Unable to handle kernel <what> at virtual address %08lx"
    Arm64,     // same with %016lx; permission faults named (write to read-only memory, ...)
};

// Per-version oops text rules, decided once.
struct OopsRules {
    Arch arch = Arch::X86_64;
    OopsStyle style = OopsStyle::X86Modern;
    unsigned ptr_digits = 16; // %p / %px / %08lx / %016lx width
    // x86 #GP on a non-canonical address names it (5.5+; unverified boundary).
    bool gp_names_noncanonical = true;
    // arm64 names permission faults ("write to read-only memory") (4.19+; unverified).
    bool arm64_names_permission = true;
};
[[nodiscard]] OopsRules oops_rules_for(KernelVersion version, Arch arch);

// The lines (without trailing newline) for a refused kernel-mode access.
[[nodiscard]] std::vector<std::string> oops_lines(const OopsRules& rules,
                                                  const mmu::MmuFault& fault, u64 page_size);

class KernelOops : public std::exception {
  public:
    KernelOops(mmu::MmuFault fault, std::vector<std::string> lines)
        : m_fault(fault), m_lines(std::move(lines)) {}
    [[nodiscard]] const char* what() const noexcept override {
        return m_lines.empty() ? "kernel oops" : m_lines.front().c_str();
    }
    [[nodiscard]] const mmu::MmuFault& fault() const { return m_fault; }
    [[nodiscard]] VirtAddr address() const { return m_fault.va; }
    [[nodiscard]] const std::vector<std::string>& lines() const { return m_lines; }
    // All lines, each ending in '\n'.
    [[nodiscard]] std::string text() const;

  private:
    mmu::MmuFault m_fault;
    std::vector<std::string> m_lines;
};

} // namespace kmemu::kernel
