#include "core/viewport.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "core/encoding.h"
#include "core/error.h"
#include "core/kernels/kernels.h"
#include "core/kernels/viewport_kernels.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

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

// Rows summed in float64 between checkpoints kept every kCheckpoint rows.
constexpr int64_t kCheckpoint = 8;
constexpr int64_t kEncodeChunk = 1024;

struct EncodedRows {
  int d = 0;
  int64_t n = 0;
  std::vector<float> rows;          // n x d
  std::vector<double> checkpoints;  // (n / kCheckpoint + 1) x d: sums of rows [0, c * kCheckpoint)

  size_t bytes() const { return rows.size() * sizeof(float) + checkpoints.size() * sizeof(double); }
  const float* row(int64_t r) const { return rows.data() + r * d; }

  // out = sum of rows [0, end), from the nearest checkpoint (at most kCheckpoint / 2 rows away).
  void prefix(int64_t end, double* out) const {
    int64_t c = (end + kCheckpoint / 2) / kCheckpoint;
    if (c * kCheckpoint > n) c = end / kCheckpoint;
    const double* base = checkpoints.data() + c * d;
    for (int i = 0; i < d; ++i) out[i] = base[i];
    for (int64_t r = c * kCheckpoint; r < end; ++r) {
      const float* x = row(r);
      for (int i = 0; i < d; ++i) out[i] += x[i];
    }
    for (int64_t r = end; r < c * kCheckpoint; ++r) {
      const float* x = row(r);
      for (int i = 0; i < d; ++i) out[i] -= x[i];
    }
  }
  // out = sum of rows [a, b).
  void sum(int64_t a, int64_t b, double* out, double* scratch) const {
    if (b - a <= kCheckpoint) {
      for (int i = 0; i < d; ++i) out[i] = 0.0;
      for (int64_t r = a; r < b; ++r) {
        const float* x = row(r);
        for (int i = 0; i < d; ++i) out[i] += x[i];
      }
      return;
    }
    prefix(b, out);
    prefix(a, scratch);
    for (int i = 0; i < d; ++i) out[i] -= scratch[i];
  }
};

struct EntryKey {
  int head_dim = 0, rotary_dim = 0;
  Layout layout = Layout::kNeox;
  double base = 0.0, attention_factor = 0.0;
  std::vector<double> inv_freq;
  ContentKind kind = ContentKind::kConstant;
  uint64_t seed = 0;
  Encoding encoding = Encoding::kRope;
  int64_t offset = 0, num_q = 0, num_k = 0;
  bool causal = false;  // softmax entries only
  bool operator==(const EntryKey&) const = default;
};

EntryKey make_key(const RopeFrequencies& f, const Content& c, const ViewportRequest& r, bool with_causal) {
  EntryKey k;
  k.head_dim = f.head_dim;
  k.rotary_dim = f.rotary_dim;
  k.layout = f.layout;
  k.base = f.base;
  k.attention_factor = f.attention_factor;
  k.inv_freq = f.inv_freq;
  k.kind = c.kind();
  k.seed = c.seed();
  k.encoding = r.options.encoding;
  k.offset = r.options.offset;
  k.num_q = r.num_q;
  k.num_k = r.num_k;
  k.causal = with_causal && r.options.causal;
  return k;
}

struct LogitsEntry {
  EntryKey key;
  EncodedRows q, k;
  // diag[m] = sum over m' < m of <q_m', k_0 + ... + k_min(m', num_k - 1)>, for cells cut by the diagonal.
  std::vector<double> diag;
  size_t bytes() const { return q.bytes() + k.bytes() + diag.size() * sizeof(double); }
};

struct SoftmaxDistanceEntry {
  EntryKey key;
  int64_t r_min = 0;
  std::vector<double> prefix;  // prefix sums of exp(f(r) - c), r from r_min
  std::vector<double> weight;  // per query row: 1 / sum of exp(f - c) over the row's valid columns
  size_t bytes() const { return (prefix.size() + weight.size()) * sizeof(double); }
};

// Chunks of kEncodeChunk rows encoded between two progress reports (a few ms): a newer request
// cancels a cache build within that.
constexpr int64_t kChunksPerReport = 16;

