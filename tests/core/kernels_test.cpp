// SIMD kernels against their scalar float64 oracles, on every Highway target this CPU supports.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/kernels/kernels.h"
#include "core/thread_pool.h"
#include "hwy/targets.h"
#include "hwy/tests/hwy_gtest.h"

namespace rope::core::kernels {
namespace {

using rope::core::ThreadPool;

std::vector<double> make_inv_freq(int num_pairs, double base) {
  std::vector<double> inv(static_cast<size_t>(num_pairs));
  for (int j = 0; j < num_pairs; ++j) inv[static_cast<size_t>(j)] = std::pow(base, -2.0 * j / (2.0 * num_pairs));
  return inv;
}

std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

double nmse(const std::vector<float>& a, const std::vector<double>& b) {
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (a[i] - b[i]) * (a[i] - b[i]);
    ref += b[i] * b[i];
  }
  return err / std::max(ref, 1e-300);
}

class KernelTargetTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(KernelTargetTest);

TEST_P(KernelTargetTest, DispatchUsesTheTargetUnderTest) {
  float x[3] = {1.0f, 5.0f, -2.0f};
  EXPECT_EQ(row_max(x, 3), 5.0f);
  EXPECT_EQ(active_target(), hwy::TargetName(GetParam()));
}

// |table - float64 reference| <= 2e-6 * a, for positions near 0, 2^20 and 2^30 - 2^8, full and
// ragged pair counts (ragged counts exercise the vector tails).
TEST_P(KernelTargetTest, TablesMatchFloat64Reference) {
  for (int num_pairs : {64, 13, 1, 2100}) {  // 2100: more pairs than one kernel call takes
    for (double factor : {1.0, 1.3}) {
      for (int64_t pos0 : {int64_t{0}, (int64_t{1} << 20) - 100, (int64_t{1} << 30) - 256}) {
        const std::vector<double> inv = make_inv_freq(num_pairs, 10000.0);
        const int64_t num_pos = num_pairs > 1000 ? 3 : 200;
        const size_t size = static_cast<size_t>(num_pos * num_pairs);
        std::vector<float> c(size), s(size);
        std::vector<double> c_ref(size), s_ref(size);
        rope_tables(inv.data(), num_pairs, pos0, num_pos, factor, c.data(), s.data());
        rope_tables_ref(inv.data(), num_pairs, pos0, num_pos, factor, c_ref.data(), s_ref.data());
        EXPECT_LE(max_abs_diff(c, c_ref), 2e-6 * factor) << "pairs " << num_pairs << " pos0 " << pos0;
        EXPECT_LE(max_abs_diff(s, s_ref), 2e-6 * factor) << "pairs " << num_pairs << " pos0 " << pos0;
      }
    }
  }
}

// Forming the angle in float32 (as Hugging Face does) is visibly wrong at 2^20; the kernel is not.
TEST_P(KernelTargetTest, TablesKeepFloat64AccuracyNear2To20) {
  const std::vector<double> inv = make_inv_freq(64, 10000.0);
  const int64_t pos0 = int64_t{1} << 20;
  std::vector<float> c(64), s(64);
  std::vector<double> c_ref(64), s_ref(64);
  rope_tables(inv.data(), 64, pos0, 1, 1.0, c.data(), s.data());
  rope_tables_ref(inv.data(), 64, pos0, 1, 1.0, c_ref.data(), s_ref.data());
  double naive_err = 0.0;
  for (int j = 0; j < 64; ++j) {
    const float angle32 = static_cast<float>(pos0) * static_cast<float>(inv[static_cast<size_t>(j)]);
    naive_err = std::max(naive_err, std::abs(std::cos(static_cast<double>(angle32)) - c_ref[static_cast<size_t>(j)]));
  }
  EXPECT_LE(max_abs_diff(c, c_ref), 2e-6);
  EXPECT_LE(max_abs_diff(s, s_ref), 2e-6);
  EXPECT_GT(naive_err, 1e-3);  // the float32-angle error this kernel avoids
}

struct RotateCase {
  int head_dim, rotary_dim;
};

TEST_P(KernelTargetTest, RotateMatchesReference) {
  for (RotateCase rc : {RotateCase{128, 128}, RotateCase{80, 32}, RotateCase{96, 24}, RotateCase{6, 6}}) {
    for (bool gptj : {false, true}) {
      const int pairs = rc.rotary_dim / 2;
      const int64_t rows = 37;
      const std::vector<double> inv = make_inv_freq(pairs, 10000.0);
      const size_t tab = static_cast<size_t>(rows * pairs);
      std::vector<double> c_ref(tab), s_ref(tab);
      rope_tables_ref(inv.data(), pairs, 1000, rows, 1.2, c_ref.data(), s_ref.data());
      const std::vector<float> c(c_ref.begin(), c_ref.end()), s(s_ref.begin(), s_ref.end());
      const std::vector<float> x = gaussian(static_cast<size_t>(rows * rc.head_dim), 7);
      std::vector<float> out(x.size());
      rotate_rows(x.data(), rows, rc.head_dim, rc.rotary_dim, gptj, c.data(), s.data(), out.data());
      std::vector<double> ref(x.size());
      const std::vector<double> xd = to_double(x);
      rotate_rows_ref(xd.data(), rows, rc.head_dim, rc.rotary_dim, gptj, c_ref.data(), s_ref.data(), ref.data());
      EXPECT_LE(max_abs_diff(out, ref), 2e-6 * 4)  // |x| up to ~4 sigma, a = 1.2
          << "head_dim " << rc.head_dim << " rotary_dim " << rc.rotary_dim << " gptj " << gptj;
      // In place gives the same result.
      std::vector<float> inplace = x;
      rotate_rows(inplace.data(), rows, rc.head_dim, rc.rotary_dim, gptj, c.data(), s.data(), inplace.data());
      EXPECT_EQ(inplace, out);
    }
  }
}

TEST_P(KernelTargetTest, PositionZeroIsIdentityAndNormsAreKept) {
  const int head_dim = 128, pairs = 64;
  const std::vector<double> inv = make_inv_freq(pairs, 10000.0);
  for (bool gptj : {false, true}) {
    for (int64_t pos0 : {int64_t{0}, int64_t{123457}}) {
      const int64_t rows = 16;
      std::vector<float> c(static_cast<size_t>(rows * pairs)), s(c.size());
      rope_tables(inv.data(), pairs, pos0, rows, 1.0, c.data(), s.data());
      const std::vector<float> x = gaussian(static_cast<size_t>(rows * head_dim), 3);
      std::vector<float> out(x.size());
      rotate_rows(x.data(), rows, head_dim, head_dim, gptj, c.data(), s.data(), out.data());
      if (pos0 == 0) {
        // Row 0 is position 0: cos = 1, sin = 0 exactly.
        for (int f = 0; f < head_dim; ++f) EXPECT_EQ(out[static_cast<size_t>(f)], x[static_cast<size_t>(f)]) << f;
      }
      for (int64_t r = 0; r < rows; ++r) {
        double n_in = 0.0, n_out = 0.0;
        for (int f = 0; f < head_dim; ++f) {
          n_in += double(x[static_cast<size_t>(r * head_dim + f)]) * x[static_cast<size_t>(r * head_dim + f)];
          n_out += double(out[static_cast<size_t>(r * head_dim + f)]) * out[static_cast<size_t>(r * head_dim + f)];
        }
        EXPECT_NEAR(std::sqrt(n_out), std::sqrt(n_in), 1e-5 * std::sqrt(n_in)) << "row " << r;
      }
    }
  }
}

// Score blocks: NMSE <= 1e-7 against float64, ragged shapes, and the causal panel skip keeps
// every cell on or below the diagonal exact.
TEST_P(KernelTargetTest, ScoreBlockMatchesReference) {
  for (int head_dim : {128, 80, 3}) {
    for (int64_t rows : {int64_t{37}, int64_t{8}, int64_t{1}}) {
      for (int64_t cols : {int64_t{70}, int64_t{32}, int64_t{5}}) {
        const std::vector<float> q = gaussian(static_cast<size_t>(rows * head_dim), 11);
        const std::vector<float> k = gaussian(static_cast<size_t>(cols * head_dim), 12);
        std::vector<float> packed(static_cast<size_t>(packed_keys_size(cols, head_dim)));
        pack_keys(k.data(), cols, head_dim, packed.data());
        const double scale = 1.0 / std::sqrt(double(head_dim));
        const int64_t ld = cols + 3;
        std::vector<float> out(static_cast<size_t>(rows * ld), -7.0f);
        score_block_packed(q.data(), rows, head_dim, packed.data(), cols, float(scale), -1, out.data(), ld);
        std::vector<double> ref(static_cast<size_t>(rows * cols));
        const std::vector<double> qd = to_double(q), kd = to_double(k);
        score_block_ref(qd.data(), rows, kd.data(), cols, head_dim, scale, ref.data());
        std::vector<float> got(ref.size());
        for (int64_t i = 0; i < rows; ++i) {
          for (int64_t j = 0; j < cols; ++j) got[size_t(i * cols + j)] = out[size_t(i * ld + j)];
          for (int64_t j = cols; j < ld; ++j) EXPECT_EQ(out[size_t(i * ld + j)], -7.0f);  // no overrun
        }
        EXPECT_LE(nmse(got, ref), 1e-7) << head_dim << " " << rows << "x" << cols;

        const int64_t diag = 2;  // row i needs columns j <= 2 + i
        std::vector<float> causal(static_cast<size_t>(rows * ld), 0.0f);
        score_block_packed(q.data(), rows, head_dim, packed.data(), cols, float(scale), diag, causal.data(), ld);
        double worst = 0.0;
        for (int64_t i = 0; i < rows; ++i) {
          for (int64_t j = 0; j <= std::min(diag + i, cols - 1); ++j) {
            worst = std::max(worst, std::abs(double(causal[size_t(i * ld + j)]) - ref[size_t(i * cols + j)]));
          }
        }
        EXPECT_LE(worst, 1e-4) << head_dim << " " << rows << "x" << cols;
      }
    }
  }
}

// The row maxima the score kernel takes on the way out equal the maxima of the cells it wrote
// (whole panels, the diagonal panel, ragged last panel, more rows than one pass of the kernel),
// and asking for them leaves the scores bit for bit the same.
TEST_P(KernelTargetTest, ScoreBlockRowMaxIsTheMaximumOfTheNeededColumns) {
  const int head_dim = 64;
  for (int64_t rows : {int64_t{1}, int64_t{13}, int64_t{32}, int64_t{300}}) {
    for (int64_t cols : {int64_t{5}, int64_t{64}, int64_t{301}}) {
      for (int64_t diag : {int64_t{-1}, int64_t{0}, int64_t{2}, int64_t{40}}) {
        const std::vector<float> q = gaussian(static_cast<size_t>(rows * head_dim), 21);
        const std::vector<float> k = gaussian(static_cast<size_t>(cols * head_dim), 22);
        std::vector<float> packed(static_cast<size_t>(packed_keys_size(cols, head_dim)));
        pack_keys(k.data(), cols, head_dim, packed.data());
        const int64_t ld = (cols + 31) / 32 * 32;
        std::vector<float> plain(static_cast<size_t>(rows * ld), 0.0f), with_max = plain;
        std::vector<float> row_max(static_cast<size_t>(rows), 123.0f);
        score_block_packed(q.data(), rows, head_dim, packed.data(), cols, 0.125f, diag, plain.data(), ld);
        score_block_packed(q.data(), rows, head_dim, packed.data(), cols, 0.125f, diag, with_max.data(), ld,
                           row_max.data());
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t valid = diag < 0 ? cols : std::min(cols, diag + i + 1);
          float expected = -std::numeric_limits<float>::infinity();
          for (int64_t j = 0; j < valid; ++j) {
            ASSERT_EQ(with_max[size_t(i * ld + j)], plain[size_t(i * ld + j)]) << i << "," << j;
            expected = std::max(expected, plain[size_t(i * ld + j)]);
          }
          EXPECT_EQ(row_max[size_t(i)], expected) << rows << "x" << cols << " diag " << diag << " row " << i;
        }
      }
    }
  }
}

