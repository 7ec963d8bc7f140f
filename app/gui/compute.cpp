// Computations behind the views (worker thread, no GL, no ImGui).
//
// Heatmap summaries. When seq_len exceeds the texel budget, texel (i, j) covers the block of
// cells [edges[i], edges[i+1]) x [edges[j], edges[j+1]) and shows the exact mean of the block:
//  - logits are bilinear in the encoded vectors, logit(m, n) = <u_m, v_n> / sqrt(d), so the mean
//    over a block is <mean u, mean v> / sqrt(d), exact for any content; causal diagonal blocks are
//    summed exactly over their unmasked cells with a running prefix sum of v;
//  - softmax needs whole rows: up to kSoftmaxFullLimit every cell is computed (core::logits_block
//    in row tiles); above it, rotary softmax for position-invariant content uses the exact 1-D
//    function f(m - n) with prefix sums, and the other maps are marked unavailable.
// Nothing here samples single cells, so fast pairs cannot alias into false patterns.
#include "gui/compute.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <thread>

#include "core/attention.h"
#include "core/kernels/kernels.h"

namespace rope::app {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int64_t kChunkRows = 2048;

core::Content make_content(const HeatKey& key) {
  return core::Content::generated(key.content, key.config.head_dim, key.seed);
}

void finish_range(HeatMatrix& m) {
  // Eight independent lanes so the loop vectorises; v - v == 0 is false for NaN and +-inf.
  constexpr int kLanes = 8;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float lo[kLanes], hi[kLanes], pos[kLanes];
  std::fill(lo, lo + kLanes, kInf);
  std::fill(hi, hi + kLanes, -kInf);
  std::fill(pos, pos + kLanes, kInf);
  const size_t n = m.values.size();
  const float* v = m.values.data();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float x = v[i + l];
      const bool finite = (x - x) == 0.0f;
      lo[l] = finite && x < lo[l] ? x : lo[l];
      hi[l] = finite && x > hi[l] ? x : hi[l];
      pos[l] = finite && x > 0.0f && x < pos[l] ? x : pos[l];
    }
  for (; i < n; ++i) {
    const float x = v[i];
    if ((x - x) == 0.0f) {
      lo[0] = std::min(lo[0], x);
      hi[0] = std::max(hi[0], x);
      if (x > 0.0f) pos[0] = std::min(pos[0], x);
    }
  }
  const float p = *std::min_element(pos, pos + kLanes);
  m.min_positive = p < kInf ? p : 0.0f;
  float a = *std::min_element(lo, lo + kLanes), b = *std::max_element(hi, hi + kLanes);
  if (!(a <= b)) a = b = 0.0f;
  m.min = a;
  m.max = b;
  m.available = true;
}

HeatMatrix make_matrix(int texels) {
  HeatMatrix m;
  m.rows = m.cols = texels;
  m.values.assign(static_cast<size_t>(texels) * texels, kNaN);
  return m;
}