// Fills q (and k) rows for positions [0, n) in parallel chunks; rope tables are shared by both
// sides. Reports progress in [0, 1) on the calling thread between batches of chunks; returns false
// when it cancels (the rows are then incomplete).
bool encode_all(const RopeFrequencies& f, const Content& content, Encoding enc, int64_t offset, EncodedRows* q,
                EncodedRows* k, const ViewportProgress& progress) {
  const int d = f.head_dim;
  const int64_t nq = q ? q->n : 0, nk = k ? k->n : 0;
  const int64_t n = std::max(nq, nk);
  if (q) q->rows.resize(static_cast<size_t>(nq * d));
  if (k) k->rows.resize(static_cast<size_t>(nk * d));
  ThreadPool& pool = ThreadPool::shared();
  const int64_t chunks = ceil_div(n, kEncodeChunk);
  for (int64_t first = 0; first < chunks; first += kChunksPerReport) {
    if (progress && !progress(0.9 * static_cast<double>(first) / static_cast<double>(chunks))) return false;
    pool.parallel_for(std::min(kChunksPerReport, chunks - first), [&](int64_t i, int) {
      const int64_t r0 = (first + i) * kEncodeChunk, r1 = std::min(n, r0 + kEncodeChunk);
      if (q && r0 < nq) encode_rows(f, content, enc, offset, false, r0, std::min(r1, nq), q->rows.data() + r0 * d);
      if (k && r0 < nk) encode_rows(f, content, enc, offset, true, r0, std::min(r1, nk), k->rows.data() + r0 * d);
    });
  }
  if (progress && !progress(0.9)) return false;
  for (EncodedRows* e : {q, k}) {
    if (!e) continue;
    const int64_t blocks = e->n / kCheckpoint;
    e->checkpoints.assign(static_cast<size_t>((blocks + 1) * d), 0.0);
    // Block sums in parallel, then a running sum over blocks.
    pool.parallel_for(ceil_div(blocks, 256), [&](int64_t part, int) {
      for (int64_t c = part * 256; c < std::min(blocks, (part + 1) * 256); ++c) {
        double* out = e->checkpoints.data() + (c + 1) * d;
        for (int64_t r = c * kCheckpoint; r < (c + 1) * kCheckpoint; ++r) {
          const float* x = e->row(r);
          for (int i = 0; i < d; ++i) out[i] += x[i];
        }
      }
    });
    for (int64_t c = 1; c <= blocks; ++c) {
      double* cur = e->checkpoints.data() + c * d;
      const double* prev = cur - d;
      for (int i = 0; i < d; ++i) cur[i] += prev[i];
    }
  }
  return true;
}

void build_diag(LogitsEntry& e) {
  const int d = e.q.d;
  const int64_t nq = e.q.n, nk = e.k.n;
  e.diag.assign(static_cast<size_t>(nq + 1), 0.0);
  ThreadPool& pool = ThreadPool::shared();
  const int64_t chunks = ceil_div(nq, kEncodeChunk);
  std::vector<double> chunk_total(static_cast<size_t>(chunks), 0.0);
  pool.parallel_for(chunks, [&](int64_t chunk, int) {
    const int64_t m0 = chunk * kEncodeChunk, m1 = std::min(nq, m0 + kEncodeChunk);
    std::vector<double> running(static_cast<size_t>(d));
    int64_t have = std::min(m0, nk);  // running = k_0 + ... + k_(have - 1)
    e.k.prefix(have, running.data());
    double acc = 0.0;
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t want = std::min(m + 1, nk);
      for (; have < want; ++have) {
        const float* x = e.k.row(have);
        for (int i = 0; i < d; ++i) running[static_cast<size_t>(i)] += x[i];
      }
      const float* qm = e.q.row(m);
      double dot = 0.0;
      for (int i = 0; i < d; ++i) dot += static_cast<double>(qm[i]) * running[static_cast<size_t>(i)];
      acc += dot;
      e.diag[static_cast<size_t>(m + 1)] = acc;  // chunk-local for now
    }
    chunk_total[static_cast<size_t>(chunk)] = acc;
  });
  double carry = 0.0;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t m0 = chunk * kEncodeChunk, m1 = std::min(nq, m0 + kEncodeChunk);
    for (int64_t m = m0; m < m1; ++m) e.diag[static_cast<size_t>(m + 1)] += carry;
    carry += chunk_total[static_cast<size_t>(chunk)];
  }
}

// The sum of the logits <q_m, k_n> over the unmasked cells of a texel cut by the causal diagonal
// (texel row ty, column tx), before dividing by the count and sqrt(head_dim).
using CutTotal = std::function<double(int64_t ty, int64_t tx)>;

// Logits: exact block means from the block sums q_sum (height x d) and k_sum (width x d) of the
// encoded rows; texels cut by the causal diagonal come from cut_total.
void texel_means(const float* q_sum, const float* k_sum, int d, const ViewportRequest& req, const Grid& g,
                 const CutTotal& cut_total, ViewportImage& image) {
  ThreadPool& pool = ThreadPool::shared();
  // Texel GEMM on the runtime-dispatched score kernel, in bands of texel rows over the pool.
  std::vector<float> packed(static_cast<size_t>(kernels::packed_keys_size(g.width, d)));
  kernels::pack_keys(k_sum, g.width, d, packed.data());
  image.values.resize(static_cast<size_t>(g.height) * static_cast<size_t>(g.width));
  const int64_t band = 32;
  const bool causal = req.options.causal;
  pool.parallel_for(ceil_div(g.height, band), [&](int64_t b, int) {
    const int64_t y0 = b * band, rows = std::min<int64_t>(band, g.height - y0);
    // Causal: texel columns starting after the band's last row are fully masked (set below).
    const int64_t cols = causal ? std::min<int64_t>(g.width, (g.row_end(y0 + rows - 1) - 1 - g.n0) / g.bw + 1) : g.width;
    if (cols <= 0) return;
    kernels::score_block_packed(q_sum + y0 * d, rows, d, packed.data(), cols, 1.0f, -1,
                                image.values.data() + y0 * g.width, g.width);
  });
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  pool.parallel_for(g.height, [&](int64_t ty, int) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    for (int64_t tx = 0; tx < g.width; ++tx) {
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      float& out = image.values[static_cast<size_t>(ty * g.width + tx)];
      if (!causal || nb - 1 <= ma) {
        out = static_cast<float>(out * inv_sqrt_d / static_cast<double>((mb - ma) * (nb - na)));
      } else if (na > mb - 1) {
        out = kNaN;
      } else {
        out = static_cast<float>(cut_total(ty, tx) / static_cast<double>(causal_count(ma, mb, na, nb)) * inv_sqrt_d);
      }
    }
  });
}

