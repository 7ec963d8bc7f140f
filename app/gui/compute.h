#pragma once
// GL-free computations behind the views. Run on the worker threads; each takes a callback that
// says when a newer request superseded it, and then returns nullopt.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/analysis.h"
#include "core/content.h"
#include "core/rope_config.h"
#include "core/viewport.h"

namespace rope::app {

// seq_len goes up to core's kMaxSeqLen, as in the CLI (the frequency, rotation and decay views
// follow it); the heatmaps show the first kMaxHeatmapTokens positions of longer contexts (memory
// grows with their size).
inline constexpr int64_t kMaxContext = core::kMaxSeqLen;         // 16,777,216
inline constexpr int64_t kMaxDecayDistance = int64_t{1} << 20;   // 1,048,576

inline constexpr int64_t kMaxHeatmapTokens = int64_t{1} << 17;   // 131,072
inline int64_t heatmap_tokens(const core::RopeConfig& config) {
  return config.seq_len < kMaxHeatmapTokens ? config.seq_len : kMaxHeatmapTokens;
}
inline constexpr int kDefaultMaxTexels = 1024;                  // heatmap texels per side, at most
inline constexpr int kInitialTexels = 512;  // whole matrix, before the panel has told its size
// Coarse previews (compute_coarse_heatmaps): at most this many texels per side, for matrices of at
// least kCoarseMinTokens positions (below, building the encoded rows takes a few ms).
inline constexpr int kCoarseTexels = 128;
inline constexpr int64_t kCoarseMinTokens = 32768;

// Everything the worker computes from (the user-editable part of AppState that affects numbers).
struct ComputeParams {
  core::RopeConfig config;
  core::ContentKind content = core::ContentKind::kConstant;
  uint64_t seed = 0;
  bool causal = true;
  bool softmax = false;
  int64_t decay_max_distance = 65536;
  bool decay_log_x = true;
  bool operator==(const ComputeParams&) const = default;
};

struct DecayKey {
  core::RopeConfig config;
  core::ContentKind content = core::ContentKind::kConstant;
  uint64_t seed = 0;
  int64_t max_distance = 0;
  bool log_x = true;
  int num_points = 0;
  bool operator==(const DecayKey&) const = default;
};
DecayKey decay_key(const ComputeParams& params, int num_points = 1500);

// The part of the heatmaps the panel shows: visible cells [m0, m1) x [n0, n1) of a seq_len x
// seq_len matrix, the texel budget per side, and the image's size in pixels it came from.
// Produced by visible_window; an empty window (seq_len 0) means the whole matrix at kInitialTexels.
struct HeatWindow {
  int64_t seq_len = 0;
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;
  int max_width = kDefaultMaxTexels, max_height = kDefaultMaxTexels;
  int width_px = 0, height_px = 0;
  bool operator==(const HeatWindow&) const = default;
};

// The window for a view of rows [y0, y1) and columns [x0, x1) (continuous cell coordinates)
// shown on width_px x height_px pixels: at most one texel per pixel (capped at
// kDefaultMaxTexels), and the rectangle widened to whole texel blocks aligned to multiples of
// the block size, so a pan by less than one texel asks for nothing new and the block grid stays
// put while panning.
HeatWindow visible_window(double x0, double x1, double y0, double y1, int64_t seq_len, int width_px,
                          int height_px);

// One heatmap request: the parameters plus the window (clamped to the matrix).
struct HeatKey {
  core::RopeConfig config;
  core::ContentKind content = core::ContentKind::kConstant;
  uint64_t seed = 0;
  bool causal = true;
  bool softmax = false;
  HeatWindow window;
  bool operator==(const HeatKey&) const = default;
};
// A window that does not belong to heatmap_tokens(params.config) stands for the whole matrix at its
// pixel size. Above kMaxHeatmapTokens the key's config holds the capped seq_len wherever the
// frequencies do not depend on seq_len (the picture is the same).
HeatKey heat_key(const ComputeParams& params, const HeatWindow& window = {});

using CancelFn = std::function<bool()>;

struct DecayResult {
  DecayKey key;
  std::vector<double> distance;
  std::vector<double> roformer_bound;   // raw (32.5 at r = 0 for d = 128, base 1e4)
  std::vector<double> mean_cos;         // in [-1, 1]
  std::vector<double> actual;           // <R(r) q_r, R(0) k_0> / sqrt(head_dim)
  double actual_scale = 1.0;            // |q_r| |k_0| a^2 / sqrt(head_dim) at r = 0 (for normalising)
  int64_t original_context = 0;         // 0 when the config has none
  std::optional<int64_t> first_negative;  // Men et al.: first m with sum_i cos(m theta_i) < 0
  int64_t first_negative_limit = 0;
};
std::optional<DecayResult> compute_decay(const DecayKey& key, const CancelFn& cancelled);

// One heatmap: rows x cols texels, row-major, NaN where every cell of the block is masked.
struct HeatMatrix {
  int rows = 0, cols = 0;
  std::vector<float> values;
  float min = 0.0f, max = 0.0f;  // over the finite values
  float min_positive = 0.0f;      // smallest finite value > 0 (log colour scale), 0 if none
  bool available = false;
  core::ViewportMethod method = core::ViewportMethod::kExactCells;
};

// The three maps over the same texel grid, from core::compute_viewport: texel (i, j) covers rows
// [m0 + i * rows_per_texel, ...) and columns [n0 + j * cols_per_texel, ...), clipped to
// [m0, m1) x [n0, n1), and holds the exact mean of its unmasked cells.
struct HeatmapResult {
  HeatKey key;
  int64_t seq_len = 0;  // positions shown: heatmap_tokens(key.config), at most kMaxHeatmapTokens
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;  // cells covered
  int64_t rows_per_texel = 1, cols_per_texel = 1;
  std::string summary;  // what one texel shows, for the view's label
  HeatMatrix absolute, rotary, difference;
  double compute_ms = 0.0;
  // Only the rotary map so far: the absolute one (and so the difference) is still computing.
  bool partial = false;
  // A coarse preview of the same window (at most kCoarseTexels per side, each texel still the exact
  // mean of its cells), shown while the full resolution computes.
  bool coarse = false;

