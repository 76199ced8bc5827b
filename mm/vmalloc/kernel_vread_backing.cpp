#include "mm/vmalloc/kernel_vread_backing.h"

#include <cstddef>

namespace kmemu {

std::optional<Pfn> KernelVreadBacking::frame_of(VirtAddr va) const {
    auto m = m_tables->lookup(va);
    if (m.is_error() || !m.value())
        return std::nullopt;
    return Pfn(m.value()->pa.get() >> m_phys->page_shift());
}

ErrorOr<void> KernelVreadBacking::read_frame(Pfn pfn, u64 offset, std::span<u8> out) const {
    PhysAddr at((pfn.get() << m_phys->page_shift()) + offset);
    auto r = m_phys->read(at, std::as_writable_bytes(out));
    if (!r.ok())
        return make_error(ErrorKind::NotFound, "vread: no memory at {:#x}", r.stop_at.get());
    return {};
}

ErrorOr<void> KernelVreadBacking::write_frame(Pfn pfn, u64 offset, std::span<const u8> in) {
    PhysAddr at((pfn.get() << m_phys->page_shift()) + offset);
    auto r = m_phys->write(at, std::as_bytes(in));
    if (!r.ok())
        return make_error(ErrorKind::NotFound, "vwrite: no memory at {:#x}", r.stop_at.get());
    return {};
}

} // namespace kmemu
