#include "mm/user/zero_page.h"

#include <algorithm>

namespace kmemu {

ErrorOr<Pfn> empty_zero_page_pfn(const Layout& l, const KernelPageTables& kt,
                                 const KernelSymbols& symbols) {
    const u64 ps = l.page_size();
    const KernelImage& img = l.image;
    const u64 first = img.bss_start.align_up(ps).get();
    const auto& tables = kt.table_frames();
    for (u64 va = img.end.align_down(ps).get(); va >= first + ps; va -= ps) {
        const u64 page = va - ps;
        const Pfn pfn = l.pfn_of(img.pa(VirtAddr(page)));
        if (std::find(tables.begin(), tables.end(), pfn) != tables.end())
            continue;
        // No symbol may start inside the page or have bytes in it.
        const bool used = std::any_of(symbols.sorted().begin(), symbols.sorted().end(),
                                      [&](const KernelSymbol& s) {
                                          const u64 a = s.address.get();
                                          const u64 e = a + std::max<u64>(s.size, 1);
                                          return a < page + ps && e > page;
                                      });
        if (!used)
            return pfn;
    }
    return make_error(ErrorKind::InvalidConfig,
                      "the kernel image's .bss ({:#x}-{:#x}) has no free page for "
                      "empty_zero_page",
                      img.bss_start, img.end);
}

} // namespace kmemu
