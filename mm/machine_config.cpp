#include "mm/machine_config.h"

#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

namespace kmemu {

namespace {

constexpr std::array<std::pair<VmSplit, const char*>, 5> kSplits{{
    {VmSplit::G3, "3G"},
    {VmSplit::G3Opt, "3G_OPT"},
    {VmSplit::G2, "2G"},
    {VmSplit::G2Opt, "2G_OPT"},
    {VmSplit::G1, "1G"},
}};

std::optional<u64> parse_number(std::string_view text, std::string_view* rest) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    u64 value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || ptr == text.data())
        return std::nullopt;
    *rest = text.substr(static_cast<size_t>(ptr - text.data()));
    return value;
}

std::optional<bool> parse_on_off(std::string_view v) {
    if (v == "on")
        return true;
    if (v == "off")
        return false;
    return std::nullopt;
}

std::optional<unsigned> parse_small(std::string_view v, unsigned lo, unsigned hi) {
    std::string_view rest;
    auto n = parse_number(v, &rest);
    if (!n || !rest.empty() || *n < lo || *n > hi)
        return std::nullopt;
    return static_cast<unsigned>(*n);
}

Error bad_value(std::string_view key, std::string_view value, std::string_view allowed) {
    return make_error(ErrorKind::InvalidConfig, "{}: '{}' is not allowed (allowed: {})", key, value,
                      allowed);
}

ErrorOr<std::string> read_whole_file(std::string_view key, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return make_error(ErrorKind::Io, "{}: cannot read '{}': {}", key, path,
                          std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The kernel's `mem=` boot parameter on an existing map: RAM at and above the limit is dropped
// (x86 parse_memopt -> e820__range_remove of usable RAM above mem_size, 2.6.x to 6.13).
RamMap apply_mem_limit(RamMap map, u64 limit) {
    RamMap out;
    out.imported = std::move(map.imported);
    for (auto r : map.ranges) {
        if (r.type == RamType::Usable) {
            if (r.start.get() >= limit)
                continue;
            if (r.end.get() > limit)
                r.end = PhysAddr(limit);
        }
        out.ranges.push_back(r);
    }
    return out;
}

} // namespace

const char* split_name(VmSplit split) {
    for (auto [s, name] : kSplits)
        if (s == split)
            return name;
    return "?";
}

std::optional<u64> parse_size(std::string_view text) {
    std::string_view rest;
    auto n = parse_number(text, &rest);
    if (!n)
        return std::nullopt;
    unsigned shift = 0;
    if (rest.size() == 1) {
        switch (rest[0]) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        case 'p':
        case 'P':
            shift = 50;
            break;
        case 'e':
        case 'E':
            shift = 60;
            break;
        default:
            return std::nullopt;
        }
    } else if (!rest.empty()) {
        return std::nullopt;
    }
    if (shift && *n > (std::numeric_limits<u64>::max() >> shift))
        return std::nullopt;
    return *n << shift;
}

namespace {
std::optional<bool>* device_flag(MachineConfig& c, std::string_view key) {
    if (key == "devmem")
        return &c.devmem;
    if (key == "devkmem")
        return &c.devkmem;
    if (key == "devport")
        return &c.devport;
    if (key == "strict_devmem")
        return &c.strict_devmem;
    if (key == "io_strict_devmem")
        return &c.io_strict_devmem;
    if (key == "crash_dump")
        return &c.crash_dump;
    if (key == "pat")
        return &c.pat;
    return nullptr;
}
} // namespace

