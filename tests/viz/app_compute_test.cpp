// What the GUI's heatmaps show (app/gui/compute.cpp on core::compute_viewport) against the core's
// full score matrix: for any visible window, every texel must be the exact mean of the unmasked
// cells of its block, and the difference map the texel-wise rotary - absolute.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "core/attention.h"
#include "core/content.h"
#include "core/rope_config.h"
#include "core/viewport.h"
#include "gui/compute.h"
#include "gui/session.h"

namespace rope::app {
namespace {

struct Case {
  core::ContentKind content;
  bool causal;
  bool softmax;
  int64_t seq_len;
  // Visible view (continuous cells) and the map's size in pixels.
  double x0, x1, y0, y1;
  int width_px, height_px;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << "content " << core::to_string(c.content) << " causal " << c.causal << " softmax " << c.softmax
            << " N " << c.seq_len << " view rows [" << c.y0 << ", " << c.y1 << ") cols [" << c.x0 << ", " << c.x1
            << ") on " << c.width_px << " x " << c.height_px << " px";
}

// Mean of the unmasked cells of each texel block of the result's grid, from the full matrix.
std::vector<double> reference_means(const std::vector<float>& full, int64_t n, const HeatmapResult& r,
                                    const HeatMatrix& m, bool causal) {
  std::vector<double> out(static_cast<size_t>(m.rows) * m.cols, std::nan(""));
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j) {
      const int64_t a = r.m0 + i * r.rows_per_texel, b = std::min(r.m1, a + r.rows_per_texel);
      const int64_t c0 = r.n0 + j * r.cols_per_texel, c1 = std::min(r.n1, c0 + r.cols_per_texel);
      double sum = 0.0;
      int64_t count = 0;
      for (int64_t row = a; row < b; ++row)
        for (int64_t col = c0; col < c1; ++col) {
          if (causal && col > row) continue;
          sum += full[static_cast<size_t>(row * n + col)];
          ++count;
        }
      if (count > 0) out[static_cast<size_t>(i) * m.cols + j] = sum / count;
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
      EXPECT_TRUE(std::isnan(got.values[i])) << what << " texel " << i << " should be masked; " << c;
      continue;
    }
    max_err = std::max(max_err, std::abs(got.values[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  EXPECT_LE(max_err / scale, tol) << what << ": " << c << " (max-abs error relative to the largest |value|)";
}

HeatKey key_for(const Case& c) {
  HeatKey key;
  key.config.head_dim = 32;
  key.config.seq_len = c.seq_len;
  key.config.base = 500.0;  // fast enough rotation that sampling would visibly alias
  key.content = c.content;
  key.seed = 7;
  key.causal = c.causal;
  key.softmax = c.softmax;
  key.window = visible_window(c.x0, c.x1, c.y0, c.y1, c.seq_len, c.width_px, c.height_px);
  return key;
}

class HeatmapCompute : public ::testing::TestWithParam<Case> {};

TEST_P(HeatmapCompute, TexelsAreExactBlockMeansOfTheVisibleCells) {
  const Case c = GetParam();
  const HeatKey key = key_for(c);
  const auto result = compute_heatmaps(key, {});
  ASSERT_TRUE(result.has_value()) << c;
  const HeatmapResult& r = *result;
  // The covered cells contain the view, and there is at most one texel per pixel.
  EXPECT_LE(r.m0, static_cast<int64_t>(std::floor(c.y0))) << c;
  EXPECT_GE(r.m1, std::min(c.seq_len, static_cast<int64_t>(std::ceil(c.y1)))) << c;
  EXPECT_LE(r.n0, static_cast<int64_t>(std::floor(c.x0))) << c;
  EXPECT_GE(r.n1, std::min(c.seq_len, static_cast<int64_t>(std::ceil(c.x1)))) << c;
  const double visible_cols = (c.x1 - c.x0) / static_cast<double>(r.cols_per_texel);
  const double visible_rows = (c.y1 - c.y0) / static_cast<double>(r.rows_per_texel);
  EXPECT_LE(visible_cols, c.width_px) << c;
  EXPECT_LE(visible_rows, c.height_px) << c;
  EXPECT_EQ(r.rotary.rows, r.absolute.rows);
  EXPECT_EQ(r.rotary.cols, r.absolute.cols);

  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::Content content = core::Content::generated(c.content, 32, 7);
  for (core::Encoding enc : {core::Encoding::kSinusoidal, core::Encoding::kRope}) {
    core::ScoreOptions options{enc, 0, c.causal};
    const std::vector<float> full = core::score_matrix(freqs, content, options, c.seq_len, c.seq_len, c.softmax);
    const HeatMatrix& got = enc == core::Encoding::kRope ? r.rotary : r.absolute;
    check_matrix(got, reference_means(full, c.seq_len, r, got, c.causal), 2e-4,
                 enc == core::Encoding::kRope ? "rotary" : "absolute", c);
    // What the GUI shows is what the core's viewport engine computes for the same request.
    core::ViewportRequest request{c.seq_len, c.seq_len, key.window.m0, key.window.m1, key.window.n0, key.window.n1,
                                  key.window.max_width, key.window.max_height, options,
                                  c.softmax ? core::HeatmapValue::kSoftmax : core::HeatmapValue::kLogits};
    const core::ViewportImage image = core::compute_viewport(freqs, content, request);
    ASSERT_EQ(image.values.size(), got.values.size()) << c;
    for (size_t i = 0; i < image.values.size(); ++i) {
      if (std::isnan(image.values[i])) EXPECT_TRUE(std::isnan(got.values[i]));
      else EXPECT_EQ(image.values[i], got.values[i]) << "texel " << i << "; " << c;
    }
    EXPECT_EQ(image.method, got.method);
  }
  // The difference is rotary - absolute texel by texel.
  ASSERT_TRUE(r.difference.available);
  for (size_t i = 0; i < r.difference.values.size(); ++i) {
    const float d = r.difference.values[i];
    if (std::isnan(r.rotary.values[i])) {
      EXPECT_TRUE(std::isnan(d));
      continue;
    }
    EXPECT_NEAR(d, r.rotary.values[i] - r.absolute.values[i], 1e-5);
  }
  EXPECT_FALSE(r.summary.empty());
  if (r.exact_cells()) EXPECT_NE(r.summary.find("exact cells"), std::string::npos) << r.summary;
  else EXPECT_NE(r.summary.find("cells per texel"), std::string::npos) << r.summary;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeatmapCompute,
    ::testing::Values(
        // Whole matrix, one texel per cell.
        Case{core::ContentKind::kConstant, false, false, 96, 0, 96, 0, 96, 200, 200},
        // Whole matrix, block means (non-square blocks too).
        Case{core::ContentKind::kConstant, true, false, 96, 0, 96, 0, 96, 20, 20},
        Case{core::ContentKind::kRandom, false, false, 97, 0, 97, 0, 97, 13, 9},
        Case{core::ContentKind::kRandom, true, true, 90, 0, 90, 0, 90, 17, 17},
        Case{core::ContentKind::kConstant, true, true, 90, 0, 90, 0, 90, 17, 12},
        Case{core::ContentKind::kOnes, true, true, 77, 0, 77, 0, 77, 11, 11},
        // Zoomed in: a window across the diagonal, exact cells and blocks.
        Case{core::ContentKind::kRandom, true, false, 100, 30.5, 61.2, 40.3, 70.9, 200, 200},
        Case{core::ContentKind::kRandom, true, false, 100, 30.5, 61.2, 40.3, 70.9, 7, 9},
        Case{core::ContentKind::kConstant, true, true, 120, 10.0, 90.0, 50.0, 119.5, 16, 16},
        Case{core::ContentKind::kRandom, true, true, 120, 60.2, 80.7, 55.0, 99.0, 100, 5},
        Case{core::ContentKind::kConstant, false, true, 64, 0.0, 20.0, 44.0, 64.0, 64, 64}));

TEST(HeatmapCompute, RotaryConstantContentIsToeplitzAbsoluteIsNot) {
  HeatKey key;
  key.config.seq_len = 64;
  key.causal = false;
  const auto r = compute_heatmaps(key, {});
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->exact_cells());
  const int n = r->rotary.cols;
  ASSERT_EQ(n, 64);
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

TEST(HeatmapCompute, LongSoftmaxIsComputedForBothMapsOverWholeRows) {
  // Beyond the old 8192 limit: 64 rows of a 10000-token matrix, all keys, one texel row.
  for (core::ContentKind content : {core::ContentKind::kConstant, core::ContentKind::kRandom}) {
    HeatKey key;
    key.config.seq_len = 10000;
    key.softmax = true;
    key.content = content;
    key.window = HeatWindow{10000, 5000, 5064, 0, 10000, 64, 1, 64, 1};
    const auto r = compute_heatmaps(key, {});
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->rotary.rows, 1);
    ASSERT_EQ(r->rows_per_texel, 64);
    // Each causal row sums to 1, so the texel row carries 64 rows' worth of mass.
    for (const HeatMatrix* m : {&r->rotary, &r->absolute}) {
      double mass = 0.0;
      for (int j = 0; j < m->cols; ++j) {
        const float v = m->values[static_cast<size_t>(j)];
        if (std::isnan(v)) continue;
        const int64_t c0 = r->n0 + j * r->cols_per_texel, c1 = std::min(r->n1, c0 + r->cols_per_texel);
        int64_t count = 0;
        for (int64_t row = 5000; row < 5064; ++row) count += std::max<int64_t>(0, std::min(c1, row + 1) - c0);
        mass += static_cast<double>(v) * static_cast<double>(count);
      }
      EXPECT_NEAR(mass, 64.0, 1e-2) << core::to_string(content) << (m == &r->rotary ? " rotary" : " absolute");
    }
  }
}

// seq_len goes to kMaxContext; the heatmaps then show the first kMaxHeatmapTokens positions, with
// the frequencies of the whole context (dynamic scaling grows the base with seq_len, so the same
// cells differ from those of a 131072-token context).
TEST(HeatmapCompute, ContextsBeyondTheHeatmapLimitShowItsFirstPositions) {
  ComputeParams params;
  params.config.seq_len = kMaxContext;
  params.config.scaling.type = core::ScalingType::kDynamic;
  params.config.scaling.factor = 4.0;
  params.config.scaling.original_max = 8192;
  const HeatKey whole = heat_key(params, HeatWindow{});
  EXPECT_EQ(whole.window.seq_len, kMaxHeatmapTokens);
  EXPECT_EQ(whole.window.m1, kMaxHeatmapTokens);
  EXPECT_EQ(whole.window.n1, kMaxHeatmapTokens);

  // Exact cells near the end of the shown positions.
  const HeatWindow cells{kMaxHeatmapTokens, 131000, 131008, 130900, 131008, 108, 8, 108, 8};
  const HeatKey zoom = heat_key(params, cells);
  ASSERT_EQ(zoom.window, cells);
  const auto r = compute_heatmaps(zoom, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq_len, kMaxHeatmapTokens);
  EXPECT_EQ(r->key.config.seq_len, kMaxContext);
  ASSERT_TRUE(r->exact_cells());

  ComputeParams shorter = params;
  shorter.config.seq_len = kMaxHeatmapTokens;
  const auto s = compute_heatmaps(heat_key(shorter, cells), {});
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->rotary.values.size(), r->rotary.values.size());
  double diff = 0.0;
  for (size_t i = 0; i < r->rotary.values.size(); ++i) {
    const float a = r->rotary.values[i], b = s->rotary.values[i];
    if (std::isfinite(a) && std::isfinite(b)) diff = std::max(diff, static_cast<double>(std::abs(a - b)));
  }
  EXPECT_GT(diff, 1e-3 * (s->rotary.max - s->rotary.min));

  // Without dynamic scaling the frequencies do not depend on seq_len: every context above the cap
  // has the key of the capped one, so moving seq_len there recomputes nothing.
  ComputeParams plain;
  plain.config.seq_len = kMaxContext;
  ComputeParams plain_shorter = plain;
  plain_shorter.config.seq_len = 500000;
  ComputeParams plain_capped = plain;
  plain_capped.config.seq_len = kMaxHeatmapTokens;
  EXPECT_EQ(heat_key(plain, cells), heat_key(plain_shorter, cells));
  EXPECT_EQ(heat_key(plain, cells), heat_key(plain_capped, cells));
  EXPECT_EQ(heat_key(plain, cells).config.seq_len, kMaxHeatmapTokens);
  // With it they differ (the dynamic case above keeps the whole context's length).
  EXPECT_EQ(zoom.config.seq_len, kMaxContext);
  ComputeParams dynamic_shorter = params;
  dynamic_shorter.config.seq_len = 500000;
  EXPECT_NE(heat_key(params, cells), heat_key(dynamic_shorter, cells));
}

TEST(HeatmapCompute, CancelledComputationReturnsNothingAndReportsProgress) {
  HeatKey key;
  key.config.seq_len = 4096;
  key.softmax = true;
  key.content = core::ContentKind::kRandom;
  std::vector<double> seen;
  const auto r = compute_heatmaps(key, [&](double f) {
    seen.push_back(f);
    return f < 0.3;
  });
  EXPECT_FALSE(r.has_value());
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
  EXPECT_GE(seen.back(), 0.3);
  EXPECT_LE(seen.back(), 1.0);
}

TEST(HeatmapCompute, TheRotaryMapCanArriveFirst) {
  HeatKey key;
  key.config.seq_len = 1500;
  key.softmax = true;  // constant content: rotary from f(m - n), absolute from every cell
  key.window = visible_window(0, 1500, 0, 1500, 1500, 100, 100);
  std::vector<HeatmapResult> partials;
  const auto r = compute_heatmaps(
      key, {}, nullptr, [&](HeatmapResult&& p) { partials.push_back(std::move(p)); }, std::chrono::milliseconds(0));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->partial);
  ASSERT_EQ(partials.size(), 1u);
  const HeatmapResult& p = partials[0];
  EXPECT_TRUE(p.partial);
  EXPECT_EQ(p.key, key);
  EXPECT_TRUE(p.rotary.available);
  EXPECT_FALSE(p.absolute.available);
  EXPECT_FALSE(p.difference.available);
  EXPECT_NE(p.summary.find("absolute: computing"), std::string::npos) << p.summary;
  ASSERT_EQ(p.rotary.values.size(), r->rotary.values.size());
  for (size_t i = 0; i < p.rotary.values.size(); ++i)
    if (!std::isnan(r->rotary.values[i])) {
      EXPECT_EQ(p.rotary.values[i], r->rotary.values[i]);
    }
  EXPECT_EQ(p.m0, r->m0);
  EXPECT_EQ(p.rows_per_texel, r->rows_per_texel);
  // So the panel keeps the rotary picture it already shows and uploads only the others.
  EXPECT_TRUE(r->same_map(p, 1));
  EXPECT_FALSE(r->same_map(p, 0));  // not in the partial result
  EXPECT_FALSE(r->same_map(p, 2));
}

// A coarse preview: at most kCoarseTexels texels on a side over the same window, every texel the
// exact mean of its cells (the brute-force oracle), labelled as a preview.
TEST(HeatmapCompute, CoarsePreviewTexelsAreExactBlockMeansAndSaySo) {
  for (const Case& c : {Case{core::ContentKind::kRandom, true, false, 1536, 0, 1536, 0, 1536, 700, 700},
                        Case{core::ContentKind::kConstant, false, false, 1536, 100, 1300, 200, 1400, 900, 500},
                        Case{core::ContentKind::kConstant, true, true, 1536, 0, 1536, 0, 1536, 700, 700}}) {
    const HeatKey key = key_for(c);
    const auto result = compute_coarse_heatmaps(key);
    ASSERT_TRUE(result.has_value()) << c;
    const HeatmapResult& r = *result;
    EXPECT_TRUE(r.coarse) << c;
    EXPECT_EQ(r.key, key);
    EXPECT_LE(r.rotary.rows, kCoarseTexels) << c;
    EXPECT_LE(r.rotary.cols, kCoarseTexels) << c;
    EXPECT_GT(r.rows_per_texel, 1) << c;
    const std::string label = "coarse preview (" + std::to_string(r.rotary.cols) + " x " +
                              std::to_string(r.rotary.rows) + " texels)";
    EXPECT_NE(r.summary.find(label), std::string::npos) << r.summary;
    // The same cells as the full picture.
    const auto full = compute_heatmaps(key, {});
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(r.m0, full->m0);
    EXPECT_EQ(r.n0, full->n0);
    EXPECT_GT(full->rotary.rows, kCoarseTexels);
    const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
    const core::Content content = core::Content::generated(c.content, 32, 7);
    for (core::Encoding enc : {core::Encoding::kSinusoidal, core::Encoding::kRope}) {
      const HeatMatrix& got = enc == core::Encoding::kRope ? r.rotary : r.absolute;
      if (c.softmax && enc == core::Encoding::kSinusoidal) {
        // The absolute softmax needs every cell: left to the full picture.
        EXPECT_FALSE(got.available);
        EXPECT_TRUE(r.partial);
        continue;
      }
      const std::vector<float> cells =
          core::score_matrix(freqs, content, core::ScoreOptions{enc, 0, c.causal}, c.seq_len, c.seq_len, c.softmax);
      check_matrix(got, reference_means(cells, c.seq_len, r, got, c.causal), 2e-4,
                   enc == core::Encoding::kRope ? "coarse rotary" : "coarse absolute", c);
    }
  }
}

TEST(HeatmapCompute, NoCoarsePreviewWhereItWouldBeNoSmallerOrNeedEveryCell) {
  // 100 x 100 texels already: the preview is the full picture.
  Case small{core::ContentKind::kConstant, true, false, 1536, 0, 1536, 0, 1536, 100, 100};
  const auto preview = compute_coarse_heatmaps(key_for(small));
  const auto full = compute_heatmaps(key_for(small), {});
  ASSERT_TRUE(preview.has_value());
  ASSERT_TRUE(full.has_value());
  EXPECT_FALSE(preview->coarse);
  EXPECT_EQ(preview->summary, full->summary);
  EXPECT_EQ(preview->rotary.rows, full->rotary.rows);
  for (int k = 0; k < 3; ++k) {
    const HeatMatrix &a = preview->map(k), &b = full->map(k);
    ASSERT_EQ(a.values.size(), b.values.size());
    for (size_t i = 0; i < a.values.size(); ++i)
      if (!std::isnan(b.values[i])) {
        EXPECT_NEAR(a.values[i], b.values[i], 1e-5f * std::max(1.0f, std::abs(b.max)));
      }
  }
  Case random_softmax{core::ContentKind::kRandom, true, true, 1536, 0, 1536, 0, 1536, 700, 700};
  EXPECT_FALSE(compute_coarse_heatmaps(key_for(random_softmax)).has_value());
  // The GUI asks for previews at long context only.
  Case long_context{core::ContentKind::kConstant, true, false, kCoarseMinTokens, 0, 1e9, 0, 1e9, 100, 100};
  EXPECT_TRUE(wants_coarse(key_for(long_context)));
  long_context.seq_len = kCoarseMinTokens - 1;
  EXPECT_FALSE(wants_coarse(key_for(long_context)));
}

// The whole kCoarseMinTokens-position matrix on maps of px x px pixels.
HeatKey stream_key(int px) {
  HeatKey key;
  key.config.head_dim = 32;
  key.config.seq_len = kCoarseMinTokens;
  const int64_t n = key.config.seq_len;
  key.window = visible_window(0, static_cast<double>(n), 0, static_cast<double>(n), n, px, px);
  return key;
}

// The GUI's heatmap worker under a stream of changing parameters (a slider drag): coarse pictures
// of ever newer parameters keep arriving (none is cancelled by the next change), each the exact
// preview of its own key, and once the stream stops the refined picture of the last key.
TEST(HeatmapWorker, AStreamOfChangesShowsCoarsePicturesThenTheRefinedOne) {
  Workers workers;
  HeatKey key = stream_key(600);
  ASSERT_TRUE(wants_coarse(key));
  std::vector<std::shared_ptr<const HeatmapResult>> coarse;  // distinct previews seen
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int i = 1; coarse.size() < 3 && std::chrono::steady_clock::now() < deadline; ++i) {
    key.config.base = 10000.0 * (1.0 + 0.002 * i);
    workers.heatmaps.submit(key);
    std::this_thread::sleep_for(std::chrono::microseconds(500));  // faster than a preview
    const auto r = workers.heatmaps.latest();
    if (r && r->coarse && (coarse.empty() || coarse.back()->key != r->key)) coarse.push_back(r);
    EXPECT_TRUE(workers.heatmaps.pending());
  }
  ASSERT_GE(coarse.size(), 3u) << "pictures stopped arriving while the parameters kept changing";
  for (size_t i = 1; i < coarse.size(); ++i) EXPECT_GT(coarse[i]->key.config.base, coarse[i - 1]->key.config.base);
  const auto again = compute_coarse_heatmaps(coarse.back()->key);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->same_map(*coarse.back(), 0));
  EXPECT_TRUE(again->same_map(*coarse.back(), 1));
  ASSERT_TRUE(workers.heatmaps.wait_idle(std::chrono::seconds(120)));
  const auto refined = workers.heatmaps.latest();
  ASSERT_TRUE(refined);
  EXPECT_EQ(refined->key, key);
  EXPECT_FALSE(refined->coarse);
  EXPECT_FALSE(refined->partial);
  EXPECT_GT(refined->rotary.rows, kCoarseTexels);
  EXPECT_TRUE(refined->absolute.available);
}

