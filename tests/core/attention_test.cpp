// Attention blocks, masks and softmax against an independent float64 reference, on every Highway
// target this CPU supports, plus the RoPE properties (relative positions, layouts, a^2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/attention.h"
#include "core/content.h"
#include "core/error.h"
#include "core/kernels/kernels.h"
#include "core/kernels/score_pipeline.h"
#include "core/rope_config.h"
#include "hwy/targets.h"
#include "hwy/tests/hwy_gtest.h"

namespace rope::core {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

RopeFrequencies make_freqs(int head_dim, int rotary_dim, double base, Layout layout,
                           double attention_factor = 1.0) {
  RopeFrequencies f;
  f.head_dim = head_dim;
  f.rotary_dim = rotary_dim;
  f.layout = layout;
  f.base = base;
  f.effective_base = base;
  f.attention_factor = attention_factor;
  for (int j = 0; j < rotary_dim / 2; ++j) f.inv_freq.push_back(std::pow(base, -2.0 * j / rotary_dim));
  f.inv_freq_unscaled = f.inv_freq;
  return f;
}

// Encoded row in float64, straight from the formulas.
std::vector<double> encode_ref(const RopeFrequencies& f, Encoding enc, const float* x, int64_t pos) {
  const int d = f.head_dim;
  std::vector<double> out(x, x + d);
  const double p = static_cast<double>(pos);
  if (enc == Encoding::kRope) {
    const int half = f.rotary_dim / 2;
    const bool gptj = f.layout == Layout::kGptj;
    for (int j = 0; j < half; ++j) {
      const int i0 = gptj ? 2 * j : j, i1 = gptj ? 2 * j + 1 : j + half;
      const double c = f.attention_factor * std::cos(p * f.inv_freq[size_t(j)]);
      const double s = f.attention_factor * std::sin(p * f.inv_freq[size_t(j)]);
      out[size_t(i0)] = x[i0] * c - x[i1] * s;
      out[size_t(i1)] = x[i1] * c + x[i0] * s;
    }
  } else if (enc == Encoding::kSinusoidal) {
    for (int i = 0; 2 * i < d; ++i) {
      const double w = std::pow(f.base, -2.0 * i / d);
      out[size_t(2 * i)] += std::sin(p * w);
      if (2 * i + 1 < d) out[size_t(2 * i + 1)] += std::cos(p * w);
    }
  }
  return out;
}

// Logits of a block in float64 (masked cells -inf).
std::vector<double> logits_ref(const RopeFrequencies& f, const Content& content, const ScoreOptions& o,
                               const Block& b) {
  const int d = f.head_dim;
  std::vector<float> q(size_t(b.rows() * d)), k(size_t(b.cols() * d));
  content.queries(b.m0, b.m1, q.data());
  content.keys(b.n0, b.n1, k.data());
  std::vector<double> out(size_t(b.rows() * b.cols()));
  for (int64_t i = 0; i < b.rows(); ++i) {
    const std::vector<double> qe = encode_ref(f, o.encoding, q.data() + i * d, o.offset + b.m0 + i);
    for (int64_t j = 0; j < b.cols(); ++j) {
      const std::vector<double> ke = encode_ref(f, o.encoding, k.data() + j * d, o.offset + b.n0 + j);
      double dot = 0.0;
      for (int t = 0; t < d; ++t) dot += qe[size_t(t)] * ke[size_t(t)];
      const bool masked = o.causal && b.n0 + j > b.m0 + i;
      out[size_t(i * b.cols() + j)] = masked ? -INFINITY : dot / std::sqrt(double(d));
    }
  }
  return out;
}

// Softmax in float64 of whole rows [0, num_keys) for rows [m0, m1).
std::vector<double> softmax_ref(const RopeFrequencies& f, const Content& content, const ScoreOptions& o,
                                int64_t m0, int64_t m1, int64_t num_keys) {
  std::vector<double> l = logits_ref(f, content, o, Block{m0, m1, 0, num_keys});
  for (int64_t i = 0; i < m1 - m0; ++i) {
    double* row = l.data() + i * num_keys;
    const double mx = *std::max_element(row, row + num_keys);
    double sum = 0.0;
    for (int64_t j = 0; j < num_keys; ++j) sum += std::isinf(row[j]) ? 0.0 : std::exp(row[j] - mx);
    for (int64_t j = 0; j < num_keys; ++j) row[j] = std::isinf(row[j]) ? 0.0 : std::exp(row[j] - mx) / sum;
  }
  return l;
}

// NMSE over finite reference cells; masked cells must match exactly (-inf or 0).
double nmse_masked(const std::vector<float>& got, const std::vector<double>& ref) {
  double err = 0.0, norm = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isinf(ref[i])) {
      if (got[i] != kNegInf) return INFINITY;
      continue;
    }
    err += (got[i] - ref[i]) * (got[i] - ref[i]);
    norm += ref[i] * ref[i];
  }
  return err / std::max(norm, 1e-300);
}

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;  // includes equal infinities
    m = std::max(m, double(std::abs(a[i] - b[i])));
  }
  return m;
}

class AttentionTargetTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(AttentionTargetTest);

struct LogitCase {
  Encoding encoding;
  int head_dim, rotary_dim;
  Layout layout;
  double factor;
  int64_t offset;
  bool causal;
};

// Every encoding, layout, partial rotary, attention factor, offset and mask: NMSE <= 1e-7 against
// float64, masked cells exactly -inf. The block is off the diagonal on purpose.
TEST_P(AttentionTargetTest, LogitsBlockMatchesFloat64Reference) {
  const LogitCase cases[] = {
      {Encoding::kRope, 128, 128, Layout::kNeox, 1.0, 0, false},
      {Encoding::kRope, 128, 128, Layout::kGptj, 1.0, 0, true},
      {Encoding::kRope, 80, 32, Layout::kNeox, 1.25, 17, true},
      {Encoding::kRope, 96, 24, Layout::kGptj, 0.9, 5, false},
      {Encoding::kRope, 64, 64, Layout::kNeox, 1.0, int64_t{1} << 20, true},
      {Encoding::kSinusoidal, 128, 128, Layout::kNeox, 1.0, 3, true},
      {Encoding::kNone, 64, 64, Layout::kNeox, 1.0, 0, true},
  };
  for (const LogitCase& c : cases) {
    const RopeFrequencies f = make_freqs(c.head_dim, c.rotary_dim, 10000.0, c.layout, c.factor);
    const Content cont = Content::generated(ContentKind::kRandom, c.head_dim, 42);
    ScoreOptions o;
    o.encoding = c.encoding;
    o.offset = c.offset;
    o.causal = c.causal;
    const Block b{40, 79, 20, 101};
    std::vector<float> got(size_t(b.rows() * b.cols()), 123.0f);
    logits_block(f, cont, o, b, got.data());
    const std::vector<double> ref = logits_ref(f, cont, o, b);
    EXPECT_LE(nmse_masked(got, ref), 1e-7)
        << "encoding " << to_string(c.encoding) << " head_dim " << c.head_dim << " rotary "
        << c.rotary_dim << " gptj " << (c.layout == Layout::kGptj) << " offset " << c.offset;
  }
}

// Rotated dims carry a^2, pass-through dims do not: ones content at position 0 gives
// (a^2 * rotary_dim + (head_dim - rotary_dim)) / sqrt(head_dim).
TEST_P(AttentionTargetTest, AttentionFactorScalesOnlyRotatedDims) {
  const RopeFrequencies f = make_freqs(8, 4, 10000.0, Layout::kNeox, 2.0);
  const Content ones = Content::generated(ContentKind::kOnes, 8);
  float logit = 0.0f;
  logits_block(f, ones, ScoreOptions{}, Block{0, 1, 0, 1}, &logit);
  EXPECT_NEAR(logit, (4.0 * 4.0 + 4.0) / std::sqrt(8.0), 1e-5);
}

