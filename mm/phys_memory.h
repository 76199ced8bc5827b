// PhysicalMemory: the machine's physical address space. RAM frames live in one sparse memfd
// (file offset == physical address) so a frame can also be mapped into the host later; MMIO
// windows dispatch to device models; everything else is a hole with no frames.
//
// Invariants: every host access stays inside the memfd mapping; a frame that was never written
// costs no host memory (reads of it are served from the written-page bitmap as zeros, without
// touching the memfd); the bitmap is allocated per 128 MiB section on first write.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mm/error.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"
#include "mm/types.h"

namespace kmemu {

enum class Access { Read, Write };

// What an access found. Hole: no RAM and no MMIO at stop_at; the caller decides what the
// kernel does (a machine check, all-ones, a fault, -EFAULT ...).
enum class PhysStatus : u8 { Ok, Hole };

struct [[nodiscard]] PhysResult {
    PhysStatus status = PhysStatus::Ok;
    u64 bytes_done = 0; // bytes transferred before stopping
    PhysAddr stop_at;   // first address not transferred (== start + size when Ok)
    [[nodiscard]] bool ok() const { return status == PhysStatus::Ok; }
};

template <typename T>
struct [[nodiscard]] PhysValue {
    T value{};
    PhysStatus status = PhysStatus::Ok;
    [[nodiscard]] bool ok() const { return status == PhysStatus::Ok; }
};

class PhysicalMemory {
  public:
    // Frames for every page touched by a RAM-map range (any type: firmware-reserved ranges are
    // real memory with contents); `mmio` windows must not overlap them or each other.
    // page_shift: 12, 14 or 16.
    [[nodiscard]] static ErrorOr<std::unique_ptr<PhysicalMemory>>
    create(const RamMap& ram, std::span<const MmioRegion> mmio, unsigned page_shift);
    ~PhysicalMemory();
    PhysicalMemory(const PhysicalMemory&) = delete;
    PhysicalMemory& operator=(const PhysicalMemory&) = delete;

    [[nodiscard]] unsigned page_shift() const { return m_page_shift; }
    [[nodiscard]] u64 page_size() const { return u64{1} << m_page_shift; }

    // Whether the frame exists (RAM, not MMIO, not a hole).
    [[nodiscard]] bool has_frame(Pfn pfn) const;
    // Host pointer to the start of a frame, or nullptr when it has none. Write marks the frame
    // written. Read of a never-written frame returns a shared read-only zero page: valid for
    // reading zeros until the frame is first written (see frames_touched_generation()).
    [[nodiscard]] std::byte* host_frame(Pfn pfn, Access access);
    // Whether a host_frame(Read) pointer is the shared zero page (the frame was not written).
    [[nodiscard]] bool is_zero_page(const std::byte* p) const { return p == m_zero_page; }

    PhysResult read(PhysAddr addr, std::span<std::byte> out);
    PhysResult write(PhysAddr addr, std::span<const std::byte> in);
    // Watched frames (page-table pages): every write into one, through any path of this
    // interface (a descriptor store, the walker's A/D update, a kernel store, later /dev/mem),
    // and every host_frame(Write) of one, calls the observer with its pfn, after the write. The
    // TLB invalidates on it, so no stale translation survives a page-table write.
    void watch_frame(Pfn pfn);
    void unwatch_frame(Pfn pfn);
    [[nodiscard]] bool is_watched(Pfn pfn) const { return m_watched.contains(pfn.get()); }
    [[nodiscard]] u64 watched_frames() const { return m_watched.size(); }
    void set_watched_write_observer(std::function<void(Pfn)> observer) {
        m_on_watched_write = std::move(observer);
    }
    // Called with the pfn when a frame starts being watched, so a TLB can stop writing into it
    // through a host pointer it cached while the frame was ordinary memory.
    void set_frame_watched_observer(std::function<void(Pfn)> observer) {
        m_on_frame_watched = std::move(observer);
    }

