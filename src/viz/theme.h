#pragma once
// Dark and light themes: ImGui style plus the plot palette. Series colours are the Okabe-Ito
// colour-blind-safe set, ordered so the first ones read well on both backgrounds.
#include <cstdint>
#include <optional>
#include <string_view>

#include <imgui.h>

namespace rope::viz {

enum class Theme { kDark, kLight };
std::string_view to_string(Theme theme);  // "dark", "light"
std::optional<Theme> parse_theme(std::string_view name);

inline constexpr int kNumSeriesColors = 8;

struct PlotPalette {
  ImU32 plot_bg = 0;      // inside the plot area
  ImU32 frame = 0;        // plot area border
  ImU32 grid = 0;         // major grid lines
  ImU32 grid_minor = 0;   // minor grid lines
  ImU32 axis_text = 0;    // tick labels and axis labels
  ImU32 crosshair = 0;
  ImU32 legend_bg = 0;
  ImU32 legend_border = 0;
  ImU32 band_fill = 0;    // default plot_xband fill (translucent)
  ImU32 marker_line = 0;  // default plot_vline / plot_hline colour
  ImU32 mask = 0;         // heatmap colour for masked cells (NaN / -inf)
  ImU32 series[kNumSeriesColors] = {};
};

// The palette of a theme (pure; no ImGui context needed).
const PlotPalette& palette(Theme theme);
// Series colour i (wraps around) of the current theme.
ImU32 series_color(int index);

// Sets the current theme used by the plot and heatmap widgets, and (when an ImGui context
// exists) ImGui's style colours (ImGui::StyleColorsDark / StyleColorsLight plus small tweaks).
void apply_theme(Theme theme);
Theme current_theme();

}  // namespace rope::viz