// Logits mode: exact block means via the bilinear form.
std::optional<HeatMatrix> block_mean_logits(const core::RopeFrequencies& freqs, const core::Content& content,
                                            EncodingKind kind, bool causal, const std::vector<int64_t>& edges,
                                            const CancelFn& cancelled) {
  const int texels = static_cast<int>(edges.size()) - 1;
  const int d = freqs.head_dim;
  const int64_t n = edges.back();
  std::vector<double> u_sum(static_cast<size_t>(texels) * d, 0.0), v_sum(u_sum.size(), 0.0);
  std::vector<double> diag(texels, 0.0);  // causal: sum over n <= m inside diagonal blocks
  std::vector<float> u(static_cast<size_t>(kChunkRows) * d), v(u.size());
  std::vector<double> running(d);
  int texel = 0;
  for (int64_t r0 = 0; r0 < n; r0 += kChunkRows) {
    if (cancelled()) return std::nullopt;
    const int64_t r1 = std::min(n, r0 + kChunkRows);
    encode_rows(freqs, content, kind, false, r0, r1, u.data());
    encode_rows(freqs, content, kind, true, r0, r1, v.data());
    for (int64_t r = r0; r < r1; ++r) {
      while (r >= edges[texel + 1]) ++texel;
      if (r == edges[texel]) std::fill(running.begin(), running.end(), 0.0);
      const float* ur = &u[static_cast<size_t>(r - r0) * d];
      const float* vr = &v[static_cast<size_t>(r - r0) * d];
      double* us = &u_sum[static_cast<size_t>(texel) * d];
      double* vs = &v_sum[static_cast<size_t>(texel) * d];
      double dot = 0.0;
      for (int c = 0; c < d; ++c) {
        us[c] += ur[c];
        vs[c] += vr[c];
        running[c] += vr[c];
        dot += ur[c] * running[c];
      }
      diag[texel] += dot;
    }
  }
  // Means as floats for the T x T product.
  std::vector<float> u_mean(u_sum.size()), v_mean(v_sum.size());
  for (int t = 0; t < texels; ++t) {
    const double count = static_cast<double>(edges[t + 1] - edges[t]);
    for (int c = 0; c < d; ++c) {
      u_mean[static_cast<size_t>(t) * d + c] = static_cast<float>(u_sum[static_cast<size_t>(t) * d + c] / count);
      v_mean[static_cast<size_t>(t) * d + c] = static_cast<float>(v_sum[static_cast<size_t>(t) * d + c] / count);
    }
  }
  // T x T product <u_mean_i, v_mean_j> / sqrt(d) with the core's SIMD score kernel, rows split
  // over two threads. Causal: blocks j > i are fully masked, j == i is replaced below.
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  std::vector<float> packed(static_cast<size_t>(core::kernels::packed_keys_size(texels, d)));
  core::kernels::pack_keys(v_mean.data(), texels, d, packed.data());
  HeatMatrix m = make_matrix(texels);
  auto product_rows = [&](int i0, int i1) {
    if (i1 <= i0) return;
    core::kernels::score_block_packed(&u_mean[static_cast<size_t>(i0) * d], i1 - i0, d, packed.data(), texels, scale,
                                      causal ? i0 : -1, &m.values[static_cast<size_t>(i0) * texels], texels);
  };
  if (cancelled()) return std::nullopt;
  // Causal rows get cheaper towards the top; split so both halves do similar work.
  const int split = causal ? static_cast<int>(texels / std::sqrt(2.0)) : texels / 2;
  {
    std::thread helper(product_rows, split, texels);
    product_rows(0, split);
    helper.join();
  }
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  for (int i = 0; i < texels; ++i) {
    float* row = &m.values[static_cast<size_t>(i) * texels];
    if (causal)
      for (int j = i + 1; j < texels; ++j) row[j] = kNaN;
    if (causal) {
      const double b = static_cast<double>(edges[i + 1] - edges[i]);
      row[i] = static_cast<float>(diag[i] / (b * (b + 1.0) / 2.0) * inv_sqrt_d);
    }
  }
  finish_range(m);
  return m;
}

// Softmax mode, every cell computed: rows in tiles through core::logits_block.
std::optional<HeatMatrix> block_mean_softmax_full(const core::RopeFrequencies& freqs, const core::Content& content,
                                                  core::Encoding encoding, bool causal,
                                                  const std::vector<int64_t>& edges, const CancelFn& cancelled) {
  const int texels = static_cast<int>(edges.size()) - 1;
  const int64_t n = edges.back();
  const int64_t tile = std::max<int64_t>(1, std::min<int64_t>(64, (int64_t{1} << 22) / n));
  std::vector<float> logits(static_cast<size_t>(tile * n));
  std::vector<double> sums(static_cast<size_t>(texels) * texels, 0.0);
  std::vector<int64_t> col_texel(static_cast<size_t>(n));
  for (int j = 0; j < texels; ++j)
    for (int64_t c = edges[j]; c < edges[j + 1]; ++c) col_texel[c] = j;
  core::ScoreOptions options{encoding, 0, causal};
  for (int64_t m0 = 0; m0 < n; m0 += tile) {
    if (cancelled()) return std::nullopt;
    const int64_t m1 = std::min(n, m0 + tile);
    core::logits_block(freqs, content, options, core::Block{m0, m1, 0, n}, logits.data());
    for (int64_t r = m0; r < m1; ++r) {
      float* row = &logits[static_cast<size_t>((r - m0) * n)];
      const int64_t last = causal ? r + 1 : n;  // valid keys [0, last)
      const float mx = core::kernels::row_max(row, last);
      const double z = core::kernels::exp_shift_sum(row, last, mx);  // row[c] = exp(row[c] - mx)
      const double inv_z = 1.0 / z;
      double* srow = &sums[static_cast<size_t>(col_texel[r]) * texels];
      for (int j = 0; j < texels && edges[j] < last; ++j) {
        const int64_t c1 = std::min(edges[j + 1], last);
        float block = 0.0f;
        for (int64_t c = edges[j]; c < c1; ++c) block += row[c];
        srow[j] += block * inv_z;
      }
    }
  }
  HeatMatrix m = make_matrix(texels);
  for (int i = 0; i < texels; ++i) {
    const double bi = static_cast<double>(edges[i + 1] - edges[i]);
    for (int j = 0; j < texels; ++j) {
      if (causal && j > i) continue;
      const double bj = static_cast<double>(edges[j + 1] - edges[j]);
      const double count = (causal && j == i) ? bi * (bi + 1.0) / 2.0 : bi * bj;
      m.values[static_cast<size_t>(i) * texels + j] = static_cast<float>(sums[static_cast<size_t>(i) * texels + j] / count);
    }
  }
  finish_range(m);
  return m;
}