TEST_P(AttentionTargetTest, BlockEqualsSameBlockOfScoreMatrix) {
  const RopeFrequencies f = make_freqs(64, 64, 10000.0, Layout::kNeox);
  const Content cont = Content::generated(ContentKind::kRandom, 64, 9);
  for (bool causal : {false, true}) {
    ScoreOptions o;
    o.causal = causal;
    o.offset = 11;
    const int64_t n = 150;
    const std::vector<float> full = score_matrix(f, cont, o, n, n, false);
    const Block b{33, 97, 64, 140};
    std::vector<float> block(size_t(b.rows() * b.cols()));
    logits_block(f, cont, o, b, block.data());
    std::vector<float> cut;
    for (int64_t i = b.m0; i < b.m1; ++i) {
      for (int64_t j = b.n0; j < b.n1; ++j) cut.push_back(full[size_t(i * n + j)]);
    }
    EXPECT_LE(max_abs(block, cut), 1e-5) << "causal " << causal;
  }
}

// Softmax of the whole matrix (fused pipeline): rows sum to 1, masked cells are 0, and it matches
// float64 (max abs 1e-6); a block through softmax_row_stats + softmax_block equals the same
// block of the full matrix.
TEST_P(AttentionTargetTest, SoftmaxMatchesReferenceAndBlocksAgree) {
  const RopeFrequencies f = make_freqs(128, 128, 10000.0, Layout::kNeox);
  const Content cont = Content::generated(ContentKind::kRandom, 128, 4);
  for (bool causal : {false, true}) {
    ScoreOptions o;
    o.causal = causal;
    const int64_t n = 130;
    const std::vector<float> full = score_matrix(f, cont, o, n, n, true);
    const std::vector<double> ref = softmax_ref(f, cont, o, 0, n, n);
    double worst = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j) {
        const float v = full[size_t(i * n + j)];
        sum += v;
        worst = std::max(worst, std::abs(v - ref[size_t(i * n + j)]));
        if (causal && j > i) {
          ASSERT_EQ(v, 0.0f) << i << "," << j;
        }
      }
      EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << i;
    }
    EXPECT_LE(worst, 1e-6) << "causal " << causal;

    const Block b{70, 101, 30, 90};
    const RowStats stats = softmax_row_stats(f, cont, o, b.m0, b.m1, n);
    std::vector<float> block(size_t(b.rows() * b.cols()));
    softmax_block(f, cont, o, b, stats, block.data());
    std::vector<float> cut;
    for (int64_t i = b.m0; i < b.m1; ++i) {
      for (int64_t j = b.n0; j < b.n1; ++j) cut.push_back(full[size_t(i * n + j)]);
    }
    EXPECT_LE(max_abs(block, cut), 1e-6) << "causal " << causal;
  }
}

// Row statistics over more keys than one internal chunk (16384 keys, tiles of 2048) stay exact:
// max within 1e-4 relative, sum within 1e-5 relative.
TEST_P(AttentionTargetTest, RowStatsOverLongRowsMatchReference) {
  const RopeFrequencies f = make_freqs(32, 32, 10000.0, Layout::kGptj);
  const Content cont = Content::generated(ContentKind::kRandom, 32, 8);
  ScoreOptions o;
  o.causal = true;
  const int64_t m0 = 17000, m1 = 17003, num_keys = 17002;  // the last row is cut by num_keys
  const RowStats stats = softmax_row_stats(f, cont, o, m0, m1, num_keys);
  const std::vector<double> l = logits_ref(f, cont, o, Block{m0, m1, 0, num_keys});
  for (int64_t i = 0; i < m1 - m0; ++i) {
    const double* row = l.data() + i * num_keys;
    const double mx = *std::max_element(row, row + num_keys);
    double sum = 0.0;
    for (int64_t j = 0; j < num_keys; ++j) sum += std::isinf(row[j]) ? 0.0 : std::exp(row[j] - mx);
    EXPECT_NEAR(stats.max[size_t(i)], mx, 1e-4 * std::max(1.0, std::abs(mx))) << i;
    EXPECT_NEAR(stats.sum[size_t(i)], sum, 1e-5 * sum) << i;
  }
}


