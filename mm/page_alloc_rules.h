// Per-version rules of the page allocator (orders, page flags, memory model): its part of
// KernelProfile.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"

namespace kmemu {

struct PageAllocRules {
    KernelVersion version;
    unsigned nr_orders = 11; // orders 0 .. nr_orders-1 (MAX_ORDER, later NR_PAGE_ORDERS)
};

[[nodiscard]] PageAllocRules page_alloc_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
