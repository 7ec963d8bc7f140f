// GL tests of the heatmap colouring shader, the colour bar and the GL helpers, on a hidden
// GLFW window with a GL 3.3 core context (run under `xvfb-run -a`, Mesa llvmpipe).
// PNGs go to ROPE_GL_TEST_OUT for a human look.
#include <gtest/gtest.h>

#include "viz/gl/gl.h"  // epoxy first: it must precede any other GL header

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "viz/colormap.h"
#include "viz/context.h"
#include "viz/font.h"
#include "viz/gl/framebuffer.h"
#include "viz/gl/gl.h"
#include "viz/gl/png.h"
#include "viz/gl/program.h"
#include "viz/heatmap.h"
#include "viz/plot.h"
#include "viz/theme.h"
#include "viz/shaders.h"

namespace rope::viz {
namespace {

struct Pixel {
  int r, g, b, a;
};

Pixel pixel_at(const std::vector<uint8_t>& rgba, int width, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
  return Pixel{rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]};
}

int max_channel_diff(Pixel a, Pixel b) {
  return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

Pixel expected(Colormap c, double t) {
  const Rgb v = rgb(c, t);
  return Pixel{static_cast<int>(std::lround(v.r * 255)), static_cast<int>(std::lround(v.g * 255)),
               static_cast<int>(std::lround(v.b * 255)), 255};
}

std::string out_path(const std::string& name) {
  std::filesystem::create_directories(ROPE_GL_TEST_OUT);
  return std::string(ROPE_GL_TEST_OUT) + "/" + name;
}

// Nearest-neighbour upscale for PNGs a human can look at.
std::vector<uint8_t> upscale(const std::vector<uint8_t>& rgba, int w, int h, int k) {
  std::vector<uint8_t> out(static_cast<size_t>(w * k) * static_cast<size_t>(h * k) * 4);
  for (int y = 0; y < h * k; ++y)
    for (int x = 0; x < w * k; ++x)
      for (int c = 0; c < 4; ++c)
        out[(static_cast<size_t>(y) * static_cast<size_t>(w * k) + static_cast<size_t>(x)) * 4 + static_cast<size_t>(c)] =
            rgba[(static_cast<size_t>(y / k) * static_cast<size_t>(w) + static_cast<size_t>(x / k)) * 4 + static_cast<size_t>(c)];
  return out;
}

class HeatmapGl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NE(std::getenv("DISPLAY"), nullptr) << "GL tests need an X display: run under xvfb-run -a";
    ASSERT_EQ(glfwInit(), GLFW_TRUE) << "glfwInit failed";
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window_ = glfwCreateWindow(64, 64, "heatmap_gltest", nullptr, nullptr);
    ASSERT_NE(window_, nullptr) << "cannot create a GL 3.3 core context";
    glfwMakeContextCurrent(window_);
    set_gl_enabled(true);
  }
  static void TearDownTestSuite() {
    // Only our window: other GL suites in this binary may share the GLFW library state.
    set_gl_enabled(false);
    if (window_ != nullptr) glfwDestroyWindow(window_);
    window_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(window_, nullptr);
    glfwMakeContextCurrent(window_);
    set_gl_enabled(true);
  }
  static GLFWwindow* window_;
};
GLFWwindow* HeatmapGl::window_ = nullptr;


