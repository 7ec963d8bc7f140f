#include "core/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/kernels/kernels.h"
#include "core/kernels/score_pipeline.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr int64_t kStatsKeyChunk = 16384;  // keys encoded at a time by softmax_row_stats
constexpr int64_t kStatsTileCols = 2048;   // columns per parallel tile within a chunk
static_assert(kStatsKeyChunk % kStatsTileCols == 0);

void check_inputs(const RopeFrequencies& freqs, int content_head_dim, const ScoreOptions& options) {
  if (freqs.head_dim < 1) throw RopeError("attention: frequencies have no head_dim");
  if (content_head_dim != freqs.head_dim) {
    throw RopeError("attention: content head_dim " + std::to_string(content_head_dim) +
                    " does not match the rope head_dim " + std::to_string(freqs.head_dim));
  }
  if (options.encoding == Encoding::kRope &&
      (freqs.rotary_dim < 0 || freqs.rotary_dim > freqs.head_dim || freqs.rotary_dim % 2 != 0 ||
       static_cast<int>(freqs.inv_freq.size()) != freqs.rotary_dim / 2)) {
    throw RopeError("attention: rotary_dim and inv_freq do not match the head");
  }
  if (options.offset < 0 || options.offset > kMaxPosition) {
    throw RopeError("attention: offset must be in [0, 2^30]");
  }
}

void check_block(const Block& block) {
  if (block.m0 < 0 || block.n0 < 0 || block.m1 < block.m0 || block.n1 < block.n0) {
    throw RopeError("attention: block bounds must satisfy 0 <= m0 <= m1 and 0 <= n0 <= n1");
  }
}

std::vector<float> content_rows(const Content& content, bool keys, int64_t row0, int64_t row1) {
  std::vector<float> rows(static_cast<size_t>((row1 - row0) * content.head_dim()));
  if (row1 > row0) {
    if (keys) {
      content.keys(row0, row1, rows.data());
    } else {
      content.queries(row0, row1, rows.data());
    }
  }
  return rows;
}

// Each calling thread reuses one engine, so repeated block requests (a viewport filling in tile
// by tile) do not allocate and page-fault fresh buffers every time. Nothing in the engine calls
// back into these functions, so a thread never needs two at once.
ScorePipeline& workspace() {
  thread_local ScorePipeline pipeline;
  return pipeline;
}

// Encoded, packed keys of generated content, kept per thread between softmax_row_stats calls: a
// viewport asks for the statistics of one band of rows after another against the same keys, and
// re-encoding every key for every band would cost more than the scores. Generated keys depend
// only on (kind, head_dim, seed), so the cache is keyed by those and by everything the encoding
// reads; external content is never cached.
struct KeyCache {
  std::vector<float> packed;
  int64_t num_keys = 0;
  ContentKind kind = ContentKind::kExternal;
  int head_dim = 0;
  uint64_t seed = 0;
  Encoding encoding = Encoding::kNone;
  int64_t offset = 0;
  int rotary_dim = 0;
  Layout layout = Layout::kNeox;
  double base = 0.0, attention_factor = 0.0;
  std::vector<double> inv_freq;

  bool matches(const RopeFrequencies& f, const Content& c, const ScoreOptions& o) const {
    return num_keys > 0 && kind == c.kind() && head_dim == c.head_dim() && seed == c.seed() &&
           encoding == o.encoding && offset == o.offset && rotary_dim == f.rotary_dim &&
           layout == f.layout && base == f.base && attention_factor == f.attention_factor &&
           inv_freq == f.inv_freq;
  }
  void adopt(const RopeFrequencies& f, const Content& c, const ScoreOptions& o) {
    num_keys = 0;
    kind = c.kind();
    head_dim = c.head_dim();
    seed = c.seed();
    encoding = o.encoding;
    offset = o.offset;
    rotary_dim = f.rotary_dim;
    layout = f.layout;
    base = f.base;
    attention_factor = f.attention_factor;
    inv_freq = f.inv_freq;
  }
};
constexpr int64_t kMaxCachedKeyFloats = int64_t{64} << 20;  // 256 MB of packed keys