// Maps of no more texels than a preview: each change's picture is computed at once without the
// cache build, so a stream of changes keeps showing full pictures.
TEST(HeatmapWorker, AStreamOfChangesOnSmallMapsShowsFullPictures) {
  Workers workers;
  HeatKey key = stream_key(100);
  std::vector<double> bases;  // of the distinct pictures seen
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int i = 1; bases.size() < 3 && std::chrono::steady_clock::now() < deadline; ++i) {
    key.config.base = 10000.0 * (1.0 + 0.002 * i);
    workers.heatmaps.submit(key);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    const auto r = workers.heatmaps.latest();
    if (r && r->key.config.base != 10000.0 && (bases.empty() || bases.back() != r->key.config.base)) {
      EXPECT_FALSE(r->coarse);
      EXPECT_TRUE(r->absolute.available);
      bases.push_back(r->key.config.base);
    }
  }
  ASSERT_GE(bases.size(), 3u) << "pictures stopped arriving while the parameters kept changing";
  ASSERT_TRUE(workers.heatmaps.wait_idle(std::chrono::seconds(120)));
  EXPECT_EQ(workers.heatmaps.latest()->key, key);
}

// same_map: the same values over the same texel grid, nothing less.
TEST(HeatmapCompute, SameMapNeedsTheSameGridAndValues) {
  HeatKey key;
  key.config.seq_len = 600;
  key.window = visible_window(0, 600, 0, 600, 600, 64, 64);
  const auto a = compute_heatmaps(key, {});
  ASSERT_TRUE(a.has_value());
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(a->same_map(*a, k)) << k;
  HeatmapResult changed = *a;
  changed.rotary.values.back() += 1.0f;  // the last row's last texel: on the diagonal, not masked
  ASSERT_FALSE(std::isnan(changed.rotary.values.back()));
  EXPECT_FALSE(a->same_map(changed, 1));
  EXPECT_TRUE(a->same_map(changed, 0));
  HeatmapResult moved = *a;
  moved.m0 += 1;  // another grid, whatever the values
  EXPECT_FALSE(a->same_map(moved, 0));
  HeatKey other = key;
  other.config.base = 500000.0;
  const auto b = compute_heatmaps(other, {});
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(a->same_map(*b, 1));
}

