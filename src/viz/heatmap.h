#pragma once
// Heatmap widget: a rows x cols float matrix kept on the GPU as an R32F texture and coloured by
// a GLSL fragment shader (shaders/heatmap.frag.glsl) that maps value -> colormap LUT over
// [vmin, vmax]. Changing the colormap, the range, the scale or the mask colour re-runs the
// (cheap) colouring pass only: no recompute, no re-upload of the data.
//
//   viz::Heatmap hm;                                   // member of the panel's cache, not a static
//   hm.set_data(scores.data(), n, n);                  // upload once per new matrix
//   hm.set_range(vmin, vmax); hm.set_colormap(viz::Colormap::kViridis);
//   viz::HeatmapHover h = hm.draw("##rope", ImVec2(400, 400));  // wheel zoom, drag pan, dbl-click reset
//   if (h.hovered) ImGui::SetTooltip("m=%lld n=%lld", (long long)h.row, (long long)h.col);
//   ImGui::SameLine(); viz::colorbar("##cb", viz::Colormap::kViridis, vmin, vmax, ImVec2(0, 400));
//
// How it draws: when something changed, the shader renders the coloured image into an RGBA8
// texture through an FBO (GL state is saved and restored around that pass), then the widget
// shows the visible part of it with ImDrawList::AddImage (nearest filtering when zoomed in,
// bilinear up to 2 texels per pixel, mipmapped averaging beyond unless the picture is transient).
// Masked cells (NaN or -inf) get the mask colour; +inf clamps to the top of the range.
//
// Without GL (viz::gl_enabled() false, e.g. the no-backend smoke test) no GL call is ever made:
// set_data only records the size and draw() shows a placeholder rectangle with the same
// interaction and hover. GL objects are created lazily on first use and must be released while
// the GL context is still current (destroy the Heatmap, or call release_gl(), before the window).
//
// Logical size vs data: for views that only compute what is visible (long context), the view,
// zoom and hover work in a logical matrix (set_logical_size, e.g. 131072 x 131072) and the
// uploaded data covers a sub-rectangle of it (set_data_region, in cell units). By default both
// are the data's rows x cols.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "viz/axis.h"
#include "viz/colormap.h"
#include "viz/heatmap_view.h"

namespace rope::viz {

enum class ColorScale { kLinear, kLog };

// How the coloured image is sampled when shown at `shrink` texels per pixel (the larger of the
// two axes): nearest at 1:1 or magnified, bilinear up to 2:1 (it averages 2 x 2 texels), mipmaps
// beyond, except for a transient picture (about to be replaced): building mipmaps for it would
// cost a frame (~100 ms for 1024 x 1024 under llvmpipe) for a picture shown a few frames.
enum class MinFilter { kNearest, kLinear, kMipmaps };
MinFilter choose_min_filter(float shrink, bool transient);

struct HeatmapHover {
  bool hovered = false;      // the mouse is over a cell of the logical matrix
  int64_t row = 0, col = 0;  // that cell (logical indices)
  bool view_changed = false; // zoom / pan / reset happened this frame
  ImVec2 image_min, image_max;  // the image's rectangle (pixels), for markers drawn over it
};

class Heatmap {
 public:
  Heatmap();
  ~Heatmap();
  Heatmap(Heatmap&&) noexcept;
  Heatmap& operator=(Heatmap&&) noexcept;
  Heatmap(const Heatmap&) = delete;
  Heatmap& operator=(const Heatmap&) = delete;

  // Row-major rows x cols values (NaN or -inf = masked). Uploads immediately when GL is enabled
  // (the pointer is not kept). A size change resets the logical size / region to the data's
  // unless they were set explicitly, and resets the view if the logical size changed.
  void set_data(const float* values, int rows, int cols);
  void set_logical_size(int64_t rows, int64_t cols);
  // The logical cells [x0, x1) x [y0, y1) (x = column, y = row) the data covers.
  void set_data_region(double x0, double y0, double x1, double y1);

  void set_range(double vmin, double vmax);  // vmin == vmax is widened slightly
  void set_colormap(Colormap cmap);
  void set_scale(ColorScale scale);          // kLog: t = log(v/vmin)/log(vmax/vmin), v <= 0 -> vmin
  void set_mask_color(ImU32 color);          // 0: the theme's mask colour (the default)
  // A newer picture is on its way (set each frame by views that recompute what is visible):
  // shown shrunk, it is filtered bilinearly and never mipmapped.
  void set_transient(bool transient) { transient_ = transient; }

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int64_t logical_rows() const { return logical_rows_; }
  int64_t logical_cols() const { return logical_cols_; }
  double vmin() const { return vmin_; }
  double vmax() const { return vmax_; }
  Colormap colormap() const { return cmap_; }
  ColorScale scale() const { return scale_; }

