// Computations behind the views (worker threads, no GL, no ImGui). The heatmaps come from the
// core's viewport engine (core/viewport.h): only the visible cells, at most one texel per screen
// pixel, each texel the exact mean of its block; nothing here samples single cells.
#include "gui/compute.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>

#include "core/attention.h"
#include "core/error.h"

namespace rope::app {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Snaps [lo, hi) (continuous) to whole blocks of `block` cells inside [0, n).
std::pair<int64_t, int64_t> snap(double lo, double hi, int64_t n, int64_t block) {
  int64_t a = static_cast<int64_t>(std::floor(std::max(0.0, lo)));
  int64_t b = static_cast<int64_t>(std::ceil(std::min(static_cast<double>(n), hi)));
  a = std::clamp<int64_t>(a, 0, n - 1);
  b = std::clamp<int64_t>(b, a + 1, n);
  a = a / block * block;
  b = std::min(n, (b + block - 1) / block * block);
  return {a, b};
}

int64_t block_for(double lo, double hi, int64_t n, int budget) {
  const double span = std::clamp(hi - lo, 1.0, static_cast<double>(n));
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::ceil(span) / budget)));
}

HeatMatrix to_matrix(core::ViewportImage&& image) {
  HeatMatrix m;
  m.rows = image.height;
  m.cols = image.width;
  m.values = std::move(image.values);
  m.method = image.method;
  m.available = true;
  float lo = std::numeric_limits<float>::infinity(), hi = -lo, pos = lo;
  for (float v : m.values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    if (v > 0.0f) pos = std::min(pos, v);
  }
  m.min = std::isfinite(lo) ? lo : 0.0f;
  m.max = std::isfinite(hi) ? hi : 0.0f;
  m.min_positive = std::isfinite(pos) ? pos : 0.0f;
  return m;
}

std::string summary_of(const HeatmapResult& r) {
  if (r.coarse) {
    // No longer than the full picture's (the panel keeps room for the longest).
    return "coarse preview (" + std::to_string(r.rotary.cols) + " x " + std::to_string(r.rotary.rows) +
           " texels): exact block means of " + std::to_string(r.rows_per_texel) + " x " +
           std::to_string(r.cols_per_texel) + " cells" + (r.absolute.available ? "" : "; absolute: computing");
  }
  if (r.exact_cells()) return "exact cells (one cell per texel)";
  const std::string per = std::to_string(r.rows_per_texel) + " x " + std::to_string(r.cols_per_texel) +
                          " cells per texel";
  const std::string_view a = core::describe(r.absolute.method), b = core::describe(r.rotary.method);
  if (!r.absolute.available) return "rotary: " + std::string(b) + "; absolute: computing; " + per;
  if (a == b) return std::string(a) + ", " + per;
  return "absolute: " + std::string(a) + "; rotary: " + std::string(b) + "; " + per;
}

}  // namespace

DecayKey decay_key(const ComputeParams& params, int num_points) {
  return DecayKey{params.config, params.content, params.seed, params.decay_max_distance, params.decay_log_x,
                  num_points};
}

HeatWindow visible_window(double x0, double x1, double y0, double y1, int64_t seq_len, int width_px,
                          int height_px) {
  HeatWindow w;
  if (seq_len < 1) return w;
  w.seq_len = seq_len;
  w.width_px = width_px;
  w.height_px = height_px;
  const int64_t bh = block_for(y0, y1, seq_len, std::clamp(height_px, 1, kDefaultMaxTexels));
  const int64_t bw = block_for(x0, x1, seq_len, std::clamp(width_px, 1, kDefaultMaxTexels));
  std::tie(w.m0, w.m1) = snap(y0, y1, seq_len, bh);
  std::tie(w.n0, w.n1) = snap(x0, x1, seq_len, bw);
  // Budgets that give exactly the blocks chosen above (the core picks ceil(span / budget)).
  w.max_height = static_cast<int>((w.m1 - w.m0 + bh - 1) / bh);
  w.max_width = static_cast<int>((w.n1 - w.n0 + bw - 1) / bw);
  return w;
}

namespace {

// The heatmaps show the first kMaxHeatmapTokens positions of a longer context, and their values
// depend on seq_len only through the frequencies (dynamic and longrope scaling). Where those are
// the same at the capped length, the key holds the capped length: moving seq_len about above the
// cap then asks for nothing new (and keeps the viewport cache).
core::RopeConfig heat_config(const core::RopeConfig& config) {
  if (config.seq_len <= kMaxHeatmapTokens) return config;
  core::RopeConfig capped = config;
  capped.seq_len = kMaxHeatmapTokens;
  try {
    const core::RopeFrequencies full = core::compute_frequencies(config);
    const core::RopeFrequencies first = core::compute_frequencies(capped);
    if (full.inv_freq == first.inv_freq && full.attention_factor == first.attention_factor) return capped;
  } catch (const core::RopeError&) {
    // Not valid at the capped length: keep the whole context's key.
  }
  return config;
}

}  // namespace

