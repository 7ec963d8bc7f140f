// Analyses against values stated in the papers and against direct evaluation.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "core/analysis.h"
#include "core/rope_config.h"

namespace rope::core {
namespace {

TEST(Analysis, RoformerBoundAtZeroIsMeanOfOneToHalf) {
  const RopeFrequencies f = compute_frequencies(RopeConfig{});
  // |S_j| = j at r = 0, so the bound is mean(1..64) = 32.5 (tolerance 1e-12).
  EXPECT_NEAR(roformer_bound(f.inv_freq, 0.0), 32.5, 1e-12);
  EXPECT_NEAR(mean_cos(f.inv_freq, 0.0), 1.0, 1e-15);
  EXPECT_LT(roformer_bound(f.inv_freq, 1000.0), 32.5 / 2);
}

TEST(Analysis, DecayCurveRecurrenceMatchesDirectEvaluation) {
  const RopeFrequencies f = compute_frequencies(RopeConfig{});
  const DecayCurve curve = decay_curve(f, 5000);
  ASSERT_EQ(curve.distance.size(), 5001u);
  for (int64_t r : {0, 1, 63, 64, 65, 999, 4096, 5000}) {
    SCOPED_TRACE(r);
    EXPECT_EQ(curve.distance[static_cast<size_t>(r)], r);
    EXPECT_NEAR(curve.roformer_bound[static_cast<size_t>(r)], roformer_bound(f.inv_freq, static_cast<double>(r)), 1e-11);
    EXPECT_NEAR(curve.mean_cos[static_cast<size_t>(r)], mean_cos(f.inv_freq, static_cast<double>(r)), 1e-13);
  }
}

TEST(Analysis, SampledCurveIsIncreasingAndEndsAtMax) {
  const RopeFrequencies f = compute_frequencies(RopeConfig{});
  const DecayCurve curve = decay_curve_sampled(f, 1 << 20, 400, true);
  ASSERT_GE(curve.distance.size(), 100u);
  EXPECT_EQ(curve.distance.front(), 0);
  EXPECT_EQ(curve.distance.back(), 1 << 20);
  for (size_t i = 1; i < curve.distance.size(); ++i) EXPECT_GT(curve.distance[i], curve.distance[i - 1]);
}

TEST(Analysis, CriticalDimensionOfLlama2Is92) {
  // Liu et al. 2023: d = 128, base 10000, T = 4096 gives 92.
  EXPECT_EQ(critical_dimension(128, 10000.0, 4096.0), 92);
  EXPECT_EQ(critical_dimension(128, 10000.0, 1.0), 0);
  EXPECT_EQ(critical_dimension(128, 10000.0, 1e30), 128);
}

TEST(Analysis, FirstNegativeDistanceIsWhereTheSumTurns) {
  const auto m = first_negative_distance(128, 10000.0, 1 << 20);
  ASSERT_TRUE(m.has_value());
  EXPECT_LT(men_sum(128, 10000.0, *m), 0.0);
  for (int64_t k = 1; k < *m; k += std::max<int64_t>(1, *m / 500)) EXPECT_GE(men_sum(128, 10000.0, k), 0.0) << k;
  EXPECT_GE(men_sum(128, 10000.0, *m - 1), 0.0);
}

TEST(Analysis, BaseLowerBoundMatchesMenEtAlTable) {
  // Men et al. 2024, Table 2: about 2.7e4 for a 4K context (d = 128). The smallest feasible base
  // sits in a narrow window (~26950); 27000..47000 is mostly infeasible again.
  const BaseBound b = base_lower_bound(128, 4096);
  ASSERT_TRUE(b.found);
  EXPECT_NEAR(b.base, 2.695e4, 0.01e4);
  // The bound is feasible, 0.1% lower is not, and 35000 (inside the gap) is not.
  EXPECT_FALSE(first_negative_distance(128, b.base * (1 + 1e-9), 4096).has_value());
  EXPECT_TRUE(first_negative_distance(128, b.base * 0.999, 4096).has_value());
  EXPECT_TRUE(first_negative_distance(128, 3.5e4, 4096).has_value());
  EXPECT_FALSE(first_negative_distance(128, 6.0e4, 4096).has_value());
}

TEST(Analysis, PairsWithinContextCountsFullTurns) {
  const RopeFrequencies f = compute_frequencies(RopeConfig{});
  const int within = pairs_within_context(f, 4096.0);
  // Wavelength 2pi * 10000^(2j/128) <= 4096  <=>  j <= 64 * log(4096 / 2pi) / log(10000).
  const int expected = static_cast<int>(std::floor(64.0 * std::log(4096.0 / (2 * M_PI)) / std::log(10000.0))) + 1;
  EXPECT_EQ(within, expected);
  const auto table = pair_table(f, 4096.0);
  ASSERT_EQ(table.size(), 64u);
  EXPECT_NEAR(table[0].rotations_in_context, 4096.0 / (2 * M_PI), 1e-9);
}

TEST(Analysis, PairTableTextHasAHeaderAndOneLinePerPairThatReadsBack) {
  RopeConfig c;
  c.head_dim = 16;
  c.layout = Layout::kGptj;
  const RopeFrequencies f = compute_frequencies(c);
  const auto table = pair_table(f, 1000.0);
  for (const char sep : {'\t', ','}) {
    const std::string text = pair_table_text(table, sep);
    std::vector<std::string> lines;
    for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
      lines.push_back(text.substr(start, end - start));
    ASSERT_EQ(lines.size(), table.size() + 1);
    const std::string s(1, sep);
    EXPECT_EQ(lines[0], "pair" + s + "feature_a" + s + "feature_b" + s + "theta" + s + "theta_unscaled" + s + "ratio" + s +
                            "wavelength" + s + "rotations_in_context" + s + "band" + s + "band_value");
    for (size_t i = 0; i < table.size(); ++i) {
      std::vector<std::string> fields;
      std::stringstream line(lines[i + 1]);
      for (std::string field; std::getline(line, field, sep);) fields.push_back(field);
      ASSERT_EQ(fields.size(), 10u) << lines[i + 1];
      EXPECT_EQ(fields[0], std::to_string(i));
      EXPECT_EQ(fields[2], std::to_string(2 * i + 1));  // GPT-J pairs (2i, 2i + 1)
      EXPECT_EQ(std::stod(fields[3]), table[i].inv_freq) << "theta must read back exactly";
      EXPECT_EQ(std::stod(fields[7]), table[i].rotations_in_context);
      EXPECT_EQ(fields[8], "unscaled");
    }
  }
}

}  // namespace
}  // namespace rope::core

namespace rope::core {
namespace {

// The GUI's decay view and `analyze` both take the first negative distance from the
// configuration's overload: under ntk it is the effective base's, not the configured one's.
TEST(AnalysisConfig, FirstNegativeDistanceUsesTheBaseTheModelRotatesWith) {
  RopeConfig c;
  c.scaling.type = ScalingType::kNtk;
  c.scaling.alpha = 8.0;
  const RopeFrequencies f = compute_frequencies(c);
  ASSERT_NE(f.effective_base, f.base);
  const auto got = first_negative_distance(f, int64_t{1} << 22);
  EXPECT_EQ(got, first_negative_distance(f.rotary_dim, f.effective_base, int64_t{1} << 22));
  EXPECT_NE(got, first_negative_distance(f.rotary_dim, f.base, int64_t{1} << 22));
}

}  // namespace
}  // namespace rope::core