KeyCache& key_cache() {
  thread_local KeyCache cache;
  return cache;
}

}  // namespace

std::string_view to_string(Encoding encoding) {
  switch (encoding) {
    case Encoding::kRope: return "rope";
    case Encoding::kSinusoidal: return "sinusoidal";
    case Encoding::kNone: return "none";
  }
  return "rope";
}

std::optional<Encoding> parse_encoding(std::string_view name) {
  if (name == "rope" || name == "rotary") return Encoding::kRope;
  if (name == "sinusoidal" || name == "absolute") return Encoding::kSinusoidal;
  if (name == "none") return Encoding::kNone;
  return std::nullopt;
}

namespace {

// The thread's workspace with the block's query and key rows encoded at their positions.
ScorePipeline& prepared_workspace(const RopeFrequencies& freqs, const Content& content,
                                  const ScoreOptions& options, const Block& block) {
  const std::vector<float> q = content_rows(content, false, block.m0, block.m1);
  const std::vector<float> k = content_rows(content, true, block.n0, block.n1);
  ScorePipeline& pipeline = workspace();
  pipeline.prepare(freqs, options.encoding, options.offset + block.m0, q.data(), block.rows(),
                   options.offset + block.n0, k.data(), block.cols());
  return pipeline;
}

}  // namespace

void logits_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                  const Block& block, float* out) {
  check_inputs(freqs, content.head_dim(), options);
  check_block(block);
  if (block.rows() == 0 || block.cols() == 0) return;
  ScorePipeline& pipeline = prepared_workspace(freqs, content, options, block);
  pipeline.run(options.causal, block.m0 - block.n0, false, out, block.cols());
}

