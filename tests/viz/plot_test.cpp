// Pure parts of the plot module (ticks, labels, transforms, ranges, nearest point) and a
// headless ImGui frame (no GL backend) exercising the drawing API.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <imgui.h>

#include "viz/axis.h"
#include "viz/context.h"
#include "viz/font.h"
#include "viz/plot.h"

namespace rope::viz {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> values_of(const std::vector<Tick>& ticks, bool major_only = true) {
  std::vector<double> v;
  for (const Tick& t : ticks) {
    if (!major_only || t.major) v.push_back(t.value);
  }
  return v;
}

std::vector<std::string> labels_of(const std::vector<Tick>& ticks) {
  std::vector<std::string> v;
  for (const Tick& t : ticks) {
    if (t.major) v.push_back(t.label);
  }
  return v;
}

TEST(NiceStep, PicksOneTwoFiveSteps) {
  EXPECT_DOUBLE_EQ(nice_step(10.0, 5), 2.0);
  EXPECT_DOUBLE_EQ(nice_step(1.0, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(100.0, 4), 20.0);   // raw 25 -> 20
  EXPECT_DOUBLE_EQ(nice_step(7.0, 7), 1.0);
  EXPECT_NEAR(nice_step(0.003, 6), 0.0005, 1e-18);
  EXPECT_DOUBLE_EQ(nice_step(131072.0, 6), 20000.0);  // raw 21845 -> 20000
  EXPECT_DOUBLE_EQ(nice_step(0.0, 5), 1.0);        // degenerate: a safe default
}

TEST(LinearTicks, CoverRangeAtNiceValues) {
  const auto t = linear_ticks(0.0, 10.0, 5);
  EXPECT_EQ(values_of(t), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(labels_of(t), (std::vector<std::string>{"0", "2", "4", "6", "8", "10"}));
}

TEST(LinearTicks, ZeroIsExactAndLabelledZero) {
  const auto t = linear_ticks(-1.0, 1.0, 4);  // step 0.5
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[2].value, 0.0);
  EXPECT_EQ(t[2].label, "0");
  EXPECT_EQ(t[0].label, "-1");
  EXPECT_EQ(t[1].label, "-0.5");
}

TEST(LinearTicks, DecimalStepsKeepTheirDigits) {
  const auto t = linear_ticks(0.1, 0.7, 6);  // step 0.1, with floating-point slack at both ends
  EXPECT_EQ(labels_of(t), (std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}));
  for (const Tick& k : t) {
    EXPECT_GE(k.value, 0.1 - 1e-9);
    EXPECT_LE(k.value, 0.7 + 1e-9);
  }
}

TEST(LinearTicks, LargeCountsUseCompactLabels) {
  const auto t = linear_ticks(0.0, 131072.0, 6);  // step 20000
  EXPECT_EQ(labels_of(t), (std::vector<std::string>{"0", "20k", "40k", "60k", "80k", "100k", "120k"}));
}

TEST(LinearTicks, SwappedAndDegenerateRanges) {
  EXPECT_EQ(values_of(linear_ticks(10.0, 0.0, 5)), values_of(linear_ticks(0.0, 10.0, 5)));
  const auto one = linear_ticks(3.0, 3.0, 5);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].value, 3.0);
  EXPECT_TRUE(linear_ticks(kNaN, 1.0, 5).empty());
}

TEST(FormatTick, CompactSuffixesAndScientific) {
  EXPECT_EQ(format_tick(0.0, 1.0), "0");
  EXPECT_EQ(format_tick(1e-17, 0.2), "0");
  EXPECT_EQ(format_tick(1000.0, 1000.0), "1k");
  EXPECT_EQ(format_tick(32000.0, 1000.0), "32k");
  EXPECT_EQ(format_tick(1500.0, 500.0), "1.5k");
  EXPECT_EQ(format_tick(2000.0, 500.0), "2k");
  EXPECT_EQ(format_tick(1e6, 1e6), "1M");
  EXPECT_EQ(format_tick(2.5e9, 5e8), "2.5G");
  EXPECT_EQ(format_tick(0.25, 0.05), "0.25");
  EXPECT_EQ(format_tick(1e-4, 1e-4), "1e-4");
  EXPECT_EQ(format_tick(2.5e-5, 5e-6), "2.5e-5");
  EXPECT_EQ(format_tick(-2000.0, 1000.0), "-2k");
  EXPECT_EQ(format_tick(0.001, 0.001), "0.001");
  EXPECT_EQ(format_tick(10.0, 10.0), "10");
}

