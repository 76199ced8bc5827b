#include "emu/scenario/parser.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace kmemu::scenario {

namespace {

constexpr std::array<std::string_view, 10> kKeywords{
    "machine", "kernel", "process", "expect", "print", "include", "repeat", "if", "else", "printf"};

bool is_keyword(std::string_view s) {
    // printf is an ordinary function; it is listed so it cannot be assigned to.
    return std::find(kKeywords.begin(), kKeywords.end(), s) != kKeywords.end();
}

// Binary operators by precedence level, loosest first (C's order).
const std::array<std::vector<std::string_view>, 9> kBinaryLevels{{
    {"||"},
    {"&&"},
    {"|"},
    {"^"},
    {"&"},
    {"==", "!="},
    {"<", "<=", ">", ">="},
    {"<<", ">>"},
    {"+", "-"},
}};
const std::vector<std::string_view> kMulOps{"*", "/", "%"};

class Parser {
  public:
    Parser(Program& program, const FileReader& reader) : m_program(program), m_reader(reader) {}

    Outcome<void> parse_file(unsigned file, std::vector<StmtPtr>& into, unsigned block_depth) {
        const SourceFile& src = m_program.sources.file(file);
        auto tokens = STRY(lex(src.text, file));
        std::vector<Token> saved = std::move(m_tokens);
        size_t saved_pos = m_pos;
        m_tokens = std::move(tokens);
        m_pos = 0;
        auto result = parse_statements(into, block_depth, /*in_block=*/false);
        m_tokens = std::move(saved);
        m_pos = saved_pos;
        return result;
    }

    std::vector<std::string> include_stack;

  private:
    const Token& peek(size_t ahead = 0) const {
        size_t i = std::min(m_pos + ahead, m_tokens.size() - 1);
        return m_tokens[i];
    }
    const Token& next() {
        const Token& t = m_tokens[m_pos];
        if (m_pos + 1 < m_tokens.size())
            ++m_pos;
        return t;
    }
    static ScriptError error_at(const Token& t, std::string message) {
        return ScriptError{t.loc, std::move(message)};
    }
    ScriptError expected(std::string_view what) const {
        return error_at(peek(), fmt::format("expected {}, found {}", what, describe(peek())));
    }
    Outcome<void> expect_punct(std::string_view p) {
        if (!peek().is_punct(p))
            return expected(fmt::format("'{}'", p));
        next();
        return {};
    }
    // The closing bracket of `open`, naming where the open one was when it is missing.
    Outcome<void> expect_close(std::string_view p, const Token& open) {
        if (!peek().is_punct(p))
            return expected(fmt::format("'{}' to close the '{}' at {}:{}", p, open.text,
                                        open.loc.line, open.loc.col));
        next();
        return {};
    }
    bool at_statement_end() const {
        const Token& t = peek();
        return t.kind == TokenKind::Newline || t.kind == TokenKind::End || t.is_punct(";") ||
               t.is_punct("}");
    }

    Outcome<void> parse_statements(std::vector<StmtPtr>& into, unsigned depth, bool in_block) {
        while (true) {
            const Token& t = peek();
            if (t.kind == TokenKind::Newline || t.is_punct(";")) {
                next();
                continue;
            }
            if (t.kind == TokenKind::End) {
                if (in_block)
                    return error_at(t, "missing '}' before end of file");
                return {};
            }
            if (t.is_punct("}")) {
                if (!in_block)
                    return error_at(t, "'}' without a matching '{'");
                return {};
            }
            STRY(parse_statement(into, depth));
            if (!at_statement_end())
                return expected("end of statement");
        }
    }

    Outcome<void> parse_block(std::vector<StmtPtr>& into, unsigned depth) {
        if (depth >= kMaxBlockDepth)
            return error_at(peek(),
                            fmt::format("blocks nested too deeply (at most {})", kMaxBlockDepth));
        STRY(expect_punct("{"));
        STRY(parse_statements(into, depth + 1, true));
        return expect_punct("}");
    }

