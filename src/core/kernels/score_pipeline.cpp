#include "core/kernels/score_pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/encoding.h"
#include "core/kernels/kernels.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr int64_t kEncodeChunk = 256;  // rows per encode task; a multiple of kKeyPanelWidth
static_assert(kEncodeChunk % kernels::kKeyPanelWidth == 0);
static_assert(ScorePipeline::kRowBlock > 0);

template <class T>
void grow(std::vector<T>& v, size_t size) {
  if (v.size() < size) v.resize(size);
}

}  // namespace

ScorePipeline::ScorePipeline(ThreadPool* pool) : pool_(pool ? pool : &ThreadPool::shared()) {
  const size_t threads = static_cast<size_t>(pool_->num_threads());
  cos_.resize(threads);
  sin_.resize(threads);
  rows_.resize(threads);
  scores_.resize(threads);
  row_max_.resize(threads);
  for (auto& buffer : row_max_) buffer.resize(static_cast<size_t>(kRowBlock));
}

void ScorePipeline::encode(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                           const float* q, int64_t num_q, const float* k, int64_t num_k,
                           float* packed_k) {
  const int hd = freqs.head_dim;
  if (encoding == Encoding::kSinusoidal) sinusoid_inv_freq_ = sinusoid_inv_freq(hd, freqs.base);
  const int table_pairs = encoding_table_pairs(freqs, encoding);
  for (int t = 0; t < pool_->num_threads(); ++t) {
    grow(cos_[static_cast<size_t>(t)], static_cast<size_t>(kEncodeChunk * table_pairs));
    grow(sin_[static_cast<size_t>(t)], static_cast<size_t>(kEncodeChunk * table_pairs));
    if (num_k > 0) grow(rows_[static_cast<size_t>(t)], static_cast<size_t>(kEncodeChunk * hd));
  }
  const int64_t num_rows = std::max(num_q, num_k);
  const int64_t chunks = (num_rows + kEncodeChunk - 1) / kEncodeChunk;
  pool_->parallel_for(chunks, [&](int64_t chunk, int thread) {
    const int64_t r0 = chunk * kEncodeChunk;
    const int64_t rows_q = std::clamp<int64_t>(num_q - r0, 0, kEncodeChunk);
    const int64_t rows_k = std::clamp<int64_t>(num_k - r0, 0, kEncodeChunk);
    const float* cos_tab = cos_[static_cast<size_t>(thread)].data();
    const float* sin_tab = sin_[static_cast<size_t>(thread)].data();
    // One table for the query and key rows at these positions.
    encoding_tables(freqs, encoding, pos0 + r0, std::max(rows_q, rows_k), cos_[static_cast<size_t>(thread)].data(),
                    sin_[static_cast<size_t>(thread)].data(), sinusoid_inv_freq_.data());
    if (rows_q > 0) apply_encoding(freqs, encoding, q + r0 * hd, rows_q, q_enc_.data() + r0 * hd, cos_tab, sin_tab);
    if (rows_k > 0) {
      float* encoded = rows_[static_cast<size_t>(thread)].data();
      apply_encoding(freqs, encoding, k + r0 * hd, rows_k, encoded, cos_tab, sin_tab);
      kernels::pack_keys(encoded, rows_k, hd, packed_k + (r0 / kernels::kKeyPanelWidth) * hd * kernels::kKeyPanelWidth);
    }
  });
}

void ScorePipeline::prepare_queries(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                                    const float* q, int64_t num_q) {
  reserve(freqs.head_dim, num_q, num_k_, false);
  encode(freqs, encoding, pos0, q, num_q, nullptr, 0, nullptr);
}

void ScorePipeline::prepare_keys(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                                 const float* k, int64_t num_k) {
  reserve(freqs.head_dim, num_q_, num_k, true);
  encode(freqs, encoding, pos0, nullptr, 0, k, num_k, k_packed_.data());
}

void ScorePipeline::prepare(const RopeFrequencies& freqs, Encoding encoding, int64_t q_pos0,
                            const float* q, int64_t num_q, int64_t k_pos0, const float* k,
                            int64_t num_k) {
  if (q_pos0 != k_pos0) {
    prepare_queries(freqs, encoding, q_pos0, q, num_q);
    prepare_keys(freqs, encoding, k_pos0, k, num_k);
    return;
  }
  reserve(freqs.head_dim, num_q, num_k, true);
  encode(freqs, encoding, q_pos0, q, num_q, k, num_k, k_packed_.data());
}

void ScorePipeline::reserve(int head_dim, int64_t num_q, int64_t num_k, bool own_keys) {
  head_dim_ = head_dim;
  num_q_ = num_q;
  num_k_ = num_k;
  grow(q_enc_, static_cast<size_t>(num_q * head_dim));
  if (own_keys) {
    grow(k_packed_, static_cast<size_t>(kernels::packed_keys_size(num_k, head_dim)));
    keys_ = k_packed_.data();
  }
}

void ScorePipeline::encode_keys_into(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                                     const float* k, int64_t num_k, float* packed) {
  encode(freqs, encoding, pos0, nullptr, 0, k, num_k, packed);
}

void ScorePipeline::use_packed_keys(const float* packed, int64_t num_k, int head_dim) {
  head_dim_ = head_dim;
  num_k_ = num_k;
  keys_ = packed;
}

int64_t ScorePipeline::valid_columns(bool causal, int64_t diag, int64_t row) const {
  if (!causal) return num_k_;
  return std::clamp<int64_t>(diag + row + 1, 0, num_k_);
}