TEST(FormatCompact, SignificantDigits) {
  EXPECT_EQ(format_compact(32768.0), "32.8k");
  EXPECT_EQ(format_compact(131072.0), "131k");
  EXPECT_EQ(format_compact(1048576.0), "1.05M");
  EXPECT_EQ(format_compact(999960.0), "1M");
  EXPECT_EQ(format_compact(0.000123), "1.23e-4");
  EXPECT_EQ(format_compact(3.14159), "3.14");
  EXPECT_EQ(format_compact(-0.5), "-0.5");
  EXPECT_EQ(format_compact(0.0), "0");
  EXPECT_EQ(format_compact(10000.0, 5), "10k");
  EXPECT_EQ(format_compact(kInf), "inf");
}

TEST(LogTicks, DecadesWithMinorSubdivisions) {
  const auto t = log_ticks(1.0, 1e6, 8);
  EXPECT_EQ(values_of(t), (std::vector<double>{1, 10, 100, 1e3, 1e4, 1e5, 1e6}));
  EXPECT_EQ(labels_of(t), (std::vector<std::string>{"1", "10", "100", "1k", "10k", "100k", "1M"}));
  int minor = 0;
  for (const Tick& k : t) minor += k.major ? 0 : 1;
  EXPECT_EQ(minor, 6 * 8);  // 2..9 x 10^0 .. 10^5
}

TEST(LogTicks, ManyDecadesAreStrided) {
  const auto t = log_ticks(1e-9, 1.0, 8);  // 10 decades -> every 2nd labelled
  const auto majors = values_of(t);
  ASSERT_EQ(majors.size(), 5u);
  EXPECT_NEAR(majors[0], 1e-8, 1e-20);
  EXPECT_NEAR(majors.back(), 1.0, 1e-12);
  const auto labels = labels_of(t);
  EXPECT_NE(std::find(labels.begin(), labels.end(), "1e-4"), labels.end());
  EXPECT_EQ(t.size(), 10u);  // skipped decades stay as unlabelled minor ticks, no 2..9 subs
}

