// GL tests of viz::FrameCache (damage-based rendering) under xvfb-run (Mesa llvmpipe): a scripted
// sequence of ImGui frames (windows that change, move, close and come back, a tooltip over a
// window, a texture re-coloured in place, a root status line) is rendered through the cache into
// an FBO and into the window's back buffer, and every frame must equal clearing and drawing
// everything directly.
#include <gtest/gtest.h>

#include "viz/gl/gl.h"  // epoxy first

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "viz/context.h"
#include "viz/frame_cache.h"
#include "viz/gl/framebuffer.h"
#include "viz/gl/texture.h"
#include "viz/heatmap.h"

namespace rope::viz {
namespace {

constexpr int kWidth = 480, kHeight = 360;

struct Diff {
  int max = 0;
  long count = 0;  // pixels that differ
  int x = -1, y = -1;
};

// Pixels in GL order; `skip_corner` ignores pixel (0, 0), the window cache's check pixel.
Diff compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, bool skip_corner) {
  Diff d;
  for (size_t i = 0; i + 3 < a.size() && i + 3 < b.size(); i += 4) {
    if (skip_corner && i == 0) continue;
    int m = 0;
    for (int c = 0; c < 3; ++c) m = std::max(m, std::abs(static_cast<int>(a[i + c]) - static_cast<int>(b[i + c])));
    if (m > 0) {
      ++d.count;
      if (m > d.max) {
        d.max = m;
        d.x = static_cast<int>((i / 4) % kWidth);
        d.y = static_cast<int>((i / 4) / kWidth);
      }
    }
  }
  return d;
}

std::string describe(const Diff& d) {
  return std::to_string(d.count) + " pixels differ, max " + std::to_string(d.max) + " at (" + std::to_string(d.x) +
         ", " + std::to_string(d.y) + ") (GL order)";
}

// What the scripted UI shows in a frame.
struct Script {
  std::string b_text = "b: 0";
  bool show_b = true;
  float b_height = 120.0f;
  bool tooltip = false;
  ImVec2 tooltip_pos{0, 0};
  std::string status = "status 0";
  std::string inner_text = "in: 0";  // in a child window nested in window c
};

void draw_ui(const Script& s, GLuint image) {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("##root", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoBackground);
  ImGui::BeginChild("##a", ImVec2(200, 150), true);
  ImGui::TextUnformatted("window a: lines");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  for (int i = 0; i < 20; ++i)
    dl->AddLine(ImVec2(p.x + 5.0f * i, p.y + 40.0f + 30.0f * std::sin(0.5f * i)),
                ImVec2(p.x + 5.0f * (i + 1), p.y + 40.0f + 30.0f * std::sin(0.5f * (i + 1))), IM_COL32(250, 180, 40, 255), 2.0f);
  ImGui::EndChild();
  ImGui::SameLine();
  if (s.show_b) {
    ImGui::BeginChild("##b", ImVec2(150, s.b_height), true);
    ImGui::TextUnformatted(s.b_text.c_str());
    ImGui::Button("a button");
    ImGui::EndChild();
  } else {
    ImGui::Dummy(ImVec2(150, 10));
  }
  ImGui::BeginChild("##c", ImVec2(220, 150), true);
  ImGui::TextUnformatted("window c: image");
  ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(image)), ImVec2(96, 96));
  ImGui::SameLine();
  ImGui::BeginChild("##c_inner", ImVec2(90, 40), true);
  ImGui::TextUnformatted(s.inner_text.c_str());
  ImGui::EndChild();
  ImGui::EndChild();
  ImGui::SetCursorPosY(io.DisplaySize.y - ImGui::GetFrameHeightWithSpacing());
  ImGui::TextUnformatted(s.status.c_str());
  ImGui::End();
  if (s.tooltip) {
    ImGui::SetNextWindowPos(s.tooltip_pos);
    ImGui::BeginTooltip();
    ImGui::TextUnformatted("a tooltip over a window");
    ImGui::EndTooltip();
  }
}