// Logits: exact block means from block sums of encoded rows.
void logits_bilinear(const LogitsEntry& e, const ViewportRequest& req, const Grid& g, ViewportImage& image) {
  const int d = e.q.d;
  ThreadPool& pool = ThreadPool::shared();
  std::vector<float> q_sum(static_cast<size_t>(g.height) * d), k_sum(static_cast<size_t>(g.width) * d);
  const auto sums = [&](const EncodedRows& rows, bool keys, int count, std::vector<float>& out) {
    pool.parallel_for(count, [&](int64_t t, int) {
      std::vector<double> acc(static_cast<size_t>(d)), scratch(static_cast<size_t>(d));
      const int64_t a = keys ? g.col_begin(t) : g.row_begin(t), b = keys ? g.col_end(t) : g.row_end(t);
      rows.sum(a, b, acc.data(), scratch.data());
      for (int i = 0; i < d; ++i) out[static_cast<size_t>(t * d + i)] = static_cast<float>(acc[static_cast<size_t>(i)]);
    });
  };
  sums(e.q, false, g.height, q_sum);
  sums(e.k, true, g.width, k_sum);
  texel_means(q_sum.data(), k_sum.data(), d, req, g, [&](int64_t ty, int64_t tx) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty), na = g.col_begin(tx), nb = g.col_end(tx);
    std::vector<double> qa(static_cast<size_t>(d)), qb(static_cast<size_t>(d)), pk(static_cast<size_t>(d)),
        scratch(static_cast<size_t>(d));
    // Cut by the diagonal: rows m in [a, mb) with a = max(ma, na) see keys [na, min(nb, m + 1)).
    //   sum = sum_{m in [a, min(mb, nb))} <q_m, P(m + 1)> + <Q[max(a, nb), mb), P(nb)> - <Q[a, mb), P(na)>
    // with P(x) = k_0 + ... + k_(x-1) and diag holding the first term's prefix sums.
    const int64_t a = std::max(ma, na), split = std::min(mb, nb);
    double total = e.diag[static_cast<size_t>(split)] - e.diag[static_cast<size_t>(a)];
    if (mb > nb) {
      e.q.sum(std::max(a, nb), mb, qb.data(), scratch.data());
      e.k.prefix(nb, pk.data());
      for (int i = 0; i < d; ++i) total += qb[static_cast<size_t>(i)] * pk[static_cast<size_t>(i)];
    }
    e.q.sum(a, mb, qa.data(), scratch.data());
    e.k.prefix(na, pk.data());
    for (int i = 0; i < d; ++i) total -= qa[static_cast<size_t>(i)] * pk[static_cast<size_t>(i)];
    return total;
  }, image);
}

// Encodes chunks of rows with tables shared by the queries and keys at the same positions, in
// scratch kept by one thread (no allocation per chunk).
class ChunkEncoder {
 public:
  ChunkEncoder(const RopeFrequencies& f, const Content& content, Encoding enc, int64_t offset, const double* w)
      : f_(f), content_(content), enc_(enc), offset_(offset), w_(w) {
    const size_t pairs = static_cast<size_t>(kEncodeChunk) * static_cast<size_t>(encoding_table_pairs(f, enc));
    cos_.resize(pairs);
    sin_.resize(pairs);
    q_.resize(static_cast<size_t>(kEncodeChunk * f.head_dim));
    k_.resize(q_.size());
  }
  // Tables for rows [r0, r0 + n), n <= kEncodeChunk.
  void tables(int64_t r0, int64_t n) { encoding_tables(f_, enc_, offset_ + r0, n, cos_.data(), sin_.data(), w_); }
  // The encoded queries (keys) of those rows.
  const float* rows(bool keys, int64_t r0, int64_t n) {
    std::vector<float>& out = keys ? k_ : q_;
    if (keys) content_.keys(r0, r0 + n, out.data());
    else content_.queries(r0, r0 + n, out.data());
    apply_encoding(f_, enc_, out.data(), n, out.data(), cos_.data(), sin_.data());
    return out.data();
  }

