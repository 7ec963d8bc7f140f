#pragma once
// How a row of q or k is encoded at a position, in one place for every caller (the fused score
// pipeline and the viewport engine):
//   rope:       R(p) x, cos and sin multiplied by the attention factor (tables from
//               kernels::rope_tables, angles range-reduced in float64);
//   sinusoidal: x + PE(p), PE[p][2i] = sin(p w_i), PE[p][2i+1] = cos(p w_i), w_i = base^(-2i/d),
//               with the configured (unscaled) base and the full head_dim;
//   none:       x.
#include <cstdint>
#include <vector>

#include "core/attention.h"
#include "core/rope_config.h"

namespace rope::core {

// w_i = base^(-2i/head_dim) for i < ceil(head_dim / 2).
std::vector<double> sinusoid_inv_freq(int head_dim, double base);

// Pairs per row in the cos/sin scratch tables encode_block needs for this encoding.
int encoding_table_pairs(const RopeFrequencies& freqs, Encoding encoding);

// Encodes num_rows rows of x (head_dim floats each) at positions pos0, pos0 + 1, ... into out;
// x and out may alias. cos_tab and sin_tab are scratch of num_rows * encoding_table_pairs floats
// each; sinusoid_w comes from sinusoid_inv_freq (read only for the sinusoidal encoding).
void encode_block(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, const float* x, int64_t num_rows,
                  float* out, float* cos_tab, float* sin_tab, const double* sinusoid_w);
// encode_block in two steps, so that rows of q and k at the same positions share one table:
// the tables for positions pos0 .. pos0 + num_rows - 1, then the encoding of rows with them.
void encoding_tables(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, int64_t num_rows,
                     float* cos_tab, float* sin_tab, const double* sinusoid_w);
void apply_encoding(const RopeFrequencies& freqs, Encoding encoding, const float* x, int64_t num_rows, float* out,
                    const float* cos_tab, const float* sin_tab);

}  // namespace rope::core
