// The layout picture (emu/svg/layout_svg.h). Layouts are built by hand with the values a real
// machine has (so the picture is checked independently of the arch layout code); the checks
// parse the coordinates the SVG states and compare them with the address order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

#include "emu/svg/layout_svg.h"
#include "emu/svg/svg_writer.h"

using namespace kmemu;

namespace {

// i386, 3G/1G split, 2 GiB RAM, a 4.15-era kernel: the values of its boot-time "virtual kernel
// memory layout" block.
Layout i386_layout() {
    Layout l;
    l.arch = Arch::I386;
    l.word_bits = 32;
    l.page_offset = VirtAddr(0xc0000000);
    l.task_size = VirtAddr(0xc0000000);
    // 512 MiB lowmem (0x20000 pages) of 2 GiB RAM (0x80000 pages).
    l.high_memory = VirtAddr(0xe0000000);
    l.max_low_pfn = Pfn(0x20000);
    l.max_pfn = Pfn(0x80000);
    l.lowmem_bytes = 512 * MiB;
    l.highmem_bytes = 1536 * MiB;
    l.vmalloc_offset = 8 * MiB;
    l.vmalloc_start = VirtAddr(0xe0800000); // high_memory + VMALLOC_OFFSET
    l.vmalloc_end = VirtAddr(0xff7fe000);   // PKMAP_BASE - 2 pages
    l.pkmap_base = VirtAddr(0xff800000);
    l.last_pkmap = 1024; // pkmap: 0xff800000 + 1024 * 4 KiB = 0xffc00000
    l.fixaddr_start = VirtAddr(0xfff16000);
    l.fixaddr_top = VirtAddr(0xfffff000);
    // i386 loads modules into vmalloc space.
    l.modules_vaddr = l.vmalloc_start;
    l.modules_end = l.vmalloc_end;
    // CEA_BASE = align_down(FIXADDR_START - 41 pages, 4 MiB) = 0xffc00000 (1 CPU); the
    // printout's map size is 41 pages = 0x29000.
    l.regions.push_back({"cpu_entry_area", VirtAddr(0xffc00000), VirtAddr(0xffc29000)});
    // Kernel loaded at 16 MiB physical (CONFIG_PHYSICAL_START), so _text = 0xc1000000.
    l.image.phys_start = PhysAddr(0x1000000);
    l.image.text = l.image.stext = VirtAddr(0xc1000000);
    l.image.etext = VirtAddr(0xc15b2000);
    l.image.start_rodata = VirtAddr(0xc15b2000);
    l.image.end_rodata = VirtAddr(0xc17e6000);
    l.image.sdata = VirtAddr(0xc17e6000);
    l.image.edata = VirtAddr(0xc18f9000);
    l.image.init_begin = VirtAddr(0xc1921000);
    l.image.init_end = VirtAddr(0xc19f0000);
    l.image.bss_start = VirtAddr(0xc19f0000);
    l.image.bss_stop = VirtAddr(0xc1a9b000);
    l.image.end = VirtAddr(0xc1b1d000);
    return l;
}

// x86_64, 4-level paging, 4.20+ (layouts.md B.1), 4 GiB RAM.
Layout x86_64_layout() {
    Layout l;
    l.arch = Arch::X86_64;
    l.word_bits = 64;
    l.page_offset = VirtAddr(0xffff888000000000);
    l.task_size = VirtAddr(0x00007ffffffff000);
    l.high_memory = VirtAddr(0xffff888100000000); // PAGE_OFFSET + 4 GiB
    l.vmalloc_start = VirtAddr(0xffffc90000000000);
    l.vmalloc_end = VirtAddr(0xffffe90000000000); // mm.rst's ...e8ffffffffff, exclusive
    l.fixaddr_top = VirtAddr(0xffffffffff7ff000);
    l.fixaddr_start = VirtAddr(0xffffffffff579000);
    l.modules_vaddr = VirtAddr(0xffffffffa0000000);
    l.modules_end = VirtAddr(0xffffffffff000000);
    l.regions = {
        {"guard hole", VirtAddr(0xffff800000000000), VirtAddr(0xffff880000000000)},
        {"LDT remap", VirtAddr(0xffff880000000000), VirtAddr(0xffff888000000000)},
        {"vmemmap", VirtAddr(0xffffea0000000000), VirtAddr(0xffffeb0000000000)},
        {"cpu_entry_area", VirtAddr(0xfffffe0000000000), VirtAddr(0xfffffe8000000000)},
        {"%esp fixup stacks", VirtAddr(0xffffff0000000000), VirtAddr(0xffffff8000000000)},
        {"EFI runtime", VirtAddr(0xffffffef00000000), VirtAddr(0xffffffff00000000)},
        {"kernel text mapping", VirtAddr(0xffffffff80000000), VirtAddr(0xffffffffa0000000)},
        {"vsyscall", VirtAddr(0xffffffffff600000), VirtAddr(0xffffffffff601000)},
    };
    l.image.phys_start = PhysAddr(0x1000000);
    l.image.text = l.image.stext = VirtAddr(0xffffffff81000000);
    l.image.etext = VirtAddr(0xffffffff81e00000);
    l.image.start_rodata = VirtAddr(0xffffffff82000000);
    l.image.end_rodata = VirtAddr(0xffffffff82800000);
    l.image.sdata = VirtAddr(0xffffffff82a00000);
    l.image.edata = VirtAddr(0xffffffff82c00000);
    l.image.init_begin = VirtAddr(0xffffffff82e00000);
    l.image.init_end = VirtAddr(0xffffffff83000000);
    l.image.bss_start = VirtAddr(0xffffffff83200000);
    l.image.bss_stop = VirtAddr(0xffffffff83400000);
    l.image.end = VirtAddr(0xffffffff83600000);
    return l;
}

// ARM (classic MMU), 3G/1G, 256 MiB RAM at 0x60000000, HIGHMEM: modules and pkmap sit below
// PAGE_OFFSET (MODULES_VADDR = PAGE_OFFSET - 16 MiB, PKMAP_BASE = PAGE_OFFSET - 2 MiB).
Layout arm_layout() {
    Layout l;
    l.arch = Arch::Arm;
    l.word_bits = 32;
    l.page_offset = VirtAddr(0xc0000000);
    l.phys_offset = PhysAddr(0x60000000);
    l.task_size = VirtAddr(0xbf000000);
    l.high_memory = VirtAddr(0xd0000000);
    l.vmalloc_offset = 8 * MiB;
    l.vmalloc_start = VirtAddr(0xd0800000);
    l.vmalloc_end = VirtAddr(0xff800000);
    l.pkmap_base = VirtAddr(0xbfe00000);
    l.last_pkmap = 512; // PTRS_PER_PTE: 2 MiB
    l.fixaddr_start = VirtAddr(0xffc00000);
    l.fixaddr_top = VirtAddr(0xffe00000);
    l.modules_vaddr = VirtAddr(0xbf000000);
    l.modules_end = VirtAddr(0xbfe00000);
    l.regions = {
        {"fixmap", VirtAddr(0xffc00000), VirtAddr(0xfff00000)},
        {"vector", VirtAddr(0xffff0000), VirtAddr(0xffff1000)},
    };
    return l;
}

struct Box {
    std::string name;
    int y;
    int h;
};

int attr(const std::string& tag, const std::string& name) {
    const auto at = tag.find(" " + name + "=\"");
    REQUIRE(at != std::string::npos);
    return std::atoi(tag.c_str() + at + name.size() + 3);
}

// Every region box in drawing order, with the name drawn right after its rect.
std::vector<Box> boxes(const std::string& svg) {
    std::vector<Box> out;
    for (size_t at = svg.find("<rect class=\"region\""); at != std::string::npos;
         at = svg.find("<rect class=\"region\"", at + 1)) {
        const std::string tag = svg.substr(at, svg.find('>', at) - at);
        const auto name_at = svg.find("<text class=\"name", at);
        const auto open = svg.find('>', name_at) + 1;
        out.push_back({svg.substr(open, svg.find("</text>", open) - open), attr(tag, "y"),
                       attr(tag, "height")});
    }
    return out;
}

Box find_box(const std::string& svg, const std::string& name) {
    for (const auto& b : boxes(svg))
        if (b.name == name)
            return b;
    FAIL("no box named " << name);
    return {};
}

// y of the marker line whose label (drawn right after it) is `names`.
int marker_y(const std::string& svg, const std::string& names) {
    for (size_t at = svg.find("<line class=\"marker\""); at != std::string::npos;
         at = svg.find("<line class=\"marker\"", at + 1)) {
        const auto open = svg.find('>', svg.find("<text class=\"markname\"", at)) + 1;
        if (svg.substr(open, svg.find("</text>", open) - open) == names)
            return attr(svg.substr(at, svg.find('>', at) - at), "y1");
    }
    FAIL("no marker " << names);
    return 0;
}

// Vertical middles of the break ("not to scale") polygons.
std::vector<int> break_ys(const std::string& svg) {
    std::vector<int> out;
    const std::string key = "<polygon class=\"break\" points=\"";
    for (size_t at = svg.find(key); at != std::string::npos; at = svg.find(key, at + 1)) {
        // First point is "x,y" on the top edge (y - 6 at an even point); the band is 6 px tall.
        const auto comma = svg.find(',', at + key.size());
        out.push_back(std::atoi(svg.c_str() + comma + 1) + 6);
    }
    return out;
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("svg: i386 regions carry their exact addresses and sizes", "[svg]") {
    const std::string svg = render_layout_svg(i386_layout(), "i386 3G/1G, 2 GiB RAM");
    // lowmem = PAGE_OFFSET .. high_memory = 0x20000000 = 512 MiB.
    CHECK(svg.find(">lowmem</text>") != std::string::npos);
    CHECK(svg.find(">0xc0000000 - 0xe0000000</text>") != std::string::npos);
    CHECK(svg.find(">512 MiB</text>") != std::string::npos);
    // vmalloc: 0xff7fe000 - 0xe0800000 = 0x1effe000 = 520085504 B = 495.992 MiB.
    CHECK(svg.find(">0xe0800000 - 0xff7fe000</text>") != std::string::npos);
    CHECK(svg.find(">495.99 MiB</text>") != std::string::npos);
    // pkmap: 1024 pages of 4 KiB from 0xff800000 = 4 MiB, up to 0xffc00000.
    CHECK(svg.find(">0xff800000 - 0xffc00000</text>") != std::string::npos);
    CHECK(svg.find(">4 MiB</text>") != std::string::npos);
    // cpu_entry_area: 0x29000 = 41 pages = 164 KiB.
    CHECK(svg.find(">0xffc00000 - 0xffc29000</text>") != std::string::npos);
    CHECK(svg.find(">164 KiB</text>") != std::string::npos);
    // fixmap: 0xfffff000 - 0xfff16000 = 0xe9000 = 233 pages = 932 KiB.
    CHECK(svg.find(">0xfff16000 - 0xfffff000</text>") != std::string::npos);
    CHECK(svg.find(">932 KiB</text>") != std::string::npos);
    // Kernel image sections, one line each: .text = 0x5b2000 = 5.695 MiB.
    CHECK(svg.find(">0xc1000000 - 0xc15b2000  5.69 MiB</text>") != std::string::npos);
    // The gap between high_memory and VMALLOC_START is VMALLOC_OFFSET.
    CHECK(svg.find(">VMALLOC_OFFSET gap, 8 MiB</text>") != std::string::npos);
    // i386 modules live in vmalloc space: no separate box.
    CHECK(svg.find(">modules</text>") == std::string::npos);
    CHECK(svg.find(">i386 3G/1G, 2 GiB RAM</text>") != std::string::npos);
}

TEST_CASE("svg: boxes run in address order, highest at the top", "[svg]") {
    const std::string svg = render_layout_svg(i386_layout());
    const std::vector<std::string> top_down = {"fixmap",  "cpu_entry_area", "pkmap",
                                               "vmalloc", "lowmem",         "user space"};
    for (size_t i = 0; i + 1 < top_down.size(); ++i) {
        const Box upper = find_box(svg, top_down[i]);
        const Box lower = find_box(svg, top_down[i + 1]);
        INFO(upper.name << " above " << lower.name);
        CHECK(upper.y + upper.h <= lower.y);
    }
    // The image nests inside lowmem, its sections in address order inside it.
    const Box lowmem = find_box(svg, "lowmem");
    const Box image = find_box(svg, "kernel image");
    CHECK(lowmem.y < image.y);
    CHECK(image.y + image.h <= lowmem.y + lowmem.h);
    const std::vector<std::string> sections = {".bss", ".init", ".data", ".rodata", ".text"};
    for (size_t i = 0; i + 1 < sections.size(); ++i) {
        const Box upper = find_box(svg, sections[i]);
        const Box lower = find_box(svg, sections[i + 1]);
        INFO(upper.name << " above " << lower.name);
        CHECK(upper.y + upper.h <= lower.y);
        CHECK(image.y <= upper.y);
        CHECK(lower.y + lower.h <= image.y + image.h);
    }
    // Minimum heights: fixmap (932 KiB, under 1 px to scale) still gets a readable box.
    CHECK(find_box(svg, "fixmap").h >= 30);
}

TEST_CASE("svg: 32-bit 3G/1G is drawn to scale", "[svg]") {
    const std::string svg = render_layout_svg(i386_layout());
    // 0.8 px per MiB: lowmem 512 MiB = 409.6 -> 410 px, vmalloc 495.99 MiB = 396.8 -> 397 px.
    CHECK(find_box(svg, "lowmem").h == 410);
    CHECK(find_box(svg, "vmalloc").h == 397);
    // Only the user-space band (3 GiB) is cut.
    CHECK(count(svg, "(not to scale)") == 1);
    CHECK(svg.find(">3 GiB  (not to scale)</text>") != std::string::npos);
}

TEST_CASE("svg: high_memory is marked between lowmem and vmalloc", "[svg]") {
    const std::string svg = render_layout_svg(i386_layout());
    const Box lowmem = find_box(svg, "lowmem");
    const Box vmalloc = find_box(svg, "vmalloc");
    const int y = marker_y(svg, "high_memory");
    CHECK(y == lowmem.y);             // the top of lowmem
    CHECK(vmalloc.y + vmalloc.h < y); // the 8 MiB gap lies between
    CHECK(marker_y(svg, "PAGE_OFFSET = TASK_SIZE") == lowmem.y + lowmem.h);
    CHECK(svg.find(">0xe0000000</text>") != std::string::npos);
}

TEST_CASE("svg: text is escaped", "[svg]") {
    std::vector<NamedRegion> areas = {
        {"ioremap <pci&bar>", VirtAddr(0xf0000000), VirtAddr(0xf0100000)}};
    const std::string svg = render_layout_svg(i386_layout(), "a<b & \"c\">d", areas);
    CHECK(svg.find(">a&lt;b &amp; &quot;c&quot;&gt;d</text>") != std::string::npos);
    CHECK(svg.find(">ioremap &lt;pci&amp;bar&gt;</text>") != std::string::npos);
    CHECK(svg.find("a<b") == std::string::npos);
    CHECK(svg.find("<pci") == std::string::npos);
    CHECK(svg::escape("x'y") == "x&apos;y");
}

TEST_CASE("svg: output is deterministic and a well-formed SVG 1.1 document", "[svg]") {
    const Layout l = x86_64_layout();
    const std::string a = render_layout_svg(l, "x86_64");
    const Layout copy = l;
    CHECK(render_layout_svg(copy, "x86_64") == a);
    CHECK(a.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0) == 0);
    CHECK(a.find("xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"") != std::string::npos);
    const std::string svg_tag = a.substr(a.find("<svg "), a.find('>', a.find("<svg ")));
    const int w = attr(svg_tag, "width"), h = attr(svg_tag, "height");
    CHECK(w == 900);
    CHECK(svg_tag.find(fmt::format("viewBox=\"0 0 {} {}\"", w, h)) != std::string::npos);
    CHECK(a.substr(a.size() - 7) == "</svg>\n");
    CHECK(count(a, "<text ") == count(a, "</text>"));
    // Nothing drawn below the declared height.
    for (const auto& b : boxes(a))
        CHECK(b.y + b.h < h);
}

TEST_CASE("svg: x86_64 uses 16-digit addresses and cuts the huge spans", "[svg]") {
    const std::string svg = render_layout_svg(x86_64_layout());
    CHECK(svg.find(">0xffffc90000000000 - 0xffffe90000000000</text>") != std::string::npos);
    CHECK(svg.find(">0xffff888000000000 - 0xffff888100000000</text>") != std::string::npos);
    CHECK(svg.find(">direct map</text>") != std::string::npos);
    // vmalloc is 0x200000000000 = 32 TiB: far over the 1 GiB linear range, so it is cut.
    CHECK(svg.find(">32 TiB  (not to scale)</text>") != std::string::npos);
    const Box vmalloc = find_box(svg, "vmalloc");
    const auto ys = break_ys(svg);
    CHECK(std::any_of(ys.begin(), ys.end(),
                      [&](int y) { return vmalloc.y < y && y < vmalloc.y + vmalloc.h; }));
    CHECK(svg.find("logarithmic") != std::string::npos);
    // The image is not in the direct map: it nests in the kernel text mapping.
    const Box text_map = find_box(svg, "kernel text mapping");
    const Box image = find_box(svg, "kernel image");
    CHECK(text_map.y < image.y);
    CHECK(image.y + image.h <= text_map.y + text_map.h);
    // vsyscall (one page) nests inside fixmap; fixmap above modules above the text mapping.
    const Box fixmap = find_box(svg, "fixmap");
    const Box vsyscall = find_box(svg, "vsyscall");
    CHECK(fixmap.y < vsyscall.y);
    CHECK(vsyscall.y + vsyscall.h <= fixmap.y + fixmap.h);
    CHECK(fixmap.y + fixmap.h <= find_box(svg, "modules").y);
    CHECK(find_box(svg, "modules").y + find_box(svg, "modules").h <= text_map.y);
    CHECK(find_box(svg, "guard hole").y > find_box(svg, "direct map").y);
}

TEST_CASE("svg: ARM modules and pkmap sit below PAGE_OFFSET, above user space", "[svg]") {
    const std::string svg = render_layout_svg(arm_layout());
    const Box lowmem = find_box(svg, "lowmem");
    const Box pkmap = find_box(svg, "pkmap");
    const Box modules = find_box(svg, "modules");
    const Box user = find_box(svg, "user space");
    CHECK(lowmem.y + lowmem.h <= pkmap.y);
    CHECK(pkmap.y + pkmap.h <= modules.y);
    CHECK(modules.y + modules.h <= user.y);
    // modules: 0xbf000000 - 0xbfe00000 = 14 MiB; user space ends at TASK_SIZE = 0xbf000000.
    CHECK(svg.find(">0xbf000000 - 0xbfe00000</text>") != std::string::npos);
    CHECK(svg.find(">14 MiB</text>") != std::string::npos);
    CHECK(svg.find(">0x00000000 - 0xbf000000</text>") != std::string::npos);
    CHECK(marker_y(svg, "PAGE_OFFSET") == lowmem.y + lowmem.h);
    CHECK(marker_y(svg, "TASK_SIZE") == modules.y + modules.h);
    // The arch's own "fixmap" region replaces the FIXADDR_* box: drawn once.
    CHECK(count(svg, ">fixmap</text>") == 1);
    CHECK(svg.find(">0xffc00000 - 0xfff00000</text>") != std::string::npos);
}

TEST_CASE("svg: vmalloc areas are drawn inside the vmalloc box", "[svg]") {
    const std::vector<NamedRegion> areas = {
        {"ioremap", VirtAddr(0xe0800000), VirtAddr(0xe0802000)},
        {"vmap", VirtAddr(0xe0804000), VirtAddr(0xe0a05000)},
    };
    const std::string svg = render_layout_svg(i386_layout(), "", areas);
    const Box vmalloc = find_box(svg, "vmalloc");
    const Box ioremap = find_box(svg, "ioremap");
    const Box vmap = find_box(svg, "vmap");
    CHECK(vmalloc.y < vmap.y);
    CHECK(vmap.y + vmap.h <= ioremap.y);
    CHECK(ioremap.y + ioremap.h <= vmalloc.y + vmalloc.h);
    // 0x2000 = 8 KiB; 0x201000 = 2 MiB + 4 KiB = 2.0039 MiB.
    CHECK(svg.find(">0xe0800000 - 0xe0802000  8 KiB</text>") != std::string::npos);
    CHECK(svg.find(">0xe0804000 - 0xe0a05000  2 MiB</text>") == std::string::npos);
    CHECK(svg.find(">0xe0804000 - 0xe0a05000  2.00 MiB</text>") != std::string::npos);
    // No areas: the same picture as the one-argument form.
    CHECK(render_layout_svg(i386_layout(), "", {}) == render_layout_svg(i386_layout(), ""));
}

TEST_CASE("svg: an empty layout still renders a valid picture", "[svg]") {
    const std::string svg = render_layout_svg(Layout{});
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(boxes(svg).empty());
}

TEST_CASE("svg: bad spans are skipped or clipped, sizes truncate", "[svg]") {
    Layout l;
    l.arch = Arch::I386;
    l.word_bits = 32;
    l.page_offset = VirtAddr(0xc0000000);
    l.task_size = VirtAddr(0xc0000000);
    l.high_memory = VirtAddr(0xc0000000);   // no lowmem at all: no box
    l.vmalloc_start = VirtAddr(0xf0000000); // inverted: no box
    l.vmalloc_end = VirtAddr(0xe0000000);
    l.regions = {
        // 0x3ffff000 = 1 GiB - 4 KiB = 1023.996 MiB: shown truncated, not as "1024.00 MiB".
        {"big", VirtAddr(0xc0000000), VirtAddr(0xfffff000)},
        // Beyond the 32-bit space entirely: dropped.
        {"beyond", VirtAddr(0x100000000), VirtAddr(0x100001000)},
    };
    const std::string svg = render_layout_svg(l);
    const auto b = boxes(svg);
    REQUIRE(b.size() == 2);
    CHECK(b[0].name == "big");
    CHECK(b[1].name == "user space");
    CHECK(svg.find(">1023.99 MiB  (not to scale)</text>") != std::string::npos);
    CHECK(svg.find("beyond") == std::string::npos);
}
