// KernelSymbols: the kernel image's symbol table, the one /proc/kallsyms lists. Section markers
// come from the Layout's KernelImage; variables and a few functions are placed at fixed,
// aligned offsets inside the section the kernel puts them in, so every machine with the same
// config has the same table (DESIGN.md decision 8). kmemu's own choice of offsets stands in for
// the link of one real build; the section, the alignment and the nm letter are the kernel's.
//
// Invariant: sorted() is in kallsyms order (address, then fewer leading underscores, then
// name: scripts/kallsyms' compare_symbols over `nm -n` input) after every change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mm/error.h"
#include "mm/kernel_image/kernel_image_rules.h"
#include "mm/layout.h"

namespace kmemu {

struct KernelSymbol {
    std::string name;
    VirtAddr address;
    char type = 'T'; // nm letter: T/t text, R/r rodata, D/d data, B/b bss, A absolute
    PhysAddr phys;   // where the symbol's bytes are in physical memory
    u64 size = 0;    // bytes of the object kmemu keeps true (0: a marker or a function)
    bool operator==(const KernelSymbol&) const = default;
};

// Where the arch's linker script or head code puts the top-level kernel page table
// (PgdPlacement), so that the page-table builder and the symbol table agree.
[[nodiscard]] VirtAddr pgd_symbol_address(const KernelImage& image, u64 page_size,
                                          PgdPlacement placement, Arch arch);

class KernelSymbols {
  public:
    [[nodiscard]] static ErrorOr<KernelSymbols> build(const Layout& layout,
                                                      const KernelImageRules& rules);

    [[nodiscard]] const std::vector<KernelSymbol>& sorted() const { return m_symbols; }
    [[nodiscard]] const KernelSymbol* find(std::string_view name) const;
    // The top-level kernel page table's symbol: swapper_pg_dir, or x86_64's init_level4_pgt /
    // init_top_pgt that swapper_pg_dir is a macro for.
    [[nodiscard]] std::string_view pgd_name() const { return m_pgd_name; }

    // Move a symbol (the integrator makes swapper_pg_dir agree with the real page tables).
    // phys follows KernelImage::pa(address); the address must lie inside [_text, _end) or, for
    // a symbol below _text (ARM's swapper_pg_dir), in the image's physical RAM.
    ErrorOr<void> set_address(std::string_view name, VirtAddr address);
    // Same, with an explicit physical address for symbols whose bytes are not at pa(address).
    ErrorOr<void> set_address(std::string_view name, VirtAddr address, PhysAddr phys);
    // The bytes kmemu keeps true for a symbol (its writer knows them once the layout is known).
    ErrorOr<void> set_size(std::string_view name, u64 size);

  private:
    void sort();
    std::vector<KernelSymbol> m_symbols;
    std::string m_pgd_name;
    KernelImage m_image;
};

} // namespace kmemu