// prepare() shares one cos/sin table between query and key rows at the same positions: the
// encoded queries and packed keys are bit for bit those of prepare_queries + prepare_keys, for
// every encoding, with more keys than queries and the other way round (crossing encode chunks).
TEST_P(AttentionTargetTest, SharedTablePrepareEqualsSeparateEncoding) {
  const RopeFrequencies f = make_freqs(64, 48, 10000.0, Layout::kGptj, 1.3);
  const Content cont = Content::generated(ContentKind::kRandom, 64, 21);
  for (Encoding encoding : {Encoding::kRope, Encoding::kSinusoidal, Encoding::kNone}) {
    for (auto [num_q, num_k] : {std::pair<int64_t, int64_t>{300, 700}, {700, 300}}) {
      std::vector<float> q(size_t(num_q * 64)), k(size_t(num_k * 64));
      cont.queries(1000, 1000 + num_q, q.data());
      cont.keys(1000, 1000 + num_k, k.data());
      ScorePipeline separate, shared;
      separate.prepare_queries(f, encoding, 1000, q.data(), num_q);
      separate.prepare_keys(f, encoding, 1000, k.data(), num_k);
      shared.prepare(f, encoding, 1000, q.data(), num_q, 1000, k.data(), num_k);
      ASSERT_EQ(shared.num_queries(), num_q);
      ASSERT_EQ(shared.num_keys(), num_k);
      const int64_t q_size = num_q * 64, k_size = kernels::packed_keys_size(num_k, 64);
      int q_diff = 0, k_diff = 0;
      for (int64_t i = 0; i < q_size; ++i) q_diff += shared.encoded_queries()[i] != separate.encoded_queries()[i];
      for (int64_t i = 0; i < k_size; ++i) k_diff += shared.packed_keys()[i] != separate.packed_keys()[i];
      EXPECT_EQ(q_diff, 0) << static_cast<int>(encoding) << " " << num_q << "x" << num_k;
      EXPECT_EQ(k_diff, 0) << static_cast<int>(encoding) << " " << num_q << "x" << num_k;
      // And the encoding did something: rotated or shifted rows differ from the raw content.
      if (encoding != Encoding::kNone) {
        EXPECT_NE(shared.encoded_queries()[64 * 5 + 3], q[64 * 5 + 3]);
      }
    }
  }
}

// for_each_row_block's row maxima (taken by the score kernel) are the maxima of each row's
// unmasked scores, for blocks whose first query comes before, at and after the first key
// (diag < 0 leaves the first rows with no unmasked cell: -inf).
TEST_P(AttentionTargetTest, RowBlockMaximaAreTheUnmaskedRowMaxima) {
  const RopeFrequencies f = make_freqs(64, 64, 10000.0, Layout::kNeox);
  const Content cont = Content::generated(ContentKind::kRandom, 64, 5);
  const int64_t num_q = 150, num_k = 200;
  std::vector<float> q(size_t(num_q * 64)), k(size_t(num_k * 64));
  cont.queries(0, num_q, q.data());
  cont.keys(0, num_k, k.data());
  ScorePipeline pipeline;
  pipeline.prepare(f, Encoding::kRope, 0, q.data(), num_q, 0, k.data(), num_k);
  for (bool causal : {true, false}) {
    for (int64_t diag : {int64_t{-40}, int64_t{0}, int64_t{37}}) {
      std::vector<int> checked(size_t(num_q), 0);
      pipeline.for_each_row_block(
          causal, diag,
          [&](int64_t row0, int64_t row1, float* scores, int64_t ld, const float* row_max, int) {
            ASSERT_NE(row_max, nullptr);
            for (int64_t i = row0; i < row1; ++i) {
              const int64_t valid = pipeline.valid_columns(causal, diag, i);
              float expected = -std::numeric_limits<float>::infinity();
              for (int64_t j = 0; j < valid; ++j) expected = std::max(expected, scores[(i - row0) * ld + j]);
              EXPECT_EQ(row_max[i - row0], expected) << causal << " diag " << diag << " row " << i;
              checked[size_t(i)] = 1;
            }
          },
          true);
      EXPECT_EQ(std::count(checked.begin(), checked.end(), 1), num_q);
    }
  }
}