TEST(LogTicks, TwoDecadesLabelTwoAndFive) {
  const auto t = log_ticks(1.0, 100.0, 8);
  EXPECT_EQ(values_of(t), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
}

TEST(LogTicks, NarrowRangeFallsBackToLinear) {
  const auto t = log_ticks(300.0, 900.0, 8);
  ASSERT_GE(t.size(), 3u);
  for (const Tick& k : t) {
    EXPECT_TRUE(k.major);
    EXPECT_GE(k.value, 300.0);
    EXPECT_LE(k.value, 900.0);
  }
  EXPECT_TRUE(log_ticks(0.0, 10.0).empty());
  EXPECT_TRUE(log_ticks(-1.0, 10.0).empty());
}

TEST(AxisTransform, LinearRoundTripAndInvertedY) {
  const AxisTransform x{{0.0, 10.0}, 100.0, 200.0, false};
  EXPECT_DOUBLE_EQ(x.to_pixel(5.0), 150.0);
  EXPECT_DOUBLE_EQ(x.to_value(150.0), 5.0);
  const AxisTransform y{{-1.0, 1.0}, 300.0, 100.0, false};  // bottom pixel 300
  EXPECT_DOUBLE_EQ(y.to_pixel(-1.0), 300.0);
  EXPECT_DOUBLE_EQ(y.to_pixel(1.0), 100.0);
  EXPECT_DOUBLE_EQ(y.to_value(200.0), 0.0);
  EXPECT_TRUE(x.valid());
}

TEST(AxisTransform, LogAxisFollowsLog10) {
  const AxisTransform x{{1.0, 1e4}, 0.0, 400.0, true};
  EXPECT_NEAR(x.to_pixel(10.0), 100.0, 1e-9);
  EXPECT_NEAR(x.to_pixel(100.0), 200.0, 1e-9);
  EXPECT_NEAR(x.to_value(x.to_pixel(37.0)), 37.0, 37.0 * 1e-12);
  const double p0 = x.to_pixel(0.0);  // non-positive: far off the low end, never NaN
  EXPECT_TRUE(std::isfinite(p0));
  EXPECT_LT(p0, -1e6);
  EXPECT_FALSE((AxisTransform{{0.0, 10.0}, 0.0, 1.0, true}.valid()));
  EXPECT_FALSE((AxisTransform{{1.0, 1.0}, 0.0, 1.0, false}.valid()));
}

TEST(Ranges, DataRangeSkipsNonFiniteAndNonPositiveOnLog) {
  const std::vector<double> v{kNaN, -3.0, 0.0, 2.0, kInf, 8.0};
  EXPECT_EQ(data_range(v.data(), v.size(), false), (Range{-3.0, 8.0}));
  EXPECT_EQ(data_range(v.data(), v.size(), true), (Range{2.0, 8.0}));
  EXPECT_EQ(data_range(v.data(), 0, false), (Range{0.0, 1.0}));
  EXPECT_EQ(data_range(v.data(), 1, true), (Range{1.0, 10.0}));
  const std::vector<float> f{1.0f, 4.0f};
  EXPECT_EQ(data_range(f.data(), f.size(), false), (Range{1.0, 4.0}));
}

TEST(Ranges, PaddingLinearLogAndDegenerate) {
  const Range a = pad_range({0.0, 10.0}, false, 0.05);
  EXPECT_DOUBLE_EQ(a.min, -0.5);
  EXPECT_DOUBLE_EQ(a.max, 10.5);
  EXPECT_EQ(pad_range({3.0, 3.0}, false), (Range{2.5, 3.5}));
  const Range l = pad_range({1.0, 100.0}, true, 0.05);
  EXPECT_NEAR(l.min, std::pow(10.0, -0.1), 1e-12);
  EXPECT_NEAR(l.max, std::pow(10.0, 2.1), 1e-9);
  const Range d = pad_range({10.0, 10.0}, true);
  EXPECT_NEAR(d.min * d.max, 100.0, 1e-9);  // symmetric in log space
  EXPECT_GT(d.max, d.min);
  const std::vector<double> v{0.0, 10.0};
  EXPECT_EQ(auto_range(v.data(), v.size(), false), (Range{-0.5, 10.5}));
  EXPECT_EQ(merge({0, 1}, {-2, 0.5}), (Range{-2, 1}));
}

TEST(Nearest, SortedBinarySearch) {
  const std::vector<double> xs{0, 1, 2, 4, 8};
  EXPECT_EQ(nearest_index_sorted(xs.data(), 5, 5.9), 3);
  EXPECT_EQ(nearest_index_sorted(xs.data(), 5, 6.0), 3);  // tie -> the lower index
  EXPECT_EQ(nearest_index_sorted(xs.data(), 5, 6.1), 4);
  EXPECT_EQ(nearest_index_sorted(xs.data(), 5, -3.0), 0);
  EXPECT_EQ(nearest_index_sorted(xs.data(), 5, 100.0), 4);
  EXPECT_EQ(nearest_index_sorted(xs.data(), 0, 1.0), -1);
}

TEST(Nearest, PixelDistanceAndXOnly) {
  const AxisTransform tx{{0.0, 10.0}, 0.0, 100.0, false};
  const AxisTransform ty{{0.0, 10.0}, 100.0, 0.0, false};
  const std::vector<double> xs{1, 5, 9};
  const std::vector<double> ys{1, 9, 5};
  // Pixel of (5, 9) is (50, 10).
  EXPECT_EQ(nearest_point(xs.data(), ys.data(), 3, tx, ty, ImVec2(52, 12), 5.0f), 1);
  EXPECT_EQ(nearest_point(xs.data(), ys.data(), 3, tx, ty, ImVec2(52, 60), 5.0f), -1);  // too far in 2-D
  EXPECT_EQ(nearest_point(xs.data(), ys.data(), 3, tx, ty, ImVec2(52, 60), 0.0f), 1);   // x only
  const std::vector<double> bad{kNaN, 5, 9};
  EXPECT_EQ(nearest_point(bad.data(), ys.data(), 3, tx, ty, ImVec2(10, 90), 0.0f), 1);
}

// --- Headless ImGui frames (no renderer backend) -------------------------------------------
class PlotFrame : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = ImGui::GetCurrentContext();
    ctx_ = ImGui::CreateContext();
    ImGui::SetCurrentContext(ctx_);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(800, 600);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  void TearDown() override {
    ImGui::DestroyContext(ctx_);
    ImGui::SetCurrentContext(previous_);
  }
  ImGuiContext* previous_ = nullptr;
  ImGuiContext* ctx_ = nullptr;

  // Runs one frame with a full-screen window and `body` inside it.
  template <typename F>
  void frame(F&& body) {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 600));
    ImGui::Begin("plots", nullptr, ImGuiWindowFlags_NoDecoration);
    body();
    ImGui::End();
    ImGui::Render();
  }
};