  bool exact_cells() const { return rows_per_texel == 1 && cols_per_texel == 1; }
  // Map k (0 absolute, 1 rotary, 2 difference).
  const HeatMatrix& map(int k) const { return k == 0 ? absolute : k == 1 ? rotary : difference; }
  // Whether map k is available in both and holds the same values over the same texel grid (the
  // rotary map of a partial result comes again, unchanged, in the final one).
  bool same_map(const HeatmapResult& other, int k) const;
  // The texel holding cell (m, n), or nullopt outside the covered cells.
  std::optional<std::pair<int, int>> texel_of(int64_t m, int64_t n) const;
};

// Called with the fraction done; returns false when a newer request superseded this one.
using ProgressFn = std::function<bool(double fraction_done)>;

// Receives the rotary map alone (result.partial) while the absolute one is still computing.
using PartialFn = std::function<void(HeatmapResult&& partial)>;

// The heatmaps of `key` through core::compute_viewport (the cache keeps the encoded rows between
// calls: pans and zooms then cost milliseconds). nullopt when cancelled through `progress`.
// When the whole computation is still running `partial_after` after it started and the rotary
// map is done (softmax of the absolute map computes every visible cell: seconds to minutes at
// long context), `partial` gets the rotary map first.
std::optional<HeatmapResult> compute_heatmaps(const HeatKey& key, const ProgressFn& progress,
                                              core::ViewportCache* cache = nullptr, const PartialFn& partial = {},
                                              std::chrono::milliseconds partial_after = std::chrono::milliseconds(150));

// Whether `key` gets a coarse preview first when its encoded rows must be built anew (a parameter
// changed): a matrix of at least kCoarseMinTokens positions.
bool wants_coarse(const HeatKey& key);

// A coarse preview of key's window: at most kCoarseTexels texels per side (result.coarse), each
// still the exact mean of its cells. Logits are streamed (core::compute_viewport_streamed: the
// rows are encoded and summed per texel, nothing is kept), so the preview costs O((visible rows +
// columns) d), not the cache build; the softmax of position-invariant content comes from f(m - n)
// (through `cache`, which the full picture then reuses). A map whose exact block means need every
// cell (softmax of other content, and the absolute softmax) is left out (result.partial when the
// rotary map alone is there); nullopt when there is nothing cheap to show. Where the full picture
// has no more texels, the result is the full picture (coarse false), computed without the cache.
// At any seq_len (wants_coarse is the GUI's policy). Not cancellable: a preview always arrives.
std::optional<HeatmapResult> compute_coarse_heatmaps(const HeatKey& key, core::ViewportCache* cache = nullptr);

}  // namespace rope::app
