// Observation commands over a booted machine: what a student would look at on a real one —
// the kernel page tables (ptdump), one address's walk, /proc files (cat /proc/NAME).
#include <fmt/format.h>

#include "emu/dmesg.h"
#include "emu/machine_views.h"
#include "emu/procfs_maps.h"
#include "emu/scenario/hexdump.h"
#include "emu/scenario/interpreter.h"
#include "emu/scenario/registry.h"
#include "emu/scenario/strerror.h"
#include "emu/svg/walk_svg.h"
#include "emu/walk_view.h"
#include "mm/errno.h"

namespace kmemu::scenario {

namespace {

// strerror's text for a negative errno, as cat and hexdump print it.
std::string_view error_text(long err) {
    return strerror_text(-err);
}

// Reads up to `limit` bytes of an open file into the observer's buffer: the bytes, or the
// error of the read that failed first (with what came before it in `got`).
long read_all(Process& p, int fd, VirtAddr buf, u64 chunk, u64 limit, std::string* got) {
    while (got->size() < limit) {
        u64 want = std::min(chunk, limit - got->size());
        long n = p.read(fd, buf, want);
        if (n <= 0)
            return n;
        std::string piece(static_cast<size_t>(n), '\0');
        auto r = p.user_read(buf, std::span<u8>(reinterpret_cast<u8*>(piece.data()), piece.size()));
        if (r.signal)
            return -EFAULT;
        *got += piece;
    }
    return 0;
}

constexpr u64 kCatLimit = 1 * MiB; // cat of a device without an end stops here

// cat PATH: the file as root reads it through open/read (procfs files, devices).
// In a process block /proc/self/... names the block's process (the program looking at itself),
// not the reader cat would be on a shell.
std::string resolve_proc_self(Interpreter& in, const std::string& path) {
    constexpr std::string_view kSelf = "/proc/self/";
    ScriptProcess* sp = in.current_process();
    if (!path.starts_with(kSelf) || !sp || !sp->proc)
        return path;
    return fmt::format("/proc/{}/{}", sp->proc->pid(), path.substr(kSelf.size()));
}

ErrorOr<void> cmd_cat(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("cat");
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "cat needs a path, not {}", type_name(a[0]));
    const std::string path = resolve_proc_self(in, a[0].bytes);
    Process* p = in.observer();
    long fd = p->open(path, 0);
    if (fd < 0) {
        in.write(fmt::format("cat: {}: {}\n", path, error_text(fd)));
        return {};
    }
    const u64 page = in.machine()->config().page_size();
    VirtAddr buf = p->malloc(page);
    std::string got;
    long r = read_all(*p, static_cast<int>(fd), buf, page, kCatLimit, &got);
    (void)p->close(static_cast<int>(fd));
    in.write(got);
    if (r < 0)
        in.write(fmt::format("cat: {}: {}\n", path, error_text(r)));
    else if (got.size() >= kCatLimit)
        in.write(fmt::format("\ncat: {}: stopped after {} bytes\n", path, kCatLimit));
    return {};
}

// hexdump PATH OFFSET LEN: `hexdump -C -s OFFSET -n LEN PATH` as root.
ErrorOr<void> cmd_hexdump(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("hexdump");
    if (!a[0].is_bytes() || !a[1].is_int() || !a[2].is_int())
        return make_error(ErrorKind::Parse, "hexdump needs PATH OFFSET LEN");
    const std::string path = resolve_proc_self(in, a[0].bytes);
    const u64 offset = a[1].bits, len = a[2].bits;
    if (len > kCatLimit)
        return make_error(ErrorKind::Parse, "hexdump of {} bytes is too long (at most {})", len,
                          kCatLimit);
    Process* p = in.observer();
    long fd = p->open(path, 0);
    if (fd < 0) {
        in.write(fmt::format("hexdump: {}: {}\n", path, error_text(fd)));
        return {};
    }
    const int f = static_cast<int>(fd);
    i64 pos = p->lseek64(f, static_cast<i64>(offset), 0);
    if (pos < 0 && pos >= -4095) {
        (void)p->close(f);
        in.write(fmt::format("hexdump: {}: {}\n", path, error_text(pos)));
        return {};
    }
    VirtAddr buf = p->malloc(std::max<u64>(len, 1));
    std::string got;
    long r = read_all(*p, f, buf, len, len, &got);
    (void)p->close(f);
    if (r < 0)
        in.write(fmt::format("hexdump: {}: {}\n", path, error_text(r)));
    in.write(hexdump_canonical(got, offset));
    return {};
}

// maps [PID]: /proc/PID/maps as root reads it; without PID, the current process block's.
ErrorOr<void> cmd_maps(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("maps");
    int pid = 0;
    if (!a.empty()) {
        if (!a[0].is_int())
            return make_error(ErrorKind::Parse, "maps takes a pid");
        pid = static_cast<int>(a[0].as_signed());
    } else if (in.current_process() && in.current_process()->proc) {
        pid = in.current_process()->proc->pid();
    } else {
        return make_error(ErrorKind::Parse, "maps needs a pid outside a process block");
    }
    Process* p = in.machine()->process(pid);
    if (!p || !p->mm())
        return make_error(ErrorKind::NotFound, "maps: no process {}", pid);
    // What cat /proc/PID/maps shows (file names of device mappings included).
    const Value path = Value::of_bytes(fmt::format("/proc/{}/maps", pid));
    return cmd_cat(in, std::span<const Value>(&path, 1));
}

// dmesg: the kernel log as util-linux's dmesg prints it.
ErrorOr<void> cmd_dmesg(Interpreter& in, std::span<const Value>) {
    if (!in.machine())
        return in.no_machine("dmesg");
    in.write(dmesg_text(*in.machine()));
    return {};
}

ErrorOr<void> cmd_ptdump(Interpreter& in, std::span<const Value>) {
    if (!in.machine())
        return in.no_machine("ptdump");
    in.write(TRY(render_kernel_ptdump(*in.machine())));
    return {};
}

// walk ADDR, or walk ADDR svg "FILE" for the picture.
ErrorOr<void> cmd_walk(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("walk");
    if (!a[0].is_int())
        return make_error(ErrorKind::Parse, "walk needs an address{}",
                          a[0].is_bytes() ? fmt::format(" (unknown name '{}')", a[0].bytes)
                                          : std::string());
    if (a.size() > 1) {
        if (a.size() != 3 || !a[1].is_bytes() || a[1].bytes != "svg" || !a[2].is_bytes())
            return make_error(ErrorKind::Parse, "walk takes ADDR, or ADDR svg \"FILE\"");
        auto& kpt = in.machine()->kernel_page_tables();
        auto rec = TRY(paging::walk(kpt.format(), kpt.table_memory(), kpt.mmu(),
                                    VirtAddr(a[0].bits), {}, paging::WalkMode::Inspection));
        TRY(write_text_file(a[2].bytes, render_walk_svg(kpt.format(), rec, kpt.mmu())));
        in.write(fmt::format("wrote {}\n", a[2].bytes));
        return {};
    }
    // In a process block a user address walks the process's own page tables.
    ScriptProcess* sp = in.current_process();
    if (sp && sp->proc && sp->proc->mm() && a[0].bits < sp->proc->mm()->task_size()) {
        MmStruct& mm = *sp->proc->mm();
        auto rec = TRY(mm.walk(VirtAddr(a[0].bits)));
        in.write(render_walk_text(mm.page_tables().format(), rec, mm.page_tables().mmu_state()));
        return {};
    }
    in.write(TRY(render_kernel_walk(*in.machine(), VirtAddr(a[0].bits))));
    return {};
}

} // namespace

void register_machine_commands(Registry& r) {
    r.add(CommandSpec{"cat", 1, 1, kAnywhere, "cat PATH", cmd_cat});
    r.add(CommandSpec{"hexdump", 3, 3, kAnywhere, "hexdump PATH OFFSET LEN", cmd_hexdump});
    r.add(CommandSpec{"ptdump", 0, 0, kAnywhere, "ptdump", cmd_ptdump});
    r.add(CommandSpec{"dmesg", 0, 0, kAnywhere, "dmesg", cmd_dmesg});
    r.add(CommandSpec{"maps", 0, 1, kAnywhere, "maps [PID]", cmd_maps});
    r.add(CommandSpec{"walk", 1, 3, kAnywhere, "walk ADDR [svg \"FILE\"]", cmd_walk});
}

} // namespace kmemu::scenario
