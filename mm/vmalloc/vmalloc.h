// The allocating vmalloc API of one machine (mm/vmalloc.c, arch ioremap.c, module_alloc): areas
// placed by VmapSpace, pages from the buddy allocator, mapped one base page at a time into
// init_mm's page tables (KernelPageTables), the TLBs kept right by the watched page-table frames
// and flush_tlb_kernel_range.
//
// Return values are the kernel's: a kernel virtual address, 0 for NULL. The ioremap family and
// vzalloc return ErrorOr: an Error means the call does not exist in this kernel version (a
// driver using it would not build), a value of 0 is the kernel's NULL.
//
// Partial failure (DESIGN.md lesson 9): when a page allocation or a page-table allocation fails
// part-way through vmalloc/vmap/ioremap, every page allocated for the call is freed, every PTE
// written is cleared and the area is released through VmapSpace::free, as the kernel's error
// path (vfree of the half-made area) does. What remains is exactly what the kernel leaves: the
// area's address range lazily freed (E2+: not reusable until a purge) and any PTE tables
// allocated on the way (kernel page tables are not freed). No page, no mapping, no area.
//
// The vm_struct / vmap_area objects themselves are VmapSpace's hooks' business (vm_objects.h):
// this API only reports the page array it made (VmArea::pages_kmalloc, area_updated).
//
// Not modelled: NUMA nodes, the 5.13+ bulk page allocator's order of pages (pages are taken one by
// one in index order), huge vmalloc/ioremap mappings (always base pages), KASAN shadow, x86 PAT
// memtype tracking, the ARM static-mapping reuse of ioremap.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "mm/error.h"
#include "mm/gfp.h"
#include "mm/kernel_pgtable.h"
#include "mm/mmu/mmu_registry.h"
#include "mm/page_alloc.h"
#include "mm/slab/kmalloc.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

// Per-version facts of the allocating API, decided once by vmalloc_api_rules_for().
struct VmallocApiRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    // Which ioremap spellings exist.
    bool has_ioremap_nocache = true; // removed in 5.6 (all arches)
    bool has_ioremap_wc = true;      // x86: 2.6.26+ (PAT); ARM, arm64: always
    bool has_ioremap_cache = true;   // x86: 2.6.25+; ARM 2.6.x spelled ioremap_cached; arm64
    bool has_vzalloc = true;         // 2.6.37+
    // vmalloc_32's mask (GFP_VMALLOC32): GFP_KERNEL | GFP_DMA32 on 64-bit kernels with
    // ZONE_DMA32, | GFP_DMA on 64-bit with only ZONE_DMA, plain GFP_KERNEL on 32-bit.
    gfp_t vmalloc32_gfp = GFP_KERNEL;
    // SHMLBA (vmalloc_user's alignment): PAGE_SIZE on x86 and arm64, 4 pages on 32-bit ARM.
    u64 shmlba = 4096;
    // ioremap of RAM refused: x86 rejects RAM pages that are not PG_reserved
    // (__ioremap_check_ram); ARM and arm64 reject any pfn_valid RAM pfn.
    bool ioremap_ram_allows_reserved = true;
    // Protection of module_alloc: PAGE_KERNEL_EXEC up to 4.x on x86 (and always on 32-bit ARM);
    // x86 from 5.x maps PAGE_KERNEL and flips text to ROX later (not modelled).
    KernelProt module_prot = kProtKernelExec;
    // vmalloc_nr_pages() (5.3+) counts vmalloc'ed pages for /proc/meminfo VmallocUsed.
    bool counts_vmalloc_pages = true;
};
[[nodiscard]] VmallocApiRules vmalloc_api_rules_for(KernelVersion version, Arch arch,
                                                    bool has_dma32_zone, bool has_dma_zone,
                                                    unsigned page_shift);

enum class IoremapKind : u8 {
    Default, // ioremap(): x86 UC-, ARM MT_DEVICE, arm64 Device-nGnRE
    Nocache, // ioremap_nocache() (<= 5.5): same memory type as ioremap
    Wc,      // ioremap_wc(): write-combining
    Cache,   // ioremap_cache(): write-back
};

