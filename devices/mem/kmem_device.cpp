#include "devices/mem/kmem_device.h"

#include <array>
#include <cstddef>

#include "devices/mem/devmem_access.h"
#include "devices/mem/mem_mmap.h"
#include "mm/direct_map.h"
#include "mm/layout.h"
#include "mm/mmu/address_space_mmu.h"
#include "mm/uaccess.h"
#include "mm/vmalloc/kernel_vread_backing.h"
#include "mm/vmalloc/vmap_space.h"
#include "mm/vmalloc/vread.h"

namespace kmemu {

namespace {

constexpr std::size_t kMaxPage = 64 * 1024;

u64 word(u64 v, unsigned bits) {
    return bits >= 64 ? v : v & ((u64{1} << bits) - 1);
}

// The kernel dereferencing `p` as a plain pointer (xlate_dev_kmem_ptr is the identity): below
// TASK_SIZE that is the calling process's own memory (no SMAP/PAN in the eras that let such an
// address through), above it init_mm's page tables. Returns the bytes read before a fault.
u64 kernel_pointer_read(DeviceKernel& k, u64 p, std::span<u8> out) {
    if (p < k.layout().task_size.get()) {
        UserAccess* u = current_user_mm();
        return u ? out.size() - u->raw_copy_from_user(out, VirtAddr(p)) : 0;
    }
    return k.kernel_mmu()
        .read(VirtAddr(p), std::as_writable_bytes(out),
              {mmu::AccessType::Read, mmu::Privilege::Supervisor})
        .bytes_done;
}

u64 kernel_pointer_write(DeviceKernel& k, u64 p, std::span<const u8> in) {
    if (p < k.layout().task_size.get()) {
        UserAccess* u = current_user_mm();
        return u ? in.size() - u->raw_copy_to_user(VirtAddr(p), in) : 0;
    }
    return k.kernel_mmu()
        .write(VirtAddr(p), std::as_bytes(in), mmu::Privilege::Supervisor)
        .bytes_done;
}

// copy_to_user(buf, (void *)p, sz): bytes not copied, counting a fault on either side.
u64 copy_kernel_to_user(DeviceKernel& k, VirtAddr buf, u64 p, std::span<u8> scratch) {
    const u64 got = kernel_pointer_read(k, p, scratch);
    return (scratch.size() - got) + user_copy_to(buf, scratch.first(got));
}

// copy_from_user((void *)p, buf, sz): bytes not copied. A short source zero-fills the rest of
// the destination, as the kernel's copy_from_user does.
u64 copy_user_to_kernel(DeviceKernel& k, u64 p, VirtAddr buf, std::span<u8> scratch) {
    const u64 short_by = user_copy_from(scratch, buf); // tail zeroed
    const u64 good = scratch.size() - short_by;
    const u64 stored = kernel_pointer_write(k, p, scratch.first(good));
    if (stored < good)
        return scratch.size() - stored;
    if (short_by)
        (void)kernel_pointer_write(k, p + good, scratch.subspan(good));
    return short_by;
}

bool virt_addr_valid(DeviceKernel& k, u64 p) {
    return k.direct_map().virt_addr_valid(VirtAddr(p));
}

// read_kmem (2.6.11-5.12; §2.8). Low phase (p < high_memory) through the kernel's pointer;
// high phase through vread with a bounce page.
ssize_t do_read_kmem(DeviceKernel& k, const DevmemRules& r, char* ubuf, size_t count,
                     loff_t* ppos) {
    const unsigned bits = r.word_bits;
    const u64 psz = r.page_size();
    const u64 high_memory = k.layout().high_memory.get();
    std::array<u8, kMaxPage> chunk{};
    u64 p = word(static_cast<u64>(*ppos), bits);
    VirtAddr buf = user_addr(ubuf);
    u64 read = 0;
    u64 left = count;
    if (p < high_memory) {
        u64 low = std::min<u64>(left, high_memory - p);
        while (low > 0) {
            const u64 sz = size_inside_page(p, low, psz);
            if (r.kmem_virt_addr_valid && !virt_addr_valid(k, p))
                return -ENXIO; // 4.14+: progress discarded
            if (copy_kernel_to_user(k, buf, p, std::span<u8>(chunk.data(), sz)))
                return -EFAULT; // progress discarded, f_pos unchanged
            buf = buf.offset(sz);
            p += sz;
            read += sz;
            low -= sz;
            left -= sz;
            if (should_stop_iteration(r)) {
                left = 0; // 5.4+: skip the high phase too
                break;
            }
        }
    }
    long err = 0;
    if (left > 0) {
        BouncePage bounce(k, psz);
        if (!bounce.ok())
            return -ENOMEM; // low-phase progress discarded
        while (left > 0) {
            // 2.6.32+: size_inside_page pieces and -ENXIO outside vmalloc/modules; before, up to
            // PAGE_SIZE from any address.
            u64 sz = r.kmem_checks_vmalloc ? size_inside_page(p, left, psz) : std::min(left, psz);
            if (r.kmem_checks_vmalloc && !k.vmap().is_vmalloc_or_module_addr(VirtAddr(p))) {
                err = -ENXIO;
                break;
            }
            auto plan = vread(k.vmap(), k.vread(), bounce.data(), VirtAddr(p), sz);
            if (plan.is_error() || plan.value().end != VreadEnd::Returned) {
                // The <= 2.6.31 byte walk oopses on an unpopulated page: the syscall dies.
                // kmemu reports it as -EFAULT without touching f_pos.
                return -EFAULT;
            }
            sz = static_cast<u64>(plan.value().ret);
            if (sz == 0)
                break;
            if (user_copy_to(buf, bounce.data().first(sz))) {
                if (!r.kmem_checks_vmalloc)
                    return -EFAULT; // <= 2.6.31: progress discarded
                err = -EFAULT;
                break;
            }
            left -= sz;
            buf = buf.offset(sz);
            read += sz;
            p = word(p + sz, bits);
            if (should_stop_iteration(r))
                break;
        }
    }
    *ppos = static_cast<loff_t>(p);
    return read ? static_cast<ssize_t>(read) : err;
}

// do_write_kmem (§2.9): the low phase; a short copy ends it with what was written.
long do_write_kmem(DeviceKernel& k, const DevmemRules& r, u64 p, VirtAddr buf, u64 count,
                   loff_t* ppos) {
    std::array<u8, kMaxPage> chunk{};
    u64 written = 0;
    while (count > 0) {
        const u64 sz = size_inside_page(p, count, r.page_size());
        if (r.kmem_virt_addr_valid && !virt_addr_valid(k, p))
            return -ENXIO;
        const u64 short_by = copy_user_to_kernel(k, p, buf, std::span<u8>(chunk.data(), sz));
        if (short_by) {
            written += sz - short_by;
            if (written)
                break;
            return -EFAULT;
        }
        buf = buf.offset(sz);
        p += sz;
        count -= sz;
        written += sz;
        if (should_stop_iteration(r))
            break;
    }
    *ppos = static_cast<loff_t>(static_cast<u64>(*ppos) + written);
    return static_cast<long>(written);
}

// write_kmem (§2.9).
ssize_t do_write_kmem_all(DeviceKernel& k, const DevmemRules& r, const char* ubuf, size_t count,
                          loff_t* ppos) {
    const unsigned bits = r.word_bits;
    const u64 psz = r.page_size();
    const u64 high_memory = k.layout().high_memory.get();
    u64 p = word(static_cast<u64>(*ppos), bits);
    VirtAddr buf = user_addr(ubuf);
    u64 left = count;
    long wrote = 0;
    u64 virtr = 0;
    long err = 0;
    if (p < high_memory) {
        const u64 to_write = std::min<u64>(left, high_memory - p);
        wrote = do_write_kmem(k, r, p, buf, to_write, ppos);
        if (wrote != static_cast<long>(to_write))
            return wrote; // an error, or a short write: f_pos already advanced
        p += to_write;
        buf = buf.offset(to_write);
        left -= to_write;
    }
    if (left > 0) {
        BouncePage bounce(k, psz);
        if (!bounce.ok())
            return wrote ? wrote : -ENOMEM;
        while (left > 0) {
            if (r.kmem_checks_vmalloc) {
                // 2.6.32+: vwrite's result is ignored; the chunk counts as written.
                const u64 sz = size_inside_page(p, left, psz);
                if (!k.vmap().is_vmalloc_or_module_addr(VirtAddr(p))) {
                    err = -ENXIO;
                    break;
                }
                if (user_copy_from(bounce.data().first(sz), buf)) {
                    err = -EFAULT;
                    break;
                }
                (void)vwrite(k.vmap(), k.vread(), bounce.data().first(sz), VirtAddr(p), sz);
                left -= sz;
                buf = buf.offset(sz);
                virtr += sz;
                p = word(p + sz, bits);
                if (should_stop_iteration(r))
                    break;
                continue;
            }
            // <= 2.6.31: up to PAGE_SIZE, advance by what vwrite processed.
            u64 len = std::min(left, psz);
            if (user_copy_from(bounce.data().first(len), buf)) {
                if (static_cast<u64>(wrote) + virtr)
                    break;
                return -EFAULT;
            }
            auto plan = vwrite(k.vmap(), k.vread(), bounce.data().first(len), VirtAddr(p), len);
            len = plan.is_error() ? 0 : static_cast<u64>(plan.value().ret);
            if (len == 0)
                return kKmemWriteLivelock; // the kernel spins here for ever (see the header)
            left -= len;
            buf = buf.offset(len);
            virtr += len;
            p = word(p + len, bits);
        }
    }
    *ppos = static_cast<loff_t>(p);
    const u64 total = static_cast<u64>(wrote) + virtr;
    return total ? static_cast<ssize_t>(total) : err;
}

const file_operations kKmemFops = [] {
    file_operations f{};
    f.llseek = memory_lseek;
    f.read = read_kmem;
    f.write = write_kmem;
    f.open = open_mem;  // open_kmem is open_mem
    f.mmap = mmap_kmem; // devices/mem/mem_mmap.cpp
    return f;
}();

} // namespace

ssize_t read_kmem(struct file*, char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    return do_read_kmem(k, devmem_rules(k), buf, count, ppos);
}

ssize_t write_kmem(struct file*, const char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    return do_write_kmem_all(k, devmem_rules(k), buf, count, ppos);
}

MemMinor kmem_minor() {
    return MemMinor{2, "kmem",
                    [](const DeviceKernel& k) {
                        return devmem_rules(const_cast<DeviceKernel&>(k)).kmem_present;
                    },
                    [](const DeviceKernel&) { return &kKmemFops; }};
}

} // namespace kmemu
