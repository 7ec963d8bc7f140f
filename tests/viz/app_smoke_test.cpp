// N-frame smoke tests of the whole GUI on an ImGui context with no backend (as in ImGui's
// examples/example_null): every panel is drawn, simulated keys and edits change the state, and
// the derived results arrive from the worker threads.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <imgui.h>
#include <imgui_internal.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include "gui/app_state.h"
#include "gui/frame.h"
#include "gui/presets.h"
#include "gui/session.h"
#include "panels/panels.h"
#include "viz/context.h"
#include "viz/font.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

constexpr float kDt = 1.0f / 60.0f;

class GuiSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ropescope_smoke_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ::setenv("ROPESCOPE_CONFIG_DIR", dir_.c_str(), 1);
    viz::set_gl_enabled(false);
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1600.0f, 1000.0f);
    io.DeltaTime = kDt;
    viz::load_ui_font(17.0f, 1.0f);
    io.Fonts->Build();
    viz::apply_theme(viz::Theme::kDark);
  }
  void TearDown() override {
    ImGui::DestroyContext();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // One frame of the real app: shortcuts, sync, the whole window.
  void frame(const FrameOptions& options = {}) {
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = kDt;
    ImGui::NewFrame();
    handle_shortcuts(state_);
    sync_derived(state_, derived_, workers_);
    draw_frame(state_, derived_, options);
    ImGui::Render();
    // The frame is "on screen" once rendered (no GL here): what the latency read-outs wait for.
    if (heatmaps_answer_open(derived_)) note_heatmaps_on_screen(derived_, std::chrono::steady_clock::now());
    const ImGuiContext& g = *ImGui::GetCurrentContext();
    ASSERT_EQ(g.CurrentWindowStack.Size, 0) << "unbalanced Begin/End";
    ASSERT_FALSE(g.WithinFrameScope);
    ASSERT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
  }
  void frames(int n) {
    for (int i = 0; i < n; ++i) frame();
  }
  // A frame of the heatmaps panel and the status bar alone, in a window of their own (ImGui's log
  // ends with the first top-level window), returning the text they draw through ImGui's text items.
  std::string panel_text() {
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = kDt;
    ImGui::NewFrame();
    sync_derived(state_, derived_, workers_);
    ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(1400.0f, 700.0f));
    ImGui::Begin("##panel_text", nullptr, ImGuiWindowFlags_NoDecoration);
    ImGui::LogToBuffer();
    draw_heatmaps_panel(state_, derived_);
    draw_status_bar(state_, derived_);
    std::string text = ImGui::GetCurrentContext()->LogBuffer.c_str();
    ImGui::LogFinish();
    ImGui::End();
    ImGui::Render();
    if (heatmaps_answer_open(derived_)) note_heatmaps_on_screen(derived_, std::chrono::steady_clock::now());
    return text;
  }
  // Draws frames until done() holds (checked after each) or 30 s pass; returns whether it held.
  template <class Done>
  bool frames_until(Done done) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
      frame();
      if (done()) return true;
    }
    return false;
  }
  // The active window whose name contains `part`, or null.
  static ImGuiWindow* window_named(const std::string& part) {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (w->Active && std::string(w->Name).find(part) != std::string::npos) return w;
    return nullptr;
  }
  // The vertices of a view's own draw list (not those of the child windows in it).
  static std::vector<ImDrawVert> view_own_vertices(const std::string& view) {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
      const std::string name = w->Name;
      const size_t at = name.find("##view_" + view);
      if (w->Active && at != std::string::npos && name.find('/', at) == std::string::npos)
        return {w->DrawList->VtxBuffer.Data, w->DrawList->VtxBuffer.Data + w->DrawList->VtxBuffer.Size};
    }
    return {};
  }
  // The heatmaps at seq_len, everything computed.
  std::shared_ptr<const HeatmapResult> settled_heatmaps(int64_t seq_len) {
    state_.params.config.seq_len = seq_len;
    frames(2);
    settle();
    return derived_.heatmaps;
  }
  // A frame without sync_derived that hands the panels `result` as the heatmaps snapshot.
  void draw_with(std::shared_ptr<const HeatmapResult> result) {
    derived_.heatmaps = std::move(result);
    ImGui::NewFrame();
    draw_frame(state_, derived_);
    ImGui::Render();
  }
  void press(int key, bool ctrl = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeyCtrl = ctrl;
    io.KeysDown[key] = true;
    frame();
    io.KeysDown[key] = false;
    io.KeyCtrl = false;
    frame();
  }
  // Waits for the workers and draws until nothing new is requested (the heatmaps panel asks
  // for the cells it shows at its size once it has seen them).
  void settle() {
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(wait_for_results(state_, derived_, workers_));
      frame();
      if (!derived_.heatmaps_pending && !derived_.decay_pending && derived_.heatmaps &&
          derived_.heatmaps->key == current_heat_key(derived_))
        break;
    }
    frame();
    ASSERT_FALSE(derived_.heatmaps_pending);
  }

  std::filesystem::path dir_;
  AppState state_;
  Derived derived_;
  Workers workers_;
};

