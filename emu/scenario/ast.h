// The scenario syntax tree. Expressions keep their source span, so `expect` can quote itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emu/scenario/lexer.h"
#include "emu/scenario/script_error.h"

namespace kmemu::scenario {

enum class ExprKind { Int, Bytes, Name, Unary, Binary, Ternary, Call, Index, Slice };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    ExprKind kind = ExprKind::Int;
    SourceLoc loc;    // the operator, name or literal the expression is reported at
    size_t begin = 0; // source span in file loc.file
    size_t end = 0;
    std::string text; // Name/Call: the name; Unary/Binary: the operator; Bytes: the bytes
    u64 value = 0;    // Int
    // Unary: [operand]; Binary: [lhs, rhs]; Ternary: [cond, then, else]; Call: the arguments;
    // Index: [base, index]; Slice: [base, lo or null, hi or null].
    std::vector<ExprPtr> kids;
    unsigned depth = 1; // 1 + the deepest child, bounded by kMaxExprDepth
};

enum class StmtKind {
    Machine, // machine WORDS...
    Kernel,  // kernel { body }
    Process, // process [NAME] [uid=N] [gid=N] [caps=A,B] { body }
    Assign,  // NAME = EXPR
    Expect,  // expect EXPR
    Print,   // print EXPR[, EXPR...]
    Eval,    // EXPR (a call), for its effect
    Command, // NAME ARG... (observation commands: layout, dmesg, cat PATH, ...)
    Repeat,  // repeat EXPR { body }
    If,      // if EXPR { body } [else { else_body }]
};

// One argument of a command: a bare path (/dev/mem) or an expression.
struct CommandArg {
    bool is_path = false;
    std::string path;
    SourceLoc loc;
    ExprPtr expr;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    StmtKind kind = StmtKind::Eval;
    SourceLoc loc;    // the statement's first token
    std::string name; // Assign target, Command name, Process name (may be empty)
    SourceLoc name_loc;
    std::vector<ExprPtr> exprs; // Assign/Expect/Repeat/If: [expr]; Print: items; Eval: [call]
    std::string text;           // Expect: the expression's source text
    std::vector<Token> words;   // Machine
    std::vector<CommandArg> args;
    // Process credentials; null when not given.
    ExprPtr uid, gid;
    std::vector<Token> caps; // Ident tokens
    bool caps_given = false;
    std::vector<StmtPtr> body, else_body;
};

// Limits that keep every input finite (DESIGN.md decision 7: no input crashes or hangs).
constexpr unsigned kMaxExprDepth = 200; // nesting of operators/parentheses in one expression
constexpr unsigned kMaxBlockDepth = 64; // nested { } blocks
constexpr unsigned kMaxIncludeDepth = 16;

} // namespace kmemu::scenario
