#include "core/analysis.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>
#include <tuple>
#include <utility>

#include "core/error.h"
#include "core/kernels/viewport_kernels.h"

namespace rope::core {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// Rotor recurrences are re-seeded from exact cos/sin this often, keeping the drift below 1e-13.
constexpr int64_t kResync = 64;
constexpr int64_t kMaxDecayDistance = int64_t{1} << 24;

// Walks distances r = r0, r0+1, ... keeping cos(r*theta_i), sin(r*theta_i) for every pair by a
// rotation recurrence, re-seeded exactly every kResync steps.
class PairRotors {
 public:
  explicit PairRotors(const std::vector<double>& inv_freq)
      : inv_freq_(inv_freq), c_(inv_freq.size()), s_(inv_freq.size()), step_c_(inv_freq.size()), step_s_(inv_freq.size()) {
    for (size_t i = 0; i < inv_freq.size(); ++i) {
      step_c_[i] = std::cos(inv_freq[i]);
      step_s_[i] = std::sin(inv_freq[i]);
    }
  }
  void seek(int64_t r) {
    r_ = r;
    for (size_t i = 0; i < inv_freq_.size(); ++i) {
      const double angle = static_cast<double>(r) * inv_freq_[i];
      c_[i] = std::cos(angle);
      s_[i] = std::sin(angle);
    }
  }
  void next() {
    ++r_;
    if (r_ % kResync == 0) {
      seek(r_);
      return;
    }
    double* __restrict c = c_.data();
    double* __restrict s = s_.data();
    const double* __restrict sc = step_c_.data();
    const double* __restrict ss = step_s_.data();
    const size_t n = c_.size();
    for (size_t i = 0; i < n; ++i) {
      const double cn = c[i] * sc[i] - s[i] * ss[i];
      const double sn = s[i] * sc[i] + c[i] * ss[i];
      c[i] = cn;
      s[i] = sn;
    }
  }
  const std::vector<double>& cos() const { return c_; }
  const std::vector<double>& sin() const { return s_; }

 private:
  const std::vector<double>& inv_freq_;
  std::vector<double> c_, s_, step_c_, step_s_;
  int64_t r_ = 0;
};

double bound_from(const std::vector<double>& c, const std::vector<double>& s) {
  double re = 0.0, im = 0.0, total = 0.0;
  for (size_t j = 0; j < c.size(); ++j) {
    re += c[j];
    im += s[j];
    total += std::hypot(re, im);
  }
  return total / static_cast<double>(c.size());
}

double mean_from(const std::vector<double>& c) {
  double sum = 0.0;
  for (double v : c) sum += v;
  return sum / static_cast<double>(c.size());
}

std::vector<double> men_inv_freq(int rotary_dim, double base) {
  std::vector<double> inv_freq(static_cast<size_t>(rotary_dim / 2));
  for (int i = 0; i < rotary_dim / 2; ++i) inv_freq[static_cast<size_t>(i)] = std::pow(base, -2.0 * i / rotary_dim);
  return inv_freq;
}

bool feasible(int rotary_dim, double base, int64_t context) {
  return !first_negative_distance(rotary_dim, base, context).has_value();
}

}  // namespace

double roformer_bound(const std::vector<double>& inv_freq, double distance) {
  if (inv_freq.empty()) return 0.0;
  std::vector<double> c(inv_freq.size()), s(inv_freq.size());
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    c[i] = std::cos(distance * inv_freq[i]);
    s[i] = std::sin(distance * inv_freq[i]);
  }
  return bound_from(c, s);
}

double mean_cos(const std::vector<double>& inv_freq, double distance) {
  if (inv_freq.empty()) return 0.0;
  double sum = 0.0;
  for (double theta : inv_freq) sum += std::cos(distance * theta);
  return sum / static_cast<double>(inv_freq.size());
}

