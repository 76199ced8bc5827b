// Kernel actions for `kernel { }` blocks: the allocators and kernel-memory access through
// kptr (init_mm's page tables and the TLB). A kernel access that faults oopses: the oops lines
// go to the transcript and the script stops with an error, as the kernel would kill the task.
#include <cstring>

#include <fmt/format.h>

#include "devices/printk/printk.h"
#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/kernel/oops.h"
#include "emu/scenario/interpreter.h"
#include "emu/scenario/memory_access.h"
#include "emu/scenario/printf.h"
#include "emu/scenario/registry.h"
#include "mm/gfp.h"

namespace kmemu::scenario {

using namespace kmemu::kernel;

namespace {

ErrorOr<u64> uint_arg(std::span<const Value> a, size_t i, std::string_view what) {
    if (!a[i].is_int())
        return make_error(ErrorKind::Parse, "{} must be an integer, not {}", what, type_name(a[i]));
    return a[i].bits;
}

// Runs kernel code with the machine current (KernelScope); an oops is written out and turned
// into a script error at the call.
template <typename Fn>
ErrorOr<Value> in_kernel(Interpreter& in, std::string_view what, Fn&& fn) {
    if (!in.machine())
        return in.no_machine(what);
    KernelScope scope(*in.machine());
    try {
        return fn(*in.machine());
    } catch (const KernelOops& oops) {
        in.write(oops.text());
        return make_error(ErrorKind::Internal, "kernel oops at {:#x} (printed above)",
                          oops.address().get());
    }
}

ErrorOr<Value> fn_vmalloc(Interpreter& in, std::span<const Value> a) {
    u64 size = TRY(uint_arg(a, 0, "the size"));
    return in_kernel(in, "vmalloc", [&](Machine& m) -> ErrorOr<Value> {
        return Value::addr(m.vmalloc().vmalloc(size, "scenario").get());
    });
}

ErrorOr<Value> fn_vfree(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    return in_kernel(in, "vfree", [&](Machine& m) -> ErrorOr<Value> {
        m.vmalloc().vfree(VirtAddr(p));
        return Value::integer(0);
    });
}

ErrorOr<Value> fn_kmalloc(Interpreter& in, std::span<const Value> a, gfp_t extra) {
    u64 size = TRY(uint_arg(a, 0, "the size"));
    u64 gfp = a.size() > 1 ? TRY(uint_arg(a, 1, "the gfp flags")) : GFP_KERNEL;
    return in_kernel(in, "kmalloc", [&](Machine& m) -> ErrorOr<Value> {
        return Value::addr(m.kmalloc().kmalloc(size, static_cast<gfp_t>(gfp) | extra).get());
    });
}

ErrorOr<Value> fn_kfree(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    return in_kernel(in, "kfree", [&](Machine& m) -> ErrorOr<Value> {
        m.kmalloc().kfree(VirtAddr(p));
        return Value::integer(0);
    });
}

// strcpy, memset, memcpy, u8..u64 and string work on the block's side: kernel memory in a
// kernel block, the process's memory in a process block (memory_access.h).
ErrorOr<Value> fn_strcpy(Interpreter& in, std::span<const Value> a) {
    u64 dst = TRY(uint_arg(a, 0, "the destination"));
    if (!a[1].is_bytes())
        return make_error(ErrorKind::Parse, "strcpy copies a string, not {}", type_name(a[1]));
    std::string src = a[1].bytes.substr(0, a[1].bytes.find('\0'));
    src.push_back('\0');
    TRY(write_block_memory(in, dst, src));
    return Value::addr(dst);
}

ErrorOr<Value> fn_memset(Interpreter& in, std::span<const Value> a) {
    u64 dst = TRY(uint_arg(a, 0, "the destination"));
    u64 v = TRY(uint_arg(a, 1, "the byte value"));
    u64 n = TRY(uint_arg(a, 2, "the length"));
    if (n > kMaxBytesValue)
        return make_error(ErrorKind::Parse, "memset of {} bytes is too long (at most {})", n,
                          kMaxBytesValue);
    TRY(write_block_memory(in, dst, std::string(n, static_cast<char>(v & 0xff))));
    return Value::addr(dst);
}

// memcpy(dst, src, n), or memcpy(dst, bytes) to store a byte string.
ErrorOr<Value> fn_memcpy(Interpreter& in, std::span<const Value> a) {
    u64 dst = TRY(uint_arg(a, 0, "the destination"));
    std::string bytes;
    if (a[1].is_bytes()) {
        bytes = a[1].bytes;
        if (a.size() > 2) {
            u64 n = TRY(uint_arg(a, 2, "the length"));
            bytes = bytes.substr(0, n);
        }
    } else {
        if (a.size() < 3)
            return make_error(ErrorKind::Parse, "memcpy(dst, src, n) needs a length");
        u64 src = TRY(uint_arg(a, 1, "the source"));
        u64 n = TRY(uint_arg(a, 2, "the length"));
        bytes = TRY(read_block_memory(in, src, n));
    }
    TRY(write_block_memory(in, dst, bytes));
    return Value::addr(dst);
}

template <typename T>
ErrorOr<Value> fn_load(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    std::string b = TRY(read_block_memory(in, p, sizeof(T)));
    T v{};
    std::memcpy(&v, b.data(), sizeof(T)); // every arch kmemu emulates is little-endian
    return Value::unsigned_integer(u64{v});
}

// string(addr): bytes up to the first NUL (at most 64 KiB), read a page piece at a time.
ErrorOr<Value> fn_string(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    const u64 page = in.machine() ? in.machine()->config().page_size() : 4096;
    std::string out;
    while (out.size() < 64 * 1024) {
        u64 chunk = page - (p % page);
        std::string piece = TRY(read_block_memory(in, p, chunk));
        auto nul = piece.find('\0');
        out += piece.substr(0, nul);
        if (nul != std::string::npos)
            return Value::of_bytes(out);
        p += chunk;
    }
    return Value::of_bytes(out);
}

// printk(format, ...): the script's printf conversions, except that %p, %px and %pK print as
// the kernel's vsnprintf does for this version (hashed %p from 4.15, %pK by kptr_restrict).
ErrorOr<Value> fn_printk(Interpreter& in, std::span<const Value> a) {
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "the format must be a string, not {}", type_name(a[0]));
    if (!in.machine())
        return in.no_machine("printk");
    DeviceKernel& k = in.machine()->devices().kernel();
    const std::string& f = a[0].bytes;
    std::string format;
    std::vector<Value> args;
    size_t next_arg = 1;
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%') {
            format += f[i];
            continue;
        }
        size_t j = i + 1;
        while (j < f.size() && std::string_view("-0+ #").find(f[j]) != std::string_view::npos)
            ++j;
        while (j < f.size() && ((f[j] >= '0' && f[j] <= '9') || f[j] == '.' || f[j] == 'l' ||
                                f[j] == 'h' || f[j] == 'z'))
            ++j;
        if (j >= f.size()) {
            format += f.substr(i);
            break;
        }
        if (f[j] == '%') {
            format += "%%";
            i = j;
            continue;
        }
        if (next_arg >= a.size())
            return make_error(ErrorKind::Parse, "printk: too few arguments for the format");
        const Value& v = a[next_arg++];
        if (f[j] == 'p') {
            std::string spec = "%p";
            if (j + 1 < f.size() && (f[j + 1] == 'x' || f[j + 1] == 'K'))
                spec += f[++j];
            if (!v.is_int())
                return make_error(ErrorKind::Parse, "printk: {} needs an address", spec);
            VsprintfContext ctx = printk_log(k).vsprintf_context();
            DeviceKernelScope scope(k, nullptr);
            std::string text = kernel_sprintf(
                ctx, spec.c_str(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(v.bits)));
            format += "%s";
            args.push_back(Value::of_bytes(text));
        } else {
            format += f.substr(i, j - i + 1);
            args.push_back(v);
        }
        i = j;
    }
    if (next_arg < a.size())
        return make_error(ErrorKind::Parse, "printk: more arguments than the format uses");
    std::string text = TRY(format_printf(format, args, in.word_bits()));
    DeviceKernelScope scope(k, nullptr);
    return Value::integer(printk(k, text));
}

