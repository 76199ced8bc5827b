#include "mm/kernel_image/kernel_symbols.h"

#include <algorithm>

#include "mm/kernel_image/linux_banner.h"
#include "mm/kernel_pgtable.h"

namespace kmemu {

namespace {

// x86_64 up to 2.6.39: the vsyscall page is linked at VSYSCALL_ADDR (-10 MiB,
// arch/x86/include/asm/vsyscall.h); `.jiffies` follows vgetcpu_mode in its third quarter,
// cache-line aligned (vmlinux.lds.S). The offset is kmemu's (unverified against a System.map).
constexpr u64 kVsyscallAddr = 0xffffffffff600000;
constexpr u64 kVsyscallJiffiesOffset = 0x880;

// ARM head.S: PG_DIR_SIZE is 16 KiB for the short-descriptor first-level table, 20 KiB with
// LPAE (one page of pmds plus the 4 KiB pgd).
constexpr u64 kArmPgDirSize = 0x4000;
constexpr u64 kArmLpaePgDirSize = 0x5000;

unsigned leading_underscores(std::string_view name) {
    unsigned n = 0;
    while (n < name.size() && name[n] == '_')
        ++n;
    return n;
}

// Offset of a function inside a section: a fixed fraction (in 256ths) of the section, 16-byte
// aligned (-falign-functions=16 on x86; ARM and arm64 align less, 16 is still a valid address).
VirtAddr at_fraction(VirtAddr start, VirtAddr end, u64 num256) {
    u64 span = end.minus(start);
    return start.offset(align_down(span / 256 * num256, 16));
}

class Builder {
  public:
    explicit Builder(const Layout& l) : m_l(l) {}

    void add(std::string name, VirtAddr va, char type, u64 size = 0) {
        m_out.push_back({std::move(name), va, type, m_l.image.pa(va), size});
    }
    void add_at(std::string name, VirtAddr va, PhysAddr pa, char type, u64 size) {
        m_out.push_back({std::move(name), va, type, pa, size});
    }
    std::vector<KernelSymbol> take() { return std::move(m_out); }