DecayCurve decay_curve(const RopeFrequencies& freqs, int64_t max_distance) {
  if (max_distance < 0 || max_distance > kMaxDecayDistance) {
    throw RopeError("max distance must be in [0, 2^24] (got " + std::to_string(max_distance) + ")");
  }
  DecayCurve curve;
  const size_t n = static_cast<size_t>(max_distance) + 1;
  curve.distance.resize(n);
  curve.roformer_bound.resize(n);
  curve.mean_cos.resize(n);
  PairRotors rotors(freqs.inv_freq);
  rotors.seek(0);
  for (size_t r = 0; r < n; ++r) {
    if (r > 0) rotors.next();
    curve.distance[r] = static_cast<int64_t>(r);
    curve.roformer_bound[r] = bound_from(rotors.cos(), rotors.sin());
    curve.mean_cos[r] = mean_from(rotors.cos());
  }
  return curve;
}

DecayCurve decay_curve_sampled(const RopeFrequencies& freqs, int64_t max_distance, int num_points, bool log_spaced) {
  if (max_distance < 0 || max_distance > kMaxPosition) throw RopeError("max distance must be in [0, 2^30]");
  if (num_points < 2) num_points = 2;
  std::vector<int64_t> distances;
  distances.reserve(static_cast<size_t>(num_points) + 1);
  for (int i = 0; i < num_points; ++i) {
    const double t = static_cast<double>(i) / (num_points - 1);
    double d = log_spaced ? std::expm1(t * std::log1p(static_cast<double>(max_distance)))
                          : t * static_cast<double>(max_distance);
    const int64_t r = std::clamp<int64_t>(std::llround(d), 0, max_distance);
    if (distances.empty() || r > distances.back()) distances.push_back(r);
  }
  DecayCurve curve;
  curve.distance = distances;
  for (int64_t r : distances) {
    curve.roformer_bound.push_back(roformer_bound(freqs.inv_freq, static_cast<double>(r)));
    curve.mean_cos.push_back(mean_cos(freqs.inv_freq, static_cast<double>(r)));
  }
  return curve;
}

int critical_dimension(int rotary_dim, double base, double training_context) {
  if (base <= 1.0 || training_context <= 0.0) return 0;
  const double raw = (rotary_dim / 2.0) * std::log(training_context / kTwoPi) / std::log(base);
  return std::clamp(2 * static_cast<int>(std::ceil(raw)), 0, rotary_dim);
}

ContextAnalysis analyse_context(const RopeFrequencies& freqs, double context) {
  ContextAnalysis a;
  a.context = context;
  a.critical_dimension = critical_dimension(freqs.rotary_dim, freqs.effective_base, context);
  a.pairs_within_context = pairs_within_context(freqs, context);
  return a;
}

int64_t default_analysis_context(const RopeFrequencies& freqs) {
  return freqs.original_max > 0 ? freqs.original_max : freqs.seq_len;
}

double men_sum(int rotary_dim, double base, int64_t m) {
  double sum = 0.0;
  for (double theta : men_inv_freq(rotary_dim, base)) sum += std::cos(static_cast<double>(m) * theta);
  return sum;
}

std::optional<int64_t> first_negative_distance(int rotary_dim, double base, int64_t limit) {
  if (rotary_dim < 2 || !(base > 0.0) || limit < 1) return std::nullopt;
  const std::vector<double> inv_freq = men_inv_freq(rotary_dim, base);
  std::vector<double> cos_m(inv_freq.size()), sin_m(inv_freq.size());
  const int64_t m = kernels::men_next_negative(inv_freq.data(), static_cast<int>(inv_freq.size()), 1, limit + 1,
                                               cos_m.data(), sin_m.data());
  if (m > limit) return std::nullopt;
  return m;
}

