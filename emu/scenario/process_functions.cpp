// System calls and user memory for `process { }` blocks. A syscall returns the kernel's raw
// result (a count, a position or -errno) and, like the C library, sets `errno` when the result
// is an error value (-4095 to -1). User loads and stores that fault give the signal.
#include <fmt/format.h>

#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/kernel/oops.h"
#include "emu/scenario/memory_access.h"
#include "emu/scenario/registry.h"

namespace kmemu::scenario {

namespace {

ErrorOr<u64> uint_arg(std::span<const Value> a, size_t i, std::string_view what) {
    if (!a[i].is_int())
        return make_error(ErrorKind::Parse, "{} must be an integer, not {}", what, type_name(a[i]));
    return a[i].bits;
}
ErrorOr<int> fd_arg(std::span<const Value> a, size_t i) {
    u64 v = TRY(uint_arg(a, i, "the file descriptor"));
    return static_cast<int>(static_cast<i64>(v));
}

const char* signal_name(int sig) {
    return sig == Process::kSIGBUS ? "SIGBUS" : "SIGSEGV";
}

// The raw result, with errno set as the C library does for -4095..-1.
Value syscall_result(Interpreter& in, long r) {
    if (r < 0 && r >= -4095)
        in.set_variable("errno", Value::integer(-r));
    return Value::integer(r);
}

template <typename Fn>
ErrorOr<Value> with_process(Interpreter& in, std::string_view what, Fn&& fn) {
    Process* p = TRY(block_process(in, what));
    return syscall_result(in, fn(*p));
}

ErrorOr<Value> fn_open(Interpreter& in, std::span<const Value> a) {
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "open needs a path string, not {}", type_name(a[0]));
    u64 flags = TRY(uint_arg(a, 1, "the flags"));
    return with_process(
        in, "open", [&](Process& p) { return p.open(a[0].bytes, static_cast<unsigned>(flags)); });
}

ErrorOr<Value> fn_close(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    return with_process(in, "close", [&](Process& p) { return p.close(fd); });
}

ErrorOr<Value> fn_read(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    u64 buf = TRY(uint_arg(a, 1, "the buffer"));
    u64 n = TRY(uint_arg(a, 2, "the count"));
    return with_process(in, "read", [&](Process& p) { return p.read(fd, VirtAddr(buf), n); });
}

// write(fd, buf, count), or write(fd, "bytes"): the bytes are put in a malloc'd buffer first.
ErrorOr<Value> fn_write(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    Process* p = TRY(block_process(in, "write"));
    u64 buf = 0, n = 0;
    if (a[1].is_bytes()) {
        if (a.size() > 2)
            return make_error(ErrorKind::Parse, "write(fd, bytes) takes no count");
        n = a[1].bytes.size();
        buf = p->malloc(n).get();
        if (!buf)
            return make_error(ErrorKind::NoMemory, "write: no user memory for the bytes");
        TRY(write_block_memory(in, buf, a[1].bytes));
    } else {
        if (a.size() < 3)
            return make_error(ErrorKind::Parse, "write(fd, buf, count) needs a count");
        buf = TRY(uint_arg(a, 1, "the buffer"));
        n = TRY(uint_arg(a, 2, "the count"));
    }
    return syscall_result(in, p->write(fd, VirtAddr(buf), n));
}

ErrorOr<Value> fn_pread(Interpreter& in, std::span<const Value> a, bool is_write) {
    int fd = TRY(fd_arg(a, 0));
    u64 buf = TRY(uint_arg(a, 1, "the buffer"));
    u64 n = TRY(uint_arg(a, 2, "the count"));
    i64 pos = static_cast<i64>(TRY(uint_arg(a, 3, "the position")));
    return with_process(in, is_write ? "pwrite" : "pread", [&](Process& p) {
        return is_write ? p.pwrite64(fd, VirtAddr(buf), n, pos)
                        : p.pread64(fd, VirtAddr(buf), n, pos);
    });
}

ErrorOr<Value> fn_lseek(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    i64 off = static_cast<i64>(TRY(uint_arg(a, 1, "the offset")));
    u64 whence = TRY(uint_arg(a, 2, "whence"));
    return with_process(in, "lseek", [&](Process& p) {
        return static_cast<long>(p.lseek64(fd, off, static_cast<int>(whence)));
    });
}

ErrorOr<Value> fn_llseek(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    u64 off = TRY(uint_arg(a, 1, "the offset"));
    u64 result = TRY(uint_arg(a, 2, "the result address"));
    u64 whence = TRY(uint_arg(a, 3, "whence"));
    return with_process(in, "_llseek", [&](Process& p) {
        return p.llseek(fd, off, VirtAddr(result), static_cast<int>(whence));
    });
}

ErrorOr<Value> fn_ioctl(Interpreter& in, std::span<const Value> a) {
    int fd = TRY(fd_arg(a, 0));
    u64 cmd = TRY(uint_arg(a, 1, "the command"));
    u64 arg = a.size() > 2 ? TRY(uint_arg(a, 2, "the argument")) : 0;
    return with_process(in, "ioctl",
                        [&](Process& p) { return p.ioctl(fd, static_cast<unsigned>(cmd), arg); });
}

ErrorOr<Value> fn_mmap(Interpreter& in, std::span<const Value> a) {
    u64 v[6];
    for (size_t i = 0; i < 6; ++i)
        v[i] = TRY(uint_arg(a, i, "an mmap argument"));
    Process* p = TRY(block_process(in, "mmap"));
    long r = p->mmap(v[0], v[1], static_cast<int>(v[2]), static_cast<int>(v[3]),
                     static_cast<int>(static_cast<i64>(v[4])), v[5]);
    Value out = syscall_result(in, r);
    if (!(r < 0 && r >= -4095))
        out = Value::addr(static_cast<u64>(r) & in.word_mask());
    return out;
}

ErrorOr<Value> fn_munmap(Interpreter& in, std::span<const Value> a) {
    u64 addr = TRY(uint_arg(a, 0, "the address"));
    u64 len = TRY(uint_arg(a, 1, "the length"));
    return with_process(in, "munmap", [&](Process& p) { return p.munmap(addr, len); });
}

ErrorOr<Value> fn_malloc(Interpreter& in, std::span<const Value> a) {
    u64 n = TRY(uint_arg(a, 0, "the size"));
    Process* p = TRY(block_process(in, "malloc"));
    return Value::addr(p->malloc(n).get());
}

ErrorOr<Value> fn_getpid(Interpreter& in, std::span<const Value>) {
    Process* p = TRY(block_process(in, "getpid"));
    return Value::integer(p->pid());
}

// load_fault(addr) / store_fault(addr): the signal a one-byte user load (store) raises, or 0.
ErrorOr<Value> fn_fault(Interpreter& in, std::span<const Value> a, bool store) {
    u64 addr = TRY(uint_arg(a, 0, "the address"));
    Process* p = TRY(block_process(in, store ? "store_fault" : "load_fault"));
    u8 byte = 0;
    if (store) {
        auto r = p->user_read(VirtAddr(addr), std::span<u8>(&byte, 1));
        if (r.signal)
            byte = 0;
        return Value::integer(p->user_write(VirtAddr(addr), std::span<const u8>(&byte, 1)).signal);
    }
    return Value::integer(p->user_read(VirtAddr(addr), std::span<u8>(&byte, 1)).signal);
}

} // namespace

