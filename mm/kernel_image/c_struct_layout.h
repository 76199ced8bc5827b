// CStructLayout: offsets of a C struct laid out field by field with an ABI's alignment rules,
// for the kernel structures kmemu writes into kernel memory (init_mm, vm_struct, vmap_area).
// Words (unsigned long, pointers) are 4 or 8 bytes and aligned to their size; a u64 is 8 bytes
// aligned to 4 inside structs on i386 (SysV i386 ABI) and to 8 elsewhere (ARM EABI, 64-bit).
#pragma once

#include <algorithm>

#include "mm/arch.h"
#include "mm/types.h"

namespace kmemu {

class CStructLayout {
  public:
    explicit CStructLayout(Arch arch)
        : m_word(is_32bit(arch) ? 4 : 8),
          m_u64_align((arch == Arch::I386 || arch == Arch::I386Pae) ? 4 : 8) {}

    u32 field(u32 bytes, u32 align) {
        m_off = static_cast<u32>(align_up(m_off, align));
        const u32 at = m_off;
        m_off += bytes;
        m_align = std::max(m_align, align);
        return at;
    }
    u32 word() { return field(m_word, m_word); }           // unsigned long, pointers
    u32 words(u32 n) { return field(n * m_word, m_word); } // rb_node, list_head, rcu_head
    u32 u32_field() { return field(4, 4); }                // int, atomic_t, unsigned int
    u32 u64_field() { return field(8, m_u64_align); }      // u64, 64-bit phys_addr_t
    // A member aligned beyond its own type (____cacheline_aligned): starts a new block.
    void align_to(u32 align) {
        m_off = static_cast<u32>(align_up(m_off, align));
        m_align = std::max(m_align, align);
    }
    [[nodiscard]] u32 offset() const { return m_off; }
    [[nodiscard]] u32 size() const { return static_cast<u32>(align_up(m_off, m_align)); }
    [[nodiscard]] unsigned word_bytes() const { return m_word; }

  private:
    unsigned m_word;
    unsigned m_u64_align;
    u32 m_off = 0;
    u32 m_align = 1;
};

} // namespace kmemu