ErrorOr<void> apply_config_word(MachineConfig& c, std::string_view word) {
    auto eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return make_error(ErrorKind::InvalidConfig,
                          "'{}' is not a configuration word (expected key=value, e.g. arch=i386)",
                          word);
    std::string_view key = word.substr(0, eq);
    std::string_view v = word.substr(eq + 1);

    if (key == "arch") {
        auto a = parse_arch(v);
        if (!a)
            return bad_value(key, v, "i386, i386-pae, x86_64, x86_64-la57, arm, arm-lpae, arm64");
        c.arch = *a;
    } else if (key == "kernel") {
        c.kernel = TRY(KernelVersion::parse(v));
    } else if (key == "mem") {
        auto n = parse_size(v);
        if (!n || *n == 0)
            return bad_value(key, v, "a size such as 512M, 4G, 1T or 0x1fead000");
        c.mem_bytes = *n;
    } else if (key == "e820") {
        if (v.empty())
            return bad_value(key, v, "a file holding BIOS-e820 lines");
        c.e820_file = std::string(v);
    } else if (key == "iomem") {
        if (v.empty())
            return bad_value(key, v, "a file holding a /proc/iomem text");
        c.iomem_file = std::string(v);
    } else if (key == "split") {
        bool found = false;
        for (auto [s, name] : kSplits)
            if (v == name) {
                c.split = s;
                found = true;
            }
        if (!found)
            return bad_value(key, v, "3G, 3G_OPT, 2G, 2G_OPT, 1G");
    } else if (key == "va_bits") {
        auto n = parse_small(v, 0, 64);
        if (!n || (*n != 36 && *n != 39 && *n != 42 && *n != 47 && *n != 48))
            return bad_value(key, v, "39 or 48 (4K pages), 47 or 48 (16K), 42 or 48 (64K)");
        c.va_bits = *n;
    } else if (key == "page") {
        if (v == "4K")
            c.granule_shift = 12;
        else if (v == "16K")
            c.granule_shift = 14;
        else if (v == "64K")
            c.granule_shift = 16;
        else
            return bad_value(key, v, "4K, 16K, 64K");
    } else if (key == "highmem") {
        auto b = parse_on_off(v);
        if (!b)
            return bad_value(key, v, "on, off");
        c.highmem = *b;
    } else if (key == "vmalloc") {
        auto n = parse_size(v);
        if (!n || *n == 0)
            return bad_value(key, v, "a size such as 128M or 256M");
        c.vmalloc_size = *n;
    } else if (key == "phys_offset") {
        auto n = parse_size(v);
        if (!n)
            return bad_value(key, v, "a physical address such as 0x80000000");
        c.phys_offset = PhysAddr(*n);
    } else if (key == "thumb2") {
        auto b = parse_on_off(v);
        if (!b)
            return bad_value(key, v, "on, off");
        c.thumb2 = *b;
    } else if (key == "fixmap_slots") {
        auto n = parse_small(v, 1, 65536);
        if (!n)
            return bad_value(key, v, "a slot count from 1 to 65536");
        c.fixmap_slots = *n;
    } else if (key == "nr_cpus") {
        auto n = parse_small(v, 1, 8192);
        if (!n)
            return bad_value(key, v, "a CPU count from 1 to 8192");
        c.nr_cpus = *n;
    } else if (key == "phys_bits") {
        auto n = parse_small(v, 32, 52);
        if (!n)
            return bad_value(key, v, "a bit count from 32 to 52");
        c.phys_bits = *n;
    } else if (auto* flag = device_flag(c, key)) {
        auto b = parse_on_off(v);
        if (!b)
            return bad_value(key, v, "on, off");
        *flag = *b;
    } else if (key == "oldmem") {
        if (v.empty())
            return bad_value(key, v, "a file holding the crashed kernel's physical memory");
        c.oldmem_file = std::string(v);
    } else if (key == "lockdown") {
        if (v == "none")
            c.lockdown = Lockdown::None;
        else if (v == "integrity")
            c.lockdown = Lockdown::Integrity;
        else if (v == "confidentiality")
            c.lockdown = Lockdown::Confidentiality;
        else
            return bad_value(key, v, "none, integrity, confidentiality");
    } else if (key == "loglevel") {
        auto n = parse_small(v, 0, 15);
        if (!n)
            return bad_value(key, v, "a console log level from 0 to 15");
        c.loglevel = *n;
    } else if (key == "dmesg_restrict") {
        auto n = parse_small(v, 0, 1);
        if (!n)
            return bad_value(key, v, "0, 1");
        c.dmesg_restrict = *n != 0;
    } else if (key == "kptr_restrict") {
        auto n = parse_small(v, 0, 2);
        if (!n)
            return bad_value(key, v, "0, 1, 2");
        c.kptr_restrict = *n;
    } else if (key == "devkmsg") {
        if (v == "on")
            c.devkmsg = DevkmsgMode::On;
        else if (v == "off")
            c.devkmsg = DevkmsgMode::Off;
        else if (v == "ratelimit")
            c.devkmsg = DevkmsgMode::Ratelimit;
        else
            return bad_value(key, v, "on, off, ratelimit");
    } else if (key == "random_seed") {
        auto n = parse_size(v);
        if (!n)
            return bad_value(key, v, "a number (decimal or 0x hex)");
        c.random_seed = *n;
    } else {
        return make_error(ErrorKind::InvalidConfig,
                          "unknown configuration key '{}' (keys: arch, kernel, mem, e820, iomem, "
                          "split, va_bits, page, highmem, vmalloc, phys_offset, thumb2, "
                          "fixmap_slots, nr_cpus, phys_bits, devmem, devkmem, devport, "
                          "strict_devmem, io_strict_devmem, crash_dump, pat, oldmem, lockdown, "
                          "loglevel, dmesg_restrict, kptr_restrict, devkmsg, random_seed)",
                          key);
    }
    return {};
}

