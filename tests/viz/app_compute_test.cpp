// The heatmap summaries of app/gui/compute.cpp against the core's full score matrix: every texel
// must be the exact mean of the unmasked cells of its block.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/attention.h"
#include "core/content.h"
#include "core/rope_config.h"
#include "gui/compute.h"

namespace rope::app {
namespace {

struct Case {
  core::ContentKind content;
  bool causal;
  bool softmax;
  int64_t seq_len;
  int texels;
};

// Mean of the finite cells of each block of the full matrix.
std::vector<double> reference_means(const std::vector<float>& full, int64_t n, const std::vector<int64_t>& edges,
                                    bool causal) {
  const int t = static_cast<int>(edges.size()) - 1;
  std::vector<double> out(static_cast<size_t>(t) * t, std::nan(""));
  for (int i = 0; i < t; ++i)
    for (int j = 0; j < t; ++j) {
      double sum = 0.0;
      int64_t count = 0;
      for (int64_t m = edges[i]; m < edges[i + 1]; ++m)
        for (int64_t c = edges[j]; c < edges[j + 1]; ++c) {
          if (causal && c > m) continue;
          sum += full[static_cast<size_t>(m * n + c)];
          ++count;
        }
      if (count > 0) out[static_cast<size_t>(i) * t + j] = sum / count;
    }
  return out;
}

void check_matrix(const HeatMatrix& got, const std::vector<double>& want, double tol, const char* what,
                  const Case& c) {
  ASSERT_TRUE(got.available) << what;
  ASSERT_EQ(got.values.size(), want.size()) << what;
  double max_err = 0.0, scale = 1e-30;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got.values[i])) << what << " texel " << i << " should be masked";
      continue;
    }
    max_err = std::max(max_err, std::abs(got.values[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  EXPECT_LE(max_err / scale, tol) << what << ": content " << core::to_string(c.content) << " causal " << c.causal
                                  << " softmax " << c.softmax << " N " << c.seq_len << " texels " << c.texels
                                  << " (max-abs error relative to the largest |value|)";
}

class HeatmapCompute : public ::testing::TestWithParam<Case> {};

TEST_P(HeatmapCompute, TexelsAreExactBlockMeans) {
  const Case c = GetParam();
  HeatKey key;
  key.config.head_dim = 32;
  key.config.seq_len = c.seq_len;
  key.config.base = 500.0;  // fast enough rotation that sampling would visibly alias
  key.content = c.content;
  key.seed = 7;
  key.causal = c.causal;
  key.softmax = c.softmax;
  key.max_texels = c.texels;
  const auto result = compute_heatmaps(key, [] { return false; });
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->texels, std::min<int64_t>(c.texels, c.seq_len));

  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::Content content = core::Content::generated(c.content, 32, 7);
  for (core::Encoding enc : {core::Encoding::kSinusoidal, core::Encoding::kRope}) {
    core::ScoreOptions options{enc, 0, c.causal};
    const std::vector<float> full = core::score_matrix(freqs, content, options, c.seq_len, c.seq_len, c.softmax);
    const std::vector<double> want = reference_means(full, c.seq_len, result->edges, c.causal);
    const HeatMatrix& got = enc == core::Encoding::kRope ? result->rotary : result->absolute;
    check_matrix(got, want, 2e-4, enc == core::Encoding::kRope ? "rotary" : "absolute", c);
  }
  // The difference is rotary - absolute texel by texel.
  ASSERT_TRUE(result->difference.available);
  for (size_t i = 0; i < result->difference.values.size(); i += 7) {
    const float d = result->difference.values[i];
    if (std::isnan(d)) continue;
    EXPECT_NEAR(d, result->rotary.values[i] - result->absolute.values[i], 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeatmapCompute,
    ::testing::Values(Case{core::ContentKind::kConstant, false, false, 96, 96},
                      Case{core::ContentKind::kConstant, true, false, 96, 20},
                      Case{core::ContentKind::kRandom, false, false, 97, 13},
                      Case{core::ContentKind::kRandom, true, false, 100, 100},
                      Case{core::ContentKind::kRandom, true, true, 90, 17},
                      Case{core::ContentKind::kConstant, true, true, 90, 17},
                      Case{core::ContentKind::kConstant, false, true, 64, 64},
                      Case{core::ContentKind::kOnes, true, true, 77, 11}));

TEST(HeatmapCompute, RotaryConstantContentIsToeplitzAbsoluteIsNot) {
  HeatKey key;
  key.config.seq_len = 64;
  key.causal = false;
  const auto r = compute_heatmaps(key, [] { return false; });
  ASSERT_TRUE(r.has_value());
  const int n = r->texels;
  double rot_dev = 0.0, abs_dev = 0.0;
  for (int i = 1; i < n; ++i)
    for (int j = 1; j < n; ++j) {
      const size_t a = static_cast<size_t>(i) * n + j, b = static_cast<size_t>(i - 1) * n + (j - 1);
      rot_dev = std::max(rot_dev, static_cast<double>(std::abs(r->rotary.values[a] - r->rotary.values[b])));
      abs_dev = std::max(abs_dev, static_cast<double>(std::abs(r->absolute.values[a] - r->absolute.values[b])));
    }
  EXPECT_LT(rot_dev, 1e-4 * (r->rotary.max - r->rotary.min));
  EXPECT_GT(abs_dev, 0.05 * (r->absolute.max - r->absolute.min));
}

TEST(HeatmapCompute, LongSoftmaxUsesTheDistanceFunctionOrSaysWhy) {
  HeatKey key;
  key.config.seq_len = 10000;  // above kSoftmaxFullLimit
  key.softmax = true;
  key.max_texels = 64;
  const auto r = compute_heatmaps(key, [] { return false; });
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->rotary.available);
  EXPECT_FALSE(r->absolute.available);
  EXPECT_FALSE(r->absolute.note.empty());
  // Each causal row sums to 1, so block means over a full row of texels average to 1/N per cell.
  double row_mass = 0.0;
  const int t = r->texels;
  const int i = t - 1;  // last texel row: every key block is (partly) visible
  for (int j = 0; j < t; ++j) {
    const double bi = static_cast<double>(r->edges[i + 1] - r->edges[i]);
    const double bj = static_cast<double>(r->edges[j + 1] - r->edges[j]);
    const double count = j == i ? bi * (bi + 1) / 2 : bi * bj;
    row_mass += r->rotary.values[static_cast<size_t>(i) * t + j] * count;
  }
  EXPECT_NEAR(row_mass, static_cast<double>(r->edges[i + 1] - r->edges[i]), 1e-2);
}

TEST(HeatmapCompute, CancelledComputationReturnsNothing) {
  HeatKey key;
  key.config.seq_len = 4096;
  EXPECT_FALSE(compute_heatmaps(key, [] { return true; }).has_value());
}

TEST(DecayCompute, SeriesAndMarkers) {
  ComputeParams params;
  params.decay_max_distance = 65536;
  const auto r = compute_decay(decay_key(params, 400), [] { return false; });
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->distance.size(), r->roformer_bound.size());
  ASSERT_EQ(r->distance.size(), r->actual.size());
  EXPECT_EQ(r->distance.front(), 0.0);
  EXPECT_NEAR(r->roformer_bound.front(), 32.5, 0.5);  // RoFormer: d = 128, base 1e4
  EXPECT_NEAR(r->mean_cos.front(), 1.0, 1e-9);
  // At distance 0 the rotation cancels: the score is <q, k> a^2 / sqrt(d), bounded by actual_scale.
  EXPECT_LE(std::abs(r->actual.front()), r->actual_scale * (1 + 1e-6));
  ASSERT_TRUE(r->first_negative.has_value());
  EXPECT_GT(*r->first_negative, 0);
}

TEST(TexelEdges, PartitionCoversEveryCellOnce) {
  const auto e = texel_edges(1000, 7);
  ASSERT_EQ(e.size(), 8u);
  EXPECT_EQ(e.front(), 0);
  EXPECT_EQ(e.back(), 1000);
  for (size_t i = 1; i < e.size(); ++i) EXPECT_GT(e[i], e[i - 1]);
}

}  // namespace
}  // namespace rope::app
