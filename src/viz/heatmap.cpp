// Heatmap widget: R32F data texture + colouring pass (shaders/heatmap.frag.glsl) into an RGBA8
// framebuffer texture, shown with ImDrawList::AddImage. See heatmap.h.
#include "viz/heatmap.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui_internal.h>  // ImGui::SetItemUsingMouseWheel

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "viz/context.h"
#include "viz/gl/framebuffer.h"
#include "viz/gl/gl.h"
#include "viz/gl/program.h"
#include "viz/gl/texture.h"
#include "viz/plot.h"
#include "viz/shaders.h"
#include "viz/theme.h"

namespace rope::viz {
namespace {

// What every heatmap's colouring pass uses: the program, the colormap LUTs and an empty VAO.
// One set per GL context, kept in viz::context() (set_gl_enabled(false) deletes it), so that the
// shaders are compiled once: software GL compiles a program again for each program object, which
// made the first pass of each heatmap 2-6 ms slower.
struct Colouring {
  gl::Program program;
  gl::Texture luts;  // 256 x kNumColormaps RGBA8, one colormap per row
  GLuint vao = 0;
  bool failed = false;
  std::string error;
  GLint u_values = -1, u_luts = -1, u_cmap = -1, u_vmin = -1, u_vmax = -1, u_log = -1, u_mask = -1;

  Colouring() = default;
  Colouring(const Colouring&) = delete;
  Colouring& operator=(const Colouring&) = delete;
  ~Colouring() {
    if (vao != 0) glDeleteVertexArrays(1, &vao);
  }

  bool ensure(std::string& error_out) {
    if (program.valid() && luts.valid() && vao != 0) return true;
    if (failed) {
      error_out = error;
      return false;
    }
    failed = true;  // until everything below succeeded
    const std::string_view vs = shader_source("fullscreen.vert.glsl");
    const std::string_view fs = shader_source("heatmap.frag.glsl");
    if (vs.empty() || fs.empty()) {
      error_out = error = "heatmap shaders are missing from the binary";
      return false;
    }
    std::string log;
    program = gl::Program::build(vs, fs, &log, "heatmap");
    if (!program.valid()) {
      error_out = error = log;
      return false;
    }
    u_values = program.uniform("u_values");
    u_luts = program.uniform("u_luts");
    u_cmap = program.uniform("u_cmap");
    u_vmin = program.uniform("u_vmin");
    u_vmax = program.uniform("u_vmax");
    u_log = program.uniform("u_log_scale");
    u_mask = program.uniform("u_mask_color");
    std::vector<uint8_t> atlas;
    atlas.reserve(static_cast<size_t>(4 * kLutSize * kNumColormaps));
    for (Colormap c : all_colormaps()) {
      const auto& l = lut_rgba8(c);
      atlas.insert(atlas.end(), l.begin(), l.end());
    }
    luts = gl::Texture::create(gl::TextureFormat::kRGBA8, kLutSize, kNumColormaps, atlas.data());
    luts.set_filter(GL_LINEAR, GL_LINEAR);
    glGenVertexArrays(1, &vao);
    if (!luts.valid() || vao == 0) {
      error_out = error = "cannot create the heatmap colormap texture";
      return false;
    }
    failed = false;
    return true;
  }
};

Colouring& shared_colouring() {
  std::shared_ptr<void>& slot = context().heatmap_colouring;
  if (!slot) slot = std::make_shared<Colouring>();
  return *static_cast<Colouring*>(slot.get());
}

}  // namespace

struct Heatmap::Gl {
  gl::Texture values;  // cols x rows R32F
  gl::Framebuffer target;
  bool mips_valid = false;  // mip levels of target match the last colouring pass
  GLint min_filter = GL_NEAREST;  // of target's colour texture