TEST_F(GuiSmoke, DefaultStartComputesEveryView) {
  frames(3);
  settle();
  ASSERT_TRUE(derived_.has_valid);
  EXPECT_EQ(derived_.freqs.rotary_dim, 128);
  // T = seq_len 1024 (no original context): 2 ceil(64 log_1e4(1024 / 2 pi)) = 2 * 36.
  EXPECT_EQ(derived_.critical_dimension, 72);
  ASSERT_TRUE(derived_.decay);
  EXPECT_NEAR(derived_.decay->roformer_bound.front(), 32.5, 0.5);
  ASSERT_TRUE(derived_.heatmaps);
  // Computed for the whole matrix at the resolution the panel shows: at most one texel per pixel.
  const HeatmapResult& r = *derived_.heatmaps;
  const HeatWindow& w = derived_.heat_window;
  EXPECT_EQ(w.seq_len, 1024);
  EXPECT_GT(w.width_px, 50);
  EXPECT_GT(w.height_px, 50);
  EXPECT_EQ(r.key.window, w);
  EXPECT_EQ(r.m0, 0);
  EXPECT_EQ(r.m1, 1024);
  EXPECT_LE(r.rotary.cols, w.width_px);
  EXPECT_LE(r.rotary.rows, w.height_px);
  EXPECT_EQ(r.cols_per_texel, (1024 + w.width_px - 1) / w.width_px);
  // The matrix is square and so is its image (axes or not): a texel covers as many rows as
  // columns, and the diagonal runs at 45 degrees.
  EXPECT_EQ(w.width_px, w.height_px);
  EXPECT_EQ(r.rows_per_texel, r.cols_per_texel);
  EXPECT_EQ(r.rotary.rows, r.rotary.cols);
  EXPECT_TRUE(r.rotary.available);
  EXPECT_TRUE(r.absolute.available);
  // The panel handed the images to the heatmap widgets (no GL: size recorded only), over the
  // logical 1024 x 1024 matrix.
  EXPECT_EQ(derived_.heat_gl.maps[1].rows(), r.rotary.rows);
  EXPECT_EQ(derived_.heat_gl.maps[1].cols(), r.rotary.cols);
  EXPECT_EQ(derived_.heat_gl.maps[1].logical_rows(), 1024);
  EXPECT_FALSE(derived_.heatmaps_pending);
  EXPECT_FALSE(state_.status_is_error) << state_.status;
}

// The child window of a view (its ImGui name ends in "##view_<key>_<id>").
const ImGuiWindow* view_window(const char* key) {
  const std::string tag = std::string("##view_") + key + "_";
  for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
    if (w->Active && std::string(w->Name).find(tag) != std::string::npos) return w;
  return nullptr;
}

