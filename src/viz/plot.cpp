// Immediate-mode plots on ImDrawList. See plot.h for the API and conventions.
#include "viz/plot.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "viz/context.h"
#include "viz/theme.h"

namespace rope::viz {

enum class LegendKind { kLine, kScatter, kBand };

struct LegendEntry {
  std::string label;
  ImU32 color = 0;
  LegendKind kind = LegendKind::kLine;
  bool dashed = false;
};

struct PlotMemory {
  Range fit_x, fit_y;
  bool has_x = false, has_y = false;
  int legend_rows = 1;  // rows a kBelow legend took on the previous frame
  ImVec2 legend_min, legend_max;  // a corner legend's box on the previous frame (empty: none)
  bool legend_below = false;  // a corner legend too large for its corner is drawn kBelow
};

struct PlotContext {
  std::unordered_map<ImGuiID, PlotMemory> memory;
  bool active = false;
  ImGuiID id = 0;
  PlotOptions options;
  AxisSpec x, y;
  bool auto_x = false, auto_y = false;
  ImVec2 frame_min, frame_max, area_min, area_max;
  AxisTransform tx, ty;
  Range fit_x, fit_y;
  bool fit_has_x = false, fit_has_y = false;
  int next_color = 0;
  int vline_labels = 0;
  std::vector<LegendEntry> legend;
  bool hovered = false;
  ImVec2 mouse;
  ImDrawList* draw_list = nullptr;
  float font = 13.0f;
  float legend_y = 0.0f;  // top of a kBelow legend
  LegendCorner asked_legend = LegendCorner::kTopRight;  // options.legend as given
  std::vector<ImVec2> points;
};

namespace {

PlotContext& plot_ctx() {
  Context& c = context();
  if (c.plot == nullptr) c.plot = new PlotContext();  // lives as long as the process (one global)
  return *c.plot;
}

const PlotPalette& pal() { return palette(context().theme); }

const char* label_end(const char* text) {
  if (text == nullptr) return nullptr;
  const char* hash = std::strstr(text, "##");
  return hash ? hash : text + std::strlen(text);
}

bool label_visible(const char* text) { return text != nullptr && label_end(text) != text; }

float default_thickness(float font) { return std::max(1.0f, font / 8.0f); }

ImU32 with_alpha(ImU32 color, float alpha) {
  const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
  return (color & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

// UTF-8 decoding for vertical text (returns bytes consumed, at least 1).
int decode_utf8(const char* s, const char* end, unsigned int* out) {
  const auto c = static_cast<unsigned char>(s[0]);
  int n = 1;
  unsigned int cp = c;
  if (c >= 0xF0) { n = 4; cp = c & 0x07u; }
  else if (c >= 0xE0) { n = 3; cp = c & 0x0Fu; }
  else if (c >= 0xC0) { n = 2; cp = c & 0x1Fu; }
  if (s + n > end) { *out = 0xFFFD; return 1; }
  for (int i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3Fu);
  *out = cp;
  return n;
}

void update_fit(PlotContext& p, double x, double y) {
  if (std::isfinite(x) && (!p.x.log || x > 0.0)) {
    if (!p.fit_has_x) { p.fit_x = Range{x, x}; p.fit_has_x = true; }
    else { p.fit_x.min = std::min(p.fit_x.min, x); p.fit_x.max = std::max(p.fit_x.max, x); }
  }
  if (std::isfinite(y) && (!p.y.log || y > 0.0)) {
    if (!p.fit_has_y) { p.fit_y = Range{y, y}; p.fit_has_y = true; }
    else { p.fit_y.min = std::min(p.fit_y.min, y); p.fit_y.max = std::max(p.fit_y.max, y); }
  }
}

bool point_ok(const PlotContext& p, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && (!p.x.log || x > 0.0) && (!p.y.log || y > 0.0);
}

ImVec2 to_px(const PlotContext& p, double x, double y) {
  // Clamp far-away points so float pixel coordinates stay precise (lines still leave the area).
  constexpr double kFar = 1e5;
  const double px = std::clamp(p.tx.to_pixel(x), -kFar, kFar);
  const double py = std::clamp(p.ty.to_pixel(y), -kFar, kFar);
  return ImVec2(static_cast<float>(px), static_cast<float>(py));
}

void draw_dashed_polyline(ImDrawList* dl, const ImVec2* pts, int n, ImU32 color, float thickness) {
  const float dash = 3.0f * thickness + 4.0f, gap = 2.0f * thickness + 3.0f;
  float phase = 0.0f;  // position within the dash+gap period
  for (int i = 0; i + 1 < n; ++i) {
    const ImVec2 a = pts[i], b = pts[i + 1];
    const float dx = b.x - a.x, dy = b.y - a.y;
    const float len = std::sqrt(dx * dx + dy * dy);
    if (len <= 0.0f) continue;
    float s = 0.0f;
    while (s < len) {
      const bool on = phase < dash;
      const float left = on ? dash - phase : dash + gap - phase;
      const float e = std::min(len, s + left);
      if (on) dl->AddLine(ImVec2(a.x + dx * s / len, a.y + dy * s / len), ImVec2(a.x + dx * e / len, a.y + dy * e / len),
                          color, thickness);
      phase += e - s;
      if (phase >= dash + gap) phase -= dash + gap;
      s = e;
    }
  }
}

void flush_polyline(ImDrawList* dl, std::vector<ImVec2>& pts, ImU32 color, float thickness, bool dashed) {
  if (pts.size() >= 2) {
    if (dashed) {
      draw_dashed_polyline(dl, pts.data(), static_cast<int>(pts.size()), color, thickness);
    } else {
      // Chunks keep each call well below 16-bit index limits.
      constexpr int kChunk = 1024;
      const int n = static_cast<int>(pts.size());
      for (int start = 0; start < n - 1; start += kChunk - 1) {
        const int len = std::min(kChunk, n - start);
        dl->AddPolyline(pts.data() + start, len, color, ImDrawFlags_None, thickness);
      }
    }
  } else if (pts.size() == 1) {
    dl->AddCircleFilled(pts[0], thickness, color, 8);
  }
  pts.clear();
}

struct PxPoint {
  double x, y;
};

// Liang-Barsky: clips the segment a-b to the box; false when nothing of it is inside.
bool clip_segment(PxPoint& a, PxPoint& b, double x0, double y0, double x1, double y1) {
  double t0 = 0.0, t1 = 1.0;
  const double dx = b.x - a.x, dy = b.y - a.y;
  auto edge = [&](double pp, double q) {
    if (pp == 0.0) return q >= 0.0;
    const double r = q / pp;
    if (pp < 0.0) {
      if (r > t1) return false;
      t0 = std::max(t0, r);
    } else {
      if (r < t0) return false;
      t1 = std::min(t1, r);
    }
    return true;
  };
  if (!edge(-dx, a.x - x0) || !edge(dx, x1 - a.x) || !edge(-dy, a.y - y0) || !edge(dy, y1 - a.y)) return false;
  const PxPoint na{a.x + t0 * dx, a.y + t0 * dy}, nb{a.x + t1 * dx, a.y + t1 * dy};
  a = na;
  b = nb;
  return true;
}

// Turns a stream of pixel points (double precision, possibly far outside the plot) into
// polylines clipped to the plot area plus a margin, so float vertices stay exact and the slope of
// segments leaving the area is kept.
class LineClipper {
 public:
  LineClipper(PlotContext& p, ImU32 color, float thickness, bool dashed)
      : p_(p), color_(color), thickness_(thickness), dashed_(dashed) {
    const double m = 2.0 * thickness + 2.0;
    x0_ = p.area_min.x - m;
    y0_ = p.area_min.y - m;
    x1_ = p.area_max.x + m;
    y1_ = p.area_max.y + m;
    p_.points.clear();
  }
  ~LineClipper() { flush(); }

  void add(PxPoint q) {
    std::vector<ImVec2>& pts = p_.points;
    if (!has_prev_) {
      has_prev_ = true;
      prev_ = q;
      if (q.x >= x0_ && q.x <= x1_ && q.y >= y0_ && q.y <= y1_) pts.push_back(vec(q));
      return;
    }
    PxPoint a = prev_, b = q;
    prev_ = q;
    if (!clip_segment(a, b, x0_, y0_, x1_, y1_)) {
      flush();
      return;
    }
    const ImVec2 va = vec(a);
    if (pts.empty() || pts.back().x != va.x || pts.back().y != va.y) {
      flush();
      pts.push_back(va);
    }
    const ImVec2 vb = vec(b);
    if (pts.back().x != vb.x || pts.back().y != vb.y) pts.push_back(vb);
  }
  void break_line() {
    has_prev_ = false;
    flush();
  }

 private:
  static ImVec2 vec(PxPoint q) { return ImVec2(static_cast<float>(q.x), static_cast<float>(q.y)); }
  void flush() { flush_polyline(p_.draw_list, p_.points, color_, thickness_, dashed_); }

  PlotContext& p_;
  ImU32 color_;
  float thickness_;
  bool dashed_;
  double x0_, y0_, x1_, y1_;
  bool has_prev_ = false;
  PxPoint prev_{0.0, 0.0};
};

template <typename T>
void line_impl(const char* label, const T* xs, const T* ys, int count, ImU32 color, float thickness, bool dashed) {
  PlotContext& p = plot_ctx();
  if (!p.active) return;
  if (color == 0) color = series_color(p.next_color++);
  if (thickness <= 0.0f) thickness = default_thickness(p.font);
  if (label_visible(label)) p.legend.push_back(LegendEntry{std::string(label, label_end(label)), color, LegendKind::kLine, dashed});
  if (xs == nullptr || ys == nullptr || count <= 0) return;

  LineClipper clip(p, color, thickness, dashed);
  const float width = std::max(1.0f, p.area_max.x - p.area_min.x);
  const bool decimate = count > static_cast<int>(4.0f * width);
  // Per pixel column envelope: first, min, max, last of the points falling in that column.
  struct Bucket {
    double col = 0.0;
    PxPoint first{}, last{}, lo{}, hi{};
    int i_lo = 0, i_hi = 0;
    bool open = false;
  } b;
  auto flush_bucket = [&]() {
    if (!b.open) return;
    clip.add(b.first);
    if (b.i_lo < b.i_hi) {
      clip.add(b.lo);
      clip.add(b.hi);
    } else {
      clip.add(b.hi);
      clip.add(b.lo);
    }
    clip.add(b.last);
    b.open = false;
  };
  for (int i = 0; i < count; ++i) {
    const double x = static_cast<double>(xs[i]), y = static_cast<double>(ys[i]);
    update_fit(p, x, y);
    if (!point_ok(p, x, y)) {
      flush_bucket();
      clip.break_line();
      continue;
    }
    const PxPoint q{p.tx.to_pixel(x), p.ty.to_pixel(y)};
    if (!decimate) {
      clip.add(q);
      continue;
    }
    const double col = std::floor(q.x);
    if (b.open && col == b.col) {
      b.last = q;
      if (q.y < b.lo.y) { b.lo = q; b.i_lo = i; }  // pixel y grows downwards: lo = top
      if (q.y > b.hi.y) { b.hi = q; b.i_hi = i; }
    } else {
      flush_bucket();
      b = Bucket{col, q, q, q, q, i, i, true};
    }
  }
  flush_bucket();
}

template <typename T>
void scatter_impl(const char* label, const T* xs, const T* ys, int count, ImU32 color, float radius) {
  PlotContext& p = plot_ctx();
  if (!p.active) return;
  if (color == 0) color = series_color(p.next_color++);
  if (radius <= 0.0f) radius = std::max(1.5f, p.font * 0.2f);
  if (label_visible(label)) p.legend.push_back(LegendEntry{std::string(label, label_end(label)), color, LegendKind::kScatter, false});
  if (xs == nullptr || ys == nullptr || count <= 0) return;
  const bool squares = count > 2000;  // 4 vertices each instead of a tessellated circle
  for (int i = 0; i < count; ++i) {
    const double x = static_cast<double>(xs[i]), y = static_cast<double>(ys[i]);
    update_fit(p, x, y);
    if (!point_ok(p, x, y)) continue;
    const ImVec2 q = to_px(p, x, y);
    if (q.x < p.area_min.x - radius || q.x > p.area_max.x + radius || q.y < p.area_min.y - radius ||
        q.y > p.area_max.y + radius)
      continue;
    if (squares) p.draw_list->AddRectFilled(ImVec2(q.x - radius, q.y - radius), ImVec2(q.x + radius, q.y + radius), color);
    else p.draw_list->AddCircleFilled(q, radius, color, 12);
  }
}

template <typename T>
int nearest_point_impl(const T* xs, const T* ys, int count, const AxisTransform& tx, const AxisTransform& ty,
                       ImVec2 pixel, float max_px) {
  int best = -1;
  double best_d = std::numeric_limits<double>::infinity();
  for (int i = 0; i < count; ++i) {
    const double x = static_cast<double>(xs[i]), y = static_cast<double>(ys[i]);
    if (!std::isfinite(x) || !std::isfinite(y) || (tx.log && x <= 0.0) || (ty.log && y <= 0.0)) continue;
    const double dx = tx.to_pixel(x) - pixel.x;
    double d;
    if (max_px > 0.0f) {
      const double dy = ty.to_pixel(y) - pixel.y;
      d = dx * dx + dy * dy;
      if (d > static_cast<double>(max_px) * max_px) continue;
    } else {
      d = std::abs(dx);
    }
    if (d < best_d) { best_d = d; best = i; }
  }
  return best;
}

template <typename T>
int nearest_sorted_impl(const T* xs, int count, double x) {
  if (xs == nullptr || count <= 0) return -1;
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (static_cast<double>(xs[mid]) < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && std::abs(static_cast<double>(xs[lo - 1]) - x) <= std::abs(static_cast<double>(xs[lo]) - x)) return lo - 1;
  return lo;
}

template <typename T>
int plot_nearest_impl(const T* xs, const T* ys, int count, float max_px) {
  PlotContext& p = plot_ctx();
  if (!p.active || !p.hovered || xs == nullptr || ys == nullptr || count <= 0) return -1;
  return nearest_point_impl(xs, ys, count, p.tx, p.ty, p.mouse, max_px);
}

// A text label with a translucent background box, clamped into the plot area.
void boxed_text(PlotContext& p, ImVec2 pos, ImU32 text_color, const char* text) {
  const char* end = label_end(text);
  const ImVec2 size = ImGui::CalcTextSize(text, end);
  const float pad = p.font * 0.15f;
  pos.x = std::clamp(pos.x, p.area_min.x + pad, std::max(p.area_min.x + pad, p.area_max.x - size.x - pad));
  pos.y = std::clamp(pos.y, p.area_min.y + pad, std::max(p.area_min.y + pad, p.area_max.y - size.y - pad));
  p.draw_list->AddRectFilled(ImVec2(pos.x - pad, pos.y - pad * 0.5f), ImVec2(pos.x + size.x + pad, pos.y + size.y + pad * 0.5f),
                             with_alpha(pal().plot_bg, 0.75f), pad);
  p.draw_list->AddText(pos, text_color, text, end);
}

}  // namespace

ImVec2 calc_text_size_vertical(const char* text) {
  const ImVec2 s = ImGui::CalcTextSize(text, label_end(text));
  return ImVec2(s.y, s.x);
}

ImVec2 add_text_vertical(ImDrawList* dl, ImVec2 pos, ImU32 color, const char* text) {
  const ImVec2 box = calc_text_size_vertical(text);
  ImFont* font = ImGui::GetFont();
  if (font == nullptr || text == nullptr) return box;
  const float scale = ImGui::GetFontSize() / font->FontSize;
  const char* end = label_end(text);
  const float base_y = pos.y + box.y;  // the text starts at the bottom and runs upwards
  float pen = 0.0f;
  for (const char* s = text; s < end;) {
    unsigned int cp = 0;
    s += decode_utf8(s, end, &cp);
    if (cp == '\n' || cp == '\r') continue;
    const ImFontGlyph* g = font->FindGlyph(static_cast<ImWchar>(cp));
    if (g == nullptr) continue;
    if (g->Visible) {
      const float u0 = pen + g->X0 * scale, u1 = pen + g->X1 * scale;
      const float v0 = g->Y0 * scale, v1 = g->Y1 * scale;
      // Unrotated (u along the text, v down) -> screen: x = pos.x + v, y = base_y - u.
      const ImVec2 a(pos.x + v0, base_y - u0), b(pos.x + v0, base_y - u1), c(pos.x + v1, base_y - u1),
          d(pos.x + v1, base_y - u0);
      dl->PrimReserve(6, 4);
      dl->PrimQuadUV(a, b, c, d, ImVec2(g->U0, g->V0), ImVec2(g->U1, g->V0), ImVec2(g->U1, g->V1), ImVec2(g->U0, g->V1),
                     color);
    }
    pen += g->AdvanceX * scale;
  }
  return box;
}

namespace {

float legend_row_height(float font) { return font * 1.15f; }

// `text`, or as much of it as fits in `width` pixels followed by "...".
std::string fit_text(const std::string& text, float width) {
  if (ImGui::CalcTextSize(text.c_str()).x <= width) return text;
  std::string cut = text;
  while (!cut.empty()) {
    // Drop the last character: its continuation bytes, then its lead byte.
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
    if (!cut.empty()) cut.pop_back();
    if (ImGui::CalcTextSize((cut + "...").c_str()).x <= width) return cut + "...";
  }
  return std::string();
}

}  // namespace

bool begin_plot(const char* id, ImVec2 size, const AxisSpec& x, const AxisSpec& y, const PlotOptions& options) {
  PlotContext& p = plot_ctx();
  IM_ASSERT(!p.active && "begin_plot without end_plot");
  const float font = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (size.x <= 0.0f) size.x = std::max(avail.x + size.x, 6.0f * font);
  if (size.y <= 0.0f) size.y = std::max(avail.y + size.y, 5.0f * font);

  ImGui::PushID(id);
  const ImGuiID gid = ImGui::GetID("##plot");
  const ImVec2 frame_min = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##plot", size);
  const bool visible = ImGui::IsItemVisible();
  const bool hovered = ImGui::IsItemHovered();
  ImGui::PopID();
  if (!visible) return false;

  p.active = true;
  p.id = gid;
  p.options = options;
  p.asked_legend = options.legend;
  p.x = x;
  p.y = y;
  p.font = font;
  p.draw_list = ImGui::GetWindowDrawList();
  p.frame_min = frame_min;
  p.frame_max = ImVec2(frame_min.x + size.x, frame_min.y + size.y);
  p.legend.clear();
  p.next_color = 0;
  p.vline_labels = 0;
  p.fit_has_x = p.fit_has_y = false;

  // Ranges: explicit, else last frame's fit, else a default.
  const PlotMemory& mem = p.memory[gid];
  if (options.legend != LegendCorner::kNone && mem.legend_below) p.options.legend = LegendCorner::kBelow;
  auto resolve = [](const AxisSpec& a, bool has_fit, Range fit, bool* is_auto) {
    Range r{a.min, a.max};
    *is_auto = !(std::isfinite(a.min) && std::isfinite(a.max));
    if (*is_auto) {
      Range f = has_fit ? pad_range(fit, a.log, 0.05) : (a.log ? Range{1.0, 10.0} : Range{0.0, 1.0});
      if (std::isfinite(a.min)) f.min = a.min;
      if (std::isfinite(a.max)) f.max = a.max;
      r = f;
    }
    if (a.log) {
      if (!(r.min > 0.0)) r.min = r.max > 0.0 ? r.max / 10.0 : 1.0;
      if (!(r.max > r.min)) r.max = r.min * 10.0;
    } else if (!(r.max > r.min)) {
      r = pad_range(Range{r.min, r.min}, false, 0.0);
    }
    return r;
  };
  Range rx = resolve(x, mem.has_x, mem.fit_x, &p.auto_x);
  Range ry = resolve(y, mem.has_y, mem.fit_y, &p.auto_y);

  // Layout (all sizes follow the font size).
  const float pad = 0.4f * font;
  const float tick_len = 0.35f * font;
  const float top = pad + (options.title ? font + pad : 0.0f);
  const float x_label_h = x.label.empty() ? 0.0f : font + 0.3f * pad;
  const float legend_below_h =
      p.options.legend == LegendCorner::kBelow ? static_cast<float>(mem.legend_rows) * legend_row_height(font) + 0.5f * pad : 0.0f;
  const float bottom = pad + tick_len + font + x_label_h + legend_below_h;
  const float area_h = std::max(1.0f, size.y - top - bottom);
  const int y_target = std::clamp(static_cast<int>(area_h / (2.2f * font)), 2, 10);
  auto make_ticks = [](const AxisSpec& a, Range r, int target) {
    return a.log ? log_ticks(r.min, r.max, std::max(2, target)) : linear_ticks(r.min, r.max, target);
  };
  std::vector<Tick> yticks = make_ticks(y, ry, y_target);
  float ylabel_w = 0.0f;
  for (const Tick& t : yticks) {
    if (t.major) ylabel_w = std::max(ylabel_w, ImGui::CalcTextSize(t.label.c_str()).x);
  }
  const float left = pad + (y.label.empty() ? 0.0f : font + pad) + ylabel_w + tick_len + 0.25f * pad;
  const float right = 1.2f * font;
  p.area_min = ImVec2(std::floor(frame_min.x + left), std::floor(frame_min.y + top));
  p.area_max = ImVec2(std::floor(std::max(p.area_min.x + 1.0f, p.frame_max.x - right)),
                      std::floor(std::max(p.area_min.y + 1.0f, p.frame_max.y - bottom)));
  p.legend_y = p.area_max.y + tick_len + font + x_label_h + 0.5f * pad;
  const float area_w = p.area_max.x - p.area_min.x;

  if (options.equal_aspect && !x.log && !y.log) {
    const double ux = area_w / (rx.max - rx.min), uy = (p.area_max.y - p.area_min.y) / (ry.max - ry.min);
    if (ux > uy) {
      const double c = 0.5 * (rx.min + rx.max), half = 0.5 * area_w / uy;
      rx = Range{c - half, c + half};
    } else {
      const double c = 0.5 * (ry.min + ry.max), half = 0.5 * (p.area_max.y - p.area_min.y) / ux;
      ry = Range{c - half, c + half};
    }
    yticks = make_ticks(y, ry, y_target);
  }
  p.tx = AxisTransform{rx, p.area_min.x, p.area_max.x, x.log};
  p.ty = AxisTransform{ry, p.area_max.y, p.area_min.y, y.log};

  // Wide x labels ("131k", "1e-4") need about 4.5 font sizes each.
  const int x_target = std::clamp(static_cast<int>(area_w / (4.5f * font)), 2, 12);
  std::vector<Tick> xticks = make_ticks(x, rx, x_target);

  const PlotPalette& c = pal();
  ImDrawList* dl = p.draw_list;
  dl->AddRectFilled(p.area_min, p.area_max, c.plot_bg);
  // Grid.
  if (options.grid) {
    for (const Tick& t : xticks) {
      const float px = std::round(static_cast<float>(p.tx.to_pixel(t.value))) + 0.5f;
      dl->AddLine(ImVec2(px, p.area_min.y), ImVec2(px, p.area_max.y), t.major ? c.grid : c.grid_minor, 1.0f);
    }
    for (const Tick& t : yticks) {
      const float py = std::round(static_cast<float>(p.ty.to_pixel(t.value))) + 0.5f;
      dl->AddLine(ImVec2(p.area_min.x, py), ImVec2(p.area_max.x, py), t.major ? c.grid : c.grid_minor, 1.0f);
    }
  }
  // Ticks and labels (outside the area).
  const float axis_w = std::max(1.0f, font / 14.0f);
  // Labels that would overlap the previous one are skipped (the tick mark stays).
  float last_x_end = -1e30f;
  for (const Tick& t : xticks) {
    const float px = static_cast<float>(p.tx.to_pixel(t.value));
    const float len = t.major ? tick_len : tick_len * 0.55f;
    dl->AddLine(ImVec2(px, p.area_max.y), ImVec2(px, p.area_max.y + len), c.frame, axis_w);
    if (t.major && !t.label.empty()) {
      const ImVec2 ts = ImGui::CalcTextSize(t.label.c_str());
      float lx = px - ts.x * 0.5f;
      lx = std::clamp(lx, p.frame_min.x, p.frame_max.x - ts.x);
      if (lx < last_x_end + 0.5f * font) continue;
      dl->AddText(ImVec2(lx, p.area_max.y + tick_len + 0.1f * pad), c.axis_text, t.label.c_str());
      last_x_end = lx + ts.x;
    }
  }
  float last_y_top = 1e30f;  // ticks ascend in value, so upwards on screen
  for (const Tick& t : yticks) {
    const float py = static_cast<float>(p.ty.to_pixel(t.value));
    const float len = t.major ? tick_len : tick_len * 0.55f;
    dl->AddLine(ImVec2(p.area_min.x - len, py), ImVec2(p.area_min.x, py), c.frame, axis_w);
    if (t.major && !t.label.empty()) {
      const ImVec2 ts = ImGui::CalcTextSize(t.label.c_str());
      float ly = std::clamp(py - ts.y * 0.5f, p.frame_min.y, p.frame_max.y - ts.y);
      if (ly + ts.y > last_y_top - 0.1f * font) continue;
      dl->AddText(ImVec2(p.area_min.x - tick_len - 0.25f * pad - ts.x, ly), c.axis_text, t.label.c_str());
      last_y_top = ly;
    }
  }
  // Axis labels and title.
  if (!x.label.empty()) {
    const ImVec2 ts = ImGui::CalcTextSize(x.label.c_str());
    dl->AddText(ImVec2(std::max(p.frame_min.x, 0.5f * (p.area_min.x + p.area_max.x - ts.x)),
                       p.area_max.y + tick_len + font + 0.3f * pad),
                c.axis_text, x.label.c_str());
  }
  if (!y.label.empty()) {
    // A label longer than the plot is tall is cut with "..." (not by the window's edge).
    const std::string label = fit_text(y.label, p.frame_max.y - p.frame_min.y);
    const ImVec2 ts = calc_text_size_vertical(label.c_str());
    add_text_vertical(dl, ImVec2(frame_min.x + pad, std::max(p.frame_min.y, 0.5f * (p.area_min.y + p.area_max.y - ts.y))),
                      c.axis_text, label.c_str());
  }
  if (options.title != nullptr) {
    const ImVec2 ts = ImGui::CalcTextSize(options.title, label_end(options.title));
    dl->AddText(ImVec2(std::max(p.frame_min.x, 0.5f * (p.area_min.x + p.area_max.x - ts.x)), frame_min.y + pad),
                c.axis_text, options.title, label_end(options.title));
  }

  p.mouse = ImGui::GetIO().MousePos;
  p.hovered = hovered && p.mouse.x >= p.area_min.x && p.mouse.x < p.area_max.x && p.mouse.y >= p.area_min.y &&
              p.mouse.y < p.area_max.y;
  dl->PushClipRect(p.area_min, p.area_max, true);
  return true;
}

namespace {

// One legend entry (swatch and label) with its row's top-left at `pos`.
void draw_legend_entry(PlotContext& p, const LegendEntry& e, ImVec2 pos) {
  ImDrawList* dl = p.draw_list;
  const float font = p.font, pad = 0.4f * font, swatch = 1.6f * font, row_h = legend_row_height(font);
  const float cy = pos.y + row_h * 0.5f;
  const float sx0 = pos.x, sx1 = sx0 + swatch;
  if (e.kind == LegendKind::kLine) {
    const float t = default_thickness(font);
    if (e.dashed) {
      const ImVec2 seg[2] = {ImVec2(sx0, cy), ImVec2(sx1, cy)};
      draw_dashed_polyline(dl, seg, 2, e.color, t);
    } else {
      dl->AddLine(ImVec2(sx0, cy), ImVec2(sx1, cy), e.color, t);
    }
  } else if (e.kind == LegendKind::kScatter) {
    dl->AddCircleFilled(ImVec2(0.5f * (sx0 + sx1), cy), std::max(2.0f, font * 0.22f), e.color, 12);
  } else {
    dl->AddRectFilled(ImVec2(sx0, cy - 0.35f * font), ImVec2(sx1, cy + 0.35f * font), e.color);
  }
  dl->AddText(ImVec2(sx1 + pad, pos.y + 0.5f * (row_h - font)), pal().axis_text, e.label.c_str());
}

// The entries side by side under the x axis from the frame's left edge (after the y label's
// column), a new row where the next would pass the frame's right edge; the rows it took are
// remembered for the next frame's layout. A label wider than the whole row is cut with "...".
void draw_legend_below(PlotContext& p) {
  const float font = p.font, pad = 0.4f * font, swatch = 1.6f * font, row_h = legend_row_height(font);
  const float x0 = p.frame_min.x + pad + (p.y.label.empty() ? 0.0f : font + pad), x1 = p.frame_max.x;
  const float gap = 1.2f * font;
  float x = x0, y = p.legend_y;
  int rows = 1;
  // Not the plot area's clip rect (pushed by begin_plot): the frame's, within the window.
  const ImVec2 wmin = ImGui::GetWindowPos();
  const ImVec2 wmax(wmin.x + ImGui::GetWindowWidth(), wmin.y + ImGui::GetWindowHeight());
  p.draw_list->PushClipRect(ImVec2(std::max(p.frame_min.x, wmin.x), std::max(p.frame_min.y, wmin.y)),
                            ImVec2(std::min(p.frame_max.x, wmax.x), std::min(p.frame_max.y, wmax.y)), false);
  for (const LegendEntry& entry : p.legend) {
    LegendEntry e = entry;
    e.label = fit_text(e.label, x1 - x0 - swatch - pad);
    const float w = swatch + pad + ImGui::CalcTextSize(e.label.c_str()).x;
    if (x > x0 && x + w > x1) {
      x = x0;
      y += row_h;
      ++rows;
    }
    draw_legend_entry(p, e, ImVec2(x, y));
    x += w + gap;
  }
  p.draw_list->PopClipRect();
  p.memory[p.id].legend_rows = rows;
}

}  // namespace

void end_plot() {
  PlotContext& p = plot_ctx();
  IM_ASSERT(p.active && "end_plot without a successful begin_plot");
  if (!p.active) return;
  ImDrawList* dl = p.draw_list;
  const PlotPalette& c = pal();
  const float font = p.font;
  const float pad = 0.4f * font;

  // Cross-hair and read-out.
  if (p.hovered && p.options.crosshair) {
    const ImVec2 m = p.mouse;
    const ImVec2 v[2] = {ImVec2(m.x, p.area_min.y), ImVec2(m.x, p.area_max.y)};
    const ImVec2 h[2] = {ImVec2(p.area_min.x, m.y), ImVec2(p.area_max.x, m.y)};
    draw_dashed_polyline(dl, v, 2, c.crosshair, 1.0f);
    draw_dashed_polyline(dl, h, 2, c.crosshair, 1.0f);
    const PlotPoint d = pixel_to_plot(m);
    const std::string text = p.x.label.empty() && p.y.label.empty()
                                 ? "x " + format_compact(d.x, 4) + "   y " + format_compact(d.y, 4)
                                 : format_compact(d.x, 4) + ", " + format_compact(d.y, 4);
    boxed_text(p, ImVec2(p.area_min.x + pad, p.area_max.y - font - pad), c.axis_text, text.c_str());
  }

  // Legend. A corner legend wider than 60% of the plot area or taller than 45% of it goes below
  // the plot from the next frame on (and back once it fits again).
  const float swatch = 1.6f * font;
  float w = 0.0f;
  for (const LegendEntry& e : p.legend) w = std::max(w, ImGui::CalcTextSize(e.label.c_str()).x);
  const float row_h = legend_row_height(font);
  const ImVec2 box(w + swatch + 3.0f * pad, row_h * static_cast<float>(p.legend.size()) + 1.2f * pad);
  if (p.asked_legend != LegendCorner::kNone && p.asked_legend != LegendCorner::kBelow)
    p.memory[p.id].legend_below = !p.legend.empty() && (box.x > 0.6f * (p.area_max.x - p.area_min.x) ||
                                                        box.y > 0.45f * (p.area_max.y - p.area_min.y));
  if (p.options.legend == LegendCorner::kBelow) {
    draw_legend_below(p);
    p.memory[p.id].legend_min = p.memory[p.id].legend_max = ImVec2();
  } else if (p.options.legend != LegendCorner::kNone && !p.legend.empty()) {
    const bool right = p.options.legend == LegendCorner::kTopRight || p.options.legend == LegendCorner::kBottomRight;
    const bool top = p.options.legend == LegendCorner::kTopRight || p.options.legend == LegendCorner::kTopLeft;
    // A legend wider than the plot starts at its left edge instead of being cut there, and may
    // use the window's margin to the right.
    const ImVec2 bmin(std::max(p.area_min.x + pad, right ? p.area_max.x - box.x - pad : p.area_min.x + pad),
                      top ? p.area_min.y + pad : p.area_max.y - box.y - pad);
    const ImVec2 bmax(bmin.x + box.x, bmin.y + box.y);
    p.memory[p.id].legend_min = bmin;
    p.memory[p.id].legend_max = bmax;
    const ImVec2 window_min = ImGui::GetWindowPos();
    dl->PushClipRect(window_min, ImVec2(window_min.x + ImGui::GetWindowWidth(), window_min.y + ImGui::GetWindowHeight()), false);
    dl->AddRectFilled(bmin, bmax, c.legend_bg, 0.2f * font);
    dl->AddRect(bmin, bmax, c.legend_border, 0.2f * font);
    float yy = bmin.y + 0.6f * pad;
    for (const LegendEntry& e : p.legend) {
      draw_legend_entry(p, e, ImVec2(bmin.x + pad, yy));
      yy += row_h;
    }
    dl->PopClipRect();
  }
  dl->PopClipRect();
  dl->AddRect(p.area_min, p.area_max, c.frame, 0.0f, ImDrawFlags_None, std::max(1.0f, font / 14.0f));

  PlotMemory& mem = p.memory[p.id];
  if (p.fit_has_x) { mem.fit_x = p.fit_x; mem.has_x = true; }
  if (p.fit_has_y) { mem.fit_y = p.fit_y; mem.has_y = true; }
  p.active = false;
  p.draw_list = nullptr;
}

void plot_line(const char* label, const double* xs, const double* ys, int count, ImU32 color, float thickness, bool dashed) {
  line_impl(label, xs, ys, count, color, thickness, dashed);
}
void plot_line(const char* label, const float* xs, const float* ys, int count, ImU32 color, float thickness, bool dashed) {
  line_impl(label, xs, ys, count, color, thickness, dashed);
}
void plot_scatter(const char* label, const double* xs, const double* ys, int count, ImU32 color, float radius) {
  scatter_impl(label, xs, ys, count, color, radius);
}
void plot_scatter(const char* label, const float* xs, const float* ys, int count, ImU32 color, float radius) {
  scatter_impl(label, xs, ys, count, color, radius);
}

void plot_vline(double x, ImU32 color, const char* label, bool dashed) {
  PlotContext& p = plot_ctx();
  if (!p.active || !std::isfinite(x) || (p.x.log && x <= 0.0)) return;
  if (color == 0) color = pal().marker_line;
  const float px = static_cast<float>(std::clamp(p.tx.to_pixel(x), -1e5, 1e5));
  const float t = default_thickness(p.font);
  const ImVec2 seg[2] = {ImVec2(px, p.area_min.y), ImVec2(px, p.area_max.y)};
  if (dashed) draw_dashed_polyline(p.draw_list, seg, 2, color, t);
  else p.draw_list->AddLine(seg[0], seg[1], color, t);
  if (label_visible(label)) {
    const float row = static_cast<float>(p.vline_labels++ % 4);
    // Within the plot area: flipped to the left of the line near the right edge, pushed in from
    // the left one, cut with "..." where the area is narrower than the label.
    const std::string text = fit_text(std::string(label, label_end(label)), p.area_max.x - p.area_min.x - 0.6f * p.font);
    const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
    float lx = px + 0.3f * p.font;
    if (lx + ts.x > p.area_max.x) lx = px - 0.3f * p.font - ts.x;
    lx = std::max(lx, p.area_min.x + 0.3f * p.font);
    // Below a top legend it would run into (its box from the previous frame).
    float top = p.area_min.y + 0.3f * p.font;
    const PlotMemory& mem = p.memory[p.id];
    if (mem.legend_max.x > mem.legend_min.x && mem.legend_min.y < top + 4.0f * 1.25f * p.font &&
        lx < mem.legend_max.x && lx + ts.x > mem.legend_min.x)
      top = std::max(top, mem.legend_max.y + 0.3f * p.font);
    boxed_text(p, ImVec2(lx, top + row * 1.25f * p.font), color, text.c_str());
  }
}

void plot_hline(double y, ImU32 color, const char* label, bool dashed) {
  PlotContext& p = plot_ctx();
  if (!p.active || !std::isfinite(y) || (p.y.log && y <= 0.0)) return;
  if (color == 0) color = pal().marker_line;
  const float py = static_cast<float>(std::clamp(p.ty.to_pixel(y), -1e5, 1e5));
  const float t = default_thickness(p.font);
  const ImVec2 seg[2] = {ImVec2(p.area_min.x, py), ImVec2(p.area_max.x, py)};
  if (dashed) draw_dashed_polyline(p.draw_list, seg, 2, color, t);
  else p.draw_list->AddLine(seg[0], seg[1], color, t);
  if (label_visible(label)) {
    const std::string text = fit_text(std::string(label, label_end(label)), p.area_max.x - p.area_min.x - 0.6f * p.font);
    const ImVec2 ts = ImGui::CalcTextSize(text.c_str());
    boxed_text(p, ImVec2(p.area_max.x - ts.x - 0.4f * p.font, py - ts.y - 0.15f * p.font), color, text.c_str());
  }
}

void plot_xband(double x0, double x1, ImU32 fill, const char* label) {
  PlotContext& p = plot_ctx();
  if (!p.active || !std::isfinite(x0) || !std::isfinite(x1)) return;
  if (fill == 0) fill = pal().band_fill;
  if (x0 > x1) std::swap(x0, x1);
  if (p.x.log && x1 <= 0.0) return;
  float a = static_cast<float>(std::clamp(p.tx.to_pixel(x0), -1e5, 1e5));
  float b = static_cast<float>(std::clamp(p.tx.to_pixel(x1), -1e5, 1e5));
  if (a > b) std::swap(a, b);
  if (b - a < 1.0f) b = a + 1.0f;  // always visible
  p.draw_list->AddRectFilled(ImVec2(a, p.area_min.y), ImVec2(b, p.area_max.y), fill);
  if (label_visible(label)) {
    // The legend swatch shows the fill at a readable opacity.
    const float alpha = std::max(0.35f, static_cast<float>((fill >> IM_COL32_A_SHIFT) & 0xff) / 255.0f);
    p.legend.push_back(LegendEntry{std::string(label, label_end(label)), with_alpha(fill, alpha), LegendKind::kBand, false});
  }
}

void plot_arrow(double x0, double y0, double x1, double y1, ImU32 color, float thickness) {
  PlotContext& p = plot_ctx();
  if (!p.active || !point_ok(p, x0, y0) || !point_ok(p, x1, y1)) return;
  if (color == 0) color = series_color(p.next_color++);
  if (thickness <= 0.0f) thickness = default_thickness(p.font) * 1.3f;
  const ImVec2 a = to_px(p, x0, y0), b = to_px(p, x1, y1);
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float len = std::sqrt(dx * dx + dy * dy);
  if (len < 1e-3f) return;
  const float head = std::min(0.6f * p.font + 2.0f * thickness, 0.5f * len);
  const float ux = dx / len, uy = dy / len;
  const ImVec2 base(b.x - ux * head, b.y - uy * head);
  p.draw_list->AddLine(a, base, color, thickness);
  const float w = head * 0.45f;
  p.draw_list->AddTriangleFilled(b, ImVec2(base.x - uy * w, base.y + ux * w), ImVec2(base.x + uy * w, base.y - ux * w), color);
}

void plot_annotation(double x, double y, const char* text, ImU32 color, ImVec2 pivot) {
  PlotContext& p = plot_ctx();
  if (!p.active || text == nullptr || !point_ok(p, x, y)) return;
  if (color == 0) color = pal().axis_text;
  const ImVec2 q = to_px(p, x, y);
  const ImVec2 ts = ImGui::CalcTextSize(text, label_end(text));
  const float off = 0.25f * p.font;
  const ImVec2 pos(q.x - pivot.x * ts.x + (pivot.x < 0.5f ? off : pivot.x > 0.5f ? -off : 0.0f),
                   q.y - pivot.y * ts.y + (pivot.y < 0.5f ? off : pivot.y > 0.5f ? -off : 0.0f));
  boxed_text(p, pos, color, text);
}

void plot_highlight(double x, double y, ImU32 color) {
  PlotContext& p = plot_ctx();
  if (!p.active || !point_ok(p, x, y)) return;
  if (color == 0) color = pal().axis_text;
  p.draw_list->AddCircle(to_px(p, x, y), 0.38f * p.font, color, 20, std::max(1.5f, p.font / 9.0f));
}

bool plot_hovered() { return plot_ctx().active && plot_ctx().hovered; }

std::optional<PlotPoint> plot_mouse() {
  const PlotContext& p = plot_ctx();
  if (!p.active || !p.hovered) return std::nullopt;
  return pixel_to_plot(p.mouse);
}

int plot_nearest(const double* xs, const double* ys, int count, float max_px) {
  return plot_nearest_impl(xs, ys, count, max_px);
}
int plot_nearest(const float* xs, const float* ys, int count, float max_px) {
  return plot_nearest_impl(xs, ys, count, max_px);
}

ImVec2 plot_to_pixel(double x, double y) { return to_px(plot_ctx(), x, y); }
PlotPoint pixel_to_plot(ImVec2 pixel) {
  const PlotContext& p = plot_ctx();
  return PlotPoint{p.tx.to_value(pixel.x), p.ty.to_value(pixel.y)};
}
ImDrawList* plot_draw_list() { return plot_ctx().draw_list; }
ImVec2 plot_area_min() { return plot_ctx().area_min; }
ImVec2 plot_area_max() { return plot_ctx().area_max; }
const AxisTransform& plot_x_transform() { return plot_ctx().tx; }
const AxisTransform& plot_y_transform() { return plot_ctx().ty; }

int nearest_index_sorted(const double* xs, int count, double x) { return nearest_sorted_impl(xs, count, x); }
int nearest_index_sorted(const float* xs, int count, double x) { return nearest_sorted_impl(xs, count, x); }
int nearest_point(const double* xs, const double* ys, int count, const AxisTransform& tx, const AxisTransform& ty,
                  ImVec2 pixel, float max_px) {
  return nearest_point_impl(xs, ys, count, tx, ty, pixel, max_px);
}
int nearest_point(const float* xs, const float* ys, int count, const AxisTransform& tx, const AxisTransform& ty,
                  ImVec2 pixel, float max_px) {
  return nearest_point_impl(xs, ys, count, tx, ty, pixel, max_px);
}

}  // namespace rope::viz
