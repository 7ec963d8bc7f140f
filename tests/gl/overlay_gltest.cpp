// GL test of viz::FrameCache under the real app (Mesa llvmpipe under xvfb-run): the whole window
// (rope::app::draw_frame after sync_derived) is drawn frame after frame into an FBO through the
// cache, with the mouse moved over sidebar controls (tooltips), over every view (their tooltips,
// the heatmaps' cell read-out) and onto combos that open their lists and close them again; every
// frame must equal clearing and drawing everything (viz::render_draw_data_direct) pixel for
// pixel, in both themes. An overlay that closes must leave no pixel of itself behind.
#include <gtest/gtest.h>

#include "viz/gl/gl.h"  // epoxy first

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <imgui_internal.h>  // ImGuiWindow, HoveredId: where the app's items are

#include <algorithm>
#include <unistd.h>

#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gui/app_state.h"
#include "gui/frame.h"
#include "gui/session.h"
#include "gui/views.h"
#include "viz/context.h"
#include "viz/font.h"
#include "viz/frame_cache.h"
#include "viz/gl/framebuffer.h"
#include "viz/gl/png.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

const ImVec2 kAway(-FLT_MAX, -FLT_MAX);  // no mouse over the window

struct Mismatch {
  long pixels = 0;
  int max = 0;
  int x = -1, y = -1;  // top-left origin
};