TEST_F(GuiSmoke, WideWindowsGiveTheHeatmapsTheWholeWidthBelowThePlots) {
  frames(3);
  settle();
  const ImGuiWindow* heat = view_window("heatmaps");
  const ImGuiWindow* freq = view_window("frequencies");
  const ImGuiWindow* rot = view_window("rotation");
  const ImGuiWindow* decay = view_window("decay");
  ASSERT_TRUE(heat && freq && rot && decay);
  // 1600 x 1000: the three plots in one row, the heatmaps below over the same width.
  EXPECT_EQ(freq->Pos.y, rot->Pos.y);
  EXPECT_EQ(rot->Pos.y, decay->Pos.y);
  EXPECT_GT(heat->Pos.y, freq->Pos.y + freq->Size.y - 1.0f);
  EXPECT_NEAR(heat->Pos.x, freq->Pos.x, 0.5f);
  EXPECT_NEAR(heat->Pos.x + heat->Size.x, decay->Pos.x + decay->Size.x, 0.5f);
  // Each of the three maps gets over 200 pixels (about 150 in the 2 x 2 grid), square.
  EXPECT_GT(derived_.heat_window.width_px, 200);
  EXPECT_EQ(derived_.heat_window.height_px, derived_.heat_window.width_px);

  // A narrow window keeps the 2 x 2 grid: decay and heatmaps share the bottom row.
  ImGui::GetIO().DisplaySize = ImVec2(1200.0f, 800.0f);
  frames(3);
  heat = view_window("heatmaps");
  decay = view_window("decay");
  freq = view_window("frequencies");
  ASSERT_TRUE(heat && decay && freq);
  EXPECT_EQ(heat->Pos.y, decay->Pos.y);
  EXPECT_GT(decay->Pos.y, freq->Pos.y + freq->Size.y - 1.0f);
}

TEST_F(GuiSmoke, KeysMaximiseAndRestoreEveryView) {
  frames(2);
  for (int v = 0; v < kViewCount; ++v) {
    press(GLFW_KEY_F1 + v);
    EXPECT_EQ(state_.ui.maximised, v);
    frames(3);  // the maximised view draws alone
    press(GLFW_KEY_ESCAPE);
    EXPECT_EQ(state_.ui.maximised, -1);
  }
  press(GLFW_KEY_F3);
  press(GLFW_KEY_F3);  // the same key toggles back
  EXPECT_EQ(state_.ui.maximised, -1);
}

TEST_F(GuiSmoke, CtrlPlusMinusChangeTheFontSize) {
  frames(1);
  const float before = state_.ui.font_size;
  press(GLFW_KEY_EQUAL, true);
  EXPECT_FLOAT_EQ(state_.ui.font_size, before + 1.0f);
  EXPECT_TRUE(state_.request_font_rebuild);
  press(GLFW_KEY_MINUS, true);
  press(GLFW_KEY_MINUS, true);
  EXPECT_FLOAT_EQ(state_.ui.font_size, before - 1.0f);
  press(GLFW_KEY_0, true);
  EXPECT_FLOAT_EQ(state_.ui.font_size, kDefaultFontSize);
}

TEST_F(GuiSmoke, InvalidValueKeepsTheLastValidState) {
  frames(2);
  state_.params.config.head_dim = 0;  // rejected by core::validate
  frames(2);
  EXPECT_TRUE(state_.status_is_error);
  EXPECT_NE(state_.status.find("invalid"), std::string::npos) << state_.status;
  EXPECT_EQ(derived_.valid_params.config.head_dim, 128);
  state_.params.config.head_dim = 64;
  frames(1);
  EXPECT_FALSE(state_.status_is_error) << state_.status;
  EXPECT_EQ(derived_.freqs.rotary_dim, 64);
}

TEST_F(GuiSmoke, StartupMessagesSurviveTheFirstFrames) {
  state_.set_status("settings.json: ignored (bad JSON); using defaults", true);
  frames(3);
  EXPECT_TRUE(state_.status_is_error);
  EXPECT_NE(state_.status.find("settings.json"), std::string::npos);
}

TEST_F(GuiSmoke, EveryPresetLoadsAndDraws) {
  ASSERT_EQ(presets().size(), 7u);
  for (size_t i = 0; i < presets().size(); ++i) {
    ASSERT_TRUE(apply_preset(state_, i)) << presets()[i].name << ": " << state_.status;
    frames(2);
    EXPECT_TRUE(derived_.has_valid);
    EXPECT_EQ(derived_.valid_params, state_.params) << presets()[i].name;
  }
  // Spot checks against the public config.json files.
  apply_preset(state_, 1);  // Llama-3.1-8B
  frames(1);
  EXPECT_EQ(derived_.freqs.scaling, core::ScalingType::kLlama3);
  EXPECT_DOUBLE_EQ(derived_.freqs.base, 500000.0);
  apply_preset(state_, 4);  // GPT-NeoX-20B: head_dim 96, rotary_pct 0.25
  frames(1);
  EXPECT_EQ(derived_.freqs.head_dim, 96);
  EXPECT_EQ(derived_.freqs.rotary_dim, 24);
  apply_preset(state_, 6);  // DeepSeek-V2-Lite: yarn on the 64-dim rope head
  frames(1);
  EXPECT_EQ(derived_.freqs.scaling, core::ScalingType::kYarn);
  EXPECT_EQ(derived_.freqs.rotary_dim, 64);
  settle();
  EXPECT_EQ(derived_.heatmaps->key.config, state_.params.config);
}

