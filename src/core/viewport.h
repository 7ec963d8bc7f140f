#pragma once
// The long-context heatmap engine: computes only what a viewport shows, at most one texel per
// screen pixel, with an honest summary in each texel. Memory grows with the viewport, not N^2.
//
// Every texel covers a block of rows_per_texel x cols_per_texel cells and holds the exact mean of
// its unmasked cells (NaN when all are masked). No texel is ever a subsample. How the mean is
// obtained depends on what is being drawn:
//  - logits (any content, any encoding) are bilinear in the encoded rows, so a block's mean is
//    <sum of its encoded queries, sum of its encoded keys> / (count * sqrt(head_dim)); blocks cut by
//    the causal diagonal use the prefix sums sum_m <q_m, k_0 + ... + k_m>. Cost O(N d) once per
//    parameter change, then O((width + height) d + texels d) per view, at any zoom.
//  - softmax of position-invariant content (constant or ones; rope or no encoding) depends on
//    m - n only: exact row normalisers and block sums come from prefix sums of exp(f(r)).
//  - softmax of other content: every cell of the visible blocks is computed, with exact whole-row
//    statistics. Cost O(visible rows x N x d): seconds at N = 131072 when zoomed out, so it reports
//    progress and can be cancelled.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/attention.h"
#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {

enum class HeatmapValue { kLogits, kSoftmax };

struct ViewportRequest {
  int64_t num_q = 0, num_k = 0;            // matrix size
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;  // visible cells [m0, m1) x [n0, n1), clamped to the matrix
  int max_width = 1024, max_height = 1024; // texel budget, normally the view's size in pixels
  ScoreOptions options;
  HeatmapValue value = HeatmapValue::kLogits;
  bool operator==(const ViewportRequest&) const = default;
};

enum class ViewportMethod {
  kExactCells,         // one cell per texel
  kBlockMeanBilinear,  // exact block mean from block sums of encoded rows
  kBlockMeanDistance,  // exact block mean from the 1-D function of m - n
  kBlockMeanCells,     // exact block mean, every cell computed
};
// A short label for the view, e.g. "exact block mean (128 x 128 cells per texel)".
std::string_view describe(ViewportMethod method);

struct ViewportImage {
  int width = 0, height = 0;
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;  // cells covered
  int64_t rows_per_texel = 1, cols_per_texel = 1;
  ViewportMethod method = ViewportMethod::kExactCells;
  std::vector<float> values;  // height x width, row-major; NaN where every cell is masked
  float min_value = 0.0f, max_value = 0.0f;  // over finite values
  bool complete = true;  // false when cancelled through the progress callback
};

// Called with the fraction done; return false to cancel.
using ViewportProgress = std::function<bool(double fraction_done)>;

// What compute_viewport keeps between calls with the same parameters: the encoded rows of q and
// k with float64 checkpoint sums every few rows, the causal diagonal prefix, and for softmax of
// position-invariant content f(m - n) with its prefix sums and row normalisers. O(N d) memory,
// built once per parameter change (encoding both sides, spread over the thread pool); pans and
// zooms then cost O((width + height) d) plus one texel GEMM. A few entries are kept (e.g. the
// absolute and the rotary view side by side). Not thread-safe: one cache per computing thread.
class ViewportCache {
 public:
  ViewportCache();
  ~ViewportCache();
  ViewportCache(const ViewportCache&) = delete;
  ViewportCache& operator=(const ViewportCache&) = delete;
  size_t memory_bytes() const;
  void clear();
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// With a cache, repeated calls on the same parameters reuse the encoded rows; without one, every
// call builds what it needs and drops it.
ViewportImage compute_viewport(const RopeFrequencies& freqs, const Content& content,
                               const ViewportRequest& request, const ViewportProgress& progress = {},
                               ViewportCache* cache = nullptr);

// Logits (request.value kLogits) without a cache and without keeping any rows: every texel row's
// queries and every texel column's keys are encoded and summed as they are made, so the cost is
// O((visible rows + visible columns) d) plus the texel GEMM and the memory O(texels d). The same
// exact block means as compute_viewport (float64 sums, in another order). Not cancellable: for
// small texel budgets (coarse previews: tens of ms at 131072 tokens), where building the cache
// would cost far more than the picture.
ViewportImage compute_viewport_streamed(const RopeFrequencies& freqs, const Content& content,
                                        const ViewportRequest& request);

// Encoded rows [row0, row1) of the queries (keys when `keys`): rope R(p) x with cos and sin times
// the attention factor, sinusoidal x + PE(p), or x unchanged; p = offset + row.
void encode_rows(const RopeFrequencies& freqs, const Content& content, Encoding encoding, int64_t offset,
                 bool keys, int64_t row0, int64_t row1, float* out);

}  // namespace rope::core