// Softmax of rotary logits for position-invariant content: logit(m, n) = f(m - n) exactly.
std::optional<HeatMatrix> block_mean_softmax_toeplitz(const core::RopeFrequencies& freqs, const core::Content& content,
                                                      bool causal, const std::vector<int64_t>& edges,
                                                      const CancelFn& cancelled) {
  const int texels = static_cast<int>(edges.size()) - 1;
  const int d = freqs.head_dim;
  const int64_t n = edges.back();
  // f over delta in [-(n-1), n-1], stored at index delta + n - 1.
  std::vector<double> f(static_cast<size_t>(2 * n - 1));
  std::vector<float> u(static_cast<size_t>(kChunkRows) * d), v(u.size()), u0(d), v0(d);
  encode_rows(freqs, content, EncodingKind::kRope, false, 0, 1, u0.data());
  encode_rows(freqs, content, EncodingKind::kRope, true, 0, 1, v0.data());
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  for (int64_t r0 = 0; r0 < n; r0 += kChunkRows) {
    if (cancelled()) return std::nullopt;
    const int64_t r1 = std::min(n, r0 + kChunkRows);
    encode_rows(freqs, content, EncodingKind::kRope, false, r0, r1, u.data());
    encode_rows(freqs, content, EncodingKind::kRope, true, r0, r1, v.data());
    for (int64_t r = r0; r < r1; ++r) {
      double a = 0.0, b = 0.0;
      for (int c = 0; c < d; ++c) {
        a += static_cast<double>(u[static_cast<size_t>(r - r0) * d + c]) * v0[c];  // delta = r
        b += static_cast<double>(u0[c]) * v[static_cast<size_t>(r - r0) * d + c];  // delta = -r
      }
      f[static_cast<size_t>(r + n - 1)] = a * inv_sqrt_d;
      f[static_cast<size_t>(n - 1 - r)] = b * inv_sqrt_d;
    }
  }
  const double shift = *std::max_element(f.begin(), f.end());
  // prefix[k] = sum_{idx < k} exp(f[idx] - shift)
  std::vector<double> prefix(f.size() + 1, 0.0);
  for (size_t k = 0; k < f.size(); ++k) prefix[k + 1] = prefix[k] + std::exp(f[k] - shift);
  auto range_sum = [&](int64_t delta_lo, int64_t delta_hi) {  // sum over delta in [lo, hi]
    if (delta_hi < delta_lo) return 0.0;
    return prefix[static_cast<size_t>(delta_hi + n)] - prefix[static_cast<size_t>(delta_lo + n - 1)];
  };
  HeatMatrix m = make_matrix(texels);
  for (int i = 0; i < texels; ++i) {
    if ((i & 15) == 0 && cancelled()) return std::nullopt;
    std::vector<double> acc(texels, 0.0);
    for (int64_t r = edges[i]; r < edges[i + 1]; ++r) {
      const int64_t last = causal ? r : n - 1;  // keys [0, last]
      const double z = range_sum(r - last, r);
      if (!(z > 0.0)) continue;
      const int j_end = causal ? i + 1 : texels;
      for (int j = 0; j < j_end; ++j) {
        const int64_t c0 = edges[j];
        const int64_t c1 = std::min(edges[j + 1] - 1, last);
        if (c1 < c0) continue;
        acc[j] += range_sum(r - c1, r - c0) / z;
      }
    }
    const double bi = static_cast<double>(edges[i + 1] - edges[i]);
    const int j_end = causal ? i + 1 : texels;
    for (int j = 0; j < j_end; ++j) {
      const double bj = static_cast<double>(edges[j + 1] - edges[j]);
      const double count = (causal && j == i) ? bi * (bi + 1.0) / 2.0 : bi * bj;
      m.values[static_cast<size_t>(i) * texels + j] = static_cast<float>(acc[j] / count);
    }
  }
  finish_range(m);
  return m;
}

}  // namespace

