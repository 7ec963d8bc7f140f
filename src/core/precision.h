#pragma once
// What a runtime computes instead of the exact rotation: the rotary angle p * theta_i and its
// cos / sin along a reduced-precision path, and the phase error that leaves against float64.
//
// Paths (each names where the precision is lost; everything not named is float32):
//  - exact:          angle p * theta_i in float64, cos / sin in float64 (the reference);
//  - fp32:           Hugging Face's default: inv_freq held in float32, positions in float32,
//                    their product rounded to float32, cos / sin rounded to float32;
//  - bf16-inv-freq:  as fp32, but inv_freq rounded to bfloat16 first (the autocast bug:
//                    transformers #25681, #29496, PR #29285);
//  - fp16-positions: as fp32, but positions held in float16 (Megatron-LM #535: tail positions
//                    collapse onto one value; positions >= 65520 overflow to infinity);
//  - bf16-tables:    as fp32, but the cos / sin tables stored in bfloat16 (gpt-neox #1003).
// inv_freq "in float32" is the float64 value rounded once to float32 (transformers computes it
// in float32 arithmetic, which can land one float32 ulp away). cos and sin of a float32 angle
// are evaluated in float64 and rounded to float32 (a correctly rounded float32 cos / sin).
//
// Every rounding is round-to-nearest, ties to even (IEEE 754's default, as torch and numpy
// convert): to float32 by the hardware, to bfloat16 (8 exponent bits, 7 stored mantissa bits)
// and to float16 (5 exponent bits, 10 mantissa bits, subnormals, overflow to infinity at
// 65520) by round_to_bfloat16 / round_to_float16 below.
//
// Phase error: the angle the computed (cos, sin) pair rotates by, atan2(sin, cos), against the
// exact angle p * theta_i (float64), wrapped to [0, pi]. NaN where the path's angle is not
// finite (a float16 position that overflowed).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/rope_config.h"

namespace rope::core {

enum class AnglePath { kExact, kFp32, kBf16InvFreq, kFp16Positions, kBf16Tables };

std::string_view to_string(AnglePath path);  // "exact", "fp32", "bf16-inv-freq", ...
std::optional<AnglePath> parse_angle_path(std::string_view name);
// The paths in the order above.
const std::vector<AnglePath>& angle_paths();

// x rounded to the nearest bfloat16 / float16 value (ties to even), returned as a double that
// holds it exactly. float16: |x| >= 65520 gives +-infinity; NaN stays NaN.
double round_to_bfloat16(double x);
double round_to_float16(double x);

// cos and sin of the angle position * inv_freq along `path` (inv_freq is the exact float64
// value of the pair). Returns false, with both NaN, where the path's angle is not finite.
struct PathRotation {
  double angle = 0.0;  // the angle the path multiplies out (before cos / sin)
  double cos = 1.0, sin = 0.0;
  bool finite = true;
};
PathRotation path_rotation(AnglePath path, double inv_freq, int64_t position);

// |atan2(sin, cos) - position * inv_freq| wrapped to [0, pi] for the path's (cos, sin); NaN where
// the path's angle is not finite.
double phase_error(AnglePath path, double inv_freq, int64_t position);

// Per pair: the phase error at each asked position, and the largest over [0, positions_end)
// with the first position where it occurs (NaN errors count as the largest; the first such
// position is reported).
struct PairPhaseErrors {
  std::vector<double> at;        // one per asked position
  double max_error = 0.0;
  int64_t max_position = 0;
};
struct PhaseErrorReport {
  AnglePath path = AnglePath::kFp32;
  std::vector<int64_t> positions;    // asked
  int64_t positions_end = 0;         // the maximum is over [0, positions_end)
  std::vector<PairPhaseErrors> pairs;  // rotary_dim / 2
  double max_error = 0.0;            // over every pair
  int64_t max_position = 0;
  int max_pair = 0;
};
// positions_end is at most 2^30; the maximum is computed over every position (spread over the
// shared thread pool: about pairs x positions_end evaluations).
PhaseErrorReport phase_errors(const RopeFrequencies& freqs, AnglePath path, const std::vector<int64_t>& positions,
                              int64_t positions_end);

}  // namespace rope::core
