// Settings persistence: round trip, corrupt files, atomic writes, the directory override.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gui/app_state.h"
#include "gui/settings.h"
#include "gui/views.h"

namespace rope::app {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ropescope_settings_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    ::setenv("ROPESCOPE_CONFIG_DIR", dir_.c_str(), 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SettingsTest, PathFollowsTheOverride) {
  EXPECT_EQ(settings_dir(), dir_);
  EXPECT_EQ(settings_path(), dir_ / "settings.json");
  EXPECT_EQ(imgui_ini_path(), dir_ / "imgui.ini");
}

TEST_F(SettingsTest, RoundTripKeepsEverything) {
  AppState a;
  a.ui.font_size = 23.0f;
  a.ui.theme = viz::Theme::kLight;
  a.ui.maximised = 2;
  a.ui.window_x = 40;
  a.ui.window_y = 50;
  a.ui.window_width = 1234;
  a.ui.window_height = 777;
  a.params.config.base = 500000.0;
  a.params.config.head_dim = 96;
  a.params.config.rotary_fraction = 0.25;
  a.params.config.layout = core::Layout::kGptj;
  a.params.config.seq_len = 8192;
  a.params.config.max_position_embeddings = 131072;
  a.params.config.scaling.type = core::ScalingType::kYarn;
  a.params.config.scaling.factor = 40.0;
  a.params.config.scaling.original_max = 4096;
  a.params.config.scaling.mscale = 0.707;
  a.params.config.scaling.truncate = false;
  a.params.content = core::ContentKind::kRandom;
  a.params.seed = 12345678901234ull;
  a.params.causal = false;
  a.params.softmax = true;
  a.params.decay_max_distance = 1 << 20;
  a.params.decay_log_x = false;
  a.colormap = viz::Colormap::kMagma;
  a.diverging_colormap = viz::Colormap::kCoolwarm;
  a.freq_axis = FreqAxis::kWavelength;
  a.rotation.auto_pairs = false;
  a.rotation.pairs = {1, 2, 3};
  a.source_label = "DeepSeek-V2-Lite (config.json)";
  a.ui.sidebar_width = 30.0f;
  a.decay_distance_set = true;
  ASSERT_TRUE(source_edited(a));  // the config differs from the default it started from
  std::string error;
  ASSERT_TRUE(save_settings(a, Derived{}, settings_path(), &error)) << error;

  AppState b;
  const SettingsLoad load = load_settings(b);
  ASSERT_TRUE(load.found);
  ASSERT_TRUE(load.ok) << load.error;
  EXPECT_EQ(b.params, a.params);
  EXPECT_EQ(b.ui, a.ui);
  EXPECT_EQ(b.colormap, a.colormap);
  EXPECT_EQ(b.diverging_colormap, a.diverging_colormap);
  EXPECT_EQ(b.freq_axis, a.freq_axis);
  EXPECT_EQ(b.rotation.pairs, a.rotation.pairs);
  EXPECT_FALSE(b.rotation.auto_pairs);
  EXPECT_EQ(b.source_label, a.source_label);
  EXPECT_FLOAT_EQ(b.ui.sidebar_width, 30.0f);
  EXPECT_TRUE(b.decay_distance_set);
  EXPECT_TRUE(source_edited(b)) << "still edited after a restart";
  // Nothing but the file itself is left in the directory (the temp file was renamed).
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(SettingsTest, AnUneditedSourceAndAFollowingDecayDistanceStaySo) {
  AppState a;
  a.params.config.base = 500000.0;
  set_source(a, "Llama-3.1-8B (config.json)");
  ASSERT_TRUE(save_settings(a, Derived{}));
  AppState b;
  ASSERT_TRUE(load_settings(b).ok);
  EXPECT_FALSE(source_edited(b));
  EXPECT_FALSE(b.decay_distance_set);
  b.params.config.base = 600000.0;  // an edit after the restart
  EXPECT_TRUE(source_edited(b));
  EXPECT_EQ(source_text(b), "Llama-3.1-8B (config.json), edited");
}

TEST_F(SettingsTest, MissingFileIsNotAnError) {
  AppState s;
  const SettingsLoad load = load_settings(s);
  EXPECT_FALSE(load.found);
  EXPECT_TRUE(load.error.empty());
}

TEST_F(SettingsTest, FilesThatAreNotJsonObjectsAreReportedAndIgnored) {
  for (const char* text : {"{ not json", "", "[1, 2, 3]", "17"}) {
    std::filesystem::create_directories(dir_);
    std::ofstream(settings_path()) << text;
    AppState s;
    s.ui.font_size = 19.0f;
    const AppState before = s;
    const SettingsLoad load = load_settings(s);
    EXPECT_TRUE(load.found);
    EXPECT_FALSE(load.ok) << text;
    EXPECT_NE(load.error.find("using defaults"), std::string::npos) << load.error;
    EXPECT_EQ(load.error.find('\n'), std::string::npos) << load.error;
    EXPECT_EQ(s.params, before.params) << text;
    EXPECT_EQ(s.ui, before.ui) << text;
  }
}

// A state far from the defaults in every field the file holds.
AppState customised() {
  AppState a;
  a.ui.font_size = 23.0f;
  a.ui.theme = viz::Theme::kLight;
  a.ui.maximised = 3;
  a.ui.page = 1;
  a.ui.window_width = 1234;
  a.ui.window_height = 777;
  a.params.config.base = 500000.0;
  a.params.config.head_dim = 96;
  a.params.config.rotary_fraction = 0.5;
  a.params.config.seq_len = 8192;
  a.params.config.scaling.type = core::ScalingType::kLlama3;
  a.params.config.scaling.factor = 8.0;
  a.params.config.scaling.low_freq_factor = 1.0;
  a.params.config.scaling.high_freq_factor = 4.0;
  a.params.config.scaling.original_max = 8192;
  a.params.content = core::ContentKind::kRandom;
  a.params.decay_max_distance = 4096;
  a.colormap = viz::Colormap::kMagma;
  a.freq_axis = FreqAxis::kWavelength;
  a.rotation.trace_length = 100;
  return a;
}

// The saved text of `a` with the JSON value at `pointer` replaced by `value` (or removed when
// value is discarded).
std::string with_field(const AppState& a, const std::string& pointer, const nlohmann::json& value) {
  nlohmann::json j = nlohmann::json::parse(settings_to_json(a, Derived{}));
  j[nlohmann::json::json_pointer(pointer)] = value;
  return j.dump();
}

TEST_F(SettingsTest, ABadOrUnknownFieldCostsThatFieldAlone) {
  const AppState saved = customised();
  struct Case {
    const char* pointer;
    nlohmann::json value;
    const char* named;  // what the note names
  };
  const Case cases[] = {
      {"/params/config/base", -5.0, "params.config.base"},
      {"/params/config/rotary_fraction", 0.0, "params.config.rotary_fraction"},
      {"/params/config/head_dim", "wide", "params.config.head_dim"},
      {"/params/config/seq_len", 0, "params.config.seq_len"},
      {"/params/config/scaling/high_freq_factor", 0.5, "params.config.scaling.high_freq_factor"},
      {"/params/config/scaling/type", "warp", "params.config.scaling.type"},
      {"/params/content", "noise", "params.content"},
      {"/params/decay_max_distance", 3, "params.decay_max_distance"},
      {"/theme", "purple", "theme"},
      {"/font_size", 400, "font_size"},
      {"/maximised_view", 9, "maximised_view"},
      {"/maximised_view", "nowhere", "maximised_view"},
      {"/page", "back", "page"},
      {"/view/colormap", "rdbu", "view.colormap"},
      {"/view/rotation_trace_length", -1, "view.rotation_trace_length"},
      {"/window", 3, "window"},
      {"/version", 0, "version"},
      {"/colour_mode", "fancy", "colour_mode"},
      {"/params/config/scaling/warp_speed", 9, "params.config.scaling.warp_speed"},
  };
  for (const Case& c : cases) {
    std::filesystem::create_directories(dir_);
    std::ofstream(settings_path()) << with_field(saved, c.pointer, c.value);
    AppState loaded;
    const SettingsLoad load = load_settings(loaded);
    ASSERT_TRUE(load.ok) << c.pointer << ": " << load.error;
    ASSERT_EQ(load.notes.size(), 1u) << c.pointer << ": " << load.error;
    EXPECT_EQ(load.notes[0].rfind(c.named, 0), 0u) << load.notes[0];
    EXPECT_NE(load.error.find(c.named), std::string::npos) << load.error;
    EXPECT_EQ(load.error.find('\n'), std::string::npos) << load.error;
    // The bad field has its default; every other field is as saved.
    const AppState defaults;
    AppState expected = saved;
    const std::string p = c.pointer;
    if (p == "/params/config/base") expected.params.config.base = defaults.params.config.base;
    if (p == "/params/config/rotary_fraction") expected.params.config.rotary_fraction = defaults.params.config.rotary_fraction;
    if (p == "/params/config/head_dim") expected.params.config.head_dim = defaults.params.config.head_dim;
    if (p == "/params/config/seq_len") expected.params.config.seq_len = defaults.params.config.seq_len;
    // A parameter the scaling type requires: without it the type means nothing, and the scaling
    // is the default's (the note names the parameter).
    if (p == "/params/config/scaling/high_freq_factor") expected.params.config.scaling = defaults.params.config.scaling;
    if (p == "/params/config/scaling/type") expected.params.config.scaling = defaults.params.config.scaling;
    if (p == "/params/content") expected.params.content = defaults.params.content;
    if (p == "/params/decay_max_distance") expected.params.decay_max_distance = defaults.params.decay_max_distance;
    if (p == "/theme") expected.ui.theme = defaults.ui.theme;
    if (p == "/font_size") expected.ui.font_size = defaults.ui.font_size;
    if (p == "/maximised_view") expected.ui.maximised = defaults.ui.maximised;
    if (p == "/page") expected.ui.page = defaults.ui.page;
    if (p == "/view/colormap") expected.colormap = defaults.colormap;
    if (p == "/view/rotation_trace_length") expected.rotation.trace_length = defaults.rotation.trace_length;
    if (p == "/window") {
      expected.ui.window_width = defaults.ui.window_width;
      expected.ui.window_height = defaults.ui.window_height;
    }
    EXPECT_EQ(loaded.params, expected.params) << c.pointer;
    EXPECT_EQ(loaded.ui, expected.ui) << c.pointer;
    EXPECT_EQ(loaded.colormap, expected.colormap) << c.pointer;
    EXPECT_EQ(loaded.freq_axis, expected.freq_axis) << c.pointer;
    EXPECT_EQ(loaded.rotation, expected.rotation) << c.pointer;
  }
}

// The maximised view is saved by its key (rows of the view table may move); a file that saved
// its row (0..4, the order before views were a table) still loads, as does null for none.
TEST_F(SettingsTest, TheMaximisedViewIsSavedByKeyAndAnOldIndexStillLoads) {
  AppState a = customised();
  a.ui.maximised = view_index("pair-table");
  const nlohmann::json saved = nlohmann::json::parse(settings_to_json(a, Derived{}));
  EXPECT_EQ(saved["maximised_view"], "pair-table");
  EXPECT_EQ(saved["page"], "config");
  std::filesystem::create_directories(dir_);
  for (const auto& [value, expected] : {std::pair{nlohmann::json(3), view_index("heatmaps")},
                                        std::pair{nlohmann::json(-1), -1},
                                        std::pair{nlohmann::json(nullptr), -1},
                                        std::pair{nlohmann::json("decay"), view_index("decay")}}) {
    std::ofstream(settings_path()) << with_field(a, "/maximised_view", value);
    AppState loaded;
    const SettingsLoad load = load_settings(loaded);
    ASSERT_TRUE(load.ok);
    EXPECT_TRUE(load.notes.empty()) << value << ": " << load.error;
    EXPECT_EQ(loaded.ui.maximised, expected) << value;
    EXPECT_EQ(loaded.ui.page, page_index("config"));
  }
}

TEST_F(SettingsTest, ANewerVersionIsReadFieldByField) {
  std::filesystem::create_directories(dir_);
  std::ofstream(settings_path()) << with_field(customised(), "/version", kSettingsVersion + 1);
  AppState loaded;
  const SettingsLoad load = load_settings(loaded);
  ASSERT_TRUE(load.ok);
  ASSERT_EQ(load.notes.size(), 1u) << load.error;
  EXPECT_NE(load.notes[0].find("newer"), std::string::npos) << load.notes[0];
  EXPECT_EQ(loaded.params, customised().params);
}

TEST_F(SettingsTest, AnInvalidEditIsSavedWithItsLastValidValue) {
  AppState a = customised();
  Derived derived;
  derived.valid_params = a.params;  // what the views show
  a.params.config.rotary_fraction = 0.0;  // typed, rejected
  a.params.config.base = -5.0;            // typed, rejected
  a.params.config.seq_len = 2048;         // typed, fine
  ASSERT_TRUE(save_settings(a, derived));
  AppState b;
  const SettingsLoad load = load_settings(b);
  ASSERT_TRUE(load.ok);
  EXPECT_TRUE(load.notes.empty()) << load.error;
  EXPECT_TRUE(load.error.empty()) << load.error;
  EXPECT_EQ(b.params.config.rotary_fraction, 0.5);
  EXPECT_EQ(b.params.config.base, 500000.0);
  EXPECT_EQ(b.params.config.seq_len, 2048);
  EXPECT_EQ(b.ui, a.ui);
}

TEST_F(SettingsTest, HeatmapZoomAndPanSurviveASaveAndLoad) {
  AppState a;
  a.params.config.seq_len = 1024;
  Derived derived;
  for (viz::Heatmap& hm : derived.heat_gl.maps) hm.set_logical_size(1024, 1024);
  const viz::HeatmapView zoomed{100.5, 300.25, 50.0, 250.0};
  derived.heat_gl.shared_view = zoomed;
  ASSERT_TRUE(save_settings(a, derived));
  AppState b;
  ASSERT_TRUE(load_settings(b).ok);
  ASSERT_TRUE(b.heat_view.has_value());
  EXPECT_EQ(b.heat_view->seq_len, 1024);
  EXPECT_EQ(b.heat_view->view, zoomed);
  ASSERT_TRUE(saved_heat_view(b).has_value());
  EXPECT_EQ(*saved_heat_view(b), zoomed);
  // Maps of another size: the cells mean something else, the view is not applied.
  b.params.config.seq_len = 4096;
  EXPECT_FALSE(saved_heat_view(b).has_value());
  // Saved again before the maps have a size (the heatmaps not drawn yet): the loaded view stays.
  ASSERT_TRUE(save_settings(b, Derived{}));
  AppState c;
  ASSERT_TRUE(load_settings(c).ok);
  EXPECT_EQ(c.heat_view, b.heat_view);
}

TEST_F(SettingsTest, SaveOverwritesAtomically) {
  AppState a;
  ASSERT_TRUE(save_settings(a, Derived{}));
  a.ui.font_size = 30.0f;
  ASSERT_TRUE(save_settings(a, Derived{}));
  AppState b;
  ASSERT_TRUE(load_settings(b).ok);
  EXPECT_FLOAT_EQ(b.ui.font_size, 30.0f);
}

TEST_F(SettingsTest, UnwritableDirectoryFailsWithAMessage) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "x";  // a file where a directory is needed
  std::string error;
  EXPECT_FALSE(save_settings(AppState{}, Derived{}, dir_ / "blocker" / "settings.json", &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace rope::app