 private:
  const RopeFrequencies& f_;
  const Content& content_;
  Encoding enc_;
  int64_t offset_;
  const double* w_;
  std::vector<float> cos_, sin_, q_, k_;
};

void add_rows(const float* x, int64_t n, int d, double* acc) {
  for (int64_t r = 0; r < n; ++r)
    for (int i = 0; i < d; ++i) acc[i] += x[r * d + i];
}

// <q, x> in float64 over eight independent partial sums (one chain of d dependent adds was most
// of a preview's time).
double dot_f64(const float* q, const double* x, int d) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= d; i += 8)
    for (int j = 0; j < 8; ++j) part[j] += static_cast<double>(q[i + j]) * x[i + j];
  double total = 0.0;
  for (; i < d; ++i) total += static_cast<double>(q[i]) * x[i];
  for (double p : part) total += p;
  return total;
}

// Logits without keeping rows: each texel row's queries and each texel column's keys are encoded
// chunk by chunk and summed at once (float64). A texel column over the same cells as a texel row
// (the blocks on the diagonal of a square window) is encoded with that row, from the same tables,
// and its cut by the causal diagonal summed there: sum over m of <q_m, k_ma + ... + k_m>. Other
// cut texels encode their keys once more. Time O((rows + columns) d), memory O(texels d).
void logits_streamed(const RopeFrequencies& f, const Content& content, const ViewportRequest& req, const Grid& g,
                     ViewportImage& image) {
  const int d = f.head_dim;
  const bool causal = req.options.causal;
  const std::vector<double> w =
      req.options.encoding == Encoding::kSinusoidal ? sinusoid_inv_freq(f.head_dim, f.base) : std::vector<double>();
  ThreadPool& pool = ThreadPool::shared();
  std::vector<std::unique_ptr<ChunkEncoder>> encoders(static_cast<size_t>(pool.num_threads()));
  const auto encoder = [&](int thread) -> ChunkEncoder& {
    auto& e = encoders[static_cast<size_t>(thread)];
    if (!e) e = std::make_unique<ChunkEncoder>(f, content, req.options.encoding, req.options.offset, w.data());
    return *e;
  };
  std::vector<double> q_acc(static_cast<size_t>(g.height) * d, 0.0), k_acc(static_cast<size_t>(g.width) * d, 0.0);
  // The texel column over the same cells as texel row ty, or -1.
  const auto same_cells = [&](int64_t ty) -> int64_t {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    if (ma < g.n0 || (ma - g.n0) % g.bw != 0) return -1;
    const int64_t tx = (ma - g.n0) / g.bw;
    return tx < g.width && g.col_end(tx) == mb ? tx : -1;
  };
  std::vector<int64_t> col_with_row(static_cast<size_t>(g.width), -1);
  for (int64_t ty = 0; ty < g.height; ++ty)
    if (const int64_t tx = same_cells(ty); tx >= 0) col_with_row[static_cast<size_t>(tx)] = ty;
  // Per texel row: the totals of its cut texels (column, total).
  std::vector<std::vector<std::pair<int64_t, double>>> cut(static_cast<size_t>(g.height));
  pool.parallel_for(g.height + g.width, [&](int64_t t, int thread) {
    ChunkEncoder& enc = encoder(thread);
    if (t >= g.height) {
      const int64_t tx = t - g.height;
      if (col_with_row[static_cast<size_t>(tx)] >= 0) return;  // encoded with its row
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      for (int64_t c0 = na; c0 < nb; c0 += kEncodeChunk) {
        const int64_t n = std::min(kEncodeChunk, nb - c0);
        enc.tables(c0, n);
        add_rows(enc.rows(true, c0, n), n, d, k_acc.data() + tx * d);
      }
      return;
    }
    const int64_t ty = t, ma = g.row_begin(ty), mb = g.row_end(ty);
    const int64_t same = same_cells(ty);
    double* q_sum = q_acc.data() + ty * d;
    std::vector<double> running(static_cast<size_t>(d), 0.0);
    double same_total = 0.0;
    for (int64_t c0 = ma; c0 < mb; c0 += kEncodeChunk) {
      const int64_t n = std::min(kEncodeChunk, mb - c0);
      enc.tables(c0, n);
      const float* q = enc.rows(false, c0, n);
      add_rows(q, n, d, q_sum);
      if (same < 0) continue;
      const float* k = enc.rows(true, c0, n);
      add_rows(k, n, d, k_acc.data() + same * d);
      if (!causal) continue;
      for (int64_t r = 0; r < n; ++r) {
        add_rows(k + r * d, 1, d, running.data());
        same_total += dot_f64(q + r * d, running.data(), d);
      }
    }
    if (!causal) return;
    for (int64_t tx = 0; tx < g.width; ++tx) {
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      if (!(nb - 1 > ma && na <= mb - 1)) continue;  // not cut by the diagonal
      if (tx == same) {
        cut[static_cast<size_t>(ty)].emplace_back(tx, same_total);
        continue;
      }
      // Rows m in [max(ma, na), mb) see keys [na, min(nb, m + 1)): keys encoded once more, then
      // the rows' queries again, chunk by chunk.
      const int64_t k_end = std::min(nb, mb);
      std::vector<float> keys(static_cast<size_t>((k_end - na) * d));
      for (int64_t c0 = na; c0 < k_end; c0 += kEncodeChunk) {
        const int64_t n = std::min(kEncodeChunk, k_end - c0);
        enc.tables(c0, n);
        std::copy_n(enc.rows(true, c0, n), n * d, keys.data() + (c0 - na) * d);
      }
      std::fill(running.begin(), running.end(), 0.0);
      int64_t have = na;  // running = k_na + ... + k_(have - 1)
      double total = 0.0;
      for (int64_t c0 = std::max(ma, na); c0 < mb; c0 += kEncodeChunk) {
        const int64_t n = std::min(kEncodeChunk, mb - c0);
        enc.tables(c0, n);
        const float* q = enc.rows(false, c0, n);
        for (int64_t r = 0; r < n; ++r) {
          for (const int64_t want = std::min(nb, c0 + r + 1); have < want; ++have)
            add_rows(keys.data() + (have - na) * d, 1, d, running.data());
          total += dot_f64(q + r * d, running.data(), d);
        }
      }
      cut[static_cast<size_t>(ty)].emplace_back(tx, total);
    }
  });
  std::vector<float> q_sum(q_acc.begin(), q_acc.end()), k_sum(k_acc.begin(), k_acc.end());
  texel_means(q_sum.data(), k_sum.data(), d, req, g, [&](int64_t ty, int64_t tx) {
    for (const auto& [col, total] : cut[static_cast<size_t>(ty)])
      if (col == tx) return total;
    return 0.0;
  }, image);
}

