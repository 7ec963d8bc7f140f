// The viewport engine against brute force: every texel must equal the float64 mean of the
// unmasked cells of its block in the full score matrix, for every path (bilinear logits,
// distance-based softmax, cell-by-cell softmax), causal or not, zoomed in or out.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/attention.h"
#include "core/error.h"
#include "core/kernels/viewport_kernels.h"
#include "core/viewport.h"
#include "hwy/targets.h"
#include "hwy/tests/hwy_gtest.h"

namespace rope::core {
namespace {

struct Case {
  const char* name;
  ContentKind content;
  Encoding encoding;
  Layout layout;
  double rotary_fraction;
  bool causal;
  HeatmapValue value;
  int64_t offset;
};

// NMSE between the viewport image and block means of the brute-force matrix (NaN must match).
// streamed: the image from compute_viewport_streamed (logits only), which must also match
// compute_viewport's texel by texel up to float rounding (its sums run in another order).
double viewport_nmse(const Case& c, int64_t n, const ViewportRequest& shape, ViewportImage* out_image = nullptr,
                     bool streamed = false) {
  RopeConfig config;
  config.head_dim = 32;
  config.base = 500.0;  // fast pairs alias badly if anything subsamples
  config.layout = c.layout;
  config.rotary_fraction = c.rotary_fraction;
  config.seq_len = c.offset + n;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(c.content, config.head_dim, 7);
  ViewportRequest req = shape;
  req.num_q = req.num_k = n;
  req.options.encoding = c.encoding;
  req.options.causal = c.causal;
  req.options.offset = c.offset;
  req.value = c.value;
  ViewportCache cache;
  compute_viewport(freqs, content, req, {}, &cache);  // warm the cache, then draw from it
  const ViewportImage cached = compute_viewport(freqs, content, req, {}, &cache);
  const ViewportImage uncached = compute_viewport(freqs, content, req);
  EXPECT_EQ(cached.values.size(), uncached.values.size());
  for (size_t i = 0; i < cached.values.size(); ++i) {
    if (!std::isnan(uncached.values[i])) {
      EXPECT_EQ(cached.values[i], uncached.values[i]) << i;
    }
  }
  const ViewportImage image = streamed ? compute_viewport_streamed(freqs, content, req) : cached;
  if (streamed) {
    EXPECT_EQ(image.method, cached.method);
    EXPECT_EQ(image.rows_per_texel, cached.rows_per_texel);
    EXPECT_EQ(image.cols_per_texel, cached.cols_per_texel);
    EXPECT_TRUE(image.complete);
    EXPECT_EQ(image.values.size(), cached.values.size());
    const float scale = std::max(std::abs(cached.min_value), std::abs(cached.max_value));
    for (size_t i = 0; i < std::min(image.values.size(), cached.values.size()); ++i) {
      if (std::isnan(cached.values[i])) EXPECT_TRUE(std::isnan(image.values[i])) << i;
      else EXPECT_NEAR(image.values[i], cached.values[i], 1e-5f * scale) << i;
    }
  }
  const std::vector<float> full = score_matrix(freqs, content, req.options, n, n, c.value == HeatmapValue::kSoftmax);
  double err = 0.0, energy = 0.0;
  for (int ty = 0; ty < image.height; ++ty) {
    for (int tx = 0; tx < image.width; ++tx) {
      const int64_t ma = image.m0 + ty * image.rows_per_texel, mb = std::min(image.m1, ma + image.rows_per_texel);
      const int64_t na = image.n0 + tx * image.cols_per_texel, nb = std::min(image.n1, na + image.cols_per_texel);
      double sum = 0.0;
      int64_t count = 0;
      for (int64_t m = ma; m < mb; ++m) {
        for (int64_t k = na; k < nb; ++k) {
          if (c.causal && k > m) continue;
          sum += full[static_cast<size_t>(m * n + k)];
          ++count;
        }
      }
      const float got = image.values[static_cast<size_t>(ty * image.width + tx)];
      if (count == 0) {
        EXPECT_TRUE(std::isnan(got)) << ty << "," << tx;
        continue;
      }
      const double want = sum / static_cast<double>(count);
      err += (got - want) * (got - want);
      energy += want * want;
    }
  }
  if (out_image) *out_image = image;
  return energy > 0 ? err / energy : err;
}

const Case kCases[] = {
    {"logits_constant_rope", ContentKind::kConstant, Encoding::kRope, Layout::kNeox, 1.0, false, HeatmapValue::kLogits, 0},
    {"logits_random_rope_causal", ContentKind::kRandom, Encoding::kRope, Layout::kNeox, 1.0, true, HeatmapValue::kLogits, 0},
    {"logits_random_gptj_partial", ContentKind::kRandom, Encoding::kRope, Layout::kGptj, 0.5, true, HeatmapValue::kLogits, 3},
    {"logits_random_sinusoidal", ContentKind::kRandom, Encoding::kSinusoidal, Layout::kNeox, 1.0, true, HeatmapValue::kLogits, 0},
    {"logits_constant_none", ContentKind::kConstant, Encoding::kNone, Layout::kNeox, 1.0, false, HeatmapValue::kLogits, 0},
    {"softmax_constant_rope_causal", ContentKind::kConstant, Encoding::kRope, Layout::kNeox, 1.0, true, HeatmapValue::kSoftmax, 0},
    {"softmax_constant_rope", ContentKind::kConstant, Encoding::kRope, Layout::kGptj, 1.0, false, HeatmapValue::kSoftmax, 5},
    {"softmax_ones_rope_causal", ContentKind::kOnes, Encoding::kRope, Layout::kNeox, 0.5, true, HeatmapValue::kSoftmax, 0},
    {"softmax_random_rope_causal", ContentKind::kRandom, Encoding::kRope, Layout::kNeox, 1.0, true, HeatmapValue::kSoftmax, 0},
    {"softmax_constant_sinusoidal", ContentKind::kConstant, Encoding::kSinusoidal, Layout::kNeox, 1.0, true, HeatmapValue::kSoftmax, 0},
};

// The engine's SIMD paths (rope tables, rotation, texel GEMM, correlation) on every target.
class ViewportTargetTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ViewportTargetTest);

TEST_P(ViewportTargetTest, ZoomedOutTexelsAreExactBlockMeans) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    ViewportRequest shape;
    shape.m0 = 0, shape.m1 = 300, shape.n0 = 0, shape.n1 = 300;
    shape.max_width = 23, shape.max_height = 37;  // uneven blocks, last one partial
    ViewportImage image;
    EXPECT_LE(viewport_nmse(c, 300, shape, &image), 1e-7);
    EXPECT_GT(image.rows_per_texel, 1);
    EXPECT_NE(image.method, ViewportMethod::kExactCells);
    EXPECT_LT(image.min_value, image.max_value);
  }
}

