// vread/vwrite's view of the machine: vmalloc_to_page through init_mm's page tables (an
// inspection lookup: no accessed bits change), bytes through PhysicalMemory.
#pragma once

#include "mm/kernel_pgtable.h"
#include "mm/phys_memory.h"
#include "mm/vmalloc/vread.h"

namespace kmemu {

class KernelVreadBacking final : public VreadBacking {
  public:
    KernelVreadBacking(KernelPageTables& tables, PhysicalMemory& phys)
        : m_tables(&tables), m_phys(&phys) {}

    [[nodiscard]] std::optional<Pfn> frame_of(VirtAddr va) const override;
    [[nodiscard]] ErrorOr<void> read_frame(Pfn pfn, u64 offset, std::span<u8> out) const override;
    [[nodiscard]] ErrorOr<void> write_frame(Pfn pfn, u64 offset, std::span<const u8> in) override;

  private:
    KernelPageTables* m_tables;
    PhysicalMemory* m_phys;
};

} // namespace kmemu