    Outcome<void> parse_statement(std::vector<StmtPtr>& into, unsigned depth) {
        const Token& t = peek();
        if (t.kind != TokenKind::Ident)
            return error_at(t, fmt::format("expected a statement, found {}", describe(t)));
        auto s = std::make_unique<Stmt>();
        s->loc = t.loc;
        const std::string word = t.text;
        if (is_keyword(word) && peek(1).is_punct("="))
            return error_at(t, fmt::format("'{}' is a keyword and cannot be assigned", word));
        if (word == "include")
            return parse_include(into, depth);
        if (word == "machine") {
            next();
            s->kind = StmtKind::Machine;
            while (peek().kind == TokenKind::Word)
                s->words.push_back(next());
        } else if (word == "kernel") {
            next();
            s->kind = StmtKind::Kernel;
            STRY(parse_block(s->body, depth));
        } else if (word == "process") {
            next();
            STRY(parse_process(*s, depth));
        } else if (word == "expect") {
            next();
            s->kind = StmtKind::Expect;
            s->exprs.push_back(STRY(parse_expr()));
            s->text = expr_source(m_program.sources, *s->exprs[0]);
        } else if (word == "print") {
            next();
            s->kind = StmtKind::Print;
            s->exprs.push_back(STRY(parse_expr()));
            while (peek().is_punct(",")) {
                next();
                s->exprs.push_back(STRY(parse_expr()));
            }
        } else if (word == "repeat") {
            next();
            s->kind = StmtKind::Repeat;
            s->exprs.push_back(STRY(parse_expr()));
            STRY(parse_block(s->body, depth));
        } else if (word == "if") {
            next();
            STRY(parse_if(*s, depth));
        } else if (word == "else") {
            return error_at(t, "'else' without 'if' (write it on the line of the closing '}')");
        } else if (peek(1).is_punct("=")) {
            s->kind = StmtKind::Assign;
            s->name = word;
            s->name_loc = t.loc;
            if (is_keyword(word))
                return error_at(t, fmt::format("'{}' is a keyword and cannot be assigned", word));
            next();
            next();
            s->exprs.push_back(STRY(parse_expr()));
        } else if (peek(1).is_punct("(") && peek(1).begin == t.end) {
            s->kind = StmtKind::Eval;
            auto e = STRY(parse_expr());
            if (e->kind != ExprKind::Call)
                return ScriptError{e->loc, "this value is not used (a statement is a call, an "
                                           "assignment, or a command; use print or expect)"};
            s->exprs.push_back(std::move(e));
        } else {
            next();
            s->kind = StmtKind::Command;
            s->name = word;
            s->name_loc = t.loc;
            STRY(parse_command_args(*s));
        }
        into.push_back(std::move(s));
        return {};
    }

    Outcome<void> parse_if(Stmt& s, unsigned depth) {
        s.kind = StmtKind::If;
        s.exprs.push_back(STRY(parse_expr()));
        STRY(parse_block(s.body, depth));
        if (peek().is(TokenKind::Ident, "else")) {
            next();
            if (peek().is(TokenKind::Ident, "if")) {
                auto nested = std::make_unique<Stmt>();
                nested->loc = next().loc;
                if (depth + 1 >= kMaxBlockDepth)
                    return error_at(peek(), fmt::format("blocks nested too deeply (at most {})",
                                                        kMaxBlockDepth));
                STRY(parse_if(*nested, depth + 1));
                s.else_body.push_back(std::move(nested));
            } else {
                STRY(parse_block(s.else_body, depth));
            }
        }
        return {};
    }

    Outcome<void> parse_process(Stmt& s, unsigned depth) {
        s.kind = StmtKind::Process;
        if (peek().kind == TokenKind::Ident && !peek(1).is_punct("=")) {
            if (is_keyword(peek().text))
                return error_at(peek(),
                                fmt::format("'{}' is a keyword, not a process name", peek().text));
            s.name_loc = peek().loc;
            s.name = next().text;
        }
        while (peek().kind == TokenKind::Ident) {
            const Token& key = next();
            if (!peek().is_punct("="))
                return expected(fmt::format("'=' after '{}'", key.text));
            next();
            if (key.text == "uid" || key.text == "gid") {
                ExprPtr& slot = key.text == "uid" ? s.uid : s.gid;
                if (slot)
                    return error_at(key, fmt::format("{} given twice", key.text));
                slot = STRY(parse_unary(0));
            } else if (key.text == "caps") {
                if (s.caps_given)
                    return error_at(key, "caps given twice");
                s.caps_given = true;
                while (true) {
                    if (peek().kind != TokenKind::Ident)
                        return expected("a capability name (e.g. CAP_SYS_RAWIO, or none)");
                    s.caps.push_back(next());
                    if (!peek().is_punct(","))
                        break;
                    next();
                }
            } else {
                return error_at(key, fmt::format("unknown process setting '{}' (allowed: uid, "
                                                 "gid, caps)",
                                                 key.text));
            }
        }
        return parse_block(s.body, depth);
    }

