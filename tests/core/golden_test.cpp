// Golden tests: ropescope's core against the independent float64 reference in
// tests/golden/make_golden.py (frequencies.json, analysis.json, attention.json) and
// tests/golden/make_pair_table.py (pair_table.json).
//
// Tolerances (stated once, used everywhere below):
//   inv_freq, inv_freq_unscaled, attention_factor, effective_base, factor, llama3 band edges:
//     1e-9 relative (the requirement is 1e-6; both sides compute in float64).
//   yarn ramp edges: 1e-9 absolute (they are dimension indices).
//   pair table: theta, ratio, wavelength, rotations 1e-9 relative; band values 1e-12 absolute
//     (in [0, 1] for yarn and llama3; the factors themselves otherwise).
//   roformer_bound, mean_cos, men_sum: 1e-8 absolute (angles reach 1e6 rad, where one ulp of the
//     angle is ~1e-10 and 64 terms are summed).
//   base_lower_bound.base: 1e-6 relative to the certified reference (both locate the same edge
//     of feasibility to far better than that).
//   attention logits (float32 output): 2e-5 * max(1, max |logit| of the row), absolute.
//   softmax: 4e-5 * max(1, row scale), absolute: |dp| <= 2 p max|dlogit| bounds it by twice the
//     logit tolerance.
#include <gtest/gtest.h>

#include "golden_file.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/analysis.h"
#include "core/attention.h"
#include "core/config_json.h"
#include "core/content.h"
#include "core/rope_config.h"

