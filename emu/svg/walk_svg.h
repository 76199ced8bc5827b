// The picture of one page-table walk (kmemu walk --svg): a box per level's table with the
// selected entry highlighted and labelled with its index, entry address and raw value, an
// arrow from each selected entry to the next table, and the final page (or the fault) at the
// end. Drawn from the WalkRecord only; integer geometry, so the same walk gives the same bytes.
#pragma once

#include <string>

#include "mm/paging/format.h"
#include "mm/paging/walk.h"

namespace kmemu {

[[nodiscard]] std::string render_walk_svg(const paging::PagingFormat& fmt,
                                          const paging::WalkRecord& rec,
                                          const paging::MmuState& mmu);

} // namespace kmemu
