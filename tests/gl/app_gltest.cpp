// GL tests of the app under xvfb-run (Mesa llvmpipe): real windows, real shaders, PNGs.
// Each checks a measurable property of what is drawn, not a golden image.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <stb_image.h>

#include "viz/gl/gl.h"
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "core/rope_config.h"
#include "gui/compute.h"
#include "gui/app_state.h"
#include "gui/gui_entry.h"
#include "gui/settings.h"
#include "viz/colormap.h"
#include "viz/context.h"
#include "viz/heatmap.h"

namespace rope::app {
namespace {

namespace fs = std::filesystem;

fs::path out_dir() {
  fs::path dir = ROPE_GL_TEST_OUT;
  fs::create_directories(dir);
  return dir;
}

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;
  bool ok() const { return width > 0; }
  const uint8_t* at(int x, int y) const { return &rgba[(static_cast<size_t>(y) * width + x) * 4]; }
};

Image load_png(const fs::path& path) {
  Image img;
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &img.width, &img.height, &channels, 4);
  if (!data) return Image{};
  img.rgba.assign(data, data + static_cast<size_t>(img.width) * img.height * 4);
  stbi_image_free(data);
  return img;
}

int distinct_colors(const Image& img, int x0, int y0, int x1, int y1) {
  std::set<uint32_t> colors;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const uint8_t* p = img.at(x, y);
      colors.insert(p[0] | (p[1] << 8) | (p[2] << 16));
    }
  return static_cast<int>(colors.size());
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

