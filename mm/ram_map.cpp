#include "mm/ram_map.h"

#include <algorithm>

namespace kmemu {

PhysAddr RamMap::usable_end() const {
    PhysAddr end{0};
    for (const auto& r : ranges)
        if (r.type == RamType::Usable)
            end = std::max(end, r.end);
    return end;
}

PhysAddr RamMap::usable_end_below(PhysAddr limit) const {
    PhysAddr end{0};
    for (const auto& r : ranges)
        if (r.type == RamType::Usable && r.start < limit)
            end = std::max(end, std::min(r.end, limit));
    return end;
}

u64 RamMap::usable_bytes() const {
    u64 total = 0;
    for (const auto& r : ranges)
        if (r.type == RamType::Usable)
            total += r.size();
    return total;
}

std::optional<PhysAddr> RamMap::usable_start() const {
    for (const auto& r : ranges)
        if (r.type == RamType::Usable)
            return r.start;
    return std::nullopt;
}

bool RamMap::is_usable(PhysAddr start, PhysAddr end) const {
    // Ranges are sorted and non-overlapping, so adjacent Usable ranges may cover it together.
    PhysAddr at = start;
    for (const auto& r : ranges) {
        if (r.type != RamType::Usable || r.end <= at)
            continue;
        if (r.start > at)
            return false;
        at = r.end;
        if (at >= end)
            return true;
    }
    return at >= end;
}

} // namespace kmemu
