// The firmware's physical memory map, as the kernel receives it at boot (the x86 e820 table,
// or ARM/arm64 memory banks). Everything about RAM placement derives from it: max_pfn, the
// lowmem limit, the iomem tree, the frames that exist.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/types.h"

namespace kmemu {

// e820 types, numbered as the firmware numbers them (E820_TYPE_* in arch/x86/include/asm/e820).
enum class RamType : u32 {
    Usable = 1,
    Reserved = 2,
    Acpi = 3, // "ACPI data"
    Nvs = 4,  // "ACPI NVS"
    Unusable = 5,
    Pmem = 7,
    Pram = 12, // legacy persistent memory ("persistent (type 12)")
    ReservedKern = 128,
    SoftReserved = 0xefffffff, // EFI specific-purpose memory ("soft reserved", 5.5+)
};

struct RamRange {
    PhysAddr start;
    PhysAddr end; // exclusive
    RamType type = RamType::Usable;
    // For maps imported from /proc/iomem: the resource's name ("System RAM", "reserved", ...).
    std::string name;

    [[nodiscard]] u64 size() const { return end.minus(start); }
    bool operator==(const RamRange&) const = default;
};

// A resource imported from a real /proc/iomem: kept so that the machine's own /proc/iomem can
// show the same device windows (PCI bus, video ROM, ...). depth is the indentation level.
struct ImportedResource {
    PhysAddr start;
    PhysAddr end; // inclusive, as /proc/iomem prints it
    std::string name;
    unsigned depth = 0;
    bool operator==(const ImportedResource&) const = default;
};

struct RamMap {
    // Sorted by start, non-overlapping. Holes between entries are not RAM.
    std::vector<RamRange> ranges;
    // Filled only by iomem import.
    std::vector<ImportedResource> imported;

    // End (exclusive) of the highest Usable range, or 0 when there is none.
    [[nodiscard]] PhysAddr usable_end() const;
    // End of the highest Usable range that ends at or below `limit`, clipping one that crosses.
    [[nodiscard]] PhysAddr usable_end_below(PhysAddr limit) const;
    // Total bytes of Usable ranges.
    [[nodiscard]] u64 usable_bytes() const;
    // Lowest address of any Usable range (ARM PHYS_OFFSET), or nullopt.
    [[nodiscard]] std::optional<PhysAddr> usable_start() const;
    // Whether [start, end) lies entirely in Usable ranges.
    [[nodiscard]] bool is_usable(PhysAddr start, PhysAddr end) const;
};

// The map the arch's usual firmware gives for `mem=SIZE` (x86: SeaBIOS/QEMU-style e820 with the
// legacy hole and, for big machines, a PCI hole below 4 GiB; ARM: one bank from phys_offset).
[[nodiscard]] ErrorOr<RamMap> firmware_ram_map(Arch arch, u64 mem_bytes, PhysAddr phys_offset);

// Parse the "BIOS-e820:" lines of a boot log (both the newer "[mem 0x...-0x...] usable" form and
// the older " 0000000000000000 - 000000000009f000 (usable)" form). Other lines are ignored.
// Errors name `source:line: reason`.
[[nodiscard]] ErrorOr<RamMap> parse_e820_log(std::string_view text, std::string_view source);

// Parse a real /proc/iomem text. Top-level "System RAM" becomes Usable, "reserved" Reserved,
// "ACPI Tables" Acpi, "ACPI Non-volatile Storage" Nvs; every line is also kept in `imported`.
[[nodiscard]] ErrorOr<RamMap> parse_proc_iomem(std::string_view text, std::string_view source);

} // namespace kmemu
