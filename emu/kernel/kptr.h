// kptr<T>: a typed kernel virtual address of the current machine (DESIGN.md decision 4). Every
// access goes through the machine's kernel MMU (init_mm's page tables and its TLB); an access
// the MMU refuses throws KernelOops with the kernel's oops text, and no access ever reaches
// host memory outside the simulation.
//
//   KernelScope scope(*machine);
//   kptr<u32> p(machine->vmalloc().vmalloc(4096));
//   p[3] = 7;            // one 4-byte store at p + 12
//   u32 x = *p;          // one 4-byte load
//   kptr<Foo> f = kptr_cast<Foo>(p);
//   f->count += 1;       // copy-in/copy-out of *f (see karrow)
//   KMEMBER(f, count) = 2; // exactly the member's bytes
//
// T must be trivially copyable. Loads and stores of 1, 2, 4 or 8 bytes at a naturally aligned
// address are single accesses (an MMIO device sees one access of that width); others are bulk
// transfers. Pointer arithmetic is 64-bit (a 32-bit machine's wrap at 4 GiB is not modelled);
// kptr<void> steps by bytes, as GNU C's void * arithmetic does.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/oops.h"
#include "mm/types.h"

namespace kmemu::kernel {

namespace detail {
// Kernel-mode load/store of `size` bytes at va on the current machine; throw KernelOops on a
// refused access and NoCurrentMachine outside a KernelScope.
void kload(VirtAddr va, void* out, std::size_t size);
void kstore(VirtAddr va, const void* in, std::size_t size);
} // namespace detail

template <typename T>
class kptr;

// *p / p[i]: reads and writes the object at an address.
template <typename T>
class kref {
    using V = std::remove_cv_t<T>;
    static_assert(std::is_trivially_copyable_v<V>, "kptr<T> needs a trivially copyable T");

  public:
    explicit kref(VirtAddr addr) : m_addr(addr) {}
    kref(const kref&) = default;

    [[nodiscard]] V load() const {
        std::array<std::byte, sizeof(V)> buf;
        detail::kload(m_addr, buf.data(), sizeof(V));
        return std::bit_cast<V>(buf);
    }
    void store(const V& v) const requires(!std::is_const_v<T>) {
        const auto buf = std::bit_cast<std::array<std::byte, sizeof(V)>>(v);
        detail::kstore(m_addr, buf.data(), sizeof(V));
    }
    operator V() const { return load(); } // NOLINT: a reference reads as its value

    const kref& operator=(const V& v) const requires(!std::is_const_v<T>) {
        store(v);
        return *this;
    }
    const kref& operator=(const kref& o) const requires(!std::is_const_v<T>) {
        store(o.load());
        return *this;
    }
    // Read-modify-write operators for arithmetic T: one load, one store.
#define KMEMU_KREF_OP(op)                                                                          \
    template <typename U>                                                                          \
    const kref& operator op##=(const U& u)                                                         \
        const requires(std::is_arithmetic_v<V> && !std::is_const_v<T>) {                           \
        store(static_cast<V>(load() op u));                                                        \
        return *this;                                                                              \
    }
    KMEMU_KREF_OP(+)
    KMEMU_KREF_OP(-)
    KMEMU_KREF_OP(*)
    KMEMU_KREF_OP(|)
    KMEMU_KREF_OP(&)
    KMEMU_KREF_OP(^)
#undef KMEMU_KREF_OP
    const kref& operator++() const requires(std::is_arithmetic_v<V> && !std::is_const_v<T>) {
        store(static_cast<V>(load() + 1));
        return *this;
    }
    const kref& operator--() const requires(std::is_arithmetic_v<V> && !std::is_const_v<T>) {
        store(static_cast<V>(load() - 1));
        return *this;
    }

    [[nodiscard]] kptr<T> operator&() const {
        return kptr<T>(m_addr);
    }
    [[nodiscard]] VirtAddr addr() const {
        return m_addr;
    }

  private:
    VirtAddr m_addr;
};

// p->field: loads the whole object into a local copy, gives field access to the copy and, when
// the full expression ends, stores back the bytes that changed (one transfer from the first to
// the last changed byte). Reads therefore touch all of *p; use KMEMBER for an access of exactly
// the member's bytes. No store is made while an exception is unwinding.
template <typename T>
class karrow {
    using V = std::remove_cv_t<T>;

  public:
    explicit karrow(VirtAddr addr) : m_addr(addr) {
        detail::kload(addr, m_orig.data(), sizeof(V));
        std::memcpy(&m_copy, m_orig.data(), sizeof(V));
    }
    karrow(const karrow&) = delete;
    karrow& operator=(const karrow&) = delete;
    ~karrow() noexcept(false) {
        if constexpr (!std::is_const_v<T>) {
            if (std::uncaught_exceptions() != m_uncaught)
                return;
            std::array<std::byte, sizeof(V)> now;
            std::memcpy(now.data(), &m_copy, sizeof(V));
            std::size_t first = 0, last = sizeof(V);
            while (first < sizeof(V) && now[first] == m_orig[first])
                ++first;
            if (first == sizeof(V))
                return;
            while (last > first && now[last - 1] == m_orig[last - 1])
                --last;
            detail::kstore(m_addr.offset(first), now.data() + first, last - first);
        }
    }
    T* operator->() { return &m_copy; }

