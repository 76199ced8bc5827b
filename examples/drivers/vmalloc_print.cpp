// vmalloc_print — the seed lab's first module, ported to kmemu's driver API. On load it
// vmallocs a small buffer, writes a string into it and printk's the buffer's address, so a
// user program can find the string through /dev/kmem; on unload it frees the buffer and says
// goodbye. (examples/scenarios/vmalloc-print-module.kms drives it.)
//
// The C original keeps `static char *buf;`. kmemu may run several machines in one process, so
// the pointer lives in this module's per-machine state (DeviceKernel::state<T>()).
#include "emu/kernel/driver_api.h"

namespace {

using namespace kmemu::kernel;

constexpr unsigned long kBufSize = 100;
constexpr const char* kMessage = "hello, kmem";

struct vmalloc_print_state {
    explicit vmalloc_print_state(kmemu::DeviceKernel&) {}
    kptr<char> buf;
};

vmalloc_print_state& state() {
    return current_kernel().state<vmalloc_print_state>();
}

int vmalloc_print_init() {
    kptr<char> buf = kptr_cast<char>(vmalloc(kBufSize));
    if (!buf)
        return -ENOMEM;
    strcpy(buf, kMessage);
    state().buf = buf;
    printk(KERN_INFO "vmalloc:%lx\n", buf.value());
    return 0;
}

void vmalloc_print_exit() {
    vfree(state().buf);
    state().buf = nullptr;
    printk(KERN_INFO "vmalloc_print: goodbye\n");
}

} // namespace

KMEMU_MODULE(vmalloc_print, "vmalloc a buffer, write a string into it and print its address",
             vmalloc_print_init, vmalloc_print_exit);
