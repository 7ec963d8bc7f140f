#pragma once
// Pure axis maths for the plot module: nice ticks (1-2-5 steps), log-axis ticks (decades with
// 2 and 5 subdivisions), compact tick labels (1k, 32k, 1M, 1e-4), value <-> pixel transforms and
// auto-ranging. No ImGui, no GL: everything here is unit-tested in tests/viz/plot_test.cpp.
#include <cstddef>
#include <string>
#include <vector>

namespace rope::viz {

struct Range {
  double min = 0.0;
  double max = 1.0;
  double span() const { return max - min; }
  bool operator==(const Range&) const = default;
};

struct Tick {
  double value = 0.0;
  bool major = true;   // major ticks carry a label and a grid line; minor ticks are short marks
  std::string label;   // empty for minor ticks
};

// The 1-2-5 x 10^k step closest to span / target_count (span > 0, target_count >= 1).
double nice_step(double span, int target_count);

// Major ticks at multiples of nice_step(max - min, target_count) inside [min, max] (within a
// relative 1e-9 slack), each labelled with format_tick(value, step). min > max is swapped.
// A degenerate range (min == max) gives one tick at min.
std::vector<Tick> linear_ticks(double min, double max, int target_count = 6);

// Ticks for a log axis over [min, max] (both > 0, else empty).
// - Several decades: major ticks at powers of ten (every k-th decade when there are more than
//   max_major), minor ticks at 2..9 x 10^k when at most max_major decades are shown.
// - Up to about two decades: 2 and 5 x 10^k are promoted to labelled major ticks.
// - Less than one decade with fewer than two decade ticks inside: falls back to linear_ticks.
std::vector<Tick> log_ticks(double min, double max, int max_major = 8);

// Label for a tick on a grid of spacing `step`, compact and exact enough to tell neighbours apart:
//   0 -> "0", 1000 -> "1k", 32000 -> "32k", 1500 (step 500) -> "1.5k", 1e6 -> "1M", 2.5e9 -> "2.5G",
//   0.25 -> "0.25", 1e-4 -> "1e-4", 2.5e-5 -> "2.5e-5", -2000 -> "-2k".
// Values within step * 1e-9 of zero print as "0".
std::string format_tick(double value, double step);

// A compact read-out of an arbitrary value with `significant` digits (for tooltips and colour
// bars): 32768 -> "32.8k" (3 digits), 131072 -> "131k", 0.000123 -> "1.23e-4", 3.14159 -> "3.14".
std::string format_compact(double value, int significant = 3);

// Maps data values to pixels along one axis. px0 is the pixel of `range.min`, px1 of `range.max`
// (for a y axis px0 is the bottom edge, so px0 > px1). On a log axis positions follow log10.
struct AxisTransform {
  Range range;
  double px0 = 0.0;
  double px1 = 1.0;
  bool log = false;

  double to_pixel(double value) const;  // log axis: value <= 0 maps to -inf/+inf side (NaN-free)
  double to_value(double pixel) const;
  bool valid() const;                   // finite, non-empty range; log ranges strictly positive
};

// min/max of the finite values (and > 0 on a log axis); {0, 1} (log: {1, 10}) if none.
Range data_range(const double* values, size_t count, bool log);
Range data_range(const float* values, size_t count, bool log);

// Pads a range by pad_fraction of its span on each side (in log10 space on a log axis). A
// degenerate range grows to +-0.5 around its value (log: a factor of sqrt(10) each way), so
// the result is always a valid, non-empty range.
Range pad_range(Range range, bool log, double pad_fraction = 0.05);

// data_range followed by pad_range.
Range auto_range(const double* values, size_t count, bool log, double pad_fraction = 0.05);
Range auto_range(const float* values, size_t count, bool log, double pad_fraction = 0.05);

// Union of two ranges.
Range merge(Range a, Range b);

}  // namespace rope::viz
