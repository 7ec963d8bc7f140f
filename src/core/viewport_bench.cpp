#include "core/viewport_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/viewport.h"

namespace rope::core {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

std::vector<std::vector<int64_t>> viewport_script(int64_t n, int viewport) {
  std::vector<std::vector<int64_t>> rects;
  const double cx = 0.62 * static_cast<double>(n), cy = 0.6 * static_cast<double>(n);  // near the diagonal
  const auto rect = [&](double x, double y, double span) {
    span = std::clamp(span, 16.0, static_cast<double>(n));
    const int64_t s = static_cast<int64_t>(span);
    const int64_t m0 = std::clamp<int64_t>(static_cast<int64_t>(y - span / 2), 0, n - s);
    const int64_t n0 = std::clamp<int64_t>(static_cast<int64_t>(x - span / 2), 0, n - s);
    rects.push_back({m0, m0 + s, n0, n0 + s});
  };
  // Zoom in by 1.25x per frame from the whole matrix to about half a viewport of cells.
  double span = static_cast<double>(n);
  while (span > viewport / 2.0) {
    rect(cx, cy, span);
    span /= 1.25;
  }
  // Pan along the diagonal at cell level, then at 64 cells per texel.
  for (int i = 0; i < 20; ++i) rect(cx + i * span / 4, cy + i * span / 4, span);
  for (int i = 0; i < 20; ++i) rect(cx + i * 4096.0, cy + i * 4096.0, 64.0 * viewport);
  // Zoom back out.
  while (span < static_cast<double>(n)) {
    rect(cx, cy, span);
    span *= 1.6;
  }
  rect(cx, cy, static_cast<double>(n));
  return rects;
}

namespace {

// One series: the first request over the whole matrix (cache fill), then one frame per window
// {m0, m1, n0, n1} with the cache warm.
ViewportBenchSeries run_series(const RopeFrequencies& freqs, int64_t seq_len, int viewport, const char* name,
                               ContentKind content_kind, HeatmapValue value,
                               const std::vector<std::vector<int64_t>>& windows) {
  const Content content = Content::generated(content_kind, freqs.head_dim, 1);
  ViewportCache cache;
  ViewportRequest req;
  req.num_q = req.num_k = seq_len;
  req.max_width = req.max_height = viewport;
  req.options.causal = true;
  req.value = value;
  req.m1 = req.n1 = seq_len;
  ViewportBenchSeries series;
  series.name = name;
  auto t0 = std::chrono::steady_clock::now();
  compute_viewport(freqs, content, req, {}, &cache);
  series.build_ms = elapsed_ms(t0);
  std::vector<double> frames;
  for (const auto& w : windows) {
    req.m0 = w[0], req.m1 = w[1], req.n0 = w[2], req.n1 = w[3];
    t0 = std::chrono::steady_clock::now();
    compute_viewport(freqs, content, req, {}, &cache);
    frames.push_back(elapsed_ms(t0));
  }
  series.frames = static_cast<int>(frames.size());
  series.median_ms = percentile(frames, 0.5);
  series.p95_ms = percentile(frames, 0.95);
  series.max_ms = *std::max_element(frames.begin(), frames.end());
  series.cache_mb = static_cast<double>(cache.memory_bytes()) / 1e6;
  return series;
}

}  // namespace

ViewportBenchReport run_viewport_bench(const RopeFrequencies& freqs, int64_t seq_len, int viewport) {
  ViewportBenchReport report;
  report.seq_len = seq_len;
  report.head_dim = freqs.head_dim;
  report.viewport = viewport;
  const auto script = viewport_script(seq_len, viewport);
  report.series.push_back(run_series(freqs, seq_len, viewport, "logits, constant content", ContentKind::kConstant,
                                     HeatmapValue::kLogits, script));
  report.series.push_back(run_series(freqs, seq_len, viewport, "softmax, constant content", ContentKind::kConstant,
                                     HeatmapValue::kSoftmax, script));
  report.series.push_back(run_series(freqs, seq_len, viewport, "logits, random content", ContentKind::kRandom,
                                     HeatmapValue::kLogits, script));
  // Softmax of random content: every visible cell with exact whole-row statistics. The build is
  // the whole matrix once; the frames are exact-cell windows along the diagonal.
  std::vector<std::vector<int64_t>> diagonal;
  for (int i = 0; i < 10; ++i) {
    const int64_t m0 = std::min(seq_len - viewport, static_cast<int64_t>(seq_len * (0.1 + 0.09 * i)));
    const int64_t n0 = std::max<int64_t>(0, m0 - viewport / 2);
    diagonal.push_back({m0, m0 + viewport, n0, n0 + viewport});
  }
  report.series.push_back(run_series(freqs, seq_len, viewport, "softmax, random content", ContentKind::kRandom,
                                     HeatmapValue::kSoftmax, diagonal));
  report.peak_rss_mb = peak_rss_mb();
  return report;
}

std::string ViewportBenchReport::to_json() const {
  nlohmann::json j;
  j["scenario"] = "viewport";
  j["seq_len"] = seq_len;
  j["head_dim"] = head_dim;
  j["viewport"] = viewport;
  j["peak_rss_mb"] = peak_rss_mb;
  for (const auto& s : series) {
    j["series"].push_back({{"name", s.name}, {"build_ms", s.build_ms}, {"frames", s.frames}, {"median_ms", s.median_ms},
                           {"p95_ms", s.p95_ms}, {"max_ms", s.max_ms}, {"cache_mb", s.cache_mb}});
  }
  return j.dump(2);
}

std::string ViewportBenchReport::to_text() const {
  std::ostringstream s;
  char line[200];
  s << "viewport scenario: seq_len " << seq_len << ", head_dim " << head_dim << ", " << viewport << "x" << viewport
    << " viewport, causal, scripted zooms and pans\n";
  s << "  series                       build ms  frames  median ms  p95 ms  max ms  cache MB\n";
  for (const auto& x : series) {
    std::snprintf(line, sizeof line, "  %-27s %9.1f  %6d  %9.2f  %6.2f  %6.2f  %8.0f\n", x.name.c_str(), x.build_ms,
                  x.frames, x.median_ms, x.p95_ms, x.max_ms, x.cache_mb);
    s << line;
  }
  std::snprintf(line, sizeof line, "  peak RSS %.0f MB\n", peak_rss_mb);
  s << line;
  return s.str();
}

}  // namespace rope::core
