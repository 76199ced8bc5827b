#include "mm/page_array.h"

#include <algorithm>

namespace kmemu {

namespace {

std::vector<PfnRange> merge_ranges(std::vector<PfnRange> v) {
    std::sort(v.begin(), v.end(),
              [](const PfnRange& a, const PfnRange& b) { return a.start < b.start; });
    std::vector<PfnRange> out;
    for (const auto& r : v) {
        if (r.start >= r.end)
            continue;
        if (!out.empty() && r.start <= out.back().end)
            out.back().end = std::max(out.back().end, r.end);
        else
            out.push_back(r);
    }
    return out;
}

} // namespace

PageArray::PageArray(const PageAllocRules& rules, const RamMap& ram, std::vector<PfnRange> reserved,
                     u64 max_pfn)
    : m_rules(rules), m_section_shift(rules.section_size_bits - rules.page_shift),
      m_max_pfn(max_pfn), m_reserved(merge_ranges(std::move(reserved))) {
    // memblock.memory: e820 RAM and RESERVED_KERN, whole pages only (memblock trims partial
    // pages of RAM ranges).
    std::vector<PfnRange> mem;
    const u64 psize = u64{1} << rules.page_shift;
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable && r.type != RamType::ReservedKern)
            continue;
        mem.push_back({align_up(r.start.get(), psize) >> rules.page_shift,
                       align_down(r.end.get(), psize) >> rules.page_shift});
    }
    m_ram = merge_ranges(std::move(mem));
    u64 end = m_max_pfn;
    if (!m_ram.empty())
        end = std::max(end, m_ram.back().end);
    const u64 nr_sections = (end + section_pages() - 1) >> m_section_shift;
    m_section_present.assign(nr_sections, false);
    m_sections.resize(nr_sections);
    // A section is present (has a memmap) when any RAM lies in it (memory_present /
    // memblocks_present).
    for (const auto& r : m_ram)
        for (u64 s = r.start >> m_section_shift;
             s <= (r.end - 1) >> m_section_shift && s < nr_sections; ++s)
            m_section_present[s] = true;
}

bool PageArray::in_ranges(const std::vector<PfnRange>& v, u64 pfn) {
    auto it = std::upper_bound(v.begin(), v.end(), pfn,
                               [](u64 p, const PfnRange& r) { return p < r.start; });
    if (it == v.begin())
        return false;
    --it;
    return pfn < it->end;
}

bool PageArray::is_ram(u64 pfn) const {
    return in_ranges(m_ram, pfn);
}
bool PageArray::boot_reserved(u64 pfn) const {
    return in_ranges(m_reserved, pfn);
}

bool PageArray::pfn_valid(Pfn pfn) const {
    const u64 p = pfn.get();
    switch (m_rules.pfn_valid) {
    case PfnValidModel::FlatMem:
        // include/asm-generic/memory_model.h: pfn - ARCH_PFN_OFFSET < max_mapnr; ARCH_PFN_OFFSET
        // is 0 on x86 and max_mapnr = max_pfn (arch/x86/mm/init_32.c).
        return p < m_max_pfn;
    case PfnValidModel::SparseSection: {
        // include/linux/mmzone.h pfn_valid(): the section exists and has a memmap; boot
        // ("early") sections are valid as a whole, holes included.
        const u64 s = p >> m_section_shift;
        return s < m_section_present.size() && m_section_present[s];
    }
    case PfnValidModel::Memblock:
        return is_ram(p);
    }
    return false;
}

page* PageArray::existing(u64 pfn) const {
    const u64 s = pfn >> m_section_shift;
    if (s >= m_sections.size() || !m_sections[s])
        return nullptr;
    return &m_sections[s][pfn & (section_pages() - 1)];
}

page* PageArray::pfn_to_page(Pfn pfn) {
    if (!pfn_valid(pfn))
        return nullptr;
    const u64 p = pfn.get();
    const u64 s = p >> m_section_shift;
    if (s >= m_sections.size())
        return nullptr;
    page* base = m_sections[s] ? m_sections[s].get() : materialize(s);
    return &base[p & (section_pages() - 1)];
}

page* PageArray::materialize(u64 section) {
    const u64 n = section_pages();
    const u64 first = section << m_section_shift;
    m_sections[section] = std::make_unique<page[]>(n);
    page* pages = m_sections[section].get();
    ++m_materialized;
    // __init_single_page() gives every page refcount 1 and reserve_bootmem_region() /
    // memmap_init PG_reserved; the pages memblock frees drop both. So: free RAM -> count 0,
    // everything else (holes, firmware areas, reserved ranges) -> PG_reserved, count 1.
    for (u64 i = 0; i < n; ++i) {
        page* pg = &pages[i];
        pg->pfn = first + i;
        if (initially_reserved(first + i)) {
            SetPageReserved(pg);
            pg->_refcount = 1;
        }
    }
    if (m_filler)
        m_filler(pages, first, n);
    return pages;
}

u64 PageArray::footprint_bytes() const {
    return sizeof(*this) + m_sections.capacity() * sizeof(m_sections[0]) +
           m_section_present.capacity() / 8 +
           (m_ram.capacity() + m_reserved.capacity()) * sizeof(PfnRange) +
           m_materialized * section_pages() * sizeof(page);
}

} // namespace kmemu
