// KernelPageTables: init_mm's page tables (swapper_pg_dir), built at boot the way each arch's
// kernel builds them and stored in the machine's frames with the real entry bits, so a /dev/mem
// read of a page-table page shows what a real kernel has there (DESIGN.md decision 3).
//
// Boot (build_kernel_page_tables) runs between the layout and the page allocator: tables below
// the root come from Memblock (or from page-aligned symbols of the kernel image where the
// kernel has them statically), and every table frame is registered with
// PhysicalMemory::watch_frame. After boot, attach_page_allocator() makes new tables come from
// the buddy allocator (GFP_KERNEL | __GFP_ZERO), as pte_alloc_kernel and friends do.
//
// Per-arch builders live in kernel_pgtable_x86.cpp, kernel_pgtable_arm.cpp and
// kernel_pgtable_arm64.cpp; the per-version choices in kernel_pgtable_rules.cpp.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "mm/error.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/memblock.h"
#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/format.h"
#include "mm/paging/phys_table_memory.h"
#include "mm/paging/walk.h"
#include "mm/phys_memory.h"
#include "mm/ram_map.h"

namespace kmemu {

class PageAllocator;

// Memory type of a kernel mapping.
enum class CacheMode : u8 {
    WriteBack,    // normal RAM
    Uncached,     // ioremap / ioremap_nocache (x86 UC-, ARM device, arm64 Device-nGnRE)
    WriteCombine, // ioremap_wc / pgprot_writecombine
};

// An arch-neutral kernel protection; translated to PAGE_KERNEL* bits of the arch.
struct KernelProt {
    bool write = true;
    bool exec = false;
    CacheMode cache = CacheMode::WriteBack;
    bool operator==(const KernelProt&) const = default;
};
inline constexpr KernelProt kProtKernel{true, false, CacheMode::WriteBack};       // PAGE_KERNEL
inline constexpr KernelProt kProtKernelRO{false, false, CacheMode::WriteBack};    // _RO
inline constexpr KernelProt kProtKernelRX{false, true, CacheMode::WriteBack};     // _ROX / _RX
inline constexpr KernelProt kProtKernelExec{true, true, CacheMode::WriteBack};    // _EXEC
inline constexpr KernelProt kProtKernelNoCache{true, false, CacheMode::Uncached}; // _NOCACHE
inline constexpr KernelProt kProtKernelWC{true, false, CacheMode::WriteCombine};  // writecombine

// Per-version choices of the boot page-table code, decided once in kernel_pgtable_rules_for.
enum class X86EarlyTableAlloc : u8 {
    // 2.6.x: find_early_table_space puts the table area bottom-up in e820 RAM from 0x7000
    // (32-bit) / 0x8000 (64-bit); pages allocated after bootmem (pkmap) come from bootmem's
    // first fit above MAX_DMA_ADDRESS (16 MiB).
    E820BottomUp,
    // 3.0+: memblock top-down. 3.9+ (init_mem_mapping top-down) takes them from the top of the
    // range mapped so far, which ends at the end of lowmem (i386) / of RAM below 4 GiB first
    // (x86_64): kmemu uses that top for 3.0-3.8 too (approximation).
    MemblockTopDown,
};
enum class X86VsyscallMode : u8 {
    Native,  // <= 3.0: the vsyscall page is user-executable (PAGE_KERNEL_VSYSCALL)
    Emulate, // 3.1-5.7 default: mapped PAGE_KERNEL_VVAR (readable, NX; calls trap)
    XOnly,   // 5.8+ default (LEGACY_VSYSCALL_XONLY): not mapped in the page tables
};
enum class ArmEarlyAlloc : u8 {
    BootmemBottomUp, // < 2.6.38: alloc_bootmem_low_pages, first fit from the start of RAM
    MemblockTopDown, // 2.6.38+: early_alloc = memblock_alloc below the lowmem limit
};

struct KernelPgtableRules {
    // x86
    X86EarlyTableAlloc x86_early_alloc = X86EarlyTableAlloc::MemblockTopDown;
    bool x86_map_ram_only = true; // 3.9+: init_range_memory_mapping maps RAM ranges only
    X86VsyscallMode x86_vsyscall = X86VsyscallMode::XOnly;
    unsigned x86_fixmap_pmd_num = 2;   // static level1_fixmap_pgt pages (FIXMAP_PMD_NUM)
    bool x86_64_mark_rodata_ro = true; // image 2M pages end RO/NX per section (DEBUG_RODATA)
    // ARM
    ArmEarlyAlloc arm_early_alloc = ArmEarlyAlloc::MemblockTopDown;
    bool arm_text_rwx_data_rw = true;  // 3.14+: map_lowmem maps non-text lowmem MT_MEMORY_RW (XN)
    bool arm_vectors_two_pages = true; // 3.11+: vectors page + stubs page (early_alloc(2 pages))
    bool arm_fixmap_pte = true;        // 3.19+: kmap_init allocates the FIXADDR_START PTE table
    paging::ArmPteEra arm_pte_era = paging::ArmPteEra::V4;
    unsigned arm_domain_vectors = 3; // DOMAIN_VECTORS (4.3+), DOMAIN_USER = 1 before
    // arm64
    bool arm64_map_kernel_segments = true; // 4.6+: image mapped at KIMAGE_VADDR by map_kernel
    bool arm64_swapper_in_rodata = true;   // 4.18+: swapper_pg_dir before __init_begin
    bool arm64_table_uxn = true;           // kernel table entries carry UXNTable (5.11+)
    u8 arm64_mt_normal = 0;                // AttrIndx of MT_NORMAL (0 from 5.10, 4 before)
    u8 arm64_mt_normal_nc = 2;             // MT_NORMAL_NC (2 from 5.10, 3 before)
    u8 arm64_mt_device = 4;                // MT_DEVICE_nGnRE (4 from 5.10, 1 before)
};
[[nodiscard]] KernelPgtableRules kernel_pgtable_rules_for(KernelVersion version, Arch arch);

// Machine-level inputs that are not in the Layout.
struct KernelPgtableOptions {
    unsigned phys_bits = 36; // CPU MAXPHYADDR / PARange (MmuState::phys_bits)
    bool gbpages = false;    // x86_64 direct map with 1 GiB pages (QEMU's default CPU: no)
    bool highmem = false;    // 32-bit CONFIG_HIGHMEM (pkmap tables)
    unsigned va_bits = 48;   // arm64 VA_BITS
};

// What a lookup found at a virtual address.
struct KernelMapping {
    PhysAddr pa; // of the page containing va (the large page's matching 4K piece)
    u64 page_size = 0;
    paging::Permissions permissions;
    u64 leaf_raw = 0; // the leaf entry (ARM classic: the hardware L1/L2 entry)
};

class KernelPageTables {
  public:
    using TableAllocator = std::function<ErrorOr<PhysAddr>(u64 bytes)>;