ErrorOr<void> MachineConfig::validate() const {
    std::string_view a = arch_name(arch);
    auto only = [&](std::string_view key, std::string_view arches) {
        return make_error(ErrorKind::InvalidConfig, "{}: not allowed with arch={} (applies to {})",
                          key, a, arches);
    };
    if (split && !is_32bit(arch))
        return only("split", "i386, i386-pae, arm, arm-lpae");
    if (highmem && !is_32bit(arch))
        return only("highmem", "i386, i386-pae, arm, arm-lpae");
    if (thumb2 && !is_arm32(arch))
        return only("thumb2", "arm, arm-lpae");
    if (phys_offset && !(is_arm32(arch) || arch == Arch::Arm64))
        return only("phys_offset", "arm, arm-lpae, arm64");
    if ((va_bits || granule_shift) && arch != Arch::Arm64)
        return only(va_bits ? "va_bits" : "page", "arm64");
    if (arch == Arch::Arm64) {
        unsigned vb = arm64_va_bits();
        unsigned ps = page_shift();
        bool ok = (ps == 12 && (vb == 39 || vb == 48)) || (ps == 14 && (vb == 47 || vb == 48)) ||
                  (ps == 16 && (vb == 42 || vb == 48));
        if (!ok)
            return make_error(ErrorKind::InvalidConfig,
                              "va_bits: {} is not allowed with page={}K (allowed: 39 or 48 with "
                              "4K, 47 or 48 with 16K, 42 or 48 with 64K)",
                              vb, (u64{1} << ps) / KiB);
    }
    if (e820_file && iomem_file)
        return make_error(ErrorKind::InvalidConfig,
                          "e820: cannot be combined with iomem= (give one memory map)");
    if ((e820_file || iomem_file) && !is_x86(arch))
        return only(e820_file ? "e820" : "iomem", "i386, i386-pae, x86_64, x86_64-la57");
    if (split && is_arm32(arch) && *split == VmSplit::G2Opt)
        return make_error(ErrorKind::InvalidConfig,
                          "split: 2G_OPT is not allowed with arch={} (allowed: 3G, 3G_OPT, 2G, 1G)",
                          a);
    if (!ram_map && !e820_file && !iomem_file && mem_size() < 16 * MiB)
        return make_error(ErrorKind::InvalidConfig, "mem: {} bytes is too small (at least 16M)",
                          mem_size());
    // Options the version does not have (each names the version where it appeared or went).
    if (devkmem.value_or(false) && kernel.at_least(5, 13))
        return make_error(ErrorKind::InvalidConfig,
                          "devkmem: /dev/kmem was removed in 5.13, kernel={} (allowed: off)",
                          kernel.to_string());
    if (strict_devmem.value_or(false) && !kernel.at_least(2, 6, 27))
        return make_error(ErrorKind::InvalidConfig,
                          "strict_devmem: CONFIG_STRICT_DEVMEM appeared in 2.6.27, kernel={} "
                          "(allowed: off)",
                          kernel.to_string());
    if (io_strict_devmem.value_or(false) && !kernel.at_least(4, 5))
        return make_error(ErrorKind::InvalidConfig,
                          "io_strict_devmem: CONFIG_IO_STRICT_DEVMEM appeared in 4.5, kernel={} "
                          "(allowed: off)",
                          kernel.to_string());
    if (lockdown != Lockdown::None && !kernel.at_least(5, 4))
        return make_error(ErrorKind::InvalidConfig,
                          "lockdown: kernel lockdown appeared in 5.4, kernel={} (allowed: none)",
                          kernel.to_string());
    if (devkmsg && !kernel.at_least(4, 10))
        return make_error(ErrorKind::InvalidConfig,
                          "devkmsg: printk.devkmsg= appeared in 4.10, kernel={}",
                          kernel.to_string());
    if (oldmem_file && !crash_dump.value_or(false))
        return make_error(ErrorKind::InvalidConfig,
                          "oldmem: needs crash_dump=on (the image is /dev/oldmem's memory)");
    if (phys_offset && !phys_offset->is_aligned(2 * MiB))
        return make_error(ErrorKind::InvalidConfig,
                          "phys_offset: {:#x} is not allowed (must be 2 MiB aligned)",
                          phys_offset->get());
    return {};
}

