#pragma once
// Two rope configurations side by side: where their rotations differ, per pair and in the logits
// they give. Behind `ropescope diff` (a model-conversion check) and the compare views.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {

struct ConfigDiff {
  RopeFrequencies a, b;
  // Over the pairs both have (rotary_dim / 2 of the smaller): |b - a| / |a| of inv_freq.
  std::vector<double> rel_diff;
  double max_rel_diff = 0.0;
  // The first pair whose inv_freq differs at all, or where one side has no more pairs; nullopt
  // when every pair is the same and both have as many.
  std::optional<int> first_differing_pair;
  // The largest |f_A(r) - f_B(r)| over distances r in [0, context) of the rotary logit as a
  // function of distance for position-invariant content, f(r) = <R(r) q, R(0) k> / sqrt(head_dim)
  // (cos and sin times the attention factor; every query the vector q, every key k, each side with
  // its own head_dim of the same generated content), and the first r where it occurs.
  int64_t context = 0;
  double max_abs_logit_diff = 0.0;
  int64_t max_abs_logit_diff_distance = 0;
  // The parameters that differ, one phrase each in B's terms: "base 1e+06 (A 500000)".
  std::vector<std::string> differences;
  // Whether an integer parameter (head_dim, rotary_dim) or the layout differs.
  bool structure_differs = false;
};

// content must be position-invariant (constant or ones); context in [1, 2^24].
ConfigDiff diff_configs(const RopeConfig& a, const RopeConfig& b, int64_t context,
                        ContentKind content = ContentKind::kConstant, uint64_t seed = 0);

// The query and key vector of each side (head_dim floats each).
struct DiffVectors {
  std::vector<float> qa, ka, qb, kb;
};
// The same with the vectors given.
ConfigDiff diff_configs(const RopeConfig& a, const RopeConfig& b, int64_t context, const DiffVectors& vectors);

// f(r) of ConfigDiff for r in [0, count) (float64); q and k hold head_dim floats.
std::vector<double> logit_by_distance(const RopeFrequencies& f, const float* q, const float* k, int64_t count);

}  // namespace rope::core
