#include "mm/mem_init_rules.h"

namespace kmemu {

MemInitRules mem_init_rules_for(KernelVersion v, Arch arch) {
    MemInitRules r;
    // Jiang Liu's "mm: print memory info uniformly" series replaced the per-arch lines with
    // mem_init_print_info in 3.11 (reference E.2: switch between 3.6.5 and 3.19.8).
    if (!v.at_least(3, 11)) {
        if (arch == Arch::I386 || arch == Arch::I386Pae)
            r.format = MemInitFormat::I386Classic;
        else if (is_x86(arch))
            r.format = MemInitFormat::X86_64Classic;
        else if (v.at_least(3, 0))
            r.format = MemInitFormat::Arm3;
        else
            r.format = MemInitFormat::Arm26;
    }
    // Pintu Kumar's CMA accounting patch (Dec 2014) added the cma-reserved field in 3.19.
    r.has_cma_reserved = v.at_least(3, 19);
    return r;
}

} // namespace kmemu
