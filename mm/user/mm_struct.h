// MmStruct: one user address space (struct mm_struct): its page tables in the machine's frames,
// its MMU (software TLB over those tables), its VMAs, the mmap layout, the anonymous fault path
// and the user accesses a process makes. It implements UserAccess for the kernel's uaccess
// routines (mm/uaccess.h).
//
// A process made by kmemu starts empty: no ELF image, no [stack], no vDSO. So its first
// mmap(NULL, 4096) on x86_64 (8 MiB RLIMIT_STACK, no randomisation) is mmap_base - 4096 =
// 0x7ffff7ffe000, where an exec'd process gets 0x7ffff7ff8000 below [vvar][vdso]
// (kernel-semantics §4.6, §7.2 case 102). Layouts are never randomised (PF_RANDOMIZE unset).
//
// Kernel-facing calls (mmap_anonymous, munmap, mprotect, get_unmapped_area) return what the
// kernel returns: an address or a negative errno. Errors change nothing, except where the
// kernel itself leaves partial work (munmap/mprotect of a range with holes, as noted).
//
// Lifetime: everything in MmDeps outlives the MmStruct. Destruction is exit_mmap: every page,
// every page table and the pgd go back to the page allocator.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "mm/kernel_pgtable.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/mmu/address_space_mmu.h"
#include "mm/page_alloc.h"
#include "mm/phys_memory.h"
#include "mm/uaccess.h"
#include "mm/user/fault.h"
#include "mm/user/mman.h"
#include "mm/user/user_mm_rules.h"
#include "mm/user/user_pgtable.h"
#include "mm/user/user_pte.h"
#include "mm/user/user_signal.h"
#include "mm/user/vm_area.h"
#include "mm/user/vm_ops.h"

namespace kmemu {

// What an address space needs from its machine (Machine::mm_deps() gathers them).
struct MmDeps {
    const Layout& layout;
    const KernelProfile& profile;
    PhysicalMemory& phys;
    PageAllocator& pages;
    mmu::MmuRegistry& mmus;
    KernelPageTables& kernel_tables;
    Pfn zero_page; // ZERO_PAGE(0): empty_zero_page_pfn() (mm/user/zero_page.h)
};

// The task settings the layout depends on.
struct MmOptions {
    u64 rlimit_stack = 8 * MiB;    // RLIMIT_STACK soft limit; kRlimInfinity = unlimited
    bool legacy_va_layout = false; // vm.legacy_va_layout or ADDR_COMPAT_LAYOUT personality
    u64 mmap_min_addr = 4096;      // vm.mmap_min_addr (CONFIG_DEFAULT_MMAP_MIN_ADDR default)
    u64 max_map_count = 65530;     // vm.max_map_count (DEFAULT_MAX_MAP_COUNT)
    bool cap_sys_rawio = false;    // mappings below mmap_min_addr allowed (cap_mmap_addr)
};
inline constexpr u64 kRlimInfinity = ~u64{0};

// What do_mmap needs to know of the file it maps (the VFS fills it in, devices/vfs/vfs_mmap).
struct MmapFile {
    struct file* file = nullptr;
    bool readable = false; // FMODE_READ
    bool writable = false; // FMODE_WRITE
    // file_mmap_size_max (4.17+): 0 = unlimited (FMODE_UNSIGNED_OFFSET files such as /dev/mem),
    // else the largest byte offset a mapping may reach (ULONG_MAX for other char devices).
    u64 max_size = 0;
    // f_op->mmap (empty: the file has none, -ENODEV).
    std::function<int(vm_area_struct& vma)> mmap;
    // f_op->get_unmapped_area, when the file has one.
    std::function<i64(u64 addr, u64 len, unsigned long pgoff, int flags)> get_unmapped_area;
};

class MmStruct final : public mm_struct, public UserAccess {
  public:
    [[nodiscard]] static ErrorOr<std::unique_ptr<MmStruct>> create(const MmDeps& deps,
                                                                   const MmOptions& options = {});
    ~MmStruct() override;
    MmStruct(const MmStruct&) = delete;
    MmStruct& operator=(const MmStruct&) = delete;
    // vma->vm_mm back to the MmStruct (nullptr stays nullptr).
    [[nodiscard]] static MmStruct* from(mm_struct* mm) { return static_cast<MmStruct*>(mm); }

