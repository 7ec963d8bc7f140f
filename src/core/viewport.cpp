#include "core/viewport.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/kernels/kernels.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Texel grid over the visible cells.
struct Grid {
  int64_t m0, n0, m1, n1, bh, bw;
  int height, width;
  int64_t row_begin(int64_t ty) const { return m0 + ty * bh; }
  int64_t row_end(int64_t ty) const { return std::min(m1, m0 + (ty + 1) * bh); }
  int64_t col_begin(int64_t tx) const { return n0 + tx * bw; }
  int64_t col_end(int64_t tx) const { return std::min(n1, n0 + (tx + 1) * bw); }
};

Grid make_grid(const ViewportRequest& r) {
  Grid g{};
  g.m0 = std::clamp<int64_t>(r.m0, 0, r.num_q);
  g.m1 = std::clamp<int64_t>(r.m1, g.m0, r.num_q);
  g.n0 = std::clamp<int64_t>(r.n0, 0, r.num_k);
  g.n1 = std::clamp<int64_t>(r.n1, g.n0, r.num_k);
  const int64_t rows = g.m1 - g.m0, cols = g.n1 - g.n0;
  g.bh = std::max<int64_t>(1, ceil_div(rows, std::max(1, r.max_height)));
  g.bw = std::max<int64_t>(1, ceil_div(cols, std::max(1, r.max_width)));
  g.height = static_cast<int>(ceil_div(rows, g.bh));
  g.width = static_cast<int>(ceil_div(cols, g.bw));
  return g;
}

// Number of unmasked cells n <= m (causal) among rows [ma, mb) and columns [na, nb).
int64_t causal_count(int64_t ma, int64_t mb, int64_t na, int64_t nb) {
  int64_t count = 0;
  for (int64_t m = ma; m < mb; ++m) count += std::max<int64_t>(0, std::min(nb, m + 1) - na);
  return count;
}

void finish(ViewportImage& image) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (float v : image.values) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  image.min_value = std::isfinite(lo) ? lo : 0.0f;
  image.max_value = std::isfinite(hi) ? hi : 0.0f;
}