TEST(HeatmapCompute, ACacheGivesTheSameImages) {
  core::ViewportCache cache;
  HeatKey key;
  key.config.seq_len = 3000;
  key.content = core::ContentKind::kRandom;
  key.window = visible_window(100, 900, 1000, 1800, 3000, 300, 300);
  const auto a = compute_heatmaps(key, {}, &cache);
  const auto b = compute_heatmaps(key, {}, &cache);  // from the cached encoded rows
  const auto c = compute_heatmaps(key, {});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->rotary.values.size(), c->rotary.values.size());
  for (size_t i = 0; i < a->rotary.values.size(); ++i) {
    if (std::isnan(c->rotary.values[i])) continue;
    EXPECT_EQ(a->rotary.values[i], b->rotary.values[i]);
    EXPECT_NEAR(a->rotary.values[i], c->rotary.values[i], 1e-5 * (1.0 + std::abs(c->rotary.values[i])));
  }
}

TEST(VisibleWindow, BlocksAlignedToTheirSizeAtMostOneTexelPerPixel) {
  // Whole 131072 matrix on 700 x 500 pixels.
  const HeatWindow w = visible_window(0, 131072, 0, 131072, 131072, 700, 500);
  EXPECT_EQ(w.seq_len, 131072);
  EXPECT_EQ(w.m0, 0);
  EXPECT_EQ(w.m1, 131072);
  EXPECT_EQ(w.n0, 0);
  EXPECT_EQ(w.n1, 131072);
  EXPECT_LE(w.max_width, 700);
  EXPECT_LE(w.max_height, 500);
  // The core's blocks: ceil(span / budget) cells.
  EXPECT_EQ((131072 + w.max_width - 1) / w.max_width, (131072 + 699) / 700);
  // Zoomed in: the rectangle is widened to whole blocks aligned to their size.
  const HeatWindow z = visible_window(5000.3, 9000.7, 70000.2, 72000.9, 131072, 600, 600);
  const int64_t bw = (z.n1 - z.n0 + z.max_width - 1) / z.max_width;
  const int64_t bh = (z.m1 - z.m0 + z.max_height - 1) / z.max_height;
  EXPECT_EQ(z.n0 % bw, 0);
  EXPECT_EQ(z.m0 % bh, 0);
  EXPECT_LE(z.n0, 5000);
  EXPECT_GE(z.n1, 9001);
  EXPECT_LE(z.m0, 70000);
  EXPECT_GE(z.m1, 72001);
  EXPECT_EQ(bh, 4);  // ceil(2001 / 600)
  // A pan by less than a block asks for the same window.
  EXPECT_EQ(visible_window(5000.3 + 0.2, 9000.7 + 0.2, 70000.2, 72000.9, 131072, 600, 600).n0, z.n0);
  // Fewer cells than pixels: one cell per texel.
  const HeatWindow e = visible_window(10.5, 60.5, 10.5, 60.5, 1024, 400, 400);
  EXPECT_EQ(e.n0, 10);
  EXPECT_EQ(e.n1, 61);
  EXPECT_EQ(e.max_width, 51);
  EXPECT_EQ(e.max_height, 51);
}

TEST(VisibleWindow, AWindowOfAnotherLengthMeansTheWholeMatrixAtItsPixelSize) {
  ComputeParams params;
  params.config.seq_len = 4096;
  const HeatKey fresh = heat_key(params);
  EXPECT_EQ(fresh.window.m0, 0);
  EXPECT_EQ(fresh.window.m1, 4096);
  EXPECT_EQ(fresh.window.max_width, kInitialTexels);
  const HeatWindow old = visible_window(10, 20, 10, 20, 1024, 300, 200);
  const HeatKey k = heat_key(params, old);
  EXPECT_EQ(k.window, visible_window(0, 4096, 0, 4096, 4096, 300, 200));
  const HeatWindow same = visible_window(10, 20, 10, 20, 4096, 300, 200);
  EXPECT_EQ(heat_key(params, same).window, same);
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

}  // namespace
}  // namespace rope::app
