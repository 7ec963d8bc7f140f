#include "viz/axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rope::viz {
namespace {

constexpr double kTickSlack = 1e-9;
constexpr int kMaxTicks = 1000;

// Smallest number of decimals (0..15) that represents `step` exactly enough.
int decimals_for(double step) {
  step = std::abs(step);
  if (!(step > 0.0) || !std::isfinite(step)) return 0;
  for (int d = 0; d < 15; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return d;
  }
  return 15;
}

std::string strip_zeros(std::string s) {
  const auto dot = s.find('.');
  if (dot == std::string::npos) return s;
  size_t end = s.size();
  while (end > dot + 1 && s[end - 1] == '0') --end;
  if (end == dot + 1) --end;
  s.erase(end);
  if (s == "-0") s = "0";
  return s;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 15), v);
  return strip_zeros(buf);
}

// Mantissa / exponent form without '+' or leading zeros: 2.5e-5, 1e-4, 3e20.
std::string scientific(double v, int mantissa_decimals) {
  int e = static_cast<int>(std::floor(std::log10(std::abs(v))));
  double m = v / std::pow(10.0, e);
  // Rounding may carry the mantissa to 10.
  const double rounded = std::round(m * std::pow(10.0, mantissa_decimals)) / std::pow(10.0, mantissa_decimals);
  if (std::abs(rounded) >= 10.0) {
    m /= 10.0;
    ++e;
  }
  return fixed(m, mantissa_decimals) + "e" + std::to_string(e);
}

struct Unit {
  double scale;
  const char* suffix;
};
constexpr Unit kUnits[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};

template <typename T>
Range data_range_impl(const T* values, size_t count, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t i = 0; i < count; ++i) {
    const double v = static_cast<double>(values[i]);
    if (!std::isfinite(v) || (log && v <= 0.0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) return log ? Range{1.0, 10.0} : Range{0.0, 1.0};
  return Range{lo, hi};
}

}  // namespace

double nice_step(double span, int target_count) {
  span = std::abs(span);
  if (!(span > 0.0) || !std::isfinite(span)) return 1.0;
  const double raw = span / std::max(1, target_count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  double nice;
  if (norm < 1.5) nice = 1.0;
  else if (norm < 3.0) nice = 2.0;
  else if (norm < 7.0) nice = 5.0;
  else nice = 10.0;
  return nice * mag;
}

std::vector<Tick> linear_ticks(double min, double max, int target_count) {
  std::vector<Tick> ticks;
  if (!std::isfinite(min) || !std::isfinite(max)) return ticks;
  if (min > max) std::swap(min, max);
  if (min == max) {
    ticks.push_back(Tick{min, true, format_tick(min, std::abs(min) > 0 ? std::abs(min) : 1.0)});
    return ticks;
  }
  const double step = nice_step(max - min, target_count);
  const double slack = step * kTickSlack + (max - min) * kTickSlack;
  const double first = std::ceil((min - slack) / step);
  for (int i = 0; i < kMaxTicks; ++i) {
    double v = (first + i) * step;
    if (v > max + slack) break;
    if (std::abs(v) < step * kTickSlack) v = 0.0;
    ticks.push_back(Tick{v, true, format_tick(v, step)});
  }
  return ticks;
}

std::vector<Tick> log_ticks(double min, double max, int max_major) {
  std::vector<Tick> ticks;
  if (!(min > 0.0) || !(max > 0.0) || !std::isfinite(min) || !std::isfinite(max)) return ticks;
  if (min > max) std::swap(min, max);
  const double lo = std::log10(min), hi = std::log10(max);
  const int e0 = static_cast<int>(std::ceil(lo - kTickSlack));
  const int e1 = static_cast<int>(std::floor(hi + kTickSlack));
  const int decades_inside = e1 - e0 + 1;
  if (hi - lo < 1.0 && decades_inside < 2) return linear_ticks(min, max, 5);
  const int stride = std::max(1, (decades_inside + std::max(1, max_major) - 1) / std::max(1, max_major));
  const bool label_25 = hi - lo <= 2.2;
  const double vmin = min * (1.0 - kTickSlack), vmax = max * (1.0 + kTickSlack);
  for (int e = static_cast<int>(std::floor(lo)); e <= e1 && static_cast<int>(ticks.size()) < kMaxTicks; ++e) {
    const double p = std::pow(10.0, e);
    if (p >= vmin && p <= vmax) {
      const bool major = ((e % stride) + stride) % stride == 0;
      ticks.push_back(Tick{p, major, major ? format_tick(p, p) : std::string()});
    }
    if (stride > 1) continue;
    for (int m = 2; m <= 9; ++m) {
      const double v = m * p;
      if (v < vmin || v > vmax) continue;
      const bool major = label_25 && (m == 2 || m == 5);
      ticks.push_back(Tick{v, major, major ? format_tick(v, p) : std::string()});
    }
  }
  return ticks;
}

std::string format_tick(double value, double step) {
  step = std::abs(step);
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  if (!(step > 0.0) || !std::isfinite(step)) step = std::abs(value) > 0 ? std::abs(value) : 1.0;
  if (std::abs(value) < step * kTickSlack || value == 0.0) return "0";
  const double a = std::abs(value);
  if (a >= 1e15) return scientific(value, std::clamp(decimals_for(step / std::pow(10.0, std::floor(std::log10(a)))), 0, 6));
  for (const Unit& u : kUnits) {
    if (a >= u.scale) return fixed(value / u.scale, decimals_for(step / u.scale)) + u.suffix;
  }
  if (a < 1e-3) {
    const int e = static_cast<int>(std::floor(std::log10(a)));
    return scientific(value, std::clamp(decimals_for(step / std::pow(10.0, e)), 0, 6));
  }
  return fixed(value, decimals_for(step));
}

std::string format_compact(double value, int significant) {
  significant = std::clamp(significant, 1, 15);
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  if (value == 0.0) return "0";
  const double a = std::abs(value);
  auto decimals_for_sig = [significant](double x) {
    return std::max(0, significant - 1 - static_cast<int>(std::floor(std::log10(std::abs(x)))));
  };
  if (a >= 1e15) return scientific(value, significant - 1);
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    const Unit& u = kUnits[i];
    if (a >= u.scale) {
      const double x = value / u.scale;
      const int d = decimals_for_sig(x);
      const double r = std::round(std::abs(x) * std::pow(10.0, d)) / std::pow(10.0, d);
      if (r >= 1000.0 && i > 0) {  // 999.96k -> 1M
        const Unit& up = kUnits[i - 1];
        return fixed(value / up.scale, decimals_for_sig(value / up.scale)) + up.suffix;
      }
      return fixed(x, d) + u.suffix;
    }
  }
  if (a < 1e-3) return scientific(value, significant - 1);
  const int d = decimals_for_sig(value);
  const double r = std::round(a * std::pow(10.0, d)) / std::pow(10.0, d);
  if (r >= 1000.0) return fixed(value / 1e3, significant - 1) + "k";
  return fixed(value, d);
}