class OverlayGl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DISPLAY"), nullptr) << "GL tests need an X display: run under xvfb-run -a";
    dir_ = std::filesystem::temp_directory_path() / ("ropescope_overlay_gltest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ::setenv("ROPESCOPE_CONFIG_DIR", dir_.c_str(), 1);
    ASSERT_EQ(glfwInit(), GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window_ = glfwCreateWindow(64, 64, "overlay_gltest", nullptr, nullptr);
    ASSERT_NE(window_, nullptr);
    glfwMakeContextCurrent(window_);
    viz::set_gl_enabled(true);
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.MousePos = kAway;
    ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330"));
    viz::load_ui_font(state_.ui.font_size, 1.0f);
    ASSERT_TRUE(viz::rebuild_font_texture());
  }
  void TearDown() override {
    for (viz::Heatmap& hm : derived_.heat_gl.maps) hm.release_gl();
    kept_ = viz::gl::Framebuffer();
    reference_ = viz::gl::Framebuffer();
    if (ImGui::GetCurrentContext()) {
      ImGui_ImplOpenGL3_Shutdown();
      ImGui::DestroyContext();
    }
    viz::set_gl_enabled(false);
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void set_size(int width, int height) {
    width_ = width;
    height_ = height;
    ImGui::GetIO().DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    std::string error;
    kept_ = viz::gl::Framebuffer::create(width, height, &error);
    reference_ = viz::gl::Framebuffer::create(width, height, &error);
    ASSERT_TRUE(kept_.valid() && reference_.valid()) << error;
    scanned_scroll_ = -1.0f;
  }

  void set_theme(viz::Theme theme) {
    state_.ui.theme = theme;
    viz::apply_theme(theme);
  }

  // One frame of the app with the mouse at `mouse` (left button held when `down`, wheel turned by
  // `wheel`), drawn through the cache into kept_ and directly into reference_; a frame whose
  // pictures differ is counted and reported under `what`.
  void frame(ImVec2 mouse, bool down = false, const std::string& what = "", float wheel = 0.0f) {
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = 1.0f / 60.0f;
    io.MousePos = mouse;
    io.MouseDown[0] = down;
    io.MouseWheel = wheel;
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    handle_shortcuts(state_);
    sync_derived(state_, derived_, workers_);
    draw_frame(state_, derived_);
    ImGui::Render();
    ImDrawData* dd = ImGui::GetDrawData();
    const ImVec4 clear = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    reference_.bind();
    viz::render_draw_data_direct(dd, width_, height_, clear);
    const std::vector<uint8_t> want = reference_.read_rgba();
    kept_.bind();
    cache_.render(dd, width_, height_, clear, viz::texture_generation(), false);
    const std::vector<uint8_t> got = kept_.read_rgba();
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    ++frames_;
    if (tooltip_shown()) ++tooltip_frames_;
    if (popup_shown()) ++popup_frames_;
    const Mismatch m = compare(got, want);
    if (m.pixels == 0) return;
    if (++bad_frames_ == 1) save_pictures(got, want);
    if (bad_frames_ <= 12)
      ADD_FAILURE() << "frame " << frames_ << " (" << what << ", " << (state_.ui.theme == viz::Theme::kDark ? "dark" : "light")
                    << ", " << width_ << "x" << height_ << "): " << m.pixels << " pixels differ from drawing everything, max "
                    << m.max << " at (" << m.x << ", " << m.y << ")";
  }

  // The first frame that differs, as the cache drew it, as drawing everything drew it, and
  // their difference (white where they differ), in ROPE_GL_TEST_OUT.
  void save_pictures(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) const {
    const std::filesystem::path dir = ROPE_GL_TEST_OUT;
    std::filesystem::create_directories(dir);
    std::vector<uint8_t> diff(got.size(), 0);
    for (size_t i = 0; i + 3 < got.size(); i += 4) {
      const bool differ = got[i] != want[i] || got[i + 1] != want[i + 1] || got[i + 2] != want[i + 2];
      diff[i] = diff[i + 1] = diff[i + 2] = differ ? 255 : 0;
      diff[i + 3] = 255;
    }
    for (const auto& [name, rgba] : {std::pair{"overlay_cached.png", &got}, std::pair{"overlay_expected.png", &want},
                                     std::pair{"overlay_diff.png", static_cast<const std::vector<uint8_t>*>(&diff)}}) {
      viz::gl::write_png((dir / name).string(), width_, height_, rgba->data(), true);
      std::printf("wrote %s\n", (dir / name).c_str());
    }
  }

  Mismatch compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) const {
    Mismatch m;
    for (size_t i = 0; i + 3 < a.size() && i + 3 < b.size(); i += 4) {
      int d = 0;
      for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(static_cast<int>(a[i + c]) - static_cast<int>(b[i + c])));
      if (d == 0) continue;
      ++m.pixels;
      if (d > m.max) {
        m.max = d;
        m.x = static_cast<int>((i / 4) % static_cast<size_t>(width_));
        m.y = height_ - 1 - static_cast<int>((i / 4) / static_cast<size_t>(width_));
      }
    }
    return m;
  }

  // Frames until both workers finished and nothing new is asked for.
  void settle() {
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(wait_for_results(state_, derived_, workers_));
      frame(ImGui::GetIO().MousePos, false, "settle");
      if (!derived_.heatmaps_pending && !derived_.decay_pending && derived_.heatmaps &&
          derived_.heatmaps->key == current_heat_key(derived_))
        break;
    }
    frame(ImGui::GetIO().MousePos, false, "settle");
  }

  static ImGuiWindow* window_named(const std::string& part) {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (w->Active && std::string(w->Name).find(part) != std::string::npos) return w;
    return nullptr;
  }
  static bool tooltip_shown() {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (w->Active && !w->Hidden && (w->Flags & ImGuiWindowFlags_Tooltip)) return true;
    return false;
  }
  static bool popup_shown() {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (w->Active && !w->Hidden && (w->Flags & ImGuiWindowFlags_Popup) && !(w->Flags & ImGuiWindowFlags_Tooltip))
        return true;
    return false;
  }

  // Where the sidebar control `label` is under the mouse (the sidebar scrolled until it shows
  // it). The sidebar is scanned top to bottom once per scroll position and size, recording where
  // each item is hovered; every frame of the scan is checked too (it shows and moves tooltips).
  std::optional<ImVec2> find_sidebar_item(const char* label) {
    for (int scrolls = 0; scrolls < 40; ++scrolls) {
      ImGuiWindow* sidebar = window_named("/##sidebar");
      if (sidebar == nullptr) return std::nullopt;
      const float font = ImGui::GetFontSize();
      const float x = sidebar->Pos.x + sidebar->WindowPadding.x + font;
      if (scanned_scroll_ != sidebar->Scroll.y) {
        scanned_.clear();
        scanned_scroll_ = sidebar->Scroll.y;
        for (float y = sidebar->InnerRect.Min.y + 2.0f; y < sidebar->InnerRect.Max.y; y += 0.8f * font) {
          frame(ImVec2(x, y), false, "scanning the sidebar");
          scanned_.try_emplace(ImGui::GetCurrentContext()->HoveredId, ImVec2(x, y));
        }
      }
      if (const auto it = scanned_.find(ImHashStr(label, 0, sidebar->ID)); it != scanned_.end()) return it->second;
      const bool at_bottom = sidebar->Scroll.y >= sidebar->ScrollMax.y;
      // Scroll down, or back to the top once at the bottom.
      const ImVec2 over(x, 0.5f * (sidebar->InnerRect.Min.y + sidebar->InnerRect.Max.y));
      frame(over, false, "scrolling the sidebar", at_bottom ? 100.0f : -3.0f);
      frame(over, false, "scrolling the sidebar");
    }
    return std::nullopt;
  }

  // Points spread over a view's inside (its middle and four around it), where its plots and maps show their tooltips.
  std::vector<ImVec2> points_in_view(const char* key) {
    std::vector<ImVec2> points;
    ImGuiWindow* w = window_named(std::string("/##view_") + key);
    if (w == nullptr) return points;
    for (const auto& [fx, fy] : {std::pair{0.5f, 0.55f}, std::pair{0.2f, 0.3f}, std::pair{0.8f, 0.3f},
                                 std::pair{0.2f, 0.8f}, std::pair{0.8f, 0.8f}})
      points.emplace_back(w->Pos.x + fx * w->Size.x, w->Pos.y + fy * w->Size.y);
    return points;
  }
  // All of them (`all`), or every view's middle.
  std::vector<ImVec2> points_in_every_view(bool all) {
    std::vector<ImVec2> points;
    for (const ViewDef& v : views()) {
      const std::vector<ImVec2> p = points_in_view(v.key);
      points.insert(points.end(), p.begin(), all ? p.end() : std::min(p.end(), p.begin() + 1));
    }
    return points;
  }

  // A click at p (button down one frame, up the next).
  void click(ImVec2 p, const std::string& what) {
    frame(p, true, what);
    frame(p, false, what);
  }

  // The sequence of the issue, and more: tooltips of a sidebar control and of every view, each
  // left for another one or for nowhere; combo lists opened, hovered across every view and closed.
  void hover_and_open_everything() {
    const std::optional<ImVec2> causal = find_sidebar_item("causal mask##causal");
    ASSERT_TRUE(causal.has_value()) << "the causal mask checkbox was not found in the sidebar";
    const int tooltips_before = tooltip_frames_;
    frame(*causal, false, "hover causal mask");
    frame(*causal, false, "hover causal mask");
    EXPECT_GT(tooltip_frames_, tooltips_before) << "hovering the causal mask shows no tooltip";
    frame(kAway, false, "away from causal mask");
    frame(kAway, false, "away from causal mask");
    frame(*causal, false, "hover causal mask again");
    for (ImVec2 p : points_in_view("heatmaps")) frame(p, false, "from causal mask to a heatmap");
    frame(kAway, false, "away from the heatmaps");
    for (ImVec2 p : points_in_every_view(true)) {
      frame(p, false, "hover a view");
      frame(p, false, "hover a view");
      frame(kAway, false, "away from a view");
    }
    for (const char* combo : {"##preset", "##scaling", "##cmap", "##dcmap"}) {
      const std::optional<ImVec2> at = find_sidebar_item(combo);
      ASSERT_TRUE(at.has_value()) << combo << " was not found in the sidebar";
      const int popups_before = popup_frames_;
      click(*at, std::string("open ") + combo);
      for (ImVec2 p : points_in_every_view(false)) frame(p, false, std::string(combo) + " open, hover a view");
      EXPECT_GT(popup_frames_, popups_before) << combo << " opened no list";
      frame(*at, false, std::string("back on ") + combo);
      click(*at, std::string("close ") + combo);
      EXPECT_FALSE(popup_shown()) << combo << "'s list stayed open";
      frame(kAway, false, std::string("away from ") + combo);
      frame(kAway, false, std::string("away from ") + combo);
    }
  }

  std::filesystem::path dir_;
  GLFWwindow* window_ = nullptr;
  AppState state_;
  Derived derived_;
  Workers workers_;
  viz::FrameCache cache_;
  viz::gl::Framebuffer kept_, reference_;
  int width_ = 0, height_ = 0;
  std::map<ImGuiID, ImVec2> scanned_;  // where the sidebar's items were hovered, at scroll scanned_scroll_
  float scanned_scroll_ = -1.0f;
  int frames_ = 0, bad_frames_ = 0, tooltip_frames_ = 0, popup_frames_ = 0;
};

TEST_F(OverlayGl, TooltipsPopupsAndCombosLeaveNoPixelBehind) {
  for (const auto& [w, h] : {std::pair{1280, 720}, std::pair{1920, 1080}}) {
    set_size(w, h);
    cache_.invalidate();
    for (viz::Theme theme : {viz::Theme::kDark, viz::Theme::kLight}) {
      set_theme(theme);
      frame(kAway, false, "first");
      settle();
      hover_and_open_everything();
    }
  }
  std::printf("%d frames, %d with a tooltip, %d with a combo list, %d differ from drawing everything\n", frames_,
              tooltip_frames_, popup_frames_, bad_frames_);
  EXPECT_EQ(bad_frames_, 0);
  EXPECT_GT(tooltip_frames_, 40);
  EXPECT_GT(popup_frames_, 40);
}

}  // namespace
}  // namespace rope::app
