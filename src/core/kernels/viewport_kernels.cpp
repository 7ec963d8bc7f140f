// Highway kernels for the viewport engine, compiled per target and dispatched at run time.
#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/viewport_kernels.cpp"
#include "hwy/foreach_target.h"  // must come before highway.h

#include "hwy/highway.h"

#include "core/kernels/viewport_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace rope::core::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

double DotF64Impl(const double* a, const double* b, int64_t n) {
  const hn::ScalableTag<double> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + lanes), hn::LoadU(d, b + i + lanes), s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * lanes), hn::LoadU(d, b + i + 2 * lanes), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * lanes), hn::LoadU(d, b + i + 3 * lanes), s3);
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  double total = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

void StridedCorrelationF64Impl(const double* w, int64_t n, const double* p, int64_t stride, int64_t count,
                               double* out) {
  for (int64_t j = 0; j < count; ++j) out[j] = DotF64Impl(w, p - j * stride, n);
}

constexpr int64_t kMenResync = 1024;
constexpr int kMenMaxPairs = 4096;

int64_t MenNextNegativeImpl(const double* inv_freq, int num_pairs, int64_t m_begin, int64_t m_end,
                            double* cos_state, double* sin_state) {
  const hn::ScalableTag<double> d;
  const size_t lanes = hn::Lanes(d);
  const size_t padded = (static_cast<size_t>(num_pairs) + lanes - 1) / lanes * lanes;
  // Padding pairs have theta = 0 and cos = 0 so they add nothing; their rotor stays put.
  HWY_ALIGN double c[kMenMaxPairs], s[kMenMaxPairs], sc[kMenMaxPairs], ss[kMenMaxPairs];
  for (size_t i = 0; i < padded; ++i) {
    const bool real = i < static_cast<size_t>(num_pairs);
    sc[i] = real ? std::cos(inv_freq[i]) : 1.0;
    ss[i] = real ? std::sin(inv_freq[i]) : 0.0;
  }
  const auto seed = [&](int64_t m) {
    for (size_t i = 0; i < padded; ++i) {
      const bool real = i < static_cast<size_t>(num_pairs);
      const double angle = real ? static_cast<double>(m) * inv_freq[i] : 0.0;
      c[i] = real ? std::cos(angle) : 0.0;
      s[i] = real ? std::sin(angle) : 0.0;
    }
  };
  seed(m_begin);
  for (int64_t m = m_begin; m < m_end; ++m) {
    if (m != m_begin) {
      if (m % kMenResync == 0) {
        seed(m);
      } else {
        for (size_t i = 0; i < padded; i += lanes) {
          const auto vc = hn::Load(d, c + i), vs = hn::Load(d, s + i);
          const auto vsc = hn::Load(d, sc + i), vss = hn::Load(d, ss + i);
          hn::Store(hn::NegMulAdd(vs, vss, hn::Mul(vc, vsc)), d, c + i);
          hn::Store(hn::MulAdd(vc, vss, hn::Mul(vs, vsc)), d, s + i);
        }
      }
    }
    auto sum = hn::Zero(d);
    for (size_t i = 0; i < padded; i += lanes) sum = hn::Add(sum, hn::Load(d, c + i));
    if (hn::GetLane(hn::SumOfLanes(d, sum)) < 0.0) {
      for (int i = 0; i < num_pairs; ++i) {
        cos_state[i] = c[i];
        sin_state[i] = s[i];
      }
      return m;
    }
  }
  return m_end;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rope::core::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rope::core::kernels {

HWY_EXPORT(DotF64Impl);
HWY_EXPORT(StridedCorrelationF64Impl);
HWY_EXPORT(MenNextNegativeImpl);

int64_t men_next_negative(const double* inv_freq, int num_pairs, int64_t m_begin, int64_t m_end,
                          double* cos_state, double* sin_state) {
  if (num_pairs < 1 || num_pairs > 4096) return m_end;
  return HWY_DYNAMIC_DISPATCH(MenNextNegativeImpl)(inv_freq, num_pairs, m_begin, m_end, cos_state, sin_state);
}

double dot_f64(const double* a, const double* b, int64_t n) { return HWY_DYNAMIC_DISPATCH(DotF64Impl)(a, b, n); }

double dot_f64_ref(const double* a, const double* b, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += a[i] * b[i];
  return total;
}

void strided_correlation_f64(const double* w, int64_t n, const double* p, int64_t stride, int64_t count,
                             double* out) {
  HWY_DYNAMIC_DISPATCH(StridedCorrelationF64Impl)(w, n, p, stride, count, out);
}

}  // namespace rope::core::kernels
#endif  // HWY_ONCE
