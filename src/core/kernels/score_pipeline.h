#pragma once
// The fused score engine behind attention.h: encodes (rotates) queries and keys once, packs the
// keys, then per block of query rows computes only the needed score columns (causal rows skip the
// upper triangle), scales, masks, applies softmax and writes out, spread over the thread pool.
// Buffers live in the object and are reused across calls (first-touch page faults are slow).
#include <cstdint>
#include <functional>
#include <vector>

#include "core/attention.h"
#include "core/kernels/kernels.h"
#include "core/rope_config.h"

namespace rope::core {

class ThreadPool;

class ScorePipeline {
 public:
  // Query rows per block handed to one thread.
  static constexpr int64_t kRowBlock = 32;

  explicit ScorePipeline(ThreadPool* pool = nullptr);  // nullptr: ThreadPool::shared()

  // Encodes num_q query rows at positions pos0 .. pos0 + num_q - 1 (row-major, head_dim each).
  void prepare_queries(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                       const float* q, int64_t num_q);
  // Encodes num_k key rows at positions pos0 .. and packs them for the score kernel.
  void prepare_keys(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, const float* k,
                    int64_t num_k);

  // Both; when the first query and the first key are at the same position (as in self-attention
  // over one sequence), rows at the same position share one cos/sin table.
  void prepare(const RopeFrequencies& freqs, Encoding encoding, int64_t q_pos0, const float* q,
               int64_t num_q, int64_t k_pos0, const float* k, int64_t num_k);

  // Encodes num_k key rows at positions pos0 .. and packs them into `packed` (size
  // kernels::packed_keys_size(num_k, head_dim)) instead of this object's buffer.
  void encode_keys_into(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0,
                        const float* k, int64_t num_k, float* packed);
  // Uses keys packed elsewhere (kept alive by the caller) until the next prepare_keys.
  void use_packed_keys(const float* packed, int64_t num_k, int head_dim);

  int64_t num_queries() const { return num_q_; }
  int64_t num_keys() const { return num_k_; }
  const float* encoded_queries() const { return q_enc_.data(); }
  const float* packed_keys() const { return keys_; }

  // Query row i and key column j are masked (causal) when j > diag + i; diag is the first
  // query's index minus the first key's index (0 for the whole matrix).
  // Writes num_queries() x num_keys() into out (row stride ld_out >= num_keys()): logits with
  // -inf in masked cells, or (softmax) each row's softmax over its unmasked cells, 0 elsewhere.
  void run(bool causal, int64_t diag, bool softmax, float* out, int64_t ld_out);
  // The same values, coloured through the colormap (RGBA8 per uint32) instead of stored:
  // rgba has row stride ld_out; masked cells get colormap.masked_rgba.
  void run_colour(bool causal, int64_t diag, bool softmax, const kernels::ColorMap& colormap,
                  uint32_t* rgba, int64_t ld_out);

  // Lower-level: for every block of query rows, computes the scores of the needed columns into a
  // per-thread buffer and calls visit(row0, row1, scores, ld, row_max, thread); row i's unmasked
  // columns are [0, valid_columns(i)), the rest of the buffer row is unspecified. With
  // with_row_max, row_max[i - row0] is the maximum of row i's unmasked scores (-inf when it has
  // none), taken by the score kernel; otherwise row_max is null.
  using BlockVisitor = std::function<void(int64_t row0, int64_t row1, float* scores, int64_t ld,
                                          const float* row_max, int thread)>;
  void for_each_row_block(bool causal, int64_t diag, const BlockVisitor& visit,
                          bool with_row_max = false);
  // The same over tiles of kRowBlock rows x col_chunk columns (col_chunk a multiple of
  // kernels::kKeyPanelWidth), so few rows against many keys still use every thread. Tiles wholly
  // above the causal diagonal are skipped; visit gets columns [col0, col1) with scores(i, j) at
  // scores[(i - row0) * ld + (j - col0)].
  using TileVisitor = std::function<void(int64_t row0, int64_t row1, int64_t col0, int64_t col1,
                                         float* scores, int64_t ld, int thread)>;
  void for_each_tile(bool causal, int64_t diag, int64_t col_chunk, const TileVisitor& visit);
  int64_t valid_columns(bool causal, int64_t diag, int64_t row) const;

  ThreadPool& pool() { return *pool_; }

 private:
  // Row by row over for_each_row_block: visit(i, row, valid, sum) with row i's scores, or with
  // softmax its exp(x - max) over the valid columns and their sum (0 when none).
  using RowVisitor = std::function<void(int64_t i, const float* row, int64_t valid, double sum)>;
  void for_each_row(bool causal, int64_t diag, bool softmax, const RowVisitor& visit);
  // Sets the sizes and grows the buffers for num_q queries and (own_keys) num_k keys packed here.
  void reserve(int head_dim, int64_t num_q, int64_t num_k, bool own_keys);
  // Encodes num_q query rows into q_enc_ and num_k key rows packed into packed_k, at positions
  // pos0 ..; either count may be 0.
  void encode(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, const float* q,
              int64_t num_q, const float* k, int64_t num_k, float* packed_k);
  ThreadPool* pool_;
  int head_dim_ = 0;
  int64_t num_q_ = 0, num_k_ = 0;
  std::vector<float> q_enc_;     // num_q x head_dim
  std::vector<float> k_packed_;  // kernels::packed_keys_size(num_k, head_dim)
  const float* keys_ = nullptr;  // k_packed_ or keys packed elsewhere
  // Per-thread reusable buffers.
  std::vector<std::vector<float>> cos_, sin_, rows_, scores_, row_max_;
  std::vector<double> sinusoid_inv_freq_;
};

}  // namespace rope::core
