#include "emu/scenario/source.h"

#include <fmt/format.h>

namespace kmemu::scenario {

SourceFile::SourceFile(std::string name_, std::string text_)
    : name(std::move(name_)), text(std::move(text_)) {
    line_starts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n')
            line_starts.push_back(i + 1);
}

std::string_view SourceFile::line_text(unsigned line) const {
    if (line == 0 || line > line_starts.size())
        return {};
    size_t start = line_starts[line - 1];
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
        end = text.size();
    std::string_view v(text.data() + start, end - start);
    if (!v.empty() && v.back() == '\r')
        v.remove_suffix(1);
    return v;
}

unsigned SourceSet::add(std::string name, std::string text) {
    m_files.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text)));
    return static_cast<unsigned>(m_files.size() - 1);
}

std::string SourceSet::render_error(const ScriptError& error) const {
    if (error.loc.file >= m_files.size())
        return fmt::format("error: {}\n", error.message);
    const SourceFile& f = *m_files[error.loc.file];
    std::string out =
        fmt::format("{}:{}:{}: error: {}\n", f.name, error.loc.line, error.loc.col, error.message);
    std::string_view line = f.line_text(error.loc.line);
    if (error.loc.line == 0)
        return out;
    out += line;
    out += '\n';
    // The caret line copies tabs from the source so the caret lines up in a terminal.
    std::string caret;
    for (unsigned c = 1; c < error.loc.col; ++c)
        caret += (c - 1 < line.size() && line[c - 1] == '\t') ? '\t' : ' ';
    out += caret + "^\n";
    return out;
}

} // namespace kmemu::scenario
