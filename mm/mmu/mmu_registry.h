// The address spaces of one machine (one PhysicalMemory): the set flush_tlb_all and
// flush_tlb_kernel_range reach, and the dispatcher that lets every MMU observe page-table
// writes (PhysicalMemory has room for one observer of each kind; this registry is it).
//
// Lifetime: the registry outlives every AddressSpaceMmu created on it and the PhysicalMemory
// outlives the registry. On destruction it removes its observers from PhysicalMemory.
#pragma once

#include <vector>

#include "mm/phys_memory.h"
#include "mm/types.h"

namespace kmemu::mmu {

class AddressSpaceMmu;

class MmuRegistry {
  public:
    explicit MmuRegistry(PhysicalMemory& phys);
    ~MmuRegistry();
    MmuRegistry(const MmuRegistry&) = delete;
    MmuRegistry& operator=(const MmuRegistry&) = delete;

    [[nodiscard]] PhysicalMemory& phys() { return m_phys; }
    [[nodiscard]] const std::vector<AddressSpaceMmu*>& address_spaces() const { return m_mmus; }

    // flush_tlb_all: every TLB of the machine, global entries included.
    void flush_tlb_all();
    // flush_tlb_kernel_range: [start, end) in every address space (kernel mappings are shared
    // by all of them).
    void flush_tlb_kernel_range(VirtAddr start, VirtAddr end);

  private:
    friend class AddressSpaceMmu;
    void add(AddressSpaceMmu* mmu);
    void remove(AddressSpaceMmu* mmu);
    void on_watched_write(Pfn pfn);
    void on_frame_watched(Pfn pfn);

    PhysicalMemory& m_phys;
    std::vector<AddressSpaceMmu*> m_mmus;
    // Non-zero while an MMU does an architectural walk: the walk's own A/D stores change only
    // the bookkeeping bits of the entry being used, which invalidates no cached translation
    // (a TLB entry filled before D was set has no write permission and walks again).
    unsigned m_walking = 0;
};

} // namespace kmemu::mmu
