#include "devices/vfs/misc.h"

#include <fmt/format.h>

#include "devices/vfs/char_dev.h"
#include "devices/vfs/dev_nodes.h"
#include "mm/errno.h"

namespace kmemu {

namespace {

constexpr int kDynamicMinors = 64;

struct MiscState {
    explicit MiscState(DeviceKernel&) {}
    std::map<int, miscdevice*> devices; // by minor
};

// misc_open: the registered device's fops replace the misc fops, then its own open runs.
int misc_open(inode* node, file* f) {
    auto& st = current_kernel().state<MiscState>();
    auto it = st.devices.find(static_cast<int>(iminor(node)));
    if (it == st.devices.end() || !it->second->fops)
        return -ENODEV;
    f->f_op = it->second->fops;
    if (f->f_op->open)
        return f->f_op->open(node, f);
    return 0;
}

const file_operations kMiscFops = [] {
    file_operations f{};
    f.open = misc_open;
    return f;
}();

} // namespace

int misc_init(DeviceKernel& k) {
    return k.chrdevs().register_chrdev(MISC_MAJOR, "misc", &kMiscFops);
}

int misc_register(DeviceKernel& k, miscdevice* misc) {
    if (!misc || !misc->name || !misc->fops)
        return -EINVAL;
    auto& st = k.state<MiscState>();
    int minor = misc->minor;
    if (minor == MISC_DYNAMIC_MINOR) {
        minor = -1;
        for (int i = kDynamicMinors - 1; i >= 0; --i)
            if (!st.devices.count(i)) {
                minor = i;
                break;
            }
        if (minor < 0)
            return -EBUSY;
    } else if (minor < 0 || minor > 255 || st.devices.count(minor)) {
        return -EBUSY;
    }
    const umode_t mode = misc->mode ? misc->mode : umode_t{0600};
    int err = k.nodes().mknod(fmt::format("/dev/{}", misc->name),
                              static_cast<umode_t>(kS_IFCHR | (mode & 07777)),
                              MKDEV(MISC_MAJOR, static_cast<unsigned>(minor)));
    if (err == -EEXIST)
        return -EBUSY;
    if (err)
        return err;
    misc->minor = minor;
    st.devices[minor] = misc;
    return 0;
}

void misc_deregister(DeviceKernel& k, miscdevice* misc) {
    auto& st = k.state<MiscState>();
    auto it = st.devices.find(misc->minor);
    if (it != st.devices.end() && it->second == misc) {
        st.devices.erase(it);
        // device_destroy: devtmpfs deletes /dev/NAME with the device.
        (void)k.nodes().remove(fmt::format("/dev/{}", misc->name));
    }
}

} // namespace kmemu