  // Sets the colour texture's minification filter (magnification stays nearest); a change
  // changes the pixels shown, so retained renderers are told.
  void use_min_filter(GLint filter) {
    if (filter == min_filter) return;
    target.color().set_filter(filter, GL_NEAREST);
    min_filter = filter;
    mark_texture_changed(target.color().id());
  }
};

Heatmap::Heatmap() = default;
Heatmap::~Heatmap() { release_gl(); }
Heatmap::Heatmap(Heatmap&&) noexcept = default;
Heatmap& Heatmap::operator=(Heatmap&& other) noexcept {
  if (this != &other) {
    release_gl();
    gl_ = std::move(other.gl_);
    rows_ = other.rows_;
    cols_ = other.cols_;
    logical_rows_ = other.logical_rows_;
    logical_cols_ = other.logical_cols_;
    logical_explicit_ = other.logical_explicit_;
    region_explicit_ = other.region_explicit_;
    region_x0_ = other.region_x0_;
    region_y0_ = other.region_y0_;
    region_x1_ = other.region_x1_;
    region_y1_ = other.region_y1_;
    vmin_ = other.vmin_;
    vmax_ = other.vmax_;
    cmap_ = other.cmap_;
    scale_ = other.scale_;
    mask_color_ = other.mask_color_;
    view_ = other.view_;
    colors_dirty_ = true;
    dragging_ = false;
    transient_ = other.transient_;
    upload_count_ = other.upload_count_;
    color_pass_count_ = other.color_pass_count_;
    mipmap_count_ = other.mipmap_count_;
    error_ = std::move(other.error_);
  }
  return *this;
}

void Heatmap::release_gl() {
  if (gl_ && !gl_enabled()) {
    // No current context: the objects cannot be deleted; forget them rather than call GL.
    (void)gl_.release();
    return;
  }
  gl_.reset();
  colors_dirty_ = true;
}

void Heatmap::set_data(const float* values, int rows, int cols) {
  if (rows <= 0 || cols <= 0) {
    rows_ = cols_ = 0;
    return;
  }
  const bool size_changed = rows != rows_ || cols != cols_;
  rows_ = rows;
  cols_ = cols;
  if (!region_explicit_) {
    region_x0_ = 0.0;
    region_y0_ = 0.0;
    region_x1_ = cols;
    region_y1_ = rows;
  }
  if (!logical_explicit_ && (logical_rows_ != rows || logical_cols_ != cols)) {
    logical_rows_ = rows;
    logical_cols_ = cols;
    view_ = view_full(rows, cols);
  }
  colors_dirty_ = true;
  if (!gl_enabled() || values == nullptr) return;
  if (!gl_) gl_ = std::make_unique<Gl>();
  if (size_changed || !gl_->values.valid()) {
    gl_->values = gl::Texture::create(gl::TextureFormat::kR32F, cols, rows, values);
    std::string err;
    gl_->target = gl::Framebuffer::create(cols, rows, &err);
    if (!gl_->values.valid() || !gl_->target.valid()) {
      error_ = "heatmap " + std::to_string(rows) + "x" + std::to_string(cols) + ": " +
               (err.empty() ? "texture larger than GL_MAX_TEXTURE_SIZE " + std::to_string(gl::max_texture_size()) : err);
      gl_->values = gl::Texture();
      gl_->target = gl::Framebuffer();
      return;
    }
  } else {
    gl_->values.upload(values);
  }
  error_.clear();
  ++upload_count_;
}

void Heatmap::set_logical_size(int64_t rows, int64_t cols) {
  logical_explicit_ = rows > 0 && cols > 0;
  if (!logical_explicit_) {
    rows = rows_;
    cols = cols_;
  }
  if (rows != logical_rows_ || cols != logical_cols_) {
    logical_rows_ = rows;
    logical_cols_ = cols;
    view_ = view_full(rows, cols);
  }
}

void Heatmap::set_data_region(double x0, double y0, double x1, double y1) {
  region_explicit_ = x1 > x0 && y1 > y0;
  if (region_explicit_) {
    region_x0_ = x0;
    region_y0_ = y0;
    region_x1_ = x1;
    region_y1_ = y1;
  } else {
    region_x0_ = region_y0_ = 0.0;
    region_x1_ = cols_;
    region_y1_ = rows_;
  }
}

void Heatmap::set_range(double vmin, double vmax) {
  if (!std::isfinite(vmin) || !std::isfinite(vmax)) return;
  if (vmin > vmax) std::swap(vmin, vmax);
  if (vmin == vmax) {
    const double d = std::max(std::abs(vmin) * 1e-6, 1e-12);
    vmin -= d;
    vmax += d;
  }
  if (vmin != vmin_ || vmax != vmax_) colors_dirty_ = true;
  vmin_ = vmin;
  vmax_ = vmax;
}

void Heatmap::set_colormap(Colormap cmap) {
  if (cmap != cmap_) colors_dirty_ = true;
  cmap_ = cmap;
}

void Heatmap::set_scale(ColorScale scale) {
  if (scale != scale_) colors_dirty_ = true;
  scale_ = scale;
}

void Heatmap::set_mask_color(ImU32 color) {
  if (color != mask_color_) colors_dirty_ = true;
  mask_color_ = color;
}

namespace {

// Fills [rmin, rmax] except [inner_min, inner_max] (inside it, possibly empty) with up to four
// rectangles sharing the inner rectangle's edges.
void fill_around(ImDrawList* dl, ImVec2 rmin, ImVec2 rmax, ImVec2 inner_min, ImVec2 inner_max, ImU32 color) {
  if (inner_max.x <= inner_min.x || inner_max.y <= inner_min.y) {
    dl->AddRectFilled(rmin, rmax, color);
    return;
  }
  if (inner_min.y > rmin.y) dl->AddRectFilled(rmin, ImVec2(rmax.x, inner_min.y), color);
  if (inner_max.y < rmax.y) dl->AddRectFilled(ImVec2(rmin.x, inner_max.y), rmax, color);
  if (inner_min.x > rmin.x) dl->AddRectFilled(ImVec2(rmin.x, inner_min.y), ImVec2(inner_min.x, inner_max.y), color);
  if (inner_max.x < rmax.x) dl->AddRectFilled(ImVec2(inner_max.x, inner_min.y), ImVec2(rmax.x, inner_max.y), color);
}

}  // namespace

MinFilter choose_min_filter(float shrink, bool transient) {
  if (!(shrink > 1.01f)) return MinFilter::kNearest;
  if (shrink <= 2.0f || transient) return MinFilter::kLinear;
  return MinFilter::kMipmaps;
}

void Heatmap::set_view(const HeatmapView& view) { view_ = view_clamp(view, logical_rows_, logical_cols_); }
void Heatmap::reset_view() { view_ = view_full(logical_rows_, logical_cols_); }

bool Heatmap::update_colors() {
  if (!gl_enabled() || !gl_ || !gl_->values.valid() || !gl_->target.valid() || rows_ <= 0) return false;
  // The effective mask colour follows the theme when mask_color_ is 0.
  const ImU32 mask = mask_color_ != 0 ? mask_color_ : palette(context().theme).mask;
  static_assert(sizeof(ImU32) == 4);
  if (!colors_dirty_ && mask == last_mask_) return true;
  Colouring& colouring = shared_colouring();
  if (!colouring.ensure(error_)) return false;
  {
    gl::StateGuard guard;
    gl_->target.bind();
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    colouring.program.use();
    gl_->values.bind(0);
    colouring.luts.bind(1);
    glUniform1i(colouring.u_values, 0);
    glUniform1i(colouring.u_luts, 1);
    const auto all = all_colormaps();
    const auto idx = static_cast<int>(std::find(all.begin(), all.end(), cmap_) - all.begin());
    glUniform1i(colouring.u_cmap, idx);
    glUniform1f(colouring.u_vmin, static_cast<float>(vmin_));
    glUniform1f(colouring.u_vmax, static_cast<float>(vmax_));
    glUniform1i(colouring.u_log, scale_ == ColorScale::kLog ? 1 : 0);
    const ImVec4 m = ImGui::ColorConvertU32ToFloat4(mask);
    glUniform4f(colouring.u_mask, m.x, m.y, m.z, m.w);
    glBindVertexArray(colouring.vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
  }
  // Mipmaps are built lazily by draw() when the image is shown more than halved; until then the
  // old levels must not be sampled.
  gl_->target.color().set_filter(GL_NEAREST, GL_NEAREST);
  gl_->min_filter = GL_NEAREST;
  gl_->mips_valid = false;
  const std::string err = gl::check_errors("heatmap colouring pass");
  if (!err.empty()) error_ = err;
  colors_dirty_ = false;
  last_mask_ = mask;
  ++color_pass_count_;
  mark_texture_changed(gl_->target.color().id());
  return true;
}

unsigned int Heatmap::color_texture() const {
  return gl_ && gl_->target.valid() ? gl_->target.color().id() : 0u;
}

namespace {

// Draws `texture` through imgui_impl_opengl3 into the top-left pixel of the bound draw
// framebuffer (as ImGui's own frames draw images), with the viewport's size as the display.
void draw_image_pixel(unsigned int texture) {
  GLint viewport[4] = {};
  glGetIntegerv(GL_VIEWPORT, viewport);
  if (viewport[2] <= 0 || viewport[3] <= 0) return;
  ImDrawList list(ImGui::GetDrawListSharedData());
  list._ResetForNewFrame();
  list.PushClipRect(ImVec2(0.0f, 0.0f), ImVec2(1.0f, 1.0f));
  list.AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(texture)), ImVec2(0.0f, 0.0f), ImVec2(1.0f, 1.0f));
  list.PopClipRect();
  ImDrawList* lists[1] = {&list};
  ImDrawData data;
  data.Valid = true;
  data.CmdLists = lists;
  data.CmdListsCount = 1;
  data.TotalVtxCount = list.VtxBuffer.Size;
  data.TotalIdxCount = list.IdxBuffer.Size;
  data.DisplayPos = ImVec2(0.0f, 0.0f);
  data.DisplaySize = ImVec2(static_cast<float>(viewport[2]), static_cast<float>(viewport[3]));
  data.FramebufferScale = ImVec2(1.0f, 1.0f);
  ImGui_ImplOpenGL3_RenderDrawData(&data);
  glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);  // the renderer set its own
}

}  // namespace

