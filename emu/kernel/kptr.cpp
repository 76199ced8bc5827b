#include "emu/kernel/kptr.h"

#include <vector>

#include "emu/machine.h"

namespace kmemu::kernel {

namespace {

using mmu::AccessType;
using mmu::Privilege;

[[noreturn]] void oops(Machine& m, const mmu::MmuFault& fault) {
    const OopsRules rules = oops_rules_for(m.config().kernel, m.config().arch);
    throw KernelOops(fault, oops_lines(rules, fault, m.layout().page_size()));
}

template <typename U>
bool scalar_load(mmu::AddressSpaceMmu& mmu, Machine& m, VirtAddr va, void* out) {
    auto r = mmu.load<U>(va, {AccessType::Read, Privilege::Supervisor});
    if (!r.ok())
        oops(m, r.fault());
    const U v = r.value();
    std::memcpy(out, &v, sizeof(U));
    return true;
}

template <typename U>
void scalar_store(mmu::AddressSpaceMmu& mmu, Machine& m, VirtAddr va, const void* in) {
    U v;
    std::memcpy(&v, in, sizeof(U));
    auto r = mmu.store<U>(va, v, Privilege::Supervisor);
    if (!r.ok())
        oops(m, r.fault());
}

bool natural(VirtAddr va, std::size_t size) {
    return (size == 1 || size == 2 || size == 4 || size == 8) && (va.get() % size) == 0;
}

} // namespace

namespace detail {

void kload(VirtAddr va, void* out, std::size_t size) {
    Machine& m = KernelScope::current_machine();
    mmu::AddressSpaceMmu& mmu = m.kernel_mmu();
    if (natural(va, size)) {
        switch (size) {
        case 1:
            scalar_load<u8>(mmu, m, va, out);
            return;
        case 2:
            scalar_load<u16>(mmu, m, va, out);
            return;
        case 4:
            scalar_load<u32>(mmu, m, va, out);
            return;
        default:
            scalar_load<u64>(mmu, m, va, out);
            return;
        }
    }
    auto r = mmu.read(va, std::span(static_cast<std::byte*>(out), size),
                      {AccessType::Read, Privilege::Supervisor});
    if (r.fault)
        oops(m, *r.fault);
}

void kstore(VirtAddr va, const void* in, std::size_t size) {
    Machine& m = KernelScope::current_machine();
    mmu::AddressSpaceMmu& mmu = m.kernel_mmu();
    if (natural(va, size)) {
        switch (size) {
        case 1:
            scalar_store<u8>(mmu, m, va, in);
            return;
        case 2:
            scalar_store<u16>(mmu, m, va, in);
            return;
        case 4:
            scalar_store<u32>(mmu, m, va, in);
            return;
        default:
            scalar_store<u64>(mmu, m, va, in);
            return;
        }
    }
    auto r =
        mmu.write(va, std::span(static_cast<const std::byte*>(in), size), Privilege::Supervisor);
    if (r.fault)
        oops(m, *r.fault);
}

} // namespace detail

void kwrite(kptr<void> dst, std::span<const std::byte> in) {
    if (!in.empty())
        detail::kstore(dst.addr(), in.data(), in.size());
}

void kread(std::span<std::byte> out, kptr<const void> src) {
    if (!out.empty())
        detail::kload(src.addr(), out.data(), out.size());
}

void kmemcpy(kptr<void> dst, kptr<const void> src, u64 n) {
    constexpr u64 kChunk = 4096;
    std::vector<std::byte> buf(std::min(n, kChunk));
    if (dst.value() > src.value() && dst.value() < src.value() + n) {
        // Overlap with dst above src: copy from the end so the source is read before written.
        for (u64 left = n; left;) {
            const u64 len = std::min(left, kChunk);
            left -= len;
            kread(std::span(buf.data(), len),
                  kptr_cast<const std::byte>(src) + static_cast<i64>(left));
            kwrite(kptr_cast<std::byte>(dst) + static_cast<i64>(left), std::span(buf.data(), len));
        }
        return;
    }
    for (u64 done = 0; done < n;) {
        const u64 len = std::min(n - done, kChunk);
        kread(std::span(buf.data(), len), kptr_cast<const std::byte>(src) + static_cast<i64>(done));
        kwrite(kptr_cast<std::byte>(dst) + static_cast<i64>(done), std::span(buf.data(), len));
        done += len;
    }
}

void kmemset(kptr<void> dst, int c, u64 n) {
    if (!n)
        return;
    Machine& m = KernelScope::current_machine();
    auto r = m.kernel_mmu().fill(dst.addr(), static_cast<u8>(c), n, Privilege::Supervisor);
    if (r.fault)
        oops(m, *r.fault);
}

int kmemcmp(kptr<const void> a, kptr<const void> b, u64 n) {
    kptr<const u8> pa = kptr_cast<const u8>(a), pb = kptr_cast<const u8>(b);
    for (u64 i = 0; i < n; ++i) {
        const u8 x = pa[static_cast<i64>(i)], y = pb[static_cast<i64>(i)];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

u64 kstrlen(kptr<const char> s) {
    u64 n = 0;
    while (s[static_cast<i64>(n)] != '\0')
        ++n;
    return n;
}

kptr<char> kstrcpy(kptr<char> dst, std::string_view src) {
    std::vector<std::byte> bytes;
    bytes.reserve(src.size() + 1);
    for (char c : src)
        bytes.push_back(static_cast<std::byte>(c));
    bytes.push_back(std::byte{0});
    kwrite(dst, bytes);
    return dst;
}

kptr<char> kstrcpy(kptr<char> dst, kptr<const char> src) {
    for (i64 i = 0;; ++i) {
        const char c = src[i];
        dst[i] = c;
        if (c == '\0')
            return dst;
    }
}

std::string kstring(kptr<const char> s, u64 max) {
    std::string out;
    for (u64 i = 0; i < max; ++i) {
        const char c = s[static_cast<i64>(i)];
        if (c == '\0')
            break;
        out.push_back(c);
    }
    return out;
}

} // namespace kmemu::kernel
