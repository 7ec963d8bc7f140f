#include "core/precision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>

#include "core/error.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;
// 2 pi as a sum of two doubles (hi + lo to about 2^-107 relative), for range reduction.
constexpr double kTwoPiHi = 6.283185307179586232;
constexpr double kTwoPiLo = 2.4492935982947064e-16;

// x rounded to `mantissa_bits` stored bits with exponents down to `min_exponent` (the smallest
// normal is 2^min_exponent; below it the step stays 2^(min_exponent - mantissa_bits):
// subnormals), ties to even (nearbyint in the default rounding mode).
double round_to_format(double x, int mantissa_bits, int min_exponent) {
  if (!std::isfinite(x) || x == 0.0) return x;
  int exp2 = 0;
  std::frexp(x, &exp2);  // |x| in [2^(exp2 - 1), 2^exp2)
  const int exponent = std::max(exp2 - 1, min_exponent);
  const double step = std::ldexp(1.0, exponent - mantissa_bits);
  return std::nearbyint(x / step) * step;  // x / step is exact (a power of two)
}

double to_float32(double x) { return static_cast<double>(static_cast<float>(x)); }

// cos and sin rounded to float32, as a float32 table holds them. Out of line on purpose: GCC 12
// at -O2 fused an inlined cos and sin of one angle into sincos and stored its two results without
// the double -> float -> double round trips (tests/core/precision_test.cpp catches that).
[[gnu::noinline]] double cos_to_float32(double angle) { return to_float32(std::cos(angle)); }
[[gnu::noinline]] double sin_to_float32(double angle) { return to_float32(std::sin(angle)); }

// p * inv_freq reduced to [-pi, pi] with about 1e-16 absolute error at any p < 2^53: the product
// as a double-double (fma), minus k * 2 pi with 2 pi as a double-double.
double exact_reduced_angle(double inv_freq, int64_t position) {
  const double p = static_cast<double>(position);
  const double hi = p * inv_freq;
  const double lo = std::fma(p, inv_freq, -hi);
  const double k = std::nearbyint(hi / kTwoPiHi);
  const double t = std::fma(-k, kTwoPiHi, hi);
  return (t - k * kTwoPiLo) + lo;
}

double wrap_abs(double d) {
  d = std::remainder(d, 2.0 * kPi);
  return std::min(std::fabs(d), kPi);
}

}  // namespace

std::string_view to_string(AnglePath path) {
  switch (path) {
    case AnglePath::kExact: return "exact";
    case AnglePath::kFp32: return "fp32";
    case AnglePath::kBf16InvFreq: return "bf16-inv-freq";
    case AnglePath::kFp16Positions: return "fp16-positions";
    case AnglePath::kBf16Tables: return "bf16-tables";
  }
  return "?";
}

const std::vector<AnglePath>& angle_paths() {
  static const std::vector<AnglePath> paths = {AnglePath::kExact, AnglePath::kFp32, AnglePath::kBf16InvFreq,
                                               AnglePath::kFp16Positions, AnglePath::kBf16Tables};
  return paths;
}

std::optional<AnglePath> parse_angle_path(std::string_view name) {
  for (AnglePath p : angle_paths())
    if (to_string(p) == name) return p;
  return std::nullopt;
}

double round_to_bfloat16(double x) {
  // Exponents as float32's (8 bits): overflow lies far beyond any angle or table value.
  return round_to_format(x, 7, -126);
}

double round_to_float16(double x) {
  if (std::isnan(x)) return x;
  // The largest float16 is 65504; from 65520 (halfway to 2^16) on, nearest-even rounds to inf.
  if (std::fabs(x) >= 65520.0) return std::copysign(std::numeric_limits<double>::infinity(), x);
  return round_to_format(x, 10, -14);
}