// Logits: exact block means from block sums of encoded rows.
bool logits_bilinear(const RopeFrequencies& f, const Content& content, const ViewportRequest& req, const Grid& g,
                     ViewportImage& image, const ViewportProgress& progress) {
  const int d = f.head_dim;
  const Encoding enc = req.options.encoding;
  const int64_t off = req.options.offset;
  // Block sums (double accumulation) of encoded queries per texel row and keys per texel column.
  RowMatrixF q_sum(g.height, d), k_sum(g.width, d);
  ThreadPool& pool = ThreadPool::shared();
  const auto sum_blocks = [&](bool keys, int count, RowMatrixF& sums) {
    const int64_t block = keys ? g.bw : g.bh;
    std::vector<std::vector<float>> rows(static_cast<size_t>(pool.num_threads()));
    pool.parallel_for(count, [&](int64_t t, int thread) {
      const int64_t r0 = keys ? g.col_begin(t) : g.row_begin(t);
      const int64_t r1 = keys ? g.col_end(t) : g.row_end(t);
      std::vector<float>& buf = rows[static_cast<size_t>(thread)];
      buf.resize(static_cast<size_t>(block * d));
      encode_rows(f, content, enc, off, keys, r0, r1, buf.data());
      for (int i = 0; i < d; ++i) {
        double s = 0.0;
        for (int64_t r = 0; r < r1 - r0; ++r) s += buf[static_cast<size_t>(r * d + i)];
        sums(t, i) = static_cast<float>(s);
      }
    });
  };
  sum_blocks(false, g.height, q_sum);
  if (progress && !progress(0.3)) return false;
  sum_blocks(true, g.width, k_sum);
  if (progress && !progress(0.6)) return false;
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));
  RowMatrixF means = q_sum * k_sum.transpose();
  image.values.assign(static_cast<size_t>(g.height) * static_cast<size_t>(g.width), 0.0f);
  const bool causal = req.options.causal;
  pool.parallel_for(g.height, [&](int64_t ty, int) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    std::vector<float> kbuf, qbuf;
    for (int64_t tx = 0; tx < g.width; ++tx) {
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      float& out = image.values[static_cast<size_t>(ty * g.width + tx)];
      if (!causal || nb - 1 <= ma) {
        out = means(ty, tx) * inv_sqrt_d / static_cast<float>((mb - ma) * (nb - na));
        continue;
      }
      if (na > mb - 1) {
        out = kNaN;
        continue;
      }
      // Cut by the diagonal: sum over rows of <q_m, sum of keys n in [na, min(nb, m + 1))>.
      kbuf.resize(static_cast<size_t>((nb - na) * d));
      qbuf.resize(static_cast<size_t>((mb - ma) * d));
      encode_rows(f, content, enc, off, true, na, nb, kbuf.data());
      encode_rows(f, content, enc, off, false, ma, mb, qbuf.data());
      std::vector<double> prefix_d(static_cast<size_t>(d), 0.0);
      int64_t next_key = na;
      double total = 0.0;
      for (int64_t m = ma; m < mb; ++m) {
        const int64_t end = std::min(nb, m + 1);
        for (; next_key < end; ++next_key) {
          const float* k = kbuf.data() + (next_key - na) * d;
          for (int i = 0; i < d; ++i) prefix_d[static_cast<size_t>(i)] += k[i];
        }
        if (end <= na) continue;
        const float* q = qbuf.data() + (m - ma) * d;
        for (int i = 0; i < d; ++i) total += static_cast<double>(q[i]) * prefix_d[static_cast<size_t>(i)];
      }
      out = static_cast<float>(total / static_cast<double>(causal_count(ma, mb, na, nb))) * inv_sqrt_d;
    }
  });
  return true;
}

// Softmax of position-invariant content: l(m, n) = f(m - n).
bool softmax_distance(const RopeFrequencies& fr, const Content& content, const ViewportRequest& req, const Grid& g,
                      ViewportImage& image, const ViewportProgress& progress) {
  const int d = fr.head_dim;
  const int64_t r_min = -(req.num_k - 1), r_max = req.num_q - 1;
  const int64_t span = r_max - r_min + 1;
  std::vector<double> f(static_cast<size_t>(span));
  {
    // f(r) = <enc_q(r), enc_k(0)> for r >= 0 and <enc_q(0), enc_k(-r)> for r < 0 (positions relative).
    std::vector<float> q0(static_cast<size_t>(d)), k0(static_cast<size_t>(d));
    encode_rows(fr, content, req.options.encoding, 0, false, 0, 1, q0.data());
    encode_rows(fr, content, req.options.encoding, 0, true, 0, 1, k0.data());
    const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
    constexpr int64_t kChunk = 4096;
    std::vector<float> buf(static_cast<size_t>(kChunk * d));
    for (int side = 0; side < 2; ++side) {
      const bool keys = side == 1;
      const int64_t count = keys ? req.num_k : req.num_q;
      const float* other = keys ? q0.data() : k0.data();
      for (int64_t c0 = 0; c0 < count; c0 += kChunk) {
        const int64_t c1 = std::min(count, c0 + kChunk);
        encode_rows(fr, content, req.options.encoding, 0, keys, c0, c1, buf.data());
        for (int64_t p = c0; p < c1; ++p) {
          double dot = 0.0;
          const float* row = buf.data() + (p - c0) * d;
          for (int i = 0; i < d; ++i) dot += static_cast<double>(row[i]) * other[i];
          const int64_t r = keys ? -p : p;
          f[static_cast<size_t>(r - r_min)] = dot * inv_sqrt_d;
        }
      }
    }
  }
  if (progress && !progress(0.2)) return false;
  const double c = *std::max_element(f.begin(), f.end());
  std::vector<double> prefix(static_cast<size_t>(span) + 1, 0.0);
  for (int64_t i = 0; i < span; ++i) prefix[static_cast<size_t>(i + 1)] = prefix[static_cast<size_t>(i)] + std::exp(f[static_cast<size_t>(i)] - c);
  // Sum of exp(f(r) - c) for r in [lo, hi].
  const auto range_sum = [&](int64_t lo, int64_t hi) {
    if (hi < lo) return 0.0;
    return prefix[static_cast<size_t>(hi - r_min + 1)] - prefix[static_cast<size_t>(lo - r_min)];
  };
  const bool causal = req.options.causal;
  // Last valid key column of row m.
  const auto last_col = [&](int64_t m) { return causal ? std::min(m, req.num_k - 1) : req.num_k - 1; };
  image.values.assign(static_cast<size_t>(g.height) * static_cast<size_t>(g.width), 0.0f);
  ThreadPool::shared().parallel_for(g.height, [&](int64_t ty, int) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    std::vector<double> weight(static_cast<size_t>(mb - ma));
    for (int64_t m = ma; m < mb; ++m) weight[static_cast<size_t>(m - ma)] = 1.0 / range_sum(m - last_col(m), m);
    for (int64_t tx = 0; tx < g.width; ++tx) {
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      double total = 0.0;
      int64_t count = 0;
      for (int64_t m = ma; m < mb; ++m) {
        const int64_t hi_col = std::min(nb - 1, last_col(m));
        if (hi_col < na) continue;
        total += weight[static_cast<size_t>(m - ma)] * range_sum(m - hi_col, m - na);
        count += hi_col - na + 1;
      }
      image.values[static_cast<size_t>(ty * g.width + tx)] =
          count ? static_cast<float>(total / static_cast<double>(count)) : kNaN;
    }
  });
  return true;
}

