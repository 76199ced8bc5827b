#include "emu/machine_views.h"

#include "emu/procfs_iomem.h"
#include "emu/procfs_kallsyms.h"
#include "emu/procfs_meminfo.h"
#include "emu/procfs_mm.h"
#include "emu/procfs_slabinfo.h"
#include "emu/procfs_vmallocinfo.h"
#include "emu/ptdump.h"
#include "emu/walk_view.h"

namespace kmemu {

std::string_view proc_file_names() {
    return "iomem, buddyinfo, zoneinfo, slabinfo, kallsyms, vmallocinfo, meminfo, devices";
}

ErrorOr<std::string> render_proc_file(Machine& m, std::string_view name) {
    if (name == "iomem")
        return render_proc_iomem(m.iomem(), true);
    if (name == "buddyinfo")
        return render_buddyinfo(m.page_allocator());
    if (name == "zoneinfo")
        return render_zoneinfo(m.page_allocator());
    if (name == "slabinfo")
        return render_slabinfo(m.kmalloc());
    if (name == "kallsyms")
        return render_kallsyms(m.symbols(), m.profile().kernel_image,
                               KallsymsReader{.cap_syslog = true});
    if (name == "vmallocinfo")
        return render_vmallocinfo(m.vmap_space());
    if (name == "meminfo")
        return render_meminfo(m);
    if (name == "devices")
        return m.devices().chrdevs().render_proc_devices() + "\nBlock devices:\n";
    return make_error(ErrorKind::NotFound, "no /proc/{} (there are: {})", name, proc_file_names());
}

ErrorOr<std::string> render_kernel_ptdump(Machine& m) {
    auto& kpt = m.kernel_page_tables();
    return render_ptdump(kpt.format(), kpt.table_memory(), kpt.mmu(), m.layout(),
                         m.config().kernel);
}

ErrorOr<std::string> render_kernel_walk(Machine& m, VirtAddr va, paging::Access access) {
    auto& kpt = m.kernel_page_tables();
    auto rec = TRY(paging::walk(kpt.format(), kpt.table_memory(), kpt.mmu(), va, access,
                                paging::WalkMode::Inspection));
    return render_walk_text(kpt.format(), rec, kpt.mmu());
}

} // namespace kmemu