constexpr const char* kLevels[] = {"KERN_EMERG",   "KERN_ALERT",  "KERN_CRIT", "KERN_ERR",
                                   "KERN_WARNING", "KERN_NOTICE", "KERN_INFO", "KERN_DEBUG"};

} // namespace

void register_kernel_functions(Registry& r) {
    r.add(FunctionSpec{"vmalloc", 1, 1, kKernel, "vmalloc(size)", fn_vmalloc});
    r.add(FunctionSpec{"vfree", 1, 1, kKernel, "vfree(addr)", fn_vfree});
    r.add(FunctionSpec{
        "kmalloc", 1, 2, kKernel, "kmalloc(size[, flags])",
        [](Interpreter& in, std::span<const Value> a) { return fn_kmalloc(in, a, 0); }});
    r.add(FunctionSpec{
        "kzalloc", 1, 2, kKernel, "kzalloc(size[, flags])",
        [](Interpreter& in, std::span<const Value> a) { return fn_kmalloc(in, a, __GFP_ZERO); }});
    r.add(FunctionSpec{"kfree", 1, 1, kKernel, "kfree(addr)", fn_kfree});
    r.add(FunctionSpec{"printk", 1, kVariadic, kKernel, "printk(format, ...)", fn_printk});
    // KERN_EMERG .. KERN_DEBUG and KERN_CONT: the machine's level tokens ("<N>" before 3.6).
    for (int level = 0; level < 8; ++level)
        r.add(ConstantSpec{kLevels[level], [level](const Interpreter& in) -> ErrorOr<Value> {
                               if (!in.machine())
                                   return in.no_machine(kLevels[level]);
                               return Value::of_bytes(
                                   kern_level(in.machine()->devices().kernel(), level));
                           }});
    r.add(ConstantSpec{"KERN_CONT", [](const Interpreter& in) -> ErrorOr<Value> {
                           if (!in.machine())
                               return in.no_machine("KERN_CONT");
                           return Value::of_bytes(kern_cont(in.machine()->devices().kernel()));
                       }});
    constexpr unsigned kEither = kKernel | kProcess;
    r.add(FunctionSpec{"strcpy", 2, 2, kEither, "strcpy(dst, string)", fn_strcpy});
    r.add(FunctionSpec{"memset", 3, 3, kEither, "memset(dst, byte, n)", fn_memset});
    r.add(FunctionSpec{"memcpy", 2, 3, kEither, "memcpy(dst, src, n) or memcpy(dst, bytes)",
                       fn_memcpy});
    r.add(FunctionSpec{"u8", 1, 1, kEither, "u8(addr)", fn_load<u8>});
    r.add(FunctionSpec{"u16", 1, 1, kEither, "u16(addr)", fn_load<u16>});
    r.add(FunctionSpec{"u32", 1, 1, kEither, "u32(addr)", fn_load<u32>});
    r.add(FunctionSpec{"u64", 1, 1, kEither, "u64(addr)", fn_load<u64>});
    r.add(FunctionSpec{"string", 1, 1, kEither, "string(addr)", fn_string});
    for (auto [name, value] : std::initializer_list<std::pair<const char*, gfp_t>>{
             {"GFP_KERNEL", GFP_KERNEL},
             {"GFP_ATOMIC", GFP_ATOMIC},
             {"GFP_USER", GFP_USER},
             {"GFP_HIGHUSER", GFP_HIGHUSER},
             {"GFP_DMA", GFP_DMA},
             {"GFP_DMA32", GFP_DMA32},
             {"__GFP_ZERO", __GFP_ZERO},
             {"__GFP_HIGHMEM", __GFP_HIGHMEM},
         })
        r.add_constant(name, static_cast<i64>(value));
}

} // namespace kmemu::scenario