TEST_P(KernelTargetTest, SoftmaxPiecesMatchReference) {
  for (int64_t len : {int64_t{1}, int64_t{17}, int64_t{100}, int64_t{4099}}) {
    for (int64_t valid : {len, (len + 1) / 2}) {
      for (int64_t misalign : {int64_t{0}, int64_t{1}, int64_t{5}}) {
        std::vector<float> x = gaussian(static_cast<size_t>(len), 5, 4.0f);
        const std::vector<double> xd = to_double(x);
        std::vector<double> ref(static_cast<size_t>(len));
        softmax_row_ref(xd.data(), valid, len, ref.data());
        const float max = row_max(x.data(), valid);
        EXPECT_EQ(max, *std::max_element(x.begin(), x.begin() + valid));
        const double sum = exp_shift_sum(x.data(), valid, max);
        std::vector<float> storage(static_cast<size_t>(len + 16), 9.0f);
        float* dst = storage.data() + misalign;
        store_row(x.data(), valid, float(1.0 / sum), 0.0f, len, dst);
        stream_fence();
        double row_sum = 0.0, worst = 0.0;
        for (int64_t i = 0; i < len; ++i) {
          row_sum += dst[i];
          worst = std::max(worst, std::abs(dst[i] - ref[size_t(i)]));
        }
        EXPECT_LE(worst, 1e-6) << "len " << len << " valid " << valid;
        EXPECT_NEAR(row_sum, 1.0, 1e-5) << "len " << len << " valid " << valid;
        EXPECT_EQ(storage[size_t(misalign + len)], 9.0f);  // no overrun
        if (misalign > 0) {
          EXPECT_EQ(storage[size_t(misalign - 1)], 9.0f);
        }
      }
    }
  }
}

