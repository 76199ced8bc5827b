#include "emu/machine.h"

#include "emu/boot_log.h"

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

KernelPgtableOptions kernel_pgtable_options(const MachineConfig& c) {
    KernelPgtableOptions o;
    // The CPU's physical address width: QEMU's defaults (qemu64: 40, PAE qemu32: 36; LPAE 40;
    // arm64 48).
    unsigned def = 32;
    switch (c.arch) {
    case Arch::I386:
        def = 32;
        break;
    case Arch::I386Pae:
        def = 36;
        break;
    case Arch::X86_64:
    case Arch::X86_64La57:
        def = kX86_64DefaultPhysBits;
        break;
    case Arch::Arm:
        def = 32;
        break;
    case Arch::ArmLpae:
        def = 40;
        break;
    case Arch::Arm64:
        def = 48;
        break;
    }
    o.phys_bits = c.phys_bits.value_or(def);
    o.highmem = c.highmem_enabled();
    o.va_bits = c.arm64_va_bits();
    return o;
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
    m->m_kpgtable = TRY(build_kernel_page_tables(
        l, m->m_profile, m->m_ram, kernel_pgtable_options(config), *m->m_phys, memblock));
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
    m->m_memory_line =
        render_memory_line(m->m_layout, m->m_profile, m->m_ram, boot_memory_stats(*m->m_pages));
    m->m_config = std::move(config);
    return m;
}

std::string Machine::layout_block() const {
    return render_layout_block(m_layout, m_profile);
}

} // namespace kmemu