double AxisTransform::to_pixel(double value) const {
  double a = range.min, b = range.max, v = value;
  if (log) {
    a = std::log10(a);
    b = std::log10(b);
    v = value > 0.0 ? std::log10(value) : a - 1e6;
  }
  const double span = b - a;
  if (!(std::abs(span) > 0.0)) return px0;
  return px0 + (v - a) / span * (px1 - px0);
}

double AxisTransform::to_value(double pixel) const {
  const double dp = px1 - px0;
  const double f = std::abs(dp) > 0.0 ? (pixel - px0) / dp : 0.0;
  if (log) {
    const double a = std::log10(range.min), b = std::log10(range.max);
    return std::pow(10.0, a + f * (b - a));
  }
  return range.min + f * (range.max - range.min);
}

bool AxisTransform::valid() const {
  if (!std::isfinite(range.min) || !std::isfinite(range.max) || !(range.max > range.min)) return false;
  if (log && !(range.min > 0.0)) return false;
  return std::isfinite(px0) && std::isfinite(px1) && px0 != px1;
}

Range data_range(const double* values, size_t count, bool log) { return data_range_impl(values, count, log); }
Range data_range(const float* values, size_t count, bool log) { return data_range_impl(values, count, log); }

Range pad_range(Range r, bool log, double pad_fraction) {
  if (r.min > r.max) std::swap(r.min, r.max);
  if (log) {
    if (!(r.min > 0.0)) r.min = r.max > 0.0 ? r.max / 10.0 : 1.0;
    if (!(r.max > 0.0)) r.max = 10.0;
    double a = std::log10(r.min), b = std::log10(r.max);
    if (!(b > a)) return Range{r.min / std::sqrt(10.0), r.max * std::sqrt(10.0)};
    const double pad = (b - a) * pad_fraction;
    return Range{std::pow(10.0, a - pad), std::pow(10.0, b + pad)};
  }
  const double span = r.max - r.min;
  if (!(span > 0.0)) return Range{r.min - 0.5, r.max + 0.5};
  return Range{r.min - span * pad_fraction, r.max + span * pad_fraction};
}

Range auto_range(const double* values, size_t count, bool log, double pad_fraction) {
  return pad_range(data_range(values, count, log), log, pad_fraction);
}
Range auto_range(const float* values, size_t count, bool log, double pad_fraction) {
  return pad_range(data_range(values, count, log), log, pad_fraction);
}

Range merge(Range a, Range b) { return Range{std::min(a.min, b.min), std::max(a.max, b.max)}; }

}  // namespace rope::viz