void Heatmap::warm_up() {
  // Software GL (llvmpipe) compiles a shader variant per texture kind (power-of-two sides or
  // not, filters) and per target format, on the first draw that needs it: each compile took
  // 4-15 ms inside the frame in which the first heatmap arrived.
  const bool imgui_renderer = ImGui::GetCurrentContext() != nullptr && ImGui::GetIO().BackendRendererUserData != nullptr;
  if (imgui_renderer) ImGui_ImplOpenGL3_NewFrame();  // creates its shader program if not yet done
  for (const int side : {2, 3}) {
    Heatmap warm;
    const float values[9] = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f};
    warm.set_data(values, side, side);
    if (!warm.update_colors() || !imgui_renderer) continue;
    // The three ways draw() shows a picture: nearest, bilinear, mipmaps.
    for (const GLint filter : {GL_NEAREST, GL_LINEAR, GL_LINEAR_MIPMAP_LINEAR}) {
      if (filter == GL_LINEAR_MIPMAP_LINEAR) warm.gl_->target.color().generate_mipmaps();
      warm.gl_->use_min_filter(filter);
      draw_image_pixel(warm.color_texture());
    }
  }
  glFinish();  // compiled and run now, not in the first frame
}

std::vector<uint8_t> Heatmap::read_colors() {
  if (!update_colors()) return {};
  return gl_->target.read_rgba();  // texel row 0 = data row 0
}