// Renders `frames` ImGui frames (imgui_impl_opengl3, no platform backend) of a full-size window
// running `body` into a w x h framebuffer; returns its pixels in GL order (bottom row first).
template <typename F>
std::vector<uint8_t> render_imgui(int w, int h, F&& body, int frames = 3, ImVec2 mouse = ImVec2(-1, -1)) {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(static_cast<float>(w), static_cast<float>(h));
  io.DeltaTime = 1.0f / 60.0f;
  io.MousePos = mouse;
  std::vector<uint8_t> px;
  if (ImGui_ImplOpenGL3_Init("#version 330")) {
    std::string err;
    gl::Framebuffer fb = gl::Framebuffer::create(w, h, &err);
    for (int f = 0; f < frames && fb.valid(); ++f) {
      ImGui_ImplOpenGL3_NewFrame();
      ImGui::NewFrame();
      ImGui::SetNextWindowPos(ImVec2(0, 0));
      ImGui::SetNextWindowSize(ImVec2(static_cast<float>(w), static_cast<float>(h)));
      ImGui::Begin("frame", nullptr, ImGuiWindowFlags_NoDecoration);
      body();
      ImGui::End();
      ImGui::Render();
      fb.bind();
      const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
      glClearColor(bg.x, bg.y, bg.z, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    }
    px = fb.read_rgba();
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    ImGui_ImplOpenGL3_Shutdown();
  }
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
  return px;
}

constexpr int kN = 64;

// Toeplitz: depends only on r - c, like rotary logits for constant content.
std::vector<float> toeplitz_matrix() {
  std::vector<float> m(kN * kN);
  for (int r = 0; r < kN; ++r)
    for (int c = 0; c < kN; ++c) {
      const double d = r - c;
      m[static_cast<size_t>(r * kN + c)] = static_cast<float>(std::cos(0.35 * d) * std::exp(-std::abs(d) / 40.0));
    }
  return m;
}

TEST_F(HeatmapGl, ColoursFollowTheDataAndConstantDiagonalsStayConstant) {
  Heatmap hm;
  const std::vector<float> m = toeplitz_matrix();
  hm.set_data(m.data(), kN, kN);
  hm.set_range(-1.0, 1.0);
  hm.set_colormap(Colormap::kViridis);
  const std::vector<uint8_t> px = hm.read_colors();
  ASSERT_EQ(px.size(), static_cast<size_t>(kN * kN * 4)) << hm.error();
  EXPECT_TRUE(hm.error().empty()) << hm.error();

  // Not flat: many distinct colours.
  std::set<uint32_t> distinct;
  for (size_t i = 0; i < px.size(); i += 4) distinct.insert(px[i] | (px[i + 1] << 8) | (px[i + 2] << 16));
  EXPECT_GT(distinct.size(), 40u);

  // Constant along diagonals: identical floats give identical pixels (exact).
  int mismatches = 0;
  for (int r = 0; r + 1 < kN; ++r)
    for (int c = 0; c + 1 < kN; ++c)
      mismatches += max_channel_diff(pixel_at(px, kN, c, r), pixel_at(px, kN, c + 1, r + 1)) != 0;
  EXPECT_EQ(mismatches, 0);

  // Each pixel is the colormap at the normalised value (LUT filtering and 8 bits: +-2).
  int worst = 0;
  for (int r = 0; r < kN; r += 7)
    for (int c = 0; c < kN; c += 5) {
      const double t = normalize_value(m[static_cast<size_t>(r * kN + c)], -1.0, 1.0, false);
      worst = std::max(worst, max_channel_diff(pixel_at(px, kN, c, r), expected(Colormap::kViridis, t)));
    }
  EXPECT_LE(worst, 2);

  std::string err;
  EXPECT_TRUE(gl::write_png(out_path("heatmap_toeplitz_viridis.png"), kN * 4, kN * 4, upscale(px, kN, kN, 4).data(), false, &err)) << err;
}

TEST_F(HeatmapGl, NonToeplitzMatrixIsNotConstantAlongDiagonals) {
  std::vector<float> m(kN * kN);
  for (int r = 0; r < kN; ++r)
    for (int c = 0; c < kN; ++c) m[static_cast<size_t>(r * kN + c)] = static_cast<float>(std::sin(0.2 * r) + std::cos(0.05 * c));
  Heatmap hm;
  hm.set_data(m.data(), kN, kN);
  hm.set_range(-2.0, 2.0);
  const std::vector<uint8_t> px = hm.read_colors();
  ASSERT_EQ(px.size(), static_cast<size_t>(kN * kN * 4));
  int mismatches = 0;
  for (int r = 0; r + 1 < kN; ++r)
    for (int c = 0; c + 1 < kN; ++c) mismatches += max_channel_diff(pixel_at(px, kN, c, r), pixel_at(px, kN, c + 1, r + 1)) > 2;
  EXPECT_GT(mismatches, kN * kN / 4);
  // Row 0 of the image is data row 0: rows differ, so the orientation is checked.
  const double t0 = normalize_value(m[0], -2.0, 2.0, false);
  const double t40 = normalize_value(m[40 * kN], -2.0, 2.0, false);
  EXPECT_LE(max_channel_diff(pixel_at(px, kN, 0, 0), expected(Colormap::kViridis, t0)), 2);
  EXPECT_LE(max_channel_diff(pixel_at(px, kN, 0, 40), expected(Colormap::kViridis, t40)), 2);
}

TEST_F(HeatmapGl, RangeAndColormapChangesRecolourWithoutReupload) {
  Heatmap hm;
  const std::vector<float> m = toeplitz_matrix();
  hm.set_data(m.data(), kN, kN);
  hm.set_range(-1.0, 1.0);
  const std::vector<uint8_t> a = hm.read_colors();
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(hm.upload_count(), 1);
  const int passes = hm.color_pass_count();

  hm.set_range(0.0, 0.5);
  const std::vector<uint8_t> b = hm.read_colors();
  EXPECT_EQ(hm.upload_count(), 1);            // no re-upload
  EXPECT_EQ(hm.color_pass_count(), passes + 1);
  EXPECT_NE(a, b);
  // Diagonal value 1.0 is above the new vmax: the top colour.
  EXPECT_LE(max_channel_diff(pixel_at(b, kN, 10, 10), expected(Colormap::kViridis, 1.0)), 2);

  hm.set_colormap(Colormap::kMagma);
  const std::vector<uint8_t> c = hm.read_colors();
  EXPECT_EQ(hm.upload_count(), 1);
  EXPECT_NE(b, c);
  EXPECT_LE(max_channel_diff(pixel_at(c, kN, 10, 10), expected(Colormap::kMagma, 1.0)), 2);

  // Nothing changed: no new pass.
  const int before = hm.color_pass_count();
  EXPECT_TRUE(hm.update_colors());
  EXPECT_EQ(hm.color_pass_count(), before);

  // Same-size data replaces the texture contents (an upload, not a reallocation).
  hm.set_data(m.data(), kN, kN);
  EXPECT_EQ(hm.upload_count(), 2);
}

TEST_F(HeatmapGl, MaskedCellsGetTheMaskColourAndLogScaleWorks) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // A causal 8x8 matrix: upper triangle -inf, one NaN, one +inf, values 1..100 elsewhere.
  constexpr int n = 8;
  std::vector<float> m(n * n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) m[static_cast<size_t>(r * n + c)] = c > r ? -inf : 10.0f;
  m[7 * n + 0] = nan;
  m[7 * n + 1] = inf;
  m[6 * n + 0] = 1.0f;
  m[6 * n + 1] = 100.0f;
  Heatmap hm;
  hm.set_data(m.data(), n, n);
  hm.set_range(1.0, 100.0);
  hm.set_scale(ColorScale::kLog);
  hm.set_colormap(Colormap::kCividis);
  hm.set_mask_color(IM_COL32(255, 0, 255, 255));
  const std::vector<uint8_t> px = hm.read_colors();
  ASSERT_EQ(px.size(), static_cast<size_t>(n * n * 4));
  const Pixel magenta{255, 0, 255, 255};
  EXPECT_EQ(max_channel_diff(pixel_at(px, n, 5, 2), magenta), 0);  // -inf
  EXPECT_EQ(max_channel_diff(pixel_at(px, n, 0, 7), magenta), 0);  // NaN
  EXPECT_LE(max_channel_diff(pixel_at(px, n, 1, 7), expected(Colormap::kCividis, 1.0)), 2);  // +inf clamps
  EXPECT_LE(max_channel_diff(pixel_at(px, n, 0, 6), expected(Colormap::kCividis, 0.0)), 2);  // vmin
  EXPECT_LE(max_channel_diff(pixel_at(px, n, 1, 6), expected(Colormap::kCividis, 1.0)), 2);  // vmax
  EXPECT_LE(max_channel_diff(pixel_at(px, n, 0, 0), expected(Colormap::kCividis, 0.5)), 2);  // 10 = log midpoint
  std::string err;
  EXPECT_TRUE(gl::write_png(out_path("heatmap_masked_log.png"), n * 16, n * 16, upscale(px, n, n, 16).data(), false, &err)) << err;
}

