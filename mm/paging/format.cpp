#include "mm/paging/format.h"

namespace kmemu::paging {

ErrorOr<const PagingFormat*> arm64_paging_format(unsigned page_shift, unsigned va_bits) {
    // The Kconfig combinations of D.1 without LPA2 (52-bit VA is not modelled).
    struct Entry {
        unsigned page_shift, va_bits;
        const PagingFormat* format;
    };
    static constexpr Entry table[] = {
        {12, 39, &kArm64_4K_39},  {12, 48, &kArm64_4K_48},  {14, 47, &kArm64_16K_47},
        {14, 48, &kArm64_16K_48}, {16, 42, &kArm64_64K_42}, {16, 48, &kArm64_64K_48},
    };
    for (const Entry& e : table)
        if (e.page_shift == page_shift && e.va_bits == va_bits)
            return e.format;
    return make_error(ErrorKind::InvalidConfig,
                      "arm64 page tables: PAGE_SHIFT {} with VA_BITS {} is not supported; use "
                      "4K with 39 or 48, 16K with 47 or 48, 64K with 42 or 48",
                      page_shift, va_bits);
}

} // namespace kmemu::paging
