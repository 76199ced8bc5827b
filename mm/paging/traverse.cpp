#include "mm/paging/traverse.h"

#include <algorithm>

namespace kmemu::paging {

namespace {

[[nodiscard]] u64 ones(unsigned n) {
    return n >= 64 ? ~u64{0} : (u64{1} << n) - 1;
}

// The output address an entry of kind `k` carries (the pieces of the format's table).
[[nodiscard]] u64 output_address(const EntryKind& k, u64 raw) {
    u64 oa = 0;
    for (unsigned i = 0; i < k.pieces; ++i)
        oa |= k.address[i].src.get(raw) << k.address[i].dst_lo;
    return oa;
}

// One translated region: a root and the VA range it serves.
struct Region {
    PhysAddr root;
    u64 va_base = 0;          // first VA of the region
    unsigned region_bits = 0; // the region spans 2^region_bits bytes
    u64 va_limit = ~u64{0};   // entries at or above this VA belong to another root
    bool high = false;
};

class Traverser {
  public:
    Traverser(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu,
              const TraversalVisitor& visit, const TraverseOptions& options)
        : m_fmt(fmt), m_mem(mem), m_mmu(mmu), m_visit(visit), m_options(options) {}

    ErrorOr<void> run() {
        for (const Region& r : regions())
            TRY(region(r));
        return {};
    }

  private:
    [[nodiscard]] std::vector<Region> regions() const {
        std::vector<Region> out;
        switch (m_fmt.split) {
        case VaSplit::Single32:
        case VaSplit::X86Canonical:
            out.push_back(Region{m_mmu.root, 0, m_fmt.va_bits, ~u64{0}, false});
            break;
        case VaSplit::Arm64TtbrPair:
            // TTBR0 covers [0, 2^VA_BITS), TTBR1 the top 2^VA_BITS bytes (D.5).
            out.push_back(Region{m_mmu.root, 0, m_fmt.va_bits, ~u64{0}, false});
            out.push_back(
                Region{m_mmu.root_high, ~ones(m_fmt.va_bits), m_fmt.va_bits, ~u64{0}, true});
            break;
        case VaSplit::LpaeT1sz:
            if (m_mmu.t1sz == 0) {
                out.push_back(Region{m_mmu.root, 0, 32, ~u64{0}, false});
            } else {
                // TTBR1 serves the top 2^(32 - T1SZ) bytes (ARM ARM v7 B3.6.4).
                const unsigned hb = 32u - m_mmu.t1sz;
                const u64 split = (u64{1} << 32) - (u64{1} << hb);
                out.push_back(Region{m_mmu.root, 0, 32, split, false});
                out.push_back(Region{m_mmu.root_high, split, hb, ~u64{0}, true});
            }
            break;
        }
        return out;
    }

    // The VA a region-relative address names (x86_64: sign-extended from bit va_bits - 1).
    [[nodiscard]] u64 full_va(u64 a) const {
        if (m_fmt.split == VaSplit::X86Canonical && ((a >> (m_fmt.va_bits - 1)) & 1) != 0)
            return a | ~ones(m_fmt.va_bits);
        return a;
    }

    // A table is followed only when its first and last entries load.
    [[nodiscard]] bool table_readable(PhysAddr table, u64 entries) {
        const unsigned eb = m_fmt.entry_bytes();
        return !m_mem.load_descriptor(table, m_fmt.width).is_error() &&
               !m_mem.load_descriptor(table.offset((entries - 1) * eb), m_fmt.width).is_error();
    }

    ErrorOr<void> region(const Region& r) {
        unsigned first = 0;
        while (first + 1 < m_fmt.level_count && m_fmt.levels[first].index_shift >= r.region_bits)
            ++first;
        const unsigned top_bits = r.region_bits - m_fmt.levels[first].index_shift;
        const u64 entries = u64{1} << top_bits;
        const PhysAddr table = r.root.align_down(u64{m_fmt.entry_bytes()} << top_bits);
        m_region = &r;
        const bool oa_too_big =
            m_fmt.family == DescriptorFamily::ArmLong && (table.get() >> m_mmu.phys_bits) != 0;
        if (oa_too_big || !table_readable(table, entries)) {
            TraversalItem item;
            item.kind = TraversalItemKind::TableInHole;
            item.va = VirtAddr(full_va(r.va_base));
            item.size = r.region_bits >= 64 ? ~u64{0} : u64{1} << r.region_bits;
            item.format_level = static_cast<u8>(first);
            item.next = table;
            item.high_root = r.high;
            m_visit(item);
            return {};
        }
        Path path;
        return visit_table(first, table, r.va_base, entries, path);
    }

    struct Path {
        std::array<u64, 5> raw{};
        std::array<PhysAddr, 5> tables{};
        u8 depth = 0;
    };

    void flush_hole(std::optional<TraversalItem>& hole) {
        if (hole) {
            m_visit(*hole);
            hole.reset();
        }
    }