TEST_P(KernelTargetTest, StoreRowFillsMaskedCells) {
  std::vector<float> src = {1.0f, 2.0f, 3.0f};
  std::vector<float> dst(40, 0.0f);
  store_row(src.data(), 3, 2.0f, -std::numeric_limits<float>::infinity(), 40, dst.data());
  stream_fence();
  EXPECT_EQ(dst[0], 2.0f);
  EXPECT_EQ(dst[2], 6.0f);
  for (size_t i = 3; i < dst.size(); ++i) EXPECT_EQ(dst[i], -std::numeric_limits<float>::infinity()) << i;
}

TEST_P(KernelTargetTest, ColorizeUsesTheLookupTable) {
  std::vector<uint32_t> lut(256);
  for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | i;
  ColorMap cmap{lut.data(), 256, -1.0f, 1.0f, 0x12345678u};
  std::vector<float> v(37);
  for (size_t i = 0; i < v.size(); ++i) v[i] = -1.5f + 3.0f * float(i) / float(v.size() - 1);
  v[5] = -std::numeric_limits<float>::infinity();
  v[20] = std::numeric_limits<float>::quiet_NaN();  // a vector lane, never an out-of-range index
  std::vector<uint32_t> rgba(v.size());
  colorize(v.data(), int64_t(v.size()), cmap, rgba.data());
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 5) {
      EXPECT_EQ(rgba[i], 0x12345678u);
      continue;
    }
    if (i == 20) {
      EXPECT_EQ(rgba[i], lut[0]);
      continue;
    }
    const double t = std::clamp((double(v[i]) + 1.0) / 2.0 * 255.0, 0.0, 255.0);
    const uint32_t expected = lut[size_t(std::nearbyint(t))];
    // Rounding of exact .5 cases may differ by one entry.
    EXPECT_LE(std::abs(int(rgba[i] & 0xff) - int(expected & 0xff)), 1) << i;
    EXPECT_EQ(rgba[i] >> 24, 0xffu);
  }
}


