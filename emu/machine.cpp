#include "emu/machine.h"

#include "emu/boot_log.h"
#include "mm/kernel_image/kernel_vars.h"
#include "mm/kernel_image/linux_banner.h"

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
    m->m_iomem = TRY(build_boot_iomem(m->m_ram, m->m_layout, config.mmio, config.kernel));
    m->m_pages = TRY(PageAllocator::boot(m->m_layout, m->m_ram, m->m_profile.page_alloc));
    PhysicalMemory* phys = m->m_phys.get();
    m->m_pages->set_frame_zeroer([phys](Pfn first, u64 n) { phys->zero_frames(first, n); });
    m->m_kmalloc = std::make_unique<KmallocAllocator>(*m->m_pages, m->m_profile.slab, kOnlineCpus,
                                                      memory_hooks_for(*m->m_phys));
    m->m_vmap = std::make_unique<VmapSpace>(m->m_profile.vmalloc, m->m_layout, kOnlineCpus);
    const BootMemoryStats stats = boot_memory_stats(*m->m_pages);
    m->m_memory_line = render_memory_line(m->m_layout, m->m_profile, m->m_ram, stats);
    m->m_symbols = TRY(KernelSymbols::build(m->m_layout, m->m_profile.kernel_image));
    TRY(write_kernel_variables(*m->m_symbols, m->m_profile.kernel_image,
                               kernel_var_values(m->m_layout, m->m_profile, stats), *m->m_phys));
    m->m_config = std::move(config);
    return m;
}

ErrorOr<void> Machine::advance_clock_ns(u64 delta_ns) {
    TRY(m_clock.advance_ns(delta_ns));
    return write_jiffies(*m_symbols, *m_phys,
                         jiffies_64_after(m_profile.kernel_image.hz, m_clock.now_ns()));
}

std::string Machine::layout_block() const {
    return render_layout_block(m_layout, m_profile);
}

} // namespace kmemu
