// /proc/iomem as the kernel's r_show prints it (kernel/resource.c).
#pragma once

#include <string>

#include "mm/iomem.h"

namespace kmemu {

// privileged: the reader has CAP_SYS_ADMIN (checked at open). Without it, kernels whose rules
// hide addresses print every start and end as 0, same widths.
[[nodiscard]] std::string render_proc_iomem(const IomemTree& tree, bool privileged);

} // namespace kmemu
