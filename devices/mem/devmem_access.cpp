#include "devices/mem/devmem_access.h"

#include <algorithm>

#include "devices/vfs/cred.h"
#include "mm/errno.h"
#include "mm/gfp.h"
#include "mm/iomem.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/page_alloc.h"
#include "mm/phys_memory.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

struct DevmemState {
    explicit DevmemState(DeviceKernel& k)
        : rules(devmem_rules_for(k.profile().version, k.profile().arch, k.config(),
                                 k.layout().phys_bits)) {}
    DevmemRules rules;
};

constexpr u64 kFirstMibPfns = 256; // the legacy first MiB in 4 KiB pages (x86 only)

bool lseek_refused(const DevmemRules& r, u64 pos) {
    switch (r.lseek) {
    case MemLseekLimit::None:
        return false;
    case MemLseekLimit::Below4096: // memory_lseek 2.6.39-3.x: >= ~0xFFFULL
        return pos >= 0xFFFFFFFFFFFFF000ULL;
    case MemLseekLimit::IsErrValue: // IS_ERR_VALUE: compared with (unsigned long)-MAX_ERRNO
        return pos >= (r.word_bits == 32 ? 0xFFFFF001ULL : 0xFFFFFFFFFFFFF001ULL);
    case MemLseekLimit::MaxErrno64:
        return pos >= 0xFFFFFFFFFFFFF001ULL;
    }
    return false;
}

// The physical address of high_memory (end of the direct map).
u64 pa_high_memory(const DeviceKernel& k) {
    const Layout& l = k.layout();
    return l.pa(l.high_memory).get();
}

u64 mask_bits(u64 v, unsigned bits) {
    return bits >= 64 ? v : v & ((u64{1} << bits) - 1);
}

bool x86_is_ram(DeviceKernel& k, const DevmemRules& r, u64 pfn) {
    if (r.devmem_allowed == DevmemAllowed::X86ZeroingIntersects)
        return k.iomem().region_intersects(PhysAddr(pfn << r.page_shift), r.page_size(),
                                           IORESOURCE_SYSTEM_RAM,
                                           IoresDesc::None) != RegionIntersect::Disjoint;
    return k.iomem().page_is_ram(Pfn(pfn));
}

bool exclusive(DeviceKernel& k, const DevmemRules& r, u64 pfn) {
    u64 addr = pfn << r.page_shift;
    if (r.exclusive_alias_4g)
        addr &= 0xffffffffULL; // pagenr << PAGE_SHIFT in a 32-bit unsigned long
    return k.iomem().iomem_is_exclusive(PhysAddr(addr), r.iomem_policy);
}

// Whether [addr, addr + count) lies inside one System RAM resource at the top of iomem
// (arm64's memblock_is_region_memory && memblock_is_map_memory, with memblock.memory being the
// RAM the firmware described; NOMAP regions are not modelled).
bool inside_one_ram_region(const DeviceKernel& k, u64 addr, u64 count) {
    for (const Resource& res : k.iomem().root().children) {
        if ((res.flags & IORESOURCE_SYSTEM_RAM) != IORESOURCE_SYSTEM_RAM)
            continue;
        if (addr < res.start.get() || addr > res.end.get())
            continue;
        return count == 0 || count - 1 <= res.end.get() - addr;
    }
    return false;
}

} // namespace

const DevmemRules& devmem_rules(DeviceKernel& kernel) {
    return kernel.state<DevmemState>().rules;
}

// memory_lseek (drivers/char/mem.c, every era): SEEK_CUR adds f_pos, then the position is
// checked against the era's error window (none before 2.6.39); other whence values -EINVAL.
loff_t memory_lseek(struct file* f, loff_t offset, int whence) {
    const DevmemRules& r = devmem_rules(current_kernel());
    u64 pos = static_cast<u64>(offset);
    switch (whence) {
    case kSeekCur:
        pos += static_cast<u64>(f->f_pos);
        [[fallthrough]];
    case kSeekSet:
        if (lseek_refused(r, pos))
            return -EOVERFLOW;
        f->f_pos = static_cast<loff_t>(pos);
        return f->f_pos;
    default:
        return -EINVAL;
    }
}