TEST_F(HeatmapGl, ImGuiFrameShowsTheHeatmapAndAColourBarWithTheColormapEnds) {
  constexpr int kW = 480, kH = 360;
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.DisplaySize = ImVec2(kW, kH);
  io.DeltaTime = 1.0f / 60.0f;
  ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330"));
  std::string err;
  gl::Framebuffer fb = gl::Framebuffer::create(kW, kH, &err);
  ASSERT_TRUE(fb.valid()) << err;

  Heatmap hm;
  const std::vector<float> m = toeplitz_matrix();
  hm.set_data(m.data(), kN, kN);
  hm.set_range(-1.0, 1.0);
  hm.set_colormap(Colormap::kInferno);
  const std::vector<uint8_t> cells = hm.read_colors();
  ASSERT_FALSE(cells.empty());
  // A second heatmap with position axes, zoomed to rows and columns [16, 48).
  Heatmap hm_axes;
  hm_axes.set_data(m.data(), kN, kN);
  hm_axes.set_range(-1.0, 1.0);
  hm_axes.set_view(HeatmapView{16, 48, 16, 48});

  ImVec2 hm_min, bar_min, bar_max;
  for (int frame = 0; frame < 3; ++frame) {  // warm-up frames settle the layout
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(kW, kH));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(10, 10));
    ImGui::Begin("frame", nullptr, ImGuiWindowFlags_NoDecoration);
    hm.draw("##hm", ImVec2(2 * kN, 2 * kN));  // 2 x 2 pixels per cell
    hm_min = ImGui::GetItemRectMin();
    ImGui::SameLine();
    colorbar("##cb", Colormap::kInferno, -1.0, 1.0, ImVec2(0, 300));
    bar_min = ImGui::GetItemRectMin();
    bar_max = ImGui::GetItemRectMax();
    ImGui::SameLine();
    hm_axes.draw_with_axes("##axes", ImVec2(260, 300));
    ImGui::End();
    ImGui::PopStyleVar();
    ImGui::Render();
    fb.bind();
    glClearColor(0.5f, 0.5f, 0.5f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  }
  const std::vector<uint8_t> gl_px = fb.read_rgba();  // bottom row first
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  auto screen = [&](float x, float y) {
    return pixel_at(gl_px, kW, static_cast<int>(x), kH - 1 - static_cast<int>(y));
  };
  EXPECT_TRUE(gl::write_png(out_path("imgui_heatmap_colorbar.png"), kW, kH, gl_px.data(), true, &err)) << err;

  // The widget shows exactly the coloured cells (nearest filtering when magnified). Each cell
  // is 2 x 2 pixels; the 1-pixel frame covers the outermost pixel ring, so sample inside it.
  auto inside = [](int i) { return 2 * i + (i == 0 ? 1 : 0); };
  int worst = 0;
  for (int r = 0; r < kN; r += 9)
    for (int c = 0; c < kN; c += 7)
      worst = std::max(worst, max_channel_diff(screen(hm_min.x + inside(c), hm_min.y + inside(r)), pixel_at(cells, kN, c, r)));
  EXPECT_EQ(worst, 0) << "widget at " << hm_min.x << "," << hm_min.y;

  // Colour bar: top = colormap end (t = 1), bottom = start (t = 0). The bar spans
  // [min.y + font/2, max.y - font/2] and is 0.9 font wide; sample 2 px inside each end.
  const float font = ImGui::GetFontSize();
  const float x = bar_min.x + 0.45f * font;
  const float top = bar_min.y + 0.5f * font, bottom = bar_max.y - 0.5f * font;
  const Pixel hi = screen(x, top + 2), lo = screen(x, bottom - 3);
  EXPECT_LE(max_channel_diff(hi, expected(Colormap::kInferno, 1.0)), 8) << hi.r << "," << hi.g << "," << hi.b;
  EXPECT_LE(max_channel_diff(lo, expected(Colormap::kInferno, 0.0)), 8) << lo.r << "," << lo.g << "," << lo.b;
  const Pixel middle = screen(x, 0.5f * (top + bottom));
  EXPECT_LE(max_channel_diff(middle, expected(Colormap::kInferno, 0.5)), 10);

  hm.release_gl();
  hm_axes.release_gl();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
}

