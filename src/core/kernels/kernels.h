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

// Names of the Highway targets compiled in and supported by this CPU (best first).
std::vector<std::string> available_targets();
// Name of the target runtime dispatch picks.
std::string active_target();

}  // namespace rope::core::kernels
