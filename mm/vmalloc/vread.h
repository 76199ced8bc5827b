// vread / vwrite: the kernel's reads and writes of vmalloc space on behalf of /dev/kmem's high
// path and /proc/kcore (mm/vmalloc.c; kernel-semantics.md §3.5), version by version
// (VmallocRules::vread_style and friends).
//
// The walk is planned first (vread_plan / vwrite_plan): which byte ranges of the caller's
// buffer become zeros, which come from (or go to) which frame, and what the kernel returns.
// Planning costs O(areas + pages of area bodies touched), never O(count): a huge count over
// holes is one zero piece. vread()/vwrite() then carry the plan out on a buffer through a
// VreadBacking, which the integrator wires to the kernel page tables and PhysicalMemory.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "mm/error.h"
#include "mm/types.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

// Page contents as the kernel reaches them.
class VreadBacking {
  public:
    virtual ~VreadBacking() = default;
    // vmalloc_to_page(va): the frame the kernel page tables map at va's page, or none (the
    // pte is not present). For ioremap areas this is the device frame.
    [[nodiscard]] virtual std::optional<Pfn> frame_of(VirtAddr va) const = 0;
    // Bytes [offset, offset + out.size()) of frame pfn; never crosses the frame's end.
    [[nodiscard]] virtual ErrorOr<void> read_frame(Pfn pfn, u64 offset,
                                                   std::span<u8> out) const = 0;
    [[nodiscard]] virtual ErrorOr<void> write_frame(Pfn pfn, u64 offset,
                                                    std::span<const u8> in) = 0;
};

// A vm_map_ram() area mapped directly by alloc_vmap_area (more than VMAP_MAX_ALLOC pages): a
// vmap_area without vm_struct and without guard page. VmapSpace does not track these; the
// caller lists them. (Per-CPU vmap blocks, VMAP_BLOCK, are not modelled.)
struct VmapRamArea {
    VirtAddr addr;
    u64 size = 0; // whole pages
};

// How the kernel call ended.
enum class VreadEnd {
    Returned,
    // The byte-wise walk (<=2.6.31) dereferenced an unmapped kernel address: the kernel
    // oopses. Bytes before fault_addr were already processed.
    Oops,
    // vread_iter (6.4+) stepped past an area ending at the top of the address space: its
    // next lookup starts again from address 0 and, with bytes still to do, never ends.
    Hangs,
};

// One run of the caller's buffer, [offset, offset + len). frame empty: zeros (vread) or
// nothing (never produced by vwrite). Otherwise bytes [frame_offset, +len) of *frame.
struct VreadPiece {
    u64 offset = 0;
    u64 len = 0;
    std::optional<Pfn> frame;
    u64 frame_offset = 0;
};

struct VreadPlan {
    // The kernel's `long` return value (sign as the word size gives it).
    i64 ret = 0;
    VreadEnd end = VreadEnd::Returned;
    VirtAddr fault_addr; // VreadEnd::Oops only
    // In offset order, disjoint; buffer bytes outside every piece are left untouched.
    std::vector<VreadPiece> pieces;
};

// Plans vread(buf, addr, count) (vread_iter from 6.4). Bad input (addr or count beyond the
// word, a malformed vm_map_ram list) is an Error.
[[nodiscard]] ErrorOr<VreadPlan> vread_plan(const VmapSpace& space, const VreadBacking& backing,
                                            VirtAddr addr, u64 count,
                                            std::span<const VmapRamArea> vmap_ram = {});
// Plans vwrite(buf, addr, count): pieces say which source bytes go to which frame. Error when
// this version has no vwrite (5.13+).
[[nodiscard]] ErrorOr<VreadPlan> vwrite_plan(const VmapSpace& space, const VreadBacking& backing,
                                             VirtAddr addr, u64 count,
                                             std::span<const VmapRamArea> vmap_ram = {});

// vread into buf (at least count bytes, the kernel's contract). Returns the plan carried out.
[[nodiscard]] ErrorOr<VreadPlan> vread(const VmapSpace& space, const VreadBacking& backing,
                                       std::span<u8> buf, VirtAddr addr, u64 count,
                                       std::span<const VmapRamArea> vmap_ram = {});
// vwrite from buf (at least count bytes) into the frames the plan names.
[[nodiscard]] ErrorOr<VreadPlan> vwrite(const VmapSpace& space, VreadBacking& backing,
                                        std::span<const u8> buf, VirtAddr addr, u64 count,
                                        std::span<const VmapRamArea> vmap_ram = {});

} // namespace kmemu