TEST_F(GuiSmoke, NewestChangeSupersedesStaleWork) {
  frames(1);
  for (int64_t n : {8192, 4096, 2048, 16384, 300}) {
    state_.params.config.seq_len = n;
    frame();
  }
  settle();
  ASSERT_TRUE(derived_.heatmaps);
  EXPECT_EQ(derived_.heatmaps->seq_len, 300);
  EXPECT_EQ(derived_.heatmaps->key.window.seq_len, 300);
  EXPECT_EQ(derived_.heat_gl.maps[0].rows(), derived_.heatmaps->absolute.rows);
  EXPECT_EQ(derived_.heat_gl.maps[0].logical_rows(), 300);
  EXPECT_GT(derived_.last_heatmap_latency_ms, 0.0);
}

// A slider drag at long context: the base changes every frame. The heatmaps keep showing newer
// coarse pictures, labelled as such, with the computing mark and the picture's age, and the
// window asked for does not move (the labels change no layout); once the input rests, the refined
// picture of the last base, and no mark.
TEST_F(GuiSmoke, ADragShowsLabelledCoarsePicturesWithTheComputingMarkAndTheirAge) {
  state_.params.config.seq_len = kCoarseMinTokens;
  // Until the panel's picture is refined and current (waiting for the workers between frames).
  const auto settle_panel = [&] {
    for (int i = 0; i < 8; ++i) {
      panel_text();
      ASSERT_TRUE(wait_for_results(state_, derived_, workers_));
      if (derived_.heatmaps && derived_.heatmaps->key == current_heat_key(derived_)) break;
    }
    panel_text();
  };
  settle_panel();
  ASSERT_TRUE(derived_.heatmaps);
  ASSERT_FALSE(derived_.heatmaps->coarse);
  const HeatWindow window = derived_.heat_window;
  const double base0 = state_.params.config.base;
  std::vector<double> coarse_bases;
  bool busy = false, age = false, label = false;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    state_.params.config.base *= 1.002;
    const std::string text = panel_text();
    const auto& r = derived_.heatmaps;
    if (r && r->coarse && (coarse_bases.empty() || coarse_bases.back() != r->key.config.base))
      coarse_bases.push_back(r->key.config.base);
    busy = busy || derived_.heatmaps_busy;  // the title strip's computing mark (frame.cpp)
    age = age || text.find("picture from ") != std::string::npos;
    label = label || text.find("coarse preview (128 x 128 texels)") != std::string::npos;
    EXPECT_EQ(derived_.heat_window, window);
    if (coarse_bases.size() >= 3 && busy && age && label) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(8));
  }
  EXPECT_GE(coarse_bases.size(), 3u) << "the heatmaps stopped moving during the drag";
  EXPECT_TRUE(busy) << "no computing mark while the picture was older than the parameters";
  EXPECT_TRUE(age) << "no picture age on the panel";
  EXPECT_TRUE(label) << "the coarse picture is not labelled";
  ASSERT_FALSE(coarse_bases.empty());
  EXPECT_GT(coarse_bases.front(), base0);
  settle_panel();
  ASSERT_TRUE(derived_.heatmaps);
  EXPECT_FALSE(derived_.heatmaps->coarse);
  EXPECT_EQ(derived_.heatmaps->key.config.base, state_.params.config.base);
  EXPECT_FALSE(derived_.heatmaps_busy);
  const std::string text = panel_text();
  EXPECT_EQ(text.find("picture from "), std::string::npos) << text;
  EXPECT_EQ(text.find("coarse preview ("), std::string::npos) << text;
  // The status bar's read-out: the last change, to its refined picture on screen.
  EXPECT_NE(text.find("heatmaps: on screen "), std::string::npos) << text;
  EXPECT_GE(derived_.last_heatmap_latency_ms, derived_.last_heatmap_coarse_latency_ms);
}