HeatmapHover Heatmap::draw(const char* id, ImVec2 size) {
  HeatmapHover hover;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float font = ImGui::GetFontSize();
  if (size.x <= 0.0f) size.x = std::max(avail.x + size.x, 4.0f * font);
  if (size.y <= 0.0f) size.y = std::max(avail.y + size.y, 4.0f * font);
  ImGui::InvisibleButton(id, size);
  const ImVec2 rmin = ImGui::GetItemRectMin(), rmax = ImGui::GetItemRectMax();
  const bool item_hovered = ImGui::IsItemHovered();
  const bool active = ImGui::IsItemActive();
  hover.image_min = rmin;
  hover.image_max = rmax;
  if (!ImGui::IsItemVisible()) return hover;
  ImGuiIO& io = ImGui::GetIO();
  const int64_t lr = std::max<int64_t>(logical_rows_, 1), lc = std::max<int64_t>(logical_cols_, 1);

  // Interaction: wheel zoom about the cursor, drag pan, double-click reset.
  if (item_hovered) {
    ImGui::SetItemUsingMouseWheel();
    if (io.MouseWheel != 0.0f) {
      const CellPoint anchor = view_pixel_to_point(view_, rmin, rmax, io.MousePos);
      view_ = view_zoom(view_, anchor.x, anchor.y, std::pow(1.25, static_cast<double>(io.MouseWheel)), lr, lc);
      hover.view_changed = true;
    }
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
      view_ = view_full(lr, lc);
      hover.view_changed = true;
    }
  }
  if (active && (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f) && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
    view_ = view_pan_pixels(view_, io.MouseDelta.x, io.MouseDelta.y, rmax.x - rmin.x, rmax.y - rmin.y, lr, lc);
    hover.view_changed = true;
  }
  dragging_ = active;

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const PlotPalette& pal = palette(context().theme);
  const ImU32 mask = mask_color_ != 0 ? mask_color_ : pal.mask;
  // The mask colour fills what the image leaves uncovered (all of it without an image): no
  // pixel is filled twice (a software rasteriser pays for each).
  ImVec2 covered_min = rmax, covered_max = rmax;
  bool drew = false;
  if (rows_ > 0 && update_colors()) {
    if (auto d = view_region_draw(view_, rmin, rmax, region_x0_, region_y0_, region_x1_, region_y1_)) {
      // Zoomed out, several texels share a pixel. Up to 2 texels per pixel, bilinear filtering
      // averages them; beyond, mipmaps do (built once per colouring pass). A transient picture
      // (a newer one is being computed) is never worth a mipmap pass: it is bilinear.
      const float texels_x = (d->uv_max.x - d->uv_min.x) * static_cast<float>(cols_);
      const float texels_y = (d->uv_max.y - d->uv_min.y) * static_cast<float>(rows_);
      const float shrink = std::max(texels_x / std::max(1.0f, d->p_max.x - d->p_min.x),
                                    texels_y / std::max(1.0f, d->p_max.y - d->p_min.y));
      const MinFilter filter = choose_min_filter(shrink, transient_);
      if (filter == MinFilter::kMipmaps && !gl_->mips_valid) {
        gl_->target.color().generate_mipmaps();
        gl_->mips_valid = true;
        ++mipmap_count_;
        mark_texture_changed(gl_->target.color().id());
      }
      gl_->use_min_filter(filter == MinFilter::kNearest  ? GL_NEAREST
                          : filter == MinFilter::kLinear ? GL_LINEAR
                                                         : GL_LINEAR_MIPMAP_LINEAR);
      const auto tex = static_cast<intptr_t>(color_texture());
      dl->PushClipRect(rmin, rmax, true);
      dl->AddImage(reinterpret_cast<ImTextureID>(tex), d->p_min, d->p_max, d->uv_min, d->uv_max);
      dl->PopClipRect();
      covered_min = ImVec2(std::clamp(d->p_min.x, rmin.x, rmax.x), std::clamp(d->p_min.y, rmin.y, rmax.y));
      covered_max = ImVec2(std::clamp(d->p_max.x, covered_min.x, rmax.x), std::clamp(d->p_max.y, covered_min.y, rmax.y));
    }
    drew = true;
  }
  fill_around(dl, rmin, rmax, covered_min, covered_max, mask);
  if (!drew) {
    // Placeholder (no GL, or no data yet): keeps layout and interaction identical.
    const char* text = rows_ > 0 ? (gl_enabled() ? "heatmap unavailable" : "heatmap (no GL)") : "no data";
    const ImVec2 ts = ImGui::CalcTextSize(text);
    dl->AddText(ImVec2(0.5f * (rmin.x + rmax.x - ts.x), 0.5f * (rmin.y + rmax.y - ts.y)), pal.axis_text, text);
  }
  dl->AddRect(rmin, rmax, pal.frame);

  if (item_hovered) {
    if (auto cell = view_pixel_to_cell(view_, rmin, rmax, io.MousePos, lr, lc)) {
      hover.hovered = true;
      hover.row = cell->row;
      hover.col = cell->col;
    }
  }
  return hover;
}

