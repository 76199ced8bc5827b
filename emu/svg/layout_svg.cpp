#include "emu/svg/layout_svg.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "emu/svg/svg_writer.h"

namespace kmemu {

namespace {

// Spans reach 2^64 (the top of a 64-bit address space), one past what u64 holds.
__extension__ using U128 = unsigned __int128;

// Picture geometry, in pixels.
constexpr int kWidth = 900;
constexpr int kBarX = 175;
constexpr int kBarW = 240;
constexpr int kIndent = 14; // per nesting level, for boxes and their labels
constexpr int kLabelX = kBarX + kBarW + 15;
constexpr int kTop = 78;         // below the title
constexpr int kMinBox = 34;      // top-level box: two label lines
constexpr int kMinChild = 18;    // nested box: one label line
constexpr int kHeaderTop = 34;   // label space at the top of a top-level box with children
constexpr int kHeaderChild = 18; // same for a nested box
constexpr int kMinGap = 16;      // hatched unused span
constexpr int kMinFiller = 4;    // parent space between nested boxes
constexpr int kUserBand = 56;    // user space, always compressed

enum class Kind { Box, Gap, User };

struct Node {
    std::string name;
    std::string fill;
    Kind kind = Kind::Box;
    U128 lo = 0, hi = 0;           // drawn span [lo, hi), perhaps clipped against a sibling
    U128 real_lo = 0, real_hi = 0; // the span the label states
    std::vector<Node> children;    // ascending, disjoint, inside [lo, hi)