// The latency read-out ends when the picture is drawn, not when it is ready: a change made while
// another view is maximised (the heatmaps are not drawn) stays open until they are shown again.
TEST_F(GuiSmoke, TheLatencyReadOutWaitsForThePictureOnScreen) {
  ASSERT_TRUE(settled_heatmaps(2048));
  const double before = derived_.last_heatmap_latency_ms;
  state_.ui.maximised = static_cast<int>(ViewId::kFrequencies);
  frame();
  state_.params.config.base *= 1.5;
  frame();
  ASSERT_TRUE(wait_for_results(state_, derived_, workers_));
  frames(2);
  EXPECT_TRUE(derived_.heat_latency_open) << "closed although the picture was never drawn";
  EXPECT_EQ(derived_.last_heatmap_latency_ms, before);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  state_.ui.maximised = -1;
  frames(2);
  settle();
  EXPECT_FALSE(derived_.heat_latency_open);
  EXPECT_GE(derived_.last_heatmap_latency_ms, 60.0);
}

TEST_F(GuiSmoke, RotationAnimatesWithDeltaTime) {
  state_.rotation.playing = true;
  state_.rotation.speed = 6.0f;
  state_.rotation.trace_length = 1000;
  frames(30);
  EXPECT_NEAR(state_.rotation.position, 30 * 6.0 * kDt, 1e-6);
  state_.rotation.playing = false;
  const double pos = state_.rotation.position;
  frames(5);
  EXPECT_EQ(state_.rotation.position, pos);
  EXPECT_EQ(rotation_pairs(state_.rotation, 64), (std::array<int, 3>{0, 31, 63}));
  press(GLFW_KEY_SPACE);
  EXPECT_TRUE(state_.rotation.playing);
  press(GLFW_KEY_SPACE);
  EXPECT_FALSE(state_.rotation.playing);
}

TEST_F(GuiSmoke, EveryScalingTypeAndModeDraws) {
  for (core::ScalingType t : {core::ScalingType::kLinear, core::ScalingType::kNtk, core::ScalingType::kDynamic,
                              core::ScalingType::kYarn, core::ScalingType::kLlama3}) {
    state_.params.config.scaling = core::RopeScaling{};
    state_.params.config.scaling.type = t;
    state_.params.config.scaling.factor = 4.0;
    state_.params.config.scaling.alpha = 4.0;
    state_.params.config.scaling.original_max = 512;
    state_.params.config.scaling.low_freq_factor = 1.0;
    state_.params.config.scaling.high_freq_factor = 4.0;
    state_.params.config.max_position_embeddings = 512;
    state_.params.softmax = !state_.params.softmax;
    state_.params.content = t == core::ScalingType::kYarn ? core::ContentKind::kRandom : core::ContentKind::kConstant;
    state_.freq_axis = state_.freq_axis == FreqAxis::kTheta ? FreqAxis::kWavelength : FreqAxis::kTheta;
    frames(2);
    EXPECT_FALSE(state_.status_is_error) << core::to_string(t) << ": " << state_.status;
    EXPECT_EQ(derived_.freqs.scaling, t);
  }
  settle();
  state_.ui.theme = viz::Theme::kLight;
  viz::apply_theme(viz::Theme::kLight);
  frames(2);
}