// Fused tile (scores -> causal mask -> softmax from given row stats -> colour) against float64:
// NMSE <= 1e-7 for values, masked cells exact, colours equal the LUT entry of the reference value
// up to one entry where rounding sits on a boundary. The tile straddles the causal diagonal.
TEST_P(KernelTargetTest, FusedTileMatchesReference) {
  const int head_dim = 128;
  const int64_t rows = 45, cols = 70, row_pos0 = 1030, col_pos0 = 1000;
  const std::vector<float> q = gaussian(static_cast<size_t>(rows * head_dim), 21);
  const std::vector<float> k = gaussian(static_cast<size_t>(cols * head_dim), 22);
  std::vector<float> packed(static_cast<size_t>(packed_keys_size(cols, head_dim)));
  pack_keys(k.data(), cols, head_dim, packed.data());
  const double scale = 1.0 / std::sqrt(double(head_dim));
  std::vector<double> logits(static_cast<size_t>(rows * cols));
  const std::vector<double> qd = to_double(q), kd = to_double(k);
  score_block_ref(qd.data(), rows, kd.data(), cols, head_dim, scale, logits.data());
  // Row statistics as if each row had extra keys before the tile: max and sum of the tile's
  // unmasked cells plus a fixed outside contribution.
  std::vector<float> row_max(static_cast<size_t>(rows)), row_sum(static_cast<size_t>(rows));
  auto masked = [&](int64_t i, int64_t j) { return col_pos0 + j > row_pos0 + i; };
  for (int64_t i = 0; i < rows; ++i) {
    double mx = 2.0, sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      if (!masked(i, j)) mx = std::max(mx, logits[size_t(i * cols + j)]);
    }
    for (int64_t j = 0; j < cols; ++j) {
      if (!masked(i, j)) sum += std::exp(logits[size_t(i * cols + j)] - mx);
    }
    row_max[size_t(i)] = float(mx);
    row_sum[size_t(i)] = float(sum + 3.0);
  }
  std::vector<uint32_t> lut(256);
  for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | (i << 8) | i;
  for (bool softmax : {false, true}) {
    const ColorMap cmap{lut.data(), 256, softmax ? 0.0f : -3.0f, softmax ? 0.2f : 3.0f, 0xdeadbeefu};
    const int64_t ld_out = cols + 2;
    std::vector<float> scratch(static_cast<size_t>(rows * ((cols + 31) / 32 * 32)));
    std::vector<float> values(static_cast<size_t>(rows * ld_out), 5.0f);
    std::vector<uint32_t> rgba(static_cast<size_t>(rows * ld_out), 7u);
    fused_score_tile(q.data(), rows, head_dim, packed.data(), cols, float(scale), true, row_pos0,
                     col_pos0, softmax ? row_max.data() : nullptr, softmax ? row_sum.data() : nullptr,
                     cmap, scratch.data(), values.data(), rgba.data(), ld_out);
    std::vector<float> got;
    std::vector<double> ref;
    int colour_misses = 0;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < ld_out; ++j) {
        const size_t o = size_t(i * ld_out + j);
        if (j >= cols) {  // untouched padding
          EXPECT_EQ(values[o], 5.0f);
          EXPECT_EQ(rgba[o], 7u);
          continue;
        }
        if (masked(i, j)) {
          EXPECT_EQ(values[o], softmax ? 0.0f : -std::numeric_limits<float>::infinity()) << i << "," << j;
          EXPECT_EQ(rgba[o], 0xdeadbeefu);
          continue;
        }
        double expected = logits[size_t(i * cols + j)];
        if (softmax) expected = std::exp(expected - row_max[size_t(i)]) / row_sum[size_t(i)];
        got.push_back(values[o]);
        ref.push_back(expected);
        const double t = std::clamp((expected - cmap.lo) / (cmap.hi - cmap.lo) * 255.0, 0.0, 255.0);
        const int want = int(std::nearbyint(t));
        const int have = int(rgba[o] & 0xff);
        if (std::abs(want - have) > 1) ++colour_misses;
      }
    }
    EXPECT_LE(nmse(got, ref), 1e-7) << "softmax " << softmax;
    EXPECT_EQ(colour_misses, 0) << "softmax " << softmax;
    EXPECT_GT(got.size(), size_t(rows * cols / 3));  // the tile really straddles the diagonal
  }
}



