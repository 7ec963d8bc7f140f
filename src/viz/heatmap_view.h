#pragma once
// Pure zoom / pan / hit-test logic of the heatmap widget (no GL, no ImGui context needed).
//
// Coordinates: "cell space" has x = column, y = row, both continuous; cell (r, c) covers
// [c, c+1) x [r, r+1). Row 0 is at the top of the widget. A HeatmapView is the visible part of
// cell space, stretched over the widget rectangle [rect_min, rect_max] (pixels).
// Unit-tested in tests/viz/colormap_test.cpp (HeatmapView tests).
#include <cstdint>
#include <optional>

#include <imgui.h>

namespace rope::viz {

struct HeatmapView {
  double x0 = 0.0, x1 = 1.0;  // visible columns [x0, x1)
  double y0 = 0.0, y1 = 1.0;  // visible rows [y0, y1), y0 at the top
  bool operator==(const HeatmapView&) const = default;
};

// The whole matrix.
HeatmapView view_full(int64_t rows, int64_t cols);

// Keeps the view inside the matrix: the visible span is at most the matrix and at least
// min_cells cells (clamped to the matrix size); a view that hangs over an edge is shifted back.
HeatmapView view_clamp(const HeatmapView& view, int64_t rows, int64_t cols, double min_cells = 2.0);

// Zooms by `factor` (> 1 zooms in, < 1 zooms out) keeping the cell-space point under the cursor
// (anchor_x, anchor_y) fixed on screen, then clamps.
HeatmapView view_zoom(const HeatmapView& view, double anchor_x, double anchor_y, double factor,
                      int64_t rows, int64_t cols);

// Moves the view with a mouse drag of (dx, dy) pixels over a widget of size (width, height):
// the content follows the mouse. Then clamps.
HeatmapView view_pan_pixels(const HeatmapView& view, double dx, double dy, double width, double height,
                            int64_t rows, int64_t cols);

// Cell-space point under a pixel (continuous; may lie outside the matrix).
struct CellPoint {
  double x = 0.0, y = 0.0;
};
CellPoint view_pixel_to_point(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, ImVec2 pixel);
// Pixel of a cell-space point.
ImVec2 view_point_to_pixel(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, CellPoint point);

// The cell under a pixel, or nullopt when the pixel is outside the rectangle or the matrix.
struct CellIndex {
  int64_t row = 0, col = 0;
  bool operator==(const CellIndex&) const = default;
};
std::optional<CellIndex> view_pixel_to_cell(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max,
                                            ImVec2 pixel, int64_t rows, int64_t cols);

// Visible part of a data region (a sub-rectangle of cell space held by a texture) for drawing it:
// the screen rectangle and the texture coordinates (u along columns, v along rows, 0..1 over the
// region). nullopt when the region is not visible.
struct RegionDraw {
  ImVec2 p_min, p_max;  // pixels
  ImVec2 uv_min, uv_max;
};
std::optional<RegionDraw> view_region_draw(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max,
                                           double region_x0, double region_y0, double region_x1,
                                           double region_y1);

}  // namespace rope::viz
