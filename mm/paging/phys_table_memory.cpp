#include "mm/paging/phys_table_memory.h"

namespace kmemu::paging {

namespace {

ErrorOr<void> check(PhysicalMemory& phys, PhysAddr pa, DescriptorWidth width) {
    const unsigned n = byte_count(width);
    if (!pa.is_aligned(n))
        return make_error(ErrorKind::Internal, "descriptor at {:#x} is not {}-byte aligned",
                          pa.get(), n);
    if (!phys.has_frame(Pfn(pa.get() >> phys.page_shift())))
        return make_error(ErrorKind::NotFound, "descriptor at {:#x} is not in RAM", pa.get());
    return {};
}

} // namespace

ErrorOr<u64> PhysTableMemory::load_descriptor(PhysAddr pa, DescriptorWidth width) {
    TRY(check(m_phys, pa, width));
    ++m_loads;
    if (width == DescriptorWidth::Bytes4) {
        auto v = m_phys.read_u32(pa);
        if (!v.ok())
            return make_error(ErrorKind::NotFound, "descriptor at {:#x} unreadable", pa.get());
        return u64{v.value};
    }
    auto v = m_phys.read_u64(pa);
    if (!v.ok())
        return make_error(ErrorKind::NotFound, "descriptor at {:#x} unreadable", pa.get());
    return v.value;
}

ErrorOr<void> PhysTableMemory::store_descriptor(PhysAddr pa, DescriptorWidth width, u64 value) {
    TRY(check(m_phys, pa, width));
    ++m_stores;
    PhysStatus st = width == DescriptorWidth::Bytes4 ? m_phys.write_u32(pa, static_cast<u32>(value))
                                                     : m_phys.write_u64(pa, value);
    if (st != PhysStatus::Ok)
        return make_error(ErrorKind::NotFound, "descriptor at {:#x} unwritable", pa.get());
    return {};
}

} // namespace kmemu::paging