// Ledger (lesson 10): what the API has handed out and not taken back.
struct VmallocLedger {
    u64 areas = 0;         // vmalloc/vmap/ioremap/module areas live
    u64 pages = 0;         // pages allocated for areas (data pages and vmalloc'ed page arrays)
    u64 bytes = 0;         // usable bytes of live vmalloc/module areas (without guard pages)
    u64 array_kmalloc = 0; // page arrays kmalloc'ed and not freed
    [[nodiscard]] bool balanced() const {
        return areas == 0 && pages == 0 && bytes == 0 && array_kmalloc == 0;
    }
};

class VmallocAllocator {
  public:
    VmallocAllocator(VmapSpace& space, PageAllocator& pages, KernelPageTables& tables,
                     mmu::MmuRegistry& mmus, KmallocAllocator& kmalloc, VmallocApiRules rules);
    VmallocAllocator(const VmallocAllocator&) = delete;
    VmallocAllocator& operator=(const VmallocAllocator&) = delete;

    [[nodiscard]] const VmallocApiRules& rules() const { return m_rules; }

    // vmalloc(): GFP_KERNEL | __GFP_HIGHMEM pages (highmem first on 32-bit), PAGE_KERNEL.
    [[nodiscard]] VirtAddr vmalloc(u64 size, std::string caller = {});
    // vzalloc() (2.6.37+): vmalloc with __GFP_ZERO.
    [[nodiscard]] ErrorOr<VirtAddr> vzalloc(u64 size, std::string caller = {});
    // vmalloc_user(): zeroed, SHMLBA-aligned, VM_USERMAP (for remap_vmalloc_range).
    [[nodiscard]] VirtAddr vmalloc_user(u64 size, std::string caller = {});
    // vmalloc_32() / vmalloc_32_user(): pages from 32-bit addressable memory (no highmem).
    [[nodiscard]] VirtAddr vmalloc_32(u64 size, std::string caller = {});
    [[nodiscard]] VirtAddr vmalloc_32_user(u64 size, std::string caller = {});
    // __vmalloc(size, gfp, prot) over [VMALLOC_START, VMALLOC_END).
    [[nodiscard]] VirtAddr vmalloc_gfp(u64 size, gfp_t gfp, KernelProt prot, u64 align, u32 flags,
                                       std::string caller);
    // vfree(): unmap, free the pages and the page array, free the range (lazily, E2+). NULL is
    // ignored; an address that is no vmalloc area is WARNed (warnings()) and changes nothing.
    void vfree(VirtAddr addr);

    // vmap(pages, count, flags, prot): map existing pages (the caller keeps them). NULL when
    // count exceeds totalram or the range or a page table cannot be had.
    [[nodiscard]] VirtAddr vmap(std::span<page* const> pages, u32 flags = VmMap,
                                KernelProt prot = kProtKernel, std::string caller = {});
    // vunmap(): unmap and free the range; the pages are not freed.
    void vunmap(VirtAddr addr);

    // ioremap family: MMIO windows, holes and reserved RAM (x86) can be mapped; RAM in use
    // cannot (NULL, with the kernel's WARN text in warnings()).
    [[nodiscard]] ErrorOr<VirtAddr> ioremap_prot(PhysAddr phys, u64 size, IoremapKind kind,
                                                 std::string caller = {});
    [[nodiscard]] ErrorOr<VirtAddr> ioremap(PhysAddr phys, u64 size, std::string caller = {}) {
        return ioremap_prot(phys, size, IoremapKind::Default, std::move(caller));
    }
    [[nodiscard]] ErrorOr<VirtAddr> ioremap_nocache(PhysAddr phys, u64 size,
                                                    std::string caller = {}) {
        return ioremap_prot(phys, size, IoremapKind::Nocache, std::move(caller));
    }
    [[nodiscard]] ErrorOr<VirtAddr> ioremap_wc(PhysAddr phys, u64 size, std::string caller = {}) {
        return ioremap_prot(phys, size, IoremapKind::Wc, std::move(caller));
    }
    [[nodiscard]] ErrorOr<VirtAddr> ioremap_cache(PhysAddr phys, u64 size,
                                                  std::string caller = {}) {
        return ioremap_prot(phys, size, IoremapKind::Cache, std::move(caller));
    }
    // iounmap(): the page offset inside the area is ignored (addr & PAGE_MASK), as x86 does.
    void iounmap(VirtAddr addr);