// kN x kN cells of 0 / 1 alternating.
std::vector<float> checkerboard() {
  std::vector<float> m(kN * kN);
  for (int r = 0; r < kN; ++r)
    for (int c = 0; c < kN; ++c) m[static_cast<size_t>(r * kN + c)] = static_cast<float>((r + c) % 2);
  return m;
}

TEST_F(HeatmapGl, ZoomedOutViewAveragesCellsInsteadOfAliasing) {
  // A 64 x 64 checkerboard of 0 / 1 shown in 16 x 16 pixels: each pixel covers 4 x 4 cells, so an
  // honest (averaged) picture is uniform and close to the colour of the mean, never pure ends.
  const std::vector<float> m = checkerboard();
  Heatmap hm;
  hm.set_data(m.data(), kN, kN);
  hm.set_range(0.0, 1.0);
  hm.set_colormap(Colormap::kCividis);  // close to linear in each channel
  ImVec2 at;
  const std::vector<uint8_t> px = render_imgui(64, 64, [&] {
    hm.draw("##small", ImVec2(16, 16));
    at = ImGui::GetItemRectMin();
  });
  ASSERT_FALSE(px.empty());
  const Pixel lo = expected(Colormap::kCividis, 0.0), hi = expected(Colormap::kCividis, 1.0);
  const Pixel mean{(lo.r + hi.r) / 2, (lo.g + hi.g) / 2, (lo.b + hi.b) / 2, 255};
  for (int y = 4; y < 12; y += 3)
    for (int x = 4; x < 12; x += 3) {
      const Pixel p = pixel_at(px, 64, static_cast<int>(at.x) + x, 63 - (static_cast<int>(at.y) + y));
      EXPECT_LE(max_channel_diff(p, mean), 12) << "x=" << x << " y=" << y << ": " << p.r << "," << p.g << "," << p.b;
    }
  hm.release_gl();
}