ErrorOr<Process*> block_process(Interpreter& in, std::string_view what) {
    if (!in.machine())
        return in.no_machine(what);
    ScriptProcess* sp = in.current_process();
    if (!sp || !sp->proc)
        return make_error(ErrorKind::Parse, "{} is a system call: use it in a process block", what);
    return sp->proc;
}

ErrorOr<std::string> read_block_memory(Interpreter& in, u64 addr, u64 len) {
    if (len > kMaxBytesValue)
        return make_error(ErrorKind::Parse, "{} bytes is more than a value may hold", len);
    std::string out(len, '\0');
    if (in.where() == kProcess) {
        Process* p = TRY(block_process(in, "a user memory access"));
        auto r = p->user_read(VirtAddr(addr),
                              std::span<u8>(reinterpret_cast<u8*>(out.data()), out.size()));
        if (r.signal)
            return make_error(ErrorKind::Internal, "{} at {:#x}: the user load faulted",
                              signal_name(r.signal), r.fault_addr.get());
        return out;
    }
    if (!in.machine())
        return in.no_machine("a kernel memory access");
    kernel::KernelScope scope(*in.machine());
    try {
        kernel::kread(std::as_writable_bytes(std::span<char>(out.data(), out.size())),
                      kernel::kptr<const void>(VirtAddr(addr)));
    } catch (const kernel::KernelOops& oops) {
        in.write(oops.text());
        return make_error(ErrorKind::Internal, "kernel oops at {:#x} (printed above)",
                          oops.address().get());
    }
    return out;
}

