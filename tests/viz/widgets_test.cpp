// Line breaking of the panels' wrapped text: at spaces only, so numbers and ranges stay whole.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "panels/widgets.h"

namespace rope::app {
namespace {

// One unit per character: widths are character counts.
float chars(std::string_view s) { return static_cast<float>(s.size()); }

using Lines = std::vector<std::string>;

TEST(WrapAtSpaces, NumbersAndRangesAreNeverSplit) {
  // ImGui's own wrapping breaks after '.', giving "0.0231 rad = 0." and "00368 turns".
  EXPECT_EQ(wrap_at_spaces("0.0231 rad = 0.00368 turns", 15.0f, chars), (Lines{"0.0231 rad =", "0.00368 turns"}));
  EXPECT_EQ(wrap_at_spaces("d = 128, base 10000, distances 0..65.54k (log axis from 1)", 32.0f, chars),
            (Lines{"d = 128, base 10000, distances", "0..65.54k (log axis from 1)"}));
}

TEST(WrapAtSpaces, FillsLinesUpToTheWidth) {
  EXPECT_EQ(wrap_at_spaces("aa bb cc dd", 5.0f, chars), (Lines{"aa bb", "cc dd"}));
  EXPECT_EQ(wrap_at_spaces("aa bb cc dd", 4.0f, chars), (Lines{"aa", "bb", "cc", "dd"}));
  EXPECT_EQ(wrap_at_spaces("aa bb cc dd", 100.0f, chars), (Lines{"aa bb cc dd"}));
}

TEST(WrapAtSpaces, LongWordsNewlinesAndSpaces) {
  // A word wider than the line keeps a line to itself rather than being cut.
  EXPECT_EQ(wrap_at_spaces("x 0.000231 y", 4.0f, chars), (Lines{"x", "0.000231", "y"}));
  EXPECT_EQ(wrap_at_spaces("one\ntwo three", 100.0f, chars), (Lines{"one", "two three"}));
  EXPECT_EQ(wrap_at_spaces("  a   b  ", 100.0f, chars), (Lines{"a b"}));
  EXPECT_EQ(wrap_at_spaces("", 10.0f, chars), (Lines{""}));
}

}  // namespace
}  // namespace rope::app