    // --- layout ----------------------------------------------------------------------------
    [[nodiscard]] const UserMmRules& rules() const { return m_rules; }
    [[nodiscard]] const MmOptions& options() const { return m_options; }
    [[nodiscard]] u64 task_size() const { return m_rules.task_size; }
    [[nodiscard]] u64 mmap_base() const { return m_mmap_base; } // mm->mmap_base
    [[nodiscard]] bool topdown() const { return m_topdown; }    // arch_pick_mmap_layout's choice
    [[nodiscard]] u64 page_size() const { return u64{1} << m_rules.page_shift; }
    // Capability changes of the owning process (cap_mmap_addr).
    void set_cap_sys_rawio(bool on) { m_options.cap_sys_rawio = on; }
    // mm->start_brk / brk / start_stack: what /proc/<pid>/maps names [heap] and [stack] by.
    void set_brk(VirtAddr start_brk, VirtAddr brk) {
        m_start_brk = start_brk;
        m_brk = brk;
    }
    void set_start_stack(VirtAddr start_stack) { m_start_stack = start_stack; }
    [[nodiscard]] VirtAddr start_brk() const { return m_start_brk; }
    [[nodiscard]] VirtAddr brk() const { return m_brk; }
    [[nodiscard]] VirtAddr start_stack() const { return m_start_stack; }

    // --- VMAs ------------------------------------------------------------------------------
    // find_vma: the first VMA with vm_end > addr (it may start above addr), or nullptr.
    [[nodiscard]] vm_area_struct* find_vma(VirtAddr addr);
    [[nodiscard]] const vm_area_struct* find_vma(VirtAddr addr) const;
    // mm->mmap: the lowest VMA; follow vm_next.
    [[nodiscard]] vm_area_struct* first_vma();
    [[nodiscard]] const vm_area_struct* first_vma() const;
    [[nodiscard]] std::vector<const vm_area_struct*> vmas() const;
    [[nodiscard]] u64 map_count() const { return m_vmas.size(); }
    // x86_64's vsyscall page (get_gate_vma): not in the VMA list, shown last in maps.
    [[nodiscard]] std::optional<vm_area_struct> gate_vma() const;

    // --- the mmap family (kernel-facing) ----------------------------------------------------
    // get_unmapped_area for an anonymous mapping (no file): the address or -ENOMEM / -EINVAL
    // / -EPERM.
    [[nodiscard]] i64 get_unmapped_area(VirtAddr addr, u64 len, unsigned long pgoff, int flags);
    // do_mmap for MAP_PRIVATE | MAP_ANONYMOUS (+ MAP_FIXED, MAP_FIXED_NOREPLACE 4.17+,
    // MAP_GROWSDOWN, MAP_NORESERVE, MAP_POPULATE, MAP_LOCKED): the address or -errno. Without
    // MAP_ANONYMOUS: -EBADF (what mmap(fd = -1) gives). MAP_SHARED anonymous memory needs
    // shmem (a file of the VFS): -EINVAL here.
    [[nodiscard]] i64 mmap_anonymous(VirtAddr addr, u64 len, int prot, int flags);
    // do_mmap + mmap_region for a file (kernel-semantics §4.5 steps 2-12): the address or
    // -errno. The VMA exists (with vm_file held) while the file's mmap runs; if that fails,
    // whatever it mapped is zapped and the VMA discarded without ->close.
    [[nodiscard]] i64 mmap_file(VirtAddr addr, u64 len, int prot, int flags, unsigned long pgoff,
                                const MmapFile& file);
    // How VMAs hold their file (the VFS's get_file / fput).
    void set_file_refs(FileRefOps ops) { m_file_refs = ops; }
    // do_munmap: 0, -EINVAL (unaligned addr, len 0, outside TASK_SIZE) or -ENOMEM (a split
    // that would exceed max_map_count).
    [[nodiscard]] int munmap(VirtAddr addr, u64 len);
    // mprotect: 0, -EINVAL, -ENOMEM (a hole: the part before it is already changed, as in the
    // kernel) or -EACCES (beyond VM_MAY*). PTEs keep their write-protection until a write
    // fault (the pre-6.0 rule; 6.0+'s pte_mkwrite upgrade is not modelled).
    [[nodiscard]] int mprotect(VirtAddr addr, u64 len, int prot);

