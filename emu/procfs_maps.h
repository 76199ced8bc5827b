// /proc/<pid>/maps for an MmStruct, in the kernel's format (kernel-semantics §5.1;
// fs/proc/task_mmu.c show_map / show_map_vma, 2.6.11 .. 6.13):
//
//   <start>-<end> <r|-><w|-><x|-><s|p> <offset> <major>:<minor> <inode> [padding <name>]
//
// Addresses and the offset in lowercase hex of at least 8 digits, the device numbers in at
// least 2, the inode in decimal, then one space; a name starts at column 25 + 6 *
// sizeof(void *) of the kernel (73 on 64-bit, 49 on 32-bit), or one space later when the header
// is already that long. The 4th flag is 's' for VM_MAYSHARE. Anonymous VMAs show offset 0 and
// 00:00 0 (up to 2.6.27 the offset was vm_pgoff << PAGE_SHIFT for them too). Names: the file
// (from the VFS's callback), [heap] and [stack] by the mm's brk and start_stack, and on
// x86_64 the [vsyscall] gate VMA after the last VMA.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "mm/user/mm_struct.h"

namespace kmemu {

// What the VFS tells about a file-backed VMA: the path as seq_path prints it (with " (deleted)"
// for unlinked files, and `\n` escaped as `\012`), the superblock's device and the inode.
struct MapsFileInfo {
    std::string path;
    unsigned dev_major = 0;
    unsigned dev_minor = 0;
    u64 inode = 0;
};
using MapsFileLookup = std::function<std::optional<MapsFileInfo>(const vm_area_struct& vma)>;
// vm_ops->name (4.x+ special mappings, e.g. "[vdso]"): a name for an anonymous VMA, or nullopt.
using MapsVmaName = std::function<std::optional<std::string>(const vm_area_struct& vma)>;

struct MapsSources {
    MapsFileLookup file;  // for VMAs with vm_file; without it they print no name and 00:00 0
    MapsVmaName vma_name; // asked before [heap]/[stack]
};

// One line (ending in '\n') for vma of mm.
[[nodiscard]] std::string render_maps_line(const MmStruct& mm, const vm_area_struct& vma,
                                           const MapsSources& sources = {});
// The whole file.
[[nodiscard]] std::string render_proc_maps(const MmStruct& mm, const MapsSources& sources = {});

} // namespace kmemu