TEST_F(GuiSmoke, HoverEverywhereThenZoomTheHeatmapsTogether) {
  settle();
  ImGuiIO& io = ImGui::GetIO();
  // Sweep the mouse over the whole window: every plot's and heatmap's hover read-out runs.
  for (float y = 5.0f; y < 1000.0f; y += 37.0f)
    for (float x = 5.0f; x < 1600.0f; x += 53.0f) {
      io.MousePos = ImVec2(x, y);
      frame();
    }
  // Wheel over the heatmap area until one map zooms; the three maps then share the view.
  const viz::HeatmapView full = derived_.heat_gl.maps[1].view();
  bool zoomed = false;
  for (float y = 480.0f; y < 1000.0f && !zoomed; y += 20.0f)
    for (float x = 700.0f; x < 1600.0f && !zoomed; x += 20.0f) {
      io.MousePos = ImVec2(x, y);
      frame();
      io.MouseWheel = 1.0f;
      frame();
      io.MouseWheel = 0.0f;
      zoomed = !(derived_.heat_gl.shared_view == full);
    }
  ASSERT_TRUE(zoomed) << "no heatmap reacted to the mouse wheel";
  const int64_t cols_per_texel_before = derived_.heatmaps->cols_per_texel;
  frame();
  const viz::HeatmapView shared = derived_.heat_gl.shared_view;
  EXPECT_LT(shared.x1 - shared.x0, full.x1 - full.x0);
  for (const viz::Heatmap& hm : derived_.heat_gl.maps) EXPECT_EQ(hm.view(), shared);
  // Zoomed in, the maps ask for the visible cells only, at finer blocks, and get them.
  settle();
  const HeatmapResult& r = *derived_.heatmaps;
  EXPECT_LE(r.cols_per_texel, cols_per_texel_before);
  EXPECT_LE(r.n0, shared.x0);
  EXPECT_GE(r.n1, std::min(shared.x1, 1024.0));
  EXPECT_LE(r.m0, shared.y0);
  EXPECT_GE(r.m1, std::min(shared.y1, 1024.0));
  EXPECT_LT(r.n1 - r.n0, 1024);
  // Zoom in until every texel is one cell.
  for (int i = 0; i < 40 && !derived_.heatmaps->exact_cells(); ++i) {
    io.MouseWheel = 1.0f;
    frame();
    io.MouseWheel = 0.0f;
    settle();
  }
  EXPECT_TRUE(derived_.heatmaps->exact_cells());
  // A pan asks for the new cells; the old picture stays until they arrive.
  viz::HeatmapView moved = derived_.heat_gl.shared_view;
  moved.x0 -= 7.0;
  moved.x1 -= 7.0;
  derived_.heat_gl.shared_view = moved;
  frame();
  EXPECT_GT(derived_.heat_gl.maps[1].rows(), 0);
  settle();
  EXPECT_LE(derived_.heatmaps->n0, std::max(0.0, derived_.heat_gl.shared_view.x0));
}

// The heatmaps are asked for once the panel has been drawn and knows the window it shows; the
// first frame, before any layout, asks for nothing (its default window would be computed and
// shown for nothing, a frame before the real one).
TEST_F(GuiSmoke, HeatmapsAreRequestedOnlyWithThePanelsWindow) {
  state_.params.config.seq_len = 131072;
  frame();
  EXPECT_FALSE(derived_.submitted_heat.has_value());
  EXPECT_TRUE(derived_.submitted_decay.has_value());
  frame();
  ASSERT_TRUE(derived_.submitted_heat.has_value());
  EXPECT_EQ(derived_.submitted_heat->window.seq_len, 131072);
  EXPECT_GT(derived_.submitted_heat->window.width_px, 0);
  EXPECT_EQ(derived_.submitted_heat->window, derived_.heat_window);
}

// A map whose values did not change is not handed to its widget again: the rotary map of a
// partial result comes again in the final one (each hand-over re-uploads and re-colours it).
TEST_F(GuiSmoke, AnUnchangedMapIsNotUploadedAgain) {
  const auto final_result = settled_heatmaps(2048);
  ASSERT_TRUE(final_result);
  HeatmapResult partial = *final_result;
  partial.partial = true;
  partial.absolute = HeatMatrix{};
  partial.difference = HeatMatrix{};
  const std::array<int, 3> before = derived_.heat_gl.uploads;
  draw_with(std::make_shared<const HeatmapResult>(partial));
  EXPECT_EQ(derived_.heat_gl.uploads, before);  // the rotary map is the one shown; the others wait
  draw_with(final_result);
  EXPECT_EQ(derived_.heat_gl.uploads[1], before[1]);
  EXPECT_EQ(derived_.heat_gl.uploads[0], before[0] + 1);
  EXPECT_EQ(derived_.heat_gl.uploads[2], before[2] + 1);
  HeatmapResult rebased = *final_result;
  rebased.rotary.values.back() += 1.0f;
  draw_with(std::make_shared<const HeatmapResult>(rebased));
  EXPECT_EQ(derived_.heat_gl.uploads[1], before[1] + 1);
  EXPECT_EQ(derived_.heat_gl.uploads[0], before[0] + 1);
}