TEST_P(ViewportTargetTest, ZoomedInTexelsAreExactCells) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    ViewportRequest shape;
    shape.m0 = 150, shape.m1 = 190, shape.n0 = 130, shape.n1 = 175;  // crosses the diagonal
    shape.max_width = 64, shape.max_height = 64;
    ViewportImage image;
    EXPECT_LE(viewport_nmse(c, 200, shape, &image), 1e-7);
    EXPECT_EQ(image.method, ViewportMethod::kExactCells);
    EXPECT_EQ(image.width, 45);
    EXPECT_EQ(image.height, 40);
  }
}

// Streamed logits (coarse previews) over windows whose texel rows and columns cover the same
// cells (the diagonal blocks of a square window), other cells (uneven blocks, a window off the
// diagonal), cut by the causal diagonal or not, on every target.
TEST_P(ViewportTargetTest, StreamedLogitsAreTheSameExactBlockMeans) {
  struct Shape {
    int64_t n, m0, m1, n0, n1;
    int max_width, max_height;
  };
  const Shape shapes[] = {
      {300, 0, 300, 0, 300, 30, 30},      // square blocks of 10 cells, rows and columns alike
      {300, 0, 300, 0, 300, 23, 37},      // uneven blocks, last one partial
      {300, 100, 260, 60, 220, 16, 16},   // off the diagonal's corner, cut texels of other cells
      {200, 150, 190, 130, 175, 64, 64},  // exact cells across the diagonal
  };
  for (const Case& c : kCases) {
    if (c.value != HeatmapValue::kLogits) continue;
    for (const Shape& s : shapes) {
      SCOPED_TRACE(std::string(c.name) + " window [" + std::to_string(s.m0) + ", " + std::to_string(s.m1) + ") x [" +
                   std::to_string(s.n0) + ", " + std::to_string(s.n1) + ")");
      ViewportRequest shape;
      shape.m0 = s.m0, shape.m1 = s.m1, shape.n0 = s.n0, shape.n1 = s.n1;
      shape.max_width = s.max_width, shape.max_height = s.max_height;
      EXPECT_LE(viewport_nmse(c, s.n, shape, nullptr, true), 1e-7);
    }
  }
}

