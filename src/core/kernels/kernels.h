#pragma once
// SIMD kernels (Highway, runtime dispatch) and their scalar float64 references, which are the
// test oracles. Only raw pointers and sizes cross this boundary.
#include <cstdint>
#include <string>
#include <vector>

namespace rope::core::kernels {

// Cos/sin tables for positions pos0 .. pos0 + num_pos - 1 and pairs j < num_pairs:
//   cos_out[p * num_pairs + j] = a * cos((pos0 + p) * inv_freq[j])   (likewise sin)
// The angle is formed and range-reduced in float64, so positions up to 2^30 stay accurate.
void rope_tables(const double* inv_freq, int num_pairs, int64_t pos0, int64_t num_pos,
                 double attention_factor, float* cos_out, float* sin_out);
void rope_tables_ref(const double* inv_freq, int num_pairs, int64_t pos0, int64_t num_pos,
                     double attention_factor, double* cos_out, double* sin_out);

// Rotates num_rows rows of x (row-major, head_dim floats each) into out. The first rotary_dim
// features rotate by the tables (num_pairs = rotary_dim / 2), in NeoX pairs (j, j + rotary_dim/2)
// or GPT-J pairs (2j, 2j+1); the rest are copied. x and out may alias.
void rotate_rows(const float* x, int64_t num_rows, int head_dim, int rotary_dim, bool gptj,
                 const float* cos_tab, const float* sin_tab, float* out);
void rotate_rows_ref(const double* x, int64_t num_rows, int head_dim, int rotary_dim, bool gptj,
                     const double* cos_tab, const double* sin_tab, double* out);
// heads x seq_len x head_dim (row-major): every head rotates with the same tables for its
// seq_len positions (tables seq_len x rotary_dim/2). x and out may alias.
void rotate_heads(const float* x, int64_t num_heads, int64_t seq_len, int head_dim, int rotary_dim,
                  bool gptj, const float* cos_tab, const float* sin_tab, float* out);

// ---- Score blocks --------------------------------------------------------------------------
// Keys are packed once into panels of kKeyPanelWidth keys: panel P holds keys
// [P * kKeyPanelWidth, (P + 1) * kKeyPanelWidth) transposed, feature-major
// (packed[(P * head_dim + f) * kKeyPanelWidth + c] = k[P * kKeyPanelWidth + c][f]), zero-padded.
inline constexpr int kKeyPanelWidth = 32;
int64_t packed_keys_size(int64_t num_keys, int head_dim);  // floats
void pack_keys(const float* k, int64_t num_keys, int head_dim, float* packed);

// out[i * ld_out + j] = scale * <q_i, k_j> for i < num_rows, j < num_cols, with keys from
// pack_keys (column j is key j of the packed set). When causal_diag >= 0, row i only needs
// columns j <= causal_diag + i: whole panels beyond that are skipped, and cells beyond it inside
// a computed panel hold unspecified values (the caller masks them). When row_max_out is given,
// row_max_out[i] is the maximum of row i's needed columns (j < num_cols, and j <= causal_diag + i
// when causal), taken as the scores leave the registers instead of in a later pass over the row.
void score_block_packed(const float* q, int64_t num_rows, int head_dim, const float* packed_keys,
                        int64_t num_cols, float scale, int64_t causal_diag, float* out,
                        int64_t ld_out, float* row_max_out = nullptr);
// out[i * num_cols + j] = scale * <q_i, k_j>, q and k row-major.
void score_block_ref(const double* q, int64_t num_rows, const double* k, int64_t num_cols,
                     int head_dim, double scale, double* out);

// ---- Row softmax pieces --------------------------------------------------------------------
float row_max(const float* x, int64_t n);  // -inf for n == 0
// x[i] = exp(x[i] - max) in place; returns the sum of the new values.
double exp_shift_sum(float* x, int64_t n, float max);
// Writes one output row of row_len floats: dst[i] = src[i] * scale for i < num_valid, fill
// beyond. Uses non-temporal stores where dst is aligned (call stream_fence() before another
// thread reads dst).
void store_row(const float* src, int64_t num_valid, float scale, float fill, int64_t row_len,
               float* dst);
void stream_fence();
// Reference: row softmax in float64 over the first num_valid entries, 0 beyond.
void softmax_row_ref(const double* x, int64_t num_valid, int64_t row_len, double* out);

// ---- Fused tile: rotated scores -> mask -> softmax with given row stats -> colour ----------
// For a tile of rows [0, num_rows) and columns [0, num_cols) of precomputed rotated queries
// (row-major) and packed keys: value = scale * <q_i, k_j>; if softmax, value =
// exp(value - row_max[i]) / row_sum[i]; cells with key index (col_pos0 + j) > query index
// (row_pos0 + i) are masked when causal (-inf logits, 0 probabilities). Each value maps to
// lut[clamp(round((value - lo) / (hi - lo) * (lut_size - 1)))] (RGBA8 packed in uint32);
// -inf maps to masked_rgba, and so do the masked zeros of softmax. Values are also written to
// values_out when it is not null. scratch holds num_rows x round_up(num_cols, kKeyPanelWidth)
// floats; rgba_out and values_out (either may be null) have row stride ld_out. Rows are
// softmax rows only when both row_max_in and row_sum_in are given.
struct ColorMap {
  const uint32_t* lut = nullptr;
  int lut_size = 0;
  float lo = 0.0f, hi = 1.0f;
  uint32_t masked_rgba = 0;
};
void fused_score_tile(const float* q_rot, int64_t num_rows, int head_dim, const float* packed_keys,
                      int64_t num_cols, float scale, bool causal, int64_t row_pos0,
                      int64_t col_pos0, const float* row_max_in, const float* row_sum_in,
                      const ColorMap& colormap, float* scratch, float* values_out,
                      uint32_t* rgba_out, int64_t ld_out);
// Colours a row-major float array with the same mapping (non-temporal stores where aligned).
void colorize(const float* values, int64_t n, const ColorMap& colormap, uint32_t* rgba_out);
// One output row: colours values[0, num_valid) and writes masked_rgba to [num_valid, row_len)
// without reading those values.
void colorize_row(const float* values, int64_t num_valid, int64_t row_len, const ColorMap& colormap,
                  uint32_t* rgba_out);

// Machine-peak probe: `iterations` rounds of independent fp32 FMA chains on one thread; sets
// *flops to the FLOPs done and returns a value that depends on them (keep it alive).
double fma_probe(int64_t iterations, double* flops);

// Names of the Highway targets compiled in and supported by this CPU (best first).
std::vector<std::string> available_targets();
// Name of the target runtime dispatch picks.
std::string active_target();

}  // namespace rope::core::kernels
