#pragma once
// The GUI's debug and benchmark hooks, read once from the environment at start-up and handed to
// the frame loop (nothing else in the app reads these variables):
//   ROPESCOPE_BENCH_LATENCY=N  N parameter changes, each timed to the updated heatmaps on screen
//   ROPESCOPE_LOG_LATENCY=1    one stderr line per heatmap update that reaches the screen
//   ROPESCOPE_LOG_FRAMES=1     the UI thread's frame times (and the frame cache's counts) at exit
//   ROPESCOPE_NO_FRAME_CACHE=1 never use the frame cache; ROPESCOPE_FRAME_CACHE=1: use it with any
//                              driver (default: under a software rasteriser only)
//   ROPESCOPE_HEAT_VIEW="m0,m1,n0,n1"  start the heatmaps zoomed to rows [m0, m1), columns [n0, n1)
//   ROPESCOPE_HEAT_TOUR=1      a scripted zoom / pan / zoom-out of the heatmaps, one step a frame
//   ROPESCOPE_DRAG_BASE=S      a scripted S-second drag of the base slider, then a report
//   ROPESCOPE_DRAG_SHOT=F.png  with DRAG_BASE: the window as its first coarse preview shows it
//   ROPESCOPE_PINS="table,pair=12,cell=500:300,distance=1000"  start with those pins set
// Boolean variables count as set when not empty and not "0" (LOG_LATENCY, LOG_FRAMES and
// HEAT_TOUR, set at all, as they always have).
#include <optional>
#include <string>

#include "viz/heatmap.h"

namespace rope::app {

struct DebugOptions {
  int bench_latency = 0;  // changes to time (0: off)
  bool log_latency = false;
  bool log_frames = false;
  enum class FrameCache { kAuto, kOff, kOn };
  FrameCache frame_cache = FrameCache::kAuto;
  std::optional<viz::HeatmapView> heat_view;
  bool heat_tour = false;
  double drag_base_seconds = 0.0;  // 0: off
  std::string drag_shot;           // "" : none
  std::optional<std::string> pins;
};

DebugOptions debug_options_from_env();

// "m0,m1,n0,n1" with m1 > m0 and n1 > n0; nullopt otherwise.
std::optional<viz::HeatmapView> parse_heat_view(const char* text);

}  // namespace rope::app