// The fused colour pipeline (scores -> mask -> softmax -> LUT) gives the colour of the softmax
// matrix's values: the LUT index differs by at most one (range scaling rounds differently),
// masked cells get the masked colour.
TEST_P(AttentionTargetTest, ColourPipelineMatchesColouredSoftmax) {
  const RopeFrequencies f = make_freqs(64, 64, 10000.0, Layout::kNeox);
  // 100: rows not vector aligned; 1200: many chunks, masked cells written by the score kernel.
  for (const int64_t n : {int64_t{100}, int64_t{1200}}) {
    const Content cont = Content::generated(ContentKind::kRandom, 64, 12);
    std::vector<float> q(size_t(n * 64)), k(size_t(n * 64));
    cont.queries(0, n, q.data());
    cont.keys(0, n, k.data());
    ScoreOptions o;
    o.causal = true;
    const std::vector<float> probs = score_matrix(f, cont, o, n, n, true);
    std::vector<uint32_t> lut(256);
    for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | i;
    const kernels::ColorMap cmap{lut.data(), 256, 0.0f, 0.1f, 0x11223344u};
    ScorePipeline pipeline;
    pipeline.prepare_queries(f, Encoding::kRope, 0, q.data(), n);
    pipeline.prepare_keys(f, Encoding::kRope, 0, k.data(), n);
    std::vector<uint32_t> rgba(size_t(n * n));
    pipeline.run_colour(true, 0, true, cmap, rgba.data(), n);
    int worst = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const uint32_t got = rgba[size_t(i * n + j)];
        if (j > i) {
          ASSERT_EQ(got, 0x11223344u) << i << "," << j;
          continue;
        }
        const double t = std::clamp(double(probs[size_t(i * n + j)]) / 0.1 * 255.0, 0.0, 255.0);
        worst = std::max(worst, std::abs(int(got & 0xff) - int(std::nearbyint(t))));
      }
    }
    EXPECT_LE(worst, 1) << n;
  }
}


// The fused tile path (rotate -> score tile -> mask -> softmax with whole-row stats -> colour)
// equals the reference pipeline: values NMSE <= 1e-7 against float64, masked cells exact, and
// its colours are exactly the colours of its values. The block straddles the diagonal.
TEST_P(AttentionTargetTest, ColourBlockMatchesReferencePipeline) {
  const RopeFrequencies f = make_freqs(128, 96, 10000.0, Layout::kGptj, 1.1);
  const Content cont = Content::generated(ContentKind::kRandom, 128, 77);
  std::vector<uint32_t> table(256);
  for (uint32_t i = 0; i < 256; ++i) table[i] = 0xff000000u | (i << 16) | i;
  for (bool softmax : {false, true}) {
    ScoreOptions o;
    o.causal = true;
    o.offset = 40;
    const Block b{60, 131, 30, 150};
    const int64_t num_keys = 200;
    const RowStats stats = softmax_row_stats(f, cont, o, b.m0, b.m1, num_keys);
    const ColorLut lut{table.data(), 256, softmax ? 0.0f : -3.0f, softmax ? 0.1f : 3.0f, 0x01020304u};
    std::vector<uint32_t> rgba(size_t(b.rows() * b.cols()));
    std::vector<float> values(rgba.size());
    colour_block(f, cont, o, b, softmax ? &stats : nullptr, lut, rgba.data(), values.data());

    std::vector<double> ref = logits_ref(f, cont, o, b);
    if (softmax) {
      const std::vector<double> full = softmax_ref(f, cont, o, b.m0, b.m1, num_keys);
      for (int64_t i = 0; i < b.rows(); ++i) {
        for (int64_t j = 0; j < b.cols(); ++j) ref[size_t(i * b.cols() + j)] = full[size_t(i * num_keys + b.n0 + j)];
      }
    }
    std::vector<float> finite_got;
    std::vector<double> finite_ref;
    for (size_t c = 0; c < ref.size(); ++c) {
      const int64_t i = int64_t(c) / b.cols(), j = int64_t(c) % b.cols();
      const bool masked = b.n0 + j > b.m0 + i;
      if (masked) {
        EXPECT_EQ(values[c], softmax ? 0.0f : kNegInf) << i << "," << j;
        EXPECT_EQ(rgba[c], 0x01020304u) << i << "," << j;
        continue;
      }
      finite_got.push_back(values[c]);
      finite_ref.push_back(ref[c]);
      uint32_t expected = 0;
      kernels::colorize(&values[c], 1, kernels::ColorMap{table.data(), 256, lut.lo, lut.hi, lut.masked_rgba}, &expected);
      EXPECT_EQ(rgba[c], expected) << i << "," << j;
    }
    EXPECT_LE(nmse_masked(finite_got, finite_ref), 1e-7) << "softmax " << softmax;
    EXPECT_GT(finite_got.size(), ref.size() / 3);
  }
}