TEST_F(PlotFrame, MillionPointLineIsDecimatedPerPixelColumn) {
  const int n = 1 << 20;
  std::vector<double> xs(static_cast<size_t>(n)), ys(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    xs[static_cast<size_t>(i)] = i;
    ys[static_cast<size_t>(i)] = std::cos(0.01 * i);
  }
  int vertices = -1;
  frame([&] {
    ASSERT_TRUE(begin_plot("decay", ImVec2(600, 300), AxisSpec{"distance", false, 0, n}, AxisSpec{"score", false, -1, 1}));
    plot_line("cos", xs.data(), ys.data(), n);
    end_plot();
    vertices = ImGui::GetWindowDrawList()->VtxBuffer.Size;
  });
  // An AA polyline costs a handful of vertices per point; the envelope keeps <= 4 points per
  // pixel column of a 600-px plot, so far below the 64k of 16-bit indices.
  EXPECT_GT(vertices, 1000);
  EXPECT_LT(vertices, 60000);
}

TEST_F(PlotFrame, HoverGivesDataCoordinatesAndNearestPoint) {
  const std::vector<double> xs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<double> ys;
  for (double x : xs) ys.push_back(x * x);
  ImVec2 target;
  auto body = [&](bool check) {
    ASSERT_TRUE(begin_plot("sq", ImVec2(500, 400), AxisSpec{"x", false, 0, 10}, AxisSpec{"y", false, 0, 100}));
    plot_line("x^2", xs.data(), ys.data(), static_cast<int>(xs.size()));
    if (!check) {
      target = plot_to_pixel(3.0, 9.0);
    } else {
      ASSERT_TRUE(plot_hovered());
      const auto m = plot_mouse();
      ASSERT_TRUE(m.has_value());
      // One pixel is 10/area_width data units on x: stay within 2 pixels.
      const double px_x = 10.0 / (plot_area_max().x - plot_area_min().x);
      const double px_y = 100.0 / (plot_area_max().y - plot_area_min().y);
      EXPECT_NEAR(m->x, 3.0, 2 * px_x);
      EXPECT_NEAR(m->y, 9.0, 2 * px_y);
      EXPECT_EQ(plot_nearest(xs.data(), ys.data(), static_cast<int>(xs.size())), 3);
      EXPECT_EQ(plot_nearest(xs.data(), ys.data(), static_cast<int>(xs.size()), 4.0f), 3);
    }
    end_plot();
  };
  frame([&] { body(false); });
  ImGui::GetIO().MousePos = target;
  frame([&] { body(false); });  // hover state settles
  frame([&] { body(true); });
}

TEST_F(PlotFrame, AutoRangeUsesLastFrameExtent) {
  const std::vector<double> xs{0, 50, 100};
  const std::vector<double> ys{-2, 0, 2};
  Range rx, ry;
  for (int f = 0; f < 2; ++f) {
    frame([&] {
      ASSERT_TRUE(begin_plot("auto", ImVec2(400, 300), AxisSpec{}, AxisSpec{}));
      plot_scatter("pts", xs.data(), ys.data(), 3);
      rx = plot_x_transform().range;
      ry = plot_y_transform().range;
      end_plot();
    });
  }
  EXPECT_LE(rx.min, 0.0);
  EXPECT_GE(rx.max, 100.0);
  EXPECT_LT(rx.max, 110.0);  // 5% padding
  EXPECT_LE(ry.min, -2.0);
  EXPECT_GE(ry.max, 2.0);
}