    ErrorOr<void> visit_table(unsigned li, PhysAddr table, u64 base, u64 entries, Path& path) {
        const LevelFormat& L = m_fmt.levels[li];
        const unsigned eb = m_fmt.entry_bytes();
        const u64 span = u64{1} << L.index_shift;
        path.tables[path.depth] = table;
        std::optional<TraversalItem> hole;
        for (u64 i = 0; i < entries; ++i) {
            const u64 a = base + i * span;
            if (a >= m_region->va_limit)
                break;
            if (++m_entries > m_options.max_entries)
                return make_error(ErrorKind::InvalidConfig,
                                  "{}: page-table traversal read more than {} entries (tables "
                                  "shared by many entries?)",
                                  m_fmt.name, m_options.max_entries);
            TraversalItem item;
            item.va = VirtAddr(full_va(a));
            item.size = span;
            item.format_level = static_cast<u8>(li);
            item.index = static_cast<u32>(i);
            item.table = table;
            item.entry_addr = table.offset(i * eb);
            item.high_root = m_region->high;
            item.path = path.raw;
            item.depth = static_cast<u8>(path.depth + 1);
            auto loaded = m_mem.load_descriptor(item.entry_addr, m_fmt.width);
            if (loaded.is_error()) {
                // Only a table that straddles a hole gets here (both ends loaded).
                flush_hole(hole);
                item.kind = TraversalItemKind::TableInHole;
                item.next = item.entry_addr;
                m_visit(item);
                continue;
            }
            const u64 raw = loaded.value();
            item.raw = raw;
            item.path[path.depth] = raw;

            int k = -1;
            for (unsigned j = 0; j < L.kind_count; ++j) {
                if ((raw & L.kinds[j].match_mask) == L.kinds[j].match_value) {
                    k = static_cast<int>(j);
                    break;
                }
            }
            if (k < 0) {
                if (hole && m_options.merge_holes) {
                    hole->size += span;
                    ++hole->count;
                } else {
                    flush_hole(hole);
                    item.kind = TraversalItemKind::Hole;
                    hole = item;
                }
                continue;
            }
            flush_hole(hole);
            item.entry_kind = static_cast<std::int8_t>(k);
            const EntryKind& K = L.kinds[static_cast<unsigned>(k)];
            const u64 oa = output_address(K, raw);

            // The checks the walker would fault on before using the entry.
            bool bad = false;
            if (m_fmt.family == DescriptorFamily::X86) {
                u64 rsv = K.reserved;
                if (m_fmt.has_nx && !m_mmu.efer_nxe)
                    rsv |= x86::_PAGE_NX;
                bad = (raw & rsv) != 0 || (oa >> m_mmu.phys_bits) != 0;
            } else if (m_fmt.family == DescriptorFamily::ArmLong) {
                bad = (oa >> m_mmu.phys_bits) != 0;
            }
            if (bad) {
                item.kind = TraversalItemKind::BadEntry;
                item.next = PhysAddr(oa);
                m_visit(item);
                continue;
            }

            if (K.role == EntryRole::Table) {
                const PhysAddr next(oa);
                item.next = next;
                const bool loop =
                    std::find(path.tables.begin(), path.tables.begin() + path.depth + 1, next) !=
                    path.tables.begin() + path.depth + 1;
                const u64 next_entries = m_fmt.levels[li + 1].entries();
                if (loop) {
                    item.kind = TraversalItemKind::TableLoop;
                    m_visit(item);
                } else if (!table_readable(next, next_entries)) {
                    item.kind = TraversalItemKind::TableInHole;
                    m_visit(item);
                } else {
                    path.raw[path.depth] = raw;
                    ++path.depth;
                    auto r = visit_table(li + 1, next, a, next_entries, path);
                    --path.depth;
                    path.raw[path.depth] = 0;
                    TRY(r);
                }
                continue;
            }

            item.kind = TraversalItemKind::Leaf;
            item.next = PhysAddr(oa);
            auto w = walk(m_fmt, m_mem, m_mmu, item.va,
                          Access{AccessType::Read, Privilege::Supervisor}, WalkMode::Inspection);
            if (w.is_error())
                return w.release_error();
            if (w.value().ok())
                item.translation = w.value().translation();
            else
                item.fault = w.value().fault();
            m_visit(item);
        }
        flush_hole(hole);
        return {};
    }

    const PagingFormat& m_fmt;
    PageTableMemory& m_mem;
    const MmuState& m_mmu;
    const TraversalVisitor& m_visit;
    const TraverseOptions& m_options;
    const Region* m_region = nullptr;
    u64 m_entries = 0;
};

} // namespace

ErrorOr<void> traverse(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu,
                       const TraversalVisitor& visit, const TraverseOptions& options) {
    TRY(check_mmu_state(fmt, mmu));
    if (fmt.level_count == 0)
        return make_error(ErrorKind::InvalidConfig, "{}: the format has no levels", fmt.name);
    Traverser t(fmt, mem, mmu, visit, options);
    return t.run();
}

ErrorOr<std::vector<TraversalItem>> traverse_all(const PagingFormat& fmt, PageTableMemory& mem,
                                                 const MmuState& mmu,
                                                 const TraverseOptions& options) {
    std::vector<TraversalItem> out;
    TRY(traverse(
        fmt, mem, mmu, [&](const TraversalItem& item) { out.push_back(item); }, options));
    return out;
}

ErrorOr<std::vector<TraversalItem>> traverse_leaves(const PagingFormat& fmt, PageTableMemory& mem,
                                                    const MmuState& mmu) {
    std::vector<TraversalItem> out;
    TRY(traverse(fmt, mem, mmu, [&](const TraversalItem& item) {
        if (item.kind == TraversalItemKind::Leaf)
            out.push_back(item);
    }));
    return out;
}

std::string_view traversal_item_kind_name(TraversalItemKind kind) {
    switch (kind) {
    case TraversalItemKind::Leaf:
        return "leaf";
    case TraversalItemKind::Hole:
        return "hole";
    case TraversalItemKind::TableInHole:
        return "table in a hole";
    case TraversalItemKind::TableLoop:
        return "table loop";
    case TraversalItemKind::BadEntry:
        return "bad entry";
    }
    return "?";
}

} // namespace kmemu::paging
