// The helpers /dev/mem and /dev/kmem share (drivers/char/mem.c and the arch hooks it calls):
// the per-machine DevmemRules, memory_lseek, open_mem, size_inside_page, valid_phys_addr_range,
// devmem_is_allowed / page_is_allowed / range_is_allowed, should_stop_iteration, the
// xlate_dev_mem_ptr accesses, the bounce page and the user copies of the current task.
#pragma once

#include <span>
#include <vector>

#include "devices/device_kernel.h"
#include "devices/mem/devmem_rules.h"
#include "devices/vfs/fs.h"

namespace kmemu {

class UserAccess;

// The machine's rules, computed on first use.
[[nodiscard]] const DevmemRules& devmem_rules(DeviceKernel& kernel);

// memory_lseek (mem, kmem, port): SEEK_SET / SEEK_CUR with the era's EOVERFLOW window.
loff_t memory_lseek(struct file* f, loff_t offset, int whence);
// open_mem = open_kmem = open_port: CAP_SYS_RAWIO, then (5.4+) lockdown. 0 or -EPERM.
int open_mem(struct inode* node, struct file* f);

// size_inside_page(start, size): bytes to the end of start's page, at most size.
[[nodiscard]] u64 size_inside_page(u64 start, u64 size, u64 page_size);
// valid_phys_addr_range(addr, count) of the arch and version.
[[nodiscard]] bool valid_phys_addr_range(DeviceKernel& k, const DevmemRules& r, u64 addr,
                                         u64 count);
// valid_mmap_phys_addr_range(pfn, size).
[[nodiscard]] bool valid_mmap_phys_addr_range(const DevmemRules& r, u64 pfn, u64 size);
// devmem_is_allowed(pfn) of the arch and version: 0 refuse, 1 allow, 2 read zeros.
[[nodiscard]] int devmem_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn);
// page_is_allowed(pfn): devmem_is_allowed with STRICT_DEVMEM, else 1.
[[nodiscard]] int page_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn);
// range_is_allowed(pfn, size): the pages from pfn covering [pfn << PAGE_SHIFT, + size) all
// give non-zero (2 counts as allowed); always true without STRICT_DEVMEM.
[[nodiscard]] bool range_is_allowed(DeviceKernel& k, const DevmemRules& r, u64 pfn, u64 size);
// The walk itself (for mmap's phys_mem_access_prot_allowed on x86 without STRICT_DEVMEM).
[[nodiscard]] bool devmem_range_walk(DeviceKernel& k, const DevmemRules& r, u64 pfn, u64 size);
// should_stop_iteration() (5.4+ fatal signals, 5.19+ any signal).
[[nodiscard]] bool should_stop_iteration(const DevmemRules& r);

// xlate_dev_mem_ptr + a copy of bytes within one page: RAM and MMIO through PhysicalMemory (so
// device models see the accesses); a hole, where the bus answers nothing, reads as all-ones and
// swallows writes (what an x86 PCI master abort gives; the kernel's ioremap of it succeeds).
void devmem_phys_read(DeviceKernel& k, u64 phys, std::span<u8> out);
void devmem_phys_write(DeviceKernel& k, u64 phys, std::span<const u8> in);

// The current task's user address space; nullptr in kernel context (every copy then fails).
[[nodiscard]] UserAccess* current_user_mm();
// copy_to_user / copy_from_user / clear_user of the current task: bytes NOT done.
[[nodiscard]] u64 user_copy_to(VirtAddr to, std::span<const u8> from);
[[nodiscard]] u64 user_copy_from(std::span<u8> to, VirtAddr from);
[[nodiscard]] u64 user_clear(VirtAddr to, u64 n);

// A bounce page from the page allocator (__get_free_page(GFP_KERNEL); read_mem's kmalloc of
// PAGE_SIZE is served from the page allocator here too). The bytes live in `data`; the page is
// held so that the allocation can fail (fault injection) and the ledger sees it. Freed on
// destruction.
class BouncePage {
  public:
    BouncePage(DeviceKernel& k, u64 page_size);
    ~BouncePage();
    BouncePage(const BouncePage&) = delete;
    BouncePage& operator=(const BouncePage&) = delete;
    [[nodiscard]] bool ok() const { return m_page.get() != 0; }
    [[nodiscard]] std::span<u8> data() { return {m_data.data(), m_data.size()}; }

  private:
    DeviceKernel& m_kernel;
    VirtAddr m_page;
    std::vector<u8> m_data;
};

} // namespace kmemu