TEST_F(PlotFrame, EqualAspectGivesSameUnitsPerPixel) {
  double ux = 0, uy = 0;
  frame([&] {
    PlotOptions o;
    o.equal_aspect = true;
    ASSERT_TRUE(begin_plot("plane", ImVec2(600, 300), AxisSpec{"", false, -1, 1}, AxisSpec{"", false, -1, 1}, o));
    const AxisTransform& tx = plot_x_transform();
    const AxisTransform& ty = plot_y_transform();
    ux = (tx.px1 - tx.px0) / tx.range.span();
    uy = (ty.px0 - ty.px1) / ty.range.span();
    EXPECT_LE(ty.range.min, -1.0);  // the requested range stays visible
    EXPECT_GE(tx.range.max, 1.0);
    end_plot();
  });
  EXPECT_NEAR(ux, uy, 1e-6 * ux);
}

TEST_F(PlotFrame, ALegendTooLargeForItsCornerGoesBelowThePlot) {
  const std::vector<double> xs{0, 1, 2}, ys{0, 1, 0};
  // The plot area's height on each of four frames, for legend labels `label`.
  const auto area_heights = [&](const char* label, LegendCorner corner, float width) {
    std::vector<float> h;
    for (int f = 0; f < 4; ++f)
      frame([&] {
        PlotOptions o;
        o.legend = corner;
        ASSERT_TRUE(begin_plot("legend", ImVec2(width, 300), AxisSpec{"x", false, 0, 2}, AxisSpec{"y", false, 0, 1}, o));
        plot_line(label, xs.data(), ys.data(), 3);
        plot_line("second##2", xs.data(), ys.data(), 3);
        plot_line("third##3", xs.data(), ys.data(), 3);
        h.push_back(plot_area_max().y - plot_area_min().y);
        end_plot();
      });
    return h;
  };
  // A short legend stays in its corner: the area keeps its height.
  const std::vector<float> corner = area_heights("a", LegendCorner::kTopRight, 400);
  EXPECT_EQ(corner[3], corner[0]);
  // A long one goes below from the next frame on: the area gives up rows for it (as many as it
  // took on the frame before) and stays so.
  const std::vector<float> moved =
      area_heights("a label far wider than sixty percent of the plot", LegendCorner::kTopRight, 400);
  EXPECT_LT(moved[1], moved[0] - ImGui::GetFontSize());
  EXPECT_EQ(moved[3], moved[2]);
  // kBelow on a narrow plot: one row per entry that does not fit beside the others.
  const std::vector<float> narrow = area_heights("first entry", LegendCorner::kBelow, 110);
  const std::vector<float> wide = area_heights("first entry", LegendCorner::kBelow, 790);
  EXPECT_LT(narrow[3], wide[3] - 1.5f * ImGui::GetFontSize()) << "3 rows against 1";
}

