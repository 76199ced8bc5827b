#include "emu/scenario/diff.h"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace kmemu::scenario {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

enum class Op { Keep, Del, Add };
struct Edit {
    Op op;
    size_t a; // line index in expected (Keep/Del)
    size_t b; // line index in actual (Keep/Add)
};

// Longest common subsequence by dynamic programming; O(n*m) cells, bounded by the caller.
std::vector<Edit> lcs_edits(const std::vector<std::string_view>& a,
                            const std::vector<std::string_view>& b) {
    const size_t n = a.size(), m = b.size();
    std::vector<unsigned> len((n + 1) * (m + 1), 0);
    auto L = [&](size_t i, size_t j) -> unsigned& { return len[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L(i, j) = a[i] == b[j] ? L(i + 1, j + 1) + 1 : std::max(L(i + 1, j), L(i, j + 1));
    std::vector<Edit> edits;
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] == b[j]) {
            edits.push_back({Op::Keep, i++, j++});
        } else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
            edits.push_back({Op::Del, i++, j}); // deletions first, as diff -u shows them
        } else {
            edits.push_back({Op::Add, i, j++});
        }
    }
    return edits;
}

constexpr size_t kMaxCells = 16u << 20;
constexpr size_t kContext = 3;

} // namespace

std::string unified_diff(std::string_view expected, std::string_view actual,
                         std::string_view expected_label, std::string_view actual_label) {
    if (expected == actual)
        return {};
    auto a = split_lines(expected);
    auto b = split_lines(actual);
    std::vector<Edit> edits;
    if ((a.size() + 1) * (b.size() + 1) <= kMaxCells) {
        edits = lcs_edits(a, b);
    } else {
        for (size_t i = 0; i < a.size(); ++i)
            edits.push_back({Op::Del, i, 0});
        for (size_t j = 0; j < b.size(); ++j)
            edits.push_back({Op::Add, a.size(), j});
    }
    std::string out = fmt::format("--- {}\n+++ {}\n", expected_label, actual_label);
    size_t k = 0;
    while (k < edits.size()) {
        if (edits[k].op == Op::Keep) {
            ++k;
            continue;
        }
        // A hunk: from kContext lines before this change to kContext after the last change
        // that is within 2*kContext kept lines of the previous one.
        size_t start = k >= kContext ? k - kContext : 0;
        while (start < k && edits[start].op != Op::Keep)
            ++start;
        size_t end = k;
        size_t last_change = k;
        while (end < edits.size()) {
            if (edits[end].op != Op::Keep)
                last_change = end;
            else if (end - last_change > 2 * kContext)
                break;
            ++end;
        }
        end = std::min(edits.size(), last_change + 1 + kContext);
        size_t a_start = edits[start].a, b_start = edits[start].b;
        size_t a_len = 0, b_len = 0;
        std::string body;
        for (size_t e = start; e < end; ++e) {
            const Edit& ed = edits[e];
            if (ed.op == Op::Keep) {
                body += fmt::format(" {}\n", a[ed.a]);
                ++a_len;
                ++b_len;
            } else if (ed.op == Op::Del) {
                body += fmt::format("-{}\n", a[ed.a]);
                ++a_len;
            } else {
                body += fmt::format("+{}\n", b[ed.b]);
                ++b_len;
            }
        }
        // Unified format: a zero-length range names the line before it.
        out += fmt::format("@@ -{},{} +{},{} @@\n", a_len ? a_start + 1 : a_start, a_len,
                           b_len ? b_start + 1 : b_start, b_len);
        out += body;
        k = end;
    }
    bool a_nl = !expected.empty() && expected.back() == '\n';
    bool b_nl = !actual.empty() && actual.back() == '\n';
    if (a_nl != b_nl && !expected.empty() && !actual.empty())
        out +=
            fmt::format("(the {} text has no newline at its end)\n", a_nl ? "actual" : "expected");
    return out;
}

} // namespace kmemu::scenario
