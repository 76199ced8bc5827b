#include "devices/mem/port_rules.h"

#include "mm/machine_config.h"

namespace kmemu {

PortRules port_rules_for(const MachineConfig& c, Arch arch) {
    PortRules r;
    r.present = c.devport.value_or(is_x86(arch));
    r.word_bits = is_32bit(arch) ? 32 : 64;
    return r;
}

} // namespace kmemu
