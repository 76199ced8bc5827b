// The one door through which every page-table descriptor is loaded or stored (DESIGN.md lesson 3,
// as QEMU's arm_ldq_ptw): it fixes the width (4 or 8 bytes) and the byte order (little-endian, as
// on every kmemu arch), turns a table that sits in a hole into an error the walker reports as a
// walk fault, and is the single place to count or trace walk cost.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mm/error.h"
#include "mm/types.h"

namespace kmemu::paging {

enum class DescriptorWidth : u8 { Bytes4 = 4, Bytes8 = 8 };

[[nodiscard]] constexpr unsigned byte_count(DescriptorWidth w) {
    return static_cast<unsigned>(w);
}

class PageTableMemory {
  public:
    virtual ~PageTableMemory() = default;
    // Loads one descriptor at `pa` (naturally aligned for its width). An error means the
    // address is not memory the walker may read (a hole, MMIO, misaligned).
    virtual ErrorOr<u64> load_descriptor(PhysAddr pa, DescriptorWidth width) = 0;
    virtual ErrorOr<void> store_descriptor(PhysAddr pa, DescriptorWidth width, u64 value) = 0;
};

// A sparse test memory: the RAM ranges given at construction are backed by 4 KiB pages that
// are allocated on the first store and read as zero before that; everything else is a hole.
// It counts loads and stores so tests can see that an inspection walk stores nothing.
class SparseTableMemory final : public PageTableMemory {
  public:
    struct Range {
        u64 start = 0;
        u64 end = 0; // exclusive
    };
    explicit SparseTableMemory(std::vector<Range> ram);

    ErrorOr<u64> load_descriptor(PhysAddr pa, DescriptorWidth width) override;
    ErrorOr<void> store_descriptor(PhysAddr pa, DescriptorWidth width, u64 value) override;

    // Byte-level access for tests that compare a table page with the kernel's bytes.
    ErrorOr<void> write_bytes(PhysAddr pa, const u8* data, std::size_t count);
    ErrorOr<void> read_bytes(PhysAddr pa, u8* out, std::size_t count) const;
    // Shorthand for tests: store and insist it worked (a test bug otherwise).
    void put32(PhysAddr pa, u32 value);
    void put64(PhysAddr pa, u64 value);
    [[nodiscard]] u64 get64(PhysAddr pa) const;
    [[nodiscard]] u32 get32(PhysAddr pa) const;

    [[nodiscard]] u64 loads() const { return m_loads; }
    [[nodiscard]] u64 stores() const { return m_stores; }
    // A hash of every backed byte, so a test can see that nothing changed at all.
    [[nodiscard]] u64 content_hash() const;

  private:
    using Page = std::array<u8, 4096>;
    [[nodiscard]] bool is_ram(u64 pa, u64 count) const;
    const Page* find_page(u64 pa) const;
    Page& page_for_write(u64 pa);

    std::vector<Range> m_ram;
    std::unordered_map<u64, std::unique_ptr<Page>> m_pages;
    // A direct-mapped cache of pfn -> page in front of the hash map: a walk touches a few
    // table pages again and again. Pages are never freed, so entries never go stale.
    struct CacheSlot {
        u64 pfn = ~u64{0};
        const Page* page = nullptr;
    };
    static constexpr std::size_t kCacheSlots = 64;
    mutable std::array<CacheSlot, kCacheSlots> m_cache{};
    u64 m_loads = 0;
    u64 m_stores = 0;
};

} // namespace kmemu::paging