ErrorOr<RamMap> MachineConfig::resolve_ram_map() const {
    RamMap map;
    if (ram_map) {
        map = *ram_map;
    } else if (e820_file) {
        auto text = TRY(read_whole_file("e820", *e820_file));
        map = TRY(parse_e820_log(text, *e820_file));
    } else if (iomem_file) {
        auto text = TRY(read_whole_file("iomem", *iomem_file));
        map = TRY(parse_proc_iomem(text, *iomem_file));
    } else {
        // ARM boards put RAM at PHYS_OFFSET; kmemu's default board is QEMU's `virt` (0x40000000).
        PhysAddr base = phys_offset.value_or(PhysAddr(is_x86(arch) ? 0 : 0x40000000));
        return firmware_ram_map(arch, mem_size(), base);
    }
    if (mem_bytes)
        map = apply_mem_limit(std::move(map), *mem_bytes);
    if (map.usable_bytes() == 0)
        return make_error(ErrorKind::InvalidConfig, "mem: the memory map has no usable RAM");
    return map;
}

std::vector<std::string> MachineConfig::to_words() const {
    std::vector<std::string> w;
    w.push_back(fmt::format("arch={}", arch_name(arch)));
    w.push_back(fmt::format("kernel={}", kernel.to_string()));
    if (e820_file)
        w.push_back("e820=" + *e820_file);
    if (iomem_file)
        w.push_back("iomem=" + *iomem_file);
    if (mem_bytes || (!e820_file && !iomem_file && !ram_map)) {
        u64 m = mem_size();
        if (m % GiB == 0)
            w.push_back(fmt::format("mem={}G", m / GiB));
        else if (m % MiB == 0)
            w.push_back(fmt::format("mem={}M", m / MiB));
        else
            w.push_back(fmt::format("mem={:#x}", m));
    }
    if (is_32bit(arch)) {
        w.push_back(fmt::format("split={}", split_name(vm_split())));
        w.push_back(fmt::format("highmem={}", highmem_enabled() ? "on" : "off"));
    }
    if (arch == Arch::Arm64) {
        w.push_back(fmt::format("va_bits={}", arm64_va_bits()));
        w.push_back(fmt::format("page={}K", page_size() / KiB));
    }
    if (is_arm32(arch))
        w.push_back(fmt::format("thumb2={}", thumb2 ? "on" : "off"));
    if (phys_offset)
        w.push_back(fmt::format("phys_offset={:#x}", phys_offset->get()));
    if (vmalloc_size)
        w.push_back(fmt::format("vmalloc={:#x}", *vmalloc_size));
    if (fixmap_slots)
        w.push_back(fmt::format("fixmap_slots={}", *fixmap_slots));
    if (nr_cpus)
        w.push_back(fmt::format("nr_cpus={}", *nr_cpus));
    if (phys_bits)
        w.push_back(fmt::format("phys_bits={}", *phys_bits));
    auto on_off = [&](const char* key, const std::optional<bool>& b) {
        if (b)
            w.push_back(fmt::format("{}={}", key, *b ? "on" : "off"));
    };
    on_off("devmem", devmem);
    on_off("devkmem", devkmem);
    on_off("devport", devport);
    on_off("strict_devmem", strict_devmem);
    on_off("io_strict_devmem", io_strict_devmem);
    on_off("crash_dump", crash_dump);
    on_off("pat", pat);
    if (oldmem_file)
        w.push_back("oldmem=" + *oldmem_file);
    if (lockdown != Lockdown::None)
        w.push_back(lockdown == Lockdown::Integrity ? "lockdown=integrity"
                                                    : "lockdown=confidentiality");
    if (loglevel)
        w.push_back(fmt::format("loglevel={}", *loglevel));
    if (dmesg_restrict)
        w.push_back(fmt::format("dmesg_restrict={}", *dmesg_restrict ? 1 : 0));
    if (kptr_restrict)
        w.push_back(fmt::format("kptr_restrict={}", *kptr_restrict));
    if (devkmsg)
        w.push_back(*devkmsg == DevkmsgMode::On    ? "devkmsg=on"
                    : *devkmsg == DevkmsgMode::Off ? "devkmsg=off"
                                                   : "devkmsg=ratelimit");
    if (random_seed)
        w.push_back(fmt::format("random_seed={:#x}", *random_seed));
    return w;
}

ErrorOr<MachineConfig> parse_config_words(std::span<const std::string> words) {
    MachineConfig c;
    for (const auto& word : words)
        TRY(apply_config_word(c, word));
    TRY(c.validate());
    return c;
}

} // namespace kmemu