    [[nodiscard]] const paging::PagingFormat& format() const { return *m_format; }
    [[nodiscard]] const paging::MmuState& mmu() const { return m_mmu; }
    [[nodiscard]] PhysAddr root_pa() const { return m_root_pa; }        // __pa(swapper_pg_dir)
    [[nodiscard]] VirtAddr swapper_pg_dir() const { return m_root_va; } // the symbol's address
    [[nodiscard]] const std::vector<Pfn>& table_frames() const { return m_frames; }
    // pkmap_page_table: the PTE table covering PKMAP_BASE (32-bit HIGHMEM; physical address of
    // the first Linux PTE, and the kernel pointer the kernel keeps).
    [[nodiscard]] std::optional<PhysAddr> pkmap_page_table() const { return m_pkmap_pte; }
    [[nodiscard]] const KernelPgtableRules& rules() const { return m_rules; }
    [[nodiscard]] paging::PhysTableMemory& table_memory() { return m_mem; }

    // After boot: new tables from the page allocator (GFP_KERNEL | __GFP_ZERO).
    void attach_page_allocator(PageAllocator& pa);

    // Map one base page (PAGE_SIZE of the machine) at va. New lower tables are allocated as
    // needed. Errors: va not page aligned, va inside a large (block/section) mapping, a page
    // already mapped there (the kernel BUG()s; kmemu refuses and changes nothing), or no
    // memory for a table (tables allocated before the failure stay, empty, as in the kernel).
    [[nodiscard]] ErrorOr<void> map_page(VirtAddr va, PhysAddr pa, KernelProt prot);
    // Clear the base-page entry at va; returns what was mapped, nullopt if nothing was. The
    // table itself stays (the kernel frees kernel PTE tables only in vunmap's teardown paths
    // that kmemu does not model). A large mapping there is an error.
    [[nodiscard]] ErrorOr<std::optional<KernelMapping>> unmap_page(VirtAddr va);
    // Inspection walk (changes nothing).
    [[nodiscard]] ErrorOr<paging::WalkRecord>
    walk(VirtAddr va, paging::AccessType type = paging::AccessType::Read);
    [[nodiscard]] ErrorOr<std::optional<KernelMapping>> lookup(VirtAddr va);

    // --- used by the per-arch builders -------------------------------------------------
    KernelPageTables(const Layout& layout, PhysicalMemory& phys, KernelPgtableRules rules,
                     const paging::PagingFormat& fmt);
    // A table frame that already exists (in the image); zero it and watch it.
    void adopt_table(PhysAddr pa, u64 bytes);
    // A new table of `bytes` from the current allocator, zeroed and watched.
    [[nodiscard]] ErrorOr<PhysAddr> new_table(u64 bytes);
    void set_table_allocator(TableAllocator a) { m_alloc = std::move(a); }
    void set_root(PhysAddr pa, VirtAddr va) {
        m_root_pa = pa;
        m_root_va = va;
    }
    paging::MmuState& mmu_mut() { return m_mmu; }
    void set_pkmap_page_table(PhysAddr pa) { m_pkmap_pte = pa; }
    [[nodiscard]] const Layout& layout() const { return m_layout; }
    [[nodiscard]] PhysicalMemory& phys() { return m_phys; }

