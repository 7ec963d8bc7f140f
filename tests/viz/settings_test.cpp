// Settings persistence: round trip, corrupt files, atomic writes, the directory override.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gui/app_state.h"
#include "gui/settings.h"

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
  ASSERT_TRUE(save_settings(a, settings_path(), &error)) << error;

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
  ASSERT_TRUE(save_settings(a));
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

TEST_F(SettingsTest, CorruptFilesAreReportedAndIgnored) {
  const char* bad[] = {
      "{ not json",
      "",
      "[1, 2, 3]",
      R"({"version": 99})",
      R"({"version": 1, "window": {"x": 0, "y": 0, "width": 800, "height": 600}, "font_size": 17, "theme": "dark"})",
      // Valid JSON but an invalid RoPE config (odd rotary dim from head_dim 0).
      R"({"version": 1, "window": {"x": 0, "y": 0, "width": 800, "height": 600}, "font_size": 17, "theme": "dark",
          "params": {"config": {"head_dim": 0, "rotary_fraction": 1, "base": 10000, "layout": "neox", "seq_len": 64,
          "scaling": {"type": "none"}}, "content": "constant", "seed": 0, "causal": true, "softmax": false,
          "decay_max_distance": 100, "decay_log_x": true}})",
  };
  for (const char* text : bad) {
    std::filesystem::create_directories(dir_);
    std::ofstream(settings_path()) << text;
    AppState s;
    s.ui.font_size = 19.0f;
    const AppState before = s;
    const SettingsLoad load = load_settings(s);
    EXPECT_TRUE(load.found);
    EXPECT_FALSE(load.ok) << text;
    EXPECT_NE(load.error.find("using defaults"), std::string::npos) << load.error;
    EXPECT_EQ(s.params, before.params) << text;
    EXPECT_EQ(s.ui, before.ui) << text;
  }
}

TEST_F(SettingsTest, SaveOverwritesAtomically) {
  AppState a;
  ASSERT_TRUE(save_settings(a));
  a.ui.font_size = 30.0f;
  ASSERT_TRUE(save_settings(a));
  AppState b;
  ASSERT_TRUE(load_settings(b).ok);
  EXPECT_FLOAT_EQ(b.ui.font_size, 30.0f);
}

TEST_F(SettingsTest, UnwritableDirectoryFailsWithAMessage) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "x";  // a file where a directory is needed
  std::string error;
  EXPECT_FALSE(save_settings(AppState{}, dir_ / "blocker" / "settings.json", &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace rope::app
