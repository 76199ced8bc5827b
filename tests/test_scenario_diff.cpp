#include <catch2/catch.hpp>

#include "emu/scenario/cli.h"
#include "emu/scenario/diff.h"

using namespace kmemu::scenario;

TEST_CASE("scenario diff: equal texts give no diff", "[scenario]") {
    CHECK(unified_diff("a\nb\n", "a\nb\n", "x", "y").empty());
}

TEST_CASE("scenario diff: one changed line with context", "[scenario]") {
    std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    // Line 5 changed: context 2..4 before and 6..8 after, 7 lines on each side from line 2.
    CHECK(unified_diff(a, b, "e", "a") ==
          "--- e\n+++ a\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("scenario diff: insertions, deletions and separate hunks", "[scenario]") {
    std::string a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
    std::string b = "a\nB\nb\nc\nd\ne\nf\ng\nh\ni\nj\nl\n"; // B inserted after a, k deleted
    CHECK(unified_diff(a, b, "e", "a") == "--- e\n+++ a\n"
                                          "@@ -1,4 +1,5 @@\n a\n+B\n b\n c\n d\n"
                                          "@@ -8,5 +9,4 @@\n h\n i\n j\n-k\n l\n");
    CHECK(unified_diff("", "x\n", "e", "a") == "--- e\n+++ a\n@@ -0,0 +1,1 @@\n+x\n");
    CHECK(unified_diff("x", "x\n", "e", "a") ==
          "--- e\n+++ a\n(the expected text has no newline at its end)\n");
}

TEST_CASE("scenario cli: the checked transcript ends with the exit status", "[scenario]") {
    CHECK(checked_transcript("hello\n", 1) == "hello\n# exit status: 1\n");
    CHECK(checked_transcript("", 0) == "# exit status: 0\n");
}