TEST_F(PlotFrame, EveryItemKindDrawsWithoutABackend) {
  const std::vector<float> xs{1, 10, 100, 1000};
  const std::vector<float> ys{1e-3f, 1e-2f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  frame([&] {
    PlotOptions o;
    o.title = "all items";
    ASSERT_TRUE(begin_plot("items", ImVec2(-1, 300), AxisSpec{"pair", true, 1, 1000}, AxisSpec{"theta", true, 1e-4, 10}, o));
    plot_xband(20, 80, 0, "band");
    plot_line("line", xs.data(), ys.data(), 4, 0, 0.0f, true);
    plot_scatter("pts##hidden-id", xs.data(), ys.data(), 4);
    plot_vline(30, 0, "critical");
    plot_hline(0.1, 0, "level");
    plot_arrow(1, 1e-3, 10, 1e-1);
    plot_annotation(100, 1.0, "note");
    plot_highlight(10, 1e-2);
    EXPECT_FALSE(plot_hovered());
    EXPECT_FALSE(plot_mouse().has_value());
    end_plot();
  });
  const ImVec2 box = calc_text_size_vertical("theta");
  EXPECT_GT(box.y, box.x);  // rotated: taller than wide
}

TEST_F(PlotFrame, LinesLeavingTheAreaAreClippedWithTheirSlope) {
  // y = 100 x over x in [0, 10], shown with y in [0, 1]: only x < 0.01 is visible; the rest lies
  // up to 1000 plot heights above the area.
  const std::vector<double> xs{0.0, 10.0};
  const std::vector<double> ys{0.0, 1000.0};
  ImVec2 amin, amax, exit_px;
  int first_vtx = 0, last_vtx = 0;
  frame([&] {
    ASSERT_TRUE(begin_plot("clip", ImVec2(500, 300), AxisSpec{"", false, 0, 0.02}, AxisSpec{"", false, 0, 1}));
    amin = plot_area_min();
    amax = plot_area_max();
    exit_px = plot_to_pixel(0.01, 1.0);  // where the line leaves through the top edge
    first_vtx = ImGui::GetWindowDrawList()->VtxBuffer.Size;
    plot_line("steep", xs.data(), ys.data(), 2, IM_COL32(255, 0, 0, 255), 2.0f);
    last_vtx = ImGui::GetWindowDrawList()->VtxBuffer.Size;
    end_plot();
  });
  ASSERT_GT(last_vtx, first_vtx);
  const ImDrawList* dl = nullptr;
  ImDrawData* dd = ImGui::GetDrawData();
  for (int i = 0; i < dd->CmdListsCount; ++i)
    if (dd->CmdLists[i]->VtxBuffer.Size >= last_vtx) dl = dd->CmdLists[i];
  ASSERT_NE(dl, nullptr);
  float top = 1e9f, right = -1e9f;
  for (int v = first_vtx; v < last_vtx; ++v) {
    const ImVec2 q = dl->VtxBuffer[v].pos;
    EXPECT_GE(q.x, amin.x - 8.0f);
    EXPECT_LE(q.x, amax.x + 8.0f);
    EXPECT_GE(q.y, amin.y - 8.0f);
    EXPECT_LE(q.y, amax.y + 8.0f);
    if (q.y < top) { top = q.y; right = q.x; }
  }
  // The topmost vertex sits where the true line crosses the (margin-expanded) top edge.
  EXPECT_NEAR(right, exit_px.x, 4.0f);
}

TEST_F(PlotFrame, UiFontLoadsDejaVuWithGreekAtTheScaledSize) {
  const FontLoad f = load_ui_font(18.0f, 1.5f);
  ASSERT_NE(f.font, nullptr);
  EXPECT_TRUE(f.from_file) << f.error;  // fonts-dejavu-core is a build dependency
  EXPECT_FLOAT_EQ(f.pixel_size, 27.0f);
  EXPECT_TRUE(rebuild_font_texture());  // no GL: builds the atlas on the CPU
  EXPECT_FLOAT_EQ(f.font->FontSize, 27.0f);
  EXPECT_NE(f.font->FindGlyphNoFallback(0x03B8), nullptr);  // θ
  EXPECT_NE(f.font->FindGlyphNoFallback(0x2264), nullptr);  // ≤
  EXPECT_EQ(ImGui::GetIO().FontDefault, f.font);
  // The new font is used by the next frame.
  float size = 0.0f;
  frame([&] { size = ImGui::GetFontSize(); });
  EXPECT_FLOAT_EQ(size, 27.0f);
}

TEST_F(PlotFrame, UiFontFallsBackToTheBuiltInFont) {
  const FontLoad f = load_ui_font(20.0f, 0.0f, "/nonexistent/font.ttf");
  ASSERT_NE(f.font, nullptr);
  EXPECT_FALSE(f.from_file);
  EXPECT_FALSE(f.error.empty());
  EXPECT_FLOAT_EQ(f.pixel_size, 20.0f);  // content scale <= 0 counts as 1
  EXPECT_TRUE(rebuild_font_texture());
  EXPECT_FLOAT_EQ(load_ui_font(1000.0f, 1.0f).pixel_size, kMaxFontPixels);
  EXPECT_TRUE(rebuild_font_texture());
}

}  // namespace
}  // namespace rope::viz
