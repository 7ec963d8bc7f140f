#pragma once
// Immediate-mode 2-D plots drawn on ImGui's ImDrawList (our own small module; no ImPlot).
//
//   viz::AxisSpec x{"pair i"}, y{"theta_i", /*log=*/true, 1e-9, 1.0};
//   if (viz::begin_plot("##freq", ImVec2(-1, 300), x, y)) {
//     viz::plot_xband(low, high, 0, "yarn ramp");
//     viz::plot_line("scaled", xs.data(), ys.data(), n);
//     viz::plot_line("unscaled", xs.data(), ys0.data(), n, 0, 0.0f, /*dashed=*/true);
//     viz::plot_vline(crit, 0, "critical dim");
//     if (auto m = viz::plot_mouse()) {
//       int i = viz::plot_nearest(xs.data(), ys.data(), n);
//       if (i >= 0) { viz::plot_highlight(xs[i], ys[i]); ImGui::SetTooltip("pair %d", i); }
//     }
//     viz::end_plot();  // legend, crosshair; call only when begin_plot returned true
//   }
//
// Axis ranges: give min/max in AxisSpec (use auto_range() from axis.h on your data for an
// exact fit on the very first frame). A non-finite min or max means "fit the data": the plot
// then uses the extent of the items it received on the previous frame (first frame: {0,1},
// log {1,10}), padded by 5%.
// Sizes (tick length, line thickness, paddings) scale with ImGui::GetFontSize(), so a larger
// UI font gives a plot that stays readable on a projector. Colours come from the current theme
// (theme.h); colour 0 means "next series colour" for lines and scatter, theme default otherwise.
// Items with a label take part in the legend; text after "##" is hidden, "##id" alone hides the
// item from the legend.
// All data pointers are read during the call only. NaN / inf points (and non-positive values
// on a log axis) break a line instead of drawing a spike. Long series are reduced to a min/max
// envelope per pixel column before drawing, so a 1M-point curve costs a few thousand vertices.
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include <imgui.h>

#include "viz/axis.h"

namespace rope::viz {

struct AxisSpec {
  std::string label;
  bool log = false;
  double min = std::numeric_limits<double>::quiet_NaN();  // non-finite: fit the data
  double max = std::numeric_limits<double>::quiet_NaN();
};

// kBelow: the entries side by side under the x axis (wrapping to more rows on narrow plots),
// outside the data; the plot area makes room for them (sized by the previous frame's legend).
enum class LegendCorner { kTopRight, kTopLeft, kBottomRight, kBottomLeft, kNone, kBelow };

struct PlotOptions {
  LegendCorner legend = LegendCorner::kTopRight;
  bool crosshair = true;     // dashed cross-hair and x/y read-out at the mouse when hovered
  bool grid = true;
  bool equal_aspect = false; // one data unit is the same number of pixels on x and y (linear axes)
  const char* title = nullptr;  // drawn centred above the plot area
};

struct PlotPoint {
  double x = 0.0, y = 0.0;
};

// Starts a plot of `size` pixels (negative or zero components: fill the available region, as
// ImGui::ItemSize conventions; -1 = all the remaining width). Returns false when the plot is
// clipped away; then do not call any plot_* function nor end_plot.
bool begin_plot(const char* id, ImVec2 size, const AxisSpec& x, const AxisSpec& y,
                const PlotOptions& options = {});
void end_plot();

// Items (valid between begin_plot and end_plot).
void plot_line(const char* label, const double* xs, const double* ys, int count, ImU32 color = 0,
               float thickness = 0.0f, bool dashed = false);
void plot_line(const char* label, const float* xs, const float* ys, int count, ImU32 color = 0,
               float thickness = 0.0f, bool dashed = false);
void plot_scatter(const char* label, const double* xs, const double* ys, int count, ImU32 color = 0,
                  float radius = 0.0f);
void plot_scatter(const char* label, const float* xs, const float* ys, int count, ImU32 color = 0,
                  float radius = 0.0f);
// Full-height / full-width reference lines; the label is drawn next to the line inside the plot.
void plot_vline(double x, ImU32 color = 0, const char* label = nullptr, bool dashed = true);
void plot_hline(double y, ImU32 color = 0, const char* label = nullptr, bool dashed = true);
// Shaded full-height range [x0, x1] (e.g. the yarn ramp, llama3 bands), drawn behind lines if
// called first. fill 0 = the theme's translucent band colour.
void plot_xband(double x0, double x1, ImU32 fill = 0, const char* label = nullptr);
// A segment with an arrow head at (x1, y1), e.g. the rotating query vector.
void plot_arrow(double x0, double y0, double x1, double y1, ImU32 color = 0, float thickness = 0.0f);
// Text anchored at data point (x, y); pivot (0..1, 0..1) chooses which corner of the text box
// sits on the point ((0,1): text above-right of the point). color 0: the axis text colour.
void plot_annotation(double x, double y, const char* text, ImU32 color = 0, ImVec2 pivot = ImVec2(0.0f, 1.0f));
// A ring marker at a data point (hover highlight).
void plot_highlight(double x, double y, ImU32 color = 0);

// Hover (valid between begin_plot and end_plot).
bool plot_hovered();                    // mouse over the plot area
std::optional<PlotPoint> plot_mouse();  // data coordinates of the mouse when hovered
// Index of the point of a series nearest the mouse; -1 if the plot is not hovered or no point
// qualifies. max_px_distance > 0: nearest in 2-D pixel distance, within that radius.
// max_px_distance <= 0 (default): nearest in x only (pixel columns), whatever y is: the usual
// tooltip for curves y(x).
int plot_nearest(const double* xs, const double* ys, int count, float max_px_distance = 0.0f);
int plot_nearest(const float* xs, const float* ys, int count, float max_px_distance = 0.0f);

// Coordinate helpers for custom drawing (valid between begin_plot and end_plot).
ImVec2 plot_to_pixel(double x, double y);
PlotPoint pixel_to_plot(ImVec2 pixel);
ImDrawList* plot_draw_list();          // the window draw list; the plot-area clip rect is pushed
ImVec2 plot_area_min();                // top-left pixel of the plot area (inside the axes)
ImVec2 plot_area_max();
const AxisTransform& plot_x_transform();
const AxisTransform& plot_y_transform();

// Pure helpers (no ImGui context needed).
// Index of the entry of an ascending array nearest to x (binary search); -1 if count <= 0.
int nearest_index_sorted(const double* xs, int count, double x);
int nearest_index_sorted(const float* xs, int count, double x);
// Index of the point nearest `pixel` after transforming each point: within max_px_distance
// pixels (2-D) when it is > 0, else nearest in x only. -1 if none. Non-finite points (and
// non-positive ones on a log axis) are skipped.
int nearest_point(const double* xs, const double* ys, int count, const AxisTransform& tx,
                  const AxisTransform& ty, ImVec2 pixel, float max_px_distance);
int nearest_point(const float* xs, const float* ys, int count, const AxisTransform& tx,
                  const AxisTransform& ty, ImVec2 pixel, float max_px_distance);

// Text drawn rotated 90 degrees counter-clockwise (reads bottom to top), e.g. a y-axis label;
// `pos` is the top-left of its (rotated) bounding box. Returns the box size.
ImVec2 add_text_vertical(ImDrawList* draw_list, ImVec2 pos, ImU32 color, const char* text);
ImVec2 calc_text_size_vertical(const char* text);

}  // namespace rope::viz
