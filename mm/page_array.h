// The memmap: struct page for every pfn that has one, stored in sections that are allocated on
// first touch (DESIGN.md decision 5). Nothing per page happens at boot: an untouched page's
// state is derived from the RAM map, the reserved ranges and the buddy allocator when its
// section is first touched.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "mm/page.h"
#include "mm/page_alloc_rules.h"
#include "mm/ram_map.h"

namespace kmemu {

struct PfnRange {
    u64 start = 0;
    u64 end = 0; // exclusive
};

class PageArray {
  public:
    // Fills the fields of a freshly allocated section that need the zones (zone pointer and
    // the PageBuddy heads); called once per section.
    using SectionFiller = std::function<void(page* pages, u64 first_pfn, u64 nr)>;

    // ram: the firmware map (memblock.memory is its Usable + ReservedKern ranges);
    // reserved: pfn ranges reserved at boot (any order, may overlap); max_pfn: end of RAM.
    PageArray(const PageAllocRules& rules, const RamMap& ram, std::vector<PfnRange> reserved,
              u64 max_pfn);

    void set_section_filler(SectionFiller f) { m_filler = std::move(f); }

    // pfn_valid() by the rules' memory model.
    [[nodiscard]] bool pfn_valid(Pfn pfn) const;
    // pfn_to_page(): the page, allocating its section on first touch; nullptr if !pfn_valid.
    [[nodiscard]] page* pfn_to_page(Pfn pfn);
    // The page if its section is already allocated, else nullptr (never allocates).
    [[nodiscard]] page* existing(u64 pfn) const;

    // Whether the pfn is RAM (memblock.memory) / reserved at boot; no allocation.
    [[nodiscard]] bool is_ram(u64 pfn) const;
    [[nodiscard]] bool boot_reserved(u64 pfn) const;
    // The boot state of a page without touching the memmap: PG_reserved unless free RAM.
    [[nodiscard]] bool initially_reserved(u64 pfn) const {
        return !is_ram(pfn) || boot_reserved(pfn);
    }

    [[nodiscard]] u64 section_pages() const { return u64{1} << m_section_shift; }
    [[nodiscard]] u64 materialized_sections() const { return m_materialized; }
    // Host bytes: section table + allocated sections.
    [[nodiscard]] u64 footprint_bytes() const;
    [[nodiscard]] const std::vector<PfnRange>& ram_ranges() const { return m_ram; }
    [[nodiscard]] const std::vector<PfnRange>& reserved_ranges() const { return m_reserved; }

  private:
    [[nodiscard]] static bool in_ranges(const std::vector<PfnRange>& v, u64 pfn);
    page* materialize(u64 section);

    PageAllocRules m_rules;
    unsigned m_section_shift; // pfn bits per section
    u64 m_max_pfn;
    std::vector<PfnRange> m_ram;      // sorted, merged
    std::vector<PfnRange> m_reserved; // sorted, merged
    std::vector<bool> m_section_present;
    std::vector<std::unique_ptr<page[]>> m_sections;
    u64 m_materialized = 0;
    SectionFiller m_filler;
};

} // namespace kmemu
