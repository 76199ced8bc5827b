#include "mm/vmalloc/boot_areas.h"

namespace kmemu {

ErrorOr<void> add_boot_vm_areas(VmapSpace& space, const Layout& l, KernelVersion v) {
    if (l.arch != Arch::Arm64 || !v.at_least(4, 6))
        return {};
    // map_kernel (arch/arm64/mm/mmu.c, 4.6+): vmlinux_text, vmlinux_rodata, vmlinux_init(text
    // and data), vmlinux_data; the caller %pS is paging_init (map_kernel is inlined there).
    const KernelImage& im = l.image;
    const u64 page = l.page_size();
    struct Seg {
        VirtAddr start, end;
        bool guard;
    };
    const Seg segs[] = {{im.text, im.etext, false},
                        {im.start_rodata, im.init_begin, false},
                        {im.init_begin, im.init_end, false},
                        {im.sdata, im.end, true}};
    for (const Seg& s : segs) {
        const VirtAddr a = s.start.align_down(page);
        const VirtAddr b = s.end.align_up(page);
        if (!(a < b))
            continue;
        VmArea area;
        area.addr = a;
        area.size = b.minus(a) + (s.guard ? page : 0);
        area.flags = VmMap | (s.guard ? 0u : static_cast<u32>(VmNoGuard));
        area.caller = "paging_init";
        area.phys_addr = im.pa(a);
        TRY(space.add_boot_area(area));
    }
    return {};
}

} // namespace kmemu
