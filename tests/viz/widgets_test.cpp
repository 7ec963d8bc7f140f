// Line breaking of the panels' wrapped text: at spaces only, so numbers and ranges stay whole.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

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

// Where a row of radio buttons puts each option in a window `width` pixels wide (after a label).
std::vector<ImVec2> radio_row_positions(float width, const std::vector<const char*>& labels) {
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(800.0f, 600.0f);
  io.DeltaTime = 1.0f / 60.0f;
  io.Fonts->Build();
  std::vector<ImVec2> at;
  for (int frame = 0; frame < 2; ++frame) {
    at.clear();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(width, 300.0f));
    ImGui::Begin("radios", nullptr, ImGuiWindowFlags_NoDecoration);
    ImGui::TextUnformatted("layout");
    RadioRow row;
    int choice = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      row.next(labels[i]);
      ImGui::RadioButton(labels[i], &choice, static_cast<int>(i));
      at.push_back(ImGui::GetItemRectMin());
    }
    ImGui::End();
    ImGui::Render();
  }
  ImGui::DestroyContext();
  return at;
}

TEST(RadioRow, OptionsThatWrapStartUnderTheFirstOne) {
  const std::vector<const char*> labels{"NeoX (j, j+d/2)", "GPT-J (2j, 2j+1)", "x"};
  // Wide: all on the label's line.
  const std::vector<ImVec2> wide = radio_row_positions(700.0f, labels);
  EXPECT_EQ(wide[1].y, wide[0].y);
  EXPECT_EQ(wide[2].y, wide[0].y);
  EXPECT_GT(wide[0].x, 20.0f) << "the first option follows the label";
  // Narrow: the second goes to the next line, under the first; the third fits after it.
  const std::vector<ImVec2> narrow = radio_row_positions(260.0f, labels);
  EXPECT_EQ(narrow[0].y, wide[0].y);
  EXPECT_GT(narrow[1].y, narrow[0].y);
  EXPECT_EQ(narrow[1].x, narrow[0].x);
  EXPECT_EQ(narrow[2].y, narrow[1].y);
  EXPECT_GT(narrow[2].x, narrow[1].x);
}

}  // namespace
}  // namespace rope::app
