#include "devices/mem/random_rules.h"

namespace kmemu {

RandomRules random_rules_for(KernelVersion v, u64 page_size) {
    RandomRules r;
    r.blocking_pool = !v.at_least(5, 6);
    r.urandom_max = v.at_least(3, 13) && !v.at_least(5, 18) ? (0x7fffffffULL >> 6) : 0;
    r.partial_reads = v.at_least(5, 18);
    r.partial_writes = v.at_least(5, 19);
    r.iter_fops = v.at_least(5, 19);
    r.noop_llseek = v.at_least(2, 6, 37);
    r.entcnt_saturates = v.at_least(5, 18);
    r.zap_clears = !v.at_least(5, 18);
    r.page_size = page_size;
    return r;
}

} // namespace kmemu
