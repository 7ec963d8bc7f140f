// Generated content: reproducible, block-independent, and Gaussian where it says so.
#include <gtest/gtest.h>

#include <cmath>

#include "core/content.h"
#include "core/error.h"

namespace rope::core {
namespace {

TEST(Content, RandomRowsDoNotDependOnTheBlockTheyAreDrawnIn) {
  const Content c = Content::generated(ContentKind::kRandom, 64, 42);
  std::vector<float> all(100 * 64), part(10 * 64);
  c.queries(0, 100, all.data());
  c.queries(37, 47, part.data());
  for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], all[37 * 64 + i]);
  std::vector<float> keys(100 * 64);
  c.keys(0, 100, keys.data());
  EXPECT_NE(keys[0], all[0]);  // queries and keys are independent streams
  const Content other_seed = Content::generated(ContentKind::kRandom, 64, 43);
  std::vector<float> other(100 * 64);
  other_seed.queries(0, 100, other.data());
  EXPECT_NE(other[5], all[5]);
}

TEST(Content, RandomValuesAreStandardNormal) {
  const Content c = Content::generated(ContentKind::kRandom, 128, 7);
  std::vector<float> x(2000 * 128);
  c.keys(0, 2000, x.data());
  double mean = 0, sq = 0, fourth = 0;
  for (float v : x) {
    mean += v;
    sq += static_cast<double>(v) * v;
    fourth += std::pow(static_cast<double>(v), 4);
  }
  const double n = static_cast<double>(x.size());
  mean /= n;
  const double var = sq / n - mean * mean;
  // 256000 samples: standard errors about 0.002 (mean), 0.003 (variance), 0.02 (fourth moment).
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.015);
  EXPECT_NEAR(fourth / n, 3.0, 0.1);
}

TEST(Content, ConstantRepeatsOneVectorPerSide) {
  const Content c = Content::generated(ContentKind::kConstant, 16, 3);
  EXPECT_TRUE(c.is_position_invariant());
  std::vector<float> q(5 * 16), k(5 * 16);
  c.queries(100, 105, q.data());
  c.keys(0, 5, k.data());
  for (int r = 1; r < 5; ++r) {
    for (int i = 0; i < 16; ++i) EXPECT_EQ(q[r * 16 + i], q[i]);
  }
  EXPECT_NE(q[0], k[0]);
}

TEST(Content, ExternalChecksShapesAndRange) {
  EXPECT_THROW(Content::external(std::vector<float>(10), 2, std::vector<float>(8), 2, 4), RopeError);
  const Content c = Content::external(std::vector<float>(8, 1.5f), 2, std::vector<float>(12, 2.0f), 3, 4);
  EXPECT_EQ(*c.num_queries(), 2);
  EXPECT_EQ(*c.num_keys(), 3);
  std::vector<float> out(12);
  EXPECT_THROW(c.queries(0, 3, out.data()), RopeError);
  c.keys(1, 3, out.data());
  EXPECT_EQ(out[7], 2.0f);
}

}  // namespace
}  // namespace rope::core
