#include "mm/vmalloc/vread.h"

#include <algorithm>

namespace kmemu {

namespace {

enum class RegionKind { Vm, Ioremap, VmapRam };
enum class Op { Read, Write };

// One entry of the list vread walks, in the kernel's terms.
struct Region {
    u64 start = 0;
    u64 usable = 0;  // what may be copied: get_vm_area_size(vm), or va_size for vm_map_ram
    u64 va_size = 0; // the vmap_area's range, guard page included
    RegionKind kind = RegionKind::Vm;
};

// start + size > x, without overflow (a range may end exactly at 2^64).
bool ends_after(u64 start, u64 size, u64 x) {
    return start > x || x - start < size;
}

class Planner {
  public:
    Planner(const VmallocRules& rules, const VreadBacking& backing, Op op, u64 addr, u64 mask)
        : m_rules(rules), m_backing(backing), m_op(op), m_addr(addr), m_mask(mask) {}

    VreadPlan& plan() { return m_plan; }

    void zero(u64 offset, u64 len) {
        if (len == 0 || m_op == Op::Write)
            return; // vwrite skips holes: the source bytes are stepped over, nothing stored
        auto& p = m_plan.pieces;
        if (!p.empty() && !p.back().frame && p.back().offset + p.back().len == offset) {
            p.back().len += len;
            return;
        }
        p.push_back({offset, len, std::nullopt, 0});
    }

    // The area body [addr+offset, +len). Returns false when the kernel oopsed.
    bool body(const Region& reg, u64 offset, u64 len) {
        const bool bytewise = m_rules.vread_style == VreadStyle::ByteWise;
        if (reg.kind == RegionKind::Ioremap && !bytewise) {
            // 2.6.32+: "IOREMAP area is treated as memory hole": zeros / write skipped.
            zero(offset, len);
            return true;
        }
        m_touched = true;
        const u64 page = m_rules.page_size();
        u64 done = 0;
        while (done < len) {
            const u64 va = m_addr + offset + done;
            const u64 in_page = va & (page - 1);
            const u64 n = std::min(page - in_page, len - done);
            // vmalloc_to_page per page (aligned_vread/aligned_vwrite, 2.6.32+); the byte-wise
            // walk dereferences the same mapping.
            const std::optional<Pfn> frame = m_backing.frame_of(VirtAddr(va));
            if (frame) {
                m_plan.pieces.push_back({offset + done, n, frame, in_page});
            } else if (bytewise) {
                m_plan.end = VreadEnd::Oops;
                m_plan.fault_addr = VirtAddr(va);
                m_plan.ret = to_long(offset + done);
                return false;
            } else {
                zero(offset + done, n); // absent page: zeros (vread), skipped (vwrite)
            }
            done += n;
        }
        return true;
    }

    // A non-ioremap area body was reached (vwrite's `copied`).
    [[nodiscard]] bool touched() const { return m_touched; }

    // The kernel's long: the low word, sign-extended.
    [[nodiscard]] i64 to_long(u64 v) const {
        if (m_mask == ~u64{0})
            return static_cast<i64>(v);
        v &= m_mask;
        return v > (m_mask >> 1) ? static_cast<i64>(v) - static_cast<i64>(m_mask + 1)
                                 : static_cast<i64>(v);
    }

