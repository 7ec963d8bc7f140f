#pragma once
// GL-free computations behind the views. Run on the worker thread; every function takes a
// `cancelled` callback and returns nullopt when a newer request superseded it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis.h"
#include "core/content.h"
#include "core/rope_config.h"

namespace rope::app {

inline constexpr int64_t kMaxDecayDistance = int64_t{1} << 20;  // 1,048,576
inline constexpr int kDefaultMaxTexels = 1024;                  // heatmap texels per side, at most
inline constexpr int kMinTexelBudget = 256;
// Softmax needs every cell of a row; above this length it is computed exactly only where the
// rotary logits are a 1-D function of m - n (position-invariant content).
inline constexpr int64_t kSoftmaxFullLimit = 8192;

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

struct HeatKey {
  core::RopeConfig config;
  core::ContentKind content = core::ContentKind::kConstant;
  uint64_t seed = 0;
  bool causal = true;
  bool softmax = false;
  int max_texels = kDefaultMaxTexels;
  bool operator==(const HeatKey&) const = default;
};
HeatKey heat_key(const ComputeParams& params, int max_texels = kDefaultMaxTexels);

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
  std::string note;  // why it is unavailable, when it is
};

struct HeatmapResult {
  HeatKey key;
  int64_t seq_len = 0;
  int texels = 0;                // per side
  double block = 1.0;            // cells per texel side (seq_len / texels)
  std::vector<int64_t> edges;    // texels + 1 cell boundaries: texel i covers [edges[i], edges[i+1])
  std::string summary;           // what one texel shows, for the view's label
  HeatMatrix absolute, rotary, difference;
  double compute_ms = 0.0;
};
std::optional<HeatmapResult> compute_heatmaps(const HeatKey& key, const CancelFn& cancelled);

// Encoded query (is_key false) or key rows [row0, row1) as the attention computes them:
// rope: R(p) x with cos/sin multiplied by the attention factor; sinusoidal: x + PE(p).
// out is (row1 - row0) x head_dim floats. Exposed for tests.
enum class EncodingKind { kRope, kSinusoidal };
void encode_rows(const core::RopeFrequencies& freqs, const core::Content& content, EncodingKind kind,
                 bool is_key, int64_t row0, int64_t row1, float* out);

// Texels per side worth computing for a map shown `side_px` pixels wide whose view shows
// `visible_fraction` of the matrix: the pixels it covers when zoomed, rounded up to a multiple of
// 128 (so resizing does not recompute at every pixel), within [kMinTexelBudget, kDefaultMaxTexels].
int texel_budget(float side_px, double visible_fraction);

// The cell-to-texel partition used by the heatmaps: edges[i] = i * seq_len / texels.
std::vector<int64_t> texel_edges(int64_t seq_len, int texels);

}  // namespace rope::app