HeatKey heat_key(const ComputeParams& params, const HeatWindow& window) {
  HeatKey key{heat_config(params.config), params.content, params.seed, params.causal, params.softmax, window};
  const int64_t n = heatmap_tokens(key.config);
  if (window.seq_len != n || window.m1 <= window.m0 || window.n1 <= window.n0) {
    key.window = window.width_px > 0 && window.height_px > 0 && n > 0
                     ? visible_window(0.0, static_cast<double>(n), 0.0, static_cast<double>(n), n, window.width_px,
                                      window.height_px)
                     : HeatWindow{n, 0, n, 0, n, kInitialTexels, kInitialTexels};
  }
  return key;
}

bool HeatmapResult::same_map(const HeatmapResult& other, int k) const {
  const HeatMatrix& a = map(k);
  const HeatMatrix& b = other.map(k);
  return a.available && b.available && seq_len == other.seq_len && m0 == other.m0 && m1 == other.m1 &&
         n0 == other.n0 && n1 == other.n1 && rows_per_texel == other.rows_per_texel &&
         cols_per_texel == other.cols_per_texel && a.rows == b.rows && a.cols == b.cols &&
         a.values.size() == b.values.size() &&
         (a.values.empty() || std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0);
}

std::optional<std::pair<int, int>> HeatmapResult::texel_of(int64_t m, int64_t n) const {
  if (m < m0 || m >= m1 || n < n0 || n >= n1) return std::nullopt;
  const int i = static_cast<int>((m - m0) / rows_per_texel), j = static_cast<int>((n - n0) / cols_per_texel);
  if (i >= rotary.rows || j >= rotary.cols) return std::nullopt;
  return std::pair<int, int>{i, j};
}

std::optional<DecayResult> compute_decay(const DecayKey& key, const CancelFn& cancelled) {
  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::DecayCurve curve =
      core::decay_curve_sampled(freqs, key.max_distance, std::max(2, key.num_points), key.log_x);
  if (cancelled()) return std::nullopt;
  DecayResult r;
  r.key = key;
  r.roformer_bound = curve.roformer_bound;
  r.mean_cos = curve.mean_cos;
  r.distance.reserve(curve.distance.size());
  for (int64_t x : curve.distance) r.distance.push_back(static_cast<double>(x));
  // Actual score: query at position r, key at position 0, same encoding the heatmaps use.
  const core::Content content = core::Content::generated(key.content, freqs.head_dim, key.seed);
  const int d = freqs.head_dim;
  std::vector<float> k0(d), q(d);
  core::encode_rows(freqs, content, core::Encoding::kRope, 0, true, 0, 1, k0.data());
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  r.actual.reserve(curve.distance.size());
  for (size_t i = 0; i < curve.distance.size(); ++i) {
    if ((i & 255) == 0 && cancelled()) return std::nullopt;
    const int64_t pos = curve.distance[i];
    core::encode_rows(freqs, content, core::Encoding::kRope, 0, false, pos, pos + 1, q.data());
    double dot = 0.0;
    for (int c = 0; c < d; ++c) dot += static_cast<double>(q[c]) * k0[c];
    r.actual.push_back(dot * inv_sqrt_d);
  }
  {
    core::encode_rows(freqs, content, core::Encoding::kRope, 0, false, 0, 1, q.data());
    double nq = 0.0, nk = 0.0;
    for (int c = 0; c < d; ++c) {
      nq += static_cast<double>(q[c]) * q[c];
      nk += static_cast<double>(k0[c]) * k0[c];
    }
    r.actual_scale = std::sqrt(nq * nk) * inv_sqrt_d;
    if (!(r.actual_scale > 0.0)) r.actual_scale = 1.0;
  }
  r.original_context = freqs.original_max > 0 ? freqs.original_max
                                              : key.config.max_position_embeddings.value_or(0);
  if (cancelled()) return std::nullopt;
  r.first_negative_limit = std::max<int64_t>(key.max_distance, 1);
  r.first_negative = core::first_negative_distance(freqs, r.first_negative_limit);
  return r;
}