  private:
    const VmallocRules& m_rules;
    const VreadBacking& m_backing;
    Op m_op;
    u64 m_addr;
    u64 m_mask;
    bool m_touched = false;
    VreadPlan m_plan;
};

// The live vm areas (VmapSpace::areas(): lazily freed ones are gone) and the caller's
// vm_map_ram areas, in address order; vm_map_ram areas must not overlap any vmap area.
ErrorOr<std::vector<Region>> build_regions(const VmapSpace& space,
                                           std::span<const VmapRamArea> vmap_ram, u64 mask) {
    const u64 page = space.rules().page_size();
    std::vector<Region> out;
    for (const VmArea* a : space.areas())
        out.push_back({a->addr.get(), a->usable_size(page), a->size,
                       (a->flags & VmIoremap) ? RegionKind::Ioremap : RegionKind::Vm});
    if (!vmap_ram.empty() && !space.rules().has_vm_map_ram)
        return make_error(ErrorKind::InvalidConfig,
                          "vm_map_ram areas given, but vm_map_ram() does not exist before 2.6.28 "
                          "(Linux {})",
                          space.rules().version.to_string());
    for (const VmapRamArea& r : vmap_ram) {
        if (!r.addr.is_aligned(page) || r.size == 0 || r.size % page != 0)
            return make_error(ErrorKind::InvalidConfig,
                              "vm_map_ram area {:#x}+{:#x}: start and size must be whole pages",
                              r.addr, r.size);
        if (r.addr.get() > mask || r.size - 1 > mask - r.addr.get())
            return make_error(ErrorKind::InvalidConfig,
                              "vm_map_ram area {:#x}+{:#x}: beyond the word", r.addr, r.size);
        for (const VmapSpace::ListEntry& e : space.vmap_area_list()) {
            const u64 s = e.area->addr.get();
            if (ends_after(s, e.area->size, r.addr.get()) && ends_after(r.addr.get(), r.size, s))
                return make_error(ErrorKind::InvalidConfig,
                                  "vm_map_ram area {:#x}+{:#x} overlaps the vmap area at {:#x}",
                                  r.addr, r.size, e.area->addr);
        }
        out.push_back({r.addr.get(), r.size, r.size, RegionKind::VmapRam});
    }
    std::sort(out.begin(), out.end(),
              [](const Region& a, const Region& b) { return a.start < b.start; });
    for (size_t i = 1; i < out.size(); ++i)
        if (out[i].kind == RegionKind::VmapRam || out[i - 1].kind == RegionKind::VmapRam)
            if (ends_after(out[i - 1].start, out[i - 1].va_size, out[i].start))
                return make_error(ErrorKind::InvalidConfig,
                                  "vm_map_ram areas at {:#x} and {:#x} overlap", out[i - 1].start,
                                  out[i].start);
    return out;
}

ErrorOr<VreadPlan> plan_walk(const VmapSpace& space, const VreadBacking& backing, Op op,
                             VirtAddr vaddr, u64 count, std::span<const VmapRamArea> vmap_ram) {
    const VmallocRules& rules = space.rules();
    const char* name = op == Op::Read ? "vread" : "vwrite";
    const u64 mask = is_32bit(rules.arch) ? 0xffffffffu : ~u64{0};
    const u64 addr = vaddr.get();
    if (addr > mask || count > mask)
        return make_error(ErrorKind::InvalidConfig,
                          "{}({:#x}, {:#x}): address and count must fit the {}-bit word", name,
                          addr, count, mask == ~u64{0} ? 64 : 32);
    if (op == Op::Write && !rules.has_vwrite)
        return make_error(ErrorKind::NotFound,
                          "vwrite does not exist in Linux {} (removed with /dev/kmem in 5.13)",
                          rules.version.to_string());
    std::vector<Region> regions = TRY(build_regions(space, vmap_ram, mask));

    // vread remembers the count before the overflow clamp (2.6.32-6.3 return it); vwrite
    // takes it after.
    const u64 buflen = count;
    // "Don't allow overflow" (every version): addr + count wrapping the word -> 2^w - addr.
    if (((addr + count) & mask) < count)
        count = (0 - addr) & mask;

    Planner p(rules, backing, op, addr, mask);
    const bool iter = rules.vread_style == VreadStyle::Iter;

    if (op == Op::Read && rules.vread_exceed_precheck) {
        // find_vmap_area_exceed_addr (5.15+): lowest vmap_area (guard included, vm_map_ram
        // areas too) with va_end > addr. The sum is the kernel's unsigned long, so a range
        // ending at 2^w compares as 0 and always takes this exit.
        auto first = std::find_if(regions.begin(), regions.end(), [&](const Region& r) {
            return ends_after(r.start, r.va_size, addr);
        });
        if (first == regions.end() || ((addr + count) & mask) <= first->start) {
            if (iter) { // vread_iter: finished_zero
                p.zero(0, count);
                p.plan().ret = p.to_long(count);
            }
            return std::move(p.plan());
        }
    }

    // Which entries the walk reads: vm_map_ram areas only from 6.3 (VMAP_RAM); vwrite walks
    // vm_structs only. Before 3.10 the list is vmlist, which never held them; 3.10-6.2
    // skip them (no VM_VM_AREA / no va->vm): a hole either way.
    bool last_visited_wraps = false;
    u64 done = 0;
    for (const Region& reg : regions) {
        if (reg.kind == RegionKind::VmapRam && (op == Op::Write || !rules.vread_vmap_ram))
            continue;
        if (done == count)
            break;
        last_visited_wraps = reg.va_size - 1 == mask - reg.start;
        const u64 cur = addr + done; // < 2^w: done < count <= 2^w - addr
        if (cur >= reg.start && cur - reg.start >= reg.usable)
            continue; // at or past the usable end (guard page, or below addr)
        if (cur < reg.start) {
            // The hole before this area: zeros (vread) or skipped (vwrite).
            const u64 h = std::min(reg.start - cur, count - done);
            p.zero(done, h);
            done += h;
            if (done == count)
                break;
        }
        const u64 in = addr + done - reg.start;
        const u64 n = std::min(reg.usable - in, count - done);
        if (!p.body(reg, done, n))
            return std::move(p.plan()); // oops
        done += n;
    }

    VreadPlan& plan = p.plan();
    switch (rules.vread_style) {
    case VreadStyle::ByteWise:
        // <=2.6.31: bytes processed; nothing after the last area is counted.
        plan.ret = p.to_long(done);
        break;
    case VreadStyle::AlignedZeroTail:
        if (op == Op::Read) {
            // 0 when nothing was processed, else the unclamped count with the tail zeroed.
            if (done == 0) {
                plan.ret = 0;
            } else {
                p.zero(done, buflen - done);
                plan.ret = p.to_long(buflen);
            }
        } else {
            // vwrite: 0 unless some non-ioremap area was reached, else the clamped count.
            plan.ret = p.touched() ? p.to_long(count) : 0;
        }
        break;
    case VreadStyle::Iter:
        if (done < count && last_visited_wraps) {
            // The next lookup is from va_end, which wrapped to 0: the walk restarts at the
            // lowest area, skips everything up to this one again, and so on forever.
            plan.end = VreadEnd::Hangs;
            plan.ret = 0;
            break;
        }
        p.zero(done, count - done); // finished_zero
        plan.ret = p.to_long(count);
        break;
    }
    return std::move(plan);
}

} // namespace

ErrorOr<VreadPlan> vread_plan(const VmapSpace& space, const VreadBacking& backing, VirtAddr addr,
                              u64 count, std::span<const VmapRamArea> vmap_ram) {
    return plan_walk(space, backing, Op::Read, addr, count, vmap_ram);
}

ErrorOr<VreadPlan> vwrite_plan(const VmapSpace& space, const VreadBacking& backing, VirtAddr addr,
                               u64 count, std::span<const VmapRamArea> vmap_ram) {
    return plan_walk(space, backing, Op::Write, addr, count, vmap_ram);
}

ErrorOr<VreadPlan> vread(const VmapSpace& space, const VreadBacking& backing, std::span<u8> buf,
                         VirtAddr addr, u64 count, std::span<const VmapRamArea> vmap_ram) {
    if (buf.size() < count)
        return make_error(ErrorKind::InvalidConfig,
                          "vread: buffer of {} bytes is smaller than count {:#x}", buf.size(),
                          count);
    VreadPlan plan = TRY(vread_plan(space, backing, addr, count, vmap_ram));
    for (const VreadPiece& piece : plan.pieces) {
        auto out = buf.subspan(piece.offset, piece.len);
        if (piece.frame)
            TRY(backing.read_frame(*piece.frame, piece.frame_offset, out));
        else
            std::fill(out.begin(), out.end(), u8{0});
    }
    return plan;
}

ErrorOr<VreadPlan> vwrite(const VmapSpace& space, VreadBacking& backing, std::span<const u8> buf,
                          VirtAddr addr, u64 count, std::span<const VmapRamArea> vmap_ram) {
    if (buf.size() < count)
        return make_error(ErrorKind::InvalidConfig,
                          "vwrite: buffer of {} bytes is smaller than count {:#x}", buf.size(),
                          count);
    VreadPlan plan = TRY(vwrite_plan(space, backing, addr, count, vmap_ram));
    for (const VreadPiece& piece : plan.pieces)
        if (piece.frame)
            TRY(backing.write_frame(*piece.frame, piece.frame_offset,
                                    buf.subspan(piece.offset, piece.len)));
    return plan;
}

} // namespace kmemu
