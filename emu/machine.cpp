#include "emu/machine.h"

namespace kmemu {

ErrorOr<std::unique_ptr<Machine>> Machine::boot(MachineConfig config) {
    TRY(config.validate());
    std::unique_ptr<Machine> m(new Machine());
    m->m_profile = KernelProfile::for_machine(config.kernel, config.arch, config.page_shift());
    m->m_ram = TRY(config.resolve_ram_map());
    m->m_layout = TRY(compute_layout(config, m->m_profile, m->m_ram));
    m->m_config = std::move(config);
    return m;
}

} // namespace kmemu