void build_softmax_distance(const RopeFrequencies& fr, const Content& content, const ViewportRequest& req,
                            SoftmaxDistanceEntry& e) {
  const int d = fr.head_dim;
  const int64_t r_min = -(req.num_k - 1), r_max = req.num_q - 1;
  const int64_t span = r_max - r_min + 1;
  e.r_min = r_min;
  std::vector<double> f(static_cast<size_t>(span));
  // f(r) = <enc_q(r), enc_k(0)> for r >= 0 and <enc_q(0), enc_k(-r)> for r < 0 (relative positions).
  std::vector<float> q0(static_cast<size_t>(d)), k0(static_cast<size_t>(d));
  encode_rows(fr, content, req.options.encoding, 0, false, 0, 1, q0.data());
  encode_rows(fr, content, req.options.encoding, 0, true, 0, 1, k0.data());
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  const int64_t q_chunks = ceil_div(req.num_q, kEncodeChunk), k_chunks = ceil_div(req.num_k, kEncodeChunk);
  ThreadPool::shared().parallel_for(q_chunks + k_chunks, [&](int64_t chunk, int) {
    const bool keys = chunk >= q_chunks;
    const int64_t c0 = (keys ? chunk - q_chunks : chunk) * kEncodeChunk;
    const int64_t c1 = std::min(keys ? req.num_k : req.num_q, c0 + kEncodeChunk);
    std::vector<float> buf(static_cast<size_t>((c1 - c0) * d));
    encode_rows(fr, content, req.options.encoding, 0, keys, c0, c1, buf.data());
    const float* other = keys ? q0.data() : k0.data();
    for (int64_t p = c0; p < c1; ++p) {
      double dot = 0.0;
      const float* row = buf.data() + (p - c0) * d;
      for (int i = 0; i < d; ++i) dot += static_cast<double>(row[i]) * other[i];
      if (keys && p == 0) continue;  // r = 0 comes from the query side
      f[static_cast<size_t>((keys ? -p : p) - r_min)] = dot * inv_sqrt_d;
    }
  });
  const double c = *std::max_element(f.begin(), f.end());
  e.prefix.assign(static_cast<size_t>(span) + 1, 0.0);
  for (int64_t i = 0; i < span; ++i) {
    e.prefix[static_cast<size_t>(i + 1)] = e.prefix[static_cast<size_t>(i)] + std::exp(f[static_cast<size_t>(i)] - c);
  }
  e.weight.resize(static_cast<size_t>(req.num_q));
  for (int64_t m = 0; m < req.num_q; ++m) {
    const int64_t last = req.options.causal ? std::min(m, req.num_k - 1) : req.num_k - 1;
    const double row_sum = e.prefix[static_cast<size_t>(m - r_min + 1)] - e.prefix[static_cast<size_t>(m - last - r_min)];
    e.weight[static_cast<size_t>(m)] = 1.0 / row_sum;
  }
}

