#include "devices/mem/mem_major.h"

#include <fmt/format.h>

#include "devices/mem/full_device.h"
#include "devices/mem/kmem_device.h"
#include "devices/mem/mem_device.h"
#include "devices/mem/null_device.h"
#include "devices/mem/oldmem_device.h"
#include "devices/mem/port_device.h"
#include "devices/mem/random_device.h"
#include "devices/mem/zero_device.h"
#include "devices/printk/kmsg_device.h"
#include "devices/vfs/char_dev.h"
#include "devices/vfs/dev_nodes.h"
#include "devices/vfs/vfs.h"
#include "mm/errno.h"
#include "mm/kernel_profile.h"

namespace kmemu {

namespace {

const MemMinor kMinors[] = {
    mem_minor(),     // 1
    kmem_minor(),    // 2
    null_minor(),    // 3
    port_minor(),    // 4
    zero_minor(),    // 5
    full_minor(),    // 7
    random_minor(),  // 8
    urandom_minor(), // 9
    kmsg_minor(),    // 11
    oldmem_minor(),  // 12
};

const MemMinor* find_minor(const DeviceKernel& k, unsigned minor) {
    for (const MemMinor& m : kMinors)
        if (m.minor == minor)
            return m.present(k) ? &m : nullptr;
    return nullptr;
}

// memory_open (drivers/char/mem.c): the minor's fops, the devlist's f_mode bits, then the
// minor's own open. A minor that is not in the devlist (0, 6, 10, 13+, or left out by the
// version or config) is -ENXIO.
int memory_open(inode* node, file* f) {
    DeviceKernel& k = current_kernel();
    const MemMinor* m = find_minor(k, iminor(node));
    if (!m)
        return -ENXIO;
    f->f_op = m->fops(k);
    f->f_mode |= mem_open_fmode(m->minor, k.profile().version);
    if (f->f_op->open)
        return f->f_op->open(node, f);
    return 0;
}

const file_operations kMemoryFops = [] {
    file_operations f{};
    f.open = memory_open;
    f.llseek = noop_llseek;
    return f;
}();

} // namespace

std::span<const MemMinor> mem_minors() {
    return kMinors;
}

// devlist modes: 2.6.11-2.6.31 (udev's nodes, the devlist's informational modes of 2.6.24);
// 2.6.32+ devtmpfs with the devlist's mode, 0 meaning 0600 (kernel-semantics.md §2.1).
umode_t mem_node_mode(unsigned minor, KernelVersion v) {
    const bool devtmpfs = v.at_least(2, 6, 32);
    switch (minor) {
    case 3: // null
    case 5: // zero
    case 7: // full
        return 0666;
    case 8: // random
    case 9: // urandom
        return devtmpfs ? 0666 : 0644;
    case 11: // kmsg: mode 0 in 2.6.32, 0644 from 3.5's record interface
        return !devtmpfs ? 0644 : v.at_least(3, 5) ? 0644 : 0600;
    default: // mem, kmem, port, oldmem
        return devtmpfs ? 0600 : 0640;
    }
}

// memory_open's f_mode: mem and kmem get FMODE_UNSIGNED_OFFSET from 2.6.39 (3.x through the
// directly-mappable bdi, 4.x+ from the devlist) until 6.12 moved it to fop_flags; null, zero,
// random and urandom get FMODE_NOWAIT from 6.1 (5.18's "add FMODE_NOWAIT to /dev/{null,zero}"
// and random's read_iter conversion; version taken at the 6.1 tree read).
fmode_t mem_open_fmode(unsigned minor, KernelVersion v) {
    switch (minor) {
    case 1:
    case 2:
        return v.at_least(2, 6, 39) && !v.at_least(6, 12) ? FMODE_UNSIGNED_OFFSET : 0;
    case 3:
    case 5:
    case 8:
    case 9:
        return v.at_least(6, 1) ? FMODE_NOWAIT : 0;
    default:
        return 0;
    }
}

int chr_dev_init(DeviceKernel& k) {
    int err = k.chrdevs().register_chrdev(1, "mem", &kMemoryFops);
    if (err < 0)
        return err;
    for (const MemMinor* m : present_mem_minors(k)) {
        err = k.nodes().mknod(
            fmt::format("/dev/{}", m->name),
            static_cast<umode_t>(kS_IFCHR | mem_node_mode(m->minor, k.profile().version)),
            MKDEV(1, m->minor));
        if (err)
            return err;
    }
    return 0;
}

std::vector<const MemMinor*> present_mem_minors(const DeviceKernel& k) {
    std::vector<const MemMinor*> out;
    for (const MemMinor& m : kMinors)
        if (m.present(k))
            out.push_back(&m);
    return out;
}

} // namespace kmemu