namespace {

// The gutters draw_with_axes leaves around the image: row labels and title on the left, column
// labels and title below, a small right margin for the last column label.
struct AxesGutters {
  float left = 0.0f, right = 0.0f, bottom = 0.0f;
};

AxesGutters axes_gutters(int64_t rows, bool has_x, bool has_y) {
  const float font = ImGui::GetFontSize();
  const float tick = 0.3f * font, pad = 0.25f * font;
  const int64_t lr = std::max<int64_t>(rows, 1);
  const float row_label_w = ImGui::CalcTextSize(format_tick(static_cast<double>(lr), 1.0).c_str()).x;
  AxesGutters g;
  g.left = (has_y ? font + pad : 0.0f) + row_label_w + tick + pad;
  g.bottom = tick + font + (has_x ? font + pad : 0.0f) + pad;
  g.right = 0.6f * font;
  return g;
}

ImVec2 image_in(ImVec2 size, const AxesGutters& g, bool square_image) {
  const float font = ImGui::GetFontSize();
  ImVec2 inner(std::max(2.0f * font, size.x - g.left - g.right), std::max(2.0f * font, size.y - g.bottom));
  if (square_image) inner.x = inner.y = std::min(inner.x, inner.y);
  return inner;
}

}  // namespace

ImVec2 Heatmap::image_size_with_axes(ImVec2 size, int64_t rows, bool square_image) {
  return image_in(size, axes_gutters(rows, true, true), square_image);
}

