#include "mm/vmalloc/vmalloc.h"

#include <fmt/format.h>

#include "mm/page.h"

namespace kmemu {

VmallocApiRules vmalloc_api_rules_for(KernelVersion v, Arch arch, bool has_dma32_zone,
                                      bool has_dma_zone, unsigned page_shift) {
    VmallocApiRules r;
    r.version = v;
    r.arch = arch;
    const u64 page = u64{1} << page_shift;
    // ioremap_nocache and devm_ioremap_nocache were removed for every arch in 5.6.
    r.has_ioremap_nocache = !v.at_least(5, 6);
    // x86 ioremap_wc arrived with PAT support (2.6.26), ioremap_cache with the 2.6.25 ioremap
    // rework. ARM and arm64 have both in every supported version (ARM: unverified before 3.x).
    r.has_ioremap_wc = !is_x86(arch) || v.at_least(2, 6, 26);
    r.has_ioremap_cache = !is_x86(arch) || v.at_least(2, 6, 25);
    r.has_vzalloc = v.at_least(2, 6, 37); // vzalloc() added in 2.6.37
    // GFP_VMALLOC32 (mm/vmalloc.c): 64-bit with ZONE_DMA32 -> GFP_DMA32 | GFP_KERNEL; 64-bit
    // with only ZONE_DMA -> GFP_DMA | GFP_KERNEL; 32-bit -> GFP_KERNEL (lowmem is 32-bit).
    if (!is_32bit(arch) && has_dma32_zone)
        r.vmalloc32_gfp = GFP_KERNEL | GFP_DMA32;
    else if (!is_32bit(arch) && has_dma_zone)
        r.vmalloc32_gfp = GFP_KERNEL | GFP_DMA;
    else
        r.vmalloc32_gfp = GFP_KERNEL;
    // SHMLBA: arch/arm/include/asm/shmparam.h 4 * PAGE_SIZE (VIPT cache colouring); x86 and
    // arm64 use asm-generic's PAGE_SIZE.
    r.shmlba = is_arm32(arch) ? 4 * page : page;
    // x86 __ioremap_caller lets PG_reserved RAM through (BIOS areas); ARM/arm64 refuse any
    // pfn_valid() RAM pfn.
    r.ioremap_ram_allows_reserved = is_x86(arch);
    // x86 module_alloc: PAGE_KERNEL_EXEC until 5.2 ("avoid breaking W^X while loading
    // modules"), PAGE_KERNEL after (text made ROX later by set_memory_*).
    r.module_prot = (is_x86(arch) && v.at_least(5, 2)) ? kProtKernel : kProtKernelExec;
    r.counts_vmalloc_pages = v.at_least(5, 3); // vmalloc_nr_pages() (5.3)
    return r;
}

VmallocAllocator::VmallocAllocator(VmapSpace& space, PageAllocator& pages, KernelPageTables& tables,
                                   mmu::MmuRegistry& mmus, KmallocAllocator& kmalloc,
                                   VmallocApiRules rules)
    : m_space(space), m_pages(pages), m_tables(tables), m_mmus(mmus), m_kmalloc(kmalloc),
      m_rules(rules), m_page_size(space.rules().page_size()),
      m_ptr_bytes(is_32bit(rules.arch) ? 4u : 8u) {}

u64 VmallocAllocator::totalram_pages() const {
    u64 n = 0;
    for (const auto& z : m_pages.zones())
        n += z->managed_pages();
    return n;
}

// --- page-table helpers ----------------------------------------------------------------------

bool VmallocAllocator::map_pages(VirtAddr addr, std::span<page* const> pages, KernelProt prot) {
    const unsigned shift = m_space.rules().page_shift;
    for (u64 i = 0; i < pages.size(); ++i) {
        const PhysAddr pa = phys_of(page_to_pfn(pages[i]), shift);
        if (m_tables.map_page(addr.offset(i * m_page_size), pa, prot).is_error()) {
            unmap_range(addr, i); // vmap_pages_range failed: the kernel's caller vfree()s
            return false;
        }
    }
    return true;
}

bool VmallocAllocator::map_phys(VirtAddr addr, PhysAddr phys, u64 npages, KernelProt prot) {
    // ioremap_page_range: one base-page PTE per page (huge ioremap not modelled).
    for (u64 i = 0; i < npages; ++i) {
        if (m_tables.map_page(addr.offset(i * m_page_size), phys.offset(i * m_page_size), prot)
                .is_error()) {
            unmap_range(addr, i);
            return false;
        }
    }
    return true;
}

void VmallocAllocator::unmap_range(VirtAddr addr, u64 npages) {
    // vunmap_page_range: clear each PTE (the writes into the watched PTE table drop the cached
    // translations), then flush_tlb_kernel_range as the kernel's purge does.
    for (u64 i = 0; i < npages; ++i)
        (void)m_tables.unmap_page(addr.offset(i * m_page_size));
    if (npages)
        m_mmus.flush_tlb_kernel_range(addr, addr.offset(npages * m_page_size));
}

void VmallocAllocator::free_pages(std::vector<page*>& pages) {
    for (page* p : pages)
        m_pages.__free_page(p);
    pages.clear();
}

// --- vmalloc ---------------------------------------------------------------------------------

bool VmallocAllocator::fill_area(VirtAddr addr, gfp_t gfp, KernelProt prot) {
    VmArea* area = m_space.find_vm_area(addr);
    const u64 nr = area->nr_pages;
    Live live;
    live.usable = area->usable_size(m_page_size);
    // __vmalloc_area_node: the page array first. More than a page of pointers is itself
    // vmalloc'ed (already placed by VmapSpace, filled here, zeroed, highmem allowed); otherwise
    // it comes from kmalloc(GFP_KERNEL | __GFP_ZERO).
    const VirtAddr nested = area->vpages ? area->pages_vaddr : VirtAddr(0);
    if (nested.get()) {
        if (!fill_area(nested, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, kProtKernel))
            return false;
        live.array_vmalloc = nested;
    } else {
        live.array_kmalloc = m_kmalloc.kmalloc(nr * m_ptr_bytes, GFP_KERNEL | __GFP_ZERO);
        if (!live.array_kmalloc.get())
            return false;
        ++m_ledger.array_kmalloc;
    }
    auto undo_array = [&] {
        if (live.array_vmalloc.get())
            empty_area(live.array_vmalloc);
        if (live.array_kmalloc.get()) {
            m_kmalloc.kfree(live.array_kmalloc);
            --m_ledger.array_kmalloc;
        }
    };
    // One order-0 page per index, in index order (the 5.13+ bulk allocator's order of pages is
    // not modelled).
    for (u64 i = 0; i < nr; ++i) {
        page* p = m_pages.alloc_page(gfp);
        if (!p) {
            // 2.6.x-5.12: "vmalloc: allocation failure, allocated %ld of %ld bytes" (size
            // including the guard page); 5.13+ warn_alloc "vmalloc error: size %lu, failed to
            // allocate pages" (text after the version: approximate).
            if (m_rules.version.at_least(5, 13))
                warn(fmt::format("vmalloc error: size {}, failed to allocate pages", live.usable));
            else
                warn(fmt::format("vmalloc: allocation failure, allocated {} of {} bytes",
                                 i * m_page_size, area->size));
            free_pages(live.pages);
            undo_array();
            return false;
        }
        live.pages.push_back(p);
    }
    if (!map_pages(addr, live.pages, prot)) {
        free_pages(live.pages);
        undo_array();
        return false;
    }
    area->pages.clear();
    for (page* p : live.pages)
        area->pages.push_back(page_to_pfn(p));
    area->pages_kmalloc = live.array_kmalloc;
    m_space.area_updated(addr); // area->pages: the array and the struct page pointers in it
    m_ledger.pages += nr;
    m_nr_vmalloc_pages += nr;
    m_live.emplace(addr.get(), std::move(live));
    return true;
}

void VmallocAllocator::empty_area(VirtAddr addr) {
    auto it = m_live.find(addr.get());
    if (it == m_live.end())
        return;
    Live& live = it->second;
    // __vunmap order: unmap, free the pages, then the page array.
    unmap_range(addr, live.pages.size());
    const u64 n = live.pages.size();
    free_pages(live.pages);
    m_ledger.pages -= n;
    m_nr_vmalloc_pages -= n;
    if (live.array_vmalloc.get())
        empty_area(live.array_vmalloc);
    if (live.array_kmalloc.get()) {
        m_kmalloc.kfree(live.array_kmalloc);
        --m_ledger.array_kmalloc;
    }
    if (VmArea* area = m_space.find_vm_area(addr))
        area->pages.clear();
    m_live.erase(it);
}

VirtAddr VmallocAllocator::vmalloc_gfp(u64 size, gfp_t gfp, KernelProt prot, u64 align, u32 flags,
                                       std::string caller) {
    auto r = m_space.vmalloc(size, std::move(caller), totalram_pages(), align, flags & ~VmAlloc);
    if (r.is_error()) {
        warn(r.error().message());
        return VirtAddr(0);
    }
    const VmapResult res = r.release_value();
    if (!res.ok()) {
        if (res.failure == VmapFailure::NoSpace)
            warn(no_space_text(size));
        return VirtAddr(0);
    }
    if (!fill_area(*res.addr, gfp, prot)) {
        // The error path frees the half-made area: its range is lazily freed like any vfree.
        (void)m_space.free(*res.addr);
        return VirtAddr(0);
    }
    const VmArea* area = m_space.find_vm_area(*res.addr);
    ++m_ledger.areas;
    m_ledger.bytes += area->usable_size(m_page_size);
    return *res.addr;
}

std::string VmallocAllocator::no_space_text(u64 size) const {
    // alloc_vmap_area (2.6.28+) after the purge-and-retry; 2.6.24's vmlist search.
    const u64 reserved = align_up(size, m_page_size) + m_page_size;
    if (m_space.rules().placement == VmapPlacement::VmlistFirstFit)
        return "allocation failed: out of vmalloc space - use vmalloc=<size> to increase size.";
    return fmt::format("vmap allocation for size {} failed: use vmalloc=<size> to increase size.",
                       reserved);
}

VirtAddr VmallocAllocator::vmalloc(u64 size, std::string caller) {
    // vmalloc: GFP_KERNEL | __GFP_HIGHMEM (2.6.x passes it; 5.8+ __vmalloc_area_node adds
    // __GFP_HIGHMEM unless a DMA zone is asked for): highmem first on 32-bit.
    return vmalloc_gfp(size, GFP_KERNEL | __GFP_HIGHMEM, kProtKernel, 1, 0, std::move(caller));
}

ErrorOr<VirtAddr> VmallocAllocator::vzalloc(u64 size, std::string caller) {
    if (!m_rules.has_vzalloc)
        return make_error(ErrorKind::InvalidConfig, "vzalloc: not in kernel {} (added in 2.6.37)",
                          m_rules.version.to_string());
    return vmalloc_gfp(size, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, kProtKernel, 1, 0,
                       std::move(caller));
}

VirtAddr VmallocAllocator::vmalloc_user(u64 size, std::string caller) {
    // vmalloc_user: zeroed, SHMLBA-aligned, VM_USERMAP (E1-E5 set it after the allocation,
    // E6+ pass it in; the area ends the same).
    return vmalloc_gfp(size, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, kProtKernel, m_rules.shmlba,
                       VmUsermap, std::move(caller));
}

VirtAddr VmallocAllocator::vmalloc_32(u64 size, std::string caller) {
    return vmalloc_gfp(size, m_rules.vmalloc32_gfp, kProtKernel, 1, 0, std::move(caller));
}

VirtAddr VmallocAllocator::vmalloc_32_user(u64 size, std::string caller) {
    return vmalloc_gfp(size, m_rules.vmalloc32_gfp | __GFP_ZERO, kProtKernel, m_rules.shmlba,
                       VmUsermap, std::move(caller));
}

VirtAddr VmallocAllocator::module_alloc(u64 size, std::string caller) {
    // x86 module_alloc: 0 or more than MODULES_LEN -> NULL; then __vmalloc_node_range over
    // [MODULES_VADDR, MODULES_END) with MODULE_ALIGN = PAGE_SIZE (no KASAN, no KASLR offset).
    const Layout& l = m_tables.layout();
    const u64 aligned = align_up(size, m_page_size);
    const u64 modules_len = l.modules_end.minus(l.modules_vaddr);
    if (size == 0 || aligned > modules_len ||
        (aligned >> m_space.rules().page_shift) > totalram_pages())
        return VirtAddr(0);
    VmapRequest req;
    req.size = aligned;
    req.flags = VmAlloc;
    req.vstart = l.modules_vaddr;
    req.vend = l.modules_end;
    req.caller = caller;
    auto r = m_space.reserve(req);
    if (r.is_error() || !r.value().ok()) {
        if (r.is_error())
            warn(r.error().message());
        else if (r.value().failure == VmapFailure::NoSpace)
            warn(no_space_text(size));
        return VirtAddr(0);
    }
    const VirtAddr addr = *r.value().addr;
    VmArea* area = m_space.find_vm_area(addr);
    const u64 nr = area->usable_size(m_page_size) >> m_space.rules().page_shift;
    area->nr_pages = static_cast<unsigned>(nr);
    if (nr * m_ptr_bytes > m_page_size) {
        // The page array is vmalloc'ed in the vmalloc range, as __vmalloc_area_node does.
        auto nested = m_space.vmalloc(nr * m_ptr_bytes, caller, totalram_pages());
        if (nested.is_error() || !nested.value().ok()) {
            (void)m_space.free(addr);
            return VirtAddr(0);
        }
        area = m_space.find_vm_area(addr);
        area->vpages = true;
        area->pages_vaddr = *nested.value().addr;
    }
    m_space.area_updated(addr);
    if (!fill_area(addr, GFP_KERNEL | __GFP_HIGHMEM, m_rules.module_prot)) {
        (void)m_space.free(addr);
        return VirtAddr(0);
    }
    ++m_ledger.areas;
    m_ledger.bytes += aligned;
    return addr;
}

// --- free ------------------------------------------------------------------------------------

std::string VmallocAllocator::ptr_text(VirtAddr addr) const {
    // %p of that era: the raw value, 2 * sizeof(void *) hex digits.
    return m_ptr_bytes == 4 ? fmt::format("{:08x}", addr.get())
                            : fmt::format("{:016x}", addr.get());
}

void VmallocAllocator::vfree(VirtAddr addr) {
    if (!addr.get())
        return;
    if (!addr.is_aligned(m_page_size)) {
        warn(fmt::format("Trying to vfree() bad address ({})", ptr_text(addr)));
        return;
    }
    const VmArea* area = m_space.find_vm_area(addr);
    if (!area) {
        warn(fmt::format("Trying to vfree() nonexistent vm area ({})", ptr_text(addr)));
        return;
    }
    const VirtAddr start = area->addr;
    const u64 usable = area->usable_size(m_page_size);
    auto it = m_live.find(start.get());
    if (it == m_live.end()) {
        // An area reserved without pages (a boot area, a bookkeeping-only vmalloc): the range.
        (void)m_space.free(start);
        return;
    }
    if (it->second.kind == Kind::Vmalloc) {
        empty_area(start);
        m_ledger.bytes -= usable;
    } else {
        // vfree of a vmap/ioremap area: nothing of its own to free, only the mapping.
        unmap_range(start, usable / m_page_size);
        m_live.erase(it);
    }
    --m_ledger.areas;
    (void)m_space.free(start);
}

void VmallocAllocator::vunmap(VirtAddr addr) {
    const VmArea* area = addr.get() ? m_space.find_vm_area(addr) : nullptr;
    if (!area) {
        if (addr.get())
            warn(fmt::format("Trying to vfree() nonexistent vm area ({})", ptr_text(addr)));
        return;
    }
    const VirtAddr start = area->addr;
    const u64 usable = area->usable_size(m_page_size);
    auto it = m_live.find(start.get());
    // __vunmap(addr, 0): the mapping goes, the pages stay with their owner. vunmap() of a
    // vmalloc area therefore leaks its pages (the ledger keeps counting them).
    unmap_range(start, usable / m_page_size);
    if (it != m_live.end()) {
        if (it->second.kind == Kind::Vmalloc)
            m_ledger.bytes -= usable;
        m_live.erase(it);
    }
    --m_ledger.areas;
    (void)m_space.free(start);
}

// --- vmap ------------------------------------------------------------------------------------

VirtAddr VmallocAllocator::vmap(std::span<page* const> pages, u32 flags, KernelProt prot,
                                std::string caller) {
    // vmap(): count > totalram_pages -> NULL (num_physpages before 3.x).
    if (pages.empty() || pages.size() > totalram_pages())
        return VirtAddr(0);
    for (page* p : pages)
        if (!p)
            return VirtAddr(0);
    VmapRequest req;
    req.size = pages.size() * m_page_size;
    req.flags = flags;
    req.vstart = m_space.vmalloc_start();
    req.vend = m_space.vmalloc_end();
    req.caller = std::move(caller);
    auto r = m_space.reserve(req);
    if (r.is_error()) {
        warn(r.error().message());
        return VirtAddr(0);
    }
    if (!r.value().ok()) {
        if (r.value().failure == VmapFailure::NoSpace)
            warn(no_space_text(req.size));
        return VirtAddr(0);
    }
    const VirtAddr addr = *r.value().addr;
    if (!map_pages(addr, pages, prot)) {
        (void)m_space.free(addr); // vmap: map_vm_area failed -> vunmap -> NULL
        return VirtAddr(0);
    }
    Live live;
    live.kind = Kind::Vmap;
    live.pages.assign(pages.begin(), pages.end());
    live.usable = req.size;
    m_live.emplace(addr.get(), std::move(live));
    ++m_ledger.areas;
    return addr;
}

// --- ioremap ---------------------------------------------------------------------------------

bool VmallocAllocator::ram_refused(PhysAddr base, u64 size) {
    const unsigned shift = m_space.rules().page_shift;
    for (u64 off = 0; off < size; off += m_page_size) {
        const Pfn pfn = pfn_of(base.offset(off), shift);
        if (!m_pages.pfn_valid(pfn))
            continue;
        if (m_rules.ioremap_ram_allows_reserved && m_pages.pfn_reserved(pfn))
            continue;
        return true;
    }
    return false;
}

ErrorOr<VirtAddr> VmallocAllocator::ioremap_prot(PhysAddr phys, u64 size, IoremapKind kind,
                                                 std::string caller) {
    const std::string ver = m_rules.version.to_string();
    KernelProt prot = kProtKernelNoCache;
    switch (kind) {
    case IoremapKind::Default:
        break;
    case IoremapKind::Nocache:
        if (!m_rules.has_ioremap_nocache)
            return make_error(ErrorKind::InvalidConfig,
                              "ioremap_nocache: not in kernel {} (removed in 5.6; use ioremap)",
                              ver);
        break;
    case IoremapKind::Wc:
        if (!m_rules.has_ioremap_wc)
            return make_error(ErrorKind::InvalidConfig,
                              "ioremap_wc: not in kernel {} (x86 has it from 2.6.26)", ver);
        prot = kProtKernelWC;
        break;
    case IoremapKind::Cache:
        if (!m_rules.has_ioremap_cache)
            return make_error(ErrorKind::InvalidConfig,
                              "ioremap_cache: not in kernel {} (x86 has it from 2.6.25)", ver);
        prot = kProtKernel;
        break;
    }
    const u64 last = phys.get() + size - 1;
    if (size == 0 || last < phys.get())
        return VirtAddr(0);
    const u64 offset = phys.get() & (m_page_size - 1);
    const PhysAddr base(phys.get() - offset);
    const u64 mapped = align_up(last + 1, m_page_size) - base.get();
    if (ram_refused(base, mapped)) {
        // x86 __ioremap_caller WARN (4.x+ text; older kernels returned NULL silently), ARM and
        // arm64 WARN_ON: ordinary RAM is never ioremapped.
        warn(fmt::format("ioremap on RAM at {:#0{}x} - {:#0{}x}", phys.get(),
                         2 + 2 * m_space.rules().phys_addr_bytes(), last,
                         2 + 2 * m_space.rules().phys_addr_bytes()));
        return VirtAddr(0);
    }
    auto r = TRY(m_space.ioremap(phys, size, std::move(caller)));
    if (!r.ok()) {
        if (r.failure == VmapFailure::NoSpace)
            warn(no_space_text(mapped));
        return VirtAddr(0);
    }
    const VirtAddr area_start(r.addr->get() - offset);
    if (!map_phys(area_start, base, mapped / m_page_size, prot)) {
        (void)m_space.free(area_start);
        return VirtAddr(0);
    }
    Live live;
    live.kind = Kind::Ioremap;
    live.usable = mapped;
    m_live.emplace(area_start.get(), std::move(live));
    ++m_ledger.areas;
    return *r.addr;
}

void VmallocAllocator::iounmap(VirtAddr addr) {
    // x86 iounmap: addr & PAGE_MASK, find the VM_IOREMAP area; anything else is "bad address".
    const VirtAddr start(addr.get() & ~(m_page_size - 1));
    const VmArea* area = start.get() ? m_space.find_vm_area(start) : nullptr;
    auto it = area ? m_live.find(area->addr.get()) : m_live.end();
    if (!area || area->addr != start || it == m_live.end() || it->second.kind != Kind::Ioremap) {
        if (addr.get())
            warn(fmt::format("iounmap: bad address {}", ptr_text(addr)));
        return;
    }
    unmap_range(start, it->second.usable / m_page_size);
    m_live.erase(it);
    --m_ledger.areas;
    (void)m_space.free(start);
}

// --- lookups ---------------------------------------------------------------------------------

page* VmallocAllocator::vmalloc_to_page(VirtAddr addr) {
    // vmalloc_to_page: walk pgd..pte of init_mm; a present leaf gives the page.
    auto m = m_tables.lookup(VirtAddr(addr.get() & ~(m_page_size - 1)));
    if (m.is_error() || !m.value())
        return nullptr;
    const Pfn pfn = pfn_of(m.value()->pa, m_space.rules().page_shift);
    if (!m_pages.pfn_valid(pfn))
        return nullptr;
    return m_pages.pfn_to_page(pfn);
}

Pfn VmallocAllocator::vmalloc_to_pfn(VirtAddr addr) {
    page* p = vmalloc_to_page(addr);
    return p ? page_to_pfn(p) : Pfn(0);
}

} // namespace kmemu
