#pragma once
// Attention temperature: how sharp the newest query's softmax row is at each context length, with
// and without the configuration's attention factor (yarn's mscale, longrope's factor). The factor
// multiplies cos and sin of queries and keys, so the rotated part of every logit scales by its
// square; the row's entropy and largest probability show whether it keeps attention as sharp at
// long context as at the training context.
#include <cstdint>
#include <vector>

#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {

struct TemperaturePoint {
  int64_t length = 0;  // keys 0..length-1; the query sits at length - 1 (causal, the newest row)
  double attention_factor = 1.0;  // of the frequencies at this length
  double entropy = 0.0, max_prob = 0.0;                    // with the attention factor (nats)
  double entropy_unscaled = 0.0, max_prob_unscaled = 0.0;  // with the factor set to 1
};

// The frequencies of each length are those of seq_len = length (dynamic and longrope change with
// it). Logits <q, k> / sqrt(head_dim) in float64 from the content's rows. Lengths in [1, 2^20];
// the cost is about sum(lengths) x head_dim.
std::vector<TemperaturePoint> attention_temperature(const RopeConfig& config, ContentKind content, uint64_t seed,
                                                    const std::vector<int64_t>& lengths);

// Powers of two from 16 up to seq_len, then seq_len and the original context (when known and
// not above seq_len), sorted, without repeats.
std::vector<int64_t> default_temperature_lengths(const RopeConfig& config);

}  // namespace rope::core
