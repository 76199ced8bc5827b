// A tiny SVG 1.1 writer: escaping and the handful of elements kmemu's pictures use. Numbers
// are integers (pixels), so the same drawing always gives the same bytes.
#pragma once

#include <string>
#include <string_view>

namespace kmemu::svg {

// Text content and attribute values: &, <, >, " and ' as entities.
[[nodiscard]] std::string escape(std::string_view text);

class Writer {
  public:
    // Opens the document: XML declaration, <svg> with xmlns, version, width, height, viewBox.
    Writer(int width, int height);

    // Raw markup the caller has built (defs, style); not escaped.
    void raw(std::string_view markup);
    // attrs: extra attributes written verbatim (caller escapes values), e.g. `fill="#fff"`.
    void rect(std::string_view cls, int x, int y, int w, int h, std::string_view attrs = {});
    void line(std::string_view cls, int x1, int y1, int x2, int y2);
    void polygon(std::string_view cls, std::string_view points);
    // anchor: "start", "middle" or "end". The text is escaped here.
    void text(std::string_view cls, int x, int y, std::string_view content,
              std::string_view anchor = "start");

    // Closes </svg> and returns the document.
    [[nodiscard]] std::string finish() &&;

  private:
    std::string m_out;
};

} // namespace kmemu::svg