    // Filled in by measure() and place().
    struct Piece {
        U128 lo, hi;
        int child; // index into children, or -1 for parent space between them
        int h;
        int y;
    };
    std::vector<Piece> pieces; // top to bottom (descending addresses)
    int header = 0;
    int h = 0;
    int y = 0;
    bool compressed = false;
};

// The drawing scale. Linear up to linear_cap pixels; beyond, log_px per doubling.
struct Scale {
    double px_per_mib;
    double linear_cap;
    double log_px;
    int gap_cap;
    struct Height {
        int px;
        bool compressed;
    };
    [[nodiscard]] Height of(U128 bytes) const {
        double px = static_cast<double>(bytes) / static_cast<double>(MiB) * px_per_mib;
        if (px <= linear_cap)
            return {static_cast<int>(std::lround(px)), false};
        return {static_cast<int>(std::lround(linear_cap + log_px * std::log2(px / linear_cap))),
                true};
    }
};

// 32-bit: 1 GiB of kernel space is ~820 px, so a 3G/1G machine is drawn to scale throughout.
constexpr Scale kScale32{0.8, 420.0, 40.0, 60};
// 64-bit: 64 px per GiB up to 1 GiB, then 10 px per doubling (64 TiB -> 224 px).
constexpr Scale kScale64{64.0 / 1024.0, 64.0, 10.0, 48};

std::string format_addr(U128 addr, unsigned word_bits) {
    if (addr > ~u64{0})
        return "0x10000000000000000"; // 2^64, the end of the 64-bit space
    return word_bits == 32 ? fmt::format("0x{:08x}", static_cast<u64>(addr))
                           : fmt::format("0x{:016x}", static_cast<u64>(addr));
}

// Binary units; two decimals, truncated, unless exact (a page short of 1 GiB reads
// "1023.99 MiB", a page over 2 MiB "2.00 MiB").
std::string format_size(U128 bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (u + 1 < std::size(kUnits) && bytes >= (U128{1} << (10 * (u + 1))))
        ++u;
    const U128 unit = U128{1} << (10 * u);
    const auto whole = static_cast<u64>(bytes / unit);
    const auto hundredths = static_cast<u64>(bytes % unit * 100 / unit);
    if (bytes % unit == 0)
        return fmt::format("{} {}", whole, kUnits[u]);
    return fmt::format("{}.{:02} {}", whole, hundredths, kUnits[u]);
}

std::string fill_for(std::string_view name) {
    if (name == "lowmem" || name == "direct map")
        return "#cfe2f3";
    if (name == "vmalloc")
        return "#d9ead3";
    if (name == "pkmap")
        return "#fce5cd";
    if (name == "fixmap")
        return "#f4cccc";
    if (name == "modules")
        return "#fff2cc";
    if (name == "kernel image")
        return "#d9d2e9";
    if (!name.empty() && name[0] == '.')
        return "#b4a7d6"; // image sections
    return "#d0e0e3";
}

Node box(std::string name, U128 lo, U128 hi, std::string fill = {}) {
    Node n;
    n.fill = fill.empty() ? fill_for(name) : std::move(fill);
    n.name = std::move(name);
    n.lo = n.real_lo = lo;
    n.hi = n.real_hi = hi;
    return n;
}

// Put item into the deepest node that contains it; a partial overlap with a sibling is clipped
// off (items arrive sorted by start, larger first on ties, so containers come first).
void insert(Node& parent, Node item) {
    for (auto& c : parent.children) {
        if (c.lo <= item.lo && item.hi <= c.hi) {
            insert(c, std::move(item));
            return;
        }
    }
    for (const auto& c : parent.children) {
        if (c.lo < item.hi && item.lo < c.hi)
            item.lo = std::max(item.lo, c.hi);
    }
    if (item.lo >= item.hi)
        return; // entirely behind earlier boxes
    parent.children.push_back(std::move(item));
    std::sort(parent.children.begin(), parent.children.end(),
              [](const Node& a, const Node& b) { return a.lo < b.lo; });
}

void measure(Node& node, int depth, const Scale& scale) {
    const Scale::Height own = scale.of(node.hi - node.lo);
    if (node.kind == Kind::User) {
        node.h = kUserBand;
        node.compressed = true;
        return;
    }
    if (node.kind == Kind::Gap) {
        node.compressed = own.px > scale.gap_cap;
        node.h = std::clamp(own.px, kMinGap, scale.gap_cap);
        return;
    }
    node.pieces.clear();
    U128 cursor = node.hi;
    for (int i = static_cast<int>(node.children.size()) - 1; i >= 0; --i) {
        Node& c = node.children[static_cast<size_t>(i)];
        if (c.hi < cursor)
            node.pieces.push_back({c.hi, cursor, -1, 0, 0});
        node.pieces.push_back({c.lo, c.hi, i, 0, 0});
        cursor = c.lo;
    }
    if (!node.children.empty() && node.lo < cursor)
        node.pieces.push_back({node.lo, cursor, -1, 0, 0});

    node.header = node.children.empty() ? 0 : (depth == 0 ? kHeaderTop : kHeaderChild);
    int content = node.header;
    for (auto& p : node.pieces) {
        if (p.child >= 0) {
            Node& c = node.children[static_cast<size_t>(p.child)];
            measure(c, depth + 1, scale);
            p.h = c.h;
        } else {
            p.h = std::max(kMinFiller, scale.of(p.hi - p.lo).px);
        }
        content += p.h;
    }
    node.compressed = own.compressed;
    const int wanted = std::max(own.px, depth == 0 ? kMinBox : kMinChild);
    if (content > wanted) {
        // Children at their minimum heights overflow the box: take the room from the parent
        // space between them, so the box itself keeps its scaled height where it can.
        int filler = 0, fillers = 0;
        for (const auto& p : node.pieces)
            if (p.child < 0) {
                filler += p.h;
                ++fillers;
            }
        const int fixed = content - filler;
        const int target = std::max(wanted - fixed, fillers * kMinFiller);
        if (filler > target) {
            Node::Piece* largest = nullptr;
            int total = 0;
            for (auto& p : node.pieces) {
                if (p.child >= 0)
                    continue;
                p.h = std::max(kMinFiller,
                               static_cast<int>(static_cast<long long>(p.h) * target / filler));
                total += p.h;
                if (!largest || p.h > largest->h)
                    largest = &p;
            }
            // Rounding: settle the difference on the largest stretch.
            largest->h = std::max(kMinFiller, largest->h + target - total);
            content = fixed;
            for (const auto& p : node.pieces)
                if (p.child < 0)
                    content += p.h;
        }
    }
    node.h = std::max(wanted, content);
    if (wanted > content && !node.pieces.empty()) {
        // The spare height goes to the largest stretch of parent space (or the last piece).
        auto it = std::max_element(
            node.pieces.begin(), node.pieces.end(), [](const auto& a, const auto& b) {
                return (a.child < 0 ? a.hi - a.lo : 0) < (b.child < 0 ? b.hi - b.lo : 0);
            });
        if (it->child >= 0)
            it = node.pieces.end() - 1;
        if (it->child < 0)
            it->h += wanted - content;
        else
            node.h = content + (wanted - content); // room below the last child
    }
}

void place(Node& node, int y) {
    node.y = y;
    int cur = y + node.header;
    for (auto& p : node.pieces) {
        p.y = cur;
        if (p.child >= 0)
            place(node.children[static_cast<size_t>(p.child)], cur);
        cur += p.h;
    }
}

// A "not to scale" cut across a box: a white zigzag band a little wider than the box.
void break_marker(svg::Writer& w, int x, int width, int y) {
    std::string top, bottom;
    const int x0 = x - 5, x1 = x + width + 5;
    int i = 0;
    for (int px = x0; px <= x1; px += 8, ++i) {
        const int dy = (i % 2 == 0) ? -3 : 3;
        top += fmt::format("{},{} ", px, y - 3 + dy);
        bottom = fmt::format("{},{} ", px, y + 3 + dy) + bottom;
    }
    std::string points = top + bottom;
    points.pop_back();
    w.polygon("break", points);
}

struct Context {
    svg::Writer& w;
    unsigned word_bits;
    U128 high_memory;
    U128 vmalloc_start;
    u64 vmalloc_offset;
};

std::string range_text(const Node& n, unsigned word_bits) {
    return fmt::format("{} - {}", format_addr(n.real_lo, word_bits),
                       format_addr(n.real_hi, word_bits));
}

std::string size_text(const Node& n) {
    return format_size(n.real_hi - n.real_lo) + (n.compressed ? "  (not to scale)" : "");
}

void draw(Context& ctx, const Node& n, int depth) {
    const int x = kBarX + kIndent * depth;
    const int width = kBarW - 2 * kIndent * depth;
    const int lx = kLabelX + kIndent * depth;
    const int mid = n.y + n.h / 2;

    if (n.kind == Kind::Gap) {
        ctx.w.rect("gap", x, n.y, width, n.h);
        // VMALLOC_START = high_memory + VMALLOC_OFFSET (rounded up on ARM): a guard gap.
        const bool offset_gap = ctx.vmalloc_offset != 0 && n.real_lo == ctx.high_memory &&
                                n.real_hi == ctx.vmalloc_start;
        const std::string what = offset_gap ? "VMALLOC_OFFSET gap" : "unused";
        ctx.w.text("gaplabel", lx, mid + 4, fmt::format("{}, {}", what, size_text(n)));
        if (n.compressed)
            break_marker(ctx.w, x, width, mid);
        return;
    }

    ctx.w.rect("region", x, n.y, width, n.h, fmt::format("fill=\"{}\"", n.fill));
    const bool has_children = !n.children.empty();
    const int name_y = has_children ? n.y + (depth == 0 ? 20 : 13) : mid + 4;
    ctx.w.text(depth == 0 ? "name" : "name small", x + width / 2, name_y, n.name, "middle");
    if (depth == 0 || n.kind == Kind::User) {
        const int first = has_children ? n.y + 14 : mid - 2;
        ctx.w.text("addr", lx, first, range_text(n, ctx.word_bits));
        ctx.w.text("size", lx, first + 14, size_text(n));
    } else {
        const int line = has_children ? n.y + 13 : mid + 4;
        ctx.w.text("addr small", lx, line,
                   fmt::format("{}  {}", range_text(n, ctx.word_bits), size_text(n)));
    }

    if (n.compressed) {
        // Leaf: three quarters down, clear of the centred name and of a marker on its top
        // edge. Parent: in its largest free stretch.
        int at = n.y + n.h * 3 / 4;
        int best = -1;
        for (const auto& p : n.pieces) {
            if (p.child < 0 && p.h >= 10 && p.h > best) {
                best = p.h;
                at = p.y + p.h / 2;
            }
        }
        break_marker(ctx.w, x, width, at);
    }
    for (const auto& c : n.children)
        draw(ctx, c, depth + 1);
}

// y of an address on the bar: exact at box edges, interpolated inside a box.
std::optional<int> y_of(const std::vector<Node>& bar, U128 addr) {
    for (const auto& n : bar) {
        if (addr == n.hi)
            return n.y;
        if (n.lo <= addr && addr < n.hi) {
            const double frac = static_cast<double>(n.hi - addr) / static_cast<double>(n.hi - n.lo);
            return n.y + static_cast<int>(std::lround(frac * n.h));
        }
    }
    return std::nullopt;
}

constexpr std::string_view kStyle = R"(<defs>
<pattern id="hatch" patternUnits="userSpaceOnUse" width="8" height="8">
<rect width="8" height="8" fill="#f7f7f7"/>
<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#b0b0b0" stroke-width="1"/>
</pattern>
<style type="text/css"><![CDATA[
text { font-family: sans-serif; font-size: 12px; fill: #222; }
.title { font-size: 17px; font-weight: bold; }
.subtitle { font-size: 12px; fill: #444; }
.name { font-weight: bold; }
.small { font-size: 11px; }
.addr { font-family: monospace; }
.size { fill: #444; }
.gaplabel { font-size: 11px; font-style: italic; fill: #777; }
.markname { font-size: 11px; font-weight: bold; fill: #b00000; }
.markaddr { font-family: monospace; font-size: 11px; fill: #b00000; }
.legend { font-size: 12px; fill: #333; }
rect.region { stroke: #333; stroke-width: 1; }
rect.gap { fill: url(#hatch); stroke: #aaa; stroke-width: 1; }
line.marker { stroke: #b00000; stroke-width: 1.5; stroke-dasharray: 5 3; }
polygon.break { fill: #fff; stroke: #333; stroke-width: 1; }
]]></style>
</defs>
)";

} // namespace

std::string render_layout_svg(const Layout& layout, std::string_view title) {
    return render_layout_svg(layout, title, {});
}

std::string render_layout_svg(const Layout& l, std::string_view title,
                              const std::vector<NamedRegion>& vmalloc_areas) {
    const unsigned bits = l.word_bits == 32 ? 32u : 64u;
    const U128 space_top = U128{1} << bits;
    const Scale& scale = bits == 32 ? kScale32 : kScale64;
    auto clip = [&](u64 v) { return std::min(U128{v}, space_top); };

    // Every box the layout defines; nesting comes from containment.
    std::vector<Node> items;
    auto add = [&](std::string name, u64 lo, u64 hi, std::string fill = {}) {
        if (clip(lo) < clip(hi))
            items.push_back(box(std::move(name), clip(lo), clip(hi), std::move(fill)));
    };
    auto has_region = [&](std::string_view name) { return l.region(name) != nullptr; };

    add(bits == 32 ? "lowmem" : "direct map", l.page_offset.get(), l.high_memory.get());
    add("vmalloc", l.vmalloc_start.get(), l.vmalloc_end.get());
    if (l.pkmap_base)
        add("pkmap", l.pkmap_base->get(), l.pkmap_base->get() + l.last_pkmap * l.page_size());
    if (!has_region("fixmap"))
        add("fixmap", l.fixaddr_start.get(), l.fixaddr_top.get());
    // i386 loads modules into vmalloc space itself (MODULES_VADDR == VMALLOC_START): no box.
    if (!(l.modules_vaddr == l.vmalloc_start && l.modules_end == l.vmalloc_end) &&
        !has_region("modules"))
        add("modules", l.modules_vaddr.get(), l.modules_end.get());
    for (const auto& r : l.regions)
        add(r.name, r.start.get(), r.end.get());
    const KernelImage& img = l.image;
    if (img.text < img.end) {
        add("kernel image", img.text.get(), img.end.get());
        add(".text", img.text.get(), img.etext.get());
        add(".rodata", img.start_rodata.get(), img.end_rodata.get());
        add(".data", img.sdata.get(), img.edata.get());
        add(".init", img.init_begin.get(), img.init_end.get());
        add(".bss", img.bss_start.get(), img.bss_stop.get());
    }
    for (const auto& a : vmalloc_areas)
        add(a.name, a.start.get(), a.end.get(), "#93c47d");
    std::stable_sort(items.begin(), items.end(), [](const Node& a, const Node& b) {
        return a.lo != b.lo ? a.lo < b.lo : a.hi > b.hi;
    });

    // The bar runs from the lowest kernel box (at most PAGE_OFFSET) to the top of the space.
    U128 bar_lo = clip(l.page_offset.get());
    for (const auto& n : items)
        bar_lo = std::min(bar_lo, n.lo);
    Node root = box("", bar_lo, space_top);
    for (auto& n : items)
        insert(root, std::move(n));

    // Top level, top to bottom: boxes with hatched gaps between them, then user space.
    std::vector<Node> bar;
    U128 cursor = space_top;
    auto gap = [&](U128 lo, U128 hi) {
        Node g = box("unused", lo, hi);
        g.kind = Kind::Gap;
        bar.push_back(std::move(g));
    };
    for (auto it = root.children.rbegin(); it != root.children.rend(); ++it) {
        if (it->hi < cursor)
            gap(it->hi, cursor);
        cursor = it->lo;
        bar.push_back(std::move(*it));
    }
    const U128 user_end = std::min(clip(l.task_size.get()), bar_lo);
    if (user_end < cursor)
        gap(user_end, cursor);
    if (user_end > 0) {
        Node u = box("user space", 0, user_end, "#eeeeee");
        u.kind = Kind::User;
        bar.push_back(std::move(u));
    }

    int y = kTop;
    for (auto& n : bar) {
        measure(n, 0, scale);
        place(n, y);
        y += n.h;
    }
    const int bar_bottom = y;

    std::vector<std::string> legend;
    if (bits == 32)
        legend.push_back("Scale: linear, 0.8 px per MiB; boxes have a minimum height; spans "
                         "over 525 MiB are compressed (cut).");
    else
        legend.push_back("Scale: piecewise — linear at 64 px per GiB up to 1 GiB, logarithmic "
                         "above (10 px per doubling, cut).");
    legend.push_back("Addresses: start - end, end exclusive, as the boot log prints them.");
    if (l.highmem_bytes > 0)
        legend.push_back(fmt::format("lowmem: {} of RAM direct-mapped below high_memory; highmem: "
                                     "{} more, mapped only on demand (pkmap, fixmap).",
                                     format_size(l.lowmem_bytes), format_size(l.highmem_bytes)));
    const int legend_y = bar_bottom + 30;
    const int height = legend_y + 24 + 18 * static_cast<int>(legend.size()) + 12;

    svg::Writer w(kWidth, height);
    w.raw(kStyle);
    w.rect("background", 0, 0, kWidth, height, "fill=\"#ffffff\"");
    w.text("title", 20, 28,
           title.empty() ? fmt::format("Kernel virtual address space ({})", arch_name(l.arch))
                         : std::string(title));
    w.text("subtitle", 20, 48,
           fmt::format("arch {}, {}-bit, PAGE_SIZE {}, PAGE_OFFSET {}", arch_name(l.arch), bits,
                       format_size(l.page_size()), format_addr(l.page_offset.get(), bits)));
    w.text("subtitle", 20, 66, "higher addresses at the top");

    Context ctx{w, bits, clip(l.high_memory.get()), clip(l.vmalloc_start.get()), l.vmalloc_offset};
    for (const auto& n : bar)
        draw(ctx, n, 0);

    // Markers on the left; names at the same address share one line.
    struct Mark {
        U128 addr;
        std::string names;
    };
    std::vector<Mark> marks;
    auto mark = [&](std::string_view name, u64 addr) {
        for (auto& m : marks) {
            if (m.addr == clip(addr)) {
                m.names += fmt::format(" = {}", name);
                return;
            }
        }
        marks.push_back({clip(addr), std::string(name)});
    };
    mark("PAGE_OFFSET", l.page_offset.get());
    mark("high_memory", l.high_memory.get());
    if (l.task_size.get() > 0)
        mark("TASK_SIZE", l.task_size.get());
    for (const auto& m : marks) {
        const auto my = y_of(bar, m.addr);
        if (!my)
            continue;
        w.line("marker", 8, *my, kBarX + kBarW + 8, *my);
        w.text("markname", 10, *my - 4, m.names);
        w.text("markaddr", 10, *my + 12, format_addr(m.addr, bits));
    }

    w.rect("gap", 20, legend_y - 11, 24, 14);
    w.text("legend", 52, legend_y, "unused: nothing mapped there");
    break_marker(w, 300, 24, legend_y - 4);
    w.text("legend", 340, legend_y, "cut: span drawn shorter than to scale");
    for (size_t i = 0; i < legend.size(); ++i)
        w.text("legend", 20, legend_y + 24 + 18 * static_cast<int>(i), legend[i]);
    return std::move(w).finish();
}

} // namespace kmemu