  const HeatmapView& view() const { return view_; }
  void set_view(const HeatmapView& view);  // clamped to the logical size
  void reset_view();

  // The widget: an invisible button of `size` pixels (components <= 0 fill the available
  // region) showing the view. Mouse wheel zooms about the cursor, left drag pans, double-click
  // resets. Returns the hovered cell.
  HeatmapHover draw(const char* id, ImVec2 size);
  // The same widget inside `size` with position axes: ticks and labels of the visible rows on
  // the left and of the visible columns below (cell indices of the logical matrix, labels at
  // cell centres, compact: 4k, 131k), and optional axis titles. The image gets what is left.
  // square_image: the image is the largest square that fits (a square matrix keeps its diagonal
  // at 45 degrees); the widget then takes less than `size` in one direction.
  HeatmapHover draw_with_axes(const char* id, ImVec2 size, const char* x_label = "n (key position)",
                              const char* y_label = "m (query position)", bool square_image = false);
  // The image part of draw_with_axes(size) for a matrix of `rows` logical rows (the row labels'
  // width depends on it), with both axis titles: what a caller sizing the image's texels needs.
  static ImVec2 image_size_with_axes(ImVec2 size, int64_t rows, bool square_image);
  // The whole item draw_with_axes(size) lays out (image and gutters), with both axis titles.
  static ImVec2 item_size_with_axes(ImVec2 size, int64_t rows, bool square_image);

  // GL-level access (tests and headless rendering; all return false / empty without GL).
  // Runs the colouring pass if anything changed since the last one; false with error() set on
  // a GL failure (shader compile/link log, FBO incomplete, texture too large).
  bool update_colors();
  unsigned int color_texture() const;  // GL name of the RGBA8 coloured image, 0 if none
  // The coloured image, rows * cols * 4 bytes, row 0 first (data row 0 = top of the widget).
  std::vector<uint8_t> read_colors();

  // Colouring passes over a 2x2 and a 3x3 picture and, when imgui_impl_opengl3 is initialised,
  // each picture drawn through it as draw() shows one (nearest, bilinear, mipmaps) into the top-left
  // pixel of the bound draw framebuffer, so that the driver has compiled those shaders before the
  // first real picture arrives (software GL compiles a variant per texture kind on first use: that
  // made the first heatmap's frame 4-15 ms slower). Call it before a frame that clears the target.
  // Needs a current GL context; leaves the rest of the GL state as it was.
  static void warm_up();
  // Counters for tests: data uploads, colouring passes and mipmap builds so far.
  int upload_count() const { return upload_count_; }
  int color_pass_count() const { return color_pass_count_; }
  int mipmap_count() const { return mipmap_count_; }
  const std::string& error() const { return error_; }
  // Deletes the GL objects now (the context must be current). Data must be set again. With GL
  // disabled (context already gone) the objects are abandoned instead: no GL call is made.
  void release_gl();

 private:
  struct Gl;
  std::unique_ptr<Gl> gl_;
  int rows_ = 0, cols_ = 0;
  int64_t logical_rows_ = 0, logical_cols_ = 0;
  bool logical_explicit_ = false, region_explicit_ = false;
  double region_x0_ = 0, region_y0_ = 0, region_x1_ = 0, region_y1_ = 0;
  double vmin_ = 0.0, vmax_ = 1.0;
  Colormap cmap_ = Colormap::kViridis;
  ColorScale scale_ = ColorScale::kLinear;
  ImU32 mask_color_ = 0;
  ImU32 last_mask_ = 0;  // mask colour of the last colouring pass (theme changes re-colour)
  HeatmapView view_;
  bool colors_dirty_ = true;
  bool dragging_ = false;
  bool transient_ = false;
  int upload_count_ = 0, color_pass_count_ = 0, mipmap_count_ = 0;
  std::string error_;
};

// A colour bar for `cmap` over [vmin, vmax] (log: log10 ticks) with ticks and compact labels,
// drawn with ImDrawList (works without GL). The ends are labelled with the exact range (3
// significant digits); nice ticks in between are labelled where they do not collide. Vertical (vmax at the top) with labels to the right,
// or horizontal (vmin at the left) with labels below. size components <= 0: a width of about
// 4.5 font sizes (vertical) / the available width, and the available height / 2.6 font sizes.
void colorbar(const char* id, Colormap cmap, double vmin, double vmax, ImVec2 size,
              ColorScale scale = ColorScale::kLinear, const char* label = nullptr, bool horizontal = false);
// Pixel width a vertical colour bar needs with its labels at the current font size.
float colorbar_width();

// Symmetric range about 0 for diverging colormaps: [-a, a], a = max(|vmin|, |vmax|) (> 0).
Range symmetric_range(Range range);

}  // namespace rope::viz
