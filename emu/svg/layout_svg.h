// `kmemu layout --svg FILE`: a picture of one machine's kernel virtual address space for
// students. A vertical bar, highest address at the top, down to PAGE_OFFSET (and the lowest
// kernel region below it), with user space as a compressed band at the bottom. Each region is
// a labelled box (name, start - end with the end exclusive as the boot log prints it, size);
// unused spans are hatched; PAGE_OFFSET, high_memory and TASK_SIZE are marked on the left.
//
// Scale: 32-bit is linear (0.8 px per MiB) with a minimum box height; spans too tall for that
// are compressed logarithmically and carry a "not to scale" break marker. 64-bit is linear up
// to 1 GiB and logarithmic above (said in the legend). Same input, same bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mm/layout.h"

namespace kmemu {

[[nodiscard]] std::string render_layout_svg(const Layout& layout, std::string_view title = {});

// Same, with vmalloc areas (e.g. what /proc/vmallocinfo lists) drawn inside the vmalloc box.
// May be empty. Areas that overlap an earlier one are clipped to the part not yet drawn.
[[nodiscard]] std::string render_layout_svg(const Layout& layout, std::string_view title,
                                            const std::vector<NamedRegion>& vmalloc_areas);

} // namespace kmemu