namespace {

// The core's request for key's window (a window of another length: the whole matrix).
core::ViewportRequest viewport_request(const HeatKey& key) {
  const int64_t n = heatmap_tokens(key.config);
  const HeatWindow& w = key.window;
  core::ViewportRequest request;
  request.num_q = request.num_k = n;
  request.m0 = w.m0;
  request.m1 = w.m1;
  request.n0 = w.n0;
  request.n1 = w.n1;
  if (w.seq_len != n || w.m1 <= w.m0 || w.n1 <= w.n0) {
    request.m0 = request.n0 = 0;
    request.m1 = request.n1 = n;
  }
  request.max_width = std::clamp(w.max_width, 1, kDefaultMaxTexels);
  request.max_height = std::clamp(w.max_height, 1, kDefaultMaxTexels);
  request.options.causal = key.causal;
  request.value = key.softmax ? core::HeatmapValue::kSoftmax : core::HeatmapValue::kLogits;
  return request;
}

// A result holding the rotary map (the absolute one not yet).
HeatmapResult with_rotary(const HeatKey& key, core::ViewportImage&& rotary) {
  HeatmapResult r;
  r.key = key;
  r.seq_len = heatmap_tokens(key.config);
  r.m0 = rotary.m0;
  r.m1 = rotary.m1;
  r.n0 = rotary.n0;
  r.n1 = rotary.n1;
  r.rows_per_texel = rotary.rows_per_texel;
  r.cols_per_texel = rotary.cols_per_texel;
  r.rotary = to_matrix(std::move(rotary));
  return r;
}

// Adds the absolute map (same grid) and the difference.
void add_absolute(HeatmapResult& r, core::ViewportImage&& absolute) {
  r.absolute = to_matrix(std::move(absolute));
  // Same grid, so the texel-wise difference is the exact block mean of the difference.
  core::ViewportImage diff;
  diff.width = r.rotary.cols;
  diff.height = r.rotary.rows;
  diff.method = r.rotary.method;
  diff.values.resize(r.rotary.values.size(), kNaN);
  for (size_t i = 0; i < diff.values.size(); ++i) diff.values[i] = r.rotary.values[i] - r.absolute.values[i];
  r.difference = to_matrix(std::move(diff));
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Whether key's full picture has more than kCoarseTexels texels on a side.
bool larger_than_coarse(const HeatKey& key) {
  const core::ViewportRequest request = viewport_request(key);
  // Texels on a side: the core takes blocks of ceil(cells / budget) cells.
  const auto texels = [](int64_t cells, int budget) {
    const int64_t block = (cells + budget - 1) / budget;
    return (cells + block - 1) / block;
  };
  return texels(request.m1 - request.m0, request.max_height) > kCoarseTexels ||
         texels(request.n1 - request.n0, request.max_width) > kCoarseTexels;
}

}  // namespace

bool wants_coarse(const HeatKey& key) { return heatmap_tokens(key.config) >= kCoarseMinTokens; }

std::optional<HeatmapResult> compute_coarse_heatmaps(const HeatKey& key, core::ViewportCache* cache) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool coarse = larger_than_coarse(key);
  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::Content content = core::Content::generated(key.content, key.config.head_dim, key.seed);
  core::ViewportRequest request = viewport_request(key);
  request.max_width = std::min(request.max_width, kCoarseTexels);
  request.max_height = std::min(request.max_height, kCoarseTexels);
  request.options.encoding = core::Encoding::kRope;
  std::optional<HeatmapResult> r;
  if (!key.softmax) {
    r = with_rotary(key, core::compute_viewport_streamed(freqs, content, request));
    request.options.encoding = core::Encoding::kSinusoidal;
    add_absolute(*r, core::compute_viewport_streamed(freqs, content, request));
  } else if (content.is_position_invariant()) {
    // The rotary softmax from f(m - n); the absolute one needs every cell.
    r = with_rotary(key, core::compute_viewport(freqs, content, request, {}, cache));
    r->partial = true;
  } else {
    return std::nullopt;
  }
  r->coarse = coarse;
  r->summary = summary_of(*r);
  r->compute_ms = ms_since(t0);
  return r;
}

std::optional<HeatmapResult> compute_heatmaps(const HeatKey& key, const ProgressFn& progress,
                                              core::ViewportCache* cache, const PartialFn& partial,
                                              std::chrono::milliseconds partial_after) {
  const auto t0 = std::chrono::steady_clock::now();
  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::Content content = core::Content::generated(key.content, key.config.head_dim, key.seed);
  core::ViewportRequest request = viewport_request(key);

  // Rotary first (the cheaper map for softmax of position-invariant content), then absolute;
  // progress is the mean of the two.
  request.options.encoding = core::Encoding::kRope;
  core::ViewportImage rotary = core::compute_viewport(
      freqs, content, request, [&](double f) { return !progress || progress(f / 2.0); }, cache);
  if (!rotary.complete) return std::nullopt;
  HeatmapResult r = with_rotary(key, std::move(rotary));
  bool published = !partial;
  request.options.encoding = core::Encoding::kSinusoidal;
  core::ViewportImage absolute = core::compute_viewport(
      freqs, content, request,
      [&](double f) {
        if (!published && std::chrono::steady_clock::now() - t0 >= partial_after) {
          published = true;
          HeatmapResult first = r;
          first.partial = true;
          first.summary = summary_of(first);
          partial(std::move(first));
        }
        return !progress || progress(0.5 + f / 2.0);
      },
      cache);
  if (!absolute.complete) return std::nullopt;
  add_absolute(r, std::move(absolute));
  r.summary = summary_of(r);
  r.compute_ms = ms_since(t0);
  return r;
}

}  // namespace rope::app
