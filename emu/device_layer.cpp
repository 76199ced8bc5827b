#include "emu/device_layer.h"

#include "devices/mem/mem_major.h"
#include "devices/mem/oldmem_device.h"
#include "devices/vfs/misc.h"
#include "emu/boot_printk.h"
#include "emu/machine.h"

namespace kmemu {

ErrorOr<std::unique_ptr<DeviceLayer>> DeviceLayer::boot(Machine& m) {
    std::unique_ptr<DeviceLayer> d(new DeviceLayer(m.config().kernel));
    DeviceKernelParts parts;
    parts.config = &m.config();
    parts.profile = &m.profile();
    parts.layout = &m.layout();
    parts.phys = &m.phys_memory();
    parts.iomem = &m.iomem();
    parts.direct_map = &m.direct_map();
    parts.vmap = &m.vmap_space();
    parts.vread = &m.vread_backing();
    parts.pages = &m.page_allocator();
    parts.kernel_page_tables = &m.kernel_page_tables();
    parts.kernel_mmu = &m.kernel_mmu();
    parts.chrdevs = &d->m_chrdevs;
    parts.nodes = &d->m_nodes;
    parts.procfs = &d->m_procfs;
    const Machine* mp = &m;
    parts.now_ns = [mp] { return mp->clock().now_ns(); };
    d->m_kernel = std::make_unique<DeviceKernel>(std::move(parts));
    {
        DeviceKernelScope scope(*d->m_kernel, nullptr);
        if (int err = chr_dev_init(*d->m_kernel); err < 0)
            return make_error(ErrorKind::Internal, "chr_dev_init failed: errno {}", -err);
        if (int err = misc_init(*d->m_kernel); err < 0)
            return make_error(ErrorKind::Internal, "misc_init failed: errno {}", -err);
        // A bad oldmem= image is a configuration error at boot, not a later -EIO.
        if (std::string why = oldmem_image_error(*d->m_kernel); !why.empty())
            return make_error(ErrorKind::InvalidConfig, "oldmem: {}", why);
    }
    printk_boot_messages(m, *d->m_kernel);
    register_procfs_files(m, d->m_procfs);
    return d;
}

} // namespace kmemu
