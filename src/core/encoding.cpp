#include "core/encoding.h"

#include <cmath>
#include <cstring>

#include "core/kernels/kernels.h"

namespace rope::core {

std::vector<double> sinusoid_inv_freq(int head_dim, double base) {
  std::vector<double> w(static_cast<size_t>((head_dim + 1) / 2));
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::pow(base, -2.0 * static_cast<double>(i) / head_dim);
  return w;
}

int encoding_table_pairs(const RopeFrequencies& freqs, Encoding encoding) {
  switch (encoding) {
    case Encoding::kRope: return freqs.rotary_dim / 2;
    case Encoding::kSinusoidal: return (freqs.head_dim + 1) / 2;
    case Encoding::kNone: return 0;
  }
  return 0;
}

void encoding_tables(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, int64_t num_rows,
                     float* cos_tab, float* sin_tab, const double* sinusoid_w) {
  switch (encoding) {
    case Encoding::kRope:
      kernels::rope_tables(freqs.inv_freq.data(), freqs.rotary_dim / 2, pos0, num_rows, freqs.attention_factor,
                           cos_tab, sin_tab);
      return;
    case Encoding::kSinusoidal:
      kernels::rope_tables(sinusoid_w, (freqs.head_dim + 1) / 2, pos0, num_rows, 1.0, cos_tab, sin_tab);
      return;
    case Encoding::kNone:
      return;
  }
}

void apply_encoding(const RopeFrequencies& freqs, Encoding encoding, const float* x, int64_t num_rows, float* out,
                    const float* cos_tab, const float* sin_tab) {
  const int d = freqs.head_dim;
  switch (encoding) {
    case Encoding::kRope:
      kernels::rotate_rows(x, num_rows, d, freqs.rotary_dim, freqs.layout == Layout::kGptj, cos_tab, sin_tab, out);
      return;
    case Encoding::kSinusoidal: {
      const int pairs = (d + 1) / 2;
      for (int64_t r = 0; r < num_rows; ++r) {
        const float* src = x + r * d;
        float* dst = out + r * d;
        const float* c = cos_tab + r * pairs;
        const float* s = sin_tab + r * pairs;
        for (int i = 0; i < pairs; ++i) {
          dst[2 * i] = src[2 * i] + s[i];
          if (2 * i + 1 < d) dst[2 * i + 1] = src[2 * i + 1] + c[i];
        }
      }
      return;
    }
    case Encoding::kNone:
      if (out != x) std::memmove(out, x, static_cast<size_t>(num_rows * d) * sizeof(float));
      return;
  }
}

void encode_block(const RopeFrequencies& freqs, Encoding encoding, int64_t pos0, const float* x, int64_t num_rows,
                  float* out, float* cos_tab, float* sin_tab, const double* sinusoid_w) {
  encoding_tables(freqs, encoding, pos0, num_rows, cos_tab, sin_tab, sinusoid_w);
  apply_encoding(freqs, encoding, x, num_rows, out, cos_tab, sin_tab);
}

}  // namespace rope::core
