// The GUI's debug hooks are read from the environment in one place (gui/debug_options.h).
#include <gtest/gtest.h>

#include <cstdlib>

#include "gui/debug_options.h"

namespace rope::app {
namespace {

constexpr const char* kNames[] = {"ROPESCOPE_BENCH_LATENCY", "ROPESCOPE_LOG_LATENCY", "ROPESCOPE_LOG_FRAMES",
                                  "ROPESCOPE_NO_FRAME_CACHE", "ROPESCOPE_FRAME_CACHE", "ROPESCOPE_HEAT_VIEW",
                                  "ROPESCOPE_HEAT_TOUR", "ROPESCOPE_DRAG_BASE", "ROPESCOPE_DRAG_SHOT", "ROPESCOPE_PINS"};

class DebugOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* n : kNames) ::unsetenv(n);
  }
};

TEST_F(DebugOptionsTest, NothingSetMeansEveryHookOff) {
  const DebugOptions o = debug_options_from_env();
  EXPECT_EQ(o.bench_latency, 0);
  EXPECT_FALSE(o.log_latency || o.log_frames || o.heat_tour);
  EXPECT_EQ(o.frame_cache, DebugOptions::FrameCache::kAuto);
  EXPECT_FALSE(o.heat_view || o.pins);
  EXPECT_EQ(o.drag_base_seconds, 0.0);
  EXPECT_TRUE(o.drag_shot.empty());
}

TEST_F(DebugOptionsTest, EachVariableSetsItsField) {
  ::setenv("ROPESCOPE_BENCH_LATENCY", "12", 1);
  ::setenv("ROPESCOPE_LOG_LATENCY", "1", 1);
  ::setenv("ROPESCOPE_LOG_FRAMES", "1", 1);
  ::setenv("ROPESCOPE_FRAME_CACHE", "1", 1);
  ::setenv("ROPESCOPE_HEAT_VIEW", "0,512,100,300", 1);
  ::setenv("ROPESCOPE_HEAT_TOUR", "1", 1);
  ::setenv("ROPESCOPE_DRAG_BASE", "2.5", 1);
  ::setenv("ROPESCOPE_DRAG_SHOT", "/tmp/x.png", 1);
  ::setenv("ROPESCOPE_PINS", "table,pair=3", 1);
  DebugOptions o = debug_options_from_env();
  EXPECT_EQ(o.bench_latency, 12);
  EXPECT_TRUE(o.log_latency && o.log_frames && o.heat_tour);
  EXPECT_EQ(o.frame_cache, DebugOptions::FrameCache::kOn);
  ASSERT_TRUE(o.heat_view);
  // Rows m are the view's y, columns n its x.
  EXPECT_EQ(o.heat_view->y0, 0.0);
  EXPECT_EQ(o.heat_view->y1, 512.0);
  EXPECT_EQ(o.heat_view->x0, 100.0);
  EXPECT_EQ(o.heat_view->x1, 300.0);
  EXPECT_EQ(o.drag_base_seconds, 2.5);
  EXPECT_EQ(o.drag_shot, "/tmp/x.png");
  EXPECT_EQ(o.pins, "table,pair=3");
  // Turning the cache off wins over turning it on; "0" is off.
  ::setenv("ROPESCOPE_NO_FRAME_CACHE", "1", 1);
  EXPECT_EQ(debug_options_from_env().frame_cache, DebugOptions::FrameCache::kOff);
  ::setenv("ROPESCOPE_NO_FRAME_CACHE", "0", 1);
  ::setenv("ROPESCOPE_FRAME_CACHE", "0", 1);
  EXPECT_EQ(debug_options_from_env().frame_cache, DebugOptions::FrameCache::kAuto);
}

TEST_F(DebugOptionsTest, ABadHeatViewIsIgnored) {
  EXPECT_FALSE(parse_heat_view(nullptr));
  EXPECT_FALSE(parse_heat_view("0,512,100"));
  EXPECT_FALSE(parse_heat_view("512,0,100,300"));  // empty rows
  EXPECT_FALSE(parse_heat_view("0,512,300,300"));  // empty columns
  EXPECT_TRUE(parse_heat_view("0,512,100,300"));
}

}  // namespace
}  // namespace rope::app