  private:
    VirtAddr m_addr;
    std::array<std::byte, sizeof(V)> m_orig;
    V m_copy;
    int m_uncaught = std::uncaught_exceptions();
};

template <typename T>
class kptr {
  public:
    using element_type = T;
    // Bytes per element step (1 for void, as GNU C).
    static constexpr u64 kStride = [] {
        if constexpr (std::is_void_v<T>)
            return u64{1};
        else
            return u64{sizeof(T)};
    }();

    constexpr kptr() = default;       // NULL
    constexpr kptr(std::nullptr_t) {} // NOLINT: NULL converts
    constexpr explicit kptr(VirtAddr addr) : m_addr(addr) {}
    // The conversions T* allows from U* (to void *, adding const).
    template <typename U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U*, T*>) constexpr kptr(kptr<U> other)
        : m_addr(other.addr()) {} // NOLINT: as pointers convert

    [[nodiscard]] constexpr VirtAddr addr() const { return m_addr; }
    [[nodiscard]] constexpr u64 value() const { return m_addr.get(); }
    constexpr explicit operator bool() const { return m_addr.get() != 0; }

    constexpr kptr operator+(i64 n) const {
        return kptr(VirtAddr(m_addr.get() + static_cast<u64>(n) * kStride));
    }
    constexpr kptr operator-(i64 n) const {
        return kptr(VirtAddr(m_addr.get() - static_cast<u64>(n) * kStride));
    }
    // Element difference, as C's pointer subtraction.
    constexpr i64 operator-(kptr o) const {
        return static_cast<i64>(m_addr.get() - o.m_addr.get()) / static_cast<i64>(kStride);
    }
    constexpr kptr& operator+=(i64 n) { return *this = *this + n; }
    constexpr kptr& operator-=(i64 n) { return *this = *this - n; }
    constexpr kptr& operator++() { return *this += 1; }
    constexpr kptr& operator--() { return *this -= 1; }
    constexpr kptr operator++(int) {
        kptr old = *this;
        *this += 1;
        return old;
    }
    constexpr kptr operator--(int) {
        kptr old = *this;
        *this -= 1;
        return old;
    }
    constexpr auto operator<=>(const kptr& o) const { return m_addr.get() <=> o.m_addr.get(); }
    constexpr bool operator==(const kptr& o) const { return m_addr.get() == o.m_addr.get(); }

    [[nodiscard]] kref<T> operator*() const requires(!std::is_void_v<T>) { return kref<T>(m_addr); }
    [[nodiscard]] kref<T> operator[](i64 i) const requires(!std::is_void_v<T>) {
        return kref<T>((*this + i).m_addr);
    }
    [[nodiscard]] karrow<T> operator->() const requires(std::is_class_v<T>) {
        return karrow<T>(m_addr);
    }
    // The member of type F at `offset` bytes (KMEMBER).
    template <typename F>
    [[nodiscard]] constexpr kptr<F> member_at(u64 offset) const {
        return kptr<F>(m_addr.offset(offset));
    }

  private:
    VirtAddr m_addr;
};

template <typename U, typename T>
[[nodiscard]] constexpr kptr<U> kptr_cast(kptr<T> p) {
    return kptr<U>(p.addr());
}

// kref to a member of *p, touching only the member's bytes: KMEMBER(p, field) = 3.
#define KMEMBER(p, field)                                                                          \
    (*(p).template member_at<decltype(std::declval<typename decltype(p)::element_type>().field)>(  \
        offsetof(typename decltype(p)::element_type, field)))

// --- helpers on kernel memory (all through the current machine's kernel MMU) -------------------
// Each throws KernelOops at the first refused byte; bytes before it are already moved, as the
// kernel's memcpy/memset leave them when they oops part-way.

// memcpy between kernel addresses (through a bounce buffer: overlapping ranges copy as memmove).
void kmemcpy(kptr<void> dst, kptr<const void> src, u64 n);
void kmemset(kptr<void> dst, int c, u64 n);
[[nodiscard]] int kmemcmp(kptr<const void> a, kptr<const void> b, u64 n);
[[nodiscard]] u64 kstrlen(kptr<const char> s);
// strcpy of a host string (its bytes and a NUL) / of a kernel string; returns dst.
kptr<char> kstrcpy(kptr<char> dst, std::string_view src);
kptr<char> kstrcpy(kptr<char> dst, kptr<const char> src);
// Host <-> kernel copies.
void kwrite(kptr<void> dst, std::span<const std::byte> in);
void kread(std::span<std::byte> out, kptr<const void> src);
// The NUL-terminated string at s, at most `max` bytes read.
[[nodiscard]] std::string kstring(kptr<const char> s, u64 max = 4096);

} // namespace kmemu::kernel

// "{:#x}" of a kptr prints its emulated address.
template <typename T>
struct fmt::formatter<kmemu::kernel::kptr<T>> : fmt::formatter<kmemu::u64> {
    template <typename Ctx>
    auto format(const kmemu::kernel::kptr<T>& p, Ctx& ctx) const {
        return fmt::formatter<kmemu::u64>::format(p.value(), ctx);
    }
};