    // A frame whose contents are produced on first access (read, write or host_frame), by
    // `fill` writing into the zeroed frame: boot-time page tables of huge machines (the
    // direct map's PMD tables) cost nothing until something looks at them, like the kernel's
    // deferred struct page init. Zeroing the frame cancels the fill.
    void defer_frame(Pfn pfn, std::function<void(std::byte* frame)> fill);
    [[nodiscard]] u64 deferred_frames() const { return m_deferred.size(); }

    // Fill whole frames with zeros (get_zeroed_page, __GFP_ZERO). Never-written frames already
    // read as zeros and are left alone, so zeroing costs no host memory.
    void zero_frames(Pfn first, u64 count);

    // Little-endian loads and stores (all emulated arches are little-endian). MMIO sees
    // natural-width chunks, so an aligned u32 is one 4-byte device access.
    PhysValue<u8> read_u8(PhysAddr addr);
    PhysValue<u16> read_u16(PhysAddr addr);
    PhysValue<u32> read_u32(PhysAddr addr);
    PhysValue<u64> read_u64(PhysAddr addr);
    PhysStatus write_u8(PhysAddr addr, u8 value);
    PhysStatus write_u16(PhysAddr addr, u16 value);
    PhysStatus write_u32(PhysAddr addr, u32 value);
    PhysStatus write_u64(PhysAddr addr, u64 value);

    // Ledgers: frames written so far and the host bytes they hold.
    [[nodiscard]] u64 touched_pages() const { return m_touched_pages; }
    [[nodiscard]] u64 host_bytes_in_use() const { return m_touched_pages << m_page_shift; }
    // Host bytes of kmemu's own bookkeeping (section table, bitmaps, segment list).
    [[nodiscard]] u64 metadata_bytes() const;
    // Bumped whenever a frame is written for the first time (invalidates zero-page pointers).
    [[nodiscard]] u64 frames_touched_generation() const { return m_touch_generation; }

    // The memfd (file offset == physical address) and its size, for mapping frames natively.
    [[nodiscard]] int memfd() const { return m_fd; }
    [[nodiscard]] u64 memfd_size() const { return m_size; }

  private:
    enum class Kind : u8 { Ram, Mmio };
    struct Segment {
        u64 start;
        u64 end; // exclusive
        Kind kind;
        u32 mmio_index;
    };
    struct Section {
        std::unique_ptr<u64[]> bits; // one bit per page, allocated on first write
    };

    PhysicalMemory() = default;
    [[nodiscard]] const Segment* find(u64 addr) const;
    [[nodiscard]] bool is_touched(u64 pfn) const;
    void mark_touched(u64 pfn);
    template <bool IsWrite, typename Span>
    PhysResult access(PhysAddr addr, Span buf);
    void mmio_read(const Segment& seg, u64 addr, std::byte* out, u64 len);
    void mmio_write(const Segment& seg, u64 addr, const std::byte* in, u64 len);
    template <typename T>
    PhysValue<T> load(PhysAddr addr);
    template <typename T>
    PhysStatus store(PhysAddr addr, T value);

    unsigned m_page_shift = 12;
    unsigned m_section_page_shift = 15; // pages per section, log2
    int m_fd = -1;
    std::byte* m_base = nullptr; // mapping of [0, m_size) of the memfd
    u64 m_size = 0;
    std::byte* m_zero_page = nullptr; // PROT_READ anonymous page
    std::vector<Segment> m_segments;  // sorted, disjoint
    std::vector<MmioRegion> m_mmio;
    std::vector<Section> m_sections;
    u64 m_sections_allocated = 0;
    u64 m_touched_pages = 0;
    u64 m_touch_generation = 0;
    std::unordered_set<u64> m_watched;
    std::unordered_map<u64, std::function<void(std::byte*)>> m_deferred;
    void materialize(u64 pfn);
    std::function<void(Pfn)> m_on_watched_write;
    std::function<void(Pfn)> m_on_frame_watched;
};

} // namespace kmemu