TEST_F(HeatmapGl, MipmapsOnlyForAStablePictureShownMoreThanHalved) {
  const std::vector<float> m = checkerboard();
  Heatmap hm;
  hm.set_data(m.data(), kN, kN);
  hm.set_range(0.0, 1.0);
  // 64 texels on 40 pixels (1.6:1): bilinear, no mipmaps.
  EXPECT_FALSE(render_imgui(96, 96, [&] { hm.draw("##a", ImVec2(40, 40)); }).empty());
  EXPECT_EQ(hm.mipmap_count(), 0);
  // 4:1 while a newer picture is on its way: still none.
  hm.set_transient(true);
  EXPECT_FALSE(render_imgui(96, 96, [&] { hm.draw("##b", ImVec2(16, 16)); }).empty());
  EXPECT_EQ(hm.mipmap_count(), 0);
  // 4:1 and stable: built once for the colouring pass, not every frame.
  hm.set_transient(false);
  EXPECT_FALSE(render_imgui(96, 96, [&] { hm.draw("##c", ImVec2(16, 16)); }, 4).empty());
  EXPECT_EQ(hm.mipmap_count(), 1);
  hm.release_gl();
}

TEST_F(HeatmapGl, PlotsRenderInBothThemes) {
  const int n = 200;
  std::vector<double> xs(n), a(n), b(n);
  for (int i = 0; i < n; ++i) {
    xs[static_cast<size_t>(i)] = i;
    a[static_cast<size_t>(i)] = std::pow(10000.0, -2.0 * i / 256.0);
    b[static_cast<size_t>(i)] = a[static_cast<size_t>(i)] / (1.0 + i / 40.0);
  }
  for (Theme theme : {Theme::kDark, Theme::kLight}) {
    ImVec2 area_min, area_max;
    const std::vector<uint8_t> px = render_imgui(640, 400, [&] {
      apply_theme(theme);
      PlotOptions o;
      o.title = "inverse frequency per pair";
      if (begin_plot("##freq", ImVec2(-1, -1), AxisSpec{"pair index i", false, 0, n}, AxisSpec{"theta_i", true, 1e-7, 2}, o)) {
        plot_xband(60, 110, 0, "ramp");
        plot_line("unscaled", xs.data(), a.data(), n);
        plot_line("scaled", xs.data(), b.data(), n, 0, 0.0f, true);
        plot_vline(92, 0, "critical dim");
        plot_hline(1e-3, 0, "1/seq_len");
        plot_annotation(20, 1e-1, "fast pairs");
        area_min = plot_area_min();
        area_max = plot_area_max();
        end_plot();
      }
    });
    ASSERT_FALSE(px.empty());
    const std::string name = std::string("plot_") + std::string(to_string(theme)) + ".png";
    EXPECT_TRUE(gl::write_png(out_path(name), 640, 400, px.data(), true));
    auto screen = [&](int x, int y) { return pixel_at(px, 640, x, 399 - y); };
    // The plot background fills the area (sampled in an empty corner, bottom-left above the axis).
    const ImVec4 bgf = ImGui::ColorConvertU32ToFloat4(palette(theme).plot_bg);
    const Pixel bg{static_cast<int>(std::lround(bgf.x * 255)), static_cast<int>(std::lround(bgf.y * 255)),
                   static_cast<int>(std::lround(bgf.z * 255)), 255};
    EXPECT_LE(max_channel_diff(screen(static_cast<int>(area_min.x) + 30, static_cast<int>(area_max.y) - 12), bg), 12);
    // The first series colour is drawn (the unscaled curve), and there is text in the tick margin.
    const ImVec4 sf = ImGui::ColorConvertU32ToFloat4(palette(theme).series[0]);
    const Pixel series{static_cast<int>(sf.x * 255), static_cast<int>(sf.y * 255), static_cast<int>(sf.z * 255), 255};
    int series_px = 0, text_px = 0;
    for (int y = static_cast<int>(area_min.y); y < static_cast<int>(area_max.y); ++y)
      for (int x = static_cast<int>(area_min.x); x < static_cast<int>(area_max.x); ++x) series_px += max_channel_diff(screen(x, y), series) < 30;
    for (int y = static_cast<int>(area_max.y) + 4; y < 399; ++y)
      for (int x = static_cast<int>(area_min.x); x < static_cast<int>(area_max.x); ++x) {
        const Pixel p = screen(x, y);
        text_px += (theme == Theme::kDark ? p.r > 150 : p.r < 100);
      }
    EXPECT_GT(series_px, 150) << to_string(theme);
    EXPECT_GT(text_px, 100) << to_string(theme);
  }
  apply_theme(Theme::kDark);
}

