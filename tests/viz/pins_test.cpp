// The parsing and eliding behind the typed go-to entries and the one-line pinned read-outs.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>

#include "panels/pins.h"

namespace rope::app {
namespace {

using Ints = std::vector<int64_t>;

TEST(ParseIntegers, AcceptsExactlyTheCountWithCommonSeparators) {
  EXPECT_EQ(parse_integers("12", 1), Ints{12});
  EXPECT_EQ(parse_integers(" 500, 300 ", 2), (Ints{500, 300}));
  EXPECT_EQ(parse_integers("[100, 300) x [200, 264)", 4), (Ints{100, 300, 200, 264}));
  EXPECT_EQ(parse_integers("0:10 5;6", 4), (Ints{0, 10, 5, 6}));
  EXPECT_EQ(parse_integers("-3", 1), Ints{-3});  // the caller reports the range
}

TEST(ParseIntegers, RefusesFractionsWordsAndWrongCounts) {
  EXPECT_FALSE(parse_integers("1.5", 1));
  EXPECT_FALSE(parse_integers("12abc", 1));
  EXPECT_FALSE(parse_integers("a b", 2));
  EXPECT_FALSE(parse_integers("1 2 3", 2));
  EXPECT_FALSE(parse_integers("1", 2));
  EXPECT_FALSE(parse_integers("", 1));
  EXPECT_FALSE(parse_integers("99999999999999999999", 1));  // does not fit int64
}

TEST(ElideToWidth, CutsBetweenCharactersWithAnEllipsisOnlyWhenNeeded) {
  ImGui::CreateContext();
  ImGui::GetIO().Fonts->Build();
  ImGui::GetIO().DisplaySize = ImVec2(800.0f, 600.0f);
  ImGui::NewFrame();
  const std::string text = "pair 12: \xCE\xB8 = 0.17782794100389226, wavelength 35.332947520558996";
  const float full = ImGui::CalcTextSize(text.c_str()).x;
  EXPECT_EQ(elide_to_width(text, full + 1.0f), text);
  // Just too narrow for the prefix ending in the two-byte theta.
  const float at_theta = ImGui::CalcTextSize("pair 12: \xCE\xB8\xE2\x80\xA6").x - 0.5f;
  for (const float width : {full * 0.8f, full * 0.5f, at_theta, 60.0f, 1.0f}) {
    const std::string cut = elide_to_width(text, width);
    ASSERT_GE(cut.size(), 3u);
    EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6") << width;
    const std::string kept = cut.substr(0, cut.size() - 3);
    EXPECT_EQ(text.compare(0, kept.size(), kept), 0) << "a prefix of the text";
    if (kept.size() > 1) {
      EXPECT_LE(ImGui::CalcTextSize(cut.c_str()).x, width) << width;
    }
    // Never half a UTF-8 character: the byte after the prefix starts a character.
    EXPECT_NE(static_cast<unsigned char>(text[kept.size()]) & 0xC0, 0x80) << width;
  }
  ImGui::EndFrame();
  ImGui::DestroyContext();
}

}  // namespace
}  // namespace rope::app
