#include "viz/theme.h"

#include "viz/context.h"

namespace rope::viz {
namespace {

constexpr ImU32 rgb(uint32_t hex, uint32_t alpha = 255) {
  return IM_COL32((hex >> 16) & 0xff, (hex >> 8) & 0xff, hex & 0xff, alpha);
}

// Okabe-Ito hues: orange, sky blue, bluish green, vermillion, blue, reddish purple, yellow, and a
// neutral (white on dark, black on light) in place of the set's black. On the light background
// the light hues (orange, sky blue, yellow) are darkened to keep a 3:1 contrast for thin lines.
PlotPalette make_dark() {
  PlotPalette p;
  p.plot_bg = rgb(0x16181d);
  p.frame = rgb(0x5a5f6b);
  p.grid = rgb(0xffffff, 34);
  p.grid_minor = rgb(0xffffff, 14);
  p.axis_text = rgb(0xdcdfe4);
  p.crosshair = rgb(0xffffff, 120);
  p.legend_bg = rgb(0x202329, 225);
  p.legend_border = rgb(0x5a5f6b, 200);
  p.band_fill = rgb(0x56b4e9, 40);
  p.marker_line = rgb(0xc8ccd4, 200);
  p.mask = rgb(0x3a3d44);
  const ImU32 series[kNumSeriesColors] = {rgb(0xe69f00), rgb(0x56b4e9), rgb(0x009e73), rgb(0xd55e00),
                                          rgb(0x3d9be0), rgb(0xcc79a7), rgb(0xf0e442), rgb(0xf0f0f0)};
  for (int i = 0; i < kNumSeriesColors; ++i) p.series[i] = series[i];
  return p;
}

PlotPalette make_light() {
  PlotPalette p;
  p.plot_bg = rgb(0xffffff);
  p.frame = rgb(0x8a8f99);
  p.grid = rgb(0x000000, 30);
  p.grid_minor = rgb(0x000000, 12);
  p.axis_text = rgb(0x1e2127);
  p.crosshair = rgb(0x000000, 110);
  p.legend_bg = rgb(0xffffff, 230);
  p.legend_border = rgb(0x8a8f99, 200);
  p.band_fill = rgb(0x0072b2, 34);
  p.marker_line = rgb(0x50545c, 210);
  p.mask = rgb(0xd4d6da);
  const ImU32 series[kNumSeriesColors] = {rgb(0xb87800), rgb(0x0072b2), rgb(0x009e73), rgb(0xd55e00),
                                          rgb(0x3a8dc0), rgb(0xcc79a7), rgb(0x8f8200), rgb(0x000000)};
  for (int i = 0; i < kNumSeriesColors; ++i) p.series[i] = series[i];
  return p;
}

}  // namespace

std::string_view to_string(Theme theme) { return theme == Theme::kLight ? "light" : "dark"; }

std::optional<Theme> parse_theme(std::string_view name) {
  if (name == "dark") return Theme::kDark;
  if (name == "light") return Theme::kLight;
  return std::nullopt;
}

const PlotPalette& palette(Theme theme) {
  static const PlotPalette dark = make_dark();   // immutable tables
  static const PlotPalette light = make_light();
  return theme == Theme::kLight ? light : dark;
}

ImU32 series_color(int index) {
  const PlotPalette& p = palette(context().theme);
  const int i = ((index % kNumSeriesColors) + kNumSeriesColors) % kNumSeriesColors;
  return p.series[i];
}

void apply_theme(Theme theme) {
  context().theme = theme;
  if (ImGui::GetCurrentContext() == nullptr) return;
  ImGuiStyle& style = ImGui::GetStyle();
  if (theme == Theme::kLight) {
    ImGui::StyleColorsLight(&style);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.96f, 0.96f, 0.97f, 1.0f);
  } else {
    ImGui::StyleColorsDark(&style);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.12f, 0.14f, 1.0f);
  }
  style.FrameRounding = 3.0f;
  style.GrabRounding = 3.0f;
  style.WindowRounding = 4.0f;
}

Theme current_theme() { return context().theme; }

}  // namespace rope::viz