class FrameCacheGl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DISPLAY"), nullptr) << "GL tests need an X display: run under xvfb-run -a";
    ASSERT_EQ(glfwInit(), GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window_ = glfwCreateWindow(kWidth, kHeight, "frame_cache_gltest", nullptr, nullptr);
    ASSERT_NE(window_, nullptr);
    glfwMakeContextCurrent(window_);
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    ASSERT_EQ(w, kWidth);
    ASSERT_EQ(h, kHeight);
    set_gl_enabled(true);
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(kWidth, kHeight);
    io.DeltaTime = 1.0f / 60.0f;
    io.MousePos = ImVec2(-1, -1);
    ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330"));
  }
  void TearDown() override {
    image_ = gl::Texture();
    kept_ = gl::Framebuffer();
    reference_ = gl::Framebuffer();
    saved_ = gl::Framebuffer();
    if (ImGui::GetCurrentContext()) {
      ImGui_ImplOpenGL3_Shutdown();
      ImGui::DestroyContext();
    }
    set_gl_enabled(false);
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
  }

  void fill_image(uint8_t shade) {
    std::vector<uint8_t> rgba(16 * 16 * 4);
    for (size_t i = 0; i < rgba.size(); i += 4) {
      rgba[i] = shade;
      rgba[i + 1] = static_cast<uint8_t>(i / 4);
      rgba[i + 2] = 200;
      rgba[i + 3] = 255;
    }
    if (!image_.valid()) image_ = gl::Texture::create(gl::TextureFormat::kRGBA8, 16, 16, rgba.data());
    else image_.upload(rgba.data());
    mark_textures_changed();
  }

  // One ImGui frame of the scripted UI; its draw data.
  ImDrawData* build_frame(const Script& script) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    draw_ui(script, image_.id());
    ImGui::Render();
    return ImGui::GetDrawData();
  }

  // The FBOs a cache draws into (kept_) and that show clearing and drawing everything (reference_).
  void create_targets() {
    std::string error;
    kept_ = gl::Framebuffer::create(kWidth, kHeight, &error);
    reference_ = gl::Framebuffer::create(kWidth, kHeight, &error);
    ASSERT_TRUE(kept_.valid() && reference_.valid()) << error;
  }

  // draw_data cleared and drawn directly into reference_: what every cached frame must show.
  std::vector<uint8_t> reference_pixels(ImDrawData* dd, const ImVec4& clear) {
    reference_.bind();
    render_draw_data_direct(dd, kWidth, kHeight, clear);
    return reference_.read_rgba();
  }

  // draw_data cleared and drawn directly into the window's back buffer, whose picture is kept in
  // saved_ meanwhile and put back afterwards (exact copies). The window target is compared with
  // this, not with reference_: llvmpipe rounds some blended pixels differently into the window's
  // colour buffer than into an RGBA8 texture (one anti-aliased line pixel of this script reads
  // 103, 81, 38 there and 104, 82, 38 in reference_, whether the cache draws it or not).
  std::vector<uint8_t> window_reference_pixels(ImDrawData* dd, const ImVec4& clear) {
    if (!saved_.valid()) saved_ = gl::Framebuffer::create(kWidth, kHeight);
    const auto copy = [](GLuint from, GLuint to) {
      glBindFramebuffer(GL_READ_FRAMEBUFFER, from);
      glBindFramebuffer(GL_DRAW_FRAMEBUFFER, to);
      if (from == 0) glReadBuffer(GL_BACK);
      if (to == 0) glDrawBuffer(GL_BACK);
      glBlitFramebuffer(0, 0, kWidth, kHeight, 0, 0, kWidth, kHeight, GL_COLOR_BUFFER_BIT, GL_NEAREST);
    };
    copy(0, saved_.id());
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    render_draw_data_direct(dd, kWidth, kHeight, clear);
    glReadBuffer(GL_BACK);
    std::vector<uint8_t> pixels = gl::read_pixels_rgba(0, 0, kWidth, kHeight);
    copy(saved_.id(), 0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return pixels;
  }

  // One frame into the window's back buffer through `cache`. With `lose`, something else first
  // paints the whole back buffer (as a flipping swap chain hands back another buffer), so the
  // check pixel no longer matches.
  FrameCache::Stats window_frame(FrameCache& cache, const Script& script, const ImVec4& clear, bool lose) {
    ImDrawData* dd = build_frame(script);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (lose) {
      glViewport(0, 0, kWidth, kHeight);
      glClearColor(1.0f, 0.0f, 0.0f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
    }
    return cache.render(dd, kWidth, kHeight, clear, texture_generation(), true);
  }

  GLFWwindow* window_ = nullptr;
  gl::Texture image_;
  gl::Framebuffer kept_, reference_, saved_;
};

TEST_F(FrameCacheGl, EveryFrameEqualsDrawingEverythingAndUnchangedWindowsAreKept) {
  fill_image(40);
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  create_targets();
  FrameCache fbo_cache, window_cache;

  std::vector<Script> frames(19);
  frames[3].b_text = "b: 3 (changed)";                       // one window changes
  for (int f = 4; f < 14; ++f) frames[f].b_text = frames[3].b_text;
  frames[5].tooltip = true;                                  // a tooltip over window a
  frames[5].tooltip_pos = ImVec2(60, 60);
  frames[6].tooltip = true;                                  // ... moves
  frames[6].tooltip_pos = ImVec2(90, 80);
  frames[8].show_b = false;                                  // window b closes
  frames[9].show_b = false;
  frames[10].b_height = 60.0f;                               // and comes back smaller
  frames[11].b_height = 60.0f;
  frames[12].b_height = 60.0f;
  frames[12].status = "status 12";                           // the root's line changes
  for (int f = 13; f < 19; ++f) {
    frames[f].b_height = 60.0f;
    frames[f].status = "status 12";
  }
  for (int f = 14; f < 19; ++f) {                            // a tooltip that stays put
    frames[f].tooltip = true;
    frames[f].tooltip_pos = ImVec2(40, 100);
  }
  for (int f = 15; f < 19; ++f) frames[f].status = "st";      // the root's line gets shorter
  frames[17].inner_text = "in: 17";                          // the nested window changes
  frames[18].inner_text = frames[17].inner_text;

  int kept_total = 0, window_kept_total = 0;
  for (size_t f = 0; f < frames.size(); ++f) {
    if (f == 7) fill_image(220);  // the texture is re-coloured under the same GL name
    ImDrawData* dd = build_frame(frames[f]);
    const std::vector<uint8_t> want = reference_pixels(dd, clear);

    kept_.bind();
    const FrameCache::Stats st = fbo_cache.render(dd, kWidth, kHeight, clear, texture_generation(), false);
    const std::vector<uint8_t> got = kept_.read_rgba();

    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    const FrameCache::Stats wst = window_cache.render(dd, kWidth, kHeight, clear, texture_generation(), true);
    glReadBuffer(GL_BACK);
    const std::vector<uint8_t> shown = gl::read_pixels_rgba(0, 0, kWidth, kHeight);
    const std::vector<uint8_t> want_shown = window_reference_pixels(dd, clear);
    glfwSwapBuffers(window_);

    const Diff d = compare(got, want, false);
    EXPECT_EQ(d.count, 0) << "FBO target, frame " << f << ": " << describe(d);
    const Diff dw = compare(shown, want_shown, true);
    EXPECT_EQ(dw.count, 0) << "window target, frame " << f << ": " << describe(dw);
    kept_total += st.lists_reused;
    window_kept_total += wst.lists_reused;
    if (f == 0) {
      EXPECT_TRUE(st.full);
    }
    if (f == 2 || f == 13) {
      // Nothing changed since the frame before: every list keeps its pixels (root, a, b, c and
      // the window nested in c).
      EXPECT_FALSE(st.full) << "frame " << f;
      EXPECT_EQ(st.lists_changed, 0) << "frame " << f;
      EXPECT_EQ(st.lists_clipped, 0) << "frame " << f;
      EXPECT_EQ(st.lists_reused, 5) << "frame " << f;
      EXPECT_EQ(st.pixels_cleared, 0) << "frame " << f;
    }
    if (f == 3) {
      EXPECT_EQ(st.lists_changed, 1) << "only window b changed";
      EXPECT_LE(st.pixels_cleared, 160 * 130) << "only b's place (150 x 120 and a few pixels of fringe) is wiped";
    }
    if (f == 7) {
      EXPECT_GE(st.lists_changed, 1) << "window c shows a re-coloured texture";
    }
    if (f == 16 || f == 18) {
      // The tooltip and the windows under it are as they were: nothing is drawn at all.
      EXPECT_EQ(st.lists_changed, 0) << "frame " << f;
      EXPECT_EQ(st.lists_clipped, 0) << "frame " << f;
    }
    if (f == 17) {
      // Only the nested window changed: its rectangle is wiped, and window c (which holds it) is
      // drawn again there only.
      EXPECT_EQ(st.lists_changed, 1);
      EXPECT_EQ(st.lists_clipped, 1);
      EXPECT_LE(st.pixels_cleared, 100 * 50) << "only the nested window's place (90 x 40 and its fringe)";
    }
  }
  EXPECT_GT(kept_total, 35);
  // Mesa's software GLX keeps the back buffer across swaps; the cache saw that through its check
  // pixel and kept pictures in the window too.
  std::printf("window back buffer: %d lists kept over %zu frames\n", window_kept_total, frames.size());
  EXPECT_GT(window_kept_total, 0);
}

TEST_F(FrameCacheGl, LostWindowPixelsAreNoticedAndEverythingIsDrawnAgain) {
  fill_image(90);
  const ImVec4 clear(0.96f, 0.96f, 0.97f, 1.0f);
  FrameCache cache;
  const Script script;
  for (int f = 0; f < 4; ++f) {
    const FrameCache::Stats st = window_frame(cache, script, clear, f == 2);
    glReadBuffer(GL_BACK);
    const std::vector<uint8_t> shown = gl::read_pixels_rgba(kWidth / 2, kHeight - 2, 1, 1);
    glfwSwapBuffers(window_);
    if (f == 2) {
      EXPECT_TRUE(st.full);
      EXPECT_EQ(st.lists_reused, 0);
      // The top edge (root window padding) is the clear colour again, not the red.
      EXPECT_NEAR(shown[0], 245, 2);
      EXPECT_NEAR(shown[1], 245, 2);
    }
    if (f == 3) {
      EXPECT_FALSE(st.full);
    }
  }
}

TEST_F(FrameCacheGl, AWindowThatNeverKeepsItsPixelsIsDrawnWholeWithoutChecks) {
  fill_image(90);
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  FrameCache cache;
  const Script script;
  for (int f = 0; f < 8; ++f) {
    const FrameCache::Stats st = window_frame(cache, script, clear, f >= 1 && f <= 3);  // three lost in a row
    glfwSwapBuffers(window_);
    EXPECT_TRUE(st.full) << "frame " << f;
    if (f >= 3) {
      EXPECT_EQ(st.lists_reused, 0) << "frame " << f;
    }
  }
  // The check pixel is no longer written (it would change every frame): (0, 0) keeps the clear
  // colour, round(0.14 * 255) = 36 in blue.
  glReadBuffer(GL_BACK);
  for (int f = 0; f < 2; ++f) {
    build_frame(script);
    cache.render(ImGui::GetDrawData(), kWidth, kHeight, clear, texture_generation(), true);
    EXPECT_EQ(gl::read_pixels_rgba(0, 0, 1, 1)[2], 36) << "frame " << f;
    glfwSwapBuffers(window_);
  }
}

// The run of lost frames that makes the cache give up is one of consecutive frames: a frame drawn
// whole for another reason (here invalidate(), as after a font rebuild) checks nothing and ends it.
TEST_F(FrameCacheGl, AFullRedrawBetweenLostFramesEndsTheRun) {
  fill_image(90);
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  FrameCache cache;
  const Script script;
  for (int f = 0; f < 7; ++f) {
    if (f == 3) cache.invalidate();
    const bool lose = f == 1 || f == 2 || f == 4 || f == 5;  // lost, lost, whole, lost, lost
    const FrameCache::Stats st = window_frame(cache, script, clear, lose);
    glfwSwapBuffers(window_);
    EXPECT_TRUE(st.full || f == 6) << "frame " << f;
    if (f == 6) {
      EXPECT_FALSE(st.full) << "two lost frames, a whole one, two lost frames: no three in a row";
      EXPECT_EQ(st.lists_changed, 0);
      EXPECT_EQ(st.lists_reused, 5);
    }
  }
}

// render() sets up the state it relies on: a scissor test left on by the caller does not cut its
// clears short, and the check pixel is read from the back buffer whatever read framebuffer is
// bound.
TEST_F(FrameCacheGl, StateLeftByTheCallerDoesNotChangeThePicture) {
  fill_image(40);
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  create_targets();
  FrameCache fbo_cache, window_cache;
  const Script script;
  for (int f = 0; f < 4; ++f) {
    ImDrawData* dd = build_frame(script);
    const std::vector<uint8_t> want = reference_pixels(dd, clear);

    kept_.bind();
    if (f == 0) {  // garbage where a scissored clear would leave it
      glClearColor(1.0f, 0.0f, 0.0f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
    }
    glEnable(GL_SCISSOR_TEST);
    glScissor(0, 0, 16, 16);
    fbo_cache.render(dd, kWidth, kHeight, clear, texture_generation(), false);
    glDisable(GL_SCISSOR_TEST);
    const Diff d = compare(kept_.read_rgba(), want, false);
    EXPECT_EQ(d.count, 0) << "frame " << f << ": " << describe(d);

    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, reference_.id());
    const FrameCache::Stats st = window_cache.render(dd, kWidth, kHeight, clear, texture_generation(), true);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glfwSwapBuffers(window_);
    if (f > 0) {
      EXPECT_FALSE(st.full) << "frame " << f << ": the check pixel was read from another framebuffer";
    }
  }
}

// A texture re-coloured in place makes only the lists that show it draw again.
TEST_F(FrameCacheGl, OnlyListsShowingAChangedTextureAreDrawnAgain) {
  fill_image(40);
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  create_targets();
  FrameCache cache;
  const Script script;
  const std::vector<uint8_t> none(16 * 16 * 4, 0);
  const gl::Texture unseen = gl::Texture::create(gl::TextureFormat::kRGBA8, 16, 16, none.data());
  const auto frame = [&] {
    ImDrawData* dd = build_frame(script);
    const std::vector<uint8_t> want = reference_pixels(dd, clear);
    kept_.bind();
    const FrameCache::Stats st = cache.render(dd, kWidth, kHeight, clear, texture_generation(), false);
    const Diff d = compare(kept_.read_rgba(), want, false);
    EXPECT_EQ(d.count, 0) << describe(d);
    return st;
  };
  frame();
  frame();
  mark_texture_changed(unseen.id());
  EXPECT_EQ(frame().lists_changed, 0) << "no window shows that texture";
  std::vector<uint8_t> rgba(16 * 16 * 4, 255);
  image_.upload(rgba.data());
  mark_texture_changed(image_.id());
  const FrameCache::Stats st = frame();
  EXPECT_EQ(st.lists_changed, 1) << "window c shows it";
  EXPECT_LE(st.pixels_cleared, 230 * 160) << "only c's place (220 x 150 and a few pixels of fringe) is wiped";
}

// A list whose clip rectangle has fractional edges (as a heatmap inside a view at a fractional
// position has) is drawn again, where a tooltip was, exactly as a whole frame draws it:
// imgui_impl_opengl3 truncates the scissor's size, so narrowing such a clip rectangle to the
// tooltip's place in display coordinates loses the place's last column or first row.
TEST_F(FrameCacheGl, FractionalClipRectanglesAreDrawnAgainAsInAWholeFrame) {
  const ImVec4 clear(0.11f, 0.12f, 0.14f, 1.0f);
  create_targets();
  FrameCache cache;
  // Tooltips across the clip rectangle's left and top edges, ending inside it: the places wiped
  // start outside the clip rectangle and end inside it.
  const std::vector<ImVec2> tooltip_at = {{-1, -1}, {-1, -1}, {6, 12}, {6, 12}, {12, 20}, {-1, -1}, {-1, -1}};
  for (size_t f = 0; f < tooltip_at.size(); ++f) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("##root", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoBackground);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(ImVec2(20.5f, 30.5f), ImVec2(300.5f, 250.5f), true);
    dl->AddRectFilled(ImVec2(0, 0), ImVec2(kWidth, kHeight), IM_COL32(60, 160, 90, 255));
    dl->PopClipRect();
    ImGui::End();
    if (tooltip_at[f].x >= 0.0f) {
      ImGui::SetNextWindowPos(tooltip_at[f]);
      ImGui::BeginTooltip();
      ImGui::TextUnformatted("a tooltip over a clip rectangle");
      ImGui::TextUnformatted("with fractional edges");
      ImGui::EndTooltip();
    }
    ImGui::Render();
    ImDrawData* dd = ImGui::GetDrawData();
    const std::vector<uint8_t> want = reference_pixels(dd, clear);
    kept_.bind();
    const FrameCache::Stats st = cache.render(dd, kWidth, kHeight, clear, texture_generation(), false);
    const Diff d = compare(kept_.read_rgba(), want, false);
    EXPECT_EQ(d.count, 0) << "frame " << f << ": " << describe(d);
    if (f == 4 || f == 5) {
      EXPECT_FALSE(st.full) << "frame " << f;
      EXPECT_GE(st.lists_clipped, 1) << "frame " << f << ": the root is drawn again where the tooltip was";
    }
  }
}

