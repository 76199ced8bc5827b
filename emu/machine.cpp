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

} // namespace

ErrorOr<std::unique_ptr<Machine>> Machine::boot(MachineConfig config) {
    TRY(config.validate());
    std::unique_ptr<Machine> m(new Machine());
    m->m_profile = KernelProfile::for_machine(config.kernel, config.arch, config.page_shift());
    m->m_ram = TRY(config.resolve_ram_map());
    m->m_layout = TRY(compute_layout(config, m->m_profile, m->m_ram));
    m->m_phys = TRY(PhysicalMemory::create(m->m_ram, config.mmio, config.page_shift()));
    m->m_iomem = TRY(build_boot_iomem(m->m_ram, m->m_layout, config.mmio, config.kernel));
    m->m_pages = TRY(PageAllocator::boot(m->m_layout, m->m_ram, m->m_profile.page_alloc));
    PhysicalMemory* phys = m->m_phys.get();
    m->m_pages->set_frame_zeroer([phys](Pfn first, u64 n) { phys->zero_frames(first, n); });
    m->m_kmalloc = std::make_unique<KmallocAllocator>(*m->m_pages, m->m_profile.slab, kOnlineCpus,
                                                      memory_hooks_for(*m->m_phys));
    m->m_vmap = std::make_unique<VmapSpace>(m->m_profile.vmalloc, m->m_layout, kOnlineCpus);
    m->m_memory_line =
        render_memory_line(m->m_layout, m->m_profile, m->m_ram, boot_memory_stats(*m->m_pages));
    m->m_config = std::move(config);
    return m;
}

std::string Machine::layout_block() const {
    return render_layout_block(m_layout, m_profile);
}

} // namespace kmemu