    // --- the fault path ---------------------------------------------------------------------
    // handle_mm_fault for an address inside `vma`: VM_FAULT_* bits (0 = resolved).
    [[nodiscard]] vm_fault_t handle_mm_fault(vm_area_struct& vma, VirtAddr address, unsigned flags);
    // For fault handlers and remap helpers: install a PTE (with the arch's user bits) for
    // the page-aligned user address; -EBUSY when one is there, -ENOMEM without a table page.
    [[nodiscard]] int install_pte(VirtAddr address, u64 pte);

    // --- what drivers call from mmap and ->fault (mm/user/remap.cpp) -----------------------
    // remap_pfn_range (kernel-semantics §4.1): 0, -EINVAL, -ENOMEM, -EBUSY (a PTE already
    // there: a kernel BUG, refused here).
    [[nodiscard]] int remap_pfn_range(vm_area_struct& vma, u64 addr, Pfn pfn, u64 size,
                                      pgprot_t prot);
    // vm_insert_page (§4.2): 0, -EFAULT, -EINVAL, -ENOMEM, -EBUSY.
    [[nodiscard]] int vm_insert_page(vm_area_struct& vma, u64 addr, page* p);
    // vmf_insert_pfn: VM_FAULT_NOPAGE (also when a PTE is there), VM_FAULT_OOM, VM_FAULT_SIGBUS.
    [[nodiscard]] vm_fault_t vmf_insert_pfn(vm_area_struct& vma, u64 addr, Pfn pfn);

    // --- user-mode accesses (the process's own loads and stores) ----------------------------
    template <mmu::MmuScalar T>
    UserResult<T> user_load(VirtAddr va);
    template <mmu::MmuScalar T>
    UserResult<void> user_store(VirtAddr va, T value);
    UserBulkResult user_read(VirtAddr va, std::span<u8> out);
    UserBulkResult user_write(VirtAddr va, std::span<const u8> in);

    // --- UserAccess (supervisor accesses to the user half) ---------------------------------
    [[nodiscard]] bool access_ok(VirtAddr addr, u64 size) const override;
    u64 raw_copy_to_user(VirtAddr to, std::span<const u8> from) override;
    u64 raw_copy_from_user(std::span<u8> to, VirtAddr from) override;
    u64 raw_clear_user(VirtAddr to, u64 n) override;
    bool raw_put_user(VirtAddr to, const u8* bytes, unsigned size) override;
    bool raw_get_user(u8* bytes, VirtAddr from, unsigned size) override;

    // --- inspection --------------------------------------------------------------------------
    [[nodiscard]] mmu::AddressSpaceMmu& mmu() { return *m_mmu; }
    [[nodiscard]] UserPageTables& page_tables() { return *m_tables; }
    [[nodiscard]] const UserPteFormat& pte_format() const { return m_ptes; }
    [[nodiscard]] Pfn zero_pfn() const { return m_zero_pfn; }
    // The Linux PTE for va, or nullopt when no PTE table covers it (changes nothing).
    [[nodiscard]] ErrorOr<std::optional<u64>> pte_at(VirtAddr va);
    // An inspection walk of va as a user read would do it (changes nothing).
    [[nodiscard]] ErrorOr<paging::WalkRecord> walk(VirtAddr va);
    // vm_normal_page for inspections (/proc/PID/pagemap, smaps): the struct page behind a
    // present pte of vma, or nullptr for the zero page, raw PFNs and frames without a struct
    // page. Changes nothing.
    [[nodiscard]] const page* normal_page(const vm_area_struct& vma, VirtAddr address, u64 pte) {
        return vm_normal_page(vma, address.get(), pte);
    }
    // PageAnon: p is an anonymous page of this mm.
    [[nodiscard]] bool page_anon(const page* p) const {
        return p != nullptr && m_anon_pfns.contains(page_to_pfn(p).get());
    }
    // MM_ANONPAGES / MM_FILEPAGES counters (rss).
    [[nodiscard]] u64 anon_rss() const { return m_anon_rss; }
    [[nodiscard]] u64 file_rss() const { return m_file_rss; }