// open_mem (every era): CAP_SYS_RAWIO; 5.4+ security_locked_down(LOCKDOWN_DEV_MEM), which both
// integrity and confidentiality lockdown refuse. (5.10+ also points f_mapping at the shared
// devmem inode for revoke_devmem; that belongs to the mmap side.)
int open_mem(struct inode*, struct file*) {
    if (!capable(CAP_SYS_RAWIO))
        return -EPERM;
    if (devmem_rules(current_kernel()).locked_down)
        return -EPERM;
    return 0;
}

u64 size_inside_page(u64 start, u64 size, u64 page_size) {
    return std::min(page_size - (start & (page_size - 1)), size);
}

bool valid_phys_addr_range(DeviceKernel& k, const DevmemRules& r, u64 addr, u64 count) {
    const u64 top = pa_high_memory(k);
    // The sum is taken in phys_addr_t (+ size_t), or unsigned long before 3.x.
    const unsigned bits = std::max(r.mem_pos_bits, r.word_bits);
    switch (r.valid_phys) {
    case ValidPhysRange::Generic: // drivers/char/mem.c: addr + count <= __pa(high_memory)
        return mask_bits(addr + count, bits) <= top;
    case ValidPhysRange::X86LastByte: // arch/x86/mm/mmap.c 4.15+: last byte <= __pa(hm - 1)
        return mask_bits(addr + count - 1, bits) <= top - 1;
    case ValidPhysRange::Arm: // arch/arm/mm/mmap.c
        return addr >= k.layout().phys_offset.get() && mask_bits(addr + count, bits) <= top;
    case ValidPhysRange::Arm64Memblock: // arch/arm64/mm/mmap.c 4.6+
        return inside_one_ram_region(k, addr, count);
    }
    return false;
}

bool valid_mmap_phys_addr_range(const DevmemRules& r, u64 pfn, u64 size) {
    switch (r.valid_mmap) {
    case ValidMmapRange::Always:
        return true;
    case ValidMmapRange::X86PhysBits: { // arch/x86/mm/mmap.c: phys_addr_valid(last byte)
        if (r.phys_addr_bits == 32)
            return true;
        const u64 last = (pfn << r.page_shift) + size - 1;
        return r.cpu_phys_bits >= 64 || (last >> r.cpu_phys_bits) == 0;
    }
    case ValidMmapRange::ArmPhysMask: { // arch/arm/mm/mmap.c: PHYS_MASK of phys_addr_t
        const u64 phys_mask_pfns = r.phys_addr_bits == 32 ? (u64{1} << (32 - r.page_shift))
                                                          : (u64{1} << (40 - r.page_shift));
        return pfn + (size >> r.page_shift) <= phys_mask_pfns;
    }
    case ValidMmapRange::Arm64PhysMask: { // arch/arm64/mm/mmap.c: nothing above PHYS_MASK
        const u64 end = (pfn << r.page_shift) + size;
        return r.cpu_phys_bits >= 64 || (end >> r.cpu_phys_bits) == 0;
    }
    }
    return false;
}

