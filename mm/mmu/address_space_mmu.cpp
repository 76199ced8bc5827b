#include "mm/mmu/address_space_mmu.h"

#include <algorithm>

#include "mm/paging/x86_entry.h"

namespace kmemu::mmu {

ErrorOr<std::unique_ptr<AddressSpaceMmu>>
AddressSpaceMmu::create(MmuRegistry& registry, const paging::PagingFormat& format,
                        const paging::MmuState& state) {
    if (format.page_shift != registry.phys().page_shift())
        return make_error(ErrorKind::InvalidConfig,
                          "{}: the format's pages are {} bytes but the machine's are {} (they "
                          "must be the same)",
                          format.name, u64{1} << format.page_shift, registry.phys().page_size());
    TRY(paging::check_mmu_state(format, state));
    return std::unique_ptr<AddressSpaceMmu>(new AddressSpaceMmu(registry, format, state));
}

AddressSpaceMmu::AddressSpaceMmu(MmuRegistry& registry, const paging::PagingFormat& format,
                                 const paging::MmuState& state)
    : m_page_mask(~((u64{1} << format.page_shift) - 1)), m_page_size(u64{1} << format.page_shift),
      m_page_shift(format.page_shift), m_registry(registry), m_phys(registry.phys()),
      m_tables(registry.phys()), m_format(format), m_state(state) {
    m_registry.add(this);
}

AddressSpaceMmu::~AddressSpaceMmu() {
    m_registry.remove(this);
}

ErrorOr<void> AddressSpaceMmu::set_mmu_state(const paging::MmuState& state) {
    TRY(paging::check_mmu_state(m_format, state));
    m_state = state;
    flush_tlb_mm();
    return {};
}

unsigned AddressSpaceMmu::valid_entries() const {
    return static_cast<unsigned>(
        std::count_if(m_cold.begin(), m_cold.end(), [](const TlbCold& c) { return c.valid; }));
}

// --- fill ---------------------------------------------------------------------------------------

void AddressSpaceMmu::drop(unsigned slot) {
    TlbCold& c = m_cold[slot];
    if (c.valid && c.leaf_size > m_page_size)
        --m_large_slots;
    c = TlbCold{};
    m_hot[slot] = TlbHot{};
}

// The hot half serves what the cold half allows, minus writes into watched frames and
// anything over a frame that has no host pointer (zero-backed, MMIO, hole); see tlb.h.
void AddressSpaceMmu::refresh_hot(unsigned slot) {
    const TlbCold& c = m_cold[slot];
    TlbHot& h = m_hot[slot];
    u64 bits = 0;
    if (c.valid && c.frame == FrameKind::Ram && !c.zero_backed && h.host != nullptr) {
        bits = c.perms;
        if (c.watched)
            bits &= ~kWriteBits;
    }
    h.tag = bits != 0 ? (c.vpage | bits) : 0;
}

// A slot the translation allows but the hot half does not serve: a zero-backed frame that has
// since been written (by any path), or a write to a never-written frame, gets its host pointer.
void AddressSpaceMmu::promote(unsigned slot, Access access) {
    TlbCold& c = m_cold[slot];
    if (c.frame != FrameKind::Ram || !c.zero_backed)
        return;
    const Pfn pfn = pfn_of(c.ppage, m_page_shift);
    if (access.type == AccessType::Write && !c.watched) {
        m_hot[slot].host = m_phys.host_frame(pfn, kmemu::Access::Write);
        c.zero_backed = false;
    } else if (c.fill_generation != m_phys.frames_touched_generation()) {
        std::byte* p = m_phys.host_frame(pfn, kmemu::Access::Read);
        c.fill_generation = m_phys.frames_touched_generation();
        if (!m_phys.is_zero_page(p)) {
            m_hot[slot].host = p;
            c.zero_backed = false;
        }
    }
    refresh_hot(slot);
}

std::optional<MmuFault> AddressSpaceMmu::refill(unsigned slot, u64 v, Access access) {
    ++m_stats.walks;
    ++m_registry.m_walking;
    auto walked = paging::walk_into(m_walk, m_format, m_tables, m_state, VirtAddr(v), access,
                                    paging::WalkMode::Architectural);
    --m_registry.m_walking;
    if (walked.is_error()) {
        // Unreachable with a state that passed check_mmu_state; reported, not thrown.
        ++m_stats.faults;
        drop(slot);
        MmuFault f;
        f.va = VirtAddr(v);
        f.access = access;
        f.kind = MmuFaultKind::BadMmuState;
        return f;
    }
    const u64 vpage = v & m_page_mask;
    if (!m_walk.ok()) {
        // A fault invalidates what the TLB held for the address (SDM vol. 3 §4.10.4.1).
        if (m_cold[slot].valid && m_cold[slot].vpage == vpage)
            drop(slot);
        ++m_stats.faults;
        m_last_fault = m_walk;
        const paging::WalkFault& wf = m_walk.fault();
        MmuFault f;
        f.va = VirtAddr(v);
        f.access = access;
        f.kind = MmuFaultKind::Translation;
        f.reason = wf.reason;
        f.level = wf.level;
        f.arch_level = wf.arch_level;
        if (wf.level >= 0) {
            const paging::LevelRecord& lr = m_walk.levels[static_cast<unsigned>(wf.level)];
            f.entry_addr = lr.entry_addr;
            f.entry_raw = lr.raw;
        }
        f.status = m_format.family == paging::DescriptorFamily::X86
                       ? paging::x86_page_fault_error_code(m_format, wf, access, m_state)
                       : paging::arm_fault_status(m_format, wf);
        return f;
    }

    const paging::Translation& t = m_walk.translation();
    drop(slot);
    TlbCold& c = m_cold[slot];
    c.valid = true;
    c.vpage = vpage;
    c.ppage = PhysAddr(t.pa.get() & m_page_mask);
    c.leaf_size = t.page_size;
    c.leaf_va = v & ~(t.page_size - 1);
    c.global = t.global;
    c.perms = perm_bits_of(t.permissions);
    // x86 caches write permission only with D set in the leaf: after a write walk, or a read
    // walk that found D already set (SDM vol. 3 §4.8: a write through a TLB entry with D clear
    // goes back to the paging structures to set it).
    if (m_format.family == paging::DescriptorFamily::X86 && access.type != AccessType::Write &&
        (m_walk.levels[m_walk.depth - 1].raw_after & paging::x86::_PAGE_DIRTY) == 0)
        c.perms &= ~kWriteBits;
    c.depth = static_cast<u8>(m_walk.depth);
    for (unsigned i = 0; i < m_walk.depth; ++i) {
        c.table_pfns[i] = m_walk.levels[i].table.get() >> m_page_shift;
        m_table_filter |= filter_bit(c.table_pfns[i]);
    }
    if (c.leaf_size > m_page_size)
        ++m_large_slots;

    const Pfn pfn = pfn_of(c.ppage, m_page_shift);
    std::byte* host = nullptr;
    if (m_phys.has_frame(pfn)) {
        c.frame = FrameKind::Ram;
        c.watched = m_phys.is_watched(pfn);
        if (access.type == AccessType::Write && !c.watched) {
            host = m_phys.host_frame(pfn, kmemu::Access::Write);
        } else {
            host = m_phys.host_frame(pfn, kmemu::Access::Read);
            if (m_phys.is_zero_page(host)) {
                host = nullptr;
                c.zero_backed = true;
                c.fill_generation = m_phys.frames_touched_generation();
            }
        }
    } else {
        c.frame = FrameKind::NotRam; // MMIO or a hole: PhysicalMemory decides per access
    }
    m_hot[slot].host = host;
    refresh_hot(slot);
    return std::nullopt;
}

AddressSpaceMmu::Translated AddressSpaceMmu::translate(u64 v, Access access) {
    const unsigned slot = slot_of(v);
    const u64 need = perm_bit(access);
    const TlbCold& c = m_cold[slot];
    if (c.valid && c.vpage == (v & m_page_mask) && (c.perms & need) != 0) {
        ++m_stats.hits;
        if ((m_hot[slot].tag & need) == 0)
            promote(slot, access);
    } else {
        ++m_stats.misses;
        if (auto f = refill(slot, v, access))
            return {{}, f};
    }
    const TlbHot& h = m_hot[slot];
    return {PageRef{(h.tag & need) != 0 ? h.host : nullptr, m_cold[slot].ppage}, std::nullopt};
}

// --- data movement ------------------------------------------------------------------------------

MmuFault AddressSpaceMmu::bus_error(VirtAddr va, Access access, PhysAddr pa) const {
    MmuFault f;
    f.va = va;
    f.access = access;
    f.kind = MmuFaultKind::BusError;
    f.pa = pa;
    return f;
}

AddressSpaceMmu::Moved AddressSpaceMmu::read_page(const PageRef& page, u64 offset, std::byte* out,
                                                  u64 len, VirtAddr va, Access access) {
    if (page.host != nullptr) {
        std::memcpy(out, page.host + offset, len);
        return {len, std::nullopt};
    }
    const PhysResult r = m_phys.read(page.ppage.offset(offset), std::span(out, len));
    if (r.ok())
        return {len, std::nullopt};
    ++m_stats.faults;
    return {r.bytes_done, bus_error(va.offset(r.bytes_done), access, r.stop_at)};
}

AddressSpaceMmu::Moved AddressSpaceMmu::write_page(const PageRef& page, u64 offset,
                                                   const std::byte* in, u64 len, VirtAddr va,
                                                   Access access) {
    if (page.host != nullptr) {
        std::memcpy(page.host + offset, in, len);
        return {len, std::nullopt};
    }
    // Watched frames, never-written frames, MMIO: PhysicalMemory marks, notifies, dispatches.
    const PhysResult r = m_phys.write(page.ppage.offset(offset), std::span(in, len));
    if (r.ok())
        return {len, std::nullopt};
    ++m_stats.faults;
    return {r.bytes_done, bus_error(va.offset(r.bytes_done), access, r.stop_at)};
}

std::optional<MmuFault> AddressSpaceMmu::scalar(VirtAddr va, Access access, std::byte* buf,
                                                unsigned len, bool is_store) {
    const u64 v = va.get();
    const u64 offset = v & ~m_page_mask;
    const u64 first = std::min<u64>(len, m_page_size - offset);
    Translated a = translate(v, access);
    if (a.fault)
        return a.fault;
    Translated b;
    if (first < len) {
        // Both pages before any byte moves: a crossing access that faults changes nothing.
        b = translate(v + first, access);
        if (b.fault)
            return b.fault;
    }
    Moved m = is_store ? write_page(a.page, offset, buf, first, va, access)
                       : read_page(a.page, offset, buf, first, va, access);
    if (m.fault)
        return m.fault;
    if (first < len) {
        m = is_store ? write_page(b.page, 0, buf + first, len - first, va.offset(first), access)
                     : read_page(b.page, 0, buf + first, len - first, va.offset(first), access);
        if (m.fault)
            return m.fault;
    }
    return std::nullopt;
}

template <MmuScalar T>
MmuResult<T> AddressSpaceMmu::load_slow(VirtAddr va, Access access) {
    std::byte bytes[sizeof(T)];
    if (auto f = scalar(va, access, bytes, sizeof(T), false))
        return *f;
    T x;
    std::memcpy(&x, bytes, sizeof(T));
    return x;
}

template <MmuScalar T>
MmuResult<void> AddressSpaceMmu::store_slow(VirtAddr va, T value, Privilege privilege) {
    std::byte bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    if (auto f = scalar(va, {AccessType::Write, privilege}, bytes, sizeof(T), true))
        return *f;
    return {};
}

template MmuResult<u8> AddressSpaceMmu::load_slow<u8>(VirtAddr, Access);
template MmuResult<u16> AddressSpaceMmu::load_slow<u16>(VirtAddr, Access);
template MmuResult<u32> AddressSpaceMmu::load_slow<u32>(VirtAddr, Access);
template MmuResult<u64> AddressSpaceMmu::load_slow<u64>(VirtAddr, Access);
template MmuResult<void> AddressSpaceMmu::store_slow<u8>(VirtAddr, u8, Privilege);
template MmuResult<void> AddressSpaceMmu::store_slow<u16>(VirtAddr, u16, Privilege);
template MmuResult<void> AddressSpaceMmu::store_slow<u32>(VirtAddr, u32, Privilege);
template MmuResult<void> AddressSpaceMmu::store_slow<u64>(VirtAddr, u64, Privilege);

// Page by page: the hot half when it serves the access, else translate (which may walk).
template <typename Fn>
MmuBulkResult AddressSpaceMmu::bulk(VirtAddr va, u64 count, Access access, Fn&& chunk) {
    const u64 need = perm_bit(access);
    u64 done = 0;
    while (done < count) {
        const u64 v = va.get() + done;
        const u64 offset = v & ~m_page_mask;
        const u64 n = std::min(count - done, m_page_size - offset);
        const unsigned slot = slot_of(v);
        const TlbHot& h = m_hot[slot];
        PageRef ref;
        if ((h.tag & (m_page_mask | need)) == ((v & m_page_mask) | need)) {
            ++m_stats.hits;
            ref = PageRef{h.host, m_cold[slot].ppage};
        } else {
            Translated t = translate(v, access);
            if (t.fault)
                return {done, t.fault};
            ref = t.page;
        }
        const Moved m = chunk(ref, offset, done, n, VirtAddr(v));
        done += m.bytes;
        if (m.fault)
            return {done, m.fault};
    }
    return {done, std::nullopt};
}

MmuBulkResult AddressSpaceMmu::read(VirtAddr va, std::span<std::byte> out, Access access) {
    return bulk(va, out.size(), access,
                [&](const PageRef& ref, u64 offset, u64 done, u64 n, VirtAddr at) {
                    return read_page(ref, offset, out.data() + done, n, at, access);
                });
}

MmuBulkResult AddressSpaceMmu::write(VirtAddr va, std::span<const std::byte> in,
                                     Privilege privilege) {
    const Access access{AccessType::Write, privilege};
    return bulk(va, in.size(), access,
                [&](const PageRef& ref, u64 offset, u64 done, u64 n, VirtAddr at) {
                    return write_page(ref, offset, in.data() + done, n, at, access);
                });
}

MmuBulkResult AddressSpaceMmu::fill(VirtAddr va, u8 value, u64 count, Privilege privilege) {
    const Access access{AccessType::Write, privilege};
    std::array<std::byte, 512> pattern;
    pattern.fill(static_cast<std::byte>(value));
    return bulk(
        va, count, access, [&](const PageRef& ref, u64 offset, u64, u64 n, VirtAddr at) -> Moved {
            if (ref.host != nullptr) {
                std::memset(ref.host + offset, value, n);
                return {n, std::nullopt};
            }
            u64 moved = 0;
            while (moved < n) {
                const u64 k = std::min<u64>(n - moved, pattern.size());
                Moved m =
                    write_page(ref, offset + moved, pattern.data(), k, at.offset(moved), access);
                moved += m.bytes;
                if (m.fault)
                    return {moved, m.fault};
            }
            return {n, std::nullopt};
        });
}

// --- invalidation -------------------------------------------------------------------------------

void AddressSpaceMmu::flush_tlb_page(VirtAddr va) {
    ++m_stats.flushes;
    const u64 v = va.get();
    const unsigned slot = slot_of(v);
    if (m_cold[slot].valid && m_cold[slot].vpage == (v & m_page_mask))
        drop(slot);
    // Slots filled from a large page that covers va (invlpg drops the whole large translation).
    if (m_large_slots == 0)
        return;
    for (unsigned i = 0; i < kTlbEntries; ++i) {
        const TlbCold& c = m_cold[i];
        if (c.valid && c.leaf_size > m_page_size && v - c.leaf_va < c.leaf_size)
            drop(i);
    }
}

void AddressSpaceMmu::flush_tlb_range(VirtAddr start, VirtAddr end) {
    ++m_stats.flushes;
    const u64 s = start.get(), e = end.get();
    if (e <= s)
        return;
    const u64 pages = ((e - 1) >> m_page_shift) - (s >> m_page_shift) + 1;
    if (m_large_slots == 0 && pages <= kTlbEntries) {
        for (u64 i = 0; i < pages; ++i) {
            const u64 v = (s & m_page_mask) + (i << m_page_shift);
            const unsigned slot = slot_of(v);
            if (m_cold[slot].valid && m_cold[slot].vpage == v)
                drop(slot);
        }
        return;
    }
    // Every slot whose leaf overlaps [s, e), so a large page partly in the range goes whole.
    for (unsigned i = 0; i < kTlbEntries; ++i) {
        const TlbCold& c = m_cold[i];
        if (c.valid && c.leaf_va <= e - 1 && s <= c.leaf_va + (c.leaf_size - 1))
            drop(i);
    }
}

void AddressSpaceMmu::flush_tlb_mm() {
    ++m_stats.flushes;
    m_hot.fill(TlbHot{});
    m_cold.fill(TlbCold{});
    m_large_slots = 0;
    m_table_filter = 0;
}

void AddressSpaceMmu::on_watched_write(Pfn pfn) {
    const u64 p = pfn.get();
    if ((m_table_filter & filter_bit(p)) == 0)
        return; // no slot's walk read this frame
    u64 filter = 0;
    for (unsigned i = 0; i < kTlbEntries; ++i) {
        const TlbCold& c = m_cold[i];
        if (!c.valid)
            continue;
        const auto tables = std::span(c.table_pfns).first(c.depth);
        if (std::find(tables.begin(), tables.end(), p) != tables.end()) {
            drop(i);
            ++m_stats.invalidations;
            continue;
        }
        for (u64 t : tables)
            filter |= filter_bit(t);
    }
    m_table_filter = filter;
}

void AddressSpaceMmu::on_frame_watched(Pfn pfn) {
    for (unsigned i = 0; i < kTlbEntries; ++i) {
        TlbCold& c = m_cold[i];
        if (c.valid && c.frame == FrameKind::Ram && pfn_of(c.ppage, m_page_shift) == pfn) {
            c.watched = true;
            refresh_hot(i);
        }
    }
}

} // namespace kmemu::mmu
