// The kernel's address conversions for the direct (linear) map, per arch (DESIGN.md decision 1):
// __pa / virt_to_phys, __va / phys_to_virt, virt_to_page, page_address and virt_addr_valid,
// with the kernel's semantics:
//   x86_64: __pa also accepts the kernel image mapping (__START_KERNEL_map + phys_base,
//           __phys_addr); virt_addr_valid likewise, then pfn_valid.
//   i386:   lowmem only: [PAGE_OFFSET, high_memory) (__virt_addr_valid, pfn_valid).
//   ARM, arm64: the linear map [PAGE_OFFSET, high_memory) and pfn_valid (arm64 5.x+
//           __is_lm_address); the arm64 kernel image has its own alias (__pa_symbol) that
//           virt_addr_valid rejects.
#pragma once

#include <functional>
#include <optional>

#include "mm/layout.h"
#include "mm/page_alloc.h"

namespace kmemu {

class DirectMap {
  public:
    // kmap lookup for page_address() of a highmem page (returns its pkmap address when the
    // page is kmapped); optional.
    using KmapLookup = std::function<std::optional<VirtAddr>(Pfn)>;

    DirectMap(const Layout& layout, PageAllocator* pages = nullptr)
        : m_layout(layout), m_pages(pages) {}
    void set_kmap_lookup(KmapLookup f) { m_kmap = std::move(f); }

    // __pa(): the physical address of a direct-map (or, on x86_64, kernel-image) address;
    // nullopt where the kernel's __pa gives garbage (or BUGs with DEBUG_VIRTUAL).
    [[nodiscard]] std::optional<PhysAddr> pa(VirtAddr va) const;
    [[nodiscard]] std::optional<PhysAddr> virt_to_phys(VirtAddr va) const { return pa(va); }
    // __va(): the direct-map address of a lowmem physical address; nullopt above lowmem.
    [[nodiscard]] std::optional<VirtAddr> va(PhysAddr pa) const;
    [[nodiscard]] std::optional<VirtAddr> phys_to_virt(PhysAddr p) const { return va(p); }
    // virt_addr_valid(): a direct-map address (x86_64: or image address) of a valid pfn.
    [[nodiscard]] bool virt_addr_valid(VirtAddr va) const;
    // virt_to_page(): nullptr unless virt_addr_valid.
    [[nodiscard]] page* virt_to_page(VirtAddr va) const;
    // page_address(): lowmem pages' direct-map address; a highmem page's kmap address when
    // kmapped (through the hook), else 0 (NULL).
    [[nodiscard]] VirtAddr page_address(const page* p) const;

  private:
    [[nodiscard]] bool in_linear_map(VirtAddr va) const;
    [[nodiscard]] bool in_kernel_image_map(VirtAddr va) const;
    [[nodiscard]] bool pfn_valid(Pfn pfn) const;

    Layout m_layout;
    PageAllocator* m_pages;
    KmapLookup m_kmap;
};

} // namespace kmemu
