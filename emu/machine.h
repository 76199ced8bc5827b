// Machine: one booted emulated computer. Owns every piece of kernel state built from its
// MachineConfig; several machines may coexist in one process (DESIGN.md decision 10).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "emu/device_layer.h"
#include "emu/module/module_list.h"
#include "emu/process/process.h"
#include "emu/virtual_clock.h"
#include "mm/direct_map.h"
#include "mm/error.h"
#include "mm/highmem.h"
#include "mm/iomem.h"
#include "mm/kernel_image/kernel_symbols.h"
#include "mm/kernel_pgtable.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/machine_config.h"
#include "mm/mmu/address_space_mmu.h"
#include "mm/mmu/mmu_registry.h"
#include "mm/page_alloc.h"
#include "mm/phys_memory.h"
#include "mm/ram_map.h"
#include "mm/slab/kmalloc.h"
#include "mm/user/mm_struct.h"
#include "mm/vmalloc/kernel_vread_backing.h"
#include "mm/vmalloc/vm_objects.h"
#include "mm/vmalloc/vmalloc.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

class Machine {
  public:
    // Build and boot. Nothing is built when the config is invalid.
    [[nodiscard]] static ErrorOr<std::unique_ptr<Machine>> boot(MachineConfig config);

    [[nodiscard]] const MachineConfig& config() const { return m_config; }
    [[nodiscard]] const KernelProfile& profile() const { return m_profile; }
    [[nodiscard]] const RamMap& ram_map() const { return m_ram; }
    [[nodiscard]] const Layout& layout() const { return m_layout; }
    [[nodiscard]] PhysicalMemory& phys_memory() { return *m_phys; }
    [[nodiscard]] const PhysicalMemory& phys_memory() const { return *m_phys; }
    [[nodiscard]] const IomemTree& iomem() const { return *m_iomem; }
    [[nodiscard]] PageAllocator& page_allocator() { return *m_pages; }
    [[nodiscard]] const PageAllocator& page_allocator() const { return *m_pages; }
    [[nodiscard]] KmallocAllocator& kmalloc() { return *m_kmalloc; }
    [[nodiscard]] const KmallocAllocator& kmalloc() const { return *m_kmalloc; }
    // The vmalloc address space's areas (vmlist / vmap_area list), without page tables yet.
    [[nodiscard]] VmapSpace& vmap_space() { return *m_vmap; }
    [[nodiscard]] const VmapSpace& vmap_space() const { return *m_vmap; }
    // What vread/vwrite see: vmalloc_to_page through init_mm's tables, bytes in the frames.
    [[nodiscard]] KernelVreadBacking& vread_backing() { return *m_vread_backing; }

    // The kernel image's symbol table (/proc/kallsyms); set_address() moves a symbol, and
    // kernel variables are rewritten by the caller if it moves one of them.
    [[nodiscard]] KernelSymbols& symbols() { return *m_symbols; }
    [[nodiscard]] const KernelSymbols& symbols() const { return *m_symbols; }
    // Virtual time since boot. Advancing it rewrites jiffies_64 in the image.
    [[nodiscard]] const VirtualClock& clock() const { return m_clock; }
    ErrorOr<void> advance_clock_ns(u64 delta_ns);

    // vmalloc, vmap, ioremap, module_alloc: pages mapped into init_mm's page tables.
    [[nodiscard]] VmallocAllocator& vmalloc() { return *m_vmalloc; }
    [[nodiscard]] const VmallocAllocator& vmalloc() const { return *m_vmalloc; }
    // The vm_struct / vmap_area objects of the vmap areas, in kernel memory.
    [[nodiscard]] const VmObjects& vm_objects() const { return *m_vm_objects; }

    // The machine runs with one online CPU (QEMU's default -smp 1): SLUB's slab orders and
    // vmalloc's lazy_max_pages scale with it.
    static constexpr unsigned kOnlineCpus = 1;