int devmem_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn) {
    switch (r.devmem_allowed) {
    case DevmemAllowed::X86FirstMibInclusive: // arch/x86/mm/init.c 2.6.27-2.6.3x: <= 256
    case DevmemAllowed::X86FirstMib: {        // 3.x: < 256
        const bool low = r.devmem_allowed == DevmemAllowed::X86FirstMibInclusive
                             ? pfn <= kFirstMibPfns
                             : pfn < kFirstMibPfns;
        if (low)
            return 1;
        if (r.x86_checks_exclusive && exclusive(k, r, pfn))
            return 0;
        return x86_is_ram(k, r, pfn) ? 0 : 1;
    }
    case DevmemAllowed::X86Zeroing:             // 4.11+ (3.10.108, 4.4.65): RAM first
    case DevmemAllowed::X86ZeroingIntersects: { // 4.14+: RAM by region_intersects
        if (x86_is_ram(k, r, pfn))
            return pfn < kFirstMibPfns ? 2 : 0;
        if (exclusive(k, r, pfn))
            return pfn < kFirstMibPfns ? 1 : 0;
        return 1;
    }
    case DevmemAllowed::Arm: // arch/arm/mm/mmap.c, arch/arm64/mm/mmap.c (later mm/ generic)
        if (exclusive(k, r, pfn))
            return 0;
        return k.iomem().page_is_ram(Pfn(pfn)) ? 0 : 1;
    }
    return 0;
}

int page_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn) {
    return r.strict_devmem ? devmem_is_allowed(k, r, pfn) : 1;
}

bool devmem_range_walk(DeviceKernel& k, const DevmemRules& r, u64 pfn, u64 size) {
    // From pfn's page start (not the byte offset) to + size, page by page.
    const u64 from = pfn << r.page_shift;
    const u64 to = from + size;
    for (u64 cursor = from; cursor < to && cursor >= from; cursor += r.page_size(), ++pfn)
        if (!devmem_is_allowed(k, r, pfn))
            return false;
    return true;
}

bool range_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn, u64 size) {
    return !r.strict_devmem || devmem_range_walk(k, r, pfn, size);
}

bool should_stop_iteration(const DevmemRules& r) {
    switch (r.stop) {
    case StopCheck::None:
        return false;
    case StopCheck::FatalSignal:
        return fatal_signal_pending_current();
    case StopCheck::AnySignal:
        return signal_pending_current() || fatal_signal_pending_current();
    }
    return false;
}

void devmem_phys_read(DeviceKernel& k, u64 phys, std::span<u8> out) {
    auto bytes = std::as_writable_bytes(out);
    PhysResult res = k.phys().read(PhysAddr(phys), bytes);
    // Past a hole, byte by byte (a chunk never leaves its page, so this is bounded).
    for (u64 i = res.bytes_done; !res.ok() && i < out.size(); ++i) {
        PhysValue<u8> b = k.phys().read_u8(PhysAddr(phys + i));
        out[i] = b.ok() ? b.value : u8{0xff};
    }
}

void devmem_phys_write(DeviceKernel& k, u64 phys, std::span<const u8> in) {
    PhysResult res = k.phys().write(PhysAddr(phys), std::as_bytes(in));
    for (u64 i = res.bytes_done; !res.ok() && i < in.size(); ++i)
        (void)k.phys().write_u8(PhysAddr(phys + i), in[i]);
}

UserAccess* current_user_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

u64 user_copy_to(VirtAddr to, std::span<const u8> from) {
    UserAccess* u = current_user_mm();
    return u ? copy_to_user(*u, to, from) : from.size();
}

u64 user_copy_from(std::span<u8> to, VirtAddr from) {
    UserAccess* u = current_user_mm();
    if (!u) {
        std::fill(to.begin(), to.end(), u8{0});
        return to.size();
    }
    return copy_from_user(*u, to, from);
}

u64 user_clear(VirtAddr to, u64 n) {
    UserAccess* u = current_user_mm();
    return u ? clear_user(*u, to, n) : n;
}

BouncePage::BouncePage(DeviceKernel& k, u64 page_size) : m_kernel(k) {
    m_page = k.pages().__get_free_pages(GFP_KERNEL, 0);
    if (m_page.get() != 0)
        m_data.assign(page_size, 0);
}

BouncePage::~BouncePage() {
    if (m_page.get() != 0)
        m_kernel.pages().free_page(m_page);
}

} // namespace kmemu