DecayKey decay_key(const ComputeParams& params, int num_points) {
  return DecayKey{params.config, params.content, params.seed, params.decay_max_distance, params.decay_log_x,
                  num_points};
}

HeatKey heat_key(const ComputeParams& params, int max_texels) {
  return HeatKey{params.config, params.content, params.seed, params.causal, params.softmax, max_texels};
}

int texel_budget(float side_px, double visible_fraction) {
  const double fraction = std::clamp(visible_fraction, 1e-9, 1.0);
  const double needed = std::max(1.0, static_cast<double>(side_px)) / fraction;
  const int rounded = static_cast<int>(std::min(1e6, std::ceil(needed / 128.0) * 128.0));
  return std::clamp(rounded, kMinTexelBudget, kDefaultMaxTexels);
}

std::vector<int64_t> texel_edges(int64_t seq_len, int texels) {
  std::vector<int64_t> edges(static_cast<size_t>(texels) + 1);
  for (int i = 0; i <= texels; ++i) edges[i] = static_cast<int64_t>(i) * seq_len / texels;
  return edges;
}

void encode_rows(const core::RopeFrequencies& freqs, const core::Content& content, EncodingKind kind,
                 bool is_key, int64_t row0, int64_t row1, float* out) {
  const int64_t rows = row1 - row0;
  const int d = freqs.head_dim;
  if (rows <= 0) return;
  if (is_key) content.keys(row0, row1, out);
  else content.queries(row0, row1, out);
  if (kind == EncodingKind::kRope) {
    const int pairs = freqs.rotary_dim / 2;
    if (pairs == 0) return;
    std::vector<float> cos_tab(static_cast<size_t>(rows) * pairs), sin_tab(cos_tab.size());
    core::kernels::rope_tables(freqs.inv_freq.data(), pairs, row0, rows, freqs.attention_factor, cos_tab.data(),
                               sin_tab.data());
    core::kernels::rotate_rows(out, rows, d, freqs.rotary_dim, freqs.layout == core::Layout::kGptj, cos_tab.data(),
                               sin_tab.data(), out);
    return;
  }
  // Sinusoidal (Vaswani): PE[p][2i] = sin(p * base^(-2i/d)), PE[p][2i+1] = cos(...), with the
  // same range-reduced table kernel as the rotation.
  const int sin_pairs = (d + 1) / 2;
  std::vector<double> w(static_cast<size_t>(sin_pairs));
  for (int i = 0; i < sin_pairs; ++i) w[i] = std::pow(freqs.base, -2.0 * i / d);
  std::vector<float> cos_tab(static_cast<size_t>(rows) * sin_pairs), sin_tab(cos_tab.size());
  core::kernels::rope_tables(w.data(), sin_pairs, row0, rows, 1.0, cos_tab.data(), sin_tab.data());
  for (int64_t r = 0; r < rows; ++r) {
    float* o = &out[static_cast<size_t>(r) * d];
    const float* st = &sin_tab[static_cast<size_t>(r) * sin_pairs];
    const float* ct = &cos_tab[static_cast<size_t>(r) * sin_pairs];
    for (int i = 0; i < sin_pairs; ++i) {
      o[2 * i] += st[i];
      if (2 * i + 1 < d) o[2 * i + 1] += ct[i];
    }
  }
}

