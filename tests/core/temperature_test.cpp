// Attention temperature against tests/golden/temperature.json, an independent numpy reference
// (tests/golden/make_temperature_golden.py; content all ones, yarn, partial rotary).
#include "core/temperature.h"

#include <gtest/gtest.h>

#include "golden_file.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

TEST(Temperature, EntropyAndMaxProbabilityEqualTheReference) {
  const nlohmann::json& g = test::golden_file("temperature.json");
  RopeConfig c;
  c.head_dim = g.at("head_dim");
  c.rotary_fraction = g.at("rotary_fraction");
  c.base = g.at("base");
  c.scaling.type = ScalingType::kYarn;
  c.scaling.factor = g.at("factor").get<double>();
  c.scaling.original_max = g.at("original_max").get<int64_t>();
  std::vector<int64_t> lengths;
  for (const auto& p : g.at("points")) lengths.push_back(p.at("length"));
  const std::vector<TemperaturePoint> got = attention_temperature(c, ContentKind::kOnes, 0, lengths);
  ASSERT_EQ(got.size(), lengths.size());
  // Both sides sum float64 logits in another order: 1e-12.
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& w = g.at("points")[i];
    SCOPED_TRACE("length " + std::to_string(lengths[i]));
    EXPECT_EQ(got[i].length, lengths[i]);
    EXPECT_NEAR(got[i].attention_factor, w.at("attention_factor").get<double>(), 1e-15);
    EXPECT_NEAR(got[i].entropy, w.at("entropy").get<double>(), 1e-12);
    EXPECT_NEAR(got[i].max_prob, w.at("max_prob").get<double>(), 1e-12);
    EXPECT_NEAR(got[i].entropy_unscaled, w.at("entropy_unscaled").get<double>(), 1e-12);
    EXPECT_NEAR(got[i].max_prob_unscaled, w.at("max_prob_unscaled").get<double>(), 1e-12);
    EXPECT_LE(got[i].entropy, std::log(static_cast<double>(lengths[i])) + 1e-12);  // at most uniform
  }
}

TEST(Temperature, WithoutAFactorBothCurvesAgree) {
  RopeConfig c;
  const std::vector<TemperaturePoint> got = attention_temperature(c, ContentKind::kConstant, 3, {64, 1000});
  for (const TemperaturePoint& p : got) {
    EXPECT_EQ(p.attention_factor, 1.0);
    EXPECT_EQ(p.entropy, p.entropy_unscaled);
    EXPECT_EQ(p.max_prob, p.max_prob_unscaled);
  }
}

TEST(Temperature, DefaultLengthsIncludeTheTrainingContext) {
  RopeConfig c;
  c.seq_len = 5000;
  c.scaling.type = ScalingType::kYarn;
  c.scaling.factor = 4.0;
  c.scaling.original_max = 3000;
  const std::vector<int64_t> l = default_temperature_lengths(c);
  EXPECT_EQ(l.front(), 16);
  EXPECT_EQ(l.back(), 5000);
  EXPECT_NE(std::find(l.begin(), l.end(), 3000), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), 4096), l.end());
  EXPECT_TRUE(std::is_sorted(l.begin(), l.end()));
  EXPECT_THROW(attention_temperature(c, ContentKind::kConstant, 0, {0}), RopeError);
}

}  // namespace
}  // namespace rope::core
