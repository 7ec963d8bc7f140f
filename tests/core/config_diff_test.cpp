// diff_configs against tests/golden/diff.json, an independent numpy reference
// (tests/golden/make_diff_golden.py).
#include "core/config_diff.h"

#include <gtest/gtest.h>

#include "golden_file.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

using nlohmann::json;

const json& golden() { return test::golden_file("diff.json"); }

RopeConfig config_of(const json& j) {
  RopeConfig c;
  c.head_dim = j.at("head_dim");
  c.base = j.value("base", 1e4);
  c.rotary_fraction = j.value("rotary_fraction", 1.0);
  if (j.value("layout", "neox") == "gptj") c.layout = Layout::kGptj;
  if (j.value("scaling", "none") == "yarn") {
    c.scaling.type = ScalingType::kYarn;
    c.scaling.factor = j.at("factor").get<double>();
    c.scaling.original_max = j.at("original_max").get<int64_t>();
  }
  return c;
}

// The reference's vectors: seed 0's constant content rebuilt from its definition with correctly
// rounded float32 operations.
std::vector<float> golden_vector(int d, const char* which) {
  const auto v = golden().at("content").at(std::to_string(d)).at(which).get<std::vector<double>>();
  return std::vector<float>(v.begin(), v.end());
}

TEST(ConfigDiff, ConstantContentIsTheReferencesReproductionToOneUlp) {
  // glibc's float32 logf / cosf / sinf are not correctly rounded everywhere: a few values of the
  // generated content sit one float32 ulp from the reference's (3 of 256 here). The numbers below
  // are therefore compared on the reference's own vectors.
  int off_by_one = 0;
  for (const int d : {64, 128}) {
    const Content c = Content::generated(ContentKind::kConstant, d, 0);
    std::vector<float> q(static_cast<size_t>(d)), k(static_cast<size_t>(d));
    c.queries(0, 1, q.data());
    c.keys(0, 1, k.data());
    const std::vector<float> gq = golden_vector(d, "q"), gk = golden_vector(d, "k");
    for (size_t j = 0; j < q.size(); ++j) {
      for (const auto& [got, want] : {std::pair{q[j], gq[j]}, std::pair{k[j], gk[j]}}) {
        if (got == want) continue;
        ++off_by_one;
        EXPECT_TRUE(std::nextafter(want, got) == got) << "feature " << j << ": " << got << " vs " << want;
      }
    }
  }
  EXPECT_LE(off_by_one, 8);
}

TEST(ConfigDiff, EveryNumberEqualsTheReference) {
  const int64_t context = golden().at("context");
  for (const json& c : golden().at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const RopeConfig a = config_of(c.at("a")), b = config_of(c.at("b"));
    const DiffVectors v{golden_vector(a.head_dim, "q"), golden_vector(a.head_dim, "k"), golden_vector(b.head_dim, "q"),
                        golden_vector(b.head_dim, "k")};
    const ConfigDiff d = diff_configs(a, b, context, v);
    const auto ia = c.at("inv_freq_a").get<std::vector<double>>(), ib = c.at("inv_freq_b").get<std::vector<double>>();
    ASSERT_EQ(d.a.inv_freq.size(), ia.size());
    ASSERT_EQ(d.b.inv_freq.size(), ib.size());
    for (size_t i = 0; i < ia.size(); ++i) EXPECT_NEAR(d.a.inv_freq[i], ia[i], 1e-15 * ia[i]);
    for (size_t i = 0; i < ib.size(); ++i) EXPECT_NEAR(d.b.inv_freq[i], ib[i], 1e-15 * ib[i]);
    const auto rel = c.at("rel_diff").get<std::vector<double>>();
    ASSERT_EQ(d.rel_diff.size(), rel.size());
    for (size_t i = 0; i < rel.size(); ++i) EXPECT_NEAR(d.rel_diff[i], rel[i], 1e-12) << "pair " << i;
    EXPECT_NEAR(d.max_rel_diff, c.at("max_rel_diff").get<double>(), 1e-12);
    if (c.at("first_differing_pair").is_null()) {
      EXPECT_FALSE(d.first_differing_pair);
    } else {
      ASSERT_TRUE(d.first_differing_pair);
      EXPECT_EQ(*d.first_differing_pair, c.at("first_differing_pair").get<int>());
    }
    // float64 sums in another order: 1e-12 on logits of magnitude ~10.
    EXPECT_NEAR(d.max_abs_logit_diff, c.at("max_abs_logit_diff").get<double>(), 1e-12);
    EXPECT_EQ(d.max_abs_logit_diff_distance, c.at("max_abs_logit_diff_distance").get<int64_t>());
    const std::vector<double> fa = logit_by_distance(d.a, v.qa.data(), v.ka.data(), context);
    for (const auto& [r, v] : c.at("logit_a_at").items()) EXPECT_NEAR(fa[std::stoul(r)], v.get<double>(), 1e-12) << "r " << r;
  }
}

TEST(ConfigDiff, DifferencesNameTheParametersAndTheStructure) {
  RopeConfig a, b;
  b.layout = Layout::kGptj;
  const ConfigDiff d = diff_configs(a, b, 64);
  EXPECT_TRUE(d.structure_differs);
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_EQ(d.differences[0], "layout gptj (A neox)");
  const ConfigDiff same = diff_configs(a, a, 64);
  EXPECT_TRUE(same.differences.empty());
  EXPECT_FALSE(same.structure_differs);
  EXPECT_EQ(same.max_abs_logit_diff, 0.0);
  EXPECT_THROW(diff_configs(a, b, 0), RopeError);
  EXPECT_THROW(diff_configs(a, b, 8, ContentKind::kRandom), RopeError);
}

}  // namespace
}  // namespace rope::core
