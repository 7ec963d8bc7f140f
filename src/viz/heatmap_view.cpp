#include "viz/heatmap_view.h"

#include <algorithm>
#include <cmath>

namespace rope::viz {
namespace {

// Clamps one axis [a, b) of a view to [0, n) with a span in [min(min_cells, n), n].
void clamp_axis(double& a, double& b, double n, double min_cells) {
  if (!(n > 0.0)) {
    a = 0.0;
    b = 1.0;
    return;
  }
  if (!std::isfinite(a) || !std::isfinite(b) || !(b > a)) {
    a = 0.0;
    b = n;
    return;
  }
  const double lo_span = std::min(std::max(min_cells, 1e-9), n);
  double span = std::clamp(b - a, lo_span, n);
  const double centre = 0.5 * (a + b);
  a = centre - 0.5 * span;
  b = centre + 0.5 * span;
  if (a < 0.0) {
    b -= a;
    a = 0.0;
  }
  if (b > n) {
    a -= b - n;
    b = n;
  }
  a = std::max(a, 0.0);
}

}  // namespace

HeatmapView view_full(int64_t rows, int64_t cols) {
  return HeatmapView{0.0, static_cast<double>(std::max<int64_t>(cols, 1)), 0.0,
                     static_cast<double>(std::max<int64_t>(rows, 1))};
}

HeatmapView view_clamp(const HeatmapView& view, int64_t rows, int64_t cols, double min_cells) {
  HeatmapView v = view;
  clamp_axis(v.x0, v.x1, static_cast<double>(cols), min_cells);
  clamp_axis(v.y0, v.y1, static_cast<double>(rows), min_cells);
  return v;
}

HeatmapView view_zoom(const HeatmapView& view, double anchor_x, double anchor_y, double factor, int64_t rows,
                      int64_t cols) {
  if (!(factor > 0.0) || !std::isfinite(factor)) return view_clamp(view, rows, cols);
  HeatmapView v;
  // The anchor keeps its relative position inside the view.
  v.x0 = anchor_x - (anchor_x - view.x0) / factor;
  v.x1 = anchor_x + (view.x1 - anchor_x) / factor;
  v.y0 = anchor_y - (anchor_y - view.y0) / factor;
  v.y1 = anchor_y + (view.y1 - anchor_y) / factor;
  return view_clamp(v, rows, cols);
}

HeatmapView view_pan_pixels(const HeatmapView& view, double dx, double dy, double width, double height, int64_t rows,
                            int64_t cols) {
  HeatmapView v = view;
  if (width > 0.0) {
    const double shift = -dx * (view.x1 - view.x0) / width;
    v.x0 += shift;
    v.x1 += shift;
  }
  if (height > 0.0) {
    const double shift = -dy * (view.y1 - view.y0) / height;
    v.y0 += shift;
    v.y1 += shift;
  }
  // Panning keeps the span: shift back inside instead of shrinking.
  const double w = v.x1 - v.x0, h = v.y1 - v.y0;
  const double nc = static_cast<double>(cols), nr = static_cast<double>(rows);
  if (v.x0 < 0.0) { v.x0 = 0.0; v.x1 = w; }
  if (v.x1 > nc) { v.x1 = nc; v.x0 = nc - w; }
  if (v.y0 < 0.0) { v.y0 = 0.0; v.y1 = h; }
  if (v.y1 > nr) { v.y1 = nr; v.y0 = nr - h; }
  return view_clamp(v, rows, cols);
}

CellPoint view_pixel_to_point(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, ImVec2 pixel) {
  const double w = static_cast<double>(rect_max.x) - rect_min.x;
  const double h = static_cast<double>(rect_max.y) - rect_min.y;
  const double fx = w > 0.0 ? (static_cast<double>(pixel.x) - rect_min.x) / w : 0.0;
  const double fy = h > 0.0 ? (static_cast<double>(pixel.y) - rect_min.y) / h : 0.0;
  return CellPoint{view.x0 + fx * (view.x1 - view.x0), view.y0 + fy * (view.y1 - view.y0)};
}

ImVec2 view_point_to_pixel(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, CellPoint point) {
  const double sx = view.x1 > view.x0 ? (point.x - view.x0) / (view.x1 - view.x0) : 0.0;
  const double sy = view.y1 > view.y0 ? (point.y - view.y0) / (view.y1 - view.y0) : 0.0;
  return ImVec2(static_cast<float>(rect_min.x + sx * (static_cast<double>(rect_max.x) - rect_min.x)),
                static_cast<float>(rect_min.y + sy * (static_cast<double>(rect_max.y) - rect_min.y)));
}

std::optional<CellIndex> view_pixel_to_cell(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, ImVec2 pixel,
                                            int64_t rows, int64_t cols) {
  if (!(pixel.x >= rect_min.x && pixel.x < rect_max.x && pixel.y >= rect_min.y && pixel.y < rect_max.y)) return std::nullopt;
  const CellPoint p = view_pixel_to_point(view, rect_min, rect_max, pixel);
  const double c = std::floor(p.x), r = std::floor(p.y);
  if (c < 0.0 || r < 0.0 || c >= static_cast<double>(cols) || r >= static_cast<double>(rows)) return std::nullopt;
  return CellIndex{static_cast<int64_t>(r), static_cast<int64_t>(c)};
}

std::optional<RegionDraw> view_region_draw(const HeatmapView& view, ImVec2 rect_min, ImVec2 rect_max, double rx0,
                                           double ry0, double rx1, double ry1) {
  if (!(rx1 > rx0) || !(ry1 > ry0)) return std::nullopt;
  const double x0 = std::max(view.x0, rx0), x1 = std::min(view.x1, rx1);
  const double y0 = std::max(view.y0, ry0), y1 = std::min(view.y1, ry1);
  if (!(x1 > x0) || !(y1 > y0)) return std::nullopt;
  RegionDraw d;
  d.p_min = view_point_to_pixel(view, rect_min, rect_max, CellPoint{x0, y0});
  d.p_max = view_point_to_pixel(view, rect_min, rect_max, CellPoint{x1, y1});
  d.uv_min = ImVec2(static_cast<float>((x0 - rx0) / (rx1 - rx0)), static_cast<float>((y0 - ry0) / (ry1 - ry0)));
  d.uv_max = ImVec2(static_cast<float>((x1 - rx0) / (rx1 - rx0)), static_cast<float>((y1 - ry0) / (ry1 - ry0)));
  return d;
}

}  // namespace rope::viz
