// Kernel actions for `kernel { }` blocks: the allocators and kernel-memory access through
// kptr (init_mm's page tables and the TLB). A kernel access that faults oopses: the oops lines
// go to the transcript and the script stops with an error, as the kernel would kill the task.
#include <cstring>

#include <fmt/format.h>

#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/kernel/oops.h"
#include "emu/scenario/interpreter.h"
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

ErrorOr<Value> fn_strcpy(Interpreter& in, std::span<const Value> a) {
    u64 dst = TRY(uint_arg(a, 0, "the destination"));
    if (!a[1].is_bytes())
        return make_error(ErrorKind::Parse, "strcpy copies a string, not {}", type_name(a[1]));
    const std::string src = a[1].bytes;
    return in_kernel(in, "strcpy", [&](Machine&) -> ErrorOr<Value> {
        kstrcpy(kptr<char>(VirtAddr(dst)), src);
        return Value::addr(dst);
    });
}

ErrorOr<Value> fn_memset(Interpreter& in, std::span<const Value> a) {
    u64 dst = TRY(uint_arg(a, 0, "the destination"));
    u64 v = TRY(uint_arg(a, 1, "the byte value"));
    u64 n = TRY(uint_arg(a, 2, "the length"));
    return in_kernel(in, "memset", [&](Machine&) -> ErrorOr<Value> {
        kmemset(kptr<void>(VirtAddr(dst)), static_cast<int>(v & 0xff), n);
        return Value::addr(dst);
    });
}

template <typename T>
ErrorOr<Value> fn_load(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    return in_kernel(in, "load", [&](Machine&) -> ErrorOr<Value> {
        T v = *kptr<T>(VirtAddr(p));
        return Value::unsigned_integer(u64{v});
    });
}

ErrorOr<Value> fn_string(Interpreter& in, std::span<const Value> a) {
    u64 p = TRY(uint_arg(a, 0, "the address"));
    return in_kernel(in, "string", [&](Machine&) -> ErrorOr<Value> {
        return Value::of_bytes(kstring(kptr<const char>(VirtAddr(p))));
    });
}

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
    r.add(FunctionSpec{"strcpy", 2, 2, kKernel, "strcpy(dst, string)", fn_strcpy});
    r.add(FunctionSpec{"memset", 3, 3, kKernel, "memset(dst, byte, n)", fn_memset});
    r.add(FunctionSpec{"u8", 1, 1, kKernel, "u8(addr)", fn_load<u8>});
    r.add(FunctionSpec{"u16", 1, 1, kKernel, "u16(addr)", fn_load<u16>});
    r.add(FunctionSpec{"u32", 1, 1, kKernel, "u32(addr)", fn_load<u32>});
    r.add(FunctionSpec{"u64", 1, 1, kKernel, "u64(addr)", fn_load<u64>});
    r.add(FunctionSpec{"string", 1, 1, kKernel, "string(addr)", fn_string});
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
