// libFuzzer target for the scenario lexer and parser: any input must give a Program or a
// located error, never a crash, a hang or unbounded memory. Built only with KMEMU_FUZZ=ON and
// clang (see docs/scenarios.md, "Fuzzing the parser").
#include <cstddef>
#include <cstdint>
#include <string>

#include "emu/scenario/parser.h"

using namespace kmemu;
using namespace kmemu::scenario;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    // Includes see a tiny fake file system: "self.kms" is the input itself (so cycles and deep
    // include chains are reached), "lib.kms" a fixed file, anything else is missing.
    FileReader reader = [&text](const std::string& path) -> ErrorOr<std::string> {
        if (path == "self.kms")
            return text;
        if (path == "lib.kms")
            return std::string("x = 1\nexpect x == 1\n");
        return make_error(ErrorKind::Io, "cannot include '{}': no such file", path);
    };
    Program program;
    auto result = parse_program(program, "self.kms", text, reader);
    if (result.is_error()) {
        std::string rendered = program.sources.render_error(result.error());
        (void)rendered;
    }
    return 0;
}
