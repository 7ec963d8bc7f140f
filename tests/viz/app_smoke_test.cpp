// N-frame smoke tests of the whole GUI on an ImGui context with no backend (as in ImGui's
// examples/example_null): every panel is drawn, simulated keys and edits change the state, and
// the derived results arrive from the worker threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <imgui.h>
#include <imgui_internal.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <nlohmann/json.hpp>

#include "core/analysis.h"
#include "gui/app_state.h"
#include "gui/frame.h"
#include "gui/presets.h"
#include "gui/session.h"
#include "gui/settings.h"
#include "gui/views.h"
#include "panels/panels.h"
#include "panels/widgets.h"
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
  // The text ImGui's items draw in one frame (ImGui's log: text, labels, slider and entry values;
  // not what panels draw on a draw list directly), a line per row of items. The log ends at the
  // End of the first top-level window (the whole app, or an open tooltip or popup), and ImGui
  // hands it to the clipboard then.
  std::string frame_text() {
    ImGuiIO& io = ImGui::GetIO();
    std::string text;
    io.ClipboardUserData = &text;
    io.SetClipboardTextFn = [](void* user, const char* t) { *static_cast<std::string*>(user) = t; };
    io.DeltaTime = kDt;
    ImGui::NewFrame();
    ImGui::LogToClipboard();
    handle_shortcuts(state_);
    sync_derived(state_, derived_, workers_);
    draw_frame(state_, derived_);
    ImGui::LogFinish();
    ImGui::Render();
    io.SetClipboardTextFn = nullptr;
    io.ClipboardUserData = nullptr;
    return text;
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

// The GUI shows the critical dimension `ropescope analyze` prints (one core function,
// core::analyse_context), also where the scaling changes the base itself (ntk, dynamic: the
// effective base differs from the configured one, and the two would give other numbers).
TEST_F(GuiSmoke, TheCriticalDimensionIsTheOneTheCliPrints) {
  struct Case {
    core::ScalingType type;
    const char* cli;
  };
  for (const Case& c : {Case{core::ScalingType::kNtk, "--scaling ntk --alpha 8"},
                        Case{core::ScalingType::kDynamic, "--scaling dynamic --factor 4 --original-max 1024"},
                        Case{core::ScalingType::kNone, ""}}) {
    state_.params.config = core::RopeConfig{};
    state_.params.config.seq_len = 8192;
    state_.params.config.scaling.type = c.type;
    if (c.type == core::ScalingType::kNtk) state_.params.config.scaling.alpha = 8.0;
    if (c.type == core::ScalingType::kDynamic) state_.params.config.scaling.factor = 4.0;
    if (c.type == core::ScalingType::kDynamic) state_.params.config.scaling.original_max = 1024;
    frames(2);
    ASSERT_TRUE(derived_.has_valid) << c.cli << ": " << state_.status;
    const std::string cmd = std::string(ROPESCOPE_EXE) + " analyze --json --seq-len 8192 " + c.cli;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    ASSERT_TRUE(pipe);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ASSERT_EQ(::pclose(pipe), 0) << cmd;
    const nlohmann::json j = nlohmann::json::parse(out);
    EXPECT_EQ(derived_.critical_dimension, j["critical_dimension"].get<int>()) << cmd;
    EXPECT_EQ(derived_.context_for_analysis, j["context"].get<double>()) << cmd;
    if (c.type != core::ScalingType::kNone) {  // the case tells the bases apart
      EXPECT_NE(derived_.freqs.effective_base, derived_.freqs.base) << cmd;
      EXPECT_NE(core::critical_dimension(derived_.freqs.rotary_dim, derived_.freqs.base, derived_.context_for_analysis),
                derived_.critical_dimension)
          << cmd;
    }
  }
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
  EXPECT_GT(derived_.heat_window.width_px, 200) << "font " << heat->Size.x << " x " << heat->Size.y << " " << heatmaps_view_height(state_, heat->Size.x) << " side " << heatmaps_map_side(state_, heat->Size.x);
  EXPECT_EQ(derived_.heat_window.height_px, derived_.heat_window.width_px);

  // A narrow window stacks the views in one column that scrolls.
  ImGui::GetIO().DisplaySize = ImVec2(900.0f, 800.0f);
  frames(3);
  heat = view_window("heatmaps");
  decay = view_window("decay");
  freq = view_window("frequencies");
  rot = view_window("rotation");
  ASSERT_TRUE(heat && decay && freq && rot);
  EXPECT_NEAR(freq->Pos.x, heat->Pos.x, 0.5f);
  EXPECT_NEAR(freq->Pos.x, decay->Pos.x, 0.5f);
  EXPECT_GT(rot->Pos.y, freq->Pos.y + freq->Size.y - 1.0f);
  EXPECT_GT(decay->Pos.y, rot->Pos.y + rot->Size.y - 1.0f);
  EXPECT_GT(heat->Pos.y, decay->Pos.y + decay->Size.y - 1.0f);
}

TEST_F(GuiSmoke, KeysMaximiseAndRestoreEveryView) {
  frames(2);
  const std::span<const ViewDef> all = views();
  for (size_t v = 0; v < all.size(); ++v) {
    ASSERT_GT(all[v].function_key, 0) << all[v].key;
    press(GLFW_KEY_F1 + all[v].function_key - 1);
    EXPECT_EQ(state_.ui.maximised, static_cast<int>(v)) << all[v].key;
    frames(3);  // the maximised view draws alone
    EXPECT_TRUE(view_window(all[v].key)) << all[v].key;
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

// Vertices of the sidebar's own draw list in the error colour.
int sidebar_error_vertices() {
  const ImU32 error = ImGui::GetColorU32(error_color());
  int count = 0;
  for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
    const std::string name = w->Name;
    const size_t at = name.find("##sidebar");
    if (!w->Active || at == std::string::npos || name.find('/', at) != std::string::npos) continue;
    for (const ImDrawVert& v : w->DrawList->VtxBuffer)
      if (v.col == error) ++count;
  }
  return count;
}

// Typing into the sidebar's entries as a user does: find the entry under the mouse, click it,
// type, click beside it (the entry loses focus).
class GuiTyping : public GuiSmoke {
 protected:
  void type_into(const std::string& id, const std::string& text, bool stepped = false) {
    frame();
    ImGuiWindow* sidebar = nullptr;
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
      const std::string name = w->Name;
      const size_t at = name.find("##sidebar");
      if (w->Active && at != std::string::npos && name.find('/', at) == std::string::npos) sidebar = w;
    }
    ASSERT_NE(sidebar, nullptr);
    // An entry with -/+ buttons holds its text field under its own ID (as ImGui::InputScalar does).
    const std::string entry = "##entry" + id;
    const ImGuiID plain = sidebar->GetID(entry.c_str());
    const ImGuiID target = stepped ? ImHashStr("", 0, plain) : plain;
    ImGuiIO& io = ImGui::GetIO();
    const ImGuiContext& g = *ImGui::GetCurrentContext();
    // The entries (6.5 font sizes wide) end at the sidebar's right edge: scan its height at
    // their left end.
    const float x = sidebar->InnerRect.Max.x - ImGui::GetFontSize() * 5.5f;
    bool found = false;
    for (float y = sidebar->InnerRect.Min.y + 2.0f; y < sidebar->InnerRect.Max.y && !found; y += 4.0f) {
      io.MousePos = ImVec2(x, y);
      frame();
      found = g.HoveredId == target;
    }
    ASSERT_TRUE(found) << "no entry ##entry" << id << " in the sidebar";
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
    ASSERT_EQ(g.ActiveId, target);
    for (char c : text) {
      io.AddInputCharacter(static_cast<unsigned int>(c));
      frame();
    }
    io.MousePos = ImVec2(sidebar->InnerRect.Min.x + 2.0f, io.MousePos.y);  // beside the items
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
    ASSERT_NE(g.ActiveId, target);
  }
};

TEST_F(GuiTyping, AnOutOfRangeValueStaysAtItsFieldWithTheReasonAndOtherEditsApply) {
  frames(2);
  EXPECT_EQ(sidebar_error_vertices(), 0);
  type_into("base", "-5");
  frames(2);
  // Kept as typed, the reason at the field in the error colour, the views at the last valid base.
  EXPECT_EQ(state_.params.config.base, -5.0);
  const std::vector<core::FieldError> errors = core::check_fields(state_.params.config);
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_NE(derived_.field_error(core::ConfigField::kBase), nullptr);
  EXPECT_EQ(std::string(derived_.field_error(core::ConfigField::kBase)), errors[0].message);
  // The entry's "-5" and, under it, the reason: a quad per glyph of both.
  const std::string& reason = errors[0].message;
  const auto glyphs = std::count_if(reason.begin(), reason.end(), [](char ch) { return ch != ' '; });
  EXPECT_GE(sidebar_error_vertices(), 4 * (glyphs + 2));
  EXPECT_EQ(derived_.valid_params.config.base, 10000.0);
  EXPECT_EQ(derived_.freqs.base, 10000.0);
  // Another field still applies.
  type_into("seqlen", "4096");
  frames(2);
  EXPECT_EQ(state_.params.config.seq_len, 4096);
  EXPECT_EQ(derived_.valid_params.config.seq_len, 4096);
  EXPECT_EQ(derived_.freqs.seq_len, 4096);
  EXPECT_EQ(derived_.valid_params.config.base, 10000.0);
  settle();
  ASSERT_TRUE(derived_.heatmaps);
  EXPECT_EQ(derived_.heatmaps->seq_len, 4096);
  EXPECT_EQ(derived_.heatmaps->key.config.base, 10000.0);
  EXPECT_EQ(state_.params.config.base, -5.0);
  // Head dim 7 is not made 8: it stays, with its reason.
  type_into("headdim", "7", true);
  frames(2);
  EXPECT_EQ(state_.params.config.head_dim, 7);
  EXPECT_NE(derived_.field_error(core::ConfigField::kHeadDim), nullptr);
  EXPECT_EQ(derived_.valid_params.config.head_dim, 128);
  // Fixing the fields clears their errors and applies them.
  type_into("base", "20000");
  type_into("headdim", "64", true);
  frames(2);
  EXPECT_TRUE(derived_.field_errors.empty());
  EXPECT_EQ(derived_.valid_params.config.base, 20000.0);
  EXPECT_EQ(derived_.freqs.rotary_dim, 64);
  EXPECT_EQ(sidebar_error_vertices(), 0);
  EXPECT_FALSE(state_.status_is_error) << state_.status;
}

TEST_F(GuiTyping, AValueClampedToAViewsLimitSaysSoAtItsField) {
  frames(2);
  EXPECT_EQ(sidebar_error_vertices(), 0);
  type_into("decaymax", "5000000");
  frames(2);
  EXPECT_EQ(state_.params.decay_max_distance, kMaxDecayDistance);
  const std::string note = "must be in [16, 1048576]: set to 1048576";
  const auto glyphs = std::count_if(note.begin(), note.end(), [](char ch) { return ch != ' '; });
  EXPECT_GE(sidebar_error_vertices(), 4 * glyphs);
  type_into("decaymax", "4096");
  frames(1);
  EXPECT_EQ(state_.params.decay_max_distance, 4096);
  EXPECT_EQ(sidebar_error_vertices(), 0);
}

TEST_F(GuiTyping, AnInvalidEditIsNotSaved) {
  frames(2);
  type_into("rotfrac", "0");
  type_into("seqlen", "2048");
  frames(2);
  EXPECT_EQ(state_.params.config.rotary_fraction, 0.0);
  ASSERT_TRUE(save_settings(state_, derived_));
  AppState restarted;
  const SettingsLoad load = load_settings(restarted);
  ASSERT_TRUE(load.ok);
  EXPECT_TRUE(load.error.empty()) << load.error;
  EXPECT_EQ(restarted.params.config.rotary_fraction, 1.0);
  EXPECT_EQ(restarted.params.config.seq_len, 2048);
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
  state_.ui.maximised = view_index("frequencies");
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
  // The frequencies title strip: the top of its view (under the page tabs), right of its tabs.
  const ImGuiWindow* freq = view_window("frequencies");
  ASSERT_TRUE(freq);
  io.MousePos = ImVec2(freq->Pos.x + 0.9f * freq->Size.x, freq->Pos.y + 0.5f * ImGui::GetFrameHeight() + 3.0f);
  frame();
  for (int click = 0; click < 2; ++click) {
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
  }
  EXPECT_EQ(state_.ui.maximised, view_index("frequencies"));
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

// ---- Exact values: the pair table, typed go-to entries and pins ----

// The active window whose name starts with `prefix` (a popup: "##Popup_"), or null.
ImGuiWindow* window_starting(const std::string& prefix) {
  for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
    if (w->Active && std::string(w->Name).rfind(prefix, 0) == 0) return w;
  return nullptr;
}

class GuiExact : public GuiSmoke {
 protected:
  // Presses the button `label` of window w (inside PushID(scope) when scope is given) in the
  // next frame, as keyboard navigation would.
  void press_button(ImGuiWindow* w, const char* label, const char* scope = nullptr) {
    ASSERT_TRUE(w);
    const ImGuiID id = scope ? ImHashStr(label, 0, w->GetID(scope)) : w->GetID(label);
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = kDt;
    ImGui::NewFrame();
    ImGui::ActivateItem(id);
    handle_shortcuts(state_);
    sync_derived(state_, derived_, workers_);
    draw_frame(state_, derived_);
    ImGui::Render();
    frame();  // the item is pressed in this one
    frame();
  }
  // Types `text` into the entry `label` of window w (found after the last frame) and presses Enter.
  void type_into(ImGuiWindow* w, const char* label, const std::string& text) {
    ASSERT_TRUE(w);
    const ImGuiID id = w->GetID(label);
    ImGuiIO& io = ImGui::GetIO();
    io.KeyMap[ImGuiKey_Enter] = GLFW_KEY_ENTER;
    io.KeyMap[ImGuiKey_A] = GLFW_KEY_A;
    ImGui::NewFrame();
    // What keyboard navigation does on an entry: activate it for text input.
    ImGui::GetCurrentContext()->NavNextActivateId = id;
    ImGui::GetCurrentContext()->NavNextActivateFlags = ImGuiActivateFlags_PreferInput;
    draw_frame(state_, derived_);
    ImGui::Render();
    frame();
    ASSERT_EQ(ImGui::GetActiveID(), id) << label << " did not take the keyboard";
    // Select everything (Ctrl+A) and replace it.
    io.KeyCtrl = true;
    io.KeysDown[GLFW_KEY_A] = true;
    frame();
    io.KeysDown[GLFW_KEY_A] = false;
    io.KeyCtrl = false;
    io.AddInputCharactersUTF8(text.c_str());
    frame();
    io.KeysDown[GLFW_KEY_ENTER] = true;
    frame();
    io.KeysDown[GLFW_KEY_ENTER] = false;
    frame();
  }
  // A left click at `pos` (press and release without moving), or a drag to pos + drag.
  void click(ImVec2 pos, ImVec2 drag = ImVec2(0.0f, 0.0f)) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = pos;
    frame();
    io.MouseDown[0] = true;
    frame();
    if (drag.x != 0.0f || drag.y != 0.0f) {
      for (int step = 1; step <= 4; ++step) {
        io.MousePos = ImVec2(pos.x + drag.x * step / 4.0f, pos.y + drag.y * step / 4.0f);
        frame();
      }
    }
    io.MouseDown[0] = false;
    frame();
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    frame();
  }
  // Opens the heatmaps' "go to" popup and returns it.
  ImGuiWindow* open_goto_popup() {
    press_button(view_window_mut("heatmaps"), "go to\xE2\x80\xA6##heat");
    return window_starting("##Popup_");
  }
  static ImGuiWindow* view_window_mut(const char* key) { return const_cast<ImGuiWindow*>(view_window(key)); }
  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

TEST_F(GuiExact, ThePairTableLaysOutEveryPairAndCopiesOneTsvRowPerPair) {
  state_.params.config.head_dim = 96;  // 48 pairs
  frames(2);
  press(GLFW_KEY_F5);
  ASSERT_EQ(state_.ui.maximised, view_index("pair-table"));
  frames(2);
  const int pairs = static_cast<int>(derived_.freqs.inv_freq.size());
  ASSERT_EQ(pairs, 48);
  // The table's scrolling region holds the header and one row per pair (the clipper draws only
  // the visible rows, but lays out all of them).
  const ImGuiWindow* table = window_named("##pairs");
  ASSERT_TRUE(table);
  const float row_h = ImGui::GetTextLineHeight() + 2.0f * ImGui::GetStyle().CellPadding.y;
  EXPECT_NEAR(table->ContentSize.y, (pairs + 1) * row_h, 0.5f * row_h);

  press_button(view_window_mut("pair-table"), "copy TSV##pairs");
  const std::string tsv = ImGui::GetClipboardText() ? ImGui::GetClipboardText() : "";
  const std::vector<std::string> lines = lines_of(tsv);
  ASSERT_EQ(static_cast<int>(lines.size()), pairs + 1) << tsv.substr(0, 200);
  EXPECT_EQ(lines[0], "pair\tfeature_a\tfeature_b\ttheta\ttheta_unscaled\tratio\twavelength\trotations_in_context\tband\t"
                      "band_value");
  EXPECT_EQ(lines[48].substr(0, 9), "47\t47\t95\t");
  EXPECT_EQ(tsv, core::pair_table_text(core::pair_table(derived_.freqs, 1024.0), '\t'));
  EXPECT_FALSE(state_.status_is_error) << state_.status;

  // CSV export: written atomically where the entry says; a path that cannot be written is an
  // error in the status bar.
  state_.exact.table_csv_path = (dir_ / "pairs.csv").string();
  press_button(view_window_mut("pair-table"), "export CSV##pairs");
  std::ifstream in(dir_ / "pairs.csv");
  std::stringstream csv;
  csv << in.rdbuf();
  EXPECT_EQ(csv.str(), core::pair_table_text(core::pair_table(derived_.freqs, 1024.0), ','));
  EXPECT_FALSE(state_.status_is_error) << state_.status;
  std::ofstream(dir_ / "a file") << "x";
  state_.exact.table_csv_path = (dir_ / "a file" / "pairs.csv").string();
  press_button(view_window_mut("pair-table"), "export CSV##pairs");
  EXPECT_TRUE(state_.status_is_error);
  EXPECT_NE(state_.status.find("cannot write"), std::string::npos) << state_.status;
}

TEST_F(GuiExact, TheFrequenciesCellSwitchesToThePairTableByItsTab) {
  frames(2);
  ASSERT_TRUE(view_window("frequencies"));
  press_button(view_window_mut("frequencies"), "Pair table##cell_tab");
  EXPECT_TRUE(state_.exact.freq_cell_shows_table);
  EXPECT_TRUE(view_window("pair-table"));
  EXPECT_FALSE(view_window("frequencies"));
  EXPECT_EQ(state_.ui.maximised, -1);  // a tab click is not a maximise
  press_button(view_window_mut("pair-table"), "Frequencies##cell_tab");
  EXPECT_FALSE(state_.exact.freq_cell_shows_table);
  EXPECT_TRUE(view_window("frequencies"));
}

// The page tabs over the views switch pages; the second page holds the edits view, which lists
// an edited parameter against the source's value.
TEST_F(GuiExact, ThePageTabsSwitchToTheEditsView) {
  state_.params.config.base = 500000.0;
  frames(3);
  EXPECT_FALSE(view_window("edits"));
  press_button(ImGui::FindWindowByName("##ropescope"), "Config##page_config");
  EXPECT_EQ(state_.ui.page, page_index("config"));
  frames(2);
  ASSERT_TRUE(view_window("edits"));
  EXPECT_FALSE(view_window("heatmaps"));
  const std::string text = frame_text();
  EXPECT_NE(text.find("base 500000 (source 10000)"), std::string::npos) << text;
  state_.params.config.base = 10000.0;
  frames(2);
  EXPECT_NE(frame_text().find("Unedited"), std::string::npos);
}

TEST_F(GuiExact, GoToPairPinsAValidIndexAndReportsABadOne) {
  frames(2);
  type_into(view_window_mut("frequencies"), "##goto_pair", "70");
  EXPECT_FALSE(state_.exact.pinned_pair.has_value());
  EXPECT_NE(state_.exact.goto_pair_error.find("out of range"), std::string::npos) << state_.exact.goto_pair_error;
  type_into(view_window_mut("frequencies"), "##goto_pair", "1.5");
  EXPECT_FALSE(state_.exact.pinned_pair.has_value());
  EXPECT_FALSE(state_.exact.goto_pair_error.empty());
  type_into(view_window_mut("frequencies"), "##goto_pair", "12");
  ASSERT_TRUE(state_.exact.pinned_pair.has_value());
  EXPECT_EQ(*state_.exact.pinned_pair, 12);
  EXPECT_TRUE(state_.exact.goto_pair_error.empty());
  // The pin's copy button copies that pair's row of the table, every number exact.
  press_button(view_window_mut("frequencies"), "copy", "##pair_pin");
  const std::vector<core::PairInfo> table = core::pair_table(derived_.freqs, 1024.0);
  EXPECT_EQ(std::string(ImGui::GetClipboardText()), core::pair_table_text({table[12]}, '\t'));
  press_button(view_window_mut("frequencies"), "unpin", "##pair_pin");
  EXPECT_FALSE(state_.exact.pinned_pair.has_value());
}

TEST_F(GuiExact, GoToCellZoomsAroundItAndPinsIt) {
  settled_heatmaps(1024);
  ImGuiWindow* popup = open_goto_popup();
  ASSERT_TRUE(popup) << "the go-to popup did not open";
  type_into(popup, "##goto_cell", "500, 300");
  ASSERT_TRUE(state_.exact.pinned_cell.has_value()) << state_.exact.goto_cell_error;
  EXPECT_EQ(*state_.exact.pinned_cell, (std::pair<int64_t, int64_t>{500, 300}));
  const viz::HeatmapView v = derived_.heat_gl.shared_view;
  EXPECT_DOUBLE_EQ(v.x1 - v.x0, 32.0);
  EXPECT_DOUBLE_EQ(v.y1 - v.y0, 32.0);
  EXPECT_DOUBLE_EQ(0.5 * (v.x0 + v.x1), 300.5);
  EXPECT_DOUBLE_EQ(0.5 * (v.y0 + v.y1), 500.5);
  EXPECT_EQ(derived_.heat_gl.maps[1].view(), v);  // every map shows it
  settle();
  // The cells around it are computed one texel per cell.
  ASSERT_TRUE(derived_.heatmaps);
  EXPECT_TRUE(derived_.heatmaps->exact_cells());
  EXPECT_LE(derived_.heatmaps->m0, 500);
  EXPECT_GT(derived_.heatmaps->m1, 500);

  // A cell at the corner: the window stays inside the matrix, the cell in it.
  popup = open_goto_popup();
  type_into(popup, "##goto_cell", "0 1023");
  const viz::HeatmapView c = derived_.heat_gl.shared_view;
  EXPECT_DOUBLE_EQ(c.x1, 1024.0);
  EXPECT_DOUBLE_EQ(c.x0, 992.0);
  EXPECT_DOUBLE_EQ(c.y0, 0.0);
  EXPECT_EQ(*state_.exact.pinned_cell, (std::pair<int64_t, int64_t>{0, 1023}));

  // Out of range or not two integers: reported at the field, nothing changes.
  popup = open_goto_popup();
  type_into(popup, "##goto_cell", "1024, 3");
  EXPECT_NE(state_.exact.goto_cell_error.find("out of range"), std::string::npos) << state_.exact.goto_cell_error;
  EXPECT_EQ(derived_.heat_gl.shared_view, c);
  EXPECT_EQ(*state_.exact.pinned_cell, (std::pair<int64_t, int64_t>{0, 1023}));
  type_into(window_starting("##Popup_"), "##goto_cell", "7");
  EXPECT_FALSE(state_.exact.goto_cell_error.empty());
  EXPECT_EQ(derived_.heat_gl.shared_view, c);
}

TEST_F(GuiExact, ATypedWindowIsShownExactlyAndABadOneIsReportedNotApplied) {
  settled_heatmaps(1024);
  const viz::HeatmapView before = derived_.heat_gl.shared_view;
  ImGuiWindow* popup = open_goto_popup();
  ASSERT_TRUE(popup);
  for (const char* bad : {"0 2000 0 10", "5 4 0 10", "0 10 0 1", "-1 10 0 10", "0 10 0", "a b c d"}) {
    type_into(window_starting("##Popup_"), "##heat_window", bad);
    EXPECT_FALSE(state_.exact.window_error.empty()) << bad;
    EXPECT_EQ(derived_.heat_gl.shared_view, before) << bad << " was applied";
  }
  type_into(window_starting("##Popup_"), "##heat_window", "[100, 300) x [200, 264)");
  EXPECT_TRUE(state_.exact.window_error.empty()) << state_.exact.window_error;
  EXPECT_EQ(derived_.heat_gl.shared_view, (viz::HeatmapView{200.0, 264.0, 100.0, 300.0}));
  frames(3);
  EXPECT_EQ(derived_.heat_gl.shared_view, (viz::HeatmapView{200.0, 264.0, 100.0, 300.0}));
  EXPECT_EQ(derived_.heat_gl.maps[0].view(), (viz::HeatmapView{200.0, 264.0, 100.0, 300.0}));
}

TEST_F(GuiExact, ClickingATexelPinsItAndDraggingDoesNot) {
  settled_heatmaps(1024);
  press(GLFW_KEY_F4);  // the heatmaps alone: large maps
  settle();
  const ImGuiWindow* part = window_named("##heat_part1");
  ASSERT_TRUE(part);
  // Inside the rotary image (square, about as high as the part: right of its row labels, below
  // the title lines; the part may reach further right, to the panel's edge).
  const ImVec2 a(part->Pos.x + part->Size.y * 0.4f, part->Pos.y + part->Size.y * 0.5f);
  click(a, ImVec2(40.0f, 30.0f));  // a drag pans
  EXPECT_FALSE(state_.exact.pinned_cell.has_value());
  derived_.heat_gl.shared_view = viz::view_full(1024, 1024);
  settle();
  click(a);
  ASSERT_TRUE(state_.exact.pinned_cell.has_value());
  const auto [m, n] = *state_.exact.pinned_cell;
  EXPECT_GE(m, 0);
  EXPECT_LT(m, 1024);
  click(ImVec2(a.x + 40.0f, a.y));  // further right: a larger key position, same row
  ASSERT_TRUE(state_.exact.pinned_cell.has_value());
  EXPECT_EQ(state_.exact.pinned_cell->first, m);
  EXPECT_GT(state_.exact.pinned_cell->second, n);
  // The read-out's copy button copies m, n, m - n and the values.
  press_button(view_window_mut("heatmaps"), "copy", "##cell_pin");
  const std::vector<std::string> lines = lines_of(ImGui::GetClipboardText() ? ImGui::GetClipboardText() : "");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "m\tn\tm-n\tabsolute\trotary\tdifference");
  const std::string key = std::to_string(m) + "\t" + std::to_string(state_.exact.pinned_cell->second) + "\t";
  EXPECT_EQ(lines[1].rfind(key, 0), 0u) << lines[1];
}

TEST_F(GuiExact, ClickingThePlotsPinsAPairAndADistance) {
  settle();
  press(GLFW_KEY_F1);
  frames(2);
  const ImGuiWindow* freq = view_window("frequencies");
  ASSERT_TRUE(freq);
  const ImVec2 p(freq->Pos.x + freq->Size.x * 0.4f, freq->Pos.y + freq->Size.y * 0.6f);
  click(p);
  ASSERT_TRUE(state_.exact.pinned_pair.has_value());
  const int first = *state_.exact.pinned_pair;
  click(ImVec2(p.x + freq->Size.x * 0.2f, p.y));
  ASSERT_TRUE(state_.exact.pinned_pair.has_value());
  EXPECT_GT(*state_.exact.pinned_pair, first);
  press(GLFW_KEY_ESCAPE);
  press(GLFW_KEY_F3);
  frames(2);
  const ImGuiWindow* decay = view_window("decay");
  ASSERT_TRUE(decay);
  click(ImVec2(decay->Pos.x + decay->Size.x * 0.5f, decay->Pos.y + decay->Size.y * 0.6f));
  ASSERT_TRUE(state_.exact.pinned_distance.has_value());
  EXPECT_GT(*state_.exact.pinned_distance, 0);
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


// ---- Status bar, shortcuts, read-outs (issue 10) ----

TEST_F(GuiSmoke, AStatusMessageIsReplacedByTheNextOutcomeAndFades) {
  frames(1);
  state_.set_status("cannot open config: x.json: no such file", true);
  frames(2);
  EXPECT_GT(state_.status_remaining(), 0.0);
  EXPECT_NE(frame_text().find("cannot open config"), std::string::npos);
  // The next action's outcome replaces the error.
  ASSERT_TRUE(apply_preset(state_, 1));
  frames(1);
  EXPECT_FALSE(state_.status_is_error);
  std::string text = frame_text();
  EXPECT_EQ(text.find("cannot open config"), std::string::npos) << text;
  EXPECT_NE(text.find("preset Llama-3.1-8B"), std::string::npos) << text;
  // An info message fades after kStatusInfoSeconds of the UI's clock, an error later.
  state_.clock += AppState::kStatusInfoSeconds - 0.5;
  frames(1);
  EXPECT_NE(frame_text().find("preset Llama-3.1-8B"), std::string::npos);
  state_.clock += 1.0;
  frames(1);
  EXPECT_EQ(state_.status_remaining(), 0.0);
  EXPECT_EQ(frame_text().find("preset Llama-3.1-8B"), std::string::npos);
  state_.set_status("an error", true);
  state_.clock += AppState::kStatusInfoSeconds + 1.0;
  EXPECT_GT(state_.status_remaining(), 0.0) << "errors stay longer";
  state_.clock += AppState::kStatusErrorSeconds;
  EXPECT_EQ(state_.status_remaining(), 0.0);
  // The log keeps them all, oldest first, with the error flags; at most kStatusLogSize.
  ASSERT_EQ(state_.status_log.size(), 3u);
  EXPECT_TRUE(state_.status_log[0].is_error);
  EXPECT_FALSE(state_.status_log[1].is_error);
  EXPECT_EQ(state_.status_log[2].text, "an error");
  for (int i = 0; i < 30; ++i) state_.set_status("message " + std::to_string(i), false);
  ASSERT_EQ(state_.status_log.size(), AppState::kStatusLogSize);
  EXPECT_EQ(state_.status_log.back().text, "message 29");
}

TEST_F(GuiSmoke, TheStatusLogPopupListsTheMessages) {
  state_.set_status("first message", false);
  state_.set_status("second message", true);
  frames(1);
  const ImGuiWindow* root = window_named("##ropescope");
  ASSERT_TRUE(root);
  // Click the "log" button at the bar's left end (the bar is the window's last line).
  ImGuiIO& io = ImGui::GetIO();
  const float pad = root->WindowPadding.y;
  io.MousePos = ImVec2(root->Pos.x + pad + ImGui::GetFontSize(), io.DisplaySize.y - pad - 0.5f * ImGui::GetFrameHeight());
  frame();
  io.MouseDown[0] = true;
  frame();
  io.MouseDown[0] = false;
  frame();
  const auto popup_open = [] {
    for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (w->Active && (w->Flags & ImGuiWindowFlags_Popup)) return true;
    return false;
  };
  ASSERT_TRUE(popup_open()) << "no popup after clicking at " << io.MousePos.x << ", " << io.MousePos.y;
  const std::string text = frame_text();
  ASSERT_NE(text.find("first message"), std::string::npos) << text;
  EXPECT_LT(text.find("second message"), text.find("first message")) << "newest first: " << text;
}

TEST_F(GuiSmoke, ALongErrorNeverPushesTheTimingOffTheBar) {
  settle();
  const ImGuiWindow* root = window_named("##ropescope");
  ASSERT_TRUE(root);
  const float width = root->Size.x;
  state_.set_status("invalid setting: " + std::string(400, 'x') + " (showing the last valid state)", true);
  frames(2);
  root = window_named("##ropescope");
  // The message is cut at the read-outs (the tooltip has it whole): nothing of the bar runs past
  // the window's right edge.
  EXPECT_LE(root->DC.CursorMaxPos.x, root->Pos.x + width + 0.5f);
  EXPECT_TRUE(derived_.heatmaps);
}

TEST_F(GuiSmoke, CtrlQAsksToQuit) {
  frames(1);
  press(GLFW_KEY_Q);
  EXPECT_FALSE(state_.request_quit);
  press(GLFW_KEY_Q, true);
  EXPECT_TRUE(state_.request_quit);
}

TEST_F(GuiSmoke, TheDecayDistanceFollowsSeqLenUntilSet) {
  frames(1);
  EXPECT_EQ(state_.params.decay_max_distance, 1024);
  state_.params.config.seq_len = 32768;
  frames(1);
  EXPECT_EQ(derived_.valid_params.decay_max_distance, 32768);
  settle();
  EXPECT_EQ(derived_.decay->key.max_distance, 32768);
  // Set by the user (as the slider does): it stays through seq_len changes.
  state_.decay_distance_set = true;
  state_.params.decay_max_distance = 500;
  state_.params.config.seq_len = 2048;
  frames(1);
  EXPECT_EQ(state_.params.decay_max_distance, 500);
  // Ticking "follows seq_len" again.
  state_.decay_distance_set = false;
  frames(1);
  EXPECT_EQ(state_.params.decay_max_distance, 2048);
}

TEST_F(GuiSmoke, TheSourceSaysEditedAfterAnEdit) {
  ASSERT_TRUE(apply_preset(state_, 1));  // Llama-3.1-8B
  frames(1);
  EXPECT_FALSE(source_edited(state_));
  EXPECT_NE(frame_text().find("Source: Llama-3.1-8B (config.json)\n"), std::string::npos);
  state_.params.config.seq_len = 4096;  // every source keeps seq_len: not an edit
  frames(1);
  EXPECT_FALSE(source_edited(state_));
  state_.params.config.base = 600000.0;
  frames(1);
  EXPECT_TRUE(source_edited(state_));
  EXPECT_NE(frame_text().find("Source: Llama-3.1-8B (config.json), edited"), std::string::npos) << frame_text();
  state_.params.config.base = 500000.0;  // back to what the preset says
  frames(1);
  EXPECT_FALSE(source_edited(state_));
  // The built-in default button names its own source.
  reset_to_default(state_);
  EXPECT_EQ(source_text(state_), "built-in default (Llama-2-like head)");
}

TEST_F(GuiSmoke, ManualPairLabelsAndTheTraceLengthSlider) {
  state_.rotation.auto_pairs = false;
  state_.rotation.pairs = {0, 5, 9};
  state_.rotation.trace_length = 16384;
  frames(2);
  const std::string text = frame_text();

  EXPECT_EQ(text.find("pair: pair"), std::string::npos) << text;
  EXPECT_NE(text.find("pair 5"), std::string::npos) << text;
  // The slider and its entry show the same value (the slider used to stop at 4096).
  const size_t at = text.find("trace length P");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string row = text.substr(at, text.find('\n', text.find('\n', at) + 1) - at);
  EXPECT_EQ(row.find("4096"), std::string::npos) << row;
  EXPECT_NE(row.find("{ 16384 } { 16384 }"), std::string::npos) << row;
}

// Windows whose items run past their right edge (a read-out cut off there) or, for windows that
// do not scroll, below their bottom.
std::vector<std::string> overflowing_windows() {
  std::vector<std::string> out;
  for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
    if (!w->Active || w->Hidden || (w->Flags & (ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_Popup))) continue;
    const float right = w->ContentRegionRect.Max.x, bottom = w->ContentRegionRect.Max.y;
    const bool scrolls_y = !(w->Flags & ImGuiWindowFlags_NoScrollbar) && w->ScrollbarY;
    char line[320];
    if (w->DC.CursorMaxPos.x > right + 1.0f) {
      std::snprintf(line, sizeof line, "%s: %.0f px past the right edge", w->Name, w->DC.CursorMaxPos.x - right);
      out.push_back(line);
    }
    if (!scrolls_y && (w->Flags & ImGuiWindowFlags_ChildWindow) && !(w->Flags & ImGuiWindowFlags_AlwaysAutoResize) &&
        std::string(w->Name).find("##sidebar") == std::string::npos && w->DC.CursorMaxPos.y > bottom + 1.0f) {
      std::snprintf(line, sizeof line, "%s: %.0f px below the bottom", w->Name, w->DC.CursorMaxPos.y - bottom);
      out.push_back(line);
    }
  }
  return out;
}

TEST_F(GuiSmoke, EveryViewStaysReadableAtSmallWindowsAndLargeFonts) {
  settle();
  for (const ImVec2 size : {ImVec2(1200.0f, 800.0f), ImVec2(1280.0f, 720.0f), ImVec2(1920.0f, 1080.0f)}) {
    for (const float font : {17.0f, 24.0f, 28.0f, 32.0f}) {
      ImGui::GetIO().DisplaySize = size;
      viz::load_ui_font(font, 1.0f);
      ImGui::GetIO().Fonts->Build();
      frames(2);
      settle();
      const std::string where = std::to_string(static_cast<int>(size.x)) + "x" + std::to_string(static_cast<int>(size.y)) +
                                " font " + std::to_string(static_cast<int>(font));
      // Every map at least 110 px (at font 32 the colour bars beside them take 188 px each), every
      // view at least 13 font sizes wide and 14 high, no two views overlapping.
      EXPECT_GE(derived_.heat_window.width_px, 108) << where;
      std::vector<const ImGuiWindow*> views;
      for (const char* key : {"frequencies", "rotation", "decay", "heatmaps"}) {
        const ImGuiWindow* w = view_window(key);
        ASSERT_TRUE(w) << where << " " << key;
        EXPECT_GE(w->Size.x, 13.0f * font) << where << " " << key;
        EXPECT_GE(w->Size.y, 14.0f * font) << where << " " << key;
        for (const ImGuiWindow* v : views)
          EXPECT_FALSE(w->Rect().Overlaps(v->Rect())) << where << ": " << w->Name << " overlaps " << v->Name;
        views.push_back(w);
      }
      for (const std::string& o : overflowing_windows()) ADD_FAILURE() << where << ": " << o;
    }
  }
}

TEST_F(GuiSmoke, TheSidebarWidthIsDraggedAndKept) {
  frames(2);
  const ImGuiWindow* sidebar = window_named("##sidebar");
  ASSERT_TRUE(sidebar);
  const float before = sidebar->Size.x;
  ImGuiIO& io = ImGui::GetIO();
  const float edge = sidebar->Pos.x + sidebar->Size.x + 2.0f;
  io.MousePos = ImVec2(edge, 300.0f);
  frame();
  io.MouseDown[0] = true;
  frame();
  io.MousePos = ImVec2(edge + 120.0f, 300.0f);
  frame();
  io.MouseDown[0] = false;
  frames(2);
  sidebar = window_named("##sidebar");
  EXPECT_NEAR(sidebar->Size.x, before + 120.0f, 3.0f);
  EXPECT_NEAR(state_.ui.sidebar_width * ImGui::GetFontSize(), sidebar->Size.x, 3.0f);
  // The views gave up the room.
  EXPECT_GT(view_window("frequencies")->Pos.x, sidebar->Pos.x + sidebar->Size.x);
}

TEST_F(GuiSmoke, LongReadOutsWrapInsteadOfBeingCut) {
  // Yarn's attention factor 1.138629... at a narrow sidebar and random content (the decay
  // header's longest line).
  state_.params.config.scaling.type = core::ScalingType::kYarn;
  state_.params.config.scaling.factor = 4.0;
  state_.params.config.scaling.original_max = 4096;
  state_.params.content = core::ContentKind::kRandom;
  state_.ui.sidebar_width = kMinSidebarWidth;
  ImGui::GetIO().DisplaySize = ImVec2(1280.0f, 720.0f);
  settle();
  EXPECT_NEAR(derived_.freqs.attention_factor, 1.1386294361, 1e-9);
  const std::string text = frame_text();
  EXPECT_NE(text.find("1.13863"), std::string::npos) << text;
  for (const std::string& o : overflowing_windows()) ADD_FAILURE() << o;
}

TEST_F(GuiSmoke, SingleViewFramesForRendering) {
  settle();
  for (size_t v = 0; v < views().size(); ++v) {
    FrameOptions options;
    options.only_view = static_cast<int>(v);
    frame(options);
    frame(options);
    EXPECT_TRUE(view_window(views()[v].key)) << views()[v].key;
  }
}

// Every view of every page draws in its page's layout, and every page's view is in the table
// (a row naming no page would never be shown but maximised).
TEST_F(GuiSmoke, EveryViewOfEveryPageDraws) {
  settle();
  int shown = 0;
  for (size_t p = 0; p < pages().size(); ++p) {
    state_.ui.page = static_cast<int>(p);
    frames(3);
    for (const ViewDef& v : views()) {
      if (std::string_view(v.page) != pages()[p].key) continue;
      EXPECT_EQ(v.sessions, kSessionA) << v.key;  // only session A exists yet
      // Views sharing a cell show one at a time: their cell's tab switches to them.
      state_.exact.freq_cell_shows_table = std::string_view(v.key) == "pair-table";
      frames(3);
      EXPECT_TRUE(view_window(v.key)) << "page " << pages()[p].key << ": view " << v.key << " not drawn";
      ++shown;
    }
  }
  EXPECT_EQ(shown, static_cast<int>(views().size()));
  for (const ViewDef& v : views()) EXPECT_GE(page_index(v.page), 0) << v.key;
}

}  // namespace
}  // namespace rope::app
