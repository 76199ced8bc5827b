// Strong types for the address kinds of the emulated machine (DESIGN.md decision 1).
// A physical address, a virtual address and a page frame number are distinct types; mixing
// them does not compile. Conversions between them need the page size and live in Layout.
#pragma once

#include <compare>
#include <cstdint>
#include <fmt/format.h>

namespace kmemu {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;

// CRTP base: a 64-bit value with ordering and explicit construction. Offsets are plain u64
// byte counts; adding two addresses is meaningless and is not provided.
template <typename Self>
class AddressBase {
  public:
    constexpr AddressBase() = default;
    constexpr explicit AddressBase(u64 value) : m_value(value) {}
    [[nodiscard]] constexpr u64 get() const { return m_value; }
    constexpr auto operator<=>(const AddressBase&) const = default;

    [[nodiscard]] constexpr Self offset(u64 bytes) const { return Self(m_value + bytes); }
    [[nodiscard]] constexpr Self offset_down(u64 bytes) const { return Self(m_value - bytes); }
    // Byte distance from `base` to this address; callers ensure base <= *this.
    [[nodiscard]] constexpr u64 minus(Self base) const { return m_value - base.get(); }
    [[nodiscard]] constexpr Self align_down(u64 alignment) const {
        return Self(m_value & ~(alignment - 1));
    }
    [[nodiscard]] constexpr Self align_up(u64 alignment) const {
        return Self((m_value + alignment - 1) & ~(alignment - 1));
    }
    [[nodiscard]] constexpr bool is_aligned(u64 alignment) const {
        return (m_value & (alignment - 1)) == 0;
    }

  private:
    u64 m_value = 0;
};

class PhysAddr : public AddressBase<PhysAddr> {
  public:
    using AddressBase::AddressBase;
};

// A virtual address, kernel or user. On 32-bit layouts only the low 32 bits are used.
class VirtAddr : public AddressBase<VirtAddr> {
  public:
    using AddressBase::AddressBase;
};

// A page frame number: a physical address shifted right by the machine's PAGE_SHIFT.
class Pfn : public AddressBase<Pfn> {
  public:
    using AddressBase::AddressBase;
};

[[nodiscard]] constexpr Pfn pfn_of(PhysAddr pa, unsigned page_shift) {
    return Pfn(pa.get() >> page_shift);
}
[[nodiscard]] constexpr PhysAddr phys_of(Pfn pfn, unsigned page_shift) {
    return PhysAddr(pfn.get() << page_shift);
}

constexpr u64 KiB = u64{1} << 10;
constexpr u64 MiB = u64{1} << 20;
constexpr u64 GiB = u64{1} << 30;
constexpr u64 TiB = u64{1} << 40;

[[nodiscard]] constexpr u64 align_down(u64 value, u64 alignment) {
    return value & ~(alignment - 1);
}
[[nodiscard]] constexpr u64 align_up(u64 value, u64 alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}

} // namespace kmemu

// The address types format like their value, so "{:#x}" and "{:08x}" work.
template <typename T>
requires std::is_base_of_v<kmemu::AddressBase<T>, T>
struct fmt::formatter<T> : fmt::formatter<kmemu::u64> {
    template <typename Ctx>
    auto format(const T& a, Ctx& ctx) const {
        return fmt::formatter<kmemu::u64>::format(a.get(), ctx);
    }
};
