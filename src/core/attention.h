#pragma once
// Rotary and absolute attention logits on any rectangular block of the score matrix, causal
// masking and numerically stable softmax with exact whole-row statistics.
//
//   rope:       logit[m][n] = <R(p_m) q_m, R(p_n) k_n> / sqrt(head_dim), p = offset + index,
//               where R multiplies cos and sin by the attention factor (rotated dims carry a^2).
//   sinusoidal: logit[m][n] = <q_m + PE(p_m), k_n + PE(p_n)> / sqrt(head_dim),
//               PE[p][2i] = sin(p * base^(-2i/head_dim)), PE[p][2i+1] = cos(...).
//   none:       logit[m][n] = <q_m, k_n> / sqrt(head_dim).
// Causal: cells with n > m are masked (-inf in logits, 0 after softmax).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {

enum class Encoding { kRope, kSinusoidal, kNone };
std::string_view to_string(Encoding encoding);
std::optional<Encoding> parse_encoding(std::string_view name);

struct ScoreOptions {
  Encoding encoding = Encoding::kRope;
  int64_t offset = 0;  // position of row/column 0
  bool causal = false;
  bool operator==(const ScoreOptions&) const = default;
};

struct Block {
  int64_t m0 = 0, m1 = 0;  // query rows [m0, m1)
  int64_t n0 = 0, n1 = 0;  // key columns [n0, n1)
  int64_t rows() const { return m1 - m0; }
  int64_t cols() const { return n1 - n0; }
};

// Logits of `block`, row-major rows() x cols() into out (ld = cols()).
void logits_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                  const Block& block, float* out);

// Softmax statistics of rows [m0, m1) over all key columns [0, num_keys) (causal rows stop at
// n = m): the row maximum and sum of exp(logit - max). Exact at any num_keys; memory is O(rows)
// plus a fixed key chunk. Generated content's encoded keys are kept per calling thread (up to
// 256 MB) and reused by the next call with the same content, frequencies and options; external
// keys are encoded once per call. Every call still streams all its keys through the cache (64 MB
// at 131072 keys, d = 128), so ask for tens of rows per call, not one.
struct RowStats {
  std::vector<float> max;
  std::vector<float> sum;
};
RowStats softmax_row_stats(const RopeFrequencies& freqs, const Content& content,
                           const ScoreOptions& options, int64_t m0, int64_t m1, int64_t num_keys);

// Softmax probabilities of `block` using stats for rows [block.m0, block.m1).
void softmax_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                   const Block& block, const RowStats& stats, float* out);

// The fused tile path for heatmaps: encodes (rotates) the block's rows and columns once, then per
// block of rows computes the scores, masks, applies the softmax with `stats` (rows [m0, m1) of
// the block, from softmax_row_stats) when stats is not null, and colours every cell through the
// colour lookup table: rgba (and values when not null) get rows() x cols(), row-major.
// Logits colour -inf (masked) cells with masked_rgba; softmax colours its masked zeros the same.
struct ColorLut {
  const uint32_t* rgba = nullptr;  // lut_size RGBA8 entries (R in the low byte)
  int size = 0;
  float lo = 0.0f, hi = 1.0f;  // value range mapped onto entries 0 .. size - 1
  uint32_t masked_rgba = 0;
};
void colour_block(const RopeFrequencies& freqs, const Content& content, const ScoreOptions& options,
                  const Block& block, const RowStats* stats, const ColorLut& lut, uint32_t* rgba,
                  float* values = nullptr);

// The whole num_q x num_k matrix (logits, or row softmax if `softmax`), row-major.
std::vector<float> score_matrix(const RopeFrequencies& freqs, const Content& content,
                                const ScoreOptions& options, int64_t num_q, int64_t num_k, bool softmax);

// The fused pipeline behind score_matrix, on raw rows (q: num_q x head_dim, k: num_k x
// head_dim, row-major; positions options.offset + index): encodes q and k once, then per block
// of query rows computes only the needed columns (causal rows skip the upper triangle), scales,
// masks and applies the row softmax, writing num_q x num_k floats into out, on every core.
void attention_matrix(const RopeFrequencies& freqs, const ScoreOptions& options, const float* q,
                      int64_t num_q, const float* k, int64_t num_k, bool softmax, float* out);
// The causal softmax pipeline (rope, causal mask, softmax) on n x n: attention_matrix with
// encoding rope, causal and softmax.
void causal_softmax_pipeline(const RopeFrequencies& freqs, const float* q, const float* k,
                             int64_t n, int64_t offset, float* out);

}  // namespace rope::core