ErrorOr<void> write_block_memory(Interpreter& in, u64 addr, std::string_view bytes) {
    if (in.where() == kProcess) {
        Process* p = TRY(block_process(in, "a user memory access"));
        auto r = p->user_write(
            VirtAddr(addr),
            std::span<const u8>(reinterpret_cast<const u8*>(bytes.data()), bytes.size()));
        if (r.signal)
            return make_error(ErrorKind::Internal, "{} at {:#x}: the user store faulted",
                              signal_name(r.signal), r.fault_addr.get());
        return {};
    }
    if (!in.machine())
        return in.no_machine("a kernel memory access");
    kernel::KernelScope scope(*in.machine());
    try {
        kernel::kwrite(kernel::kptr<void>(VirtAddr(addr)),
                       std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
    } catch (const kernel::KernelOops& oops) {
        in.write(oops.text());
        return make_error(ErrorKind::Internal, "kernel oops at {:#x} (printed above)",
                          oops.address().get());
    }
    return {};
}

void register_process_functions(Registry& r) {
    r.add(FunctionSpec{"open", 2, 2, kProcess, "open(path, flags)", fn_open});
    r.add(FunctionSpec{"close", 1, 1, kProcess, "close(fd)", fn_close});
    r.add(FunctionSpec{"read", 3, 3, kProcess, "read(fd, buf, count)", fn_read});
    r.add(FunctionSpec{"write", 2, 3, kProcess, "write(fd, buf, count) or write(fd, bytes)",
                       fn_write});
    r.add(FunctionSpec{
        "pread", 4, 4, kProcess, "pread(fd, buf, count, pos)",
        [](Interpreter& in, std::span<const Value> a) { return fn_pread(in, a, false); }});
    r.add(FunctionSpec{
        "pwrite", 4, 4, kProcess, "pwrite(fd, buf, count, pos)",
        [](Interpreter& in, std::span<const Value> a) { return fn_pread(in, a, true); }});
    r.add(FunctionSpec{"lseek", 3, 3, kProcess, "lseek(fd, offset, whence)", fn_lseek});
    r.add(
        FunctionSpec{"_llseek", 4, 4, kProcess, "_llseek(fd, offset, result, whence)", fn_llseek});
    r.add(FunctionSpec{"ioctl", 2, 3, kProcess, "ioctl(fd, cmd[, arg])", fn_ioctl});
    r.add(FunctionSpec{"mmap", 6, 6, kProcess, "mmap(addr, length, prot, flags, fd, offset)",
                       fn_mmap});
    r.add(FunctionSpec{"munmap", 2, 2, kProcess, "munmap(addr, length)", fn_munmap});
    r.add(FunctionSpec{"malloc", 1, 1, kProcess, "malloc(size)", fn_malloc});
    r.add(FunctionSpec{"getpid", 0, 0, kProcess, "getpid()", fn_getpid});
    r.add(FunctionSpec{
        "load_fault", 1, 1, kProcess, "load_fault(addr)",
        [](Interpreter& in, std::span<const Value> a) { return fn_fault(in, a, false); }});
    r.add(FunctionSpec{
        "store_fault", 1, 1, kProcess, "store_fault(addr)",
        [](Interpreter& in, std::span<const Value> a) { return fn_fault(in, a, true); }});
    r.add_constant("SIGSEGV", Process::kSIGSEGV);
    r.add_constant("SIGBUS", Process::kSIGBUS);
}

} // namespace kmemu::scenario