namespace {

// One base of the certified sweep: a step in ln(base) over which some B(m) < 0 is guaranteed to
// stay negative (0 when the base is feasible). With u_i = m theta_i and c_i = 2i/d,
//   B(m) = sum_i cos(u_i),   dB/dln(base) = sum_i sin(u_i) c_i u_i,
//   |d2B/dln(base)2| = |sum_i c_i^2 u_i (u_i cos u_i + sin u_i)| <= sum_i c_i^2 u_i (u_i + 1) = M2,
// and every u_i only shrinks as the base grows, so M2 bounds the curvature over the whole step:
// B stays below B + B' t + M2 t^2 / 2, which is negative up to its positive root. Any negative
// term certifies a step; the scan stops at twice the first negative distance, since infeasible
// bases would otherwise cost a full scan each.
double infeasible_step(int rotary_dim, double base, int64_t context) {
  const std::vector<double> inv_freq = men_inv_freq(rotary_dim, base);
  const int pairs = static_cast<int>(inv_freq.size());
  std::vector<double> c(inv_freq.size()), cos_m(inv_freq.size()), sin_m(inv_freq.size());
  for (size_t i = 0; i < inv_freq.size(); ++i) c[i] = 2.0 * static_cast<double>(i) / rotary_dim;
  double step = 0.0;
  int64_t stop = context;
  for (int64_t m = 1; m <= stop; ++m) {
    m = kernels::men_next_negative(inv_freq.data(), pairs, m, stop + 1, cos_m.data(), sin_m.data());
    if (m > stop) break;
    if (step == 0.0) stop = std::min(context, 2 * m);
    double b0 = 0.0, b1 = 0.0, m2 = 0.0;
    for (size_t i = 0; i < inv_freq.size(); ++i) {
      const double u = static_cast<double>(m) * inv_freq[i];
      b0 += cos_m[i];
      b1 += sin_m[i] * c[i] * u;
      m2 += c[i] * c[i] * u * (u + 1.0);
    }
    if (b0 >= 0.0) continue;  // rounding at the threshold: not a certificate
    const double root = m2 > 0.0 ? (-b1 + std::sqrt(b1 * b1 - 2.0 * m2 * b0)) / m2 : (b1 < 0.0 ? 1.0 : -b0 / b1);
    step = std::max(step, root);
  }
  return step;
}

}  // namespace

BaseBound base_lower_bound(int rotary_dim, int64_t context, double min_base, double max_base) {
  if (context < 1 || context > kMaxPosition) throw RopeError("context must be in [1, 2^30]");
  if (rotary_dim < 2 || rotary_dim % 2) throw RopeError("rotary_dim must be even and >= 2");
  BaseBound result;
  if (!feasible(rotary_dim, max_base, context)) return result;
  // Certified upward sweep from min_base.
  double log_base = std::log(std::max(min_base, 1.0 + 1e-9));
  const double log_max = std::log(max_base);
  while (log_base <= log_max) {
    ++result.evaluations;
    const double step = infeasible_step(rotary_dim, std::exp(log_base), context);
    if (step == 0.0) break;
    log_base += std::max(step, 1e-12);
  }
  result.found = true;
  result.base = std::min(std::exp(log_base), max_base);
  return result;
}

std::string_view to_string(PairBand band) {
  switch (band) {
    case PairBand::kUnscaled: return "unscaled";
    case PairBand::kFactor: return "factor";
    case PairBand::kKept: return "kept";
    case PairBand::kBlend: return "blend";
    case PairBand::kDivided: return "divided";
    case PairBand::kShortFactor: return "short factor";
    case PairBand::kLongFactor: return "long factor";
  }
  return "?";
}

std::string_view band_value_meaning(ScalingType type) {
  switch (type) {
    case ScalingType::kNone: return "no scaling: 1 for every pair";
    case ScalingType::kLinear: return "linear: the factor (theta = unscaled / factor)";
    case ScalingType::kNtk: return "ntk: alpha (base' = base alpha^(d/(d-2)))";
    case ScalingType::kDynamic: return "dynamic: the factor (base' from the factor and seq_len)";
    case ScalingType::kYarn:
      return "yarn: the ramp r (theta = (1 - r) unscaled + r unscaled / factor; 0 kept, 1 divided)";
    case ScalingType::kLlama3:
      return "llama3: the blend s (theta = (1 - s) unscaled / factor + s unscaled; 1 in the high-frequency band "
             "(kept), 0 in the low-frequency band (divided))";
    case ScalingType::kLongrope: return "longrope: the extension factor used (theta = unscaled / ext)";
  }
  return "";
}