namespace rope::core {
namespace {

using nlohmann::json;

constexpr double kFreqRelTol = 1e-9;
constexpr double kIndexAbsTol = 1e-9;
constexpr double kAnalysisAbsTol = 1e-8;
constexpr double kBaseBoundRelTol = 1e-6;
constexpr double kLogitRelTol = 2e-5;
constexpr double kSoftmaxRelTol = 4e-5;

const json& golden(const std::string& file) { return test::golden_file(file); }

std::vector<std::string> case_names(const std::string& file, const std::string& section = "cases") {
  std::vector<std::string> names;
  const json& doc = golden(file);
  const json* list = &doc;
  if (doc.is_object() && doc.contains(section)) list = &doc[section];
  if (list->is_array()) {
    for (const json& c : *list) names.push_back(c.at("name").get<std::string>());
  }
  if (names.empty()) names.push_back("golden_file_missing_or_empty");
  return names;
}

const json& find_case(const json& list, const std::string& name) {
  for (const json& c : list) {
    if (c.at("name") == name) return c;
  }
  static const json kNull;
  return kNull;
}

std::string param_name(const testing::TestParamInfo<std::string>& info) { return info.param; }

void expect_rel(double actual, double expected, double rel_tol, const std::string& what) {
  const double tol = rel_tol * std::max(std::abs(expected), std::numeric_limits<double>::min());
  EXPECT_NEAR(actual, expected, tol) << what << " (relative tolerance " << rel_tol << ")";
}

// Direct RopeConfig fields written by make_golden.py's p().
RopeConfig config_from_params(const json& p, int64_t seq_len) {
  RopeConfig c;
  c.head_dim = p.at("head_dim").get<int>();
  c.rotary_fraction = p.value("rotary_fraction", 1.0);
  c.base = p.at("base").get<double>();
  c.layout = parse_layout(p.value("layout", std::string("neox"))).value();
  c.seq_len = seq_len;
  if (p.contains("max_position_embeddings") && !p["max_position_embeddings"].is_null()) {
    c.max_position_embeddings = p["max_position_embeddings"].get<int64_t>();
  }
  const json& s = p.at("scaling");
  c.scaling.type = parse_scaling_type(s.at("type").get<std::string>()).value();
  auto opt = [&](const char* key, std::optional<double>& field) {
    if (s.contains(key)) field = s[key].get<double>();
  };
  opt("factor", c.scaling.factor);
  opt("low_freq_factor", c.scaling.low_freq_factor);
  opt("high_freq_factor", c.scaling.high_freq_factor);
  opt("mscale", c.scaling.mscale);
  opt("mscale_all_dim", c.scaling.mscale_all_dim);
  opt("attention_factor", c.scaling.attention_factor);
  if (s.contains("alpha")) c.scaling.alpha = s["alpha"].get<double>();
  if (s.contains("original_max")) c.scaling.original_max = s["original_max"].get<int64_t>();
  if (s.contains("beta_fast")) c.scaling.beta_fast = s["beta_fast"].get<double>();
  if (s.contains("beta_slow")) c.scaling.beta_slow = s["beta_slow"].get<double>();
  if (s.contains("truncate")) c.scaling.truncate = s["truncate"].get<bool>();
  if (s.contains("short_factor")) c.scaling.short_factor = s["short_factor"].get<std::vector<double>>();
  if (s.contains("long_factor")) c.scaling.long_factor = s["long_factor"].get<std::vector<double>>();
  return c;
}

void expect_vector_rel(const std::vector<double>& actual, const json& expected, const std::string& what) {
  const auto want = expected.get<std::vector<double>>();
  ASSERT_EQ(actual.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    expect_rel(actual[i], want[i], kFreqRelTol, what + "[" + std::to_string(i) + "]");
  }
}

// ------------------------------------------------------------------------------------------
// frequencies.json
// ------------------------------------------------------------------------------------------

class GoldenFrequencies : public testing::TestWithParam<std::string> {};

TEST_P(GoldenFrequencies, MatchesReference) {
  const json& c = find_case(golden("frequencies.json")["cases"], GetParam());
  ASSERT_FALSE(c.is_null()) << "case missing from " ROPE_GOLDEN_DIR "/frequencies.json";
  SCOPED_TRACE("case " + GetParam() + ": " + c.dump().substr(0, 400));
  const int64_t seq_len = c.at("seq_len").get<int64_t>();
  RopeConfig config;
  if (c.contains("config_file")) {
    config = load_hf_config(std::string(ROPE_TEST_DATA_DIR) + "/configs/" +
                            c["config_file"].get<std::string>());
    config.seq_len = seq_len;
  } else {
    config = config_from_params(c.at("params"), seq_len);
  }
  const RopeFrequencies f = compute_frequencies(config);
  const json& e = c.at("expected");
  EXPECT_EQ(f.head_dim, e.at("head_dim").get<int>());
  EXPECT_EQ(f.rotary_dim, e.at("rotary_dim").get<int>());
  expect_rel(f.attention_factor, e.at("attention_factor").get<double>(), kFreqRelTol, "attention_factor");
  expect_vector_rel(f.inv_freq, e.at("inv_freq"), "inv_freq");
  expect_vector_rel(f.inv_freq_unscaled, e.at("inv_freq_unscaled"), "inv_freq_unscaled");
  expect_rel(f.effective_base, e.at("effective_base").get<double>(), kFreqRelTol, "effective_base");
  if (e.contains("factor")) expect_rel(f.factor, e["factor"].get<double>(), kFreqRelTol, "factor");
  if (e.contains("original_max")) {
    EXPECT_EQ(f.original_max, e["original_max"].get<int64_t>()) << "original_max";
  }
  if (e.contains("yarn_low")) {
    EXPECT_NEAR(f.yarn_low, e["yarn_low"].get<double>(), kIndexAbsTol) << "yarn_low";
    EXPECT_NEAR(f.yarn_high, e["yarn_high"].get<double>(), kIndexAbsTol) << "yarn_high";
  }
  if (e.contains("llama3_low_freq_wavelen")) {
    expect_rel(f.llama3_low_freq_wavelen, e["llama3_low_freq_wavelen"].get<double>(), kFreqRelTol,
               "llama3_low_freq_wavelen");
    expect_rel(f.llama3_high_freq_wavelen, e["llama3_high_freq_wavelen"].get<double>(), kFreqRelTol,
               "llama3_high_freq_wavelen");
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenFrequencies, testing::ValuesIn(case_names("frequencies.json")),
                         param_name);

// ------------------------------------------------------------------------------------------
// analysis.json
// ------------------------------------------------------------------------------------------

class GoldenDecay : public testing::TestWithParam<std::string> {};

TEST_P(GoldenDecay, RoformerBoundAndMeanCos) {
  const json& c = find_case(golden("analysis.json")["decay"], GetParam());
  ASSERT_FALSE(c.is_null());
  SCOPED_TRACE("decay case " + GetParam());
  const auto inv_freq = c.at("inv_freq").get<std::vector<double>>();
  const auto distances = c.at("distances").get<std::vector<double>>();
  const auto bound = c.at("roformer_bound").get<std::vector<double>>();
  const auto cosine = c.at("mean_cos").get<std::vector<double>>();
  for (size_t i = 0; i < distances.size(); ++i) {
    EXPECT_NEAR(roformer_bound(inv_freq, distances[i]), bound[i], kAnalysisAbsTol)
        << "roformer_bound at r=" << distances[i];
    EXPECT_NEAR(mean_cos(inv_freq, distances[i]), cosine[i], kAnalysisAbsTol) << "mean_cos at r=" << distances[i];
  }
  // The same numbers through decay_curve on frequencies computed from the parameters.
  const RopeFrequencies f = compute_frequencies(config_from_params(c.at("params"), 1024));
  const DecayCurve curve = decay_curve(f, 10);
  ASSERT_EQ(curve.distance.size(), 11u);
  for (size_t i = 0; i < distances.size(); ++i) {
    const double r = distances[i];
    if (r > 10) continue;
    const auto idx = static_cast<size_t>(r);
    EXPECT_EQ(curve.distance[idx], static_cast<int64_t>(r));
    EXPECT_NEAR(curve.roformer_bound[idx], bound[i], kAnalysisAbsTol) << "decay_curve bound at r=" << r;
    EXPECT_NEAR(curve.mean_cos[idx], cosine[i], kAnalysisAbsTol) << "decay_curve mean_cos at r=" << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenDecay, testing::ValuesIn(case_names("analysis.json", "decay")), param_name);

TEST(GoldenAnalysis, RoformerBoundIs32Point5AtZeroForLlamaHead) {
  const RopeFrequencies f = compute_frequencies(RopeConfig{});
  EXPECT_NEAR(roformer_bound(f.inv_freq, 0.0), 32.5, 1e-12);
}

TEST(GoldenAnalysis, CriticalDimension) {
  const json& list = golden("analysis.json")["critical_dimension"];
  ASSERT_TRUE(list.is_array() && !list.empty());
  for (const json& c : list) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(critical_dimension(c.at("rotary_dim").get<int>(), c.at("base").get<double>(),
                                 c.at("training_context").get<double>()),
              c.at("expected").get<int>());
  }
}

TEST(GoldenAnalysis, MenSum) {
  const json& list = golden("analysis.json")["men_sum"];
  ASSERT_TRUE(list.is_array() && !list.empty());
  for (const json& c : list) {
    SCOPED_TRACE(c.dump());
    EXPECT_NEAR(men_sum(c.at("rotary_dim").get<int>(), c.at("base").get<double>(), c.at("m").get<int64_t>()),
                c.at("expected").get<double>(), kAnalysisAbsTol);
  }
}

TEST(GoldenAnalysis, FirstNegativeDistance) {
  const json& list = golden("analysis.json")["first_negative_distance"];
  ASSERT_TRUE(list.is_array() && !list.empty());
  for (const json& c : list) {
    SCOPED_TRACE(c.dump());
    const auto got = first_negative_distance(c.at("rotary_dim").get<int>(), c.at("base").get<double>(),
                                             c.at("limit").get<int64_t>());
    if (c.at("expected").is_null()) {
      EXPECT_FALSE(got.has_value()) << "got " << got.value_or(-1);
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, c["expected"].get<int64_t>());
    }
  }
}

TEST(GoldenAnalysis, PairsWithinContextAndPairTable) {
  const json& list = golden("analysis.json")["pairs_within_context"];
  ASSERT_TRUE(list.is_array() && !list.empty());
  for (const json& c : list) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const RopeFrequencies f = compute_frequencies(config_from_params(c.at("params"), 1024));
    const double context = c.at("context").get<double>();
    EXPECT_EQ(pairs_within_context(f, context), c.at("expected").get<int>());
    const std::vector<PairInfo> table = pair_table(f, context);
    ASSERT_EQ(table.size(), f.inv_freq.size());
    for (const json& row : c.at("pair_table_rows")) {
      const auto i = row.at("pair").get<size_t>();
      EXPECT_EQ(table[i].pair, static_cast<int>(i));
      expect_rel(table[i].wavelength, row.at("wavelength").get<double>(), kFreqRelTol,
                 "wavelength of pair " + std::to_string(i));
      expect_rel(table[i].rotations_in_context, row.at("rotations_in_context").get<double>(), kFreqRelTol,
                 "rotations_in_context of pair " + std::to_string(i));
    }
  }
}

// ------------------------------------------------------------------------------------------
// pair_table.json
// ------------------------------------------------------------------------------------------

class GoldenPairTable : public testing::TestWithParam<std::string> {};

TEST_P(GoldenPairTable, EveryRowMatchesReference) {
  const json& c = find_case(golden("pair_table.json")["cases"], GetParam());
  ASSERT_FALSE(c.is_null()) << "case missing from " ROPE_GOLDEN_DIR "/pair_table.json";
  SCOPED_TRACE("case " + GetParam() + ": " + c.at("params").dump());
  const RopeFrequencies f = compute_frequencies(config_from_params(c.at("params"), c.at("seq_len").get<int64_t>()));
  const std::vector<PairInfo> table = pair_table(f, c.at("context").get<double>());
  const json& rows = c.at("rows");
  ASSERT_EQ(table.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& row = rows[i];
    const PairInfo& got = table[i];
    const std::string at = " of pair " + std::to_string(i);
    EXPECT_EQ(got.pair, row.at("pair").get<int>());
    EXPECT_EQ(got.feature0, row.at("feature_a").get<int>()) << at;
    EXPECT_EQ(got.feature1, row.at("feature_b").get<int>()) << at;
    expect_rel(got.inv_freq, row.at("theta").get<double>(), kFreqRelTol, "theta" + at);
    expect_rel(got.inv_freq_unscaled, row.at("theta_unscaled").get<double>(), kFreqRelTol, "theta_unscaled" + at);
    expect_rel(got.ratio, row.at("ratio").get<double>(), kFreqRelTol, "ratio" + at);
    expect_rel(got.wavelength, row.at("wavelength").get<double>(), kFreqRelTol, "wavelength" + at);
    expect_rel(got.rotations_in_context, row.at("rotations_in_context").get<double>(), kFreqRelTol,
               "rotations_in_context" + at);
    EXPECT_EQ(std::string(to_string(got.band)), row.at("band").get<std::string>()) << at;
    EXPECT_NEAR(got.band_value, row.at("band_value").get<double>(), 1e-12) << "band_value" << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenPairTable, testing::ValuesIn(case_names("pair_table.json")), param_name);

bool feasible_by_core(int rotary_dim, double base, int64_t context) {
  return men_sum(rotary_dim, base, 0) >= 0.0 && !first_negative_distance(rotary_dim, base, context).has_value();
}

// "d128_L4096": the test name of a base_lower_bound case.
std::string bound_case_name(const json& c) {
  std::ostringstream name;
  name << 'd' << c.at("rotary_dim").get<int>() << "_L" << c.at("context").get<int64_t>();
  return name.str();
}

class GoldenBaseBound : public testing::TestWithParam<std::string> {};

TEST_P(GoldenBaseBound, SmallestFeasibleBase) {
  const json& doc = golden("analysis.json")["base_lower_bound"];
  const json* found = nullptr;
  for (const json& c : doc.at("cases")) {
    const std::string name = bound_case_name(c);
    if (name == GetParam()) found = &c;
  }
  ASSERT_NE(found, nullptr);
  const json& c = *found;
  const int rdim = c.at("rotary_dim").get<int>();
  const int64_t context = c.at("context").get<int64_t>();
  const double expected = c.at("smallest_feasible").get<double>();
  SCOPED_TRACE("base lower bound d=" + std::to_string(rdim) + " L=" + std::to_string(context) +
               " reference " + std::to_string(expected) + (c.at("certified").get<bool>() ? " (certified)" : " (grid)"));
  const BaseBound got = base_lower_bound(rdim, context);
  ASSERT_TRUE(got.found);
  if (c.at("certified").get<bool>()) {
    expect_rel(got.base, expected, kBaseBoundRelTol, "smallest feasible base");
  } else {
    // The reference grid may have missed a narrower window, so it is an upper bound only.
    EXPECT_LE(got.base, expected * (1 + kBaseBoundRelTol)) << "a lower feasible base exists";
  }
  // Just above the reported edge the base is feasible, per the core's own B(m).
  EXPECT_TRUE(feasible_by_core(rdim, got.base * (1 + 1e-9), context)) << "base " << got.base;
  // Every feasible window the reference grid found lies at or above the answer.
  for (const json& w : c.at("feasible_windows_below")) {
    EXPECT_GE(w[0].get<double>(), got.base * (1 - kBaseBoundRelTol)) << "window " << w.dump();
  }
  EXPECT_GE(c.at("main_region_base").get<double>(), got.base * (1 - kBaseBoundRelTol));
}

std::vector<std::string> base_bound_names() {
  std::vector<std::string> names;
  const json& doc = golden("analysis.json");
  if (doc.is_object() && doc.contains("base_lower_bound")) {
    for (const json& c : doc["base_lower_bound"]["cases"]) {
      names.push_back(bound_case_name(c));
    }
  }
  if (names.empty()) names.push_back("golden_file_missing_or_empty");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenBaseBound, testing::ValuesIn(base_bound_names()), param_name);

// ------------------------------------------------------------------------------------------
// attention.json
// ------------------------------------------------------------------------------------------

std::vector<float> flat_rows(const json& rows) {
  std::vector<float> out;
  for (const json& r : rows) {
    for (const json& v : r) out.push_back(static_cast<float>(v.get<double>()));
  }
  return out;
}

struct AttentionSetup {
  RopeFrequencies freqs;
  Content content;
  ScoreOptions options;
  int64_t num_q = 0, num_k = 0;
};

AttentionSetup attention_setup(const json& c) {
  const json& p = c.at("params");
  const int head_dim = p.at("head_dim").get<int>();
  AttentionSetup s{compute_frequencies(config_from_params(p, p.value("seq_len", int64_t{1024}))),
                   Content::external(flat_rows(c.at("q")), c.at("num_q").get<int64_t>(), flat_rows(c.at("k")),
                                     c.at("num_k").get<int64_t>(), head_dim),
                   ScoreOptions{}, c.at("num_q").get<int64_t>(), c.at("num_k").get<int64_t>()};
  s.options.encoding = parse_encoding(c.at("encoding").get<std::string>()).value();
  s.options.offset = c.at("offset").get<int64_t>();
  s.options.causal = c.at("causal").get<bool>();
  return s;
}

double row_scale(const json& logits_row) {
  double scale = 1.0;
  for (const json& v : logits_row) {
    if (!v.is_null()) scale = std::max(scale, std::abs(v.get<double>()));
  }
  return scale;
}

class GoldenAttention : public testing::TestWithParam<std::string> {};

TEST_P(GoldenAttention, LogitsAndSoftmax) {
  const json& c = find_case(golden("attention.json")["cases"], GetParam());
  ASSERT_FALSE(c.is_null());
  SCOPED_TRACE("attention case " + GetParam() + " params " + c.at("params").dump() + " encoding " +
               c.at("encoding").dump() + " offset " + c.at("offset").dump());
  AttentionSetup s = attention_setup(c);
  const json& logits = c.at("logits");
  const json& probs = c.at("softmax");

  const std::vector<float> got_logits = score_matrix(s.freqs, s.content, s.options, s.num_q, s.num_k, false);
  const std::vector<float> got_probs = score_matrix(s.freqs, s.content, s.options, s.num_q, s.num_k, true);
  ASSERT_EQ(got_logits.size(), static_cast<size_t>(s.num_q * s.num_k));
  ASSERT_EQ(got_probs.size(), static_cast<size_t>(s.num_q * s.num_k));
  for (int64_t m = 0; m < s.num_q; ++m) {
    const double scale = row_scale(logits[m]);
    for (int64_t n = 0; n < s.num_k; ++n) {
      const float got = got_logits[m * s.num_k + n];
      const float got_p = got_probs[m * s.num_k + n];
      if (logits[m][n].is_null()) {
        EXPECT_TRUE(std::isinf(got) && got < 0) << "masked logit (" << m << "," << n << ") = " << got;
        EXPECT_EQ(got_p, 0.0f) << "masked probability (" << m << "," << n << ")";
      } else {
        EXPECT_NEAR(got, logits[m][n].get<double>(), kLogitRelTol * scale) << "logit (" << m << "," << n << ")";
        EXPECT_NEAR(got_p, probs[m][n].get<double>(), kSoftmaxRelTol * scale) << "softmax (" << m << "," << n << ")";
      }
    }
  }

  if (!c.contains("block")) return;
  const json& b = c["block"];
  const Block block{b.at("m0").get<int64_t>(), b.at("m1").get<int64_t>(), b.at("n0").get<int64_t>(),
                    b.at("n1").get<int64_t>()};
  SCOPED_TRACE("block " + b.dump());
  std::vector<float> sub(static_cast<size_t>(block.rows() * block.cols()));
  logits_block(s.freqs, s.content, s.options, block, sub.data());
  const RowStats stats = softmax_row_stats(s.freqs, s.content, s.options, block.m0, block.m1, s.num_k);
  std::vector<float> sub_p(sub.size());
  softmax_block(s.freqs, s.content, s.options, block, stats, sub_p.data());
  for (int64_t m = block.m0; m < block.m1; ++m) {
    const double scale = row_scale(logits[m]);
    for (int64_t n = block.n0; n < block.n1; ++n) {
      const size_t i = static_cast<size_t>((m - block.m0) * block.cols() + (n - block.n0));
      if (logits[m][n].is_null()) {
        EXPECT_TRUE(std::isinf(sub[i]) && sub[i] < 0) << "masked block logit (" << m << "," << n << ")";
        EXPECT_EQ(sub_p[i], 0.0f) << "masked block probability (" << m << "," << n << ")";
      } else {
        EXPECT_NEAR(sub[i], logits[m][n].get<double>(), kLogitRelTol * scale) << "block logit (" << m << "," << n << ")";
        EXPECT_NEAR(sub_p[i], probs[m][n].get<double>(), kSoftmaxRelTol * scale)
            << "block softmax (" << m << "," << n << ")";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenAttention, testing::ValuesIn(case_names("attention.json")), param_name);

}  // namespace
}  // namespace rope::core
