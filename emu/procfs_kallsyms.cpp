#include "emu/procfs_kallsyms.h"

#include <fmt/format.h>

namespace kmemu {

bool kallsyms_shows_addresses(const KernelImageRules& rules, const KallsymsReader& reader) {
    switch (rules.kallsyms_addresses) {
    case KallsymsAddressRule::AlwaysReal:
        // Up to 2.6.37: "%0*lx" of the value, no restriction.
        return true;
    case KallsymsAddressRule::PercentK:
        // lib/vsprintf.c %pK (2.6.38 .. 4.14): 0 real; 1 needs CAP_SYSLOG (and, 3.8+,
        // unchanged credentials); 2 and above always hidden.
        if (reader.kptr_restrict <= 0)
            return true;
        if (reader.kptr_restrict == 1)
            return reader.cap_syslog && (!rules.pk_checks_credentials || reader.creds_unchanged);
        return false;
    case KallsymsAddressRule::ShowValue:
        // kallsyms_show_value() (4.15+): kptr_restrict 0 allows when perf_event_paranoid <= 1
        // (kallsyms_for_perf), else falls through to 1, which needs CAP_SYSLOG; >= 2 never.
        if (reader.kptr_restrict <= 0 && reader.perf_event_paranoid <= 1)
            return true;
        if (reader.kptr_restrict <= 1)
            return reader.cap_syslog;
        return false;
    }
    return false;
}

std::string render_kallsyms(const KernelSymbols& symbols, const KernelImageRules& rules,
                            const KallsymsReader& reader) {
    const bool show = kallsyms_shows_addresses(rules, reader);
    const int width = static_cast<int>(2 * rules.word_bytes);
    std::string out;
    out.reserve(symbols.sorted().size() * 40);
    for (const KernelSymbol& s : symbols.sorted()) {
        if (s.name.empty()) // s_show skips nameless entries
            continue;
        const u64 value = show ? s.address.get() : 0;
        fmt::format_to(std::back_inserter(out), "{:0{}x} {} {}\n", value, width, s.type, s.name);
    }
    return out;
}

} // namespace kmemu