ImVec2 Heatmap::item_size_with_axes(ImVec2 size, int64_t rows, bool square_image) {
  const AxesGutters g = axes_gutters(rows, true, true);
  const ImVec2 inner = image_in(size, g, square_image);
  return ImVec2(g.left + inner.x + g.right, inner.y + g.bottom);
}

HeatmapHover Heatmap::draw_with_axes(const char* id, ImVec2 size, const char* x_label, const char* y_label,
                                     bool square_image) {
  const float font = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (size.x <= 0.0f) size.x = std::max(avail.x + size.x, 8.0f * font);
  if (size.y <= 0.0f) size.y = std::max(avail.y + size.y, 8.0f * font);
  const bool has_x = x_label != nullptr && *x_label != '\0';
  const bool has_y = y_label != nullptr && *y_label != '\0';
  const float tick = 0.3f * font, pad = 0.25f * font;
  const AxesGutters gutters = axes_gutters(logical_rows_, has_x, has_y);
  const float left = gutters.left, bottom = gutters.bottom, right = gutters.right;
  const ImVec2 start = ImGui::GetCursorScreenPos();
  const ImVec2 inner = image_in(size, gutters, square_image);

  ImGui::BeginGroup();
  ImGui::SetCursorScreenPos(ImVec2(start.x + left, start.y));
  const HeatmapHover hover = draw(id, inner);
  const ImVec2 rmin = ImGui::GetItemRectMin(), rmax = ImGui::GetItemRectMax();
  ImGui::SetCursorScreenPos(start);
  ImGui::Dummy(ImVec2(left + inner.x + right, inner.y + bottom));
  ImGui::EndGroup();
  if (!ImGui::IsItemVisible()) return hover;

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const PlotPalette& pal = palette(context().theme);
  auto integer_ticks = [](double a, double b, int target) {
    std::vector<Tick> out;
    for (Tick& t : linear_ticks(a, b, target)) {
      if (std::abs(t.value - std::round(t.value)) < 1e-9 && t.value >= 0.0) out.push_back(std::move(t));
    }
    return out;
  };
  // Columns (x) below the image.
  for (const Tick& t : integer_ticks(view_.x0, view_.x1 - 0.5, std::clamp(static_cast<int>(inner.x / (4.0f * font)), 2, 10))) {
    const float x = view_point_to_pixel(view_, rmin, rmax, CellPoint{t.value + 0.5, 0.0}).x;
    if (x < rmin.x - 0.5f || x > rmax.x + 0.5f) continue;
    dl->AddLine(ImVec2(x, rmax.y), ImVec2(x, rmax.y + tick), pal.frame);
    const ImVec2 ts = ImGui::CalcTextSize(t.label.c_str());
    dl->AddText(ImVec2(x - 0.5f * ts.x, rmax.y + tick), pal.axis_text, t.label.c_str());
  }
  // Rows (y) left of the image, row 0 at the top.
  for (const Tick& t : integer_ticks(view_.y0, view_.y1 - 0.5, std::clamp(static_cast<int>(inner.y / (2.5f * font)), 2, 10))) {
    const float y = view_point_to_pixel(view_, rmin, rmax, CellPoint{0.0, t.value + 0.5}).y;
    if (y < rmin.y - 0.5f || y > rmax.y + 0.5f) continue;
    dl->AddLine(ImVec2(rmin.x - tick, y), ImVec2(rmin.x, y), pal.frame);
    const ImVec2 ts = ImGui::CalcTextSize(t.label.c_str());
    dl->AddText(ImVec2(rmin.x - tick - pad - ts.x, std::clamp(y - 0.5f * ts.y, start.y, rmax.y)), pal.axis_text, t.label.c_str());
  }
  if (has_x) {
    const ImVec2 ts = ImGui::CalcTextSize(x_label);
    dl->AddText(ImVec2(0.5f * (rmin.x + rmax.x - ts.x), rmax.y + tick + font + pad), pal.axis_text, x_label);
  }
  if (has_y) {
    const ImVec2 ts = calc_text_size_vertical(y_label);
    add_text_vertical(dl, ImVec2(start.x, std::max(start.y, 0.5f * (rmin.y + rmax.y - ts.y))), pal.axis_text, y_label);
  }
  return hover;
}