TEST(Viewport, OnlyLogitsAreStreamed) {
  RopeConfig config;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(ContentKind::kConstant, 128, 1);
  ViewportRequest req;
  req.num_q = req.num_k = 64;
  req.m1 = req.n1 = 64;
  req.value = HeatmapValue::kSoftmax;
  EXPECT_THROW(compute_viewport_streamed(freqs, content, req), RopeError);
}

TEST(Viewport, RotaryLogitsOfConstantContentAreConstantAlongDiagonals) {
  RopeConfig config;
  config.seq_len = 4096;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(ContentKind::kConstant, 128, 1);
  ViewportRequest req;
  req.num_q = req.num_k = 4096;
  req.m0 = 1000, req.m1 = 1064, req.n0 = 900, req.n1 = 964;
  req.max_width = req.max_height = 64;
  const ViewportImage image = compute_viewport(freqs, content, req);
  for (int y = 1; y < 64; ++y) {
    for (int x = 1; x < 64; ++x) {
      EXPECT_NEAR(image.values[static_cast<size_t>(y * 64 + x)], image.values[static_cast<size_t>((y - 1) * 64 + x - 1)], 2e-5);
    }
  }
}

TEST(Viewport, CancelStopsEarly) {
  RopeConfig config;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(ContentKind::kRandom, 128, 1);
  ViewportRequest req;
  req.num_q = req.num_k = 8192;
  req.m1 = req.n1 = 8192;
  req.max_width = req.max_height = 64;
  req.value = HeatmapValue::kSoftmax;
  std::vector<double> fractions;
  const ViewportImage all = compute_viewport(freqs, content, req, [&](double f) {
    fractions.push_back(f);
    return true;
  });
  EXPECT_TRUE(all.complete);
  ASSERT_GE(fractions.size(), 4u);  // progress is reported as the work goes, ending at 1
  for (size_t i = 1; i < fractions.size(); ++i) EXPECT_GT(fractions[i], fractions[i - 1]);
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
  int calls = 0;
  const ViewportImage image = compute_viewport(freqs, content, req, [&](double) { return ++calls < 3; });
  EXPECT_FALSE(image.complete);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace rope::core

namespace rope::core {
namespace {

class ViewportKernelTargetTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ViewportKernelTargetTest);

TEST_P(ViewportKernelTargetTest, DotAndCorrelationMatchTheScalarReference) {
  std::vector<double> a(1003), b(5000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.1 * static_cast<double>(i)) + 0.5;
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.013 * static_cast<double>(i)) * 3.0;
  for (int64_t n : {0, 1, 7, 8, 33, 1003}) {
    EXPECT_NEAR(kernels::dot_f64(a.data(), b.data(), n), kernels::dot_f64_ref(a.data(), b.data(), n), 1e-10) << n;
  }
  std::vector<double> out(9);
  const double* p = b.data() + 3900;  // reads p[-8 * 437, 1003)
  kernels::strided_correlation_f64(a.data(), 1003, p, 437, 9, out.data());
  for (int64_t j = 0; j < 9; ++j) {
    EXPECT_NEAR(out[static_cast<size_t>(j)], kernels::dot_f64_ref(a.data(), p - j * 437, 1003), 1e-9) << j;
  }
}

TEST_P(ViewportKernelTargetTest, MenScanFindsEveryNegativeOfTheDirectSum) {
  // B(m) = sum_i cos(m theta_i) for d = 32, base 300: the scan must stop exactly where the
  // direct float64 sum first turns negative, from any start, and leave the rotor state there.
  const int pairs = 16;
  std::vector<double> inv_freq(pairs);
  for (int i = 0; i < pairs; ++i) inv_freq[static_cast<size_t>(i)] = std::pow(300.0, -2.0 * i / 32.0);
  const auto direct = [&](int64_t m) {
    double sum = 0.0;
    for (double t : inv_freq) sum += std::cos(static_cast<double>(m) * t);
    return sum;
  };
  std::vector<double> c(pairs), s(pairs);
  int64_t m = 1;
  int found = 0;
  while (found < 40) {
    const int64_t next = kernels::men_next_negative(inv_freq.data(), pairs, m, 5000, c.data(), s.data());
    ASSERT_LT(next, 5000);
    for (int64_t k = m; k < next; ++k) ASSERT_GE(direct(k), -1e-9) << k;
    ASSERT_LT(direct(next), 1e-9) << next;
    EXPECT_NEAR(c[3], std::cos(static_cast<double>(next) * inv_freq[3]), 1e-12);
    EXPECT_NEAR(s[7], std::sin(static_cast<double>(next) * inv_freq[7]), 1e-12);
    m = next + 1;
    ++found;
  }
}

}  // namespace
}  // namespace rope::core