namespace {

// The band and its value of pair j (see PairBand).
std::pair<PairBand, double> pair_band(const RopeFrequencies& f, size_t j) {
  switch (f.scaling) {
    case ScalingType::kNone: return {PairBand::kUnscaled, 1.0};
    case ScalingType::kLinear:
    case ScalingType::kNtk:
    case ScalingType::kDynamic: return {PairBand::kFactor, f.factor};
    case ScalingType::kYarn: {
      const double ramp = yarn_ramp(static_cast<double>(j), f.yarn_low, f.yarn_high);
      return {ramp == 0.0 ? PairBand::kKept : ramp == 1.0 ? PairBand::kDivided : PairBand::kBlend, ramp};
    }
    case ScalingType::kLlama3: {
      const double wavelen = kTwoPi / f.inv_freq_unscaled[j];
      if (wavelen > f.llama3_low_freq_wavelen) return {PairBand::kDivided, 0.0};
      if (wavelen < f.llama3_high_freq_wavelen) return {PairBand::kKept, 1.0};
      // s = (orig / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor), with the
      // factors written as orig / band edge.
      const double orig = static_cast<double>(f.original_max);
      const double low = orig / f.llama3_low_freq_wavelen, high = orig / f.llama3_high_freq_wavelen;
      return {PairBand::kBlend, (orig / wavelen - low) / (high - low)};
    }
    case ScalingType::kLongrope:
      return {f.seq_len > f.original_max ? PairBand::kLongFactor : PairBand::kShortFactor,
              f.inv_freq_unscaled[j] / f.inv_freq[j]};
  }
  return {PairBand::kUnscaled, 1.0};
}

}  // namespace

std::vector<PairInfo> pair_table(const RopeFrequencies& freqs, double context) {
  std::vector<PairInfo> table;
  table.reserve(freqs.inv_freq.size());
  const int half = freqs.rotary_dim / 2;
  for (size_t j = 0; j < freqs.inv_freq.size(); ++j) {
    PairInfo p;
    p.pair = static_cast<int>(j);
    p.feature0 = freqs.layout == Layout::kNeox ? p.pair : 2 * p.pair;
    p.feature1 = freqs.layout == Layout::kNeox ? p.pair + half : 2 * p.pair + 1;
    p.inv_freq = freqs.inv_freq[j];
    p.inv_freq_unscaled = freqs.inv_freq_unscaled[j];
    p.ratio = p.inv_freq / p.inv_freq_unscaled;
    p.wavelength = kTwoPi / p.inv_freq;
    p.rotations_in_context = context * p.inv_freq / kTwoPi;
    std::tie(p.band, p.band_value) = pair_band(freqs, j);
    table.push_back(p);
  }
  return table;
}

std::string pair_table_text(const std::vector<PairInfo>& table, char separator) {
  std::string text;
  for (const char* name : {"pair", "feature_a", "feature_b", "theta", "theta_unscaled", "ratio", "wavelength",
                           "rotations_in_context", "band", "band_value"}) {
    if (!text.empty()) text.push_back(separator);
    text.append(name);
  }
  text.push_back('\n');
  char field[40];
  const auto add = [&](const char* format, auto value) {
    std::snprintf(field, sizeof field, format, value);
    text.append(field);
  };
  for (const PairInfo& p : table) {
    add("%d", p.pair);
    for (const int feature : {p.feature0, p.feature1}) {
      text.push_back(separator);
      add("%d", feature);
    }
    for (const double v : {p.inv_freq, p.inv_freq_unscaled, p.ratio, p.wavelength, p.rotations_in_context}) {
      text.push_back(separator);
      add("%.17g", v);
    }
    text.push_back(separator);
    text.append(to_string(p.band));
    text.push_back(separator);
    add("%.17g", p.band_value);
    text.push_back('\n');
  }
  return text;
}

int pairs_within_context(const RopeFrequencies& freqs, double context) {
  int count = 0;
  for (double theta : freqs.inv_freq) count += (kTwoPi / theta <= context) ? 1 : 0;
  return count;
}

}  // namespace rope::core
