#include "emu/svg/svg_writer.h"

#include <fmt/format.h>

namespace kmemu::svg {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

Writer::Writer(int width, int height) {
    m_out = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                        "width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n",
                        width, height);
}

void Writer::raw(std::string_view markup) {
    m_out += markup;
}

void Writer::rect(std::string_view cls, int x, int y, int w, int h, std::string_view attrs) {
    m_out += fmt::format("<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}{}/>\n",
                         cls, x, y, w, h, attrs.empty() ? "" : " ", attrs);
}

void Writer::line(std::string_view cls, int x1, int y1, int x2, int y2) {
    m_out += fmt::format("<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", cls, x1,
                         y1, x2, y2);
}

void Writer::polygon(std::string_view cls, std::string_view points) {
    m_out += fmt::format("<polygon class=\"{}\" points=\"{}\"/>\n", cls, points);
}

void Writer::text(std::string_view cls, int x, int y, std::string_view content,
                  std::string_view anchor) {
    m_out += fmt::format("<text class=\"{}\" x=\"{}\" y=\"{}\"{}>{}</text>\n", cls, x, y,
                         anchor == "start" ? "" : fmt::format(" text-anchor=\"{}\"", anchor),
                         escape(content));
}

std::string Writer::finish() && {
    m_out += "</svg>\n";
    return std::move(m_out);
}

} // namespace kmemu::svg
