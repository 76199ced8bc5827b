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

ErrorOr<const PagingFormat*> paging_format_for(Arch arch, unsigned page_shift, unsigned va_bits) {
    if (arch == Arch::Arm64)
        return arm64_paging_format(page_shift, va_bits);
    if (page_shift != 12)
        return make_error(ErrorKind::InvalidConfig,
                          "{} page tables: PAGE_SHIFT {} is not supported; only 12 (4 KiB)",
                          arch_name(arch), page_shift);
    switch (arch) {
    case Arch::I386:
        return &kI386;
    case Arch::I386Pae:
        return &kI386Pae;
    case Arch::X86_64:
        return &kX86_64;
    case Arch::X86_64La57:
        return &kX86_64La57;
    case Arch::Arm:
        return &kArmShort;
    case Arch::ArmLpae:
        return &kArmLpae;
    case Arch::Arm64:
        break;
    }
    return make_error(ErrorKind::Internal, "paging_format_for: unknown arch");
}

} // namespace kmemu::paging
