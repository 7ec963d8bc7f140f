#pragma once
// Small SIMD helpers of the viewport engine and the analyses (Highway, runtime dispatch); scalar references are
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

// Men et al.'s B(m) = sum_i cos(m theta_i), scanned over m in [m_begin, m_end): returns the first m
// with B(m) < 0 (m_end if none) and leaves cos_state/sin_state (num_pairs each) at cos/sin of
// that m times theta_i (undefined when m_end is returned). Rotor recurrence, re-seeded exactly
// every 1024 steps.
int64_t men_next_negative(const double* inv_freq, int num_pairs, int64_t m_begin, int64_t m_end,
                          double* cos_state, double* sin_state);

}  // namespace rope::core::kernels