// Softmax of position-invariant content: l(m, n) = f(m - n).
void softmax_distance(const SoftmaxDistanceEntry& e, const ViewportRequest& req, const Grid& g, ViewportImage& image) {
  const bool causal = req.options.causal;
  const int64_t r_min = e.r_min;
  const double* prefix = e.prefix.data();
  const double* weight = e.weight.data();
  // sum of exp(f(r) - c) for r in [lo, hi]
  const auto range_sum = [&](int64_t lo, int64_t hi) {
    return hi < lo ? 0.0 : prefix[hi - r_min + 1] - prefix[lo - r_min];
  };
  image.values.assign(static_cast<size_t>(g.height) * static_cast<size_t>(g.width), 0.0f);
  ThreadPool::shared().parallel_for(g.height, [&](int64_t ty, int) {
    const int64_t ma = g.row_begin(ty), mb = g.row_end(ty);
    // corr[j] = sum over rows m in [ma, mb) of weight[m] * prefix[m - boundary_j - r_min + 1]
    // for column boundaries n0, n0 + bw, ..., n1: full texels are differences of neighbours.
    // Causal: texel columns starting after the block's first row are cut or masked and do not use
    // corr, so only boundaries up to the last fully visible column are needed.
    const int64_t full_cols = causal ? std::clamp<int64_t>((ma - g.n0) / g.bw + 1, 0, g.width) : g.width;
    std::vector<double> corr(static_cast<size_t>(g.width) + 1);
    const double* p0 = prefix + ma + 1 - g.n0 - r_min;  // p0[i - j * bw] for row ma + i, boundary j
    const int64_t boundaries = std::min<int64_t>(full_cols + 1, g.width);
    kernels::strided_correlation_f64(weight + ma, mb - ma, p0, g.bw, boundaries, corr.data());
    if (full_cols == g.width) {
      corr[static_cast<size_t>(g.width)] = kernels::dot_f64(weight + ma, prefix + ma + 1 - g.n1 - r_min, mb - ma);
    }
    for (int64_t tx = 0; tx < g.width; ++tx) {
      const int64_t na = g.col_begin(tx), nb = g.col_end(tx);
      float& out = image.values[static_cast<size_t>(ty * g.width + tx)];
      if (!causal || nb - 1 <= ma) {
        // Every row of the block sees all of [na, nb): sum_m w_m (P(m - na) - P(m - nb)).
        const double total = corr[static_cast<size_t>(tx)] - corr[static_cast<size_t>(tx + 1)];
        out = static_cast<float>(total / static_cast<double>((mb - ma) * (nb - na)));
        continue;
      }
      double total = 0.0;
      int64_t count = 0;
      for (int64_t m = std::max(ma, na); m < mb; ++m) {
        const int64_t hi_col = std::min(nb - 1, std::min(m, req.num_k - 1));
        total += weight[m] * range_sum(m - hi_col, m - na);
        count += hi_col - na + 1;
      }
      out = count ? static_cast<float>(total / static_cast<double>(count)) : kNaN;
    }
  });
}

