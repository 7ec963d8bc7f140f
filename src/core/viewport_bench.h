#pragma once
// `ropescope bench --scenario viewport`: a scripted sequence of zooms and pans over a long
// causal score matrix (default seq_len 131072, d = 128) in a 1024 x 1024 viewport, drawn by the
// viewport engine with its cache, as the GUI does. Reports the cache build (the cost of a
// parameter change), median and p95 frame time, and peak RSS. A last series draws softmax of
// random content (every cell, exact row statistics): the whole matrix once, then exact-cell
// windows along the diagonal.
#include <cstdint>
#include <string>
#include <vector>

#include "core/rope_config.h"

namespace rope::core {

struct ViewportBenchSeries {
  std::string name;      // e.g. "logits, constant content"
  double build_ms = 0;   // first frame after a parameter change (cache fill + draw)
  double median_ms = 0;  // frames of the scripted sequence, cache warm
  double p95_ms = 0;
  double max_ms = 0;
  int frames = 0;
  double cache_mb = 0;
};

struct ViewportBenchReport {
  int64_t seq_len = 0;
  int head_dim = 0;
  int viewport = 0;
  std::vector<ViewportBenchSeries> series;
  double peak_rss_mb = 0;
  std::string to_json() const;
  std::string to_text() const;
};

// The scripted view rectangles: zoom from the whole matrix towards a point near the diagonal
// down to cell level, pan along the diagonal, zoom back out. Each is {m0, m1, n0, n1}.
std::vector<std::vector<int64_t>> viewport_script(int64_t seq_len, int viewport);

ViewportBenchReport run_viewport_bench(const RopeFrequencies& freqs, int64_t seq_len = 131072, int viewport = 1024);

// Peak resident set size of this process so far, in MB.
double peak_rss_mb();

}  // namespace rope::core
