#include "mm/direct_map.h"

namespace kmemu {

namespace {
constexpr u64 kStartKernelMap = 0xffffffff80000000u; // __START_KERNEL_map
constexpr u64 kKernelImageMapSize = 1 * GiB;         // up to KERNEL_IMAGE_SIZE (1 GiB max)
} // namespace

bool DirectMap::in_linear_map(VirtAddr va) const {
    return va >= m_layout.page_offset && va < m_layout.high_memory;
}

// x86_64 __phys_addr: x >= __START_KERNEL_map means an image address (minus
// __START_KERNEL_map, plus phys_base); the whole 512 MiB/1 GiB window below the modules.
bool DirectMap::in_kernel_image_map(VirtAddr va) const {
    if (m_layout.arch != Arch::X86_64 && m_layout.arch != Arch::X86_64La57)
        return false;
    return va.get() >= kStartKernelMap && va < m_layout.modules_vaddr &&
           va.get() - kStartKernelMap < kKernelImageMapSize;
}

bool DirectMap::pfn_valid(Pfn pfn) const {
    if (m_pages)
        return m_pages->pfn_valid(pfn);
    return pfn >= m_layout.min_low_pfn && pfn < m_layout.max_pfn;
}

std::optional<PhysAddr> DirectMap::pa(VirtAddr va) const {
    if (in_kernel_image_map(va)) {
        // phys_base = __pa_symbol(_text) - (_text - __START_KERNEL_map).
        const u64 phys_base =
            m_layout.image.phys_start.get() - (m_layout.image.text.get() - kStartKernelMap);
        return PhysAddr(va.get() - kStartKernelMap + phys_base);
    }
    if (!in_linear_map(va))
        return std::nullopt;
    return m_layout.pa(va);
}

std::optional<VirtAddr> DirectMap::va(PhysAddr p) const {
    // Only lowmem has a direct-map address: [PHYS_OFFSET, __pa(high_memory)).
    if (p < m_layout.phys_offset || p >= m_layout.pa(m_layout.high_memory))
        return std::nullopt;
    return m_layout.va(p);
}

bool DirectMap::virt_addr_valid(VirtAddr va) const {
    const auto p = pa(va);
    return p && pfn_valid(m_layout.pfn_of(*p));
}

page* DirectMap::virt_to_page(VirtAddr va) const {
    if (!m_pages || !virt_addr_valid(va))
        return nullptr;
    return m_pages->pfn_to_page(m_layout.pfn_of(*pa(va)));
}

VirtAddr DirectMap::page_address(const page* p) const {
    if (p == nullptr)
        return VirtAddr(0);
    const Pfn pfn = page_to_pfn(p);
    if (auto v = va(m_layout.phys_of(pfn)))
        return *v;
    if (m_kmap)
        if (auto k = m_kmap(pfn))
            return *k;
    return VirtAddr(0);
}

} // namespace kmemu