// Heatmap::warm_up draws its pictures through imgui_impl_opengl3 (as ImGui frames draw images)
// into the top-left pixel of the bound framebuffer only, and leaves the viewport as it was.
TEST_F(FrameCacheGl, HeatmapWarmUpDrawsOnlyTheTopLeftPixel) {
  create_targets();
  kept_.bind();
  glViewport(0, 0, kWidth, kHeight);
  glClearColor(1.0f, 0.0f, 1.0f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  glViewport(0, 0, kWidth, kHeight);
  while (glGetError() != GL_NO_ERROR) {
  }
  Heatmap::warm_up();
  EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
  GLint viewport[4] = {};
  glGetIntegerv(GL_VIEWPORT, viewport);
  EXPECT_EQ(viewport[2], kWidth);
  EXPECT_EQ(viewport[3], kHeight);
  const std::vector<uint8_t> px = kept_.read_rgba();  // GL order: row 0 at the bottom
  long changed = 0;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const size_t i = (static_cast<size_t>(y) * kWidth + static_cast<size_t>(x)) * 4;
      const bool magenta = px[i] == 255 && px[i + 1] == 0 && px[i + 2] == 255;
      if (!magenta && !(x == 0 && y == kHeight - 1)) ++changed;
    }
  }
  EXPECT_EQ(changed, 0) << "pixels other than the top-left one were drawn";
  const size_t top_left = static_cast<size_t>(kHeight - 1) * kWidth * 4;
  EXPECT_FALSE(px[top_left] == 255 && px[top_left + 1] == 0 && px[top_left + 2] == 255)
      << "the warm-up drew nothing through ImGui's renderer";
}

TEST(SoftwareRenderer, NamesOfSoftwareRasterisersOnly) {
  EXPECT_TRUE(software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)"));
  EXPECT_TRUE(software_renderer("softpipe"));
  EXPECT_TRUE(software_renderer("Mesa DRI swrast"));
  EXPECT_FALSE(software_renderer("AMD Radeon RX 6800 (navi21, LLVM 15.0.6, DRM 3.49, 6.1.0-18-amd64)"));
  EXPECT_FALSE(software_renderer("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  EXPECT_FALSE(software_renderer("NVIDIA GeForce RTX 3080/PCIe/SSE2"));
  EXPECT_FALSE(software_renderer(""));
  EXPECT_FALSE(software_renderer(nullptr));
}

TEST_F(FrameCacheGl, XvfbRendersInSoftware) {
  const auto* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  EXPECT_TRUE(software_renderer(renderer)) << (renderer ? renderer : "(null)");
}

}  // namespace
}  // namespace rope::viz