    // Generic tree writer (x86, LPAE, arm64): install a leaf for [va, va + size of level
    // `leaf_level`'s entry) with the raw value, creating tables above it. Starts at the table
    // the MMU would use for va (TTBR1 for the kernel half).
    [[nodiscard]] ErrorOr<void> set_leaf(VirtAddr va, unsigned leaf_level, u64 raw);
    // The table that holds the entry for va at `level`, creating the tables above.
    [[nodiscard]] ErrorOr<PhysAddr> table_for(VirtAddr va, unsigned level);
    // Point the entry for va at `level` at an existing table (static tables of the image).
    [[nodiscard]] ErrorOr<void> link_table(VirtAddr va, unsigned level, PhysAddr table);
    [[nodiscard]] u64 entry_index(VirtAddr va, unsigned level) const;
    // Map [va, va + size) to [pa, ...) with the biggest leaf of at most max_leaf bytes that
    // alignment allows at each step (split_mem_range's head/large/tail split; memblock's
    // block mapping on ARM). prot_for gives each leaf's protection from its va and size.
    using ProtFor = std::function<KernelProt(VirtAddr va, u64 leaf_size)>;
    [[nodiscard]] ErrorOr<void> map_range(VirtAddr va, PhysAddr pa, u64 size, u64 max_leaf,
                                          const ProtFor& prot_for);

    // Arch encoders, set by the builder.
    std::function<u64(unsigned level, PhysAddr table)> encode_table;
    std::function<u64(unsigned level, PhysAddr pa, KernelProt prot)> encode_leaf;
    // Bytes of a table at `level` (the page the kernel allocates for it).
    std::function<u64(unsigned level)> table_alloc_bytes;

    // ARM classic only: Linux PTE for a kernel page (the MT_MEMORY-style prot_pte bits).
    std::function<u32(PhysAddr pa, KernelProt prot)> arm_linux_pte;
    // The PTE page for va, created with L1 prot `prot_l1` if missing (early_pte_alloc).
    [[nodiscard]] ErrorOr<PhysAddr> arm_pte_page_for(VirtAddr va, u32 prot_l1);
    [[nodiscard]] ErrorOr<void> arm_set_kernel_pte(VirtAddr va, u32 linux_pte, u32 prot_l1);
    u32 arm_kernel_table_prot = 0; // _PAGE_KERNEL_TABLE

  private:
    [[nodiscard]] unsigned first_level_for(VirtAddr va, PhysAddr& table) const;
    [[nodiscard]] u64 entry_address(u64 raw, unsigned level, int kind) const;
    [[nodiscard]] int kind_of(u64 raw, unsigned level) const;

    Layout m_layout;
    PhysicalMemory& m_phys;
    paging::PhysTableMemory m_mem;
    KernelPgtableRules m_rules;
    const paging::PagingFormat* m_format;
    paging::MmuState m_mmu;
    PhysAddr m_root_pa;
    VirtAddr m_root_va;
    std::vector<Pfn> m_frames;
    std::optional<PhysAddr> m_pkmap_pte;
    TableAllocator m_alloc;
    // table_for's last answer per level: tables are never freed, so it cannot go stale.
    struct TableCache {
        u64 key = ~u64{0};
        PhysAddr table;
    };
    std::array<TableCache, 5> m_cache{};
};

// Build init_mm's tables for the layout's arch and version. Allocates from `memblock` (whose
// reservations must already include the image and low pages) and reserves what it uses there.
[[nodiscard]] ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables(const Layout& layout, const KernelProfile& profile, const RamMap& ram,
                         const KernelPgtableOptions& options, PhysicalMemory& phys,
                         Memblock& memblock);

// Per-arch builders (kernel_pgtable_<arch>.cpp).
[[nodiscard]] ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_x86(const Layout& layout, const KernelPgtableRules& rules,
                             const RamMap& ram, const KernelPgtableOptions& options,
                             PhysicalMemory& phys, Memblock& memblock);
[[nodiscard]] ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_arm(const Layout& layout, const KernelPgtableRules& rules,
                             const RamMap& ram, const KernelPgtableOptions& options,
                             PhysicalMemory& phys, Memblock& memblock);
[[nodiscard]] ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_arm64(const Layout& layout, const KernelPgtableRules& rules,
                               const RamMap& ram, const KernelPgtableOptions& options,
                               PhysicalMemory& phys, Memblock& memblock);

} // namespace kmemu
