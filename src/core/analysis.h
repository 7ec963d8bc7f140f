#pragma once
// Analyses of a RoPE frequency set: RoFormer long-term decay bound, mean cosine, critical
// dimension, base lower bound, per-pair wavelengths.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rope_config.h"

namespace rope::core {

// RoFormer §3.4.3: (1/(d/2)) * sum_{j=1..d/2} |S_j|, S_j = sum_{i<j} e^{i r theta_i}.
double roformer_bound(const std::vector<double>& inv_freq, double distance);
// (1/(d/2)) * sum_i cos(r theta_i).
double mean_cos(const std::vector<double>& inv_freq, double distance);

struct DecayCurve {
  std::vector<int64_t> distance;
  std::vector<double> roformer_bound;
  std::vector<double> mean_cos;
};
// Distances 0..max_distance (every integer); both series from freqs.inv_freq.
DecayCurve decay_curve(const RopeFrequencies& freqs, int64_t max_distance);
// num_points distances spread over [0, max_distance] (log-spaced when log_spaced), for views.
DecayCurve decay_curve_sampled(const RopeFrequencies& freqs, int64_t max_distance, int num_points,
                               bool log_spaced);

// Liu et al. 2023 Eq. 13: 2 * ceil((d/2) * log_base(T / 2pi)), clamped to [0, d].
int critical_dimension(int rotary_dim, double base, double training_context);

// What the GUI (the frequencies view) and `ropescope analyze` both report of a frequency set at a
// training context; both call analyse_context, so they cannot disagree.
struct ContextAnalysis {
  double context = 0.0;
  // Liu et al. 2023: the dimensions whose wavelength fits the training context, with the base
  // the model rotates with: effective_base (ntk and dynamic scaling change the base itself, and
  // the frequencies view draws the resulting theta; equal to base for every other scaling).
  int critical_dimension = 0;
  int pairs_within_context = 0;  // pairs_within_context(freqs, context)
};
ContextAnalysis analyse_context(const RopeFrequencies& freqs, double context);
// The training context the analyses refer to unless one is given: the scaling's original
// context where it has one, else seq_len.
int64_t default_analysis_context(const RopeFrequencies& freqs);

// Men et al. 2024: B(m) = sum_{i<d/2} cos(m theta_i(base)).
double men_sum(int rotary_dim, double base, int64_t m);
// First integer distance m >= 1 with B(m) < 0 for this base, searched up to limit; nullopt if none.
std::optional<int64_t> first_negative_distance(int rotary_dim, double base, int64_t limit);
// For a configuration: with the base it rotates with (effective_base under ntk and dynamic), as the
// critical dimension (analyse_context) uses; the GUI's decay view and `analyze` both call this.
inline std::optional<int64_t> first_negative_distance(const RopeFrequencies& f, int64_t limit) {
  return first_negative_distance(f.rotary_dim, f.effective_base, limit);
}

struct BaseBound {
  // The smallest base for which B(m) >= 0 for every integer m in [0, context] (Men et al.'s
  // definition), found by a certified upward sweep in log(base): wherever some B(m) < 0, every
  // base up to the point where that term could first reach 0 (a Lipschitz bound on dB/dln base)
  // is skipped, so narrow feasible windows are not stepped over. For d = 128 and a 4K context the
  // answer (~26950) is such a window: bases from ~27000 to ~59000 are mostly infeasible again.
  double base = 0.0;
  int64_t evaluations = 0;  // bases evaluated by the sweep
  bool found = false;
};
BaseBound base_lower_bound(int rotary_dim, int64_t context, double min_base = 2.0, double max_base = 1e12);

// How the scaling treats a pair, and the value that says how much (PairInfo::band_value):
//   none             kUnscaled       1 (theta is the unscaled one)
//   linear, dynamic  kFactor         the factor (linear: theta / factor; dynamic: the base it sets)
//   ntk              kFactor         alpha (the base becomes base * alpha^(d/(d-2)))
//   yarn             kKept | kBlend | kDivided: the ramp r_j in [0, 1] (theta (1 - r) + (theta / factor) r;
//                    0 keeps theta, 1 divides it by the factor)
//   llama3           kKept (high-frequency band, wavelength < orig / high_freq_factor) | kBlend | kDivided
//                    (low-frequency band, wavelength > orig / low_freq_factor): the blend s of
//                    (1 - s) theta / factor + s theta (1 in the high band, 0 in the low band)
//   longrope         kShortFactor | kLongFactor: the extension factor ext_j used (theta / ext_j)
enum class PairBand { kUnscaled, kFactor, kKept, kBlend, kDivided, kShortFactor, kLongFactor };
std::string_view to_string(PairBand band);
// One line saying what band_value means for this scaling type (the table above).
std::string_view band_value_meaning(ScalingType type);

struct PairInfo {
  int pair = 0;
  int feature0 = 0, feature1 = 0;     // NeoX (i, i + rotary_dim/2); GPT-J (2i, 2i + 1)
  double inv_freq = 0.0;              // theta_i after scaling (radians per position)
  double inv_freq_unscaled = 0.0;     // base^(-2i/rotary_dim)
  double ratio = 0.0;                 // inv_freq / inv_freq_unscaled
  double wavelength = 0.0;            // 2pi / inv_freq (positions per turn)
  double rotations_in_context = 0.0;  // context * inv_freq / 2pi
  PairBand band = PairBand::kUnscaled;
  double band_value = 1.0;
};
// One row per pair of freqs, everything in float64 (the table view, its TSV / CSV and the CLI).
std::vector<PairInfo> pair_table(const RopeFrequencies& freqs, double context);
// The table as text: a header line, then one line per pair, fields separated by `separator`
// ('\t' or ','), numbers with 17 significant digits (they read back to the same doubles).
std::string pair_table_text(const std::vector<PairInfo>& table, char separator);
// Pairs whose wavelength fits within the context (complete at least one full turn).
int pairs_within_context(const RopeFrequencies& freqs, double context);

}  // namespace rope::core
