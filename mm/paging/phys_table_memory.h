// PageTableMemory over the machine's PhysicalMemory: descriptor loads and stores hit the real
// frames, so a page-table page read through /dev/mem shows the entries the walker uses.
#pragma once

#include "mm/paging/table_memory.h"
#include "mm/phys_memory.h"

namespace kmemu::paging {

class PhysTableMemory final : public PageTableMemory {
  public:
    explicit PhysTableMemory(PhysicalMemory& phys) : m_phys(phys) {}

    // A descriptor must be naturally aligned and lie in RAM: a table in a hole or in MMIO is an
    // error, which the walker reports as TableNotInMemory.
    ErrorOr<u64> load_descriptor(PhysAddr pa, DescriptorWidth width) override;
    ErrorOr<void> store_descriptor(PhysAddr pa, DescriptorWidth width, u64 value) override;

    [[nodiscard]] PhysicalMemory& phys() { return m_phys; }
    [[nodiscard]] u64 loads() const { return m_loads; }
    [[nodiscard]] u64 stores() const { return m_stores; }

  private:
    PhysicalMemory& m_phys;
    u64 m_loads = 0;
    u64 m_stores = 0;
};

} // namespace kmemu::paging