// Softmax of general content: every cell of the visible blocks, with exact whole-row statistics.
bool softmax_cells(const RopeFrequencies& f, const Content& content, const ViewportRequest& req, const Grid& g,
                   ViewportImage& image, const ViewportProgress& progress) {
  image.values.assign(static_cast<size_t>(g.height) * static_cast<size_t>(g.width), 0.0f);
  std::vector<double> sums(static_cast<size_t>(g.width));
  std::vector<int64_t> counts(static_cast<size_t>(g.width));
  constexpr int64_t kColumnChunk = 8192;
  std::vector<float> block;
  for (int64_t ty = 0; ty < g.height; ++ty) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    const RowStats stats = softmax_row_stats(f, content, req.options, ma, mb, req.num_k);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (int64_t c0 = g.n0; c0 < g.n1; c0 += kColumnChunk) {
      const int64_t c1 = std::min(g.n1, c0 + kColumnChunk);
      Block b{ma, mb, c0, c1};
      block.resize(static_cast<size_t>(b.rows() * b.cols()));
      softmax_block(f, content, req.options, b, stats, block.data());
      for (int64_t m = ma; m < mb; ++m) {
        const int64_t end = req.options.causal ? std::min(c1, m + 1) : c1;
        for (int64_t n = c0; n < end; ++n) {
          const size_t tx = static_cast<size_t>((n - g.n0) / g.bw);
          sums[tx] += block[static_cast<size_t>((m - ma) * b.cols() + (n - c0))];
          counts[tx] += 1;
        }
      }
    }
    for (int64_t tx = 0; tx < g.width; ++tx) {
      image.values[static_cast<size_t>(ty * g.width + tx)] =
          counts[static_cast<size_t>(tx)] ? static_cast<float>(sums[static_cast<size_t>(tx)] / counts[static_cast<size_t>(tx)]) : kNaN;
    }
    if (progress && !progress(static_cast<double>(ty + 1) / g.height)) return false;
  }
  return true;
}

}  // namespace

