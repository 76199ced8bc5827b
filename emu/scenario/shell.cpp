#include "emu/scenario/shell.h"

#include <fmt/format.h>

namespace kmemu::scenario {

int open_braces(std::string_view t) {
    int depth = 0;
    for (size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (c == '#') {
            while (i < t.size() && t[i] != '\n')
                ++i;
        } else if (c == '"') {
            for (++i; i < t.size() && t[i] != '"'; ++i)
                if (t[i] == '\\')
                    ++i;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}') {
            --depth;
        }
    }
    return depth;
}

Shell::Shell(const std::vector<std::string>& words) : m_interp(m_empty) {
    if (!words.empty()) {
        std::string line = "machine";
        for (const auto& w : words)
            line += " " + w;
        (void)run_text(line + "\n");
    }
}

std::string Shell::run_text(std::string text) {
    Program& p = m_programs.emplace_back();
    auto parsed = parse_program(p, fmt::format("<input {}>", ++m_inputs), std::move(text),
                                host_file_reader());
    if (parsed.is_error())
        return p.sources.render_error(parsed.error());
    (void)m_interp.run_more(p);
    return m_interp.take_transcript();
}

std::string Shell::feed(std::string_view line) {
    if (m_pending.empty()) {
        std::string_view t = line;
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
            t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r'))
            t.remove_suffix(1);
        if (t == "help")
            return help("");
        if (t.starts_with("help ")) {
            t.remove_prefix(5);
            return help(t);
        }
        if (t.empty())
            return {};
    }
    m_pending.append(line);
    m_pending += '\n';
    if (open_braces(m_pending) > 0)
        return {};
    return run_text(std::exchange(m_pending, {}));
}

std::string Shell::help(std::string_view topic) const {
    const Registry& r = m_interp.registry();
    if (!topic.empty()) {
        if (auto* f = r.function(topic))
            return fmt::format("{}{}  (in {})\n", f->signature,
                               f->impl ? "" : "  [not yet available]", where_names(f->where));
        if (auto* c = r.command(topic))
            return fmt::format("{}{}  (in {})\n", c->signature,
                               c->impl ? "" : "  [not yet available]", where_names(c->where));
        if (r.constant(topic))
            return fmt::format("{} is a constant; `print {}` shows its value\n", topic, topic);
        return fmt::format("no function, command or constant named '{}' (try `help`)\n", topic);
    }
    std::string out =
        "Statements:\n"
        "  machine WORDS...                     boot the machine (once)\n"
        "  kernel { ... }                       run as kernel code\n"
        "  process [NAME] [uid=N] [gid=N] [caps=CAP_A,CAP_B|none|all] { ... }\n"
        "                                       run as a user process (NAME: again later)\n"
        "  NAME = EXPR    expect EXPR    print EXPR, ...\n"
        "  repeat N { ... }    if EXPR { ... } else { ... }    include \"FILE\"\n"
        "Commands:\n";
    for (const auto& [name, c] : r.commands())
        if (c.impl)
            out += fmt::format("  {:<36} {}\n", c.signature, where_names(c.where));
    out += "Functions:\n";
    for (const auto& [name, f] : r.functions())
        if (f.impl)
            out += fmt::format("  {:<36} {}\n", f.signature, where_names(f.where));
    out += "`help NAME` for one of them; docs/scenarios.md has the whole language.\n";
    return out;
}

} // namespace kmemu::scenario
