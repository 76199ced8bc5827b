// Where RAM maps come from: the firmware map kmemu's default boards give, a boot log's
// "BIOS-e820:" lines, or a real /proc/iomem.
#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "mm/ram_map.h"

namespace kmemu {

namespace {

// Width of the physical address space the kernel can use on each arch (MAX_PHYSMEM_BITS, or the
// architectural limit where that is what binds): non-PAE i386 and classic ARM have 32-bit
// phys_addr_t; PAE 36 (arch/x86/include/asm/sparsemem.h); LPAE 40 (ARMv7 long descriptors);
// x86_64 46 with 4-level paging, 52 with 5-level; arm64 48 (ARM64_PA_BITS_48).
unsigned phys_address_bits(Arch arch) {
    switch (arch) {
    case Arch::I386:
    case Arch::Arm:
        return 32;
    case Arch::I386Pae:
        return 36;
    case Arch::ArmLpae:
        return 40;
    case Arch::X86_64:
        return 46;
    case Arch::X86_64La57:
        return 52;
    case Arch::Arm64:
        return 48;
    }
    return 32;
}

constexpr u64 kFourGiB = u64{1} << 32;

void add(RamMap& map, u64 start, u64 end, RamType type) {
    map.ranges.push_back({PhysAddr(start), PhysAddr(end), type, {}});
}

} // namespace

ErrorOr<RamMap> firmware_ram_map(Arch arch, u64 mem_bytes, PhysAddr phys_offset) {
    if (mem_bytes == 0 || mem_bytes % (4 * KiB) != 0)
        return make_error(ErrorKind::InvalidConfig,
                          "mem: {:#x} bytes is not allowed (must be a non-zero multiple of 4K)",
                          mem_bytes);
    const unsigned bits = phys_address_bits(arch);
    const u64 limit = bits >= 64 ? std::numeric_limits<u64>::max() : (u64{1} << bits);
    RamMap map;
    u64 top = 0; // exclusive end of the highest RAM byte
    if (is_x86(arch)) {
        // SeaBIOS under QEMU (i440fx): the EBDA takes the last KiB below 640K, the BIOS ROM
        // shadow 0xf0000-0xfffff; the VGA window 0xa0000-0xeffff is not in the map at all.
        if (mem_bytes <= MiB)
            return make_error(ErrorKind::InvalidConfig,
                              "mem: {:#x} bytes is too small for an x86 firmware map (more than "
                              "1M is needed: RAM resumes at 0x100000)",
                              mem_bytes);
        add(map, 0, 0x9fc00, RamType::Usable);
        add(map, 0x9fc00, 0xa0000, RamType::Reserved);
        add(map, 0xf0000, 0x100000, RamType::Reserved);
        // QEMU pc_piix: with 0xe0000000 or more RAM, RAM below 4 GiB stops at 0xc0000000 and
        // the rest continues at 4 GiB. kmemu's mem= is the RAM top (the kernel's mem=), so no
        // top-of-RAM firmware piece is carved out below it.
        const bool split = mem_bytes >= 0xe0000000;
        const u64 low_top = split ? 0xc0000000 : mem_bytes;
        add(map, 0x100000, low_top, RamType::Usable);
        // QEMU's e820 reservations for the identity-map/TSS pages and the BIOS flash.
        add(map, 0xfeffc000, 0xff000000, RamType::Reserved);
        add(map, 0xfffc0000, kFourGiB, RamType::Reserved);
        top = kFourGiB;
        if (split) {
            const u64 high = mem_bytes - 0xc0000000;
            top = kFourGiB + high;
            if (top <= limit)
                add(map, kFourGiB, top, RamType::Usable);
        }
        if (top > limit || (split && bits <= 32))
            return make_error(ErrorKind::InvalidConfig,
                              "mem: {:#x} bytes does not fit {}'s {}-bit physical address space "
                              "(RAM would end at {:#x}; with 0xe0000000 or more, QEMU puts "
                              "RAM above 0xc0000000 at 4 GiB)",
                              mem_bytes, arch_name(arch), bits, top);
        return map;
    }
    const u64 base = phys_offset.get();
    if (base > limit || mem_bytes > limit - base)
        return make_error(ErrorKind::InvalidConfig,
                          "mem: {:#x} bytes at phys_offset {:#x} does not fit {}'s {}-bit "
                          "physical address space (at most {:#x} bytes there)",
                          mem_bytes, base, arch_name(arch), bits, base > limit ? 0 : limit - base);
    add(map, base, base + mem_bytes, RamType::Usable);
    return map;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// 1 to 16 hex digits, nothing else.
std::optional<u64> parse_hex(std::string_view s) {
    if (s.empty() || s.size() > 16)
        return std::nullopt;
    u64 v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

// Calls f(line_number, line) for each line of text.
template <typename F>
ErrorOr<void> for_each_line(std::string_view text, F&& f) {
    unsigned number = 0;
    while (!text.empty()) {
        ++number;
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        TRY(f(number, line));
    }
    return {};
}

struct E820Entry {
    u64 start;
    u64 end; // exclusive
    RamType type;
    unsigned line;
};

// The type words of e820_print_type (newer: bare; 2.6.x: in parentheses) and "type N".
std::optional<RamType> e820_type(std::string_view word) {
    if (word.size() >= 2 && word.front() == '(' && word.back() == ')')
        word = word.substr(1, word.size() - 2);
    struct Name {
        std::string_view text;
        RamType type;
    };
    static constexpr Name names[] = {
        {"usable", RamType::Usable},
        {"reserved", RamType::Reserved},
        {"soft reserved", RamType::SoftReserved},
        {"ACPI data", RamType::Acpi},
        {"ACPI NVS", RamType::Nvs},
        {"unusable", RamType::Unusable},
        {"persistent (type 7)", RamType::Pmem},
        {"persistent (type 12)", RamType::Pram},
    };
    for (const auto& n : names)
        if (word == n.text)
            return n.type;
    if (word.starts_with("type ")) {
        u32 n = 0;
        auto digits = word.substr(5);
        auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec != std::errc() || ptr != digits.data() + digits.size())
            return std::nullopt;
        for (RamType t :
             {RamType::Usable, RamType::Reserved, RamType::Acpi, RamType::Nvs, RamType::Unusable,
              RamType::Pmem, RamType::Pram, RamType::ReservedKern, RamType::SoftReserved})
            if (static_cast<u32>(t) == n)
                return t;
    }
    return std::nullopt;
}

constexpr std::string_view kKnownTypes =
    "usable, reserved, soft reserved, ACPI data, ACPI NVS, unusable, persistent (type 7), "
    "persistent (type 12), or 'type N' with N one of 1 2 3 4 5 7 12 128";

ErrorOr<E820Entry> parse_e820_entry(std::string_view rest, std::string_view source, unsigned line) {
    auto malformed = [&] {
        return make_error(ErrorKind::Parse,
                          "{}:{}: malformed BIOS-e820 line (expected '[mem 0xSTART-0xEND] TYPE' "
                          "or 'START - END (TYPE)')",
                          source, line);
    };
    auto bad_hex = [&](std::string_view tok) {
        return make_error(ErrorKind::Parse,
                          "{}:{}: bad hex number '{}' in BIOS-e820 line (1 to 16 hex digits)",
                          source, line, tok);
    };
    rest = trim(rest);
    std::string_view start_tok, end_tok, type_tok;
    bool inclusive = false;
    if (rest.starts_with("[mem ")) {
        // e820_print_table, 3.x+: "[mem %#018Lx-%#018Lx] " then the type; the end is inclusive.
        inclusive = true;
        rest.remove_prefix(5);
        auto dash = rest.find('-');
        auto close = rest.find(']');
        if (dash == std::string_view::npos || close == std::string_view::npos || close < dash)
            return malformed();
        start_tok = rest.substr(0, dash);
        end_tok = rest.substr(dash + 1, close - dash - 1);
        type_tok = trim(rest.substr(close + 1));
        for (auto* tok : {&start_tok, &end_tok}) {
            if (!tok->starts_with("0x") && !tok->starts_with("0X"))
                return bad_hex(*tok);
            tok->remove_prefix(2);
        }
    } else {
        // 2.6.x e820_print_map: "%016Lx - %016Lx " then the type; the end is exclusive.
        auto sep = rest.find(" - ");
        if (sep == std::string_view::npos)
            return malformed();
        start_tok = trim(rest.substr(0, sep));
        auto after = trim(rest.substr(sep + 3));
        auto space = after.find(' ');
        if (space == std::string_view::npos)
            return malformed();
        end_tok = after.substr(0, space);
        type_tok = trim(after.substr(space + 1));
    }
    auto start = parse_hex(start_tok);
    if (!start)
        return bad_hex(start_tok);
    auto end = parse_hex(end_tok);
    if (!end)
        return bad_hex(end_tok);
    if (type_tok.empty())
        return malformed();
    auto type = e820_type(type_tok);
    if (!type)
        return make_error(ErrorKind::Parse, "{}:{}: unknown e820 type '{}' (known: {})", source,
                          line, type_tok, kKnownTypes);
    if (*end < *start)
        return make_error(ErrorKind::Parse, "{}:{}: end {:#x} is before start {:#x}", source, line,
                          *end, *start);
    u64 end_excl = *end;
    if (inclusive) {
        if (*end == std::numeric_limits<u64>::max())
            return make_error(ErrorKind::Parse,
                              "{}:{}: end {:#x} leaves no room for an exclusive end in 64 bits",
                              source, line, *end);
        end_excl = *end + 1;
    }
    return E820Entry{*start, end_excl, *type, line};
}

} // namespace

ErrorOr<RamMap> parse_e820_log(std::string_view text, std::string_view source) {
    std::vector<E820Entry> entries;
    auto walked = for_each_line(text, [&](unsigned number, std::string_view line) -> ErrorOr<void> {
        constexpr std::string_view tag = "BIOS-e820:";
        auto at = line.find(tag);
        if (at == std::string_view::npos)
            return {};
        auto e = TRY(parse_e820_entry(line.substr(at + tag.size()), source, number));
        // sanitize_e820_map drops empty entries; an exclusive-end line can describe one.
        if (e.end > e.start)
            entries.push_back(e);
        return {};
    });
    if (walked.is_error())
        return walked.release_error();
    if (entries.empty())
        return make_error(ErrorKind::Parse,
                          "{}: no BIOS-e820 lines found (expected lines like 'BIOS-e820: [mem "
                          "0x0000000000000000-0x000000000009fbff] usable')",
                          source);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const E820Entry& a, const E820Entry& b) { return a.start < b.start; });
    // The kernel's e820__update_table resolves overlaps (the higher type number wins); a map
    // that needs that is most likely a mis-pasted log, so kmemu refuses it instead.
    const E820Entry* widest = nullptr;
    for (const auto& e : entries) {
        if (widest && e.start < widest->end)
            return make_error(ErrorKind::Parse,
                              "{}:{}: entry [mem {:#018x}-{:#018x}] overlaps the entry on line {} "
                              "([mem {:#018x}-{:#018x}]); e820 entries must not overlap",
                              source, e.line, e.start, e.end - 1, widest->line, widest->start,
                              widest->end - 1);
        if (!widest || e.end > widest->end)
            widest = &e;
    }
    RamMap map;
    for (const auto& e : entries) {
        // Adjacent entries of one type are one entry after e820__update_table.
        if (!map.ranges.empty() && map.ranges.back().end.get() == e.start &&
            map.ranges.back().type == e.type) {
            map.ranges.back().end = PhysAddr(e.end);
            continue;
        }
        map.ranges.push_back({PhysAddr(e.start), PhysAddr(e.end), e.type, {}});
    }
    return map;
}

