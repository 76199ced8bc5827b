#include "emu/svg/walk_svg.h"

#include <fmt/format.h>

#include "emu/svg/svg_writer.h"
#include "emu/walk_view.h"

namespace kmemu {

using namespace paging;

namespace {

// Geometry, in pixels.
constexpr int kMargin = 20;
constexpr int kTitleH = 40;
constexpr int kBoxW = 250;
constexpr int kGap = 50;
constexpr int kBoxH = 170;
constexpr int kRowH = 26;
constexpr int kSelY = 74; // selected row, from the box top

[[nodiscard]] std::string hex(u64 v, unsigned digits) {
    return fmt::format("0x{:0{}x}", v, digits);
}

void arrow(svg::Writer& w, int x1, int y1, int x2, int y2) {
    w.line("arrow", x1, y1, x2 - 8, y2);
    w.polygon("head", fmt::format("{},{} {},{} {},{}", x2, y2, x2 - 9, y2 - 5, x2 - 9, y2 + 5));
}

} // namespace

std::string render_walk_svg(const PagingFormat& fmt, const WalkRecord& rec, const MmuState& mmu) {
    const unsigned vd = fmt.va_bits <= 32 ? 8 : 16;
    const unsigned ed = fmt.entry_bytes() * 2;
    const int columns = static_cast<int>(rec.depth) + 1; // the tables and the outcome
    const int width = 2 * kMargin + columns * kBoxW + (columns - 1) * kGap;
    const int height = kTitleH + kBoxH + 2 * kMargin;
    svg::Writer w(width, height);
    w.raw("<style>"
          ".title{font:bold 14px monospace}.label{font:12px monospace}"
          ".table{fill:#f4f4f4;stroke:#444}.row{fill:#fff;stroke:#bbb}"
          ".sel{fill:#ffe08a;stroke:#b07d00;stroke-width:2}.page{fill:#d9f2d9;stroke:#2d7a2d}"
          ".fault{fill:#f8d0d0;stroke:#a02020}.arrow{stroke:#333;stroke-width:2}"
          ".head{fill:#333}"
          "</style>\n");
    w.text("title", kMargin, kMargin + 6,
           fmt::format("walk {} ({})", hex(rec.va.get(), vd), fmt.name));

    const int top = kTitleH + kMargin;
    for (unsigned i = 0; i < rec.depth; ++i) {
        const LevelRecord& r = rec.levels[i];
        const int x = kMargin + static_cast<int>(i) * (kBoxW + kGap);
        w.rect("table", x, top, kBoxW, kBoxH);
        w.text("label", x + 8, top + 18, walk_level_label(fmt, r.format_level) + " table");
        w.text("label", x + 8, top + 34, fmt::format("@ {}", hex(r.table.get(), vd)));
        // The neighbouring rows stand for the rest of the table.
        w.rect("row", x + 8, top + kSelY - kRowH, kBoxW - 16, kRowH);
        w.text("label", x + kBoxW / 2, top + kSelY - 8, "...", "middle");
        w.rect("sel", x + 8, top + kSelY, kBoxW - 16, kRowH);
        w.text("label", x + 14, top + kSelY + 17, fmt::format("[{}] {}", r.index, hex(r.raw, ed)));
        w.rect("row", x + 8, top + kSelY + kRowH, kBoxW - 16, kRowH);
        w.text("label", x + kBoxW / 2, top + kSelY + kRowH + 18, "...", "middle");
        w.text("label", x + 8, top + kSelY + 2 * kRowH + 20,
               fmt::format("entry {}", hex(r.entry_addr.get(), vd)));
        const std::string_view kind =
            r.kind < 0 ? std::string_view{"invalid"}
                       : fmt.levels[r.format_level].kinds[static_cast<unsigned>(r.kind)].name;
        w.text("label", x + 8, top + kSelY + 2 * kRowH + 36, std::string(kind));
        arrow(w, x + kBoxW - 8, top + kSelY + kRowH / 2, x + kBoxW + kGap, top + 24);
    }

    const int x = kMargin + static_cast<int>(rec.depth) * (kBoxW + kGap);
    if (rec.ok()) {
        const Translation& t = rec.translation();
        const u64 base = t.pa.get() & ~(t.page_size - 1);
        w.rect("page", x, top, kBoxW, kBoxH);
        w.text("label", x + 8, top + 18, fmt::format("page of {} KiB", t.page_size / 1024));
        w.text("label", x + 8, top + 34, fmt::format("@ {}", hex(base, vd)));
        w.text("label", x + 8, top + 58, fmt::format("PA {}", hex(t.pa.get(), vd)));
        w.text("label", x + 8, top + 74, fmt::format("offset {:#x}", t.pa.get() - base));
    } else {
        const WalkFault& f = rec.fault();
        w.rect("fault", x, top, kBoxW, kBoxH);
        w.text("label", x + 8, top + 18, "fault");
        w.text("label", x + 8, top + 34, std::string(fault_reason_name(f.reason)));
        if (fmt.family == DescriptorFamily::X86 && f.reason != FaultReason::NonCanonical)
            w.text("label", x + 8, top + 58,
                   fmt::format("#PF error code {:#x}",
                               x86_page_fault_error_code(fmt, f, rec.access, mmu)));
    }
    return std::move(w).finish();
}

} // namespace kmemu
