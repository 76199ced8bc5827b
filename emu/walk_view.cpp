#include "emu/walk_view.h"

#include <cctype>
#include <vector>

namespace kmemu {

using namespace paging;

namespace {

[[nodiscard]] std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

[[nodiscard]] unsigned entry_digits(const PagingFormat& fmt) {
    return fmt.entry_bytes() * 2;
}
// Virtual and physical addresses in the word size of the arch (8 digits on 32-bit arches,
// whose PAs above 4 GiB simply print wider).
[[nodiscard]] unsigned addr_digits(const PagingFormat& fmt) {
    return fmt.va_bits <= 32 ? 8 : 16;
}

[[nodiscard]] std::string hex(u64 v, unsigned digits) {
    return fmt::format("0x{:0{}x}", v, digits);
}

void flag(std::vector<std::string>& out, bool on, std::string_view name) {
    if (on)
        out.emplace_back(name);
}

[[nodiscard]] std::string join(const std::vector<std::string>& parts) {
    std::string s;
    for (const std::string& p : parts) {
        if (!s.empty())
            s += ' ';
        s += p;
    }
    return s;
}

[[nodiscard]] std::string perms_text(const Permissions& p) {
    const auto rwx = [](bool r, bool w, bool x) {
        return fmt::format("{}{}{}", r ? 'r' : '-', w ? 'w' : '-', x ? 'x' : '-');
    };
    return fmt::format("kernel {} user {}", rwx(p.kernel_read, p.kernel_write, p.kernel_exec),
                       rwx(p.user_read, p.user_write, p.user_exec));
}

[[nodiscard]] std::string size_text(u64 size) {
    if (size >= GiB && size % GiB == 0)
        return fmt::format("{}G", size / GiB);
    if (size >= MiB && size % MiB == 0)
        return fmt::format("{}M", size / MiB);
    return fmt::format("{}K", size / KiB);
}

[[nodiscard]] std::string access_text(Access a) {
    const char* who = a.privilege == Privilege::User ? "user" : "kernel";
    const char* what = a.type == AccessType::Read    ? "read"
                       : a.type == AccessType::Write ? "write"
                                                     : "execute";
    return fmt::format("{} {}", who, what);
}

// Why a fault happened, in the architecture's terms.
[[nodiscard]] std::string fault_detail(const PagingFormat& fmt, const WalkRecord& rec) {
    const WalkFault& f = rec.fault();
    switch (f.reason) {
    case FaultReason::NotPresent:
        if (fmt.family == DescriptorFamily::X86)
            return "P (bit 0) is clear";
        if (fmt.family == DescriptorFamily::ArmShort)
            return "descriptor type bits[1:0] = 0b00 (fault)";
        return "descriptor bits[1:0] do not name a valid entry at this level";
    case FaultReason::WriteToReadOnly:
        return fmt.family == DescriptorFamily::X86 ? "R/W is clear at some level (CR0.WP = 1)"
                                                   : "AP makes the page read-only";
    case FaultReason::SupervisorOnly:
        return fmt.family == DescriptorFamily::X86 ? "U/S is clear at some level"
                                                   : "AP gives no access at EL0/PL0";
    case FaultReason::NoAccess:
        return "AP gives no access at this privilege";
    case FaultReason::ExecuteNever:
        return fmt.family == DescriptorFamily::X86 ? "XD (bit 63) is set at some level"
                                                   : "XN/PXN forbids instruction fetches";
    case FaultReason::ReservedBit:
        return "a reserved bit is set (or an address bit at or above MAXPHYADDR)";
    case FaultReason::NonCanonical:
        return "bits 63..va_bits-1 are not a sign extension (#GP, no walk)";
    case FaultReason::OutsideTtbrRanges:
        return "the address is in no translation table's range";
    case FaultReason::DomainFault:
        return "DACR gives the entry's domain no access";
    case FaultReason::AccessFlag:
        return "AF (bit 10) is clear";
    case FaultReason::AddressSize:
        return "an output address exceeds the physical address size";
    case FaultReason::TableNotInMemory:
        return "the descriptor load hit a hole in physical memory";
    }
    return "";
}

} // namespace

std::string walk_level_label(const PagingFormat& fmt, unsigned format_level) {
    const LevelFormat& L = fmt.levels[format_level];
    if (fmt.family == DescriptorFamily::X86)
        return fmt::format("{} ({})", upper(L.linux_name), L.name);
    return fmt::format("L{}", L.arch_level);
}

std::string describe_entry(const PagingFormat& fmt, const LevelRecord& r) {
    const DecodedEntry d = decode_entry(fmt, r);
    const unsigned pd = addr_digits(fmt);
    const std::string_view kind =
        r.kind < 0 ? std::string_view{"invalid"}
                   : fmt.levels[r.format_level].kinds[static_cast<unsigned>(r.kind)].name;
    std::vector<std::string> f;
    PhysAddr to;
    if (const auto* x = std::get_if<X86Entry>(&d)) {
        // The SDM's field names.
        flag(f, x->present, "P");
        flag(f, x->rw, "R/W");
        flag(f, x->user, "U/S");
        flag(f, x->pwt, "PWT");
        flag(f, x->pcd, "PCD");
        flag(f, x->accessed, "A");
        flag(f, x->dirty, "D");
        const bool leaf =
            fmt.levels[r.format_level].kinds[static_cast<unsigned>(r.kind)].role == EntryRole::Leaf;
        flag(f,
             leaf &&
                 fmt.levels[r.format_level].kinds[static_cast<unsigned>(r.kind)].size_shift != 12,
             "PS");
        flag(f, x->global, "G");
        flag(f, x->pat, "PAT");
        flag(f, x->nx, "XD");
        if (x->pkey != 0)
            f.push_back(fmt::format("PKEY={}", x->pkey));
        to = x->addr;
    } else if (const auto* s = std::get_if<ArmSection>(&d)) {
        f.push_back(fmt::format("AP={:02b}", s->ap));
        flag(f, s->apx, "APX");
        f.push_back(fmt::format("TEX={:03b}", s->tex));
        flag(f, s->c, "C");
        flag(f, s->b, "B");
        flag(f, s->xn, "XN");
        flag(f, s->pxn, "PXN");
        flag(f, s->s, "S");
        flag(f, s->ng, "nG");
        flag(f, s->ns, "NS");
        if (!s->supersection)
            f.push_back(fmt::format("Domain={}", s->domain));
        to = s->base;
    } else if (const auto* c = std::get_if<ArmCoarseTable>(&d)) {
        f.push_back(fmt::format("Domain={}", c->domain));
        flag(f, c->pxn, "PXN");
        flag(f, c->ns, "NS");
        to = c->base;
    } else if (const auto* p = std::get_if<ArmPage>(&d)) {
        f.push_back(fmt::format("AP={:02b}", p->ap));
        flag(f, p->apx, "APX");
        f.push_back(fmt::format("TEX={:03b}", p->tex));
        flag(f, p->c, "C");
        flag(f, p->b, "B");
        flag(f, p->xn, "XN");
        flag(f, p->s, "S");
        flag(f, p->ng, "nG");
        to = p->base;
    } else if (const auto* l = std::get_if<LongDescriptor>(&d)) {
        if (l->type == LongDescriptorType::Table) {
            f.push_back(fmt::format("APTable={:02b}", l->ap_table));
            flag(f, l->xn_table, fmt.xn_is_uxn ? "UXNTable" : "XNTable");
            flag(f, l->pxn_table, "PXNTable");
            flag(f, l->ns_table, "NSTable");
        } else {
            f.push_back(fmt::format("AttrIndx={}", l->attr_indx));
            f.push_back(fmt::format("AP={:02b}", l->ap));
            f.push_back(fmt::format("SH={:02b}", l->sh));
            flag(f, l->af, "AF");
            flag(f, l->ng, "nG");
            flag(f, l->xn, fmt.xn_is_uxn ? "UXN" : "XN");
            flag(f, l->pxn, "PXN");
            flag(f, l->contiguous, "Contiguous");
            flag(f, l->dbm, "DBM");
            flag(f, l->gp, "GP");
            flag(f, l->ns, "NS");
        }
        to = l->address;
    } else {
        return std::string(kind);
    }
    std::string out = fmt::format("{}: {}", kind, join(f));
    out += fmt::format(" -> {}", hex(to.get(), pd));
    return out;
}

std::string render_walk_text(const PagingFormat& fmt, const WalkRecord& rec, const MmuState& mmu) {
    const unsigned vd = addr_digits(fmt);
    const unsigned ed = entry_digits(fmt);
    std::string out;
    const char* reg = fmt.family == DescriptorFamily::X86 ? "CR3"
                      : rec.high_root                     ? "TTBR1"
                                                          : "TTBR0";
    const PhysAddr root = rec.high_root ? mmu.root_high : mmu.root;
    out += fmt::format("walk {} ({}, {}), {} {}\n", hex(rec.va.get(), vd), fmt.name,
                       access_text(rec.access), reg, hex(root.get(), vd));

    // Column width for the labels, so the fields line up.
    std::size_t label_width = 0;
    for (unsigned i = 0; i < rec.depth; ++i)
        label_width =
            std::max(label_width, walk_level_label(fmt, rec.levels[i].format_level).size());
    for (unsigned i = 0; i < rec.depth; ++i) {
        const LevelRecord& r = rec.levels[i];
        const unsigned index_digits = fmt.levels[r.format_level].index_bits >= 10 ? 4 : 3;
        out += fmt::format("  {:<{}}  index {:>{}}  entry {}  raw {}",
                           walk_level_label(fmt, r.format_level), label_width, r.index,
                           index_digits, hex(r.entry_addr.get(), vd), hex(r.raw, ed));
        // A load that hit a hole leaves no entry to describe.
        const bool loaded = rec.ok() || rec.fault().level != static_cast<int>(i) ||
                            rec.fault().reason != FaultReason::TableNotInMemory || r.kind >= 0;
        if (loaded)
            out += fmt::format("  {}", describe_entry(fmt, r));
        else
            out += "  (not loaded)";
        if (r.raw_after != r.raw)
            out += fmt::format("  (now {})", hex(r.raw_after, ed));
        out += '\n';
    }
    if (rec.ok()) {
        const Translation& t = rec.translation();
        out += fmt::format("result: PA {}, {} page, {}{}, memory type {}", hex(t.pa.get(), vd),
                           size_text(t.page_size), perms_text(t.permissions),
                           t.global ? ", global" : "", t.cache.index);
        if (fmt.family != DescriptorFamily::X86)
            out += fmt::format(", shareability {}", t.cache.shareability);
        out += '\n';
        return out;
    }
    const WalkFault& f = rec.fault();
    std::string where;
    if (f.level >= 0)
        where = fmt::format(
            " at {}",
            walk_level_label(fmt, rec.levels[static_cast<unsigned>(f.level)].format_level));
    out += fmt::format("fault: {}{}: {}\n", fault_reason_name(f.reason), where,
                       fault_detail(fmt, rec));
    if (fmt.family == DescriptorFamily::X86) {
        if (f.reason == FaultReason::NonCanonical)
            out += "exception: #GP(0)\n";
        else
            out += fmt::format("exception: #PF, error code {:#x}\n",
                               x86_page_fault_error_code(fmt, f, rec.access, mmu));
    } else {
        const bool long_fmt = fmt.family == DescriptorFamily::ArmLong;
        out += fmt::format("exception: {} {:#04x}\n",
                           long_fmt ? "abort, status (DFSC)" : "abort, FSR.FS",
                           arm_fault_status(fmt, f));
    }
    return out;
}

} // namespace kmemu