TEST_F(HeatmapGl, PlotCrosshairFollowsTheMouse) {
  const std::vector<double> xs{0, 1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<double> ys{0, 1, 4, 9, 16, 25, 36, 49, 64};
  ImVec2 area_min, area_max;
  std::optional<PlotPoint> seen;
  int nearest = -1;
  auto body = [&] {
    if (begin_plot("##sq", ImVec2(-1, -1), AxisSpec{"x", false, 0, 8}, AxisSpec{"x^2", false, 0, 64})) {
      plot_line("x^2", xs.data(), ys.data(), 9);
      area_min = plot_area_min();
      area_max = plot_area_max();
      seen = plot_mouse();
      nearest = plot_nearest(xs.data(), ys.data(), 9);
      if (nearest >= 0) {
        plot_highlight(xs[static_cast<size_t>(nearest)], ys[static_cast<size_t>(nearest)]);
        ImGui::SetTooltip("x = %g, x^2 = %g", xs[static_cast<size_t>(nearest)], ys[static_cast<size_t>(nearest)]);
      }
      end_plot();
    }
  };
  const std::vector<uint8_t> still = render_imgui(480, 320, body);
  ASSERT_FALSE(seen.has_value());
  const int mx = static_cast<int>(0.5f * (area_min.x + area_max.x)) + 3;  // near x = 4
  const int my = static_cast<int>(area_min.y + 0.25f * (area_max.y - area_min.y));
  const std::vector<uint8_t> hover = render_imgui(480, 320, body, 3, ImVec2(static_cast<float>(mx), static_cast<float>(my)));
  ASSERT_TRUE(seen.has_value());
  EXPECT_NEAR(seen->x, 4.0, 0.2);
  EXPECT_EQ(nearest, 4);
  EXPECT_TRUE(gl::write_png(out_path("plot_hover.png"), 480, 320, hover.data(), true));
  // The dashed cross-hair changes many pixels of the mouse column (below the tooltip).
  int changed = 0, total = 0;
  for (int y = my + 40; y < static_cast<int>(area_max.y) - 30; ++y, ++total)
    changed += max_channel_diff(pixel_at(hover, 480, mx, 319 - y), pixel_at(still, 480, mx, 319 - y)) > 20;
  EXPECT_GT(changed, total / 4) << changed << " of " << total;
}

TEST_F(HeatmapGl, FontTextureIsRebuiltAfterASizeChange) {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImGuiContext* ctx = ImGui::CreateContext();
  ImGui::SetCurrentContext(ctx);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330"));
  ASSERT_TRUE(load_ui_font(16.0f, 1.0f).from_file);
  ASSERT_TRUE(rebuild_font_texture());
  const ImTextureID small = io.Fonts->TexID;
  const int small_height = io.Fonts->TexHeight;
  EXPECT_NE(small, nullptr);
  ASSERT_TRUE(load_ui_font(32.0f, 1.5f).from_file);  // 48 px glyphs need a bigger atlas
  ASSERT_TRUE(rebuild_font_texture());
  EXPECT_NE(io.Fonts->TexID, nullptr);
  EXPECT_GT(io.Fonts->TexHeight, small_height);
  GLint w = 0;
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(reinterpret_cast<intptr_t>(io.Fonts->TexID)));
  glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &w);
  glBindTexture(GL_TEXTURE_2D, 0);
  EXPECT_EQ(w, io.Fonts->TexWidth);  // the GL texture holds the new atlas
  ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext(ctx);
  ImGui::SetCurrentContext(previous);
}

