#pragma once
// What a KV cache does to the rotation: keys are rotated once, when they enter the cache, and kept,
// while the frequencies a runtime uses can change under them. A decode is simulated step by step
// and the cached keys are compared with keys recomputed for the current step.
//
// Modes:
//  - dynamic: a prompt of P tokens (one forward pass: its keys rotated with the base for length
//    P), then one token per step; a key that enters at length L keeps dynamic scaling's base for L,
//    while the query uses the current one (Hugging Face's behaviour, transformers #25104). Phase
//    error of key n on pair i: n (theta_i(now) - theta_i(then)), wrapped.
//  - longrope: short factors while the length is <= the original context, long factors after;
//    keys cached before the switch keep the short ones (transformers PR #33129) unless
//    recompute_at_switch (Hugging Face's behaviour since) rotates the whole cache again there.
//  - shift: a full cache of P keys; each of `repeat` shifts drops the oldest `shift` keys,
//    re-rotates the rest by -shift positions in float32 (cos / sin of shift * theta along the fp32
//    path of core/precision.h; every product and sum rounded to float32, no fused multiply-add;
//    no attention factor applied again) instead of rotating them afresh, and appends `shift` new
//    keys (llama.cpp context shift, #4097). The cache stores float32 keys; the reference rotates
//    every key in float64 at its current position.
//
// Every step reports the largest phase error of a cached key (over keys and pairs) and the largest
// absolute probability error of the newest query's softmax row (cached keys against recomputed
// ones), both computed in float64 from the float64 (dynamic, longrope) or float32 (shift) keys.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {

enum class KvCacheMode { kDynamic, kLongrope, kShift };
std::string_view to_string(KvCacheMode mode);
std::optional<KvCacheMode> parse_kv_cache_mode(std::string_view name);

struct KvCacheOptions {
  KvCacheMode mode = KvCacheMode::kDynamic;
  int64_t prompt = 0;   // P; 0: the original context (dynamic, longrope) or 4096 (shift)
  int64_t steps = 256;  // decode steps (dynamic, longrope)
  int64_t shift = 0;    // shift: positions dropped per shift; 0: P / 4
  int64_t repeat = 8;   // shift: how many shifts
  bool recompute_at_switch = false;  // longrope
  ContentKind content = ContentKind::kConstant;
  uint64_t seed = 0;
};

struct KvCacheStep {
  int64_t step = 0;    // 1-based decode step, or shift count
  int64_t length = 0;  // keys in the cache; the newest query sits at length - 1
  double max_phase_error = 0.0;  // radians, wrapped to [0, pi]
  int64_t max_phase_key = 0;     // key position
  int max_phase_pair = 0;
  double max_prob_error = 0.0;   // |p_cached - p_recomputed| of the newest row
  int64_t max_prob_key = 0;
};

struct KvCacheReport {
  KvCacheOptions options;  // with the defaults resolved
  std::vector<KvCacheStep> steps;
  // The step with the largest phase error and the one with the largest probability error.
  size_t worst_phase_step = 0, worst_prob_step = 0;
};

// Throws RopeError (one line) when the mode does not fit the configuration (dynamic needs dynamic
// scaling, longrope longrope scaling) or a count is out of range; the work is about
// steps x length x head_dim (cache length at most 131072, steps at most 65536).
KvCacheReport simulate_kv_cache(const RopeConfig& config, const KvCacheOptions& options);

}  // namespace rope::core
