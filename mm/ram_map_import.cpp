#include "mm/ram_map.h"

namespace kmemu {

ErrorOr<RamMap> firmware_ram_map(Arch arch, u64 mem_bytes, PhysAddr phys_offset) {
    RamMap map;
    if (is_x86(arch)) {
        map.ranges.push_back({PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}});
        map.ranges.push_back({PhysAddr(0x100000), PhysAddr(mem_bytes), RamType::Usable, {}});
    } else {
        map.ranges.push_back({phys_offset, phys_offset.offset(mem_bytes), RamType::Usable, {}});
    }
    return map;
}

ErrorOr<RamMap> parse_e820_log(std::string_view, std::string_view source) {
    return make_error(ErrorKind::Parse, "{}: e820 import is not available in this build", source);
}

ErrorOr<RamMap> parse_proc_iomem(std::string_view, std::string_view source) {
    return make_error(ErrorKind::Parse, "{}: iomem import is not available in this build", source);
}

} // namespace kmemu