// The heatmaps panel is laid out before its first result as it is afterwards: the arrival
// changes only its child windows (maps, progress, summary), whose rectangles are all the frame
// cache draws again under software GL. The panel's own draw list stays the same, vertex for vertex.
TEST_F(GuiSmoke, TheFirstHeatmapsChangeOnlyTheirPartsOfThePanel) {
  const auto result = settled_heatmaps(2048);
  ASSERT_TRUE(result);
  struct Seen {
    std::vector<ImDrawVert> panel;  // the heatmaps view's own list
    ImVec2 part_pos{-1.0f, -1.0f}, part_size{0.0f, 0.0f};  // the rotary map's part
  };
  const auto look = [] {
    Seen seen;
    seen.panel = view_own_vertices("heatmaps");
    if (const ImGuiWindow* part = window_named("##heat_part1")) {
      seen.part_pos = part->Pos;
      seen.part_size = part->Size;
    }
    return seen;
  };
  draw_with(nullptr);
  draw_with(nullptr);
  const Seen before = look();
  draw_with(result);
  const Seen after = look();
  ASSERT_FALSE(before.panel.empty());
  ASSERT_EQ(before.panel.size(), after.panel.size());
  EXPECT_EQ(std::memcmp(before.panel.data(), after.panel.data(), before.panel.size() * sizeof(ImDrawVert)), 0);
  EXPECT_GT(before.part_size.x, 100.0f);
  EXPECT_EQ(before.part_pos.x, after.part_pos.x);
  EXPECT_EQ(before.part_pos.y, after.part_pos.y);
  EXPECT_EQ(before.part_size.x, after.part_size.x);
  EXPECT_EQ(before.part_size.y, after.part_size.y);
}

// The rotation animates in its parts (the position slider, the three plots); the view's own draw
// list stays the same from frame to frame, so under software GL only those parts are drawn again.
TEST_F(GuiSmoke, TheRotationAnimatesOnlyItsParts) {
  state_.rotation.playing = true;
  frames(3);
  const std::vector<ImDrawVert> view = view_own_vertices("rotation");
  const ImGuiWindow* plot = window_named("##rot_part0");
  ASSERT_NE(plot, nullptr);
  const std::vector<ImDrawVert> plot_before(plot->DrawList->VtxBuffer.Data,
                                            plot->DrawList->VtxBuffer.Data + plot->DrawList->VtxBuffer.Size);
  const double position = state_.rotation.position;
  frame();
  EXPECT_GT(state_.rotation.position, position);
  const std::vector<ImDrawVert> view_after = view_own_vertices("rotation");
  ASSERT_FALSE(view.empty());
  ASSERT_EQ(view.size(), view_after.size());
  EXPECT_EQ(std::memcmp(view.data(), view_after.data(), view.size() * sizeof(ImDrawVert)), 0);
  const std::vector<ImDrawVert> plot_after(plot->DrawList->VtxBuffer.Data,
                                           plot->DrawList->VtxBuffer.Data + plot->DrawList->VtxBuffer.Size);
  EXPECT_TRUE(plot_before.size() != plot_after.size() ||
              std::memcmp(plot_before.data(), plot_after.data(), plot_before.size() * sizeof(ImDrawVert)) != 0)
      << "the fast pair's plot did not move";
}

TEST_F(GuiSmoke, LongSoftmaxShowsTheRotaryMapWhileTheAbsoluteOneComputes) {
  // Constant content: the rotary softmax comes from f(m - n) in a moment; the absolute one
  // computes every visible cell (a minute at 131072 tokens zoomed out).
  state_.params.config.seq_len = 131072;
  state_.params.softmax = true;
  frames(2);
  ASSERT_TRUE(frames_until(
      [&] { return derived_.heatmaps && derived_.heatmaps->partial && derived_.heatmaps->seq_len == 131072; }));
  EXPECT_TRUE(derived_.heatmaps_pending);
  EXPECT_TRUE(derived_.heatmaps->rotary.available);
  EXPECT_FALSE(derived_.heatmaps->absolute.available);
  frames(3);  // the panel draws the rotary map and "computing" for the others
  EXPECT_EQ(derived_.heat_gl.maps[1].logical_rows(), 131072);
  EXPECT_EQ(derived_.heat_gl.maps[1].rows(), derived_.heatmaps->rotary.rows);
  state_.params.config.seq_len = 512;
  settle();
  EXPECT_EQ(derived_.heatmaps->seq_len, 512);
  EXPECT_FALSE(derived_.heatmaps->partial);
}

