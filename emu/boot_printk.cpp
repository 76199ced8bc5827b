#include "emu/boot_printk.h"

#include "devices/printk/printk.h"
#include "emu/machine.h"
#include "mm/kernel_image/linux_banner.h"

namespace kmemu {

namespace {

constexpr int KERN_NOTICE = 5;
constexpr int KERN_INFO = 6;

bool prints_layout_block(const Machine& m) {
    const KernelProfile& p = m.profile();
    switch (m.config().arch) {
    case Arch::I386:
    case Arch::I386Pae:
        return p.i386.prints_layout_block;
    case Arch::Arm:
    case Arch::ArmLpae:
        return p.arm.prints_layout_block;
    case Arch::Arm64:
        return p.arm64.prints_layout;
    case Arch::X86_64:
    case Arch::X86_64La57:
        return false; // arch/x86/mm/init_64.c never printed the block
    }
    return false;
}

} // namespace

void printk_boot_messages(const Machine& m, DeviceKernel& k) {
    DeviceKernelScope scope(k, nullptr);
    // start_kernel: pr_notice("%s", linux_banner).
    printk(k, kern_level(k, KERN_NOTICE) + linux_banner(m.profile().kernel_image));
    // mem_init: ARM's classic form is a bank line then a KERN_NOTICE page-count line.
    const std::string& mem = m.memory_line();
    const bool arm_classic = m.profile().mem_init.format == MemInitFormat::Arm26 ||
                             m.profile().mem_init.format == MemInitFormat::Arm3;
    size_t start = 0;
    for (int line = 0; start < mem.size(); ++line) {
        size_t nl = mem.find('\n', start);
        nl = nl == std::string::npos ? mem.size() : nl + 1;
        const int level = arm_classic && line > 0 ? KERN_NOTICE : KERN_INFO;
        printk(k, kern_level(k, level) + mem.substr(start, nl - start));
        start = nl;
    }
    if (prints_layout_block(m)) {
        const bool x86 = is_x86(m.config().arch);
        printk(k, kern_level(k, x86 ? KERN_INFO : KERN_NOTICE) + m.layout_block());
    }
}

} // namespace kmemu
