// The scenario parser: tokens to statements. It knows the language's keywords only; functions,
// commands and constants are names resolved later against a Registry, so new ones plug in
// without touching the parser.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "emu/scenario/ast.h"
#include "emu/scenario/source.h"
#include "mm/error.h"

namespace kmemu::scenario {

struct Program {
    SourceSet sources;
    std::vector<StmtPtr> stmts;
};

// Reads an included file by path (a real file system, or a fake one in tests and the fuzzer).
using FileReader = std::function<ErrorOr<std::string>(const std::string& path)>;
[[nodiscard]] FileReader host_file_reader();

// Parse `text` (the file called `name`) and every file it includes into `out`. On error `out`
// still holds the sources, so the error can be rendered with its line.
[[nodiscard]] Outcome<void> parse_program(Program& out, std::string name, std::string text,
                                          const FileReader& reader);

// The source text an expression was parsed from (for expectation messages).
[[nodiscard]] std::string expr_source(const SourceSet& sources, const Expr& e);

} // namespace kmemu::scenario
