// /proc/kallsyms: one line per core symbol, "<addr> <type> <name>\n", in the kernel's table
// order (kernel/kallsyms.c s_show). Whether the reader sees real addresses or zeros follows the
// version's rule (KallsymsAddressRule) and the reader's credentials and sysctls.
#pragma once

#include <string>

#include "mm/kernel_image/kernel_symbols.h"

namespace kmemu {

// Who opens and reads the file, and the sysctls in force.
struct KallsymsReader {
    bool cap_syslog = false;     // CAP_SYSLOG in the effective set (root has it)
    bool creds_unchanged = true; // euid == uid and egid == gid (%pK's setuid check)
    int kptr_restrict = 0;       // /proc/sys/kernel/kptr_restrict: 0, 1 or 2
    int perf_event_paranoid = 2; // /proc/sys/kernel/perf_event_paranoid (4.6+ default 2)

    static KallsymsReader root() { return {true, true, 0, 2}; }
};

// Whether the reader sees real addresses (else every address prints as zeros).
[[nodiscard]] bool kallsyms_shows_addresses(const KernelImageRules& rules,
                                            const KallsymsReader& reader);

// The whole file. word_bytes gives the width: 2 * sizeof(void *) hex digits.
[[nodiscard]] std::string render_kallsyms(const KernelSymbols& symbols,
                                          const KernelImageRules& rules,
                                          const KallsymsReader& reader);

} // namespace kmemu