    // The machine's TLBs: flush_tlb_all / flush_tlb_kernel_range reach every address space.
    [[nodiscard]] mmu::MmuRegistry& mmu_registry() { return *m_mmu_registry; }
    // Kernel-mode loads and stores through init_mm's page tables and a software TLB.
    [[nodiscard]] mmu::AddressSpaceMmu& kernel_mmu() { return *m_kernel_mmu; }

    // init_mm's page tables (swapper_pg_dir), built at boot before the page allocator.
    [[nodiscard]] KernelPageTables& kernel_page_tables() { return *m_kpgtable; }
    [[nodiscard]] const KernelPageTables& kernel_page_tables() const { return *m_kpgtable; }
    // What memblock handed out at boot (page-table pages, ARM swapper_pg_dir and vectors).
    [[nodiscard]] const std::vector<MemblockAllocation>& boot_allocations() const {
        return m_boot_allocations;
    }

    // kmap/kmap_atomic (32-bit HIGHMEM machines only; nullptr otherwise). Its TLB flush hook
    // is left for the TLB to connect (flush_tlb_kernel_range).
    [[nodiscard]] Highmem* highmem() { return m_highmem.get(); }
    [[nodiscard]] const Highmem* highmem() const { return m_highmem.get(); }
    // The direct-map conversions (__pa, __va, page_address...); page_address of a highmem
    // page asks the Highmem's pkmap.
    [[nodiscard]] const DirectMap& direct_map() const { return *m_direct_map; }

    // What a user address space (MmStruct::create) needs from this machine, ZERO_PAGE included.
    [[nodiscard]] ErrorOr<MmDeps> mm_deps();

    // The boot log's "Memory:" line(s) and "virtual kernel memory layout" block, as this
    // kernel printed them at mem_init.
    [[nodiscard]] const std::string& memory_line() const { return m_memory_line; }
    [[nodiscard]] std::string layout_block() const;

    // The device side: char devices, /dev, procfs, and the DeviceKernel drivers see.
    [[nodiscard]] DeviceLayer& devices() { return *m_devices; }
    // A new user process (pids from kFirstPid up, never reused); it lives until exit_process or
    // the machine's end.
    [[nodiscard]] Process& spawn(ProcessOptions options = {});
    [[nodiscard]] Process* process(int pid);
    void exit_process(int pid);
    static constexpr int kFirstPid = 100;

    // The loaded modules (insmod / rmmod / /proc/modules).
    [[nodiscard]] ModuleList& modules() { return *m_modules; }
    [[nodiscard]] const ModuleList& modules() const { return *m_modules; }

  private:
    Machine() = default;
    MachineConfig m_config;
    KernelProfile m_profile;
    RamMap m_ram;
    Layout m_layout;
    std::unique_ptr<PhysicalMemory> m_phys;
    std::optional<IomemTree> m_iomem;
    std::unique_ptr<KernelPageTables> m_kpgtable;
    std::vector<MemblockAllocation> m_boot_allocations;
    std::unique_ptr<PageAllocator> m_pages;
    std::unique_ptr<KmallocAllocator> m_kmalloc;
    std::unique_ptr<VmapSpace> m_vmap;
    std::unique_ptr<KernelVreadBacking> m_vread_backing;
    std::unique_ptr<Highmem> m_highmem;
    std::unique_ptr<DirectMap> m_direct_map;
    // Members are destroyed in reverse order: the kernel MMU before the registry it is on, the
    // registry before the physical memory it observes.
    std::unique_ptr<mmu::MmuRegistry> m_mmu_registry;
    std::unique_ptr<mmu::AddressSpaceMmu> m_kernel_mmu;
    std::unique_ptr<VmallocAllocator> m_vmalloc;
    std::unique_ptr<VmObjects> m_vm_objects; // detaches from m_vmap before it goes
    std::string m_memory_line;
    std::optional<KernelSymbols> m_symbols;
    VirtualClock m_clock;
    // Processes go before the devices they hold files of.
    std::unique_ptr<DeviceLayer> m_devices;
    std::map<int, std::unique_ptr<Process>> m_processes;
    int m_next_pid = kFirstPid;
    // Only addresses and catalog pointers: no exit runs at teardown.
    std::unique_ptr<ModuleList> m_modules;
};

} // namespace kmemu
