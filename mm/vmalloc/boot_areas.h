// The vmap areas a kernel registers before vmalloc_init (vm_area_add_early), which take their
// place in the vmalloc range and its lists like any other area.
//
// arm64 4.6+ (the image at the base of the vmalloc area, "arm64: move kernel image to base of
// vmalloc area"): map_kernel registers each image segment (map_kernel_segment): text, rodata,
// init with VM_NO_GUARD, data up to _end with a guard page, all VM_MAP, phys_addr = the
// segment's physical start. kmemu's image has one init segment (the kernel splits inittext /
// initdata); the segments are those the page-table builder maps (kernel_pgtable_arm64.cpp).
#pragma once

#include "mm/error.h"
#include "mm/kernel_version.h"
#include "mm/layout.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

ErrorOr<void> add_boot_vm_areas(VmapSpace& space, const Layout& layout, KernelVersion version);

} // namespace kmemu
