#include "mm/phys_memory.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include <sys/mman.h>
#include <unistd.h>

namespace kmemu {

static_assert(std::endian::native == std::endian::little,
              "kmemu's emulated arches are little-endian and so must the host be");

namespace {

// Written-page bitmaps are allocated per 128 MiB of physical address space (the x86_64
// SECTION_SIZE_BITS), so a machine's bookkeeping grows with what it touches.
constexpr unsigned kSectionShift = 27;
// The memfd mapping spans [0, highest RAM end): bound it well inside a 47-bit host VA space.
constexpr u64 kMaxMappedPhys = 64 * TiB;

} // namespace

ErrorOr<std::unique_ptr<PhysicalMemory>>
PhysicalMemory::create(const RamMap& ram, std::span<const MmioRegion> mmio, unsigned page_shift) {
    if (page_shift != 12 && page_shift != 14 && page_shift != 16)
        return make_error(ErrorKind::InvalidConfig,
                          "page: a page shift of {} is not allowed (allowed: 12, 14, 16)",
                          page_shift);
    const u64 page = u64{1} << page_shift;
    std::unique_ptr<PhysicalMemory> pm(new PhysicalMemory());
    pm->m_page_shift = page_shift;
    pm->m_section_page_shift = kSectionShift - page_shift;

    // RAM segments: each range rounded out to whole frames (DRAM does not end at 0x9fc00 just
    // because the firmware table does), then merged.
    std::vector<Segment> ram_segs;
    for (const auto& r : ram.ranges) {
        if (r.end <= r.start)
            continue;
        if (r.end.get() > kMaxMappedPhys)
            return make_error(ErrorKind::InvalidConfig,
                              "mem: RAM up to {:#x} is beyond what kmemu can map on this host "
                              "(at most {:#x})",
                              r.end.get(), kMaxMappedPhys);
        ram_segs.push_back(
            {align_down(r.start.get(), page), align_up(r.end.get(), page), Kind::Ram, 0});
    }
    std::sort(ram_segs.begin(), ram_segs.end(),
              [](const Segment& a, const Segment& b) { return a.start < b.start; });
    for (const auto& s : ram_segs) {
        if (!pm->m_segments.empty() && s.start <= pm->m_segments.back().end)
            pm->m_segments.back().end = std::max(pm->m_segments.back().end, s.end);
        else
            pm->m_segments.push_back(s);
    }
    pm->m_size = pm->m_segments.empty() ? 0 : pm->m_segments.back().end;

    for (size_t i = 0; i < mmio.size(); ++i) {
        const auto& m = mmio[i];
        const u64 start = m.start.get();
        if (m.size == 0 || start + m.size < start)
            return make_error(ErrorKind::InvalidConfig,
                              "mmio: region '{}' at {:#x} has a size of {:#x} (must be non-zero "
                              "and end below 2^64)",
                              m.name, start, m.size);
        for (const auto& s : pm->m_segments)
            if (start < s.end && s.start < start + m.size)
                return make_error(ErrorKind::InvalidConfig,
                                  "mmio: region '{}' [{:#x}-{:#x}) overlaps {} [{:#x}-{:#x})",
                                  m.name, start, start + m.size,
                                  s.kind == Kind::Ram ? "RAM" : mmio[s.mmio_index].name, s.start,
                                  s.end);
        pm->m_segments.push_back({start, start + m.size, Kind::Mmio, static_cast<u32>(i)});
        std::sort(pm->m_segments.begin(), pm->m_segments.end(),
                  [](const Segment& a, const Segment& b) { return a.start < b.start; });
    }
    pm->m_mmio.assign(mmio.begin(), mmio.end());

    pm->m_fd = memfd_create("kmemu-frames", MFD_CLOEXEC);
    if (pm->m_fd < 0)
        return make_error(ErrorKind::Io, "memfd_create failed: {}", std::strerror(errno));
    if (ftruncate(pm->m_fd, static_cast<off_t>(pm->m_size)) != 0)
        return make_error(ErrorKind::Io, "ftruncate of the frame memfd to {:#x} failed: {}",
                          pm->m_size, std::strerror(errno));
    if (pm->m_size > 0) {
        void* base = mmap(nullptr, pm->m_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                          pm->m_fd, 0);
        if (base == MAP_FAILED)
            return make_error(ErrorKind::Io, "mapping {:#x} bytes of frames failed: {}", pm->m_size,
                              std::strerror(errno));
        pm->m_base = static_cast<std::byte*>(base);
    }
    void* zero = mmap(nullptr, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (zero == MAP_FAILED)
        return make_error(ErrorKind::Io, "mapping the zero page failed: {}", std::strerror(errno));
    pm->m_zero_page = static_cast<std::byte*>(zero);
    pm->m_sections.resize((pm->m_size + (u64{1} << kSectionShift) - 1) >> kSectionShift);
    return pm;
}

PhysicalMemory::~PhysicalMemory() {
    if (m_base)
        munmap(m_base, m_size);
    if (m_zero_page)
        munmap(m_zero_page, page_size());
    if (m_fd >= 0)
        close(m_fd);
}

u64 PhysicalMemory::metadata_bytes() const {
    const u64 bitmap_bytes = (u64{1} << m_section_page_shift) / 8;
    return sizeof(*this) + m_sections.capacity() * sizeof(Section) +
           m_sections_allocated * bitmap_bytes + m_segments.capacity() * sizeof(Segment) +
           m_mmio.capacity() * sizeof(MmioRegion);
}

const PhysicalMemory::Segment* PhysicalMemory::find(u64 addr) const {
    auto it = std::upper_bound(m_segments.begin(), m_segments.end(), addr,
                               [](u64 a, const Segment& s) { return a < s.start; });
    if (it == m_segments.begin())
        return nullptr;
    --it;
    return addr < it->end ? &*it : nullptr;
}

bool PhysicalMemory::is_touched(u64 pfn) const {
    const auto& sec = m_sections[pfn >> m_section_page_shift];
    if (!sec.bits)
        return false;
    const u64 idx = pfn & ((u64{1} << m_section_page_shift) - 1);
    return (sec.bits[idx / 64] >> (idx % 64)) & 1;
}

void PhysicalMemory::mark_touched(u64 pfn) {
    auto& sec = m_sections[pfn >> m_section_page_shift];
    if (!sec.bits) {
        sec.bits = std::make_unique<u64[]>((u64{1} << m_section_page_shift) / 64);
        ++m_sections_allocated;
    }
    const u64 idx = pfn & ((u64{1} << m_section_page_shift) - 1);
    const u64 bit = u64{1} << (idx % 64);
    if (!(sec.bits[idx / 64] & bit)) {
        sec.bits[idx / 64] |= bit;
        ++m_touched_pages;
        ++m_touch_generation;
    }
}

bool PhysicalMemory::has_frame(Pfn pfn) const {
    if (pfn.get() >= (m_size >> m_page_shift))
        return false;
    const Segment* s = find(pfn.get() << m_page_shift);
    return s && s->kind == Kind::Ram;
}

std::byte* PhysicalMemory::host_frame(Pfn pfn, Access access) {
    if (!has_frame(pfn))
        return nullptr;
    if (!m_deferred.empty())
        materialize(pfn.get());
    if (access == Access::Write) {
        mark_touched(pfn.get());
        // The caller may write through the pointer from now on: treat it as written.
        if (!m_watched.empty() && m_watched.contains(pfn.get()) && m_on_watched_write)
            m_on_watched_write(pfn);
    } else if (!is_touched(pfn.get())) {
        return m_zero_page;
    }
    return m_base + (pfn.get() << m_page_shift);
}

namespace {

// The widest natural access a bus would issue at addr with len bytes left.
unsigned bus_width(u64 addr, u64 len) {
    for (unsigned w : {8u, 4u, 2u})
        if (len >= w && addr % w == 0)
            return w;
    return 1;
}

} // namespace

void PhysicalMemory::mmio_read(const Segment& seg, u64 addr, std::byte* out, u64 len) {
    const MmioRegion& dev = m_mmio[seg.mmio_index];
    while (len > 0) {
        const unsigned w = bus_width(addr, len);
        // A device without a read handler reads as zeros.
        const u64 v = dev.read ? dev.read(addr - seg.start, w) : 0;
        std::memcpy(out, &v, w); // little-endian: the low w bytes
        addr += w;
        out += w;
        len -= w;
    }
}

void PhysicalMemory::mmio_write(const Segment& seg, u64 addr, const std::byte* in, u64 len) {
    const MmioRegion& dev = m_mmio[seg.mmio_index];
    while (len > 0) {
        const unsigned w = bus_width(addr, len);
        u64 v = 0;
        std::memcpy(&v, in, w);
        if (dev.write) // writes to a device without a write handler are dropped
            dev.write(addr - seg.start, w, v);
        addr += w;
        in += w;
        len -= w;
    }
}

template <bool IsWrite, typename Span>
PhysResult PhysicalMemory::access(PhysAddr start, Span buf) {
    u64 addr = start.get();
    u64 done = 0;
    const u64 total = buf.size();
    const u64 page = page_size();
    while (done < total) {
        const Segment* seg = find(addr);
        if (!seg)
            return {PhysStatus::Hole, done, PhysAddr(addr)};
        const u64 chunk = std::min(total - done, seg->end - addr);
        auto* p = buf.data() + done;
        if (seg->kind == Kind::Mmio) {
            if constexpr (IsWrite)
                mmio_write(*seg, addr, p, chunk);
            else
                mmio_read(*seg, addr, p, chunk);
        } else {
            // RAM segments lie inside [0, m_size): the memcpy stays inside the mapping.
            u64 off = 0;
            while (off < chunk) {
                const u64 a = addr + off;
                const u64 n = std::min(chunk - off, page - (a & (page - 1)));
                const u64 pfn = a >> m_page_shift;
                if (!m_deferred.empty())
                    materialize(pfn);
                if constexpr (IsWrite) {
                    mark_touched(pfn);
                    std::memcpy(m_base + a, p + off, n);
                    if (!m_watched.empty() && m_watched.contains(pfn) && m_on_watched_write)
                        m_on_watched_write(Pfn(pfn));
                } else if (is_touched(pfn)) {
                    std::memcpy(p + off, m_base + a, n);
                } else {
                    std::memset(p + off, 0, n);
                }
                off += n;
            }
        }
        done += chunk;
        addr += chunk;
        if (addr == 0 && done < total) // wrapped past the top of the 64-bit space
            return {PhysStatus::Hole, done, PhysAddr(0)};
    }
    return {PhysStatus::Ok, done, PhysAddr(addr)};
}

PhysResult PhysicalMemory::read(PhysAddr addr, std::span<std::byte> out) {
    return access<false>(addr, out);
}

void PhysicalMemory::watch_frame(Pfn pfn) {
    if (m_watched.insert(pfn.get()).second && m_on_frame_watched)
        m_on_frame_watched(pfn);
}

void PhysicalMemory::unwatch_frame(Pfn pfn) {
    m_watched.erase(pfn.get());
}

void PhysicalMemory::defer_frame(Pfn pfn, std::function<void(std::byte* frame)> fill) {
    if (!has_frame(pfn) || is_touched(pfn.get()))
        return; // only a never-written RAM frame can have its contents deferred
    m_deferred.insert_or_assign(pfn.get(), std::move(fill));
}

void PhysicalMemory::materialize(u64 pfn) {
    auto it = m_deferred.find(pfn);
    if (it == m_deferred.end())
        return;
    auto fill = std::move(it->second);
    m_deferred.erase(it);
    mark_touched(pfn); // the frame is never-written memfd space: it reads as zeros until now
    fill(m_base + (pfn << m_page_shift));
}

void PhysicalMemory::zero_frames(Pfn first, u64 count) {
    for (u64 pfn = first.get(); pfn < first.get() + count; ++pfn)
        m_deferred.erase(pfn);
    for (u64 pfn = first.get(); pfn < first.get() + count; ++pfn)
        if (has_frame(Pfn(pfn)) && is_touched(pfn))
            std::memset(host_frame(Pfn(pfn), Access::Write), 0, page_size());
}

PhysResult PhysicalMemory::write(PhysAddr addr, std::span<const std::byte> in) {
    return access<true>(addr, in);
}

template <typename T>
PhysValue<T> PhysicalMemory::load(PhysAddr addr) {
    std::byte bytes[sizeof(T)];
    auto r = read(addr, bytes);
    if (!r.ok())
        return {T{}, r.status};
    T v;
    std::memcpy(&v, bytes, sizeof(T));
    return {v, PhysStatus::Ok};
}

template <typename T>
PhysStatus PhysicalMemory::store(PhysAddr addr, T value) {
    std::byte bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    return write(addr, bytes).status;
}

PhysValue<u8> PhysicalMemory::read_u8(PhysAddr addr) {
    return load<u8>(addr);
}
PhysValue<u16> PhysicalMemory::read_u16(PhysAddr addr) {
    return load<u16>(addr);
}
PhysValue<u32> PhysicalMemory::read_u32(PhysAddr addr) {
    return load<u32>(addr);
}
PhysValue<u64> PhysicalMemory::read_u64(PhysAddr addr) {
    return load<u64>(addr);
}
PhysStatus PhysicalMemory::write_u8(PhysAddr addr, u8 value) {
    return store(addr, value);
}
PhysStatus PhysicalMemory::write_u16(PhysAddr addr, u16 value) {
    return store(addr, value);
}
PhysStatus PhysicalMemory::write_u32(PhysAddr addr, u32 value) {
    return store(addr, value);
}
PhysStatus PhysicalMemory::write_u64(PhysAddr addr, u64 value) {
    return store(addr, value);
}

} // namespace kmemu
