// build_boot_iomem: the resource tree a booted kernel shows in /proc/iomem, per arch and
// version. The x86 board is QEMU's i440fx with SeaBIOS; what it shows and why:
//   - one resource per e820 entry (e820__reserve_resources), after trim_bios_range;
//   - "Kernel code/rodata/data/bss" under the System RAM holding them (setup_arch);
//   - "System ROM" 0xf0000-0xfffff under the BIOS area's reserved entry (probe_roms);
//     "Video ROM"/"Adapter ROM" need an 0xaa55 ROM signature in memory, which kmemu's
//     zero-filled frames never hold, so they are absent;
//   - 2.6.34+: the host bridge's _CRS windows "PCI Bus 0000:00" (0xa0000-0xbffff and from the
//     top of RAM below 4 GiB to 0xfebfffff, as QEMU's ACPI tables give them; the 64-bit window
//     is not modelled); before: the legacy "Video RAM area" 0xa0000-0xbffff;
//   - the chipset's "IOAPIC 0", "HPET 0" and "Local APIC", all busy;
//   - "RAM buffer" gaps (e820__reserve_resources_late) are not modelled.
// ARM and arm64 show each memory bank as "System RAM" with "Kernel code" and "Kernel data".
#include <limits>

#include "mm/iomem.h"
#include "mm/layout.h"

