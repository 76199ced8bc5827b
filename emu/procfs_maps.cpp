#include "emu/procfs_maps.h"

#include <algorithm>

namespace kmemu {

namespace {

// pad_len_spaces (<= 4.x) / seq_setwidth + seq_pad (4.x+): the name starts at column
// 25 + 6 * sizeof(void *), or one space after a longer header.
void pad_to_name(std::string& line, unsigned word_bits) {
    const u64 column = 25 + 6 * (word_bits / 8);
    const u64 spaces = line.size() + 1 >= column ? 1 : column - line.size();
    line.append(spaces, ' ');
}

// vma_stack_continue: the VMA below is a stack that ends where this one starts.
bool stack_continues(const vm_area_struct* prev, u64 addr) {
    return prev != nullptr && prev->vm_end == addr && (prev->vm_flags & VM_GROWSDOWN);
}

} // namespace

std::string render_maps_line(const MmStruct& mm, const vm_area_struct& vma,
                             const MapsSources& sources) {
    const UserMmRules& r = mm.rules();
    const unsigned long flags = vma.vm_flags;
    std::optional<MapsFileInfo> file;
    if (vma.vm_file != nullptr && sources.file)
        file = sources.file(vma);
    // The offset: vm_pgoff << PAGE_SHIFT for files (and for every VMA up to 2.6.27, in an
    // unsigned long then).
    u64 offset = 0;
    if (vma.vm_file != nullptr || r.maps_anon_shows_pgoff) {
        offset = u64{vma.vm_pgoff} << r.page_shift;
        if (r.maps_anon_shows_pgoff && r.word_bits == 32)
            offset &= 0xffffffffu;
    }
    // 2.6.32 - 3.9: the guard page at the bottom of a stack is not shown (show_map_vma).
    u64 start = vma.vm_start;
    if (r.stack_guard_page && (flags & VM_GROWSDOWN) && !stack_continues(vma.vm_prev, vma.vm_start))
        start += mm.page_size();
    std::string line = fmt::format(
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ", start, vma.vm_end,
        (flags & VM_READ) ? 'r' : '-', (flags & VM_WRITE) ? 'w' : '-',
        (flags & VM_EXEC) ? 'x' : '-', (flags & VM_MAYSHARE) ? 's' : 'p', offset,
        file ? file->dev_major : 0u, file ? file->dev_minor : 0u, file ? file->inode : u64{0});

    std::optional<std::string> name;
    if (file) {
        name = file->path;
    } else if (vma.vm_file == nullptr) {
        const auto gate = mm.gate_vma();
        if (gate && gate->vm_start == vma.vm_start && gate->vm_end == vma.vm_end)
            name = "[vsyscall]";
        else if (sources.vma_name)
            name = sources.vma_name(vma);
        if (!name) {
            const u64 start_brk = mm.start_brk().get(), brk = mm.brk().get();
            const u64 stack = mm.start_stack().get();
            const bool heap = r.maps_heap_old_test
                                  ? (vma.vm_start <= start_brk && vma.vm_end >= brk)
                                  : (vma.vm_start <= brk && vma.vm_end >= start_brk);
            if (heap)
                name = "[heap]";
            else if (vma.vm_start <= stack && vma.vm_end >= stack)
                name = "[stack]";
        }
    }
    if (name) {
        pad_to_name(line, r.word_bits);
        line += *name;
    }
    line += '\n';
    return line;
}

std::string render_proc_maps(const MmStruct& mm, const MapsSources& sources) {
    std::string out;
    for (const vm_area_struct* v = mm.first_vma(); v != nullptr; v = v->vm_next)
        out += render_maps_line(mm, *v, sources);
    // m_next: the gate VMA comes after the last VMA.
    if (const auto gate = mm.gate_vma())
        out += render_maps_line(mm, *gate, sources);
    return out;
}

} // namespace kmemu
