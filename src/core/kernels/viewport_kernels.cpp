// Highway kernels for the viewport engine, compiled per target and dispatched at run time.
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

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rope::core::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rope::core::kernels {

HWY_EXPORT(DotF64Impl);
HWY_EXPORT(StridedCorrelationF64Impl);

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
