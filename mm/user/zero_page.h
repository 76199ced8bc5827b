// empty_zero_page: the one frame of zeros every read fault of untouched private anonymous
// memory maps (ZERO_PAGE(addr), kernel-semantics §4.1a), shared by all address spaces of a
// machine and never written.
//
// Where it is (kmemu's choice, documented): the kernel keeps it in the image's .bss (x86
// head_32.S / head_64.S __PAGE_ALIGNED_BSS; arm64 __page_aligned_bss since 5.x) or allocates
// it at paging_init (ARM, older arm64). kmemu puts it in the image on every arch: the last
// whole page of [__bss_start, _end) that holds no symbol of the image's table and no boot page
// table. The image is reserved memory, so the page allocator never hands the frame out.
#pragma once

#include "mm/error.h"
#include "mm/kernel_image/kernel_symbols.h"
#include "mm/kernel_pgtable.h"
#include "mm/layout.h"

namespace kmemu {

[[nodiscard]] ErrorOr<Pfn> empty_zero_page_pfn(const Layout& layout,
                                               const KernelPageTables& kernel_tables,
                                               const KernelSymbols& symbols);

} // namespace kmemu