std::optional<DecayResult> compute_decay(const DecayKey& key, const CancelFn& cancelled) {
  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::DecayCurve curve =
      core::decay_curve_sampled(freqs, key.max_distance, std::max(2, key.num_points), key.log_x);
  if (cancelled()) return std::nullopt;
  DecayResult r;
  r.key = key;
  r.roformer_bound = curve.roformer_bound;
  r.mean_cos = curve.mean_cos;
  r.distance.reserve(curve.distance.size());
  for (int64_t x : curve.distance) r.distance.push_back(static_cast<double>(x));
  // Actual score: query at position r, key at position 0, same encoding the heatmaps use.
  const core::Content content = core::Content::generated(key.content, freqs.head_dim, key.seed);
  const int d = freqs.head_dim;
  std::vector<float> k0(d), q(d);
  encode_rows(freqs, content, EncodingKind::kRope, true, 0, 1, k0.data());
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  r.actual.reserve(curve.distance.size());
  for (size_t i = 0; i < curve.distance.size(); ++i) {
    if ((i & 255) == 0 && cancelled()) return std::nullopt;
    const int64_t pos = curve.distance[i];
    encode_rows(freqs, content, EncodingKind::kRope, false, pos, pos + 1, q.data());
    double dot = 0.0;
    for (int c = 0; c < d; ++c) dot += static_cast<double>(q[c]) * k0[c];
    r.actual.push_back(dot * inv_sqrt_d);
  }
  {
    encode_rows(freqs, content, EncodingKind::kRope, false, 0, 1, q.data());
    double nq = 0.0, nk = 0.0;
    for (int c = 0; c < d; ++c) {
      nq += static_cast<double>(q[c]) * q[c];
      nk += static_cast<double>(k0[c]) * k0[c];
    }
    r.actual_scale = std::sqrt(nq * nk) * inv_sqrt_d;
    if (!(r.actual_scale > 0.0)) r.actual_scale = 1.0;
  }
  r.original_context = freqs.original_max > 0 ? freqs.original_max
                                              : key.config.max_position_embeddings.value_or(0);
  if (cancelled()) return std::nullopt;
  r.first_negative_limit = std::max<int64_t>(key.max_distance, 1);
  r.first_negative = core::first_negative_distance(freqs, r.first_negative_limit);
  return r;
}

std::optional<HeatmapResult> compute_heatmaps(const HeatKey& key, const CancelFn& cancelled) {
  const auto t0 = std::chrono::steady_clock::now();
  const core::RopeFrequencies freqs = core::compute_frequencies(key.config);
  const core::Content content = make_content(key);
  HeatmapResult r;
  r.key = key;
  r.seq_len = key.config.seq_len;
  r.texels = static_cast<int>(std::min<int64_t>(r.seq_len, std::max(1, key.max_texels)));
  r.edges = texel_edges(r.seq_len, r.texels);
  r.block = static_cast<double>(r.seq_len) / r.texels;
  const bool exact_cells = r.texels == r.seq_len;
  char block_text[64];
  std::snprintf(block_text, sizeof block_text, "%.3g", r.block);
  const std::string mean_text = exact_cells ? std::string("exact value of each cell")
                                            : "exact mean of each ~" + std::string(block_text) + "x" +
                                                  block_text + " block";

  if (!key.softmax) {
    auto abs = block_mean_logits(freqs, content, EncodingKind::kSinusoidal, key.causal, r.edges, cancelled);
    if (!abs) return std::nullopt;
    auto rot = block_mean_logits(freqs, content, EncodingKind::kRope, key.causal, r.edges, cancelled);
    if (!rot) return std::nullopt;
    r.absolute = std::move(*abs);
    r.rotary = std::move(*rot);
    r.summary = "logits: " + mean_text;
  } else if (r.seq_len <= kSoftmaxFullLimit) {
    auto abs = block_mean_softmax_full(freqs, content, core::Encoding::kSinusoidal, key.causal, r.edges, cancelled);
    if (!abs) return std::nullopt;
    auto rot = content.is_position_invariant()
                   ? block_mean_softmax_toeplitz(freqs, content, key.causal, r.edges, cancelled)
                   : block_mean_softmax_full(freqs, content, core::Encoding::kRope, key.causal, r.edges, cancelled);
    if (!rot) return std::nullopt;
    r.absolute = std::move(*abs);
    r.rotary = std::move(*rot);
    r.summary = "softmax (whole rows): " + mean_text;
  } else {
    r.absolute = make_matrix(r.texels);
    r.absolute.note = "softmax of the absolute map needs every cell; not computed above 8192 tokens";
    if (content.is_position_invariant()) {
      auto rot = block_mean_softmax_toeplitz(freqs, content, key.causal, r.edges, cancelled);
      if (!rot) return std::nullopt;
      r.rotary = std::move(*rot);
    } else {
      r.rotary = make_matrix(r.texels);
      r.rotary.note = "softmax of random content needs every cell; not computed above 8192 tokens";
    }
    r.summary = "softmax: " + mean_text + " (rotary from the exact 1-D function of m-n)";
  }
  r.difference = make_matrix(r.texels);
  if (r.absolute.available && r.rotary.available) {
    for (size_t i = 0; i < r.difference.values.size(); ++i)
      r.difference.values[i] = r.rotary.values[i] - r.absolute.values[i];
    finish_range(r.difference);
  } else {
    r.difference.note = "needs both maps";
  }
  r.compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace rope::app
