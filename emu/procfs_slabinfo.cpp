#include "emu/procfs_slabinfo.h"

#include <fmt/format.h>

namespace kmemu {

std::string render_slabinfo(const KmallocAllocator& kmalloc) {
    // Format version 2.1 since 2.6.10 (no statistics: CONFIG_DEBUG_SLAB off).
    std::string out = "slabinfo - version: 2.1\n"
                      "# name            <active_objs> <num_objs> <objsize> <objperslab> "
                      "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
                      "<active_slabs> <num_slabs> <sharedavail>\n";
    for (const auto& c : kmalloc.slabinfo()) {
        out += fmt::format("{:<17} {:>6} {:>6} {:>6} {:>4} {:>4}", c.name, c.active_objs,
                           c.num_objs, c.objsize, c.objperslab, c.pagesperslab);
        out += fmt::format(" : tunables {:>4} {:>4} {:>4}", c.limit, c.batchcount, c.shared);
        out += fmt::format(" : slabdata {:>6} {:>6} {:>6}\n", c.active_slabs, c.num_slabs,
                           c.shared_avail);
    }
    return out;
}

} // namespace kmemu
