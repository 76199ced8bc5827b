#include "mm/paging/table_memory.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace kmemu::paging {

namespace {
constexpr u64 kPageShift = 12;
constexpr u64 kPageMask = (u64{1} << kPageShift) - 1;
} // namespace

SparseTableMemory::SparseTableMemory(std::vector<Range> ram) : m_ram(std::move(ram)) {}

bool SparseTableMemory::is_ram(u64 pa, u64 count) const {
    if (pa + count < pa)
        return false;
    return std::any_of(m_ram.begin(), m_ram.end(),
                       [&](const Range& r) { return pa >= r.start && pa + count <= r.end; });
}

const SparseTableMemory::Page* SparseTableMemory::find_page(u64 pa) const {
    const u64 pfn = pa >> kPageShift;
    CacheSlot& slot = m_cache[pfn % kCacheSlots];
    if (slot.pfn == pfn)
        return slot.page;
    auto it = m_pages.find(pfn);
    if (it == m_pages.end())
        return nullptr; // not cached: it may be created by a later store
    slot = CacheSlot{pfn, it->second.get()};
    return slot.page;
}

SparseTableMemory::Page& SparseTableMemory::page_for_write(u64 pa) {
    auto& slot = m_pages[pa >> kPageShift];
    if (!slot)
        slot = std::make_unique<Page>(Page{});
    return *slot;
}

ErrorOr<u64> SparseTableMemory::load_descriptor(PhysAddr pa, DescriptorWidth width) {
    const unsigned n = byte_count(width);
    if (!pa.is_aligned(n))
        return make_error(ErrorKind::Internal, "descriptor load at {:#x} is not {}-byte aligned",
                          pa, n);
    // A cached page was created by a store that passed the RAM check: no need to repeat it.
    const u64 pfn = pa.get() >> kPageShift;
    const CacheSlot& slot = m_cache[pfn % kCacheSlots];
    const Page* page = slot.pfn == pfn ? slot.page : nullptr;
    if (page == nullptr) {
        if (!is_ram(pa.get(), n))
            return make_error(ErrorKind::NotFound, "descriptor load at {:#x}: not RAM", pa);
        page = find_page(pa.get());
    }
    ++m_loads;
    if (page == nullptr)
        return u64{0};
    const u8* p = page->data() + (pa.get() & kPageMask);
    if constexpr (std::endian::native == std::endian::little) {
        if (n == 8) {
            u64 v8 = 0;
            std::memcpy(&v8, p, 8);
            return v8;
        }
        u32 v4 = 0;
        std::memcpy(&v4, p, 4);
        return u64{v4};
    }
    u64 value = 0;
    for (unsigned i = 0; i < n; ++i) // little-endian regardless of the host
        value |= static_cast<u64>(p[i]) << (8 * i);
    return value;
}

ErrorOr<void> SparseTableMemory::store_descriptor(PhysAddr pa, DescriptorWidth width, u64 value) {
    const unsigned n = byte_count(width);
    if (!pa.is_aligned(n))
        return make_error(ErrorKind::Internal, "descriptor store at {:#x} is not {}-byte aligned",
                          pa, n);
    if (!is_ram(pa.get(), n))
        return make_error(ErrorKind::NotFound, "descriptor store at {:#x}: not RAM", pa);
    if (n == 4 && value > 0xffffffffu)
        return make_error(ErrorKind::Internal, "4-byte descriptor value {:#x} does not fit", value);
    ++m_stores;
    u8* p = page_for_write(pa.get()).data() + (pa.get() & kPageMask);
    for (unsigned i = 0; i < n; ++i)
        p[i] = static_cast<u8>(value >> (8 * i));
    return {};
}

ErrorOr<void> SparseTableMemory::write_bytes(PhysAddr pa, const u8* data, std::size_t count) {
    if (!is_ram(pa.get(), count))
        return make_error(ErrorKind::NotFound, "write of {} bytes at {:#x}: not RAM", count, pa);
    for (std::size_t i = 0; i < count; ++i) {
        const u64 a = pa.get() + i;
        page_for_write(a)[a & kPageMask] = data[i];
    }
    return {};
}

ErrorOr<void> SparseTableMemory::read_bytes(PhysAddr pa, u8* out, std::size_t count) const {
    if (!is_ram(pa.get(), count))
        return make_error(ErrorKind::NotFound, "read of {} bytes at {:#x}: not RAM", count, pa);
    for (std::size_t i = 0; i < count; ++i) {
        const u64 a = pa.get() + i;
        auto it = m_pages.find(a >> kPageShift);
        out[i] = it == m_pages.end() ? u8{0} : (*it->second)[a & kPageMask];
    }
    return {};
}

void SparseTableMemory::put32(PhysAddr pa, u32 value) {
    if (store_descriptor(pa, DescriptorWidth::Bytes4, value).is_error())
        throw std::logic_error(fmt::format("test memory: put32 at {:#x} failed", pa));
}
void SparseTableMemory::put64(PhysAddr pa, u64 value) {
    if (store_descriptor(pa, DescriptorWidth::Bytes8, value).is_error())
        throw std::logic_error(fmt::format("test memory: put64 at {:#x} failed", pa));
}
u64 SparseTableMemory::get64(PhysAddr pa) const {
    u8 b[8] = {};
    if (read_bytes(pa, b, 8).is_error())
        throw std::logic_error(fmt::format("test memory: get64 at {:#x} failed", pa));
    u64 v = 0;
    for (unsigned i = 0; i < 8; ++i)
        v |= static_cast<u64>(b[i]) << (8 * i);
    return v;
}
u32 SparseTableMemory::get32(PhysAddr pa) const {
    return static_cast<u32>(get64(pa.align_down(8)) >> (8 * (pa.get() & 4)));
}

u64 SparseTableMemory::content_hash() const {
    // Order-independent FNV-style mix over (pfn, bytes) so map order does not matter.
    u64 total = 0;
    for (const auto& [pfn, page] : m_pages) {
        u64 h = 1469598103934665603ull ^ pfn;
        for (u8 byte : *page)
            h = (h ^ byte) * 1099511628211ull;
        total += h;
    }
    return total;
}

} // namespace kmemu::paging