RunResult run(const std::string& command) {
  RunResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string exe() { return ROPESCOPE_EXE; }

// ---- In-process: the heatmap widget fed by the app's computation, read back from GL ----

class AppHeatmapGl : public ::testing::Test {
 protected:
  void SetUp() override {
    glfwSetErrorCallback([](int code, const char* text) { std::fprintf(stderr, "GLFW error %d: %s\n", code, text); });
    ASSERT_TRUE(glfwInit()) << "no X display: run under xvfb-run -a";
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    window_ = glfwCreateWindow(64, 64, "app_gltest", nullptr, nullptr);
    ASSERT_NE(window_, nullptr);
    glfwMakeContextCurrent(window_);
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    viz::set_gl_enabled(true);
  }
  void TearDown() override {
    viz::set_gl_enabled(false);
    if (ImGui::GetCurrentContext()) ImGui::DestroyContext();
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
  }

  // The coloured texture of one matrix, as the heatmaps panel sets it up.
  std::vector<uint8_t> colors_of(const HeatMatrix& m, bool diverging, viz::Heatmap& hm) {
    hm.set_data(m.values.data(), m.rows, m.cols);
    hm.set_colormap(diverging ? viz::Colormap::kRdBu : viz::Colormap::kViridis);
    hm.set_range(m.min, m.max);
    EXPECT_TRUE(hm.update_colors()) << hm.error();
    return hm.read_colors();
  }

  GLFWwindow* window_ = nullptr;
};

// The whole matrix on seq_len x seq_len pixels: one cell per texel.
HeatmapResult compute(int64_t seq_len, bool causal, core::ContentKind content = core::ContentKind::kConstant) {
  HeatKey key;
  key.config.seq_len = seq_len;
  key.causal = causal;
  key.content = content;
  const double n = static_cast<double>(seq_len);
  key.window = visible_window(0.0, n, 0.0, n, seq_len, static_cast<int>(seq_len), static_cast<int>(seq_len));
  auto r = compute_heatmaps(key, {});
  EXPECT_TRUE(!r || r->exact_cells());
  EXPECT_TRUE(r.has_value());
  return r ? std::move(*r) : HeatmapResult{};
}

TEST_F(AppHeatmapGl, ConstantContentRotaryIsConstantAlongDiagonalsAbsoluteIsNot) {
  const HeatmapResult r = compute(256, false);
  viz::Heatmap rot, abs;
  const std::vector<uint8_t> rc = colors_of(r.rotary, false, rot);
  const std::vector<uint8_t> ac = colors_of(r.absolute, false, abs);
  ASSERT_EQ(rc.size(), 256u * 256u * 4u);
  ASSERT_EQ(ac.size(), rc.size());
  const int n = 256;
  int rot_max_step = 0, abs_changed = 0, cells = 0;
  for (int i = 1; i < n; ++i)
    for (int j = 1; j < n; ++j) {
      const size_t a = (static_cast<size_t>(i) * n + j) * 4, b = (static_cast<size_t>(i - 1) * n + (j - 1)) * 4;
      int rot_step = 0, abs_step = 0;
      for (int c = 0; c < 3; ++c) {
        rot_step = std::max(rot_step, std::abs(rc[a + c] - rc[b + c]));
        abs_step = std::max(abs_step, std::abs(ac[a + c] - ac[b + c]));
      }
      rot_max_step = std::max(rot_max_step, rot_step);
      abs_changed += abs_step > 2 ? 1 : 0;
      ++cells;
    }
  // One LUT step (float rounding of equal values at the texel boundary) at most along diagonals.
  EXPECT_LE(rot_max_step, 3) << "rotary logits of constant content must depend on m - n only";
  EXPECT_GT(abs_changed, cells / 4) << "absolute logits should vary along diagonals";
}

TEST_F(AppHeatmapGl, HeatmapIsNotFlatAndTheColourBarRangeMatchesTheData) {
  const HeatmapResult r = compute(1024, true);
  viz::Heatmap hm;
  const std::vector<uint8_t> colors = colors_of(r.rotary, false, hm);
  ASSERT_EQ(colors.size(), 1024u * 1024u * 4u);
  // Range = exact min / max of the finite data.
  float lo = INFINITY, hi = -INFINITY;
  for (float v : r.rotary.values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_EQ(hm.vmin(), lo);
  EXPECT_EQ(hm.vmax(), hi);
  // The coloured image uses both ends of the colormap (the data spans the bar) and many colours.
  const auto& lut = viz::lut_rgba8(viz::Colormap::kViridis);
  auto near = [](const uint8_t* p, const uint8_t* q) {
    return std::abs(p[0] - q[0]) <= 2 && std::abs(p[1] - q[1]) <= 2 && std::abs(p[2] - q[2]) <= 2;
  };
  bool has_low = false, has_high = false;
  std::set<uint32_t> distinct;
  for (size_t i = 0; i < colors.size(); i += 4) {
    const float v = r.rotary.values[i / 4];
    if (!std::isfinite(v)) continue;
    has_low |= near(&colors[i], &lut[0]);
    has_high |= near(&colors[i], &lut[4 * 255]);
    distinct.insert(colors[i] | (colors[i + 1] << 8) | (colors[i + 2] << 16));
  }
  EXPECT_TRUE(has_low);
  EXPECT_TRUE(has_high);
  EXPECT_GT(distinct.size(), 100u) << "the heatmap is (nearly) flat";
  // Masked cells (n > m) are not coloured from the LUT's ends: they carry the mask colour.
  const uint8_t* masked = &colors[(0 * 1024 + 1000) * 4];
  const uint8_t* diag = &colors[(1000 * 1024 + 1000) * 4];
  EXPECT_FALSE(near(masked, diag));
}

// ---- The executable: render, screenshot, no display ----

TEST(AppRender, EveryViewRendersANonTrivialPng) {
  for (const char* view : {"frequencies", "rotation", "decay", "heatmaps", "pair-table", "all"}) {
    const fs::path png = out_dir() / (std::string("render_") + view + ".png");
    fs::remove(png);
    const RunResult r = run(exe() + " render --view " + view + " --png " + png.string() + " --size 900x600");
    ASSERT_EQ(r.exit_code, 0) << view << ": " << r.output;
    const Image img = load_png(png);
    ASSERT_TRUE(img.ok()) << view;
    EXPECT_EQ(img.width, 900);
    EXPECT_EQ(img.height, 600);
    // Plots, text and colour maps: many distinct colours in the centre of the image.
    EXPECT_GT(distinct_colors(img, 100, 100, 800, 500), 40) << view << " looks empty";
  }
}

TEST(AppRender, ChangingTheBaseChangesTheFrequencyView) {
  const fs::path a = out_dir() / "freq_base_1e4.png", b = out_dir() / "freq_base_5e5.png";
  const fs::path c = out_dir() / "freq_base_1e4_again.png";
  ASSERT_EQ(run(exe() + " render --view frequencies --base 10000 --png " + a.string() + " --size 800x500").exit_code, 0);
  ASSERT_EQ(run(exe() + " render --view frequencies --base 500000 --png " + b.string() + " --size 800x500").exit_code, 0);
  ASSERT_EQ(run(exe() + " render --view frequencies --base 10000 --png " + c.string() + " --size 800x500").exit_code, 0);
  const Image ia = load_png(a), ib = load_png(b), ic = load_png(c);
  ASSERT_TRUE(ia.ok() && ib.ok() && ic.ok());
  int differ = 0, differ_same = 0;
  for (size_t i = 0; i < ia.rgba.size(); i += 4) {
    differ += std::abs(ia.rgba[i] - ib.rgba[i]) + std::abs(ia.rgba[i + 1] - ib.rgba[i + 1]) > 30 ? 1 : 0;
    differ_same += std::abs(ia.rgba[i] - ic.rgba[i]) + std::abs(ia.rgba[i + 1] - ic.rgba[i + 1]) > 30 ? 1 : 0;
  }
  EXPECT_GT(differ, 500) << "the frequency view did not change with the base";
  EXPECT_EQ(differ_same, 0) << "the same parameters must render the same image";
}

TEST(AppRender, ScreenshotRunsFramesAndSavesTheWindow) {
  const fs::path dir = out_dir() / "config_home";
  fs::remove_all(dir);
  const fs::path png = out_dir() / "screenshot.png";
  fs::remove(png);
  const RunResult r = run("ROPESCOPE_CONFIG_DIR=" + dir.string() + " " + exe() + " --screenshot " + png.string() +
                          " --frames 8 --size 1280x800");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Image img = load_png(png);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img.width, 1280);
  EXPECT_EQ(img.height, 800);
  EXPECT_GT(distinct_colors(img, 0, 0, img.width, img.height), 200);
  EXPECT_FALSE(fs::exists(dir / "settings.json")) << "a screenshot run must not overwrite the saved session";
}

// Pixels of the image, in rows [y0, height), whose colour is within `tol` (per channel) of an
// entry of `cmap`'s table.
int pixels_on_colormap(const Image& img, int y0, viz::Colormap cmap, int tol) {
  std::set<uint32_t> near;
  for (const viz::Rgb& c : viz::lut(cmap)) {
    const int r = static_cast<int>(std::lround(c.r * 255.0)), g = static_cast<int>(std::lround(c.g * 255.0)),
              b = static_cast<int>(std::lround(c.b * 255.0));
    for (int dr = -tol; dr <= tol; ++dr)
      for (int dg = -tol; dg <= tol; ++dg)
        for (int db = -tol; db <= tol; ++db)
          near.insert(static_cast<uint32_t>(std::clamp(r + dr, 0, 255) | (std::clamp(g + dg, 0, 255) << 8) |
                                            (std::clamp(b + db, 0, 255) << 16)));
  }
  int count = 0;
  for (int y = y0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(x, y);
      count += near.count(static_cast<uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16))) ? 1 : 0;
    }
  return count;
}

