#include "emu/layout_json.h"

#include <fmt/format.h>

namespace kmemu {

namespace {

class JsonObject {
  public:
    explicit JsonObject(std::string& out, int indent) : m_out(out), m_indent(indent) {
        m_out += "{";
    }
    void addr(std::string_view key, u64 value) { raw(key, fmt::format("\"{:#x}\"", value)); }
    void number(std::string_view key, u64 value) { raw(key, fmt::format("{}", value)); }
    void string(std::string_view key, std::string_view value) {
        raw(key, fmt::format("\"{}\"", value));
    }
    void raw(std::string_view key, std::string_view value) {
        m_out += m_first ? "\n" : ",\n";
        m_first = false;
        m_out += fmt::format("{:{}}\"{}\": {}", "", m_indent + 2, key, value);
    }
    void close() { m_out += fmt::format("\n{:{}}}}", "", m_indent); }

  private:
    std::string& m_out;
    int m_indent;
    bool m_first = true;
};

} // namespace

std::string layout_to_json(const Layout& l) {
    std::string out;
    JsonObject o(out, 0);
    o.string("arch", arch_name(l.arch));
    o.number("word_bits", l.word_bits);
    o.number("PAGE_SIZE", l.page_size());
    o.number("phys_bits", l.phys_bits);
    o.addr("PAGE_OFFSET", l.page_offset.get());
    o.addr("PHYS_OFFSET", l.phys_offset.get());
    o.addr("TASK_SIZE", l.task_size.get());
    o.addr("high_memory", l.high_memory.get());
    o.number("min_low_pfn", l.min_low_pfn.get());
    o.number("max_low_pfn", l.max_low_pfn.get());
    o.number("max_pfn", l.max_pfn.get());
    o.addr("VMALLOC_OFFSET", l.vmalloc_offset);
    o.addr("VMALLOC_START", l.vmalloc_start.get());
    o.addr("VMALLOC_END", l.vmalloc_end.get());
    if (l.pkmap_base)
        o.addr("PKMAP_BASE", l.pkmap_base->get());
    else
        o.raw("PKMAP_BASE", "null");
    o.number("LAST_PKMAP", l.last_pkmap);
    o.addr("FIXADDR_START", l.fixaddr_start.get());
    o.addr("FIXADDR_TOP", l.fixaddr_top.get());
    o.addr("MODULES_VADDR", l.modules_vaddr.get());
    o.addr("MODULES_END", l.modules_end.get());
    o.number("lowmem_bytes", l.lowmem_bytes);
    o.number("highmem_bytes", l.highmem_bytes);

    std::string zones = "[";
    for (size_t i = 0; i < l.zones.size(); ++i) {
        const auto& z = l.zones[i];
        zones += fmt::format("{}\n    {{\"name\": \"{}\", \"start_pfn\": {}, \"end_pfn\": {}}}",
                             i ? "," : "", zone_name(z.type), z.start.get(), z.end.get());
    }
    zones += l.zones.empty() ? "]" : "\n  ]";
    o.raw("zones", zones);

    std::string regions = "[";
    for (size_t i = 0; i < l.regions.size(); ++i) {
        const auto& r = l.regions[i];
        regions +=
            fmt::format("{}\n    {{\"name\": \"{}\", \"start\": \"{:#x}\", \"end\": \"{:#x}\"}}",
                        i ? "," : "", r.name, r.start.get(), r.end.get());
    }
    regions += l.regions.empty() ? "]" : "\n  ]";
    o.raw("regions", regions);

    std::string image;
    JsonObject im(image, 2);
    im.addr("phys_start", l.image.phys_start.get());
    im.addr("_text", l.image.text.get());
    im.addr("_stext", l.image.stext.get());
    im.addr("_etext", l.image.etext.get());
    im.addr("__start_rodata", l.image.start_rodata.get());
    im.addr("__end_rodata", l.image.end_rodata.get());
    im.addr("_sdata", l.image.sdata.get());
    im.addr("_edata", l.image.edata.get());
    im.addr("__init_begin", l.image.init_begin.get());
    im.addr("__init_end", l.image.init_end.get());
    im.addr("__bss_start", l.image.bss_start.get());
    im.addr("__bss_stop", l.image.bss_stop.get());
    im.addr("_end", l.image.end.get());
    im.close();
    o.raw("kernel_image", image);
    o.close();
    out += "\n";
    return out;
}

} // namespace kmemu