    Outcome<void> parse_command_args(Stmt& s) {
        while (!at_statement_end()) {
            if (peek().is_punct(",") && !s.args.empty())
                next();
            CommandArg arg;
            arg.loc = peek().loc;
            if (peek().is_punct("/")) {
                // A bare path: '/' and the tokens glued to it without spaces.
                const SourceFile& f = m_program.sources.file(peek().loc.file);
                size_t begin = peek().begin, end = next().end;
                while (peek().begin == end &&
                       (peek().kind == TokenKind::Ident || peek().kind == TokenKind::Int ||
                        peek().is_punct("/") || peek().is_punct(".") || peek().is_punct("-")))
                    end = next().end;
                arg.is_path = true;
                arg.path = f.text.substr(begin, end - begin);
            } else {
                arg.expr = STRY(parse_expr());
            }
            s.args.push_back(std::move(arg));
        }
        return {};
    }

    Outcome<void> parse_include(std::vector<StmtPtr>& into, unsigned depth) {
        const Token& kw = next();
        if (peek().kind != TokenKind::String)
            return expected("a file name in quotes after include");
        const Token& name_tok = next();
        if (!at_statement_end())
            return expected("end of statement");
        namespace fs = std::filesystem;
        const SourceFile& includer = m_program.sources.file(kw.loc.file);
        fs::path p(name_tok.text);
        if (name_tok.text.empty() || name_tok.text.find('\0') != std::string::npos)
            return error_at(name_tok, "include needs a file name");
        if (p.is_relative())
            p = fs::path(includer.name).parent_path() / p;
        std::string resolved = p.lexically_normal().string();
        if (std::find(include_stack.begin(), include_stack.end(), resolved) !=
            include_stack.end()) {
            std::string chain;
            for (const auto& f : include_stack)
                chain += f + " -> ";
            return error_at(name_tok, fmt::format("include cycle: {}{}", chain, resolved));
        }
        if (include_stack.size() >= kMaxIncludeDepth)
            return error_at(
                name_tok, fmt::format("includes nested too deeply (at most {})", kMaxIncludeDepth));
        auto text = m_reader(resolved);
        if (text.is_error())
            return error_at(name_tok, text.error().message());
        unsigned file = m_program.sources.add(resolved, text.release_value());
        include_stack.push_back(resolved);
        auto result = parse_file(file, into, depth);
        include_stack.pop_back();
        return result;
    }

    // ---- expressions ----

    Outcome<ExprPtr> make(ExprKind kind, const Token& at, size_t begin, std::vector<ExprPtr> kids) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->loc = at.loc;
        e->text = at.text;
        e->begin = begin;
        e->end = m_tokens[m_pos > 0 ? m_pos - 1 : 0].end;
        unsigned d = 0;
        for (const auto& k : kids)
            if (k)
                d = std::max(d, k->depth);
        e->depth = d + 1;
        e->kids = std::move(kids);
        if (e->depth > kMaxExprDepth)
            return error_at(
                at, fmt::format("expression nested too deeply (at most {} levels)", kMaxExprDepth));
        return e;
    }

    Outcome<ExprPtr> parse_expr() {
        if (++m_nesting > kMaxExprDepth) {
            --m_nesting;
            return error_at(peek(), fmt::format("expression nested too deeply (at most {} levels)",
                                                kMaxExprDepth));
        }
        auto r = parse_ternary();
        --m_nesting;
        return r;
    }

    Outcome<ExprPtr> parse_ternary() {
        size_t begin = peek().begin;
        auto cond = STRY(parse_binary(0));
        if (!peek().is_punct("?"))
            return cond;
        Token q = next();
        auto a = STRY(parse_expr());
        STRY(expect_punct(":"));
        auto b = STRY(parse_expr());
        std::vector<ExprPtr> kids;
        kids.push_back(std::move(cond));
        kids.push_back(std::move(a));
        kids.push_back(std::move(b));
        return make(ExprKind::Ternary, q, begin, std::move(kids));
    }

    Outcome<ExprPtr> parse_binary(size_t level) {
        const auto& ops = level < kBinaryLevels.size() ? kBinaryLevels[level] : kMulOps;
        size_t begin = peek().begin;
        auto lhs = STRY(level < kBinaryLevels.size() ? parse_binary(level + 1) : parse_unary(0));
        while (peek().kind == TokenKind::Punct &&
               std::find(ops.begin(), ops.end(), peek().text) != ops.end()) {
            Token op = next();
            auto rhs =
                STRY(level < kBinaryLevels.size() ? parse_binary(level + 1) : parse_unary(0));
            std::vector<ExprPtr> kids;
            kids.push_back(std::move(lhs));
            kids.push_back(std::move(rhs));
            lhs = STRY(make(ExprKind::Binary, op, begin, std::move(kids)));
        }
        return lhs;
    }