RowStats softmax_row_stats(const RopeFrequencies& freqs, const Content& content,
                           const ScoreOptions& options, int64_t m0, int64_t m1, int64_t num_keys) {
  check_inputs(freqs, content.head_dim(), options);
  if (m0 < 0 || m1 < m0 || num_keys < 0) throw RopeError("attention: bad row range or key count");
  const int64_t rows = m1 - m0;
  RowStats stats;
  stats.max.assign(static_cast<size_t>(rows), -std::numeric_limits<float>::infinity());
  stats.sum.assign(static_cast<size_t>(rows), 0.0f);
  if (rows == 0) return stats;
  std::vector<double> sum(static_cast<size_t>(rows), 0.0);
  const std::vector<float> q = content_rows(content, false, m0, m1);
  ScorePipeline& pipeline = workspace();
  pipeline.prepare_queries(freqs, options.encoding, options.offset + m0, q.data(), rows);
  // Causal rows stop at n = m, so keys past the last row are never needed. Keys are encoded a
  // chunk at a time; each chunk is split into tiles over rows and columns whose partial
  // (max, sum) pairs are merged per row afterwards, so few rows still keep every core busy.
  const int64_t last_key = options.causal ? std::min(num_keys, m1) : num_keys;
  const int64_t num_tiles_per_row = kStatsKeyChunk / kStatsTileCols;
  std::vector<float> part_max(static_cast<size_t>(rows * num_tiles_per_row));
  std::vector<double> part_sum(part_max.size());
  std::vector<float> k;
  const int d = content.head_dim();
  const int64_t panel = kernels::kKeyPanelWidth;
  const float* cached = nullptr;
  if (content.kind() != ContentKind::kExternal && last_key * d <= kMaxCachedKeyFloats) {
    KeyCache& cache = key_cache();
    int64_t start = 0;
    if (cache.matches(freqs, content, options)) {
      start = std::min(cache.num_keys, last_key) / panel * panel;  // re-pack a partial last panel
    } else {
      cache.adopt(freqs, content, options);
    }
    if (cache.num_keys < last_key) {
      cache.packed.resize(static_cast<size_t>(kernels::packed_keys_size(last_key, d)));
      for (int64_t n0 = start; n0 < last_key; n0 += kStatsKeyChunk) {
        const int64_t n1 = std::min(n0 + kStatsKeyChunk, last_key);
        k.resize(static_cast<size_t>((n1 - n0) * d));
        content.keys(n0, n1, k.data());
        pipeline.encode_keys_into(freqs, options.encoding, options.offset + n0, k.data(), n1 - n0,
                                  cache.packed.data() + (n0 / panel) * d * panel);
      }
      cache.num_keys = last_key;
    }
    cached = cache.packed.data();
  }
  for (int64_t n0 = 0; n0 < last_key; n0 += kStatsKeyChunk) {
    const int64_t n1 = std::min(n0 + kStatsKeyChunk, last_key);
    if (cached != nullptr) {
      pipeline.use_packed_keys(cached + (n0 / panel) * d * panel, n1 - n0, d);
    } else {
      k.resize(static_cast<size_t>((n1 - n0) * d));
      content.keys(n0, n1, k.data());
      pipeline.prepare_keys(freqs, options.encoding, options.offset + n0, k.data(), n1 - n0);
    }
    const int64_t diag = m0 - n0;
    std::fill(part_max.begin(), part_max.end(), -std::numeric_limits<float>::infinity());
    std::fill(part_sum.begin(), part_sum.end(), 0.0);
    pipeline.for_each_tile(
        options.causal, diag, kStatsTileCols,
        [&](int64_t row0, int64_t row1, int64_t col0, int64_t col1, float* scores, int64_t ld, int) {
          const int64_t tile = col0 / kStatsTileCols;
          for (int64_t i = row0; i < row1; ++i) {
            const int64_t valid = std::min(pipeline.valid_columns(options.causal, diag, i), col1) - col0;
            if (valid <= 0) continue;
            float* row = scores + (i - row0) * ld;
            const size_t slot = static_cast<size_t>(i * num_tiles_per_row + tile);
            part_max[slot] = kernels::row_max(row, valid);
            part_sum[slot] = kernels::exp_shift_sum(row, valid, part_max[slot]);
          }
        });
    for (int64_t i = 0; i < rows; ++i) {
      const size_t r = static_cast<size_t>(i);
      for (int64_t t = 0; t < num_tiles_per_row; ++t) {
        const size_t slot = static_cast<size_t>(i * num_tiles_per_row + t);
        if (part_sum[slot] <= 0.0) continue;
        const float new_max = std::max(stats.max[r], part_max[slot]);
        sum[r] = sum[r] * (sum[r] > 0.0 ? std::exp(static_cast<double>(stats.max[r]) - new_max) : 0.0) +
                 part_sum[slot] * std::exp(static_cast<double>(part_max[slot]) - new_max);
        stats.max[r] = new_max;
      }
    }
  }
  for (size_t r = 0; r < sum.size(); ++r) stats.sum[r] = static_cast<float>(sum[r]);
  return stats;
}

void softmax_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                   const Block& block, const RowStats& stats, float* out) {
  check_inputs(freqs, content.head_dim(), options);
  check_block(block);
  if (static_cast<int64_t>(stats.max.size()) < block.rows() ||
      static_cast<int64_t>(stats.sum.size()) < block.rows()) {
    throw RopeError("attention: row statistics do not cover the block's rows");
  }
  if (block.rows() == 0 || block.cols() == 0) return;
  ScorePipeline& pipeline = prepared_workspace(freqs, content, options, block);
  const int64_t diag = block.m0 - block.n0;
  const int64_t cols = block.cols();
  pipeline.for_each_row_block(
      options.causal, diag,
      [&](int64_t row0, int64_t row1, float* scores, int64_t ld, const float*, int) {
        for (int64_t i = row0; i < row1; ++i) {
          const int64_t valid = pipeline.valid_columns(options.causal, diag, i);
          float* row = scores + (i - row0) * ld;
          const size_t r = static_cast<size_t>(i);
          const double sum = stats.sum[r];
          if (valid > 0 && sum > 0.0) {
            kernels::exp_shift_sum(row, valid, stats.max[r]);
            kernels::store_row(row, valid, static_cast<float>(1.0 / sum), 0.0f, cols, out + i * cols);
          } else {
            kernels::store_row(row, 0, 0.0f, 0.0f, cols, out + i * cols);
          }
        }
        kernels::stream_fence();
      });
}