  private:
    const Layout& m_l;
    std::vector<KernelSymbol> m_out;
};

} // namespace

VirtAddr pgd_symbol_address(const KernelImage& img, u64 page, PgdPlacement placement, Arch arch) {
    switch (placement) {
    case PgdPlacement::BssStart:
        return img.bss_start.align_up(page);
    case PgdPlacement::DataStart:
        return img.sdata.align_up(page);
    case PgdPlacement::BelowText: {
        // KERNEL_RAM_VADDR: _text, or _stext where .init is linked before .text.
        const VirtAddr kernel_ram_vaddr = std::min(img.text, img.stext);
        return kernel_ram_vaddr.offset_down(arch == Arch::ArmLpae ? kArmLpaePgDirSize
                                                                  : kArmPgDirSize);
    }
    case PgdPlacement::AfterBss:
        // <= 4.17 vmlinux.lds.S: the page tables after .bss; kmemu's swapper_pg_dir is the
        // last page before _end.
        return img.end.align_down(page).offset_down(page);
    case PgdPlacement::EndOfRodata:
        // 4.18+ vmlinux.lds.S: reserved_pg_dir, swapper_pg_dir, then __init_begin.
        return img.init_begin.align_down(page).offset_down(page);
    }
    return img.end;
}

ErrorOr<KernelSymbols> KernelSymbols::build(const Layout& layout, const KernelImageRules& rules) {
    const KernelImage& img = layout.image;
    if (!(img.stext < img.etext) || !(img.sdata < img.edata) || img.end < img.bss_stop ||
        !(img.start_rodata < img.end_rodata))
        return make_error(ErrorKind::Internal,
                          "kernel image sections are empty or out of order (_stext={:#x} "
                          "_etext={:#x} _sdata={:#x} _edata={:#x})",
                          img.stext.get(), img.etext.get(), img.sdata.get(), img.edata.get());
    const u64 page = layout.page_size();
    const u64 word = rules.word_bytes;
    Builder b(layout);

    // Section markers (vmlinux.lds.S). Text markers are in .text (T), rodata markers inside
    // .rodata (R), data/bss markers in .data/.bss; __init_begin/__init_end are placed between
    // output sections and take the data letter.
    b.add("_text", img.text, 'T');
    b.add("_stext", img.stext, 'T');
    b.add("_etext", img.etext, 'T');
    b.add("__start_rodata", img.start_rodata, 'R');
    b.add("__end_rodata", img.end_rodata, 'R');
    b.add("_sdata", img.sdata, 'D');
    b.add("_edata", img.edata, 'D');
    b.add("__init_begin", img.init_begin, 'D');
    b.add("__init_end", img.init_end, 'D');
    b.add("__bss_start", img.bss_start, 'B');
    b.add("__bss_stop", img.bss_stop, 'B');
    b.add("_end", img.end, 'B');

    // The top-level kernel page table.
    VirtAddr data_vars = img.sdata.align_up(page);
    VirtAddr bss_vars = img.bss_start.align_up(page);
    const VirtAddr pgd = pgd_symbol_address(img, page, rules.pgd_placement, rules.arch);
    // The variables come after the static page tables the builder puts there
    // (kernel_pgtable_x86.cpp): i386 swapper_pg_dir plus, with PAE, one swapper_pg_pmd page
    // per kernel GiB (at least two pages either way); x86_64 the head_64.S pages
    // init_top_pgt, [level4_kernel_pgt], level3_kernel_pgt, level2_kernel_pgt,
    // level2_fixmap_pgt, level1_fixmap_pgt[FIXMAP_PMD_NUM] and __vsyscall_page.
    const KernelPgtableRules pt = kernel_pgtable_rules_for(rules.version, rules.arch);
    if (rules.pgd_placement == PgdPlacement::BssStart) {
        const u64 kpmds = rules.arch == Arch::I386Pae ? 4 - (layout.page_offset.get() >> 30) : 0;
        bss_vars = bss_vars.offset(std::max<u64>(2, 1 + kpmds) * page);
    }
    if (rules.pgd_placement == PgdPlacement::DataStart) {
        const u64 la57 = rules.arch == Arch::X86_64La57 ? 1 : 0;
        data_vars = data_vars.offset((5 + la57 + pt.x86_fixmap_pmd_num) * page);
    }
    b.add(rules.pgd_name, pgd, rules.pgd_type);

    // .rodata: init/version.c is among the first objects linked, so linux_banner sits near
    // the start of .rodata.
    b.add("linux_banner", img.start_rodata.offset(0x100), 'R', linux_banner(rules).size() + 1);

    // .data: init_mm (mm/init-mm.c), jiffies_64 (__cacheline_aligned_in_smp, kernel/time),
    // totalram_pages (__read_mostly), vmap_area_list (LIST_HEAD, 3.10+).
    b.add("init_mm", data_vars, 'D');
    const VirtAddr jiffies64 = data_vars.offset(0x800);
    if (rules.jiffies_in_vsyscall) {
        // The vsyscall page's bytes are linked at the last whole page of .data (VLOAD).
        PhysAddr vsyscall_pa = img.pa(img.edata.align_down(page).offset_down(page));
        VirtAddr va(kVsyscallAddr + kVsyscallJiffiesOffset);
        PhysAddr pa = vsyscall_pa.offset(kVsyscallJiffiesOffset);
        // `jiffies_64 = jiffies;` — the alias points the other way on old x86_64.
        b.add_at("jiffies", va, pa, 'D', 8);
        b.add_at("jiffies_64", va, pa, 'D', 8);
    } else {
        // `jiffies = jiffies_64;` in vmlinux.lds.S: same address on little-endian; on 32-bit
        // jiffies is the low word.
        b.add("jiffies_64", jiffies64, 'D', 8);
        b.add("jiffies", jiffies64, 'D', word);
    }
    b.add(rules.totalram_name, data_vars.offset(0x840), 'D', word);
    // LIST_HEAD(vmap_area_list): a struct list_head (two words) kept by mm/vmalloc/vm_objects.
    if (rules.vmap_area_list_type)
        b.add("vmap_area_list", data_vars.offset(0x880), rules.vmap_area_list_type, 2 * word);

    // .bss: uninitialised globals (mm/memory.c high_memory; max_low_pfn/max_pfn of
    // mm/bootmem.c / mm/memblock.c; 2.6 vmlist; mm/vmalloc.c's static vmap_area_root).
    b.add("high_memory", bss_vars.offset(0x40), 'B', word);
    b.add("max_low_pfn", bss_vars.offset(0x80), 'B', word);
    b.add("max_pfn", bss_vars.offset(0xc0), 'B', word);
    if (rules.has_vmlist)
        b.add("vmlist", bss_vars.offset(0x100), 'B', word);
    if (rules.has_vmap_area_root)
        b.add("vmap_area_root", bss_vars.offset(0x140), 'b');

    // Functions. start_kernel is __init (.init.text); the rest are in .text.
    b.add("start_kernel", at_fraction(img.init_begin, img.init_end, 64), 'T');
    // .text proper starts at the later of _text and _stext (old ARM links .init between).
    const VirtAddr text = std::max(img.text, img.stext);
    b.add(rules.printk_name, at_fraction(text, img.etext, 12), 'T');
    b.add(rules.page_fault_name, at_fraction(text, img.etext, 20), rules.page_fault_type);
    b.add("__kmalloc", at_fraction(text, img.etext, 48), 'T');
    b.add("kfree", at_fraction(text, img.etext, 50), 'T');
    b.add("vmalloc", at_fraction(text, img.etext, 56), 'T');
    b.add("vfree", at_fraction(text, img.etext, 57), 'T');

    KernelSymbols t;
    t.m_symbols = b.take();
    t.m_pgd_name = rules.pgd_name;
    t.m_image = img;
    t.sort();
    return t;
}

void KernelSymbols::sort() {
    std::stable_sort(m_symbols.begin(), m_symbols.end(),
                     [](const KernelSymbol& a, const KernelSymbol& b) {
                         if (a.address != b.address)
                             return a.address < b.address;
                         unsigned ua = leading_underscores(a.name);
                         unsigned ub = leading_underscores(b.name);
                         if (ua != ub)
                             return ua < ub;
                         return a.name < b.name;
                     });
}

const KernelSymbol* KernelSymbols::find(std::string_view name) const {
    auto it = std::find_if(m_symbols.begin(), m_symbols.end(),
                           [&](const KernelSymbol& s) { return s.name == name; });
    return it == m_symbols.end() ? nullptr : &*it;
}

ErrorOr<void> KernelSymbols::set_address(std::string_view name, VirtAddr address) {
    // Allowed: the image itself, or up to 1 MiB below its lowest section (ARM's page
    // directory sits 16-20 KiB below KERNEL_RAM_VADDR).
    VirtAddr low = std::min({m_image.text, m_image.stext, m_image.init_begin});
    if (address < low.offset_down(1 * MiB) || !(address < m_image.end))
        return make_error(ErrorKind::InvalidConfig,
                          "symbol {} cannot move to {:#x}: kernel-image symbols must lie in "
                          "[{:#x}, {:#x}) (the image, or up to 1 MiB below _text)",
                          name, address.get(), low.offset_down(1 * MiB).get(), m_image.end.get());
    return set_address(name, address, m_image.pa(address));
}

ErrorOr<void> KernelSymbols::set_size(std::string_view name, u64 size) {
    auto it = std::find_if(m_symbols.begin(), m_symbols.end(),
                           [&](const KernelSymbol& s) { return s.name == name; });
    if (it == m_symbols.end())
        return make_error(ErrorKind::NotFound, "no kernel symbol named '{}'", name);
    it->size = size;
    return {};
}

ErrorOr<void> KernelSymbols::set_address(std::string_view name, VirtAddr address, PhysAddr phys) {
    auto it = std::find_if(m_symbols.begin(), m_symbols.end(),
                           [&](const KernelSymbol& s) { return s.name == name; });
    if (it == m_symbols.end())
        return make_error(ErrorKind::NotFound, "no kernel symbol named '{}'", name);
    it->address = address;
    it->phys = phys;
    sort();
    return {};
}

} // namespace kmemu
