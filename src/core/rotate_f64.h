#pragma once
// One vector rotated to a position in float64: the reference rotation of the analyses that compare
// what a runtime computes against the exact one (kvcache, temperature).
#include <cmath>
#include <cstdint>
#include <utility>

#include "core/rope_config.h"

namespace rope::core {

// The features of pair i: (i, i + rotary_dim / 2) in the NeoX layout, (2i, 2i + 1) in GPT-J's.
inline std::pair<int, int> pair_features(const RopeFrequencies& f, int i) {
  return f.layout == Layout::kGptj ? std::pair{2 * i, 2 * i + 1} : std::pair{i, i + f.rotary_dim / 2};
}

// out = x rotated to `position` with inv_freq (rotary_dim / 2 values), cos and sin times `factor`;
// the features past rotary_dim pass through. x and out hold head_dim values.
template <class T>
void rotate_f64(const RopeFrequencies& f, const double* inv_freq, double factor, const T* x, int64_t position,
                double* out) {
  for (int j = 0; j < f.head_dim; ++j) out[j] = static_cast<double>(x[j]);
  for (int i = 0; i < f.rotary_dim / 2; ++i) {
    const auto [a, b] = pair_features(f, i);
    const double angle = static_cast<double>(position) * inv_freq[i];
    const double c = factor * std::cos(angle), s = factor * std::sin(angle);
    const double xa = static_cast<double>(x[a]), xb = static_cast<double>(x[b]);
    out[a] = xa * c - xb * s;
    out[b] = xa * s + xb * c;
  }
}

}  // namespace rope::core
