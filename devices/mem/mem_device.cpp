#include "devices/mem/mem_device.h"

#include <array>
#include <optional>

#include "devices/mem/devmem_access.h"
#include "devices/mem/mem_mmap.h"
#include "mm/errno.h"

namespace kmemu {

namespace {

constexpr std::size_t kMaxPage = 64 * 1024; // the largest page size (arm64 64 KiB granule)

u64 pos_bits_mask(u64 pos, unsigned bits) {
    return bits >= 64 ? pos : pos & ((u64{1} << bits) - 1);
}

// read_mem (every era; §2.5.1). The loop's shape is DevmemRules::loop:
//   Plain        2.6.11+ without STRICT_DEVMEM: copy every chunk;
//   RangeChecked 2.6.27-4.10 (x86; 3.10.108 and 4.4.65+ excepted): range_is_allowed over the
//                *remaining* count before each chunk, so a read reaching a refused page fails
//                before copying anything;
//   PerPage      4.11+ (3.10.108, 4.4.65): page_is_allowed per chunk, 2 -> clear_user.
// Every error discards progress (f_pos unchanged). 4.16+ copies through a bounce page.
ssize_t do_read_mem(DeviceKernel& k, const DevmemRules& r, char* ubuf, size_t count, loff_t* ppos) {
    u64 p = pos_bits_mask(static_cast<u64>(*ppos), r.mem_pos_bits);
    if (r.pos_guard && p != static_cast<u64>(*ppos))
        return 0; // 3.15+ [unverified]: the offset does not fit phys_addr_t
    if (!valid_phys_addr_range(k, r, p, count))
        return -EFAULT;
    std::optional<BouncePage> bounce;
    if (r.read_bounce) {
        bounce.emplace(k, r.page_size());
        if (!bounce->ok())
            return -ENOMEM;
    }
    std::array<u8, kMaxPage> chunk{};
    VirtAddr buf = user_addr(ubuf);
    u64 read = 0;
    u64 left = count;
    while (left > 0) {
        const u64 sz = size_inside_page(p, left, r.page_size());
        const u64 pfn = p >> r.page_shift;
        int allowed = 1;
        if (r.loop == MemLoop::RangeChecked && !range_is_allowed(k, r, pfn, left))
            return -EPERM;
        if (r.loop == MemLoop::PerPage) {
            allowed = page_is_allowed(k, r, pfn);
            if (!allowed)
                return -EPERM;
        }
        u64 remaining = 0;
        if (allowed == 2) {
            remaining = user_clear(buf, sz); // zeros for restricted low RAM
        } else {
            // xlate_dev_mem_ptr never fails here (the ioremap of one page always succeeds in
            // the model) and the nofault read of the bounce era cannot fault on it.
            std::span<u8> bytes(chunk.data(), sz);
            devmem_phys_read(k, p, bytes);
            if (bounce)
                std::copy(bytes.begin(), bytes.end(), bounce->data().begin());
            remaining = user_copy_to(buf, bounce ? bounce->data().first(sz) : bytes);
        }
        if (remaining)
            return -EFAULT;
        buf = buf.offset(sz);
        p += sz;
        left -= sz;
        read += sz;
        if (should_stop_iteration(r))
            break;
    }
    *ppos = static_cast<loff_t>(static_cast<u64>(*ppos) + read);
    return static_cast<ssize_t>(read);
}

// write_mem (every era; §2.5.2). RangeChecked checks each chunk (not the remaining count, unlike
// read); PerPage skips a 2 page but counts it as written. A short copy from the user buffer ends
// the call with what was written (an error only when nothing was); copy_from_user zero-fills the
// destination's uncopied tail, so those bytes of the target page become zeros.
ssize_t do_write_mem(DeviceKernel& k, const DevmemRules& r, const char* ubuf, size_t count,
                     loff_t* ppos) {
    u64 p = pos_bits_mask(static_cast<u64>(*ppos), r.mem_pos_bits);
    if (r.pos_guard && p != static_cast<u64>(*ppos))
        return -EFBIG;
    if (!valid_phys_addr_range(k, r, p, count))
        return -EFAULT;
    std::array<u8, kMaxPage> chunk{};
    VirtAddr buf = user_addr(ubuf);
    u64 written = 0;
    u64 left = count;
    while (left > 0) {
        const u64 sz = size_inside_page(p, left, r.page_size());
        const u64 pfn = p >> r.page_shift;
        int allowed = 1;
        if (r.loop == MemLoop::RangeChecked && !range_is_allowed(k, r, pfn, sz))
            return -EPERM;
        if (r.loop == MemLoop::PerPage) {
            allowed = page_is_allowed(k, r, pfn);
            if (!allowed)
                return -EPERM;
        }
        if (allowed == 1) {
            std::span<u8> bytes(chunk.data(), sz);
            const u64 short_by = user_copy_from(bytes, buf);
            devmem_phys_write(k, p, bytes);
            if (short_by) {
                written += sz - short_by;
                if (written)
                    break;
                return -EFAULT;
            }
        }
        buf = buf.offset(sz);
        p += sz;
        left -= sz;
        written += sz;
        if (should_stop_iteration(r))
            break;
    }
    *ppos = static_cast<loff_t>(static_cast<u64>(*ppos) + written);
    return static_cast<ssize_t>(written);
}

const file_operations kMemFops = [] {
    file_operations f{};
    f.llseek = memory_lseek;
    f.read = read_mem;
    f.write = write_mem;
    f.open = open_mem;
    f.mmap = mmap_mem; // devices/mem/mem_mmap.cpp
    return f;
}();

// 6.12+: the unsigned-offset flag moved from memory_open's f_mode to mem_fops.fop_flags.
const file_operations kMemFopsUnsignedOffset = [] {
    file_operations f = kMemFops;
    f.fop_flags = FOP_UNSIGNED_OFFSET;
    return f;
}();

} // namespace

ssize_t read_mem(struct file*, char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    return do_read_mem(k, devmem_rules(k), buf, count, ppos);
}

ssize_t write_mem(struct file*, const char* buf, size_t count, loff_t* ppos) {
    DeviceKernel& k = current_kernel();
    return do_write_mem(k, devmem_rules(k), buf, count, ppos);
}

// mmap_mem (drivers/char/mem.c) up to the mapping: steps a-f of §2.6.
int mmap_mem_check(const struct file*, u64 pgoff, u64 size) {
    DeviceKernel& k = current_kernel();
    const DevmemRules& r = devmem_rules(k);
    const unsigned phys_bits = r.phys_addr_bits;
    const u64 offset = pos_bits_mask(pgoff << r.page_shift, phys_bits);
    // (a) 4.13+: the offset must survive the shift into phys_addr_t.
    if (r.mmap_pfn_fits && (offset >> r.page_shift) != pgoff)
        return -EINVAL;
    // (b) 4.12+ and 4.4.155: offset + size - 1 must not wrap phys_addr_t.
    if (r.mmap_wrap_check && pos_bits_mask(offset + size - 1, phys_bits) < offset)
        return -EINVAL;
    // (c)
    if (!valid_mmap_phys_addr_range(r, pgoff, size))
        return -EINVAL;
    // (d) private_mapping_ok: always true with an MMU.
    // (e) range_is_allowed (2 counts as allowed: mmap of low RAM maps the real RAM).
    if (!range_is_allowed(k, r, pgoff, size))
        return -EPERM;
    // (f) x86 phys_mem_access_prot_allowed (arch/x86/mm/pat.c, 2.6.27+): its own range check is
    // a stub with STRICT_DEVMEM, and without it repeats the devmem_is_allowed walk (PAT on).
    if (is_x86(r.arch) && r.mmap_prot_allowed && !r.strict_devmem &&
        !devmem_range_walk(k, r, pgoff, size))
        return -EINVAL;
    return 0;
}

MemMinor mem_minor() {
    return MemMinor{1, "mem",
                    [](const DeviceKernel& k) {
                        return devmem_rules(const_cast<DeviceKernel&>(k)).mem_present;
                    },
                    [](const DeviceKernel& k) {
                        return devmem_rules(const_cast<DeviceKernel&>(k)).fop_unsigned_offset
                                   ? &kMemFopsUnsignedOffset
                                   : &kMemFops;
                    }};
}

} // namespace kmemu