namespace kmemu {

namespace {

constexpr u64 kMiB1 = 0x100000;

struct E820Piece {
    u64 start;
    u64 end; // exclusive
    RamType type;
};

// trim_bios_range: page 0 is turned into reserved, RAM in [0xa0000, 0x100000) is dropped.
std::vector<E820Piece> trim_bios_range(std::vector<E820Piece> in, u64 page) {
    std::vector<E820Piece> out;
    auto push = [&](u64 s, u64 e, RamType t) {
        if (e <= s)
            return;
        if (!out.empty() && out.back().end == s && out.back().type == t)
            out.back().end = e; // e820__update_table merges equal neighbours
        else
            out.push_back({s, e, t});
    };
    for (const auto& p : in) {
        if (p.type != RamType::Usable) {
            push(p.start, p.end, p.type);
            continue;
        }
        if (p.start < page)
            push(p.start, std::min(p.end, page), RamType::Reserved);
        const u64 s = std::max(p.start, page);
        push(s, std::min(p.end, u64{0xa0000}), RamType::Usable);
        push(std::max(s, kMiB1), p.end, RamType::Usable);
    }
    return out;
}

std::string e820_name(RamType t, const IomemRules& rules) {
    switch (t) {
    case RamType::Usable:
    case RamType::ReservedKern:
        return "System RAM";
    case RamType::Acpi:
        return "ACPI Tables";
    case RamType::Nvs:
        return "ACPI Non-volatile Storage";
    case RamType::Unusable:
        return "Unusable memory";
    case RamType::Pram:
        return "Persistent Memory (legacy)";
    case RamType::Pmem:
        return "Persistent Memory";
    case RamType::SoftReserved:
        return "Soft Reserved";
    case RamType::Reserved:
        break;
    }
    return rules.reserved_capitalised ? "Reserved" : "reserved";
}

IoresDesc e820_desc(RamType t) {
    switch (t) {
    case RamType::Acpi:
        return IoresDesc::AcpiTables;
    case RamType::Nvs:
        return IoresDesc::AcpiNvStorage;
    case RamType::Pmem:
        return IoresDesc::PersistentMemory;
    case RamType::Pram:
        return IoresDesc::PersistentMemoryLegacy;
    case RamType::Reserved:
        return IoresDesc::Reserved;
    case RamType::SoftReserved:
        return IoresDesc::SoftReserved;
    default:
        return IoresDesc::None;
    }
}

// do_mark_busy: everything below 1 MiB and every type but (soft-)reserved and persistent
// memory is claimed busy at boot.
bool e820_busy(RamType t, u64 start) {
    if (start < kMiB1)
        return true;
    return !(t == RamType::Reserved || t == RamType::SoftReserved || t == RamType::Pram ||
             t == RamType::Pmem);
}

Resource make(std::string name, u64 start, u64 last, u64 flags, IoresDesc desc = IoresDesc::None) {
    return Resource{std::move(name), PhysAddr(start), PhysAddr(last), flags, desc, {}};
}

// A kernel-image section [from, to) in physical addresses; nothing when empty.
ErrorOr<void> insert_section(IomemTree& tree, const KernelImage& img, std::string name,
                             VirtAddr from, VirtAddr to) {
    if (to <= from || from < img.text)
        return {};
    return tree.insert(make(std::move(name), img.pa(from).get(), img.pa(to).get() - 1,
                            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY));
}

// Names the kernel inserts busy (drivers and probe_roms claim them).
bool imported_busy(const std::string& name, unsigned depth, u64 start) {
    if (name == "System RAM" || name.starts_with("Kernel ") || name == "System ROM" ||
        name == "Video ROM" || name == "Adapter ROM" || name == "Video RAM area" ||
        name == "Local APIC" || name.starts_with("IOAPIC ") || name.starts_with("HPET "))
        return true;
    if (depth == 0) {
        for (RamType t : {RamType::Reserved, RamType::Acpi, RamType::Nvs, RamType::Unusable,
                          RamType::Pram, RamType::Pmem, RamType::SoftReserved})
            if (name == e820_name(t, IomemRules{}) ||
                (t == RamType::Reserved && name == "reserved"))
                return e820_busy(t, start);
    }
    return false;
}

Resource imported_resource(const ImportedResource& r) {
    Resource res = make(r.name, r.start.get(), r.end.get(), IORESOURCE_MEM);
    if (r.name == "System RAM" || r.name.starts_with("Kernel "))
        res.flags = IORESOURCE_SYSTEM_RAM;
    if (imported_busy(r.name, r.depth, r.start.get()))
        res.flags |= IORESOURCE_BUSY;
    if (r.depth == 0 && (r.name == "reserved" || r.name == "Reserved"))
        res.desc = IoresDesc::Reserved;
    if (r.name == "ACPI Tables")
        res.desc = IoresDesc::AcpiTables;
    if (r.name == "ACPI Non-volatile Storage")
        res.desc = IoresDesc::AcpiNvStorage;
    return res;
}

// Rebuild the nesting of an imported /proc/iomem. r_show saturates the indentation at depth
// 5, so a depth-5 line inside the previous depth-5 line is its child.
std::vector<Resource> nest_imported(const std::vector<ImportedResource>& lines) {
    std::vector<Resource> top;
    std::vector<Resource*> stack; // stack[d] = the open resource at true depth d
    for (const auto& line : lines) {
        size_t depth = line.depth;
        if (line.depth == 5)
            while (stack.size() > 5 &&
                   !(stack.back()->start <= line.start && stack.back()->end >= line.end))
                stack.pop_back();
        if (line.depth == 5 && stack.size() > 5)
            depth = stack.size();
        stack.resize(std::min(stack.size(), depth));
        auto& siblings = depth == 0 ? top : stack.back()->children;
        siblings.push_back(imported_resource(line));
        stack.push_back(&siblings.back());
    }
    return top;
}

} // namespace

ErrorOr<IomemTree> build_boot_iomem(const RamMap& ram, const Layout& layout,
                                    const std::vector<MmioRegion>& mmio,
                                    const KernelVersion& version) {
    const Arch arch = layout.arch;
    const IomemRules rules = iomem_rules_for(version, arch);
    // iomem_resource.end is the largest phys_addr_t: 32 bits without PAE/LPAE.
    const bool phys32 = arch == Arch::I386 || arch == Arch::Arm;
    const u64 root_end = phys32 ? 0xffffffff : std::numeric_limits<u64>::max();
    IomemTree tree(root_end, layout.page_shift, rules);
    const KernelImage& img = layout.image;

    if (!ram.imported.empty()) {
        TRY(tree.set_children(nest_imported(ram.imported)));
    } else if (is_x86(arch)) {
        // Kernel sections first: the System RAM entry inserted later adopts them.
        TRY(insert_section(tree, img, "Kernel code", img.text, img.etext));
        if (rules.x86_kernel_rodata) {
            TRY(insert_section(tree, img, "Kernel rodata", img.start_rodata, img.end_rodata));
            TRY(insert_section(tree, img, "Kernel data", img.sdata, img.edata));
        } else {
            TRY(insert_section(tree, img, "Kernel data", img.etext, img.edata));
        }
        if (rules.x86_kernel_bss)
            TRY(insert_section(tree, img, "Kernel bss", img.bss_start, img.bss_stop));
        // probe_roms runs before the e820 resources exist, so the reserved entry adopts it.
        TRY(tree.insert(make("System ROM", 0xf0000, 0xfffff, IORESOURCE_MEM | IORESOURCE_BUSY)));

        std::vector<E820Piece> pieces;
        for (const auto& r : ram.ranges)
            pieces.push_back({r.start.get(), r.end.get(), r.type});
        if (rules.x86_trim_bios_range)
            pieces = trim_bios_range(std::move(pieces), layout.page_size());
        for (const auto& p : pieces) {
            if (p.end <= p.start || p.end - 1 > root_end)
                continue; // a 32-bit resource_size_t cannot hold it (e820__reserve_resources)
            u64 flags = p.type == RamType::Usable || p.type == RamType::ReservedKern
                            ? IORESOURCE_SYSTEM_RAM
                            : IORESOURCE_MEM;
            if (e820_busy(p.type, p.start))
                flags |= IORESOURCE_BUSY;
            TRY(tree.insert(
                make(e820_name(p.type, rules), p.start, p.end - 1, flags, e820_desc(p.type))));
        }
        // Chipset and firmware windows go in where they fit; one that collides with an e820
        // entry of an imported map is left out, as insert_resource would fail for the kernel.
        auto try_insert = [&](Resource r) { (void)tree.insert(std::move(r)); };
        if (rules.x86_pci_crs_windows) {
            try_insert(make("PCI Bus 0000:00", 0xa0000, 0xbffff, IORESOURCE_MEM));
            const u64 low_top = ram.usable_end_below(PhysAddr(u64{1} << 32)).get();
            if (low_top > 0 && low_top < 0xfec00000)
                try_insert(make("PCI Bus 0000:00", low_top, 0xfebfffff, IORESOURCE_MEM));
        } else {
            try_insert(make("Video RAM area", 0xa0000, 0xbffff, IORESOURCE_MEM | IORESOURCE_BUSY));
        }
        try_insert(make("IOAPIC 0", 0xfec00000, 0xfec003ff, IORESOURCE_MEM | IORESOURCE_BUSY));
        try_insert(make("HPET 0", 0xfed00000, 0xfed003ff, IORESOURCE_MEM | IORESOURCE_BUSY));
        try_insert(make("Local APIC", 0xfee00000, 0xfee00fff, IORESOURCE_MEM | IORESOURCE_BUSY));
    } else {
        // ARM request_standard_resources: "Kernel code" is _text.._etext-1 on ARM and
        // _text..__init_begin-1 on arm64; "Kernel data" is _sdata.._end-1 on both.
        if (arch == Arch::Arm64)
            TRY(insert_section(tree, img, "Kernel code", img.text, img.init_begin));
        else
            TRY(insert_section(tree, img, "Kernel code", img.text, img.etext));
        TRY(insert_section(tree, img, "Kernel data", img.sdata, img.end));
        for (const auto& r : ram.ranges) {
            if (r.end <= r.start || r.end.get() - 1 > root_end)
                continue;
            const bool is_ram = r.type == RamType::Usable;
            TRY(tree.insert(
                make(is_ram ? "System RAM" : "reserved", r.start.get(), r.end.get() - 1,
                     (is_ram ? IORESOURCE_SYSTEM_RAM : IORESOURCE_MEM) | IORESOURCE_BUSY)));
        }
    }
    for (const auto& m : mmio) {
        if (m.size == 0 || m.start.get() + (m.size - 1) < m.start.get())
            return make_error(ErrorKind::InvalidConfig,
                              "mmio: region '{}' at {:#x} has a size of {:#x} (must be non-zero "
                              "and end below 2^64)",
                              m.name, m.start.get(), m.size);
        // A device's window is not busy until a driver claims it (request_mem_region).
        auto inserted =
            tree.insert(make(m.name, m.start.get(), m.start.get() + (m.size - 1), IORESOURCE_MEM));
        if (inserted.is_error())
            return make_error(ErrorKind::InvalidConfig, "mmio: region '{}': {}", m.name,
                              inserted.error().message());
    }
    return tree;
}

} // namespace kmemu