  private:
    MmStruct(const MmDeps& deps, const MmOptions& options, const UserMmRules& rules,
             const UserPteFormat& ptes);

    // VMA list (mm_struct.cpp).
    vm_area_struct* insert_vma(const vm_area_struct& v);
    void remove_vma(vm_area_struct* vma);
    // remove_vma of munmap and exit: ->close, fput, then out of the list.
    void free_vma(vm_area_struct* vma);
    void drop_failed_vma(vm_area_struct* vma); // mmap_region's error path: no ->close
    enum class NewBelow : bool { No, Yes };
    vm_area_struct* split_vma(vm_area_struct* vma, u64 addr, NewBelow below);
    vm_area_struct* vma_merge(vm_area_struct* prev, u64 addr, u64 end, unsigned long flags,
                              unsigned long pgoff);
    vm_area_struct* merge_neighbours(vm_area_struct* vma);
    [[nodiscard]] bool flags_mergeable(unsigned long a, unsigned long b) const;
    [[nodiscard]] vm_area_struct* prev_of(u64 addr);
    void pick_mmap_layout();

    // mmap.cpp
    [[nodiscard]] bool range_free(u64 addr, u64 len) const;
    [[nodiscard]] std::optional<u64> search_topdown(u64 len, u64 low, u64 high) const;
    [[nodiscard]] std::optional<u64> search_bottomup(u64 len, u64 low, u64 high) const;
    [[nodiscard]] bool enough_memory(u64 pages) const;
    void zap_range(const vm_area_struct& vma, u64 start, u64 end);
    int do_munmap(u64 start, u64 len);
    void populate(u64 start, u64 end);
    [[nodiscard]] i64 mmap_checks(u64& addr, u64& len, int& flags, unsigned long pgoff,
                                  const MmapFile* file);

    // fault.cpp
    vm_fault_t do_anonymous_page(vm_area_struct& vma, const PteSlot& slot, u64 address,
                                 unsigned flags);
    vm_fault_t do_wp_page(vm_area_struct& vma, const PteSlot& slot, u64 address, u64 pte);
    vm_fault_t do_vm_ops_fault(vm_area_struct& vma, const PteSlot& slot, u64 address,
                               u64 real_address, unsigned flags);
    [[nodiscard]] page* vm_normal_page(const vm_area_struct& vma, u64 address, u64 pte);
    void anon_vma_prepare(vm_area_struct& vma);
    bool expand_stack(vm_area_struct& vma, u64 address);
    // do_page_fault's user-address part: nullopt when the access may be retried.
    std::optional<UserSignal> fault_in(VirtAddr address, paging::AccessType type, bool user);
    [[nodiscard]] page* alloc_user_page(bool zeroed);
    void copy_frame(Pfn to, Pfn from);

    // user_access.cpp
    std::optional<UserSignal> user_fault(const mmu::MmuFault& f);
    bool kernel_fault_resolves(const mmu::MmuFault& f, u64& last_va, unsigned& repeats);

    const Layout& m_layout;
    const KernelProfile& m_profile;
    PhysicalMemory& m_phys;
    PageAllocator& m_pages;
    mmu::MmuRegistry& m_mmus;
    KernelPageTables& m_kernel_tables;
    Pfn m_zero_pfn;
    MmOptions m_options;
    UserMmRules m_rules;
    UserPteFormat m_ptes;
    std::unique_ptr<UserPageTables> m_tables;
    std::unique_ptr<mmu::AddressSpaceMmu> m_mmu;
    std::map<u64, std::unique_ptr<vm_area_struct>> m_vmas; // by vm_start
    u64 m_mmap_base = 0;
    bool m_topdown = true;
    VirtAddr m_start_brk, m_brk, m_start_stack;
    u64 m_anon_rss = 0;
    u64 m_file_rss = 0;
    unsigned long m_next_anon_vma = 1;
    std::unordered_set<u64> m_anon_pfns; // pages this mm allocated as anonymous (PageAnon)
    FileRefOps m_file_refs;
};

} // namespace kmemu