std::string_view describe(ViewportMethod method) {
  switch (method) {
    case ViewportMethod::kExactCells: return "exact cells";
    case ViewportMethod::kBlockMeanBilinear: return "exact block mean (block sums of encoded q, k)";
    case ViewportMethod::kBlockMeanDistance: return "exact block mean (from f(m-n))";
    case ViewportMethod::kBlockMeanCells: return "exact block mean (every cell computed)";
  }
  return "";
}

void encode_rows(const RopeFrequencies& f, const Content& content, Encoding encoding, int64_t offset, bool keys,
                 int64_t row0, int64_t row1, float* out) {
  const int d = f.head_dim;
  const int64_t n = row1 - row0;
  if (n <= 0) return;
  if (keys) {
    content.keys(row0, row1, out);
  } else {
    content.queries(row0, row1, out);
  }
  if (encoding == Encoding::kNone) return;
  if (encoding == Encoding::kRope) {
    const int pairs = f.rotary_dim / 2;
    std::vector<float> cos_tab(static_cast<size_t>(n * pairs)), sin_tab(static_cast<size_t>(n * pairs));
    kernels::rope_tables(f.inv_freq.data(), pairs, offset + row0, n, f.attention_factor, cos_tab.data(), sin_tab.data());
    kernels::rotate_rows(out, n, d, f.rotary_dim, f.layout == Layout::kGptj, cos_tab.data(), sin_tab.data(), out);
    return;
  }
  // Sinusoidal: PE[p][2i] = sin(p w_i), PE[p][2i+1] = cos(p w_i), w_i = base^(-2i/d).
  const int half = (d + 1) / 2;
  std::vector<double> w(static_cast<size_t>(half));
  for (int i = 0; i < half; ++i) w[static_cast<size_t>(i)] = std::pow(f.base, -2.0 * i / d);
  std::vector<float> cos_tab(static_cast<size_t>(n * half)), sin_tab(static_cast<size_t>(n * half));
  kernels::rope_tables(w.data(), half, offset + row0, n, 1.0, cos_tab.data(), sin_tab.data());
  for (int64_t r = 0; r < n; ++r) {
    float* row = out + r * d;
    for (int i = 0; i < half; ++i) {
      row[2 * i] += sin_tab[static_cast<size_t>(r * half + i)];
      if (2 * i + 1 < d) row[2 * i + 1] += cos_tab[static_cast<size_t>(r * half + i)];
    }
  }
}

ViewportImage compute_viewport(const RopeFrequencies& freqs, const Content& content, const ViewportRequest& req,
                               const ViewportProgress& progress) {
  if (req.num_q < 1 || req.num_k < 1 || req.num_q > kMaxSeqLen || req.num_k > kMaxSeqLen) {
    throw RopeError("viewport: matrix size must be in [1, 2^24]");
  }
  if (content.head_dim() != freqs.head_dim) throw RopeError("viewport: content head_dim does not match the config");
  if (req.max_width < 1 || req.max_height < 1 || req.max_width > 16384 || req.max_height > 16384) {
    throw RopeError("viewport: texel budget must be in [1, 16384] per side");
  }
  const Grid g = make_grid(req);
  ViewportImage image;
  image.width = g.width;
  image.height = g.height;
  image.m0 = g.m0;
  image.m1 = g.m1;
  image.n0 = g.n0;
  image.n1 = g.n1;
  image.rows_per_texel = g.bh;
  image.cols_per_texel = g.bw;
  if (g.height == 0 || g.width == 0) return image;
  const bool exact = g.bh == 1 && g.bw == 1;
  if (req.value == HeatmapValue::kLogits) {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanBilinear;
    image.complete = logits_bilinear(freqs, content, req, g, image, progress);
  } else if (content.is_position_invariant() && req.options.encoding != Encoding::kSinusoidal) {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanDistance;
    image.complete = softmax_distance(freqs, content, req, g, image, progress);
  } else {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanCells;
    image.complete = softmax_cells(freqs, content, req, g, image, progress);
  }
  finish(image);
  return image;
}

}  // namespace rope::core