// Softmax of general content: every cell of the visible blocks, with exact whole-row statistics,
// from the cached encoded rows. Two streaming passes over column chunks (each packed once per
// pass): 1) online row maximum and sum of exp over every valid key; 2) the probabilities of the
// visible cells, summed into their texels. Row bands are whole texel rows, so no two threads
// touch the same texel. Memory O(visible rows + texels + one chunk).
bool softmax_cells(const LogitsEntry& e, const ViewportRequest& req, const Grid& g, ViewportImage& image,
                   const ViewportProgress& progress) {
  constexpr int64_t kChunk = 2048;
  constexpr int64_t kMinBandRows = 32;
  const int d = e.q.d;
  const bool causal = req.options.causal;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t rows = g.m1 - g.m0;
  const int64_t texel_rows_per_band = std::max<int64_t>(1, ceil_div(kMinBandRows, g.bh));
  const int64_t bands = ceil_div(g.height, texel_rows_per_band);
  const int64_t band_rows_max = texel_rows_per_band * g.bh;
  // Keys needed by pass 1: every valid key of the visible rows.
  const int64_t key_end = causal ? std::min(req.num_k, g.m1) : req.num_k;
  const int64_t pass1_chunks = ceil_div(key_end, kChunk), pass2_chunks = ceil_div(g.n1 - g.n0, kChunk);
  const double total_work = static_cast<double>(pass1_chunks + pass2_chunks);
  std::vector<float> row_max(static_cast<size_t>(rows), -std::numeric_limits<float>::infinity());
  std::vector<double> row_sum(static_cast<size_t>(rows), 0.0);
  std::vector<double> sums(static_cast<size_t>(g.height) * static_cast<size_t>(g.width), 0.0);
  std::vector<int64_t> counts(sums.size(), 0);
  std::vector<float> packed(static_cast<size_t>(kernels::packed_keys_size(kChunk, d)));
  ThreadPool& pool = ThreadPool::shared();
  std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.num_threads()));

  for (int pass = 0; pass < 2; ++pass) {
    const int64_t c_begin = pass == 0 ? 0 : g.n0, c_end = pass == 0 ? key_end : g.n1;
    for (int64_t c0 = c_begin; c0 < c_end; c0 += kChunk) {
      const int64_t c1 = std::min(c_end, c0 + kChunk), width = c1 - c0;
      kernels::pack_keys(e.k.row(c0), width, d, packed.data());
      pool.parallel_for(bands, [&](int64_t band, int thread) {
        const int64_t ma = g.row_begin(band * texel_rows_per_band);
        const int64_t mb = g.row_end(std::min<int64_t>(g.height, (band + 1) * texel_rows_per_band) - 1);
        if (causal && c0 > mb - 1) return;  // every cell of this chunk is masked for these rows
        std::vector<float>& buf = scratch[static_cast<size_t>(thread)];
        buf.resize(static_cast<size_t>(band_rows_max * kChunk));
        const int64_t diag = causal && ma >= c0 ? ma - c0 : -1;
        kernels::score_block_packed(e.q.row(ma), mb - ma, d, packed.data(), width, scale, diag, buf.data(), kChunk);
        for (int64_t m = ma; m < mb; ++m) {
          const int64_t valid = causal ? std::min(width, m + 1 - c0) : width;
          if (valid <= 0) continue;
          float* x = buf.data() + (m - ma) * kChunk;
          const size_t r = static_cast<size_t>(m - g.m0);
          if (pass == 0) {
            const float chunk_max = kernels::row_max(x, valid);
            const float new_max = std::max(row_max[r], chunk_max);
            const double chunk_sum = kernels::exp_shift_sum(x, valid, new_max);
            row_sum[r] = row_sum[r] * std::exp(static_cast<double>(row_max[r]) - new_max) + chunk_sum;
            row_max[r] = new_max;
          } else {
            const double inv_sum = 1.0 / row_sum[r];
            kernels::exp_shift_sum(x, valid, row_max[r]);
            const size_t texel_row = static_cast<size_t>((m - g.m0) / g.bh) * static_cast<size_t>(g.width);
            // One texel column's segment of this row at a time: [j, j_end) within the chunk.
            for (int64_t j = 0; j < valid;) {
              const int64_t tx = (c0 + j - g.n0) / g.bw;
              const int64_t j_end = std::min(valid, g.n0 + (tx + 1) * g.bw - c0);
              float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
              int64_t i = j;
              for (; i + 8 <= j_end; i += 8) {
                for (int k = 0; k < 8; ++k) part[k] += x[i + k];
              }
              double segment = 0.0;
              for (; i < j_end; ++i) segment += x[i];
              for (float v : part) segment += v;
              sums[texel_row + static_cast<size_t>(tx)] += segment * inv_sum;
              counts[texel_row + static_cast<size_t>(tx)] += j_end - j;
              j = j_end;
            }
          }
        }
      });
      const double done = static_cast<double>((pass == 0 ? 0 : pass1_chunks) + (c1 - c_begin + kChunk - 1) / kChunk);
      if (progress && !progress(done / total_work)) return false;
    }
  }
  image.values.resize(sums.size());
  for (size_t t = 0; t < sums.size(); ++t) {
    image.values[t] = counts[t] ? static_cast<float>(sums[t] / static_cast<double>(counts[t])) : kNaN;
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
  const int64_t n = row1 - row0;
  if (n <= 0) return;
  if (keys) {
    content.keys(row0, row1, out);
  } else {
    content.queries(row0, row1, out);
  }
  if (encoding == Encoding::kNone) return;
  const size_t table = static_cast<size_t>(n) * static_cast<size_t>(encoding_table_pairs(f, encoding));
  std::vector<float> cos_tab(table), sin_tab(table);
  const std::vector<double> w = encoding == Encoding::kSinusoidal ? sinusoid_inv_freq(f.head_dim, f.base)
                                                                   : std::vector<double>();
  encode_block(f, encoding, offset + row0, out, n, out, cos_tab.data(), sin_tab.data(), w.data());
}

struct ViewportCache::Impl {
  static constexpr size_t kMaxEntries = 3;
  std::vector<std::unique_ptr<LogitsEntry>> logits;  // most recent first
  std::vector<std::unique_ptr<SoftmaxDistanceEntry>> softmax;

  template <typename Entry>
  static Entry* find(std::vector<std::unique_ptr<Entry>>& list, const EntryKey& key) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]->key == key) {
        std::rotate(list.begin(), list.begin() + static_cast<ptrdiff_t>(i), list.begin() + static_cast<ptrdiff_t>(i) + 1);
        return list.front().get();
      }
    }
    return nullptr;
  }
  template <typename Entry>
  static Entry* insert(std::vector<std::unique_ptr<Entry>>& list, std::unique_ptr<Entry> entry) {
    if (list.size() >= kMaxEntries) list.pop_back();
    list.insert(list.begin(), std::move(entry));
    return list.front().get();
  }
};

