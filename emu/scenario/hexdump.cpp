#include "emu/scenario/hexdump.h"

#include <fmt/format.h>

namespace kmemu::scenario {

std::string hexdump_canonical(std::string_view bytes, u64 base) {
    std::string out;
    std::string_view previous;
    bool squeezing = false;
    for (size_t at = 0; at < bytes.size(); at += 16) {
        std::string_view line = bytes.substr(at, 16);
        if (line.size() == 16 && previous.size() == 16 && line == previous) {
            if (!squeezing)
                out += "*\n";
            squeezing = true;
            continue;
        }
        squeezing = false;
        previous = line;
        out += fmt::format("{:08x}  ", base + at);
        for (size_t i = 0; i < 16; ++i) {
            if (i < line.size())
                out += fmt::format("{:02x} ", static_cast<unsigned char>(line[i]));
            else
                out += "   ";
            if (i == 7)
                out += ' ';
        }
        out += " |";
        for (char c : line)
            out += (c >= 0x20 && c <= 0x7e) ? c : '.';
        out += "|\n";
    }
    out += fmt::format("{:08x}\n", base + bytes.size());
    return out;
}

} // namespace kmemu::scenario
