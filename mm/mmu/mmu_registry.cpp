#include "mm/mmu/mmu_registry.h"

#include <algorithm>

#include "mm/mmu/address_space_mmu.h"

namespace kmemu::mmu {

MmuRegistry::MmuRegistry(PhysicalMemory& phys) : m_phys(phys) {
    m_phys.set_watched_write_observer([this](Pfn pfn) { on_watched_write(pfn); });
    m_phys.set_frame_watched_observer([this](Pfn pfn) { on_frame_watched(pfn); });
}

MmuRegistry::~MmuRegistry() {
    m_phys.set_watched_write_observer({});
    m_phys.set_frame_watched_observer({});
}

void MmuRegistry::add(AddressSpaceMmu* mmu) {
    m_mmus.push_back(mmu);
}

void MmuRegistry::remove(AddressSpaceMmu* mmu) {
    m_mmus.erase(std::remove(m_mmus.begin(), m_mmus.end(), mmu), m_mmus.end());
}

void MmuRegistry::flush_tlb_all() {
    for (AddressSpaceMmu* mmu : m_mmus)
        mmu->flush_tlb_mm();
}

void MmuRegistry::flush_tlb_kernel_range(VirtAddr start, VirtAddr end) {
    for (AddressSpaceMmu* mmu : m_mmus)
        mmu->flush_tlb_range(start, end);
}

void MmuRegistry::on_watched_write(Pfn pfn) {
    if (m_walking != 0)
        return;
    for (AddressSpaceMmu* mmu : m_mmus)
        mmu->on_watched_write(pfn);
}

void MmuRegistry::on_frame_watched(Pfn pfn) {
    for (AddressSpaceMmu* mmu : m_mmus)
        mmu->on_frame_watched(pfn);
}

} // namespace kmemu::mmu
