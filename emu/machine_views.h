// What a person looks at on a booted machine, as text: the /proc files kmemu has, the kernel
// page-table dump and one address's walk. The kmemu command and scenario scripts both use
// these, so a file or view added here appears in both.
#pragma once

#include <string>
#include <string_view>

#include "emu/machine.h"

namespace kmemu {

// The /proc files that exist so far, as "iomem, buddyinfo, ...", for messages.
[[nodiscard]] std::string_view proc_file_names();
// /proc/NAME as root reads it; an unknown name is an error that lists the known ones.
[[nodiscard]] ErrorOr<std::string> render_proc_file(Machine& m, std::string_view name);
// /sys/kernel/debug/page_tables/kernel for init_mm's tables.
[[nodiscard]] ErrorOr<std::string> render_kernel_ptdump(Machine& m);
// An inspection walk of va through init_mm's tables (no accessed bit changes), as text.
[[nodiscard]] ErrorOr<std::string> render_kernel_walk(Machine& m, VirtAddr va,
                                                      paging::Access access = {});

} // namespace kmemu