// colorize_row equals colorize of the row with -inf in the masked cells, for every split and
// output alignment, and never reads past num_valid.
TEST_P(KernelTargetTest, ColorizeRowMasksTheTail) {
  std::vector<uint32_t> lut(256);
  for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | (i * 0x010101u);
  const ColorMap cmap{lut.data(), 256, -2.0f, 2.0f, 0xabcdef01u};
  const int64_t len = 77;
  const std::vector<float> values = gaussian(size_t(len), 31);
  for (int64_t valid : {int64_t{0}, int64_t{1}, int64_t{16}, int64_t{40}, len}) {
    for (int64_t misalign : {int64_t{0}, int64_t{3}}) {
      std::vector<float> masked_copy = values;
      for (int64_t j = valid; j < len; ++j) masked_copy[size_t(j)] = -std::numeric_limits<float>::infinity();
      std::vector<uint32_t> expected(static_cast<size_t>(len));
      colorize(masked_copy.data(), len, cmap, expected.data());
      // Values past num_valid are NaN here: they must not be read.
      std::vector<float> poisoned = values;
      for (int64_t j = valid; j < len; ++j) poisoned[size_t(j)] = std::numeric_limits<float>::quiet_NaN();
      std::vector<uint32_t> storage(size_t(len + 8), 0u);
      colorize_row(poisoned.data(), valid, len, cmap, storage.data() + misalign);
      stream_fence();
      for (int64_t j = 0; j < len; ++j) {
        EXPECT_EQ(storage[size_t(misalign + j)], expected[size_t(j)]) << "valid " << valid << " j " << j;
      }
      EXPECT_EQ(storage[size_t(misalign + len)], 0u);
    }
  }
}


