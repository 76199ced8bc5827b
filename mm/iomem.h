// The iomem resource tree (kernel/resource.c's iomem_resource and its struct resource
// children), as the machine's kernel builds it at boot, and the lookups the kernel makes on it:
// region_intersects, iomem_is_exclusive, page_is_ram, walk_system_ram_range.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/icl/interval_map.hpp>

#include "mm/error.h"
#include "mm/iomem_rules.h"
#include "mm/kernel_version.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"
#include "mm/types.h"

namespace kmemu {

struct Layout;

// include/linux/ioport.h flag bits.
constexpr u64 IORESOURCE_MEM = 0x00000200;
constexpr u64 IORESOURCE_SYSRAM = 0x01000000;
constexpr u64 IORESOURCE_EXCLUSIVE = 0x08000000;
constexpr u64 IORESOURCE_BUSY = 0x80000000;
// kmemu always sets IORESOURCE_SYSRAM on System RAM and the kernel-image entries: 4.6+ kernels
// do, and older ones recognise the same resources by their "System RAM" name.
constexpr u64 IORESOURCE_SYSTEM_RAM = IORESOURCE_MEM | IORESOURCE_SYSRAM;

// enum of IORES_DESC_* (4.6+).
enum class IoresDesc : u32 {
    None = 0,
    CrashKernel = 1,
    AcpiTables = 2,
    AcpiNvStorage = 3,
    PersistentMemory = 4,
    PersistentMemoryLegacy = 5,
    DevicePrivateMemory = 6,
    Reserved = 7,
    SoftReserved = 8,
};

enum class RegionIntersect { Intersects = 0, Disjoint = 1, Mixed = 2 }; // REGION_* values

struct Resource {
    std::string name;
    PhysAddr start;
    PhysAddr end; // inclusive, as the kernel keeps it
    u64 flags = IORESOURCE_MEM;
    IoresDesc desc = IoresDesc::None;
    std::vector<Resource> children; // sorted by start, disjoint, each inside this one
};

// Boot-time knobs of the lookups: `iomem=relaxed|strict` and CONFIG_IO_STRICT_DEVMEM.
struct IomemPolicy {
    bool strict_iomem_checks = true; // CONFIG_STRICT_DEVMEM default; iomem=relaxed clears it
    bool io_strict_devmem = false;   // CONFIG_IO_STRICT_DEVMEM
};

class IomemTree {
  public:
    // root_end: the last address of iomem_resource (0xffffffff where phys_addr_t is 32 bits).
    IomemTree(u64 root_end, unsigned page_shift, IomemRules rules);
    IomemTree(const IomemTree& other);
    IomemTree& operator=(const IomemTree& other);
    IomemTree(IomemTree&&) = default;
    IomemTree& operator=(IomemTree&&) = default;

    [[nodiscard]] const Resource& root() const { return m_root; }
    [[nodiscard]] const IomemRules& rules() const { return m_rules; }
    [[nodiscard]] unsigned page_shift() const { return m_page_shift; }

    // insert_resource: the new resource goes under the deepest resource containing it and
    // adopts the resources it contains (an equal one included); a partial overlap is an error.
    ErrorOr<void> insert(Resource res);
    // Replace the whole set of top-level resources (imported trees); children must be sorted,
    // disjoint and nested. Checked.
    ErrorOr<void> set_children(std::vector<Resource> top_level);

    // Pre-order walk (r_show's order); depth 0 for the root's children.
    void for_each(const std::function<void(const Resource&, unsigned depth)>& f) const;

    [[nodiscard]] RegionIntersect region_intersects(PhysAddr start, u64 size, u64 flags,
                                                    IoresDesc desc) const;
    [[nodiscard]] bool iomem_is_exclusive(PhysAddr addr, const IomemPolicy& policy) const;
    [[nodiscard]] bool page_is_ram(Pfn pfn) const;
    // Calls func(pfn, nr_pages) for each whole-page run of System RAM in the range; stops at
    // a non-zero return and passes it back. rules().walk_no_ram_result when nothing matched.
    int walk_system_ram_range(Pfn start_pfn, u64 nr_pages,
                              const std::function<int(Pfn, u64)>& func) const;

  private:
    struct Flat {
        const Resource* res;
        unsigned depth;
        u32 top; // index of its top-level ancestor (itself at depth 0)
    };
    void reindex();
    // Flat indices (pre-order) of resources overlapping [first, last], ascending.
    [[nodiscard]] std::vector<u32> overlapping(u64 first, u64 last) const;
    // First resource in pre-order overlapping [first, last] whose flags include `flags`.
    [[nodiscard]] const Resource* find_next_iomem_res(u64 first, u64 last, u64 flags) const;

    Resource m_root;
    unsigned m_page_shift = 12;
    IomemRules m_rules;
    std::vector<Flat> m_flat;
    boost::icl::interval_map<u64, std::set<u32>> m_index;
};

// The tree the machine's kernel builds at boot: from the RAM map (e820 entries with the
// version's names and busy rules, kernel image sections, the x86 legacy and QEMU i440fx
// chipset entries) or, when the map was imported from /proc/iomem, that tree; then the
// configured MMIO regions.
[[nodiscard]] ErrorOr<IomemTree> build_boot_iomem(const RamMap& ram, const Layout& layout,
                                                  const std::vector<MmioRegion>& mmio,
                                                  const KernelVersion& version);

} // namespace kmemu
