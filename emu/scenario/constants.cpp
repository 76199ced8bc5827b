// The constants a script names: the booted machine's layout (kernel symbol names) and the
// user-space ABI values (fcntl, mman, errno, capability numbers).
#include "emu/scenario/constants.h"

#include <array>
#include <fmt/format.h>

#include "emu/scenario/interpreter.h"
#include "emu/scenario/registry.h"

namespace kmemu::scenario {

namespace {

// include/uapi/linux/capability.h
constexpr std::array<const char*, kCapLastCap + 1> kCapNames{
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

// Linux errno numbers shared by x86, ARM and arm64 (include/uapi/asm-generic/errno-base.h and
// errno.h), plus the kernel-internal ones a driver may return (include/linux/errno.h).
constexpr std::array<std::pair<const char*, int>, 50> kErrnos{{
    {"EPERM", 1},         {"ENOENT", 2},        {"ESRCH", 3},         {"EINTR", 4},
    {"EIO", 5},           {"ENXIO", 6},         {"E2BIG", 7},         {"ENOEXEC", 8},
    {"EBADF", 9},         {"ECHILD", 10},       {"EAGAIN", 11},       {"EWOULDBLOCK", 11},
    {"ENOMEM", 12},       {"EACCES", 13},       {"EFAULT", 14},       {"ENOTBLK", 15},
    {"EBUSY", 16},        {"EEXIST", 17},       {"EXDEV", 18},        {"ENODEV", 19},
    {"ENOTDIR", 20},      {"EISDIR", 21},       {"EINVAL", 22},       {"ENFILE", 23},
    {"EMFILE", 24},       {"ENOTTY", 25},       {"ETXTBSY", 26},      {"EFBIG", 27},
    {"ENOSPC", 28},       {"ESPIPE", 29},       {"EROFS", 30},        {"EMLINK", 31},
    {"EPIPE", 32},        {"EDOM", 33},         {"ERANGE", 34},       {"EDEADLK", 35},
    {"ENAMETOOLONG", 36}, {"ENOLCK", 37},       {"ENOSYS", 38},       {"ENOTEMPTY", 39},
    {"ELOOP", 40},        {"EOVERFLOW", 75},    {"EOPNOTSUPP", 95},   {"ETIMEDOUT", 110},
    {"EHWPOISON", 133},   {"ERESTARTSYS", 512}, {"ENOIOCTLCMD", 515}, {"ENOTSUPP", 524},
    {"EBADFD", 77},       {"ENODATA", 61},
}};

// mman-common.h (x86, ARM and arm64 share these values) and seek whence values (uapi/linux/fs.h).
constexpr std::array<std::pair<const char*, int>, 23> kAbiInts{{
    {"PROT_NONE", 0},
    {"PROT_READ", 1},
    {"PROT_WRITE", 2},
    {"PROT_EXEC", 4},
    {"MAP_SHARED", 1},
    {"MAP_PRIVATE", 2},
    {"MAP_SHARED_VALIDATE", 3},
    {"MAP_FIXED", 0x10},
    {"MAP_ANONYMOUS", 0x20},
    {"MAP_ANON", 0x20},
    {"MAP_GROWSDOWN", 0x100},
    {"MAP_DENYWRITE", 0x800},
    {"MAP_EXECUTABLE", 0x1000},
    {"MAP_LOCKED", 0x2000},
    {"MAP_NORESERVE", 0x4000},
    {"MAP_POPULATE", 0x8000},
    {"MAP_NONBLOCK", 0x10000},
    {"MAP_FAILED", -1},
    {"SEEK_SET", 0},
    {"SEEK_CUR", 1},
    {"SEEK_END", 2},
    {"SEEK_DATA", 3},
    {"SEEK_HOLE", 4},
}};

// Open flags in octal as the kernel's asm-generic/fcntl.h spells them. ARM 32-bit moves four of
// them (arch/arm/include/uapi/asm/fcntl.h); O_SYNC became __O_SYNC|O_DSYNC in 2.6.33 (before,
// O_SYNC and O_DSYNC were the same bit).
i64 open_flag(std::string_view name, Arch arch, KernelVersion version) {
    const bool arm = is_arm32(arch);
    if (name == "O_DIRECTORY")
        return arm ? 040000 : 0200000;
    if (name == "O_NOFOLLOW")
        return arm ? 0100000 : 0400000;
    if (name == "O_DIRECT")
        return arm ? 0200000 : 040000;
    if (name == "O_LARGEFILE")
        return arm ? 0400000 : 0100000;
    if (name == "O_SYNC")
        return version.at_least(2, 6, 33) ? 04010000 : 010000;
    return -1;
}

constexpr std::array<std::pair<const char*, int>, 12> kFixedOpenFlags{{
    {"O_RDONLY", 0},
    {"O_WRONLY", 1},
    {"O_RDWR", 2},
    {"O_ACCMODE", 3},
    {"O_CREAT", 0100},
    {"O_EXCL", 0200},
    {"O_NOCTTY", 0400},
    {"O_TRUNC", 01000},
    {"O_APPEND", 02000},
    {"O_NONBLOCK", 04000},
    {"O_DSYNC", 010000},
    {"O_CLOEXEC", 02000000},
}};

struct LayoutConstant {
    const char* name;
    bool address;
    u64 (*get)(const Layout&);
};

// Kernel names of the layout values (include/linux/mm.h, the arch pgtable*.h and memory.h).
const std::array<LayoutConstant, 26> kLayoutConstants{{
    {"PAGE_SIZE", false, [](const Layout& l) { return l.page_size(); }},
    {"PAGE_SHIFT", false, [](const Layout& l) { return u64{l.page_shift}; }},
    {"PAGE_MASK", true, [](const Layout& l) { return ~(l.page_size() - 1); }},
    {"BITS_PER_LONG", false, [](const Layout& l) { return u64{l.word_bits}; }},
    {"PAGE_OFFSET", true, [](const Layout& l) { return l.page_offset.get(); }},
    {"PHYS_OFFSET", true, [](const Layout& l) { return l.phys_offset.get(); }},
    {"TASK_SIZE", true, [](const Layout& l) { return l.task_size.get(); }},
    {"high_memory", true, [](const Layout& l) { return l.high_memory.get(); }},
    {"min_low_pfn", false, [](const Layout& l) { return l.min_low_pfn.get(); }},
    {"max_low_pfn", false, [](const Layout& l) { return l.max_low_pfn.get(); }},
    {"max_pfn", false, [](const Layout& l) { return l.max_pfn.get(); }},
    {"VMALLOC_OFFSET", false, [](const Layout& l) { return l.vmalloc_offset; }},
    {"VMALLOC_START", true, [](const Layout& l) { return l.vmalloc_start.get(); }},
    {"VMALLOC_END", true, [](const Layout& l) { return l.vmalloc_end.get(); }},
    {"LAST_PKMAP", false, [](const Layout& l) { return l.last_pkmap; }},
    {"FIXADDR_START", true, [](const Layout& l) { return l.fixaddr_start.get(); }},
    {"FIXADDR_TOP", true, [](const Layout& l) { return l.fixaddr_top.get(); }},
    {"MODULES_VADDR", true, [](const Layout& l) { return l.modules_vaddr.get(); }},
    {"MODULES_END", true, [](const Layout& l) { return l.modules_end.get(); }},
    {"_text", true, [](const Layout& l) { return l.image.text.get(); }},
    {"_stext", true, [](const Layout& l) { return l.image.stext.get(); }},
    {"_etext", true, [](const Layout& l) { return l.image.etext.get(); }},
    {"_sdata", true, [](const Layout& l) { return l.image.sdata.get(); }},
    {"_edata", true, [](const Layout& l) { return l.image.edata.get(); }},
    {"__bss_start", true, [](const Layout& l) { return l.image.bss_start.get(); }},
    {"_end", true, [](const Layout& l) { return l.image.end.get(); }},
}};

} // namespace

std::optional<unsigned> capability_number(std::string_view name) {
    for (unsigned i = 0; i < kCapNames.size(); ++i)
        if (name == kCapNames[i])
            return i;
    return std::nullopt;
}

const char* capability_name(unsigned number) {
    return number < kCapNames.size() ? kCapNames[number] : "CAP_?";
}

void register_layout_constants(Registry& r) {
    for (const auto& c : kLayoutConstants) {
        r.add(ConstantSpec{c.name, [c](const Interpreter& in) -> ErrorOr<Value> {
                               if (!in.machine())
                                   return in.no_machine(c.name);
                               u64 v = c.get(in.machine()->layout());
                               return c.address ? Value::addr(v) : Value::unsigned_integer(v);
                           }});
    }
    // PKMAP_BASE exists only with CONFIG_HIGHMEM (32-bit machines with highmem=on).
    r.add(ConstantSpec{"PKMAP_BASE", [](const Interpreter& in) -> ErrorOr<Value> {
                           if (!in.machine())
                               return in.no_machine("PKMAP_BASE");
                           const auto& base = in.machine()->layout().pkmap_base;
                           if (!base)
                               return make_error(ErrorKind::NotFound,
                                                 "PKMAP_BASE: this machine has no HIGHMEM (it "
                                                 "exists on 32-bit machines with highmem=on)");
                           return Value::addr(base->get());
                       }});
}

void register_uapi_constants(Registry& r) {
    for (auto [name, v] : kErrnos)
        r.add_constant(name, v);
    for (auto [name, v] : kAbiInts)
        r.add_constant(name, v);
    for (auto [name, v] : kFixedOpenFlags)
        r.add_constant(name, v);
    for (const char* name : {"O_DIRECTORY", "O_NOFOLLOW", "O_DIRECT", "O_LARGEFILE", "O_SYNC"}) {
        r.add(ConstantSpec{name, [name](const Interpreter& in) -> ErrorOr<Value> {
                               // Before a machine boots, the default machine's values
                               // (x86_64, 5.10).
                               Arch arch =
                                   in.machine() ? in.machine()->config().arch : Arch::X86_64;
                               KernelVersion v = in.machine() ? in.machine()->config().kernel
                                                              : KernelVersion{5, 10, 0};
                               return Value::integer(open_flag(name, arch, v));
                           }});
    }
    for (unsigned i = 0; i < kCapNames.size(); ++i)
        r.add_constant(kCapNames[i], i);
}

} // namespace kmemu::scenario