// softmax_row_stats keeps generated content's encoded keys between calls: later calls with other
// rows, more keys (the cache extends), another seed, offset or layout (the cache is rebuilt)
// still match float64 (max 1e-4 relative, sum 1e-5 relative).
TEST_P(AttentionTargetTest, RowStatsKeyCacheNeverServesStaleKeys) {
  struct Call {
    uint64_t seed;
    Layout layout;
    int64_t offset, m0, m1, num_keys;
  };
  const Call calls[] = {
      {1, Layout::kNeox, 0, 300, 302, 1000},
      {1, Layout::kNeox, 0, 900, 903, 1000},   // same keys, other rows
      {1, Layout::kNeox, 0, 2500, 2502, 2501}, // more keys: extends the cache
      {2, Layout::kNeox, 0, 2500, 2502, 2501}, // other seed
      {2, Layout::kNeox, 7, 2500, 2502, 2501}, // other offset
      {2, Layout::kGptj, 7, 2500, 2502, 2501}, // other layout
      {2, Layout::kGptj, 7, 10, 12, 40},       // fewer keys than cached
  };
  for (const Call& c : calls) {
    const RopeFrequencies f = make_freqs(32, 32, 10000.0, c.layout);
    const Content cont = Content::generated(ContentKind::kRandom, 32, c.seed);
    ScoreOptions o;
    o.causal = true;
    o.offset = c.offset;
    const RowStats stats = softmax_row_stats(f, cont, o, c.m0, c.m1, c.num_keys);
    const std::vector<double> l = logits_ref(f, cont, o, Block{c.m0, c.m1, 0, c.num_keys});
    for (int64_t i = 0; i < c.m1 - c.m0; ++i) {
      const double* row = l.data() + i * c.num_keys;
      const double mx = *std::max_element(row, row + c.num_keys);
      double sum = 0.0;
      for (int64_t j = 0; j < c.num_keys; ++j) sum += std::isinf(row[j]) ? 0.0 : std::exp(row[j] - mx);
      EXPECT_NEAR(stats.max[size_t(i)], mx, 1e-4 * std::max(1.0, std::abs(mx))) << "seed " << c.seed << " row " << i;
      EXPECT_NEAR(stats.sum[size_t(i)], sum, 1e-5 * sum) << "seed " << c.seed << " row " << i;
    }
  }
}

}  // namespace

// ---- Properties that do not depend on the target ------------------------------------------

