// KV-cache decodes against tests/golden/kvcache.json, an independent numpy simulation
// (tests/golden/make_kvcache_golden.py; content all ones).
#include "core/kvcache.h"

#include <gtest/gtest.h>

#include "golden_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

using nlohmann::json;

const json& golden() { return test::golden_file("kvcache.json"); }

const json& golden_case(const std::string& name) {
  for (const json& c : golden().at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no golden case " + name);
}

// Phase errors of dynamic and longrope are closed forms n (theta_then - theta_now); both sides
// compute them and the softmax rows in float64 (summation order differs: 1e-12 covers it).
constexpr double kTol = 1e-12;
// shift: both sides round the same float32 operations the same way and agree to about 3e-14;
// only a last-bit disagreement of libm and numpy in the float64 cos / sin before a float32
// rounding could move a stored value by one float32 ulp (investigate it, do not widen this).
constexpr double kShiftPhaseTol = 1e-12;
constexpr double kShiftProbTol = 1e-12;

void expect_steps(const KvCacheReport& r, const json& want, double phase_tol, double prob_tol, bool keys) {
  const json& steps = want.at("steps_out");
  ASSERT_EQ(r.steps.size(), steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(r.steps[i].step, steps[i].at("step").get<int64_t>());
    EXPECT_EQ(r.steps[i].length, steps[i].at("length").get<int64_t>());
    EXPECT_NEAR(r.steps[i].max_phase_error, steps[i].at("max_phase_error").get<double>(), phase_tol);
    EXPECT_NEAR(r.steps[i].max_prob_error, steps[i].at("max_prob_error").get<double>(), prob_tol);
    if (keys && steps[i].at("max_phase_error").get<double>() > 0.0) {
      EXPECT_EQ(r.steps[i].max_phase_key, steps[i].at("max_phase_key").get<int64_t>());
    }
  }
}

TEST(KvCache, DynamicStaleKeysEqualTheSimulation) {
  const json& g = golden_case("dynamic");
  RopeConfig c;
  c.head_dim = g.at("head_dim");
  c.base = g.at("base");
  c.scaling.type = ScalingType::kDynamic;
  c.scaling.factor = g.at("factor").get<double>();
  c.max_position_embeddings = g.at("max_position_embeddings").get<int64_t>();
  KvCacheOptions o;
  o.mode = KvCacheMode::kDynamic;
  o.prompt = g.at("prompt");
  o.steps = g.at("steps");
  o.content = ContentKind::kOnes;
  const KvCacheReport r = simulate_kv_cache(c, o);
  expect_steps(r, g, kTol, kTol, true);
  // The error grows with every step past the original context.
  EXPECT_GT(r.steps.back().max_phase_error, r.steps.front().max_phase_error);
  EXPECT_EQ(r.steps[r.worst_prob_step].max_prob_error, r.steps.back().max_prob_error);
}

TEST(KvCache, LongropeStaleShortFactorsAndTheRecomputedCache) {
  for (const bool recompute : {false, true}) {
    const json& g = golden_case(recompute ? "longrope_recompute" : "longrope");
    RopeConfig c;
    c.head_dim = g.at("head_dim");
    c.base = g.at("base");
    c.scaling.type = ScalingType::kLongrope;
    c.scaling.factor = g.at("factor").get<double>();
    c.scaling.original_max = g.at("original_max").get<int64_t>();
    c.scaling.attention_factor = 1.0;
    c.scaling.short_factor = g.at("short_factor").get<std::vector<double>>();
    c.scaling.long_factor = g.at("long_factor").get<std::vector<double>>();
    KvCacheOptions o;
    o.mode = KvCacheMode::kLongrope;
    o.prompt = g.at("prompt");
    o.steps = g.at("steps");
    o.recompute_at_switch = recompute;
    o.content = ContentKind::kOnes;
    const KvCacheReport r = simulate_kv_cache(c, o);
    expect_steps(r, g, kTol, kTol, true);
    for (const KvCacheStep& s : r.steps) {
      if (s.length <= 256 || recompute) {
        EXPECT_EQ(s.max_phase_error, 0.0) << "length " << s.length;
      } else {
        EXPECT_GT(s.max_phase_error, 0.1) << "length " << s.length;  // short factors kept past the switch
      }
    }
  }
}

TEST(KvCache, RepeatedFloat32ShiftsEqualTheSimulation) {
  const json& g = golden_case("shift");
  RopeConfig c;
  c.head_dim = g.at("head_dim");
  c.base = g.at("base");
  KvCacheOptions o;
  o.mode = KvCacheMode::kShift;
  o.prompt = g.at("prompt");
  o.shift = g.at("shift");
  o.repeat = g.at("repeat");
  o.content = ContentKind::kOnes;
  const KvCacheReport r = simulate_kv_cache(c, o);
  expect_steps(r, g, kShiftPhaseTol, kShiftProbTol, false);
  // Every shift adds float32 rounding to the keys that stay: after several it is far above the
  // storage rounding of step 0.
  EXPECT_GT(r.steps[5].max_phase_error, 10.0 * r.steps[0].max_phase_error);
}

TEST(KvCache, ModesThatDoNotFitTheConfigurationAreOneLineErrors) {
  RopeConfig c;
  KvCacheOptions o;
  o.mode = KvCacheMode::kDynamic;
  EXPECT_THROW(simulate_kv_cache(c, o), RopeError);
  o.mode = KvCacheMode::kLongrope;
  EXPECT_THROW(simulate_kv_cache(c, o), RopeError);
  o.mode = KvCacheMode::kShift;
  o.prompt = 64;
  o.shift = 64;  // must be below the cache length
  EXPECT_THROW(simulate_kv_cache(c, o), RopeError);
  o.shift = 8;
  o.recompute_at_switch = true;
  EXPECT_THROW(simulate_kv_cache(c, o), RopeError);
  o.recompute_at_switch = false;
  EXPECT_NO_THROW(simulate_kv_cache(c, o));
}

}  // namespace
}  // namespace rope::core
