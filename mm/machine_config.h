// MachineConfig: everything a machine is built from (DESIGN.md decision 2). Buildable from C++
// directly or from `key=value` words (parse_config_words), the same words the command line and
// scenario scripts use.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/kernel_version.h"
#include "mm/ram_map.h"
#include "mm/types.h"

namespace kmemu {

// Kernel lockdown (security/lockdown, 5.4+): the `lockdown=` boot parameter.
enum class Lockdown { None, Integrity, Confidentiality };
// /dev/kmsg writes (printk.devkmsg=, 4.10+).
enum class DevkmsgMode { Ratelimit, On, Off };

// i386 and ARM user/kernel split (CONFIG_VMSPLIT_*).
enum class VmSplit { G3, G3Opt, G2, G2Opt, G1 };

// A device model's register window in physical memory. Accesses are 1, 2, 4 or 8 bytes wide;
// `offset` is relative to `start`.
struct MmioRegion {
    std::string name;
    PhysAddr start;
    u64 size = 0;
    std::function<u64(u64 offset, unsigned width)> read;
    std::function<void(u64 offset, unsigned width, u64 value)> write;
};

struct MachineConfig {
    Arch arch = Arch::X86_64;
    KernelVersion kernel{5, 10, 0};

    // RAM: exactly one of these sources is used, in this order of preference.
    std::optional<RamMap> ram_map;         // given from C++
    std::optional<std::string> e820_file;  // e820=FILE
    std::optional<std::string> iomem_file; // iomem=FILE
    // mem=SIZE: with no map given, the firmware-style map of that size; with one, the kernel's
    // `mem=` boot parameter (RAM above SIZE removed).
    std::optional<u64> mem_bytes;

    std::optional<VmSplit> split;          // split= (32-bit); default 3G
    std::optional<unsigned> va_bits;       // va_bits= (arm64); default 48
    std::optional<unsigned> granule_shift; // page= (arm64: 12, 14, 16); default 12
    std::optional<bool> highmem;           // highmem=on|off (32-bit); default on
    std::optional<u64> vmalloc_size;       // vmalloc=SIZE boot parameter
    std::optional<PhysAddr> phys_offset;   // phys_offset= (ARM, arm64)
    bool thumb2 = false;                   // thumb2=on|off (ARM)
    std::optional<unsigned> fixmap_slots;  // permanent fixmap slots (sets FIXADDR_START)
    std::optional<unsigned> nr_cpus;       // CONFIG_NR_CPUS
    std::optional<unsigned> phys_bits;     // CPU physical address width

    std::vector<MmioRegion> mmio;

    // The memory devices (drivers/char/mem.c Kconfig and boot parameters). Unset: what the
    // version has (every device it has present, STRICT_DEVMEM on, IO_STRICT_DEVMEM off).
    std::optional<bool> devmem;             // devmem= (CONFIG_DEVMEM)
    std::optional<bool> devkmem;            // devkmem= (CONFIG_DEVKMEM, up to 5.12)
    std::optional<bool> devport;            // devport= (CONFIG_DEVPORT; x86 by default)
    std::optional<bool> strict_devmem;      // strict_devmem= (CONFIG_STRICT_DEVMEM, 2.6.27+)
    std::optional<bool> io_strict_devmem;   // io_strict_devmem= (CONFIG_IO_STRICT_DEVMEM, 4.5+)
    std::optional<bool> crash_dump;         // crash_dump= (CONFIG_CRASH_DUMP: /dev/oldmem)
    std::optional<bool> pat;                // pat=off: the `nopat` boot parameter (x86 PAT)
    std::optional<std::string> oldmem_file; // oldmem=FILE: the crashed kernel's memory image
    Lockdown lockdown = Lockdown::None;     // lockdown= (5.4+)
    // printk and friends.
    std::optional<unsigned> loglevel;      // loglevel= (console_loglevel), 0..15
    std::optional<bool> dmesg_restrict;    // kernel.dmesg_restrict
    std::optional<unsigned> kptr_restrict; // kernel.kptr_restrict 0..2
    std::optional<DevkmsgMode> devkmsg;    // printk.devkmsg= (4.10+)
    std::optional<u64> random_seed;        // seed of /dev/random and /dev/urandom

    static constexpr u64 kDefaultMem = 512 * MiB;

    [[nodiscard]] bool highmem_enabled() const { return is_32bit(arch) && highmem.value_or(true); }
    [[nodiscard]] VmSplit vm_split() const { return split.value_or(VmSplit::G3); }
    [[nodiscard]] unsigned arm64_va_bits() const { return va_bits.value_or(48); }
    [[nodiscard]] unsigned page_shift() const { return granule_shift.value_or(12); }
    [[nodiscard]] u64 page_size() const { return u64{1} << page_shift(); }
    [[nodiscard]] u64 mem_size() const { return mem_bytes.value_or(kDefaultMem); }

    // Check combinations (e.g. split= on a 64-bit arch). Errors name the key and what is allowed.
    [[nodiscard]] ErrorOr<void> validate() const;
    // The RAM map from whichever source is configured (reads e820/iomem files).
    [[nodiscard]] ErrorOr<RamMap> resolve_ram_map() const;
    // The words that would rebuild this config (for transcripts and --json).
    [[nodiscard]] std::vector<std::string> to_words() const;
};

// Parse `key=value` words, applied in order over a default config, then validated.
[[nodiscard]] ErrorOr<MachineConfig> parse_config_words(std::span<const std::string> words);
// Apply one word to `config` (no validation of combinations).
[[nodiscard]] ErrorOr<void> apply_config_word(MachineConfig& config, std::string_view word);
[[nodiscard]] const char* split_name(VmSplit split); // "3G", "3G_OPT", ...
// memparse-style size: decimal or 0x hex, optional K/M/G/T/P/E suffix (case-insensitive).
[[nodiscard]] std::optional<u64> parse_size(std::string_view text);

} // namespace kmemu
