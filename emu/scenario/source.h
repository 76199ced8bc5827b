// The text of a script and the files it includes, and the error format that points into them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emu/scenario/script_error.h"

namespace kmemu::scenario {

struct SourceFile {
    std::string name; // as shown in messages: the path given, or joined onto the includer's
    std::string text;
    // Byte offset of the start of each line (line N starts at line_starts[N-1]).
    std::vector<size_t> line_starts;

    SourceFile(std::string name_, std::string text_);
    [[nodiscard]] std::string_view line_text(unsigned line) const; // without the newline
};

// Owns every file of one script run; SourceLoc::file indexes it. Files never move once added.
class SourceSet {
  public:
    unsigned add(std::string name, std::string text);
    [[nodiscard]] const SourceFile& file(unsigned index) const { return *m_files.at(index); }
    [[nodiscard]] size_t size() const { return m_files.size(); }

    // "FILE:LINE:COL: error: MESSAGE\n", the source line, and a caret under the column.
    [[nodiscard]] std::string render_error(const ScriptError& error) const;

  private:
    std::vector<std::unique_ptr<SourceFile>> m_files;
};

} // namespace kmemu::scenario
