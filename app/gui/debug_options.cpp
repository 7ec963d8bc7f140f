#include "gui/debug_options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace rope::app {
namespace {

// An environment variable set to something other than "" or "0".
bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string_view(v) != "0";
}

}  // namespace

std::optional<viz::HeatmapView> parse_heat_view(const char* text) {
  double m0 = 0, m1 = 0, n0 = 0, n1 = 0;
  if (!text || std::sscanf(text, "%lf,%lf,%lf,%lf", &m0, &m1, &n0, &n1) != 4 || !(m1 > m0) || !(n1 > n0))
    return std::nullopt;
  return viz::HeatmapView{n0, n1, m0, m1};
}

DebugOptions debug_options_from_env() {
  DebugOptions o;
  if (const char* n = std::getenv("ROPESCOPE_BENCH_LATENCY")) o.bench_latency = std::max(0, std::atoi(n));
  o.log_latency = std::getenv("ROPESCOPE_LOG_LATENCY") != nullptr;
  o.log_frames = std::getenv("ROPESCOPE_LOG_FRAMES") != nullptr;
  if (env_flag("ROPESCOPE_NO_FRAME_CACHE"))
    o.frame_cache = DebugOptions::FrameCache::kOff;
  else if (env_flag("ROPESCOPE_FRAME_CACHE"))
    o.frame_cache = DebugOptions::FrameCache::kOn;
  o.heat_view = parse_heat_view(std::getenv("ROPESCOPE_HEAT_VIEW"));
  o.heat_tour = std::getenv("ROPESCOPE_HEAT_TOUR") != nullptr;
  if (const char* s = std::getenv("ROPESCOPE_DRAG_BASE")) o.drag_base_seconds = std::max(0.0, std::atof(s));
  if (const char* s = std::getenv("ROPESCOPE_DRAG_SHOT")) o.drag_shot = s;
  if (const char* s = std::getenv("ROPESCOPE_PINS")) o.pins = s;
  return o;
}

}  // namespace rope::app