namespace {

// The top-level /proc/iomem names of e820 types (e820_type_to_string, every era's spelling).
std::optional<RamType> iomem_name_type(std::string_view name) {
    if (name == "System RAM")
        return RamType::Usable;
    if (name == "reserved" || name == "Reserved")
        return RamType::Reserved;
    if (name == "ACPI Tables")
        return RamType::Acpi;
    if (name == "ACPI Non-volatile Storage")
        return RamType::Nvs;
    if (name == "Unusable memory")
        return RamType::Unusable;
    if (name == "Persistent Memory (legacy)")
        return RamType::Pram;
    if (name == "Persistent Memory")
        return RamType::Pmem;
    if (name == "Soft Reserved")
        return RamType::SoftReserved;
    return std::nullopt;
}

} // namespace

ErrorOr<RamMap> parse_proc_iomem(std::string_view text, std::string_view source) {
    RamMap map;
    std::vector<unsigned> open_lines; // line number of the last resource at each depth
    std::vector<unsigned> line_of;    // line number of each imported resource
    bool any_nonzero = false;
    auto walked = for_each_line(text, [&](unsigned number, std::string_view line) -> ErrorOr<void> {
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (trim(line).empty())
            return {};
        auto malformed = [&] {
            return make_error(ErrorKind::Parse,
                              "{}:{}: malformed /proc/iomem line (expected 'START-END : NAME' "
                              "with hex START and END, indented by two spaces per level)",
                              source, number);
        };
        size_t spaces = 0;
        while (spaces < line.size() && line[spaces] == ' ')
            ++spaces;
        if (spaces % 2 != 0)
            return make_error(ErrorKind::Parse,
                              "{}:{}: indentation of {} spaces is not a multiple of 2", source,
                              number, spaces);
        const unsigned depth = static_cast<unsigned>(spaces / 2);
        auto body = line.substr(spaces);
        auto dash = body.find('-');
        auto colon = body.find(" : ");
        if (dash == std::string_view::npos || colon == std::string_view::npos || colon < dash)
            return malformed();
        auto start_tok = body.substr(0, dash);
        auto end_tok = body.substr(dash + 1, colon - dash - 1);
        auto start = parse_hex(start_tok);
        auto end = parse_hex(end_tok);
        if (!start || !end)
            return make_error(ErrorKind::Parse, "{}:{}: bad hex number '{}' (1 to 16 hex digits)",
                              source, number, start ? end_tok : start_tok);
        if (*end < *start)
            return make_error(ErrorKind::Parse, "{}:{}: end {:x} is before start {:x}", source,
                              number, *end, *start);
        if (depth > open_lines.size())
            return make_error(ErrorKind::Parse,
                              "{}:{}: indented {} levels under a line of depth {} (one level "
                              "deeper at most)",
                              source, number, depth,
                              open_lines.empty() ? 0 : open_lines.size() - 1);
        std::string name(body.substr(colon + 3));
        if (depth > 0) {
            const auto& parent = map.imported[open_lines[depth - 1]];
            if (*start < parent.start.get() || *end > parent.end.get())
                return make_error(ErrorKind::Parse,
                                  "{}:{}: '{}' {:x}-{:x} is not inside its parent '{}' {:x}-{:x} "
                                  "(line {})",
                                  source, number, name, *start, *end, parent.name,
                                  parent.start.get(), parent.end.get(),
                                  line_of[open_lines[depth - 1]]);
        }
        if (depth == 0) {
            if (!map.imported.empty() && !open_lines.empty()) {
                const auto& prev = map.imported[open_lines[0]];
                if (*start <= prev.end.get() && !(*start == 0 && *end == 0))
                    return make_error(ErrorKind::Parse,
                                      "{}:{}: '{}' {:x}-{:x} overlaps or precedes '{}' "
                                      "{:x}-{:x} (line {}); top-level lines must ascend",
                                      source, number, name, *start, *end, prev.name,
                                      prev.start.get(), prev.end.get(), line_of[open_lines[0]]);
            }
            if (auto type = iomem_name_type(name)) {
                if (*end == std::numeric_limits<u64>::max())
                    return make_error(ErrorKind::Parse,
                                      "{}:{}: '{}' ends at the last 64-bit address", source, number,
                                      name);
                map.ranges.push_back({PhysAddr(*start), PhysAddr(*end + 1), *type, name});
            }
        }
        any_nonzero = any_nonzero || *start != 0 || *end != 0;
        open_lines.resize(depth);
        open_lines.push_back(static_cast<unsigned>(map.imported.size()));
        line_of.push_back(number);
        map.imported.push_back({PhysAddr(*start), PhysAddr(*end), std::move(name), depth});
        return {};
    });
    if (walked.is_error())
        return walked.release_error();
    if (map.imported.empty())
        return make_error(ErrorKind::Parse,
                          "{}: no resources found (expected /proc/iomem lines "
                          "like '00100000-1fffffff : System RAM')",
                          source);
    if (!any_nonzero)
        return make_error(ErrorKind::Parse,
                          "{}: every address is 0: this /proc/iomem was read without "
                          "CAP_SYS_ADMIN (kernels since 4.15 hide the addresses); read it as "
                          "root, e.g. 'sudo cat /proc/iomem'",
                          source);
    return map;
}

} // namespace kmemu