// heads x N x d: each head equals the float64 rotation of that head with the shared tables.
TEST_P(KernelTargetTest, RotateHeadsRotatesEveryHeadWithTheSameTables) {
  const int head_dim = 64, pairs = 32;
  const int64_t heads = 3, seq_len = 21;
  const std::vector<double> inv = make_inv_freq(pairs, 10000.0);
  std::vector<double> c_ref(size_t(seq_len * pairs)), s_ref(c_ref.size());
  rope_tables_ref(inv.data(), pairs, 500, seq_len, 1.0, c_ref.data(), s_ref.data());
  const std::vector<float> c(c_ref.begin(), c_ref.end()), s(s_ref.begin(), s_ref.end());
  const std::vector<float> x = gaussian(size_t(heads * seq_len * head_dim), 41);
  for (bool gptj : {false, true}) {
    std::vector<float> out(x.size());
    rotate_heads(x.data(), heads, seq_len, head_dim, head_dim, gptj, c.data(), s.data(), out.data());
    const std::vector<double> xd = to_double(x);
    std::vector<double> ref(x.size());
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t off = h * seq_len * head_dim;
      rotate_rows_ref(xd.data() + off, seq_len, head_dim, head_dim, gptj, c_ref.data(), s_ref.data(), ref.data() + off);
    }
    EXPECT_LE(max_abs_diff(out, ref), 8e-6) << "gptj " << gptj;
  }
}


