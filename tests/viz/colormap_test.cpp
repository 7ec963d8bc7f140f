// Colormap LUTs (endpoints, anchors, monotone luminance, diverging symmetry) and the pure
// HeatmapView zoom / pan / hit-test logic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <imgui.h>

#include "viz/colormap.h"
#include "viz/context.h"
#include "viz/heatmap.h"
#include "viz/heatmap_view.h"
#include "viz/theme.h"

namespace rope::viz {
namespace {

void expect_rgb(Rgb c, double r, double g, double b, double tol) {
  EXPECT_NEAR(c.r, r, tol);
  EXPECT_NEAR(c.g, g, tol);
  EXPECT_NEAR(c.b, b, tol);
}

Rgb hex(uint32_t h) {
  return Rgb{((h >> 16) & 0xff) / 255.0f, ((h >> 8) & 0xff) / 255.0f, (h & 0xff) / 255.0f};
}

TEST(Colormap, SequentialEndpointsMatchPublishedTables) {
  constexpr double kTol = 1e-6;  // anchors are stored verbatim
  expect_rgb(rgb(Colormap::kViridis, 0.0), 0.267004, 0.004874, 0.329415, kTol);
  expect_rgb(rgb(Colormap::kViridis, 1.0), 0.993248, 0.906157, 0.143936, kTol);
  expect_rgb(rgb(Colormap::kMagma, 0.0), 0.001462, 0.000466, 0.013866, kTol);
  expect_rgb(rgb(Colormap::kMagma, 1.0), 0.987053, 0.991438, 0.749504, kTol);
  expect_rgb(rgb(Colormap::kInferno, 1.0), 0.988362, 0.998364, 0.644924, kTol);
  expect_rgb(rgb(Colormap::kCividis, 0.0), 0.0, 0.1351, 0.3048, kTol);
  expect_rgb(rgb(Colormap::kCividis, 1.0), 0.9957, 0.9093, 0.2178, kTol);
}

TEST(Colormap, InterpolatedEntriesStayCloseToTheFullTable) {
  // Entries of matplotlib's 256-entry viridis that are not anchors (index 25 and 230):
  // linear interpolation between anchors 16 entries apart stays within 0.01.
  const auto& v = lut(Colormap::kViridis);
  expect_rgb(v[25], 0.282623, 0.140926, 0.457517, 0.01);
  expect_rgb(v[230], 0.741388, 0.873449, 0.149561, 0.01);
  expect_rgb(v[128], 0.127568, 0.566949, 0.550556, 1e-6);  // an anchor
  expect_rgb(lut(Colormap::kMagma)[128], 0.716387, 0.214982, 0.475290, 1e-6);
}

TEST(Colormap, SequentialLuminanceIsMonotone) {
  for (Colormap c : sequential_colormaps()) {
    const auto& table = lut(c);
    for (size_t i = 0; i + 1 < table.size(); ++i) {
      EXPECT_GE(relative_luminance(table[i + 1]), relative_luminance(table[i]) - 1e-9)
          << to_string(c) << " entry " << i;
    }
    EXPECT_GT(relative_luminance(table.back()), relative_luminance(table.front()) + 0.5) << to_string(c);
  }
}

TEST(Colormap, DivergingMapsAreCentredAndSymmetric) {
  for (Colormap c : diverging_colormaps()) {
    ASSERT_TRUE(is_diverging(c));
    const Rgb mid = rgb(c, 0.5);
    // Neutral centre: channels within 0.03 of each other, and the lightest colour of the map.
    EXPECT_NEAR(mid.r, mid.g, 0.03) << to_string(c);
    EXPECT_NEAR(mid.g, mid.b, 0.03) << to_string(c);
    const double l_mid = relative_luminance(mid);
    for (int i = 0; i <= 100; ++i) {
      const double t = i / 100.0;
      EXPECT_LE(relative_luminance(rgb(c, t)), l_mid + 1e-6) << to_string(c) << " t=" << t;
      // Luminance falls off about equally on both sides (within 0.07).
      EXPECT_NEAR(relative_luminance(rgb(c, t)), relative_luminance(rgb(c, 1.0 - t)), 0.07) << to_string(c) << " t=" << t;
    }
    // Negative side blue, positive side red.
    EXPECT_GT(rgb(c, 0.0).b, rgb(c, 0.0).r) << to_string(c);
    EXPECT_GT(rgb(c, 1.0).r, rgb(c, 1.0).b) << to_string(c);
  }
}

TEST(Colormap, RdBuAnchorsAreColorBrewer) {
  constexpr double kTol = 0.5 / 255.0;
  const Rgb lo = hex(0x053061), mid = hex(0xf7f7f7), hi = hex(0x67001f);
  expect_rgb(rgb(Colormap::kRdBu, 0.0), lo.r, lo.g, lo.b, kTol);
  // 256 LUT entries straddle t = 0.5 (entries 127 and 128 sit 0.02 classes either side).
  expect_rgb(rgb(Colormap::kRdBu, 0.5), mid.r, mid.g, mid.b, 2.5 / 255.0);
  expect_rgb(rgb(Colormap::kRdBu, 1.0), hi.r, hi.g, hi.b, kTol);
}

TEST(Colormap, CoolwarmFollowsMoreland) {
  // End colours (59, 76, 192) and (180, 4, 38); the Msh path passes through a grey of L* = 88
  // (sRGB about 221) at the centre.
  constexpr double kTol = 1.0 / 255.0;
  expect_rgb(rgb(Colormap::kCoolwarm, 0.0), 59 / 255.0, 76 / 255.0, 192 / 255.0, kTol);
  expect_rgb(rgb(Colormap::kCoolwarm, 1.0), 180 / 255.0, 4 / 255.0, 38 / 255.0, kTol);
  expect_rgb(rgb(Colormap::kCoolwarm, 0.5), 221 / 255.0, 221 / 255.0, 221 / 255.0, 3.0 / 255.0);
}

TEST(Colormap, LutRgba8AndPacking) {
  for (Colormap c : all_colormaps()) {
    const auto& l8 = lut_rgba8(c);
    const auto& lf = lut(c);
    for (int i = 0; i < kLutSize; i += 17) {
      EXPECT_EQ(l8[4 * i + 3], 255);
      EXPECT_EQ(l8[4 * i + 0], std::lround(lf[static_cast<size_t>(i)].r * 255.0f));
      EXPECT_EQ(l8[4 * i + 2], std::lround(lf[static_cast<size_t>(i)].b * 255.0f));
    }
  }
  EXPECT_EQ(pack_rgba_u32(Rgb{1, 0, 0}), 0xFF0000FFu);  // IM_COL32(255, 0, 0, 255)
  EXPECT_EQ(pack_rgba_u32(Rgb{0, 0, 1}, 0.0f), 0x00FF0000u);
  EXPECT_EQ(rgba_u32(Colormap::kViridis, 0.0), pack_rgba_u32(rgb(Colormap::kViridis, 0.0)));
}

TEST(Colormap, ClampsAndNames) {
  const Rgb lo = rgb(Colormap::kMagma, 0.0);
  const Rgb below = rgb(Colormap::kMagma, -3.0);
  const Rgb nan = rgb(Colormap::kMagma, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(below.r, lo.r);
  EXPECT_EQ(nan.g, lo.g);
  EXPECT_EQ(rgb(Colormap::kMagma, 7.0).b, rgb(Colormap::kMagma, 1.0).b);
  for (Colormap c : all_colormaps()) EXPECT_EQ(parse_colormap(to_string(c)), c);
  EXPECT_FALSE(parse_colormap("jet").has_value());
  EXPECT_EQ(sequential_colormaps().size() + diverging_colormaps().size(), all_colormaps().size());
}

TEST(Colormap, NormalizeValueLinearAndLog) {
  EXPECT_DOUBLE_EQ(normalize_value(5.0, 0.0, 10.0, false), 0.5);
  EXPECT_DOUBLE_EQ(normalize_value(-5.0, 0.0, 10.0, false), 0.0);
  EXPECT_DOUBLE_EQ(normalize_value(50.0, 0.0, 10.0, false), 1.0);
  EXPECT_NEAR(normalize_value(10.0, 1.0, 100.0, true), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(normalize_value(0.0, 1.0, 100.0, true), 0.0);
  EXPECT_DOUBLE_EQ(normalize_value(std::numeric_limits<double>::quiet_NaN(), 0.0, 1.0, false), 0.0);
  EXPECT_EQ(symmetric_range(Range{-0.2, 0.7}), (Range{-0.7, 0.7}));
  EXPECT_EQ(symmetric_range(Range{0.0, 0.0}), (Range{-1.0, 1.0}));
}

double contrast(ImU32 a, ImU32 b) {
  auto lum = [](ImU32 c) {
    const ImVec4 f = ImGui::ColorConvertU32ToFloat4(c);
    return relative_luminance(Rgb{f.x, f.y, f.z});
  };
  const double la = lum(a), lb = lum(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

TEST(Theme, SeriesColoursReadOnBothBackgrounds) {
  for (Theme theme : {Theme::kDark, Theme::kLight}) {
    const PlotPalette& p = palette(theme);
    for (int i = 0; i < kNumSeriesColors; ++i) {
      // WCAG 2.1 non-text contrast for graphical objects: at least 3:1.
      EXPECT_GE(contrast(p.series[i], p.plot_bg), 3.0) << to_string(theme) << " series " << i;
      for (int j = 0; j < i; ++j) EXPECT_NE(p.series[i], p.series[j]) << to_string(theme);
    }
    EXPECT_GE(contrast(p.axis_text, p.plot_bg), 7.0) << to_string(theme);  // text: WCAG AAA
    EXPECT_NE(p.mask, p.plot_bg);
  }
  EXPECT_EQ(parse_theme("light"), Theme::kLight);
  EXPECT_FALSE(parse_theme("blue").has_value());
}

// --- HeatmapView -----------------------------------------------------------------------------
const ImVec2 kMin(10, 20), kMax(210, 120);  // a 200 x 100 pixel widget

TEST(HeatmapView, PixelToCellOnFullView) {
  const HeatmapView v = view_full(100, 200);
  EXPECT_EQ(v, (HeatmapView{0, 200, 0, 100}));
  EXPECT_EQ(view_pixel_to_cell(v, kMin, kMax, ImVec2(10.5f, 20.5f), 100, 200), (CellIndex{0, 0}));
  EXPECT_EQ(view_pixel_to_cell(v, kMin, kMax, ImVec2(209.9f, 119.9f), 100, 200), (CellIndex{99, 199}));
  EXPECT_EQ(view_pixel_to_cell(v, kMin, kMax, ImVec2(110.5f, 30.5f), 100, 200), (CellIndex{10, 100}));
  EXPECT_FALSE(view_pixel_to_cell(v, kMin, kMax, ImVec2(210.0f, 50.0f), 100, 200).has_value());
  EXPECT_FALSE(view_pixel_to_cell(v, kMin, kMax, ImVec2(5.0f, 50.0f), 100, 200).has_value());
}

TEST(HeatmapView, ZoomKeepsTheCursorCellFixed) {
  const HeatmapView v = view_full(100, 200);
  const ImVec2 cursor(60.0f, 45.0f);
  const CellPoint before = view_pixel_to_point(v, kMin, kMax, cursor);
  const HeatmapView z = view_zoom(v, before.x, before.y, 2.0, 100, 200);
  const CellPoint after = view_pixel_to_point(z, kMin, kMax, cursor);
  EXPECT_NEAR(after.x, before.x, 1e-9);
  EXPECT_NEAR(after.y, before.y, 1e-9);
  EXPECT_NEAR(z.x1 - z.x0, 100.0, 1e-9);
  EXPECT_NEAR(z.y1 - z.y0, 50.0, 1e-9);
  // The cell under the cursor is unchanged too.
  EXPECT_EQ(view_pixel_to_cell(z, kMin, kMax, cursor, 100, 200), view_pixel_to_cell(v, kMin, kMax, cursor, 100, 200));
}

TEST(HeatmapView, ZoomLimits) {
  const HeatmapView v = view_full(100, 200);
  EXPECT_EQ(view_zoom(v, 50, 50, 0.1, 100, 200), v);  // zooming out stops at the whole matrix
  HeatmapView z = v;
  for (int i = 0; i < 100; ++i) z = view_zoom(z, 37.3, 12.1, 2.0, 100, 200);
  EXPECT_NEAR(z.x1 - z.x0, 2.0, 1e-9);  // at least two cells stay visible
  EXPECT_NEAR(z.y1 - z.y0, 2.0, 1e-9);
  EXPECT_GE(z.x0, 0.0);
  EXPECT_LE(z.y1, 100.0);
}

TEST(HeatmapView, PanFollowsTheMouseAndStopsAtEdges) {
  const HeatmapView v{50, 100, 25, 50};
  // Dragging right by 100 px over a 200 px wide widget showing 50 columns moves 25 columns.
  const HeatmapView p = view_pan_pixels(v, 100.0, 0.0, 200.0, 100.0, 100, 200);
  EXPECT_NEAR(p.x0, 25.0, 1e-9);
  EXPECT_NEAR(p.x1, 75.0, 1e-9);
  EXPECT_NEAR(p.y0, 25.0, 1e-9);
  // A huge drag stops at the edge and keeps the span.
  const HeatmapView e = view_pan_pixels(v, 1e6, -1e6, 200.0, 100.0, 100, 200);
  EXPECT_NEAR(e.x0, 0.0, 1e-9);
  EXPECT_NEAR(e.x1, 50.0, 1e-9);
  EXPECT_NEAR(e.y1, 100.0, 1e-9);
  EXPECT_NEAR(e.y1 - e.y0, 25.0, 1e-9);
}

TEST(HeatmapView, RegionDrawClipsToTheView) {
  const ImVec2 rmin(0, 0), rmax(400, 400);
  const HeatmapView full = view_full(100, 100);
  // The data covers columns [50, 100) and rows [0, 50): the top-right quarter.
  auto d = view_region_draw(full, rmin, rmax, 50, 0, 100, 50);
  ASSERT_TRUE(d.has_value());
  EXPECT_FLOAT_EQ(d->p_min.x, 200.0f);
  EXPECT_FLOAT_EQ(d->p_min.y, 0.0f);
  EXPECT_FLOAT_EQ(d->p_max.x, 400.0f);
  EXPECT_FLOAT_EQ(d->p_max.y, 200.0f);
  EXPECT_FLOAT_EQ(d->uv_min.x, 0.0f);
  EXPECT_FLOAT_EQ(d->uv_max.y, 1.0f);
  // Zoomed to columns [60, 80), rows [10, 30): a sub-rectangle of the texture fills the widget.
  d = view_region_draw(HeatmapView{60, 80, 10, 30}, rmin, rmax, 50, 0, 100, 50);
  ASSERT_TRUE(d.has_value());
  EXPECT_FLOAT_EQ(d->uv_min.x, 0.2f);
  EXPECT_FLOAT_EQ(d->uv_max.x, 0.6f);
  EXPECT_FLOAT_EQ(d->uv_min.y, 0.2f);
  EXPECT_FLOAT_EQ(d->uv_max.y, 0.6f);
  EXPECT_FLOAT_EQ(d->p_max.x, 400.0f);
  // Not visible at all.
  EXPECT_FALSE(view_region_draw(HeatmapView{0, 40, 60, 100}, rmin, rmax, 50, 0, 100, 50).has_value());
}

TEST(HeatmapView, ClampRepairsInvalidViews) {
  EXPECT_EQ(view_clamp(HeatmapView{5, 5, 3, 1}, 10, 20), (HeatmapView{0, 20, 0, 10}));
  const HeatmapView c = view_clamp(HeatmapView{-5, 5, 8, 18}, 10, 20);
  EXPECT_EQ(c, (HeatmapView{0, 10, 0, 10}));
}

TEST(HeatmapWidget, WorksWithoutGlAndKeepsInteraction) {
  // No GL context at all: any GL call would crash, so getting through the frame is the test.
  set_gl_enabled(false);
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(600, 400);
  io.DeltaTime = 1.0f / 60.0f;
  unsigned char* px = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  {
    Heatmap hm;
    std::vector<float> data(64 * 32, 1.0f);
    hm.set_data(data.data(), 64, 32);
    hm.set_range(0.0, 2.0);
    EXPECT_EQ(hm.rows(), 64);
    EXPECT_EQ(hm.cols(), 32);
    EXPECT_EQ(hm.upload_count(), 0);
    EXPECT_FALSE(hm.update_colors());
    EXPECT_TRUE(hm.read_colors().empty());
    EXPECT_EQ(hm.color_texture(), 0u);
    EXPECT_EQ(hm.view(), view_full(64, 32));
    HeatmapHover hover;
    for (int f = 0; f < 3; ++f) {
      io.MousePos = ImVec2(8 + 100, 8 + 50);  // default window padding is 8 px
      io.MouseWheel = f == 2 ? 1.0f : 0.0f;
      ImGui::NewFrame();
      ImGui::SetNextWindowPos(ImVec2(0, 0));
      ImGui::SetNextWindowSize(ImVec2(600, 400));
      ImGui::Begin("hm", nullptr, ImGuiWindowFlags_NoDecoration);
      hover = hm.draw("##hm", ImVec2(320, 320));  // 10 px per column, 5 px per row
      colorbar("##cb", Colormap::kViridis, 0.0, 2.0, ImVec2(0, 320));
      ImGui::End();
      ImGui::Render();
    }
    EXPECT_TRUE(hover.hovered);
    EXPECT_EQ(hover.row, 10);  // 50 px / 5 px per row (hover is read after this frame's zoom,
    EXPECT_EQ(hover.col, 10);  // which keeps the cell under the cursor)
    EXPECT_TRUE(hover.view_changed);
    EXPECT_NEAR(hm.view().x1 - hm.view().x0, 32.0 / 1.25, 1e-9);
  }
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
}

TEST(HeatmapWidget, AxesLeaveTheImageHoverable) {
  set_gl_enabled(false);
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(600, 400);
  io.DeltaTime = 1.0f / 60.0f;
  unsigned char* px = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  {
    Heatmap hm;
    hm.set_data(nullptr, 4096, 4096);  // sizes only: nothing to upload without GL
    hm.set_logical_size(131072, 131072);
    HeatmapHover in_margin, in_image;
    ImVec2 gmin, gmax;
    for (int f = 0; f < 6; ++f) {
      // Frames 0-2: mouse in the left margin (axis labels); 3-5: in the middle of the group.
      io.MousePos = f < 3 ? ImVec2(8 + 3, 8 + 100) : ImVec2(0.5f * (gmin.x + gmax.x), 0.5f * (gmin.y + gmax.y));
      ImGui::NewFrame();
      ImGui::SetNextWindowPos(ImVec2(0, 0));
      ImGui::SetNextWindowSize(ImVec2(600, 400));
      ImGui::Begin("hm", nullptr, ImGuiWindowFlags_NoDecoration);
      const HeatmapHover hv = hm.draw_with_axes("##hm", ImVec2(400, 300));
      gmin = ImGui::GetItemRectMin();
      gmax = ImGui::GetItemRectMax();
      ImGui::End();
      ImGui::Render();
      (f < 3 ? in_margin : in_image) = hv;
    }
    EXPECT_NEAR(gmax.x - gmin.x, 400.0f, 1.0f);  // the group takes exactly the requested size
    EXPECT_NEAR(gmax.y - gmin.y, 300.0f, 1.0f);
    EXPECT_FALSE(in_margin.hovered);
    EXPECT_TRUE(in_image.hovered);
    EXPECT_GT(in_image.row, 131072 / 4);  // logical indices, not data texels
    EXPECT_LT(in_image.row, 3 * 131072 / 4);
  }
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
}

}  // namespace
}  // namespace rope::viz