PathRotation path_rotation(AnglePath path, double inv_freq, int64_t position) {
  PathRotation r;
  if (path == AnglePath::kExact) {
    r.angle = static_cast<double>(position) * inv_freq;
    const double reduced = exact_reduced_angle(inv_freq, position);
    r.cos = std::cos(reduced);
    r.sin = std::sin(reduced);
    return r;
  }
  double theta = to_float32(inv_freq);
  if (path == AnglePath::kBf16InvFreq) theta = round_to_bfloat16(theta);
  double pos = to_float32(static_cast<double>(position));
  if (path == AnglePath::kFp16Positions) pos = round_to_float16(static_cast<double>(position));
  // The product of two floats is exact in double; one rounding makes it the float32 product.
  r.angle = to_float32(pos * theta);
  if (!std::isfinite(r.angle)) {
    r.cos = r.sin = kNaN;
    r.finite = false;
    return r;
  }
  r.cos = cos_to_float32(r.angle);
  r.sin = sin_to_float32(r.angle);
  if (path == AnglePath::kBf16Tables) {
    r.cos = round_to_bfloat16(r.cos);
    r.sin = round_to_bfloat16(r.sin);
  }
  return r;
}

double phase_error(AnglePath path, double inv_freq, int64_t position) {
  const PathRotation r = path_rotation(path, inv_freq, position);
  if (!r.finite) return kNaN;
  return wrap_abs(std::atan2(r.sin, r.cos) - exact_reduced_angle(inv_freq, position));
}

PhaseErrorReport phase_errors(const RopeFrequencies& freqs, AnglePath path, const std::vector<int64_t>& positions,
                              int64_t positions_end) {
  constexpr int64_t kMaxPositions = int64_t{1} << 30;
  if (positions_end < 1 || positions_end > kMaxPositions)
    throw RopeError("precision: the positions to scan must be in [1, 2^30] (got " + std::to_string(positions_end) + ")");
  for (int64_t p : positions)
    if (p < 0 || p > kMaxPositions)
      throw RopeError("precision: position " + std::to_string(p) + " is outside [0, 2^30]");
  PhaseErrorReport report;
  report.path = path;
  report.positions = positions;
  report.positions_end = positions_end;
  const size_t pairs = freqs.inv_freq.size();
  report.pairs.resize(pairs);
  // Larger of (error, position) with NaN above every number and the earlier position on ties.
  const auto worse = [](double e, int64_t p, double best_e, int64_t best_p) {
    const bool e_nan = std::isnan(e), b_nan = std::isnan(best_e);
    if (e_nan != b_nan) return e_nan;
    if (e_nan || e == best_e) return p < best_p;
    return e > best_e;
  };
  // Tasks: pairs x chunks of positions, each keeping its own maximum.
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (positions_end + kChunk - 1) / kChunk;
  std::vector<double> chunk_error(pairs * static_cast<size_t>(chunks), 0.0);
  std::vector<int64_t> chunk_position(chunk_error.size(), 0);
  ThreadPool::shared().parallel_for(static_cast<int64_t>(chunk_error.size()), [&](int64_t task, int) {
    const size_t pair = static_cast<size_t>(task / chunks);
    const int64_t begin = (task % chunks) * kChunk, end = std::min(positions_end, begin + kChunk);
    const double inv_freq = freqs.inv_freq[pair];
    double best = -1.0;
    int64_t best_p = begin;
    for (int64_t p = begin; p < end; ++p) {
      const double e = phase_error(path, inv_freq, p);
      if (worse(e, p, best, best_p)) {
        best = e;
        best_p = p;
      }
    }
    chunk_error[static_cast<size_t>(task)] = best;
    chunk_position[static_cast<size_t>(task)] = best_p;
  });
  report.max_error = -1.0;
  for (size_t i = 0; i < pairs; ++i) {
    PairPhaseErrors& out = report.pairs[i];
    for (int64_t p : positions) out.at.push_back(phase_error(path, freqs.inv_freq[i], p));
    out.max_error = -1.0;
    for (int64_t c = 0; c < chunks; ++c) {
      const size_t k = i * static_cast<size_t>(chunks) + static_cast<size_t>(c);
      if (worse(chunk_error[k], chunk_position[k], out.max_error, out.max_position)) {
        out.max_error = chunk_error[k];
        out.max_position = chunk_position[k];
      }
    }
    if (worse(out.max_error, out.max_position, report.max_error, report.max_position)) {
      report.max_error = out.max_error;
      report.max_position = out.max_position;
      report.max_pair = static_cast<int>(i);
    }
  }
  return report;
}

}  // namespace rope::core
