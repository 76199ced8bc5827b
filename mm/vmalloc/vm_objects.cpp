#include "mm/vmalloc/vm_objects.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "mm/slab/slab_geometry.h"

namespace kmemu {

namespace {

void put(std::vector<std::byte>& buf, u32 off, unsigned bytes, u64 value) {
    for (unsigned i = 0; i < bytes; ++i)
        buf[off + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff); // little-endian
}

// "%pS" text: "name", "name+0xoff" or "name+0xoff/0xsize".
std::pair<std::string_view, u64> split_caller(std::string_view text) {
    const auto plus = text.find('+');
    if (plus == std::string_view::npos)
        return {text, 0};
    std::string_view off = text.substr(plus + 1);
    off = off.substr(0, off.find('/'));
    if (off.rfind("0x", 0) == 0)
        off.remove_prefix(2);
    u64 value = 0;
    const auto r = std::from_chars(off.data(), off.data() + off.size(), value, 16);
    if (r.ec != std::errc() || r.ptr != off.data() + off.size())
        return {{}, 0};
    return {text.substr(0, plus), value};
}

} // namespace

VmObjects::VmObjects(VmapSpace& space, KmallocAllocator& kmalloc, PhysicalMemory& phys,
                     const Layout& layout, const KernelSymbols& symbols)
    : m_space(space), m_kmalloc(kmalloc), m_phys(phys), m_layout(layout), m_symbols(symbols),
      m_rules(vm_object_rules_for(space.rules().version, space.rules().arch)) {}

VmObjects::~VmObjects() {
    if (m_space.object_hooks() == this)
        m_space.set_object_hooks(nullptr);
}

ErrorOr<std::unique_ptr<VmObjects>> VmObjects::attach(VmapSpace& space, KmallocAllocator& kmalloc,
                                                      PageAllocator& pages, PhysicalMemory& phys,
                                                      const Layout& layout,
                                                      const KernelSymbols& symbols) {
    if (space.object_hooks() != nullptr)
        return make_error(ErrorKind::Internal, "vmap space already has object hooks");
    std::unique_ptr<VmObjects> o(new VmObjects(space, kmalloc, phys, layout, symbols));
    if (o->m_rules.va_source == VmapAreaSource::OwnCache) {
        // vmalloc_init (5.2+): KMEM_CACHE(vmap_area, SLAB_PANIC): object size = sizeof, word
        // aligned, no merging with the kmalloc caches (they carry usercopy regions).
        const SlabRules& sr = kmalloc.rules();
        const u64 size = align_up(o->m_rules.va.size, o->m_rules.word_bytes);
        o->m_va_cache = std::make_unique<SlabCache>("vmap_area", sr, slab_geometry(sr, size, 1),
                                                    false, pages, o->m_va_slabs);
    }
    TRY(o->init_heads());
    TRY(o->import_existing());
    space.set_object_hooks(o.get());
    return o;
}

ErrorOr<void> VmObjects::init_heads() {
    auto need = [&](const char* name) -> ErrorOr<KernelSymbol> {
        const KernelSymbol* s = m_symbols.find(name);
        if (s == nullptr)
            return make_error(ErrorKind::Internal, "kernel {} has no '{}' symbol",
                              m_rules.version.to_string(), name);
        return *s;
    };
    if (m_rules.keeps_vmlist) {
        m_vmlist = TRY(need("vmlist"));
        store_phys_word(m_vmlist->phys, 0); // struct vm_struct *vmlist = NULL
    }
    if (m_rules.has_vmap_area_list) {
        // LIST_HEAD(vmap_area_list): next = prev = &vmap_area_list.
        m_list_head = TRY(need("vmap_area_list"));
        store_phys_word(m_list_head->phys, m_list_head->address.get());
        store_phys_word(m_list_head->phys.offset(m_rules.word_bytes), m_list_head->address.get());
    }
    return {};
}

ErrorOr<void> VmObjects::import_existing() {
    // vmalloc_init: the areas registered before it (vmlist) get their vmap_areas.
    for (const VmArea* a : m_space.areas()) {
        if (!alloc_area_objects())
            return make_error(ErrorKind::InvalidConfig,
                              "no memory for the vm_struct/vmap_area of the boot area {:#x}",
                              a->addr);
        area_linked(*a);
        area_changed(*a);
    }
    return {};
}

// --- objects ---------------------------------------------------------------------------------

VirtAddr VmObjects::alloc_vmap_area_object() {
    // alloc_vmap_area: kmalloc_node(sizeof(struct vmap_area), gfp & GFP_RECLAIM_MASK) (<= 5.1),
    // kmem_cache_alloc_node(vmap_area_cachep) (5.2+); not zeroed.
    if (m_va_cache)
        return m_va_cache->alloc(GFP_KERNEL).value_or(VirtAddr(0));
    return m_kmalloc.kmalloc(m_rules.va.size, GFP_KERNEL);
}

void VmObjects::free_vmap_area_object(VirtAddr va) {
    --m_ledger.vmap_areas;
    if (!m_va_cache) {
        m_kmalloc.kfree(va);
        return;
    }
    const u64 pfn = m_layout.pfn_of(m_layout.pa(va)).get();
    auto it = m_va_slabs.upper_bound(pfn);
    if (it == m_va_slabs.begin())
        return;
    Slab& slab = *std::prev(it)->second;
    const u64 index = va.minus(slab.s_mem) / m_va_cache->object_size();
    if (index < slab.objects && slab.allocated[index])
        m_va_cache->free(slab, static_cast<u32>(index));
}

u64 VmObjects::object_size(VirtAddr object) const {
    if (m_va_cache) {
        const u64 pfn = m_layout.pfn_of(m_layout.pa(object)).get();
        auto it = m_va_slabs.upper_bound(pfn);
        if (it != m_va_slabs.begin()) {
            const Slab& slab = *std::prev(it)->second;
            if (pfn < slab.pfn.get() + (u64{1} << slab.order) && !(object < slab.s_mem))
                return m_va_cache->object_size();
        }
    }
    return m_kmalloc.ksize(object);
}

VirtAddr VmObjects::struct_page_address(Pfn pfn) const {
    const u64 sps = m_rules.struct_page_size;
    const unsigned ps = m_layout.page_shift;
    if (const NamedRegion* vmemmap = m_layout.region("vmemmap")) {
        // SPARSEMEM_VMEMMAP: x86_64 vmemmap = VMEMMAP_START (no KASLR); arm64 from 4.6
        // vmemmap = VMEMMAP_START - (memstart_addr >> PAGE_SHIFT) struct pages.
        u64 index = pfn.get();
        if (m_layout.arch == Arch::Arm64 && m_rules.version.at_least(4, 6))
            index -= m_layout.phys_offset.get() >> ps;
        return vmemmap->start.offset(index * sps);
    }
    // FLATMEM (i386, ARM): mem_map + (pfn - ARCH_PFN_OFFSET). Where alloc_node_mem_map's
    // memblock allocation lands is not modelled: kmemu puts mem_map at the top of lowmem,
    // just below high_memory (no memory is reserved for it; the array itself is host-side).
    const u64 pfn_offset = is_arm32(m_layout.arch) ? m_layout.min_low_pfn.get() : 0;
    const u64 bytes = (m_layout.max_pfn.get() - pfn_offset) * sps;
    const VirtAddr mem_map(align_down(m_layout.high_memory.get() - bytes, m_layout.page_size()));
    return mem_map.offset((pfn.get() - pfn_offset) * sps);
}

// --- memory ----------------------------------------------------------------------------------

void VmObjects::store_phys_word(PhysAddr pa, u64 value) {
    if (m_rules.word_bytes == 4)
        (void)m_phys.write_u32(pa, static_cast<u32>(value));
    else
        (void)m_phys.write_u64(pa, value);
}

void VmObjects::store_word(VirtAddr kernel_va, u64 value) {
    store_phys_word(m_layout.pa(kernel_va), value);
}

u64 VmObjects::kernel_vm_flags(const VmArea& area) const {
    const VmFlagValues& f = m_space.rules().flags;
    u64 v = 0;
    if (area.flags & VmIoremap)
        v |= f.ioremap;
    if (area.flags & VmAlloc)
        v |= f.alloc;
    if (area.flags & VmMap)
        v |= f.map;
    if (area.flags & VmUsermap)
        v |= f.usermap;
    if (area.flags & VmDmaCoherent)
        v |= f.dma_coherent;
    if (area.flags & VmNoGuard)
        v |= f.no_guard;
    if (area.vpages)
        v |= f.vpages; // VM_VPAGES (<= 4.4): 0 where the flag does not exist
    // VM_UNINITIALIZED is cleared by clear_vm_uninitialized_flag once the pages are in.
    return v;
}

u64 VmObjects::caller_address(const std::string& caller) const {
    // area->caller is the return address %pS printed; kmemu keeps the text, so the value is
    // the named symbol plus the offset (0 when the symbol is not in kmemu's kallsyms).
    if (caller.empty())
        return 0;
    const auto [name, off] = split_caller(caller);
    const KernelSymbol* s = name.empty() ? nullptr : m_symbols.find(name);
    return s ? s->address.get() + off : 0;
}

void VmObjects::write_vm_struct(const VmArea& area, VirtAddr vm, VirtAddr next) {
    const VmStructLayout& l = m_rules.vm;
    const unsigned w = m_rules.word_bytes;
    std::vector<std::byte> buf(l.size, std::byte{0});
    put(buf, l.next, w, next.get());
    put(buf, l.addr, w, area.addr.get());
    put(buf, l.size_field, w, area.size);
    put(buf, l.flags, w, kernel_vm_flags(area));
    const VirtAddr pages = area.pages_kmalloc.get() ? area.pages_kmalloc : area.pages_vaddr;
    put(buf, l.pages, w, pages.get());
    if (l.page_order)
        put(buf, *l.page_order, 4, 0); // base pages only (huge vmalloc not modelled)
    put(buf, l.nr_pages, 4, area.nr_pages);
    put(buf, l.phys_addr, l.phys_addr_bytes, area.phys_addr.get());
    if (l.caller)
        put(buf, *l.caller, w, caller_address(area.caller));
    (void)m_phys.write(m_layout.pa(vm), buf);
}

void VmObjects::write_vmap_area(VirtAddr va, u64 start, u64 end, u64 flags, VirtAddr vm) {
    const VmapAreaLayout& l = m_rules.va;
    const unsigned w = m_rules.word_bytes;
    std::vector<std::byte> buf(l.size, std::byte{0});
    put(buf, l.va_start, w, start);
    put(buf, l.va_end, w, end);
    if (l.flags)
        put(buf, *l.flags, w, flags);
    put(buf, l.vm, w, vm.get()); // rb_node, purge_list, rcu_head: 0 (not modelled)
    (void)m_phys.write(m_layout.pa(va), buf);
}

void VmObjects::write_page_array(const VmArea& area) {
    // area->pages[i] = the struct page of the i-th page (__vmalloc_area_node).
    if (area.pages.empty())
        return;
    const unsigned w = m_rules.word_bytes;
    std::vector<std::byte> buf(area.pages.size() * w, std::byte{0});
    for (size_t i = 0; i < area.pages.size(); ++i)
        put(buf, static_cast<u32>(i * w), w, struct_page_address(area.pages[i]).get());
    if (area.pages_kmalloc.get()) {
        (void)m_phys.write(m_layout.pa(area.pages_kmalloc), buf);
        return;
    }
    const VmArea* array = area.pages_vaddr.get() ? m_space.find_vm_area(area.pages_vaddr) : nullptr;
    if (array == nullptr)
        return;
    // A vmalloc'ed array: through the frames of its own pages.
    const u64 ps = m_layout.page_size();
    for (u64 off = 0; off < buf.size(); off += ps) {
        const u64 index = off / ps;
        if (index >= array->pages.size())
            break;
        const u64 n = std::min<u64>(ps, buf.size() - off);
        (void)m_phys.write(m_layout.phys_of(array->pages[index]),
                           std::span<const std::byte>(buf.data() + off, n));
    }
}

// --- lists -----------------------------------------------------------------------------------

VirtAddr VmObjects::list_entry_before(u64 start) const {
    u64 best_key = 0;
    VirtAddr best(0);
    auto live = m_live.lower_bound(start);
    if (live != m_live.begin()) {
        const auto& p = *std::prev(live);
        best_key = p.first;
        best = p.second.va;
    }
    if (m_rules.lazy_stays_listed) {
        auto lazy = m_lazy.lower_bound(start);
        if (lazy != m_lazy.begin() && (best.get() == 0 || std::prev(lazy)->first > best_key))
            best = std::prev(lazy)->second.va;
    }
    return best;
}

VirtAddr VmObjects::list_entry_after(u64 start) const {
    u64 best_key = 0;
    VirtAddr best(0);
    auto live = m_live.upper_bound(start);
    if (live != m_live.end()) {
        best_key = live->first;
        best = live->second.va;
    }
    if (m_rules.lazy_stays_listed) {
        auto lazy = m_lazy.upper_bound(start);
        if (lazy != m_lazy.end() && (best.get() == 0 || lazy->first < best_key))
            best = lazy->second.va;
    }
    return best;
}

VirtAddr VmObjects::list_field(VirtAddr va) const {
    if (va.get())
        return va.offset(m_rules.va.list);
    // The head; 6.9+ has none in the image (the per-node list head is not modelled).
    return m_list_head ? m_list_head->address : VirtAddr(0);
}

void VmObjects::list_insert(VirtAddr va, u64 start) {
    // __insert_vmap_area / link_va: list_add after the rb_prev neighbour (or the head).
    const unsigned w = m_rules.word_bytes;
    const VirtAddr prev = list_entry_before(start);
    const VirtAddr next = list_entry_after(start);
    const VirtAddr self = list_field(va);
    store_word(self, list_field(next).get());
    store_word(self.offset(w), list_field(prev).get());
    auto store_link = [&](VirtAddr entry, unsigned field_off, VirtAddr value) {
        if (entry.get())
            store_word(list_field(entry).offset(field_off), value.get());
        else if (m_list_head)
            store_phys_word(m_list_head->phys.offset(field_off), value.get());
    };
    store_link(prev, 0, self); // prev->next
    store_link(next, w, self); // next->prev
}

void VmObjects::list_remove(VirtAddr va, u64 start) {
    // list_del: prev->next = next, next->prev = prev (the entry itself is freed or re-inited).
    (void)va;
    const unsigned w = m_rules.word_bytes;
    const VirtAddr prev = list_entry_before(start);
    const VirtAddr next = list_entry_after(start);
    auto store_link = [&](VirtAddr entry, unsigned field_off, VirtAddr value) {
        if (entry.get())
            store_word(list_field(entry).offset(field_off), value.get());
        else if (m_list_head)
            store_phys_word(m_list_head->phys.offset(field_off), value.get());
    };
    store_link(prev, 0, list_field(next));
    store_link(next, w, list_field(prev));
}

void VmObjects::vmlist_relink(u64 around) {
    // insert_vmalloc_vmlist / remove_vm_area (<= 3.9): the predecessor of `around` (or vmlist
    // itself) points at the first vm_struct at or after it.
    if (!m_vmlist)
        return;
    auto after = m_live.lower_bound(around);
    const u64 next = after == m_live.end() ? 0 : after->second.vm.get();
    if (after == m_live.begin())
        store_phys_word(m_vmlist->phys, next);
    else
        store_word(std::prev(after)->second.vm.offset(m_rules.vm.next), next);
}

// --- hooks -----------------------------------------------------------------------------------

bool VmObjects::alloc_area_objects() {
    if (m_pending)
        free_area_objects(); // never left over by VmapSpace; keeps the ledger honest
    const u64 vm_size = m_rules.vm.size;
    const VirtAddr vm = m_rules.vm_struct_zeroed ? m_kmalloc.kzalloc(vm_size, GFP_KERNEL)
                                                 : m_kmalloc.kmalloc(vm_size, GFP_KERNEL);
    if (vm.get() == 0)
        return false;
    ++m_ledger.vm_structs;
    VirtAddr va(0);
    if (m_rules.has_vmap_area) {
        va = alloc_vmap_area_object();
        if (va.get() == 0) {
            m_kmalloc.kfree(vm); // __get_vm_area_node: kfree(area) when alloc_vmap_area fails
            --m_ledger.vm_structs;
            return false;
        }
        ++m_ledger.vmap_areas;
    }
    m_pending = Pending{vm, va};
    return true;
}

void VmObjects::free_area_objects() {
    if (!m_pending)
        return;
    // alloc_vmap_area's overflow path kfree(va); __get_vm_area_node then kfree(area).
    if (m_pending->va.get())
        free_vmap_area_object(m_pending->va);
    m_kmalloc.kfree(m_pending->vm);
    --m_ledger.vm_structs;
    m_pending.reset();
}

void VmObjects::area_linked(const VmArea& area) {
    if (!m_pending)
        return; // an area created without objects (no memory at import): nothing to link
    const u64 start = area.addr.get();
    Node n{m_pending->vm, m_pending->va, area.addr, area.end().get()};
    m_pending.reset();
    m_live[start] = n;
    // setup_vmalloc_vm + insert_vmalloc_vmlist (<= 3.9): sorted into vmlist; 3.10+ next = 0.
    auto after = m_live.upper_bound(start);
    const VirtAddr next = (m_vmlist && after != m_live.end()) ? after->second.vm : VirtAddr(0);
    write_vm_struct(area, n.vm, next);
    vmlist_relink(start);
    if (n.va.get()) {
        write_vmap_area(n.va, start, n.end, m_rules.va_vm_area, n.vm);
        list_insert(n.va, start);
    }
}

void VmObjects::area_changed(const VmArea& area) {
    auto it = m_live.find(area.addr.get());
    if (it == m_live.end())
        return;
    auto after = std::next(it);
    const VirtAddr next = (m_vmlist && after != m_live.end()) ? after->second.vm : VirtAddr(0);
    write_vm_struct(area, it->second.vm, next);
    write_page_array(area);
}

void VmObjects::area_removed(const VmArea& area, bool lazy) {
    const u64 start = area.addr.get();
    auto it = m_live.find(start);
    if (it == m_live.end())
        return;
    const Node n = it->second;
    m_live.erase(it);
    vmlist_relink(start); // remove_vm_area unlinks the vm_struct at once (<= 3.9)
    m_removed[start] = n.vm;
    if (n.va.get() == 0)
        return;
    if (!lazy) {
        list_remove(n.va, start);
        free_vmap_area_object(n.va);
        return;
    }
    ++m_ledger.lazy_vmap_areas;
    const unsigned w = m_rules.word_bytes;
    const VmapAreaLayout& l = m_rules.va;
    Lazy z{n.va, start, n.end, ++m_lazy_seq, VirtAddr(0)};
    if (m_rules.lazy_keeps_vm) {
        // <= 3.9: free_unmap_vmap_area_noflush ORs VM_LAZY_FREE in; private stays.
        z.stale_vm = n.vm;
        if (l.flags)
            store_word(n.va.offset(*l.flags), m_rules.va_vm_area | m_rules.va_lazy_free);
    } else {
        // 3.10+ remove_vm_area: va->vm = NULL, VM_VM_AREA cleared (VM_LAZY_FREE where it
        // exists).
        store_word(n.va.offset(l.vm), 0);
        if (l.flags)
            store_word(n.va.offset(*l.flags), m_rules.va_lazy_free);
    }
    if (m_rules.lazy_stays_listed) {
        m_lazy[start] = z;
        return;
    }
    // 5.2+ unlink_va: off the busy tree and list; the entry re-initialised (RB_CLEAR_NODE,
    // an empty list_head: the purge list linkage is not modelled).
    list_remove(n.va, start);
    const VirtAddr self_list = n.va.offset(l.list);
    store_word(self_list, self_list.get());
    store_word(self_list.offset(w), self_list.get());
    store_word(n.va.offset(l.rb_node), n.va.offset(l.rb_node).get());
    if (!m_rules.lazy_merges) {
        m_lazy[start] = z;
        return;
    }
    // merge_or_add_vmap_area (5.9+): a lazy area touching the next one extends it downwards
    // and is freed; touching the previous one too, that one absorbs both.
    bool merged = false;
    Lazy cur = z;
    auto next = m_lazy.find(z.end);
    if (next != m_lazy.end()) {
        free_vmap_area_object(z.va);
        --m_ledger.lazy_vmap_areas;
        cur = next->second;
        cur.start = z.start;
        m_lazy.erase(next);
        store_word(cur.va.offset(l.va_start), cur.start);
        merged = true;
    }
    auto prev = m_lazy.lower_bound(cur.start);
    if (prev != m_lazy.begin() && std::prev(prev)->second.end == cur.start) {
        Lazy& p = std::prev(prev)->second;
        p.end = cur.end;
        store_word(p.va.offset(l.va_end), p.end);
        if (merged) {
            free_vmap_area_object(cur.va);
            --m_ledger.lazy_vmap_areas;
        } else {
            free_vmap_area_object(z.va);
            --m_ledger.lazy_vmap_areas;
        }
        return;
    }
    m_lazy[cur.start] = cur;
}

void VmObjects::vm_struct_freed(VirtAddr area_start) {
    auto it = m_removed.find(area_start.get());
    if (it == m_removed.end())
        return;
    m_kmalloc.kfree(it->second); // __vunmap: kfree(area)
    --m_ledger.vm_structs;
    m_removed.erase(it);
}

void VmObjects::lazy_areas_purged() {
    // __purge_vmap_area_lazy: 2.6.28-4.6 collects the lazy areas walking vmap_area_list
    // (address order); 4.7-5.8 takes the llist (most recently freed first); 5.9+ the sorted
    // purge list. Each is unlinked (<= 5.1: from vmap_area_list) and freed; 5.2+ would move
    // it into the free tree, whose objects are not modelled: it is freed.
    std::vector<Lazy> order;
    for (const auto& entry : m_lazy)
        order.push_back(entry.second);
    const bool llist = m_rules.version.at_least(4, 7) && !m_rules.lazy_merges;
    if (llist)
        std::sort(order.begin(), order.end(),
                  [](const Lazy& a, const Lazy& b) { return a.seq > b.seq; });
    for (const Lazy& z : order) {
        m_lazy.erase(z.start);
        if (m_rules.lazy_stays_listed)
            list_remove(z.va, z.start);
        free_vmap_area_object(z.va);
        --m_ledger.lazy_vmap_areas;
    }
}

// --- queries ---------------------------------------------------------------------------------

VirtAddr VmObjects::vm_struct_of(VirtAddr area_start) const {
    auto it = m_live.find(area_start.get());
    return it == m_live.end() ? VirtAddr(0) : it->second.vm;
}

VirtAddr VmObjects::vmap_area_of(VirtAddr area_start) const {
    auto it = m_live.find(area_start.get());
    return it == m_live.end() ? VirtAddr(0) : it->second.va;
}

VirtAddr VmObjects::lazy_vmap_area_of(VirtAddr addr) const {
    auto it = m_lazy.upper_bound(addr.get());
    if (it == m_lazy.begin())
        return VirtAddr(0);
    const Lazy& z = std::prev(it)->second;
    return addr.get() < z.end ? z.va : VirtAddr(0);
}

} // namespace kmemu
