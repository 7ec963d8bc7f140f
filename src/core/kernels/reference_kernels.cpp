// Scalar float64 references (the test oracles) and target-independent glue: per-head rotation,
// key packing.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/kernels/kernels.h"

namespace rope::core::kernels {

void rope_tables_ref(const double* inv_freq, int num_pairs, int64_t pos0, int64_t num_pos,
                     double attention_factor, double* cos_out, double* sin_out) {
  for (int64_t p = 0; p < num_pos; ++p) {
    const double pos = static_cast<double>(pos0 + p);
    for (int j = 0; j < num_pairs; ++j) {
      const double angle = pos * inv_freq[j];
      cos_out[p * num_pairs + j] = attention_factor * std::cos(angle);
      sin_out[p * num_pairs + j] = attention_factor * std::sin(angle);
    }
  }
}

void rotate_rows_ref(const double* x, int64_t num_rows, int head_dim, int rotary_dim, bool gptj,
                     const double* cos_tab, const double* sin_tab, double* out) {
  const int pairs = rotary_dim / 2;
  std::vector<double> row(static_cast<size_t>(head_dim));
  for (int64_t r = 0; r < num_rows; ++r) {
    std::copy(x + r * head_dim, x + (r + 1) * head_dim, row.begin());
    double* o = out + r * head_dim;
    for (int j = 0; j < pairs; ++j) {
      const int i0 = gptj ? 2 * j : j;
      const int i1 = gptj ? 2 * j + 1 : j + pairs;
      const double c = cos_tab[r * pairs + j], s = sin_tab[r * pairs + j];
      o[i0] = row[i0] * c - row[i1] * s;
      o[i1] = row[i1] * c + row[i0] * s;
    }
    for (int f = 2 * pairs; f < head_dim; ++f) o[f] = row[f];
  }
}

void rotate_heads(const float* x, int64_t num_heads, int64_t seq_len, int head_dim, int rotary_dim,
                  bool gptj, const float* cos_tab, const float* sin_tab, float* out) {
  for (int64_t h = 0; h < num_heads; ++h) {
    const int64_t offset = h * seq_len * head_dim;
    rotate_rows(x + offset, seq_len, head_dim, rotary_dim, gptj, cos_tab, sin_tab, out + offset);
  }
}

int64_t packed_keys_size(int64_t num_keys, int head_dim) {
  const int64_t panels = (num_keys + kKeyPanelWidth - 1) / kKeyPanelWidth;
  return panels * head_dim * kKeyPanelWidth;
}

void pack_keys(const float* k, int64_t num_keys, int head_dim, float* packed) {
  const int64_t panels = (num_keys + kKeyPanelWidth - 1) / kKeyPanelWidth;
  for (int64_t p = 0; p < panels; ++p) {
    float* dst = packed + p * head_dim * kKeyPanelWidth;
    const int64_t key0 = p * kKeyPanelWidth;
    const int width = static_cast<int>(std::min<int64_t>(kKeyPanelWidth, num_keys - key0));
    if (width < kKeyPanelWidth) std::fill(dst, dst + head_dim * kKeyPanelWidth, 0.0f);
    for (int c = 0; c < width; ++c) {
      const float* src = k + (key0 + c) * head_dim;
      for (int f = 0; f < head_dim; ++f) dst[f * kKeyPanelWidth + c] = src[f];
    }
  }
}

void score_block_ref(const double* q, int64_t num_rows, const double* k, int64_t num_cols,
                     int head_dim, double scale, double* out) {
  for (int64_t i = 0; i < num_rows; ++i) {
    for (int64_t j = 0; j < num_cols; ++j) {
      double dot = 0.0;
      for (int f = 0; f < head_dim; ++f) dot += q[i * head_dim + f] * k[j * head_dim + f];
      out[i * num_cols + j] = scale * dot;
    }
  }
}

void softmax_row_ref(const double* x, int64_t num_valid, int64_t row_len, double* out) {
  double max = -INFINITY;
  for (int64_t i = 0; i < num_valid; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < num_valid; ++i) sum += std::exp(x[i] - max);
  for (int64_t i = 0; i < row_len; ++i) out[i] = i < num_valid ? std::exp(x[i] - max) / sum : 0.0;
}

}  // namespace rope::core::kernels