TEST_F(HeatmapGl, ShaderErrorsAreReportedNotFatal) {
  std::string log;
  gl::Program bad = gl::Program::build("#version 330 core\nvoid main() { gl_Position = vec4(0); }\n",
                                       "#version 330 core\nout vec4 c; void main() { c = undefined_thing; }\n", &log, "broken");
  EXPECT_FALSE(bad.valid());
  EXPECT_NE(log.find("broken (fragment) failed to compile"), std::string::npos) << log;
  // The embedded shaders are there and build.
  EXPECT_FALSE(shader_source("heatmap.frag.glsl").empty());
  EXPECT_TRUE(shader_source("no_such.glsl").empty());
  log.clear();
  gl::Program good = gl::Program::build(shader_source("fullscreen.vert.glsl"), shader_source("heatmap.frag.glsl"), &log, "heatmap");
  EXPECT_TRUE(good.valid()) << log;
}

// warm_up runs between frames: it leaves the bindings, viewport and capabilities as they were,
// raises no GL error, and a heatmap coloured afterwards is right.
TEST_F(HeatmapGl, WarmUpLeavesTheGlStateAsItWas) {
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(3, 4, 123, 77);
  glEnable(GL_BLEND);
  glEnable(GL_SCISSOR_TEST);
  GLint program_before = -1, texture_before = -1;
  glGetIntegerv(GL_CURRENT_PROGRAM, &program_before);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture_before);
  while (glGetError() != GL_NO_ERROR) {
  }
  Heatmap::warm_up();
  EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
  GLint fb = -1, viewport[4] = {}, program = -1, texture = -1;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &fb);
  glGetIntegerv(GL_VIEWPORT, viewport);
  glGetIntegerv(GL_CURRENT_PROGRAM, &program);
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture);
  EXPECT_EQ(fb, 0);
  EXPECT_EQ(viewport[0], 3);
  EXPECT_EQ(viewport[1], 4);
  EXPECT_EQ(viewport[2], 123);
  EXPECT_EQ(viewport[3], 77);
  EXPECT_TRUE(glIsEnabled(GL_BLEND));
  EXPECT_TRUE(glIsEnabled(GL_SCISSOR_TEST));
  EXPECT_EQ(program, program_before);
  EXPECT_EQ(texture, texture_before);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);

  Heatmap hm;
  const float values[2] = {0.0f, 1.0f};
  hm.set_data(values, 1, 2);
  hm.set_range(0.0, 1.0);
  hm.set_colormap(Colormap::kViridis);
  const std::vector<uint8_t> rgba = hm.read_colors();
  ASSERT_EQ(rgba.size(), 8u);
  EXPECT_LE(max_channel_diff(pixel_at(rgba, 2, 0, 0), expected(Colormap::kViridis, 0.0)), 2);
  EXPECT_LE(max_channel_diff(pixel_at(rgba, 2, 1, 0), expected(Colormap::kViridis, 1.0)), 2);
}