    // module_alloc(): pages in [MODULES_VADDR, MODULES_END) (the vmalloc range on i386).
    [[nodiscard]] VirtAddr module_alloc(u64 size, std::string caller = "load_module");
    void module_memfree(VirtAddr addr) { vfree(addr); }

    // vmalloc_to_page / vmalloc_to_pfn: through the page tables; nullptr / Pfn(0) when the
    // address is not mapped or maps no RAM page.
    [[nodiscard]] page* vmalloc_to_page(VirtAddr addr);
    [[nodiscard]] Pfn vmalloc_to_pfn(VirtAddr addr);

    // totalram_pages (managed pages of every zone).
    [[nodiscard]] u64 totalram_pages() const;
    // vmalloc_nr_pages() (5.3+ meminfo VmallocUsed): pages of vmalloc areas outstanding.
    [[nodiscard]] u64 nr_vmalloc_pages() const { return m_nr_vmalloc_pages; }

    [[nodiscard]] const VmallocLedger& ledger() const { return m_ledger; }
    [[nodiscard]] bool ledger_balanced() const { return m_ledger.balanced(); }
    // WARN / printk texts of failed or refused calls, in order.
    [[nodiscard]] const std::vector<std::string>& warnings() const { return m_warnings; }

  private:
    enum class Kind : u8 { Vmalloc, Vmap, Ioremap };
    struct Live {
        Kind kind = Kind::Vmalloc;
        std::vector<page*> pages; // owned pages (vmalloc) or borrowed (vmap)
        VirtAddr array_kmalloc;   // page array from kmalloc, or 0
        VirtAddr array_vmalloc;   // page array vmalloc'ed (VmArea::pages_vaddr), or 0
        u64 usable = 0;
    };

    // Allocate the pages of the area at addr (nr_pages and a vmalloc'ed page array already
    // placed), map them, record them. On failure everything it did is undone but the range.
    [[nodiscard]] bool fill_area(VirtAddr addr, gfp_t gfp, KernelProt prot);
    // Unmap and free what fill_area made (recursively for a vmalloc'ed page array).
    void empty_area(VirtAddr addr);
    // Map `pages` at addr page by page; on failure clear what was mapped and return false.
    [[nodiscard]] bool map_pages(VirtAddr addr, std::span<page* const> pages, KernelProt prot);
    [[nodiscard]] bool map_phys(VirtAddr addr, PhysAddr phys, u64 npages, KernelProt prot);
    void unmap_range(VirtAddr addr, u64 npages);
    void free_pages(std::vector<page*>& pages);
    [[nodiscard]] bool ram_refused(PhysAddr base, u64 size);
    [[nodiscard]] std::string no_space_text(u64 size) const;
    [[nodiscard]] std::string ptr_text(VirtAddr addr) const;
    void warn(std::string text) { m_warnings.push_back(std::move(text)); }

    VmapSpace& m_space;
    PageAllocator& m_pages;
    KernelPageTables& m_tables;
    mmu::MmuRegistry& m_mmus;
    KmallocAllocator& m_kmalloc;
    VmallocApiRules m_rules;
    u64 m_page_size;
    unsigned m_ptr_bytes;
    std::map<u64, Live> m_live; // by area start
    VmallocLedger m_ledger;
    u64 m_nr_vmalloc_pages = 0;
    std::vector<std::string> m_warnings;
};

} // namespace kmemu