namespace {

// The cached encoded rows for these parameters, built (O(N d), over the pool) when missing;
// nullptr when cancelled through `progress` while building (nothing is kept then).
LogitsEntry* logits_entry(const RopeFrequencies& freqs, const Content& content, const ViewportRequest& req,
                          ViewportCache::Impl& store, const ViewportProgress& progress) {
  const EntryKey key = make_key(freqs, content, req, false);
  if (LogitsEntry* e = ViewportCache::Impl::find(store.logits, key)) return e;
  auto entry = std::make_unique<LogitsEntry>();
  entry->key = key;
  entry->q.d = entry->k.d = freqs.head_dim;
  entry->q.n = req.num_q;
  entry->k.n = req.num_k;
  if (!encode_all(freqs, content, req.options.encoding, req.options.offset, &entry->q, &entry->k, progress))
    return nullptr;
  return ViewportCache::Impl::insert(store.logits, std::move(entry));
}

void check_request(const RopeFrequencies& freqs, const Content& content, const ViewportRequest& req) {
  if (req.num_q < 1 || req.num_k < 1 || req.num_q > kMaxSeqLen || req.num_k > kMaxSeqLen) {
    throw RopeError("viewport: matrix size must be in [1, 2^24]");
  }
  if (content.head_dim() != freqs.head_dim) throw RopeError("viewport: content head_dim does not match the config");
  if (content.num_queries() && *content.num_queries() < req.num_q) throw RopeError("viewport: more query rows than the content has");
  if (content.num_keys() && *content.num_keys() < req.num_k) throw RopeError("viewport: more key rows than the content has");
  if (req.max_width < 1 || req.max_height < 1 || req.max_width > 16384 || req.max_height > 16384) {
    throw RopeError("viewport: texel budget must be in [1, 16384] per side");
  }
}

ViewportImage empty_image(const Grid& g) {
  ViewportImage image;
  image.width = g.width;
  image.height = g.height;
  image.m0 = g.m0;
  image.m1 = g.m1;
  image.n0 = g.n0;
  image.n1 = g.n1;
  image.rows_per_texel = g.bh;
  image.cols_per_texel = g.bw;
  return image;
}

}  // namespace

ViewportCache::ViewportCache() : impl_(std::make_unique<Impl>()) {}
ViewportCache::~ViewportCache() = default;

size_t ViewportCache::memory_bytes() const {
  size_t total = 0;
  for (const auto& e : impl_->logits) total += e->bytes();
  for (const auto& e : impl_->softmax) total += e->bytes();
  return total;
}

void ViewportCache::clear() {
  impl_->logits.clear();
  impl_->softmax.clear();
}

ViewportImage compute_viewport(const RopeFrequencies& freqs, const Content& content, const ViewportRequest& req,
                               const ViewportProgress& progress, ViewportCache* cache) {
  check_request(freqs, content, req);
  const Grid g = make_grid(req);
  ViewportImage image = empty_image(g);
  if (g.height == 0 || g.width == 0) return image;
  const bool exact = g.bh == 1 && g.bw == 1;
  // External content is not cached (its identity is not part of the key).
  ViewportCache local;
  ViewportCache::Impl& store = (cache && content.kind() != ContentKind::kExternal) ? cache->impl() : local.impl();
  if (req.value == HeatmapValue::kLogits) {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanBilinear;
    // The build reports the first half (a newer request cancels it within a few ms).
    LogitsEntry* e = logits_entry(freqs, content, req, store, [&](double f) { return !progress || progress(0.5 * f); });
    if (!e || (progress && !progress(0.5))) {
      image.complete = false;
      return image;
    }
    if (req.options.causal && e->diag.empty()) build_diag(*e);
    logits_bilinear(*e, req, g, image);
  } else if (content.is_position_invariant() && req.options.encoding != Encoding::kSinusoidal) {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanDistance;
    const EntryKey key = make_key(freqs, content, req, true);
    SoftmaxDistanceEntry* e = ViewportCache::Impl::find(store.softmax, key);
    if (!e) {
      auto entry = std::make_unique<SoftmaxDistanceEntry>();
      entry->key = key;
      build_softmax_distance(freqs, content, req, *entry);
      e = ViewportCache::Impl::insert(store.softmax, std::move(entry));
    }
    if (progress && !progress(0.5)) {
      image.complete = false;
      return image;
    }
    softmax_distance(*e, req, g, image);
  } else {
    image.method = exact ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanCells;
    // The rows' build is a small part of the cells' work: it is not cancelled and reports nothing.
    LogitsEntry* e = logits_entry(freqs, content, req, store, {});
    image.complete = e && softmax_cells(*e, req, g, image, progress);
    if (!image.complete) return image;
  }
  finish(image);
  return image;
}

ViewportImage compute_viewport_streamed(const RopeFrequencies& freqs, const Content& content,
                                        const ViewportRequest& req) {
  if (req.value != HeatmapValue::kLogits) throw RopeError("viewport: only logits can be streamed");
  check_request(freqs, content, req);
  const Grid g = make_grid(req);
  ViewportImage image = empty_image(g);
  if (g.height == 0 || g.width == 0) return image;
  image.method = g.bh == 1 && g.bw == 1 ? ViewportMethod::kExactCells : ViewportMethod::kBlockMeanBilinear;
  logits_streamed(freqs, content, req, g, image);
  finish(image);
  return image;
}

}  // namespace rope::core