namespace {

// Constant content: rotary logits depend only on m - n (compare along diagonals).
TEST(AttentionProperties, ConstantContentDependsOnlyOnDistance) {
  const RopeFrequencies f = make_freqs(128, 128, 10000.0, Layout::kNeox);
  const Content cont = Content::generated(ContentKind::kConstant, 128, 1);
  ScoreOptions o;
  o.offset = 1000;
  const int64_t n = 300;
  const std::vector<float> l = score_matrix(f, cont, o, n, n, false);
  double worst = 0.0, scale = 0.0;
  for (int64_t i = 1; i < n; ++i) {
    for (int64_t j = 1; j < n; ++j) {
      worst = std::max(worst, double(std::abs(l[size_t(i * n + j)] - l[size_t((i - 1) * n + j - 1)])));
      scale = std::max(scale, double(std::abs(l[size_t(i * n + j)])));
    }
  }
  EXPECT_GT(scale, 0.1);
  EXPECT_LE(worst, 2e-5 * std::max(1.0, scale));
}

// NeoX and GPT-J give the same logits once q and k features are permuted between the layouts:
// gptj feature 2j <-> neox j, 2j+1 <-> j + rotary_dim/2 (pass-through features stay).
TEST(AttentionProperties, NeoxAndGptjAgreeAfterPermutation) {
  const int d = 80, rd = 64, half = rd / 2;
  const int64_t n = 70;
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> q(size_t(n * d)), k(size_t(n * d));
  for (float& x : q) x = g(rng);
  for (float& x : k) x = g(rng);
  auto to_gptj = [&](const std::vector<float>& neox) {
    std::vector<float> out = neox;
    for (int64_t r = 0; r < n; ++r) {
      for (int j = 0; j < half; ++j) {
        out[size_t(r * d + 2 * j)] = neox[size_t(r * d + j)];
        out[size_t(r * d + 2 * j + 1)] = neox[size_t(r * d + j + half)];
      }
    }
    return out;
  };
  const Content neox_content = Content::external(q, n, k, n, d);
  const Content gptj_content = Content::external(to_gptj(q), n, to_gptj(k), n, d);
  ScoreOptions o;
  o.offset = 77;
  o.causal = true;
  const std::vector<float> a = score_matrix(make_freqs(d, rd, 10000.0, Layout::kNeox, 1.1), neox_content, o, n, n, false);
  const std::vector<float> b = score_matrix(make_freqs(d, rd, 10000.0, Layout::kGptj, 1.1), gptj_content, o, n, n, false);
  EXPECT_LE(max_abs(a, b), 1e-5);
  // Without the permutation they differ: the classic conversion bug.
  const std::vector<float> c = score_matrix(make_freqs(d, rd, 10000.0, Layout::kGptj, 1.1), neox_content, o, n, n, false);
  EXPECT_GT(max_abs(a, c), 0.1);
}

// The causal softmax pipeline on raw rows equals score_matrix on the same content.
TEST(AttentionProperties, CausalPipelineEqualsScoreMatrix) {
  const RopeFrequencies f = make_freqs(128, 128, 500000.0, Layout::kNeox);
  const int64_t n = 257;
  const Content cont = Content::generated(ContentKind::kRandom, 128, 3);
  std::vector<float> q(size_t(n * 128)), k(size_t(n * 128));
  cont.queries(0, n, q.data());
  cont.keys(0, n, k.data());
  std::vector<float> out(size_t(n * n));
  causal_softmax_pipeline(f, q.data(), k.data(), n, 5, out.data());
  ScoreOptions o;
  o.causal = true;
  o.offset = 5;
  EXPECT_EQ(out, score_matrix(f, cont, o, n, n, true));
}

TEST(AttentionProperties, RejectsMismatchedHeadDim) {
  const RopeFrequencies f = make_freqs(64, 64, 10000.0, Layout::kNeox);
  const Content cont = Content::generated(ContentKind::kRandom, 32, 1);
  float out[4];
  EXPECT_THROW(logits_block(f, cont, ScoreOptions{}, Block{0, 2, 0, 2}, out), RopeError);
  EXPECT_THROW(logits_block(f, Content::generated(ContentKind::kRandom, 64, 1), ScoreOptions{},
                            Block{2, 1, 0, 2}, out),
               RopeError);
}

TEST(AttentionProperties, EncodingNamesRoundTrip) {
  for (Encoding e : {Encoding::kRope, Encoding::kSinusoidal, Encoding::kNone}) {
    EXPECT_EQ(parse_encoding(to_string(e)), e);
  }
  EXPECT_FALSE(parse_encoding("alibi").has_value());
}

}  // namespace
}  // namespace rope::core
