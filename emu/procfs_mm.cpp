#include "emu/procfs_mm.h"

namespace kmemu {

std::string render_buddyinfo(const PageAllocator& pa) {
    std::string out;
    for (const auto& z : pa.zones()) {
        if (!z->populated())
            continue;
        out += fmt::format("Node 0, zone {:>8} ", z->name());
        for (unsigned o = 0; o < z->buddy().nr_orders(); ++o)
            out += fmt::format("{:6} ", z->buddy().nr_free(o));
        out += '\n';
    }
    return out;
}

std::string render_zoneinfo(const PageAllocator& pa) {
    const auto& r = pa.rules();
    std::string out;
    for (const auto& z : pa.zones()) {
        out += fmt::format("Node 0, zone {:>8}", z->name());
        out += fmt::format("\n  pages free     {}", z->free_pages());
        if (r.zoneinfo_boost)
            out += "\n        boost    0";
        out += fmt::format("\n        min      {}", z->min_wmark_pages());
        out += fmt::format("\n        low      {}", z->low_wmark_pages());
        out += fmt::format("\n        high     {}", z->high_wmark_pages());
        out += fmt::format("\n        spanned  {}", z->spanned_pages());
        out += fmt::format("\n        present  {}", z->present_pages());
        if (r.zoneinfo_managed)
            out += fmt::format("\n        managed  {}", z->managed_pages());
        if (r.zoneinfo_cma)
            out += "\n        cma      0";
        out += "\n        protection: (";
        bool first = true;
        for (const auto& other : pa.zones()) {
            out += fmt::format("{}{}", first ? "" : ", ", z->lowmem_reserve(other->type()));
            first = false;
        }
        out += ')';
        if (!z->populated()) {
            out += '\n';
            continue;
        }
        out += fmt::format("\n      {:<12} {}", "nr_free_pages", z->free_pages());
        out += "\n  node_unreclaimable:  0";
        out += fmt::format("\n  start_pfn:           {}", z->zone_start_pfn().get());
        out += '\n';
    }
    return out;
}

} // namespace kmemu