TEST_F(GuiSmoke, LongSoftmaxShowsProgressAndANewerChangeCancelsIt) {
  // Softmax of random content at 131072 tokens computes every visible cell (seconds): the UI
  // keeps drawing, reports progress, and a newer change supersedes it.
  state_.params.config.seq_len = 131072;
  state_.params.content = core::ContentKind::kRandom;
  state_.params.softmax = true;
  frames(2);
  EXPECT_TRUE(frames_until([&] { return derived_.heatmaps_pending && derived_.heatmaps_progress > 0.0; }));
  EXPECT_TRUE(derived_.heatmaps_pending);
  state_.params.config.seq_len = 256;
  const auto changed = std::chrono::steady_clock::now();
  settle();
  EXPECT_LT(std::chrono::steady_clock::now() - changed, std::chrono::seconds(20));
  ASSERT_TRUE(derived_.heatmaps);
  EXPECT_EQ(derived_.heatmaps->seq_len, 256);
  EXPECT_TRUE(derived_.heatmaps->absolute.available);
}

TEST_F(GuiSmoke, DoubleClickOnAViewTitleMaximisesIt) {
  frames(2);
  ImGuiIO& io = ImGui::GetIO();
  // The frequencies title strip: top of the view area, right of the sidebar.
  io.MousePos = ImVec2(700.0f, 14.0f);
  frame();
  for (int click = 0; click < 2; ++click) {
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
  }
  EXPECT_EQ(state_.ui.maximised, static_cast<int>(ViewId::kFrequencies));
  frames(30);  // well past the double-click time: the next two clicks are a new double-click
  for (int click = 0; click < 2; ++click) {
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
  }
  EXPECT_EQ(state_.ui.maximised, -1);
}

TEST_F(GuiSmoke, OpeningAConfigFileOrABadOne) {
  frames(1);
  const std::filesystem::path good = dir_ / "config.json";
  std::ofstream(good) << R"({"hidden_size": 2048, "num_attention_heads": 32, "rope_theta": 250000.0,
                             "max_position_embeddings": 8192})";
  ASSERT_TRUE(open_config_file(state_, good.string())) << state_.status;
  frames(1);
  EXPECT_EQ(derived_.freqs.head_dim, 64);
  EXPECT_DOUBLE_EQ(derived_.freqs.base, 250000.0);
  EXPECT_EQ(state_.source_label, good.string());
  // A broken file: the error goes to the status bar and the last valid state stays.
  const std::filesystem::path bad = dir_ / "broken.json";
  std::ofstream(bad) << R"({"hidden_size": 2048, "rope_scaling": {"rope_type": "warp-drive", "factor": 2}})";
  const core::RopeConfig before = state_.params.config;
  EXPECT_FALSE(open_config_file(state_, bad.string()));
  EXPECT_TRUE(state_.status_is_error);
  EXPECT_NE(state_.status.find("cannot open config"), std::string::npos) << state_.status;
  EXPECT_EQ(state_.params.config, before);
  EXPECT_FALSE(open_config_file(state_, (dir_ / "missing.json").string()));
  frames(1);
  EXPECT_DOUBLE_EQ(derived_.freqs.base, 250000.0);
}

TEST(Presets, EmbeddedTextMatchesTheAssetFiles) {
  // presets_data.inc is generated by app/gui/embed_presets.py; rerun it after editing a preset.
  for (const Preset& p : presets()) {
    std::ifstream in(std::filesystem::path(ROPE_SOURCE_DIR) / std::string(p.origin));
    ASSERT_TRUE(in) << p.origin;
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), std::string(p.json)) << p.name << ": run python3 app/gui/embed_presets.py";
  }
}

TEST_F(GuiSmoke, SingleViewFramesForRendering) {
  settle();
  for (int v = 0; v < kViewCount; ++v) {
    FrameOptions options;
    options.only_view = static_cast<ViewId>(v);
    frame(options);
    frame(options);
  }
}

}  // namespace
}  // namespace rope::app
