#pragma once
// Small SIMD helpers of the viewport engine (Highway, runtime dispatch); scalar references are
// the test oracles.
#include <cstdint>

namespace rope::core::kernels {

// sum_i a[i] * b[i] in float64.
double dot_f64(const double* a, const double* b, int64_t n);
double dot_f64_ref(const double* a, const double* b, int64_t n);

// out[j] = sum_{i < n} w[i] * p[i - j * stride] for j in [0, count): the correlation of a weight
// row with a prefix-sum array sampled at evenly spaced column boundaries. p must be readable at
// every index used.
void strided_correlation_f64(const double* w, int64_t n, const double* p, int64_t stride, int64_t count,
                             double* out);

}  // namespace rope::core::kernels
