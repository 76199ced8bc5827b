#include "emu/machine.h"

#include "emu/boot_log.h"
#include "mm/kernel_image/init_mm.h"
#include "mm/kernel_image/kernel_vars.h"
#include "mm/kernel_image/linux_banner.h"
#include "mm/user/zero_page.h"
#include "mm/vmalloc/boot_areas.h"

namespace kmemu {

namespace {

// What mem_init counts, read from the zones right after the boot frees.
BootMemoryStats boot_memory_stats(const PageAllocator& pa) {
    BootMemoryStats s;
    s.free_pages = pa.nr_free_pages();
    for (const auto& z : pa.zones()) {
        s.present_pages += z->present_pages();
        s.managed_pages += z->managed_pages();
        u64 reserved = z->present_pages() - z->managed_pages();
        s.reserved_pages += reserved;
        if (z->is_highmem())
            s.highmem_managed_pages += z->managed_pages();
        else
            s.reserved_lowmem_pages += reserved;
    }
    return s;
}

KernelPgtableOptions kernel_pgtable_options(const MachineConfig& c, unsigned phys_bits) {
    KernelPgtableOptions o;
    o.phys_bits = phys_bits;
    o.highmem = c.highmem_enabled();
    o.va_bits = c.arm64_va_bits();
    return o;
}

// totalram_pages: the pages handed to the buddy allocator (managed pages) after mem_init.
KernelVarValues kernel_var_values(const Layout& l, const KernelProfile& p,
                                  const BootMemoryStats& s) {
    return {l.high_memory.get(), l.max_low_pfn.get(), l.max_pfn.get(), s.managed_pages,
            linux_banner(p.kernel_image)};
}

} // namespace

ErrorOr<std::unique_ptr<Machine>> Machine::boot(MachineConfig config) {
    TRY(config.validate());
    std::unique_ptr<Machine> m(new Machine());
    m->m_profile = KernelProfile::for_machine(config.kernel, config.arch, config.page_shift());
    m->m_ram = TRY(config.resolve_ram_map());
    m->m_layout = TRY(compute_layout(config, m->m_profile, m->m_ram));
    m->m_phys = TRY(PhysicalMemory::create(m->m_ram, config.mmio, config.page_shift()));
    m->m_mmu_registry = std::make_unique<mmu::MmuRegistry>(*m->m_phys);
    m->m_iomem = TRY(build_boot_iomem(m->m_ram, m->m_layout, config.mmio, config.kernel));
    // memblock: what is already reserved, then the kernel's page tables, whose pages the
    // page allocator then sees as reserved (PG_reserved, "reserved" in the Memory: line).
    Memblock memblock(m->m_ram, config.page_shift());
    const auto& l = m->m_layout;
    if (m->m_profile.page_alloc.reserved_low_bytes)
        memblock.reserve(PhysAddr(0), PhysAddr(m->m_profile.page_alloc.reserved_low_bytes));
    memblock.reserve(l.image.phys_start, l.image.pa(l.image.end));
    m->m_kpgtable = TRY(build_kernel_page_tables(l, m->m_profile, m->m_ram,
                                                 kernel_pgtable_options(config, l.phys_bits),
                                                 *m->m_phys, memblock));
    m->m_boot_allocations = memblock.allocations();
    const auto extra = memblock.reserved_ranges();
    m->m_pages = TRY(PageAllocator::boot(l, m->m_ram, m->m_profile.page_alloc, extra));
    m->m_kpgtable->attach_page_allocator(*m->m_pages);
    m->m_kernel_mmu = TRY(mmu::AddressSpaceMmu::create(*m->m_mmu_registry, m->m_kpgtable->format(),
                                                       m->m_kpgtable->mmu()));
    PhysicalMemory* phys = m->m_phys.get();
    m->m_pages->set_frame_zeroer([phys](Pfn first, u64 n) { phys->zero_frames(first, n); });
    m->m_kmalloc = std::make_unique<KmallocAllocator>(*m->m_pages, m->m_profile.slab, kOnlineCpus,
                                                      memory_hooks_for(*m->m_phys));
    m->m_vmap = std::make_unique<VmapSpace>(m->m_profile.vmalloc, m->m_layout, kOnlineCpus);
    m->m_vmalloc = std::make_unique<VmallocAllocator>(
        *m->m_vmap, *m->m_pages, *m->m_kpgtable, *m->m_mmu_registry, *m->m_kmalloc,
        vmalloc_api_rules_for(config.kernel, config.arch, m->m_pages->zone(ZoneType::Dma32),
                              m->m_pages->zone(ZoneType::Dma), config.page_shift()));
    m->m_vread_backing = std::make_unique<KernelVreadBacking>(*m->m_kpgtable, *m->m_phys);
    // kmap_init: pkmap and the fixmap kmap slots, with HIGHMEM.
    if (config.highmem_enabled() && m->m_layout.pkmap_base) {
        const HighmemRules hr = TRY(highmem_rules_for(config.kernel, config.arch));
        m->m_highmem = TRY(Highmem::create(l, hr, *m->m_kpgtable, *m->m_pages));
        mmu::MmuRegistry* tlbs = m->m_mmu_registry.get();
        m->m_highmem->set_tlb_flush(
            [tlbs](VirtAddr start, VirtAddr end) { tlbs->flush_tlb_kernel_range(start, end); });
    }
    m->m_direct_map = std::make_unique<DirectMap>(l, m->m_pages.get());
    if (m->m_highmem)
        m->m_direct_map->set_kmap_lookup(m->m_highmem->kmap_lookup());
    const BootMemoryStats stats = boot_memory_stats(*m->m_pages);
    m->m_memory_line = render_memory_line(m->m_layout, m->m_profile, m->m_ram, stats);
    m->m_symbols = TRY(KernelSymbols::build(m->m_layout, m->m_profile.kernel_image));
    // The page-table symbol names the real top-level table the boot built.
    TRY(m->m_symbols->set_address(m->m_symbols->pgd_name(), m->m_kpgtable->swapper_pg_dir(),
                                  m->m_kpgtable->root_pa()));
    TRY(write_kernel_variables(*m->m_symbols, m->m_profile.kernel_image,
                               kernel_var_values(m->m_layout, m->m_profile, stats), *m->m_phys));
    TRY(write_init_mm(*m->m_symbols, m->m_profile.kernel_image, m->m_kpgtable->format().level_count,
                      *m->m_phys));
    // Areas registered before vmalloc_init (arm64's image segments), then the vm_struct /
    // vmap_area objects in kernel memory, listed from vmlist / vmap_area_list.
    TRY(add_boot_vm_areas(*m->m_vmap, m->m_layout, config.kernel));
    m->m_vm_objects = TRY(VmObjects::attach(*m->m_vmap, *m->m_kmalloc, *m->m_pages, *m->m_phys,
                                            m->m_layout, *m->m_symbols));
    m->m_config = std::move(config);
    m->m_modules = std::make_unique<ModuleList>(*m);
    m->m_devices = TRY(DeviceLayer::boot(*m));
    return m;
}

ErrorOr<void> Machine::advance_clock_ns(u64 delta_ns) {
    TRY(m_clock.advance_ns(delta_ns));
    return write_jiffies(*m_symbols, *m_phys,
                         jiffies_64_after(m_profile.kernel_image.hz, m_clock.now_ns()));
}

Process& Machine::spawn(ProcessOptions options) {
    int pid = m_next_pid++;
    auto p = std::make_unique<Process>(*this, pid, std::move(options));
    Process& ref = *p;
    m_processes.emplace(pid, std::move(p));
    return ref;
}

Process* Machine::process(int pid) {
    auto it = m_processes.find(pid);
    return it == m_processes.end() ? nullptr : it->second.get();
}

void Machine::exit_process(int pid) {
    m_processes.erase(pid);
}

ErrorOr<MmDeps> Machine::mm_deps() {
    const Pfn zero = TRY(empty_zero_page_pfn(m_layout, *m_kpgtable, *m_symbols));
    return MmDeps{m_layout, m_profile, *m_phys, *m_pages, *m_mmu_registry, *m_kpgtable, zero};
}

std::string Machine::layout_block() const {
    return render_layout_block(m_layout, m_profile);
}

} // namespace kmemu