// The softmax exponential: relative error <= 3e-7 against float64 over [-80, 0], and exactly
// 1 at 0 (the row maximum).
TEST_P(KernelTargetTest, ExpShiftSumIsAccurate) {
  const int64_t n = 4001;
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[size_t(i)] = -80.0f * float(i) / float(n - 1);
  const std::vector<float> original = x;
  const double sum = exp_shift_sum(x.data(), n, 0.0f);
  double worst = 0.0, ref_sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double ref = std::exp(double(original[size_t(i)]));
    ref_sum += ref;
    worst = std::max(worst, std::abs(x[size_t(i)] - ref) / ref);
  }
  EXPECT_LE(worst, 3e-7);
  EXPECT_EQ(x[0], 1.0f);
  EXPECT_NEAR(sum, ref_sum, 1e-6 * ref_sum);
}

// ---- Thread pool (target-independent) ------------------------------------------------------

TEST(KernelThreadPool, RunsEveryIndexOnceOnEveryThreadId) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.num_threads(), 3);
  for (int64_t tasks : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{1000}}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
    std::atomic<int> bad_thread{0};
    pool.parallel_for(tasks, [&](int64_t i, int thread) {
      hits[static_cast<size_t>(i)].fetch_add(1);
      if (thread < 0 || thread >= 3) bad_thread.fetch_add(1);
    });
    for (int64_t i = 0; i < tasks; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
    EXPECT_EQ(bad_thread.load(), 0);
  }
}

// Background priority: a worker runs its tasks at the nice value set for the workers, while the
// calling thread keeps its own; a thread's own setting leaves the other threads as they were.
TEST(KernelThreadPool, WorkersTakeTheirNicenessAndTheCallerKeepsItsOwn) {
#ifndef __linux__
  GTEST_SKIP() << "nice values per thread are Linux's";
#else
  const int caller_nice = ThreadPool::current_thread_niceness();
  const int worker_nice = std::min(caller_nice + 7, 19);
  ThreadPool pool(3);
  pool.set_worker_niceness(worker_nice);
  std::vector<std::atomic<int>> seen(3);
  for (auto& s : seen) s.store(-100);
  pool.parallel_for(60, [&](int64_t, int thread) {
    seen[static_cast<size_t>(thread)].store(ThreadPool::current_thread_niceness());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // every thread gets some tasks
  });
  EXPECT_EQ(seen[0].load(), caller_nice);
  int workers_seen = 0;
  for (size_t t = 1; t < seen.size(); ++t) {
    if (seen[t].load() == -100) continue;
    ++workers_seen;
    EXPECT_EQ(seen[t].load(), worker_nice) << "worker " << t;
  }
  EXPECT_GE(workers_seen, 1);
  EXPECT_EQ(ThreadPool::current_thread_niceness(), caller_nice);

  int in_thread = -100;
  bool applied = false;
  std::thread other([&] {
    applied = ThreadPool::set_current_thread_niceness(worker_nice);
    in_thread = ThreadPool::current_thread_niceness();
  });
  other.join();
  EXPECT_TRUE(applied);
  EXPECT_EQ(in_thread, worker_nice);
  EXPECT_EQ(ThreadPool::current_thread_niceness(), caller_nice);
#endif
}

TEST(KernelThreadPool, NestedLoopsRunSeriallyAndFinish) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(8, [&](int64_t, int) {
    pool.parallel_for(10, [&](int64_t j, int thread) {
      EXPECT_EQ(thread, 0);  // nested: serial on the calling thread
      total.fetch_add(j);
    });
  });
  EXPECT_EQ(total.load(), 8 * 45);
}

TEST(KernelThreadPool, ConcurrentCallersTakeTurns) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 20; ++rep) pool.parallel_for(50, [&](int64_t i, int) { total.fetch_add(i); });
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 3 * 20 * (49 * 50 / 2));
}


TEST(KernelThreadPool, TaskExceptionsReachTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100, [](int64_t i, int) {
                 if (i == 37) throw std::runtime_error("task 37");
               }),
               std::runtime_error);
  std::atomic<int64_t> total{0};
  pool.parallel_for(10, [&](int64_t i, int) { total.fetch_add(i); });
  EXPECT_EQ(total.load(), 45);
}

}  // namespace
}  // namespace rope::core::kernels