// Every heatmap colours with one program (compiled once per context); disabling GL deletes it,
// and the next context gets its own that colours the same.
TEST_F(HeatmapGl, HeatmapsShareOneColouringProgramPerContext) {
  const float values[2] = {0.0f, 1.0f};
  const auto colours_of = [&](Heatmap& hm) {
    hm.set_data(values, 1, 2);
    hm.set_range(0.0, 1.0);
    hm.set_colormap(Colormap::kViridis);
    return hm.read_colors();
  };
  Heatmap a, b;
  const std::vector<uint8_t> ca = colours_of(a);
  const std::shared_ptr<void> shared = context().heatmap_colouring;
  ASSERT_NE(shared, nullptr);
  const std::vector<uint8_t> cb = colours_of(b);
  EXPECT_EQ(context().heatmap_colouring, shared) << "the second heatmap made its own program";
  EXPECT_EQ(ca, cb);
  ASSERT_EQ(ca.size(), 8u);
  EXPECT_LE(max_channel_diff(pixel_at(ca, 2, 1, 0), expected(Colormap::kViridis, 1.0)), 2);
  a.release_gl();
  b.release_gl();

  set_gl_enabled(false);
  EXPECT_EQ(context().heatmap_colouring, nullptr);
  set_gl_enabled(true);
  Heatmap c;
  EXPECT_EQ(colours_of(c), ca);
  EXPECT_NE(context().heatmap_colouring, nullptr);
}

TEST_F(HeatmapGl, OversizedDataIsAnErrorNotACrash) {
  const int too_big = gl::max_texture_size() + 1;
  std::string err;
  gl::Framebuffer fb = gl::Framebuffer::create(too_big, 1, &err);
  EXPECT_FALSE(fb.valid());
  EXPECT_NE(err.find("GL_MAX_TEXTURE_SIZE"), std::string::npos) << err;
  Heatmap hm;
  std::vector<float> row(static_cast<size_t>(too_big), 0.0f);
  hm.set_data(row.data(), 1, too_big);
  EXPECT_FALSE(hm.error().empty());
  EXPECT_FALSE(hm.update_colors());
}

TEST_F(HeatmapGl, PngRowsAreFlippedFromGlOrder) {
  // 2 x 2, GL order: first row (bottom) red, second row (top) blue.
  const std::vector<uint8_t> gl_rows{255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 255};
  const std::string path = out_path("flip_check.png");
  ASSERT_TRUE(gl::write_png(path, 2, 2, gl_rows.data(), true));
  int w = 0, h = 0, n = 0;
  unsigned char* img = stbi_load(path.c_str(), &w, &h, &n, 4);
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(w, 2);
  EXPECT_EQ(h, 2);
  EXPECT_EQ(img[2], 255);  // top-left of the PNG is blue
  EXPECT_EQ(img[0], 0);
  EXPECT_EQ(img[8], 255);  // bottom-left is red
  stbi_image_free(img);
}

}  // namespace
}  // namespace rope::viz