TEST(AppRender, SmallWindowsStillShowLargeHeatmaps) {
  // At 1280x720 and 1200x800 (font 17) the two viridis maps (causal: half of each is masked grey)
  // are at least 140 px: 2 x 140^2 / 2 viridis pixels in the lower half of the window. The 2 x 2
  // grid drew them 79 px wide at 1280x720.
  for (const char* size : {"1280x720", "1200x800"}) {
    const fs::path dir = out_dir() / (std::string("small_window_") + size);
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "settings.json") << R"({"version":1,"window":{"x":0,"y":0,"width":1600,"height":1000},
      "font_size":17,"theme":"dark","maximised_view":-1,"params":{"config":{"head_dim":128,"rotary_fraction":1.0,
      "base":10000.0,"layout":"neox","seq_len":1024,"scaling":{"type":"none","alpha":1.0,"beta_fast":32.0,
      "beta_slow":1.0,"truncate":true}},"content":"constant","seed":0,"causal":true,"softmax":false,
      "decay_max_distance":1024,"decay_log_x":true}})";
    const fs::path png = out_dir() / (std::string("small_window_") + size + ".png");
    fs::remove(png);
    const RunResult r = run("ROPESCOPE_CONFIG_DIR=" + dir.string() + " " + exe() + " --screenshot " + png.string() +
                            " --frames 12 --size " + size);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Image img = load_png(png);
    ASSERT_TRUE(img.ok());
    const int on_map = pixels_on_colormap(img, img.height / 2, viz::Colormap::kViridis, 2);
    EXPECT_GT(on_map, 140 * 140) << size << ": " << png;
  }
}

TEST(AppSession, EditsSurviveAKilledSession) {
  // A session ended by SIGTERM keeps its state: the GUI saves within a second of a change and on
  // the signal, and the next start restores it.
  const fs::path dir = out_dir() / "killed_session";
  fs::remove_all(dir);
  const std::string env = "ROPESCOPE_CONFIG_DIR=" + dir.string() + " ";
  // The first session is saved within about a second of the loop starting; once the file is
  // there the loop (and its signal handling) is running, whatever the machine's load.
  const std::string file = (dir / "settings.json").string();
  const RunResult r = run("(" + env + exe() + " --base 23456 --size 900x700 & pid=$!; i=0; while [ ! -f " + file +
                          " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; kill -TERM $pid; wait $pid)");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "settings.json");
  ASSERT_TRUE(in.good()) << r.output;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("23456"), std::string::npos) << text.str();
  // The next start (no rope options) shows the saved base.
  AppState restored;
  ASSERT_TRUE(settings_from_json(text.str(), restored).ok);
  EXPECT_EQ(restored.params.config.base, 23456.0);
  EXPECT_EQ(restored.ui.window_width, 900);
}

TEST(AppRender, NoDisplayIsAClearError) {
  const fs::path png = out_dir() / "never.png";
  const RunResult r = run("env -u DISPLAY -u WAYLAND_DISPLAY " + exe() + " render --view frequencies --png " + png.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot open a window: no X display"), std::string::npos) << r.output;
  const RunResult g = run("env -u DISPLAY -u WAYLAND_DISPLAY " + exe() + " --screenshot " + png.string());
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.output.find("xvfb-run -a"), std::string::npos) << g.output;
}

}  // namespace
}  // namespace rope::app