float colorbar_width() {
  const float font = ImGui::GetFontSize();
  return 0.9f * font + 0.4f * font + ImGui::CalcTextSize("-8.88e-8").x + 0.4f * font;
}

namespace {

// Colour bar labels: the exact range ends first (so the range can be read off the bar), then
// the nice ticks between them.
struct BarLabel {
  double value;
  std::string text;
  bool end;
};

std::vector<BarLabel> bar_labels(const std::vector<Tick>& ticks, double vmin, double vmax) {
  std::vector<BarLabel> out{{vmin, format_compact(vmin, 3), true}, {vmax, format_compact(vmax, 3), true}};
  for (const Tick& t : ticks) {
    if (t.major && !t.label.empty()) out.push_back(BarLabel{t.value, t.label, false});
  }
  return out;
}

// True (and records it) when a label centred at `pos` keeps `spacing` from those placed.
bool free_slot(std::vector<float>& placed, float pos, float spacing) {
  for (float q : placed) {
    if (std::abs(q - pos) < spacing) return false;
  }
  placed.push_back(pos);
  return true;
}

}  // namespace

void colorbar(const char* id, Colormap cmap, double vmin, double vmax, ImVec2 size, ColorScale scale, const char* label,
              bool horizontal) {
  const float font = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const bool has_label = label != nullptr && *label != '\0' && std::string_view(label).substr(0, 2) != "##";
  if (size.x <= 0.0f) size.x = horizontal ? std::max(avail.x + size.x, 6.0f * font) : colorbar_width();
  if (size.y <= 0.0f) size.y = horizontal ? 2.6f * font + (has_label ? font : 0.0f) : std::max(avail.y + size.y, 4.0f * font);
  ImGui::InvisibleButton(id, size);
  if (!ImGui::IsItemVisible()) return;
  const ImVec2 rmin = ImGui::GetItemRectMin(), rmax = ImGui::GetItemRectMax();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const PlotPalette& pal = palette(context().theme);
  const bool log = scale == ColorScale::kLog;
  if (log && !(vmin > 0.0)) vmin = vmax > 0.0 ? vmax * 1e-6 : 1e-6;
  if (!(vmax > vmin)) vmax = vmin + (log ? vmin * 9.0 : 1.0);

  const float bar = 0.9f * font, tick = 0.3f * font, pad = 0.2f * font;
  constexpr int kSegments = 96;
  const std::vector<Tick> ticks = log ? log_ticks(vmin, vmax, 6)
                                      : linear_ticks(vmin, vmax, std::clamp(static_cast<int>((horizontal ? size.x : size.y) / (3.0f * font)), 2, 8));
  if (!horizontal) {
    const float top = rmin.y + (has_label ? font + pad : 0.5f * font);
    const float bottom = rmax.y - 0.5f * font;
    const float x0 = rmin.x, x1 = rmin.x + bar;
    const float h = std::max(1.0f, bottom - top);
    for (int i = 0; i < kSegments; ++i) {
      const float ya = bottom - h * static_cast<float>(i) / kSegments;        // t_a at the bottom edge
      const float yb = bottom - h * static_cast<float>(i + 1) / kSegments;    // t_b at the top edge
      const ImU32 ca = rgba_u32(cmap, static_cast<double>(i) / kSegments);
      const ImU32 cb = rgba_u32(cmap, static_cast<double>(i + 1) / kSegments);
      dl->AddRectFilledMultiColor(ImVec2(x0, yb), ImVec2(x1, ya), cb, cb, ca, ca);
    }
    dl->AddRect(ImVec2(x0, top), ImVec2(x1, bottom), pal.frame);
    std::vector<float> placed;  // centres of the labels drawn so far
    for (const BarLabel& l : bar_labels(ticks, vmin, vmax)) {
      const float y = bottom - h * static_cast<float>(normalize_value(l.value, vmin, vmax, log));
      dl->AddLine(ImVec2(x1, y), ImVec2(x1 + (l.end ? 0.5f * tick : tick), y), pal.frame);
      if (!free_slot(placed, y, 1.25f * font)) continue;
      const ImVec2 ts = ImGui::CalcTextSize(l.text.c_str());
      dl->AddText(ImVec2(x1 + tick + pad, std::clamp(y - 0.5f * ts.y, rmin.y, rmax.y - ts.y)), pal.axis_text, l.text.c_str());
    }
    if (has_label) dl->AddText(rmin, pal.axis_text, label, std::strstr(label, "##") ? std::strstr(label, "##") : nullptr);
  } else {
    const float top = rmin.y + (has_label ? font + pad : 0.0f);
    const float x0 = rmin.x + 0.5f * font, x1 = rmax.x - 0.5f * font;
    const float w = std::max(1.0f, x1 - x0);
    const float y0 = top, y1 = top + bar;
    for (int i = 0; i < kSegments; ++i) {
      const float xa = x0 + w * static_cast<float>(i) / kSegments, xb = x0 + w * static_cast<float>(i + 1) / kSegments;
      const ImU32 ca = rgba_u32(cmap, static_cast<double>(i) / kSegments);
      const ImU32 cb = rgba_u32(cmap, static_cast<double>(i + 1) / kSegments);
      dl->AddRectFilledMultiColor(ImVec2(xa, y0), ImVec2(xb, y1), ca, cb, cb, ca);
    }
    dl->AddRect(ImVec2(x0, y0), ImVec2(x1, y1), pal.frame);
    std::vector<float> placed;
    for (const BarLabel& l : bar_labels(ticks, vmin, vmax)) {
      const float x = x0 + w * static_cast<float>(normalize_value(l.value, vmin, vmax, log));
      dl->AddLine(ImVec2(x, y1), ImVec2(x, y1 + (l.end ? 0.5f * tick : tick)), pal.frame);
      const ImVec2 ts = ImGui::CalcTextSize(l.text.c_str());
      if (!free_slot(placed, x, ts.x + 0.8f * font)) continue;
      dl->AddText(ImVec2(std::clamp(x - 0.5f * ts.x, rmin.x, rmax.x - ts.x), y1 + tick), pal.axis_text, l.text.c_str());
    }
    if (has_label) dl->AddText(rmin, pal.axis_text, label, std::strstr(label, "##") ? std::strstr(label, "##") : nullptr);
  }
}

Range symmetric_range(Range range) {
  double a = std::max(std::abs(range.min), std::abs(range.max));
  if (!(a > 0.0) || !std::isfinite(a)) a = 1.0;
  return Range{-a, a};
}

}  // namespace rope::viz