void colour_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                  const Block& block, const RowStats* stats, const ColorLut& lut, uint32_t* rgba,
                  float* values) {
  check_inputs(freqs, content.head_dim(), options);
  check_block(block);
  if (lut.rgba == nullptr || lut.size < 1) throw RopeError("colour_block: empty colour lookup table");
  if (stats != nullptr && (static_cast<int64_t>(stats->max.size()) < block.rows() ||
                           static_cast<int64_t>(stats->sum.size()) < block.rows())) {
    throw RopeError("colour_block: row statistics do not cover the block's rows");
  }
  if (block.rows() == 0 || block.cols() == 0) return;
  ScorePipeline& pipeline = prepared_workspace(freqs, content, options, block);
  const kernels::ColorMap cmap{lut.rgba, lut.size, lut.lo, lut.hi, lut.masked_rgba};
  const int64_t cols = block.cols();
  const int64_t ld_scratch = (cols + kernels::kKeyPanelWidth - 1) / kernels::kKeyPanelWidth *
                             kernels::kKeyPanelWidth;
  const int64_t row_block = ScorePipeline::kRowBlock;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(freqs.head_dim)));
  const int d = freqs.head_dim;
  pipeline.pool().parallel_for((block.rows() + row_block - 1) / row_block, [&](int64_t b, int) {
    thread_local std::vector<float> scratch;  // one per thread, reused across calls
    if (scratch.size() < static_cast<size_t>(row_block * ld_scratch)) {
      scratch.resize(static_cast<size_t>(row_block * ld_scratch));
    }
    const int64_t r0 = b * row_block, r1 = std::min(r0 + row_block, block.rows());
    kernels::fused_score_tile(pipeline.encoded_queries() + r0 * d, r1 - r0, d, pipeline.packed_keys(),
                              cols, scale, options.causal, block.m0 + r0, block.n0,
                              stats ? stats->max.data() + r0 : nullptr,
                              stats ? stats->sum.data() + r0 : nullptr, cmap, scratch.data(),
                              values ? values + r0 * cols : nullptr, rgba + r0 * cols, cols);
    kernels::stream_fence();
  });
}

void attention_matrix(const RopeFrequencies& freqs, const ScoreOptions& options, const float* q,
                      int64_t num_q, const float* k, int64_t num_k, bool softmax, float* out) {
  check_inputs(freqs, freqs.head_dim, options);
  if (num_q < 0 || num_k < 0) throw RopeError("attention: negative matrix size");
  if (num_q == 0 || num_k == 0) return;
  ScorePipeline& pipeline = workspace();
  pipeline.prepare(freqs, options.encoding, options.offset, q, num_q, options.offset, k, num_k);
  pipeline.run(options.causal, 0, softmax, out, num_k);
}

void causal_softmax_pipeline(const RopeFrequencies& freqs, const float* q, const float* k,
                             int64_t n, int64_t offset, float* out) {
  ScoreOptions options;
  options.encoding = Encoding::kRope;
  options.offset = offset;
  options.causal = true;
  attention_matrix(freqs, options, q, n, k, n, true, out);
}

std::vector<float> score_matrix(const RopeFrequencies& freqs, const Content& content,
                                const ScoreOptions& options, int64_t num_q, int64_t num_k, bool softmax) {
  check_inputs(freqs, content.head_dim(), options);
  if (num_q < 0 || num_k < 0) throw RopeError("attention: negative matrix size");
  std::vector<float> out(static_cast<size_t>(num_q * num_k));
  if (num_q == 0 || num_k == 0) return out;
  const std::vector<float> q = content_rows(content, false, 0, num_q);
  const std::vector<float> k = content_rows(content, true, 0, num_k);
  attention_matrix(freqs, options, q.data(), num_q, k.data(), num_k, softmax, out.data());
  return out;
}

}  // namespace rope::core