void ScorePipeline::for_each_row_block(bool causal, int64_t diag, const BlockVisitor& visit,
                                       bool with_row_max) {
  const int64_t ld = (num_k_ + kernels::kKeyPanelWidth - 1) / kernels::kKeyPanelWidth *
                     kernels::kKeyPanelWidth;
  for (auto& buffer : scores_) grow(buffer, static_cast<size_t>(kRowBlock * std::max<int64_t>(ld, 1)));
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim_)));
  const int64_t blocks = (num_q_ + kRowBlock - 1) / kRowBlock;
  pool_->parallel_for(blocks, [&](int64_t b, int thread) {
    // Causal rows further down need more columns: hand those out first for balance.
    const int64_t index = causal ? blocks - 1 - b : b;
    const int64_t row0 = index * kRowBlock;
    const int64_t row1 = std::min(row0 + kRowBlock, num_q_);
    float* scores = scores_[static_cast<size_t>(thread)].data();
    float* row_max = with_row_max ? row_max_[static_cast<size_t>(thread)].data() : nullptr;
    const int64_t cols = causal ? valid_columns(true, diag, row1 - 1) : num_k_;
    if (cols > 0) {
      // The kernel's causal rows need columns j <= diag + i from diag + row0 >= 0 on; rows above
      // that (keys after every query of the row) take their maxima here.
      const int64_t kernel_diag = causal ? std::max<int64_t>(diag + row0, 0) : -1;
      kernels::score_block_packed(q_enc_.data() + row0 * head_dim_, row1 - row0, head_dim_, keys_,
                                  cols, scale, kernel_diag, scores, ld, row_max);
      if (row_max != nullptr && causal && diag + row0 < 0) {
        for (int64_t i = row0; i < row1; ++i) {
          row_max[i - row0] = kernels::row_max(scores + (i - row0) * ld, valid_columns(true, diag, i));
        }
      }
    } else if (row_max != nullptr) {
      std::fill(row_max, row_max + (row1 - row0), -std::numeric_limits<float>::infinity());
    }
    visit(row0, row1, scores, ld, row_max, thread);
  });
}

void ScorePipeline::for_each_tile(bool causal, int64_t diag, int64_t col_chunk,
                                  const TileVisitor& visit) {
  const int64_t panel = kernels::kKeyPanelWidth;
  col_chunk = std::max<int64_t>(panel, col_chunk / panel * panel);
  for (auto& buffer : scores_) grow(buffer, static_cast<size_t>(kRowBlock * col_chunk));
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim_)));
  const int64_t row_blocks = (num_q_ + kRowBlock - 1) / kRowBlock;
  const int64_t col_chunks = (num_k_ + col_chunk - 1) / col_chunk;
  pool_->parallel_for(row_blocks * col_chunks, [&](int64_t t, int thread) {
    const int64_t row0 = (t / col_chunks) * kRowBlock;
    const int64_t row1 = std::min(row0 + kRowBlock, num_q_);
    const int64_t col0 = (t % col_chunks) * col_chunk;
    int64_t col1 = std::min(col0 + col_chunk, num_k_);
    if (causal) col1 = std::min(col1, valid_columns(true, diag, row1 - 1));
    if (col1 <= col0) return;  // above the diagonal
    float* scores = scores_[static_cast<size_t>(thread)].data();
    kernels::score_block_packed(q_enc_.data() + row0 * head_dim_, row1 - row0, head_dim_,
                                keys_ + (col0 / panel) * head_dim_ * panel, col1 - col0,
                                scale, causal ? std::max<int64_t>(diag + row0 - col0, 0) : -1,
                                scores, col_chunk);
    visit(row0, row1, col0, col1, scores, col_chunk, thread);
  });
}

void ScorePipeline::for_each_row(bool causal, int64_t diag, bool softmax, const RowVisitor& visit) {
  for_each_row_block(
      causal, diag,
      [&](int64_t row0, int64_t row1, float* scores, int64_t ld, const float* row_max, int) {
        for (int64_t i = row0; i < row1; ++i) {
          float* row = scores + (i - row0) * ld;
          const int64_t valid = valid_columns(causal, diag, i);
          const double sum =
              softmax && valid > 0 ? kernels::exp_shift_sum(row, valid, row_max[i - row0]) : 0.0;
          visit(i, row, valid, sum);
        }
        kernels::stream_fence();
      },
      softmax);
}

void ScorePipeline::run(bool causal, int64_t diag, bool softmax, float* out, int64_t ld_out) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for_each_row(causal, diag, softmax, [&](int64_t i, const float* row, int64_t valid, double sum) {
    float* dst = out + i * ld_out;
    if (!softmax) {
      kernels::store_row(row, valid, 1.0f, neg_inf, num_k_, dst);
    } else if (valid > 0) {
      kernels::store_row(row, valid, static_cast<float>(1.0 / sum), 0.0f, num_k_, dst);
    } else {
      kernels::store_row(row, 0, 0.0f, 0.0f, num_k_, dst);
    }
  });
}

void ScorePipeline::run_colour(bool causal, int64_t diag, bool softmax,
                               const kernels::ColorMap& colormap, uint32_t* rgba, int64_t ld_out) {
  for_each_row(causal, diag, softmax, [&](int64_t i, const float* row, int64_t valid, double sum) {
    kernels::ColorMap cmap = colormap;
    if (softmax && valid > 0) {
      // p = exp(x - max) / sum: colour exp(x - max) against the range scaled by sum instead of
      // dividing every cell.
      cmap.lo = static_cast<float>(colormap.lo * sum);
      cmap.hi = static_cast<float>(colormap.hi * sum);
    }
    kernels::colorize_row(row, valid, num_k_, cmap, rgba + i * ld_out);
  });
}

}  // namespace rope::core
