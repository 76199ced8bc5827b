#include "mm/page_alloc_rules.h"

namespace kmemu {

PageAllocRules page_alloc_rules_for(KernelVersion version, Arch) {
    return PageAllocRules{version, 11};
}

} // namespace kmemu
