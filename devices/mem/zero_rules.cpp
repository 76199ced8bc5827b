#include "devices/mem/zero_rules.h"

namespace kmemu {

ZeroRules zero_rules_for(KernelVersion v, u64 page_size) {
    ZeroRules r;
    r.page_size = page_size;
    const bool iter_era = v.at_least(3, 16);
    r.zero_has_read = !iter_era || v.at_least(5, 10);
    r.read_loop = v.at_least(5, 10)      ? ZeroReadLoop::ClearUserPartial
                  : v.at_least(2, 6, 31) ? ZeroReadLoop::ClearUserSignal
                                         : ZeroReadLoop::ClearUser;
    r.has_read_iter = iter_era;
    return r;
}

} // namespace kmemu