    Outcome<ExprPtr> parse_unary(unsigned nesting) {
        const Token& t = peek();
        if (t.is_punct("-") || t.is_punct("+") || t.is_punct("!") || t.is_punct("~")) {
            if (nesting + m_nesting > kMaxExprDepth)
                return error_at(t, fmt::format("expression nested too deeply (at most {} levels)",
                                               kMaxExprDepth));
            Token op = next();
            auto operand = STRY(parse_unary(nesting + 1));
            std::vector<ExprPtr> kids;
            kids.push_back(std::move(operand));
            return make(ExprKind::Unary, op, op.begin, std::move(kids));
        }
        return parse_postfix();
    }

    Outcome<ExprPtr> parse_postfix() {
        size_t begin = peek().begin;
        auto e = STRY(parse_primary());
        while (peek().is_punct("[")) {
            Token open = next();
            std::vector<ExprPtr> kids;
            kids.push_back(std::move(e));
            ExprPtr lo, hi;
            if (!peek().is_punct(":"))
                lo = STRY(parse_expr());
            bool slice = false;
            if (peek().is_punct(":")) {
                slice = true;
                next();
                if (!peek().is_punct("]"))
                    hi = STRY(parse_expr());
            }
            if (!slice && !lo)
                return expected("an index");
            STRY(expect_close("]", open));
            kids.push_back(std::move(lo));
            if (slice)
                kids.push_back(std::move(hi));
            e = STRY(make(slice ? ExprKind::Slice : ExprKind::Index, open, begin, std::move(kids)));
        }
        return e;
    }

    Outcome<ExprPtr> parse_primary() {
        const Token& t = peek();
        if (t.kind == TokenKind::Int) {
            Token lit = next();
            auto e = STRY(make(ExprKind::Int, lit, lit.begin, {}));
            e->value = lit.value;
            return e;
        }
        if (t.kind == TokenKind::String) {
            Token lit = next();
            return make(ExprKind::Bytes, lit, lit.begin, {});
        }
        if (t.kind == TokenKind::Ident) {
            const Token& name = next();
            if (is_keyword(name.text) && name.text != "printf")
                return error_at(name, fmt::format("'{}' is a keyword and cannot be used as a "
                                                  "value",
                                                  name.text));
            if (!peek().is_punct("("))
                return make(ExprKind::Name, name, name.begin, {});
            const Token& open = next();
            std::vector<ExprPtr> args;
            if (!peek().is_punct(")")) {
                while (true) {
                    args.push_back(STRY(parse_expr()));
                    if (!peek().is_punct(","))
                        break;
                    next();
                }
            }
            STRY(expect_close(")", open));
            return make(ExprKind::Call, name, name.begin, std::move(args));
        }
        if (t.is_punct("(")) {
            const Token& open = next();
            auto inner = STRY(parse_expr());
            STRY(expect_close(")", open));
            // Parentheses make no node; an enclosing node's span covers them.
            return inner;
        }
        return expected("a value");
    }

    Program& m_program;
    const FileReader& m_reader;
    std::vector<Token> m_tokens;
    size_t m_pos = 0;
    unsigned m_nesting = 0;
};

} // namespace

FileReader host_file_reader() {
    return [](const std::string& path) -> ErrorOr<std::string> {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec))
            return make_error(ErrorKind::Io, "cannot include '{}': it is a directory", path);
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return make_error(ErrorKind::Io, "cannot include '{}': no such file or not readable",
                              path);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    };
}

Outcome<void> parse_program(Program& out, std::string name, std::string text,
                            const FileReader& reader) {
    unsigned file = out.sources.add(name, std::move(text));
    Parser parser(out, reader);
    parser.include_stack.push_back(
        std::filesystem::path(out.sources.file(file).name).lexically_normal().string());
    return parser.parse_file(file, out.stmts, 0);
}

std::string expr_source(const SourceSet& sources, const Expr& e) {
    const SourceFile& f = sources.file(e.loc.file);
    if (e.begin >= e.end || e.end > f.text.size())
        return {};
    // Collapse runs of whitespace (an expression may span lines inside parentheses).
    std::string out;
    bool space = false;
    for (size_t i = e.begin; i < e.end; ++i) {
        char c = f.text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

} // namespace kmemu::scenario
