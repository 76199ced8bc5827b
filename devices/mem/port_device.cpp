#include "devices/mem/port_device.h"

#include "devices/mem/devmem_access.h"

#include "devices/port/io_ports.h"
#include "mm/errno.h"
#include "mm/kernel_profile.h"
#include "mm/machine_config.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

struct PortState {
    explicit PortState(DeviceKernel& k) : rules(port_rules_for(k.config(), k.profile().arch)) {}
    PortRules rules;
};

constexpr u64 kPortLimit = 65536;

UserAccess* current_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

// The port counter is an unsigned long: a position of 4 GiB or more is cut to 32 bits on a
// 32-bit kernel before the 65536 test, and written back cut (read_port/write_port, all eras).
u64 port_counter(const PortRules& r, loff_t pos) {
    const u64 p = static_cast<u64>(pos);
    return r.word_bits == 32 ? (p & 0xffffffffULL) : p;
}

// read_port (every era): access_ok, then one inb per byte while count lasts and the port is
// below 65536; a failed store is -EFAULT with *ppos unchanged (the ports were read all the
// same); else *ppos = the next port and the bytes stored are returned.
ssize_t read_port(file*, char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    const PortRules& r = port_rules(k);
    UserAccess* mm = current_mm();
    const VirtAddr base = user_addr(buf);
    if (!mm || !mm->access_ok(base, count))
        return -EFAULT;
    IoPortSpace& ports = io_ports(k);
    u64 i = port_counter(r, *ppos);
    u64 done = 0;
    for (; done < count && i < kPortLimit; ++done, ++i) {
        const u8 value = ports.inb(IoPort(static_cast<u16>(i)));
        if (__put_user(*mm, value, base.offset(done)) < 0)
            return -EFAULT;
    }
    *ppos = static_cast<loff_t>(i);
    return static_cast<ssize_t>(done);
}

// write_port (every era): as read_port with __get_user and outb; a failed fetch after at least
// one byte ends the write short, before any byte it is -EFAULT.
ssize_t write_port(file*, const char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    const PortRules& r = port_rules(k);
    UserAccess* mm = current_mm();
    const VirtAddr base = user_addr(buf);
    if (!mm || !mm->access_ok(base, count))
        return -EFAULT;
    IoPortSpace& ports = io_ports(k);
    u64 i = port_counter(r, *ppos);
    u64 done = 0;
    for (; done < count && i < kPortLimit; ++done, ++i) {
        u8 c = 0;
        if (__get_user(*mm, c, base.offset(done)) != 0) {
            if (done > 0)
                break;
            return -EFAULT;
        }
        ports.outb(c, IoPort(static_cast<u16>(i)));
    }
    *ppos = static_cast<loff_t>(i);
    return static_cast<ssize_t>(done);
}

// memory_lseek and open_port (= open_mem) are /dev/mem's own functions (devmem_access.h): the
// kernel gives port the same ones.

const file_operations kPortFops = [] {
    file_operations f{};
    f.llseek = memory_lseek;
    f.read = read_port;
    f.write = write_port;
    f.open = open_mem;
    return f;
}();

} // namespace

const PortRules& port_rules(DeviceKernel& kernel) {
    return kernel.state<PortState>().rules;
}

MemMinor port_minor() {
    return MemMinor{
        4, "port",
        [](const DeviceKernel& k) { return port_rules(const_cast<DeviceKernel&>(k)).present; },
        [](const DeviceKernel&) { return &kPortFops; }};
}

} // namespace kmemu
