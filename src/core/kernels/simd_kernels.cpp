// Highway kernels, compiled once per target and dispatched at run time (the pattern of
// google/highway hwy/examples/skeleton.cc). Only raw pointers and sizes cross the boundary.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/simd_kernels.cpp"
#include "hwy/foreach_target.h"  // must come before highway.h

#include "hwy/cache_control.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

#include "core/kernels/kernels.h"

#ifndef ROPE_CORE_KERNELS_SIMD_SHARED_
#define ROPE_CORE_KERNELS_SIMD_SHARED_
namespace rope::core::kernels::detail {

// 2*pi split into three parts: hi and mid have at most 24 significant bits, so k * hi and
// k * mid are exact in float64 for |k| < 2^29 (positions up to 2^30 at inv_freq <= 1).
inline constexpr double kTwoPiHi = 6.2831854820251465;
inline constexpr double kTwoPiMid = -1.7484555314695172e-07;
inline constexpr double kTwoPiLo = -6.8604979977715316e-15;
inline constexpr double kInvTwoPi = 0.15915494309189535;
inline constexpr int kMaxPairs = 2048;

// Angle pos * inv_freq reduced to about [-pi, pi], in float64, exactly as the SIMD path does it.
inline double reduce_angle(double angle) {
  const double k = std::nearbyint(angle * kInvTwoPi);
  double r = angle - k * kTwoPiHi;
  r = r - k * kTwoPiMid;
  r = r - k * kTwoPiLo;
  return r;
}

}  // namespace rope::core::kernels::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace rope::core::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Pairs [0, num_pairs) of each position row; output rows are ld_out floats apart.
void RopeTablesImpl(const double* inv_freq, int num_pairs, int64_t pos0, int64_t num_pos,
                    double attention_factor, float* cos_out, float* sin_out, int64_t ld_out) {
  assert(num_pairs >= 0 && num_pairs <= detail::kMaxPairs);
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> dh;  // float vector with as many lanes as dd
  const hn::ScalableTag<float> df;
  const size_t nd = hn::Lanes(dd);
  const size_t nf = hn::Lanes(df);
  HWY_ALIGN float reduced[detail::kMaxPairs + 64];
  HWY_ALIGN float cos_tmp[64];
  HWY_ALIGN float sin_tmp[64];
  const size_t pairs = static_cast<size_t>(num_pairs);
  const size_t padded = (pairs + nf - 1) / nf * nf;
  for (size_t j = pairs; j < padded; ++j) reduced[j] = 0.0f;
  const auto two_pi_hi = hn::Set(dd, detail::kTwoPiHi);
  const auto two_pi_mid = hn::Set(dd, detail::kTwoPiMid);
  const auto two_pi_lo = hn::Set(dd, detail::kTwoPiLo);
  const auto inv_two_pi = hn::Set(dd, detail::kInvTwoPi);
  const auto factor = hn::Set(df, static_cast<float>(attention_factor));

  for (int64_t p = 0; p < num_pos; ++p) {
    const double pos = static_cast<double>(pos0 + p);
    const auto vpos = hn::Set(dd, pos);
    size_t j = 0;
    for (; j + nd <= pairs; j += nd) {
      const auto angle = hn::Mul(vpos, hn::LoadU(dd, inv_freq + j));
      const auto k = hn::Round(hn::Mul(angle, inv_two_pi));
      auto r = hn::NegMulAdd(k, two_pi_hi, angle);  // exact: k * hi is exact
      r = hn::NegMulAdd(k, two_pi_mid, r);
      r = hn::NegMulAdd(k, two_pi_lo, r);
      hn::StoreU(hn::DemoteTo(dh, r), dh, reduced + j);
    }
    for (; j < pairs; ++j) reduced[j] = static_cast<float>(detail::reduce_angle(pos * inv_freq[j]));

    float* cos_row = cos_out + p * ld_out;
    float* sin_row = sin_out + p * ld_out;
    for (j = 0; j < padded; j += nf) {
      const auto r = hn::Load(df, reduced + j);
      const auto c = hn::Mul(hn::Cos(df, r), factor);
      const auto s = hn::Mul(hn::Sin(df, r), factor);
      if (j + nf <= pairs) {
        hn::StoreU(c, df, cos_row + j);
        hn::StoreU(s, df, sin_row + j);
      } else {
        hn::Store(c, df, cos_tmp);
        hn::Store(s, df, sin_tmp);
        for (size_t t = 0; j + t < pairs; ++t) {
          cos_row[j + t] = cos_tmp[t];
          sin_row[j + t] = sin_tmp[t];
        }
      }
    }
  }
}

void RotateRowsImpl(const float* x, int64_t num_rows, int head_dim, int rotary_dim, bool gptj,
                    const float* cos_tab, const float* sin_tab, float* out) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const size_t pairs = static_cast<size_t>(rotary_dim / 2);
  const size_t hd = static_cast<size_t>(head_dim);

#if HWY_TARGET != HWY_SCALAR
  // GPT-J: lane i of an output vector uses pair i / 2 of the loaded table vector.
  HWY_ALIGN int32_t dup_lo[64];
  HWY_ALIGN int32_t dup_hi[64];
  for (size_t i = 0; i < n && i < 64; ++i) {
    dup_lo[i] = static_cast<int32_t>(i / 2);
    dup_hi[i] = static_cast<int32_t>(n / 2 + i / 2);
  }
  const auto idx_lo = hn::SetTableIndices(df, dup_lo);
  const auto idx_hi = hn::SetTableIndices(df, dup_hi);
#endif

  for (int64_t row = 0; row < num_rows; ++row) {
    const float* xr = x + row * head_dim;
    float* orow = out + row * head_dim;
    const float* c = cos_tab + row * static_cast<int64_t>(pairs);
    const float* s = sin_tab + row * static_cast<int64_t>(pairs);
    if (!gptj) {
      const float* x1 = xr;
      const float* x2 = xr + pairs;
      size_t j = 0;
      for (; j + n <= pairs; j += n) {
        const auto a = hn::LoadU(df, x1 + j);
        const auto b = hn::LoadU(df, x2 + j);
        const auto cv = hn::LoadU(df, c + j);
        const auto sv = hn::LoadU(df, s + j);
        hn::StoreU(hn::MulSub(a, cv, hn::Mul(b, sv)), df, orow + j);
        hn::StoreU(hn::MulAdd(a, sv, hn::Mul(b, cv)), df, orow + pairs + j);
      }
      for (; j < pairs; ++j) {
        const float a = x1[j], b = x2[j];
        orow[j] = a * c[j] - b * s[j];
        orow[pairs + j] = a * s[j] + b * c[j];
      }
    } else {
      size_t j = 0;  // pair index; one step covers n pairs = two vectors of features
#if HWY_TARGET != HWY_SCALAR
      if (n >= 2) {
        for (; j + n <= pairs; j += n) {
          const auto cv = hn::LoadU(df, c + j);
          const auto sv = hn::LoadU(df, s + j);
          for (int half = 0; half < 2; ++half) {
            const auto cd = hn::TableLookupLanes(cv, half == 0 ? idx_lo : idx_hi);
            const auto sd = hn::TableLookupLanes(sv, half == 0 ? idx_lo : idx_hi);
            const auto signed_s = hn::OddEven(sd, hn::Neg(sd));  // (-s, +s, -s, +s, ...)
            const float* src = xr + 2 * j + half * n;
            const auto v = hn::LoadU(df, src);
            const auto swapped = hn::Shuffle2301(v);  // (x1, x0, x3, x2, ...)
            hn::StoreU(hn::MulAdd(swapped, signed_s, hn::Mul(v, cd)), df, orow + 2 * j + half * n);
          }
        }
      }
#endif
      for (; j < pairs; ++j) {
        const float a = xr[2 * j], b = xr[2 * j + 1];
        orow[2 * j] = a * c[j] - b * s[j];
        orow[2 * j + 1] = a * s[j] + b * c[j];
      }
    }
    if (orow != xr) {
      std::memcpy(orow + 2 * pairs, xr + 2 * pairs, (hd - 2 * pairs) * sizeof(float));
    }
  }
}

// C tile of kRows x (kVecs * lanes) = kKeyPanelWidth columns, accumulated over head_dim. With
// kLaneMax, lane_max (kRows rows of Lanes(d) floats, aligned) also takes the running maximum of
// each row's scaled scores, lane by lane. The prefetch_lines (<= (head_dim + 1) / 2) cache lines
// from prefetch on are requested over the head_dim steps (the next key panel, while this one is
// in L1).
template <size_t kRows, size_t kVecs, bool kLaneMax, class D>
HWY_INLINE void MicroTile(D d, const float* HWY_RESTRICT a, size_t lda,
                          const float* HWY_RESTRICT panel, size_t head_dim, float scale,
                          float* HWY_RESTRICT c, size_t ldc, float* HWY_RESTRICT lane_max,
                          const char* prefetch, size_t prefetch_lines) {
  using V = hn::Vec<D>;
  const size_t n = hn::Lanes(d);
  V acc[kRows][kVecs];
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::Zero(d);
  }
  for (size_t f = 0; f < head_dim; ++f) {
    // One line every other step: this simple form measured faster than spreading the requests
    // by an exact ratio.
    if ((f & 1) == 0 && (f >> 1) < prefetch_lines) hwy::Prefetch(prefetch + (f >> 1) * 64);
    V b[kVecs];
    for (size_t v = 0; v < kVecs; ++v) b[v] = hn::LoadU(d, panel + f * kKeyPanelWidth + v * n);
    for (size_t r = 0; r < kRows; ++r) {
      const V av = hn::Set(d, a[r * lda + f]);
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::MulAdd(av, b[v], acc[r][v]);
    }
  }
  const V vs = hn::Set(d, scale);
  for (size_t r = 0; r < kRows; ++r) {
    V m = hn::Zero(d);
    for (size_t v = 0; v < kVecs; ++v) {
      const V s = hn::Mul(acc[r][v], vs);
      hn::StoreU(s, d, c + r * ldc + v * n);
      if constexpr (kLaneMax) m = v == 0 ? s : hn::Max(m, s);
    }
    if constexpr (kLaneMax) hn::Store(hn::Max(hn::Load(d, lane_max + r * n), m), d, lane_max + r * n);
  }
}

// Rows per micro tile, by the number of vectors a panel row takes (registers: AVX-512 has 32).
template <size_t kVecs>
constexpr size_t TileRows() {
  if constexpr (kVecs <= 2) return HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL ? 8 : 4;
  if constexpr (kVecs <= 4) return 3;
  return 1;
}

// Columns of row r that lie in panels computed with the lane maximum: whole panels that are
// unmasked for the first row of r's micro tile (tile_row0).
inline size_t LaneMaxColumns(int64_t causal_diag, size_t tile_row0, size_t num_cols) {
  const size_t whole = num_cols / kKeyPanelWidth * kKeyPanelWidth;
  if (causal_diag < 0) return whole;
  const size_t unmasked = static_cast<size_t>(causal_diag) + tile_row0 + 1;
  return std::min(whole, unmasked / kKeyPanelWidth * kKeyPanelWidth);
}

// With kRowMax, row_max_out[i] is the maximum of row i's unmasked scores (all num_cols when not
// causal); num_rows <= kMaxRowMaxRows.
inline constexpr size_t kMaxRowMaxRows = 128;

float RowMaxImpl(const float* x, int64_t num);

template <size_t kVecs, bool kRowMax, class D>
void ScoreRowsT(D d, const float* q, size_t num_rows, size_t head_dim, const float* packed,
                size_t num_cols, float scale, int64_t causal_diag, float* out, size_t ld_out,
                float* row_max_out) {
  constexpr size_t kRows = TileRows<kVecs>();
  const size_t n = hn::Lanes(d);
  HWY_ALIGN float tmp[kRows * kKeyPanelWidth];
  // Per row: running maximum by lane over whole unmasked panels (kRowMax only).
  HWY_ALIGN float lane_max[kRowMax ? kMaxRowMaxRows * kKeyPanelWidth : 1];
  if constexpr (kRowMax) {
    for (size_t i = 0; i < num_rows * n; ++i) lane_max[i] = -std::numeric_limits<float>::infinity();
  }
  const size_t num_panels = (num_cols + kKeyPanelWidth - 1) / kKeyPanelWidth;
  const size_t panel_lines = head_dim * kKeyPanelWidth * sizeof(float) / 64;
  const size_t full_tiles = std::max<size_t>(1, num_rows / kRows);
  const size_t lines_per_tile = std::min((panel_lines + full_tiles - 1) / full_tiles, (head_dim + 1) / 2);
  for (size_t p = 0; p < num_panels; ++p) {
    const float* panel = packed + p * head_dim * kKeyPanelWidth;
    const size_t col0 = p * kKeyPanelWidth;
    const size_t width = std::min<size_t>(kKeyPanelWidth, num_cols - col0);
    const char* next_panel = reinterpret_cast<const char*>(panel + head_dim * kKeyPanelWidth);
    const size_t next_lines = p + 1 < num_panels ? panel_lines : 0;
    size_t r = 0;
    for (; r + kRows <= num_rows; r += kRows) {
      // The last row of this tile needs columns up to causal_diag + r + kRows - 1.
      if (causal_diag >= 0 &&
          static_cast<int64_t>(col0) > causal_diag + static_cast<int64_t>(r + kRows - 1)) {
        continue;
      }
      // This tile's share of the next panel, fetched while this panel is computed: the first
      // tile to use a panel no longer waits on it from L2/L3 (about 5% of the whole pipeline).
      const size_t first_line = r / kRows * lines_per_tile;
      const char* prefetch = next_panel + first_line * 64;
      const size_t prefetch_lines = first_line < next_lines ? std::min(lines_per_tile, next_lines - first_line) : 0;
      if (width == kKeyPanelWidth) {
        if (kRowMax && col0 + kKeyPanelWidth <= LaneMaxColumns(causal_diag, r, num_cols)) {
          MicroTile<kRows, kVecs, kRowMax>(d, q + r * head_dim, head_dim, panel, head_dim, scale,
                                           out + r * ld_out + col0, ld_out, lane_max + r * n,
                                           prefetch, prefetch_lines);
        } else {
          MicroTile<kRows, kVecs, false>(d, q + r * head_dim, head_dim, panel, head_dim, scale,
                                         out + r * ld_out + col0, ld_out, nullptr, prefetch,
                                         prefetch_lines);
        }
      } else {
        MicroTile<kRows, kVecs, false>(d, q + r * head_dim, head_dim, panel, head_dim, scale, tmp,
                                       kKeyPanelWidth, nullptr, nullptr, 0);
        for (size_t i = 0; i < kRows; ++i) {
          std::memcpy(out + (r + i) * ld_out + col0, tmp + i * kKeyPanelWidth, width * sizeof(float));
        }
      }
    }
    for (; r < num_rows; ++r) {
      if (causal_diag >= 0 && static_cast<int64_t>(col0) > causal_diag + static_cast<int64_t>(r)) {
        continue;
      }
      if (kRowMax && col0 + kKeyPanelWidth <= LaneMaxColumns(causal_diag, r, num_cols)) {
        MicroTile<1, kVecs, kRowMax>(d, q + r * head_dim, head_dim, panel, head_dim, scale, tmp,
                                     kKeyPanelWidth, lane_max + r * n, nullptr, 0);
      } else {
        MicroTile<1, kVecs, false>(d, q + r * head_dim, head_dim, panel, head_dim, scale, tmp,
                                   kKeyPanelWidth, nullptr, nullptr, 0);
      }
      std::memcpy(out + r * ld_out + col0, tmp, width * sizeof(float));
    }
  }
  if constexpr (kRowMax) {
    const size_t tiled_rows = num_rows / kRows * kRows;
    for (size_t r = 0; r < num_rows; ++r) {
      const size_t tile_row0 = r < tiled_rows ? r / kRows * kRows : r;
      const size_t from = LaneMaxColumns(causal_diag, tile_row0, num_cols);
      size_t valid = num_cols;
      if (causal_diag >= 0) valid = std::min(num_cols, static_cast<size_t>(causal_diag) + r + 1);
      const float lanes = hn::GetLane(hn::MaxOfLanes(d, hn::Load(d, lane_max + r * n)));
      const float rest = RowMaxImpl(out + r * ld_out + from, static_cast<int64_t>(valid - from));
      row_max_out[r] = std::max(lanes, rest);
    }
  }
}

template <size_t kVecs, class D>
void ScoreBlockT(D d, const float* q, size_t num_rows, size_t head_dim, const float* packed,
                 size_t num_cols, float scale, int64_t causal_diag, float* out, size_t ld_out,
                 float* row_max_out) {
  if (row_max_out == nullptr) {
    ScoreRowsT<kVecs, false>(d, q, num_rows, head_dim, packed, num_cols, scale, causal_diag, out,
                             ld_out, nullptr);
    return;
  }
  for (size_t r0 = 0; r0 < num_rows; r0 += kMaxRowMaxRows) {
    const size_t rows = std::min(kMaxRowMaxRows, num_rows - r0);
    ScoreRowsT<kVecs, true>(d, q + r0 * head_dim, rows, head_dim, packed, num_cols, scale,
                            causal_diag < 0 ? causal_diag : causal_diag + static_cast<int64_t>(r0),
                            out + r0 * ld_out, ld_out, row_max_out + r0);
  }
}

void ScoreBlockPackedImpl(const float* q, int64_t num_rows, int head_dim, const float* packed_keys,
                          int64_t num_cols, float scale, int64_t causal_diag, float* out,
                          int64_t ld_out, float* row_max_out) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const size_t rows = static_cast<size_t>(num_rows), hd = static_cast<size_t>(head_dim);
  const size_t cols = static_cast<size_t>(num_cols), ld = static_cast<size_t>(ld_out);
  static_assert(kKeyPanelWidth == 32);
  switch (n) {
    case 16: ScoreBlockT<2>(df, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out); break;
    case 8: ScoreBlockT<4>(df, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out); break;
    case 4: ScoreBlockT<8>(df, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out); break;
    case 2: ScoreBlockT<16>(df, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out); break;
    case 1: ScoreBlockT<32>(df, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out); break;
    default: {
      // Wider vectors than a panel row: 128-bit vectors, which every target provides.
      const hn::CappedTag<float, 4> d4;
      ScoreBlockT<8>(d4, q, rows, hd, packed_keys, cols, scale, causal_diag, out, ld, row_max_out);
    }
  }
}

// exp(x) for x <= 0 (softmax arguments x - max): Cody-Waite reduction by ln 2 with FMA, a
// degree-7 Taylor polynomial on |r| <= ln(2)/2 (truncation below 2e-9 relative) and the factor
// 2^n (scalef on 512-bit x86 targets, built in the exponent bits elsewhere). Arguments below -87
// are clamped there (exp(-87) ~ 1.6e-38, not 0).
template <class D, class V>
HWY_INLINE V ExpNonPositive(D d, V x) {
  const hn::RebindToSigned<D> di;
  x = hn::Max(x, hn::Set(d, -87.0f));
  const V n = hn::Round(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));
  V r = hn::NegMulAdd(n, hn::Set(d, 0.693145751953125f), x);
  r = hn::NegMulAdd(n, hn::Set(d, 1.428606765330187045e-6f), r);
  V p = hn::Set(d, 1.0f / 5040.0f);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3  // every 512-bit x86 target
  if constexpr (sizeof(V) == 64) {
    return V{_mm512_scalef_ps(p.raw, n.raw)};  // p * 2^n in one instruction
  }
#endif
  const auto bits = hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127)));
  return hn::Mul(p, hn::BitCast(d, bits));
}

float RowMaxImpl(const float* x, int64_t num) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const size_t count = static_cast<size_t>(num);
  auto m = hn::Set(df, -std::numeric_limits<float>::infinity());
  size_t i = 0;
  for (; i + n <= count; i += n) m = hn::Max(m, hn::LoadU(df, x + i));
  float result = hn::GetLane(hn::MaxOfLanes(df, m));
  for (; i < count; ++i) result = std::max(result, x[i]);
  return result;
}

double ExpShiftSumImpl(float* x, int64_t num, float max) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const size_t count = static_cast<size_t>(num);
  const auto vmax = hn::Set(df, max);
  auto sum0 = hn::Zero(df);
  auto sum1 = hn::Zero(df);
  size_t i = 0;
  for (; i + 2 * n <= count; i += 2 * n) {
    const auto e0 = ExpNonPositive(df, hn::Sub(hn::LoadU(df, x + i), vmax));
    const auto e1 = ExpNonPositive(df, hn::Sub(hn::LoadU(df, x + i + n), vmax));
    hn::StoreU(e0, df, x + i);
    hn::StoreU(e1, df, x + i + n);
    sum0 = hn::Add(sum0, e0);
    sum1 = hn::Add(sum1, e1);
  }
  for (; i + n <= count; i += n) {
    const auto e0 = ExpNonPositive(df, hn::Sub(hn::LoadU(df, x + i), vmax));
    hn::StoreU(e0, df, x + i);
    sum0 = hn::Add(sum0, e0);
  }
  double sum = static_cast<double>(hn::GetLane(hn::SumOfLanes(df, hn::Add(sum0, sum1))));
  if (i < count) {
    HWY_ALIGN float tmp[64];
    for (size_t t = 0; t < n; ++t) tmp[t] = i + t < count ? x[i + t] : max - 1000.0f;
    const auto e = ExpNonPositive(df, hn::Sub(hn::Load(df, tmp), vmax));
    hn::Store(e, df, tmp);
    for (size_t t = 0; i + t < count; ++t) {
      x[i + t] = tmp[t];
      sum += tmp[t];
    }
  }
  return sum;
}

void StoreRowImpl(const float* src, int64_t num_valid, float scale, float fill, int64_t row_len,
                  float* dst) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const size_t valid = static_cast<size_t>(num_valid), len = static_cast<size_t>(row_len);
  const size_t align = n * sizeof(float);
  size_t i = 0;
  for (; i < len && reinterpret_cast<uintptr_t>(dst + i) % align != 0; ++i) {
    dst[i] = i < valid ? src[i] * scale : fill;
  }
  const auto vscale = hn::Set(df, scale);
  const auto vfill = hn::Set(df, fill);
  for (; i + n <= len && i + n <= valid; i += n) {
    hn::Stream(hn::Mul(hn::LoadU(df, src + i), vscale), df, dst + i);
  }
  if (i < valid && i + n <= len) {
    HWY_ALIGN float tmp[64];
    for (size_t t = 0; t < n; ++t) tmp[t] = i + t < valid ? src[i + t] * scale : fill;
    hn::Stream(hn::Load(df, tmp), df, dst + i);
    i += n;
  }
  for (; i + n <= len; i += n) hn::Stream(vfill, df, dst + i);
  for (; i < len; ++i) dst[i] = i < valid ? src[i] * scale : fill;
}

inline uint32_t ColorOne(float v, const uint32_t* lut, int lut_size, float lo, float k,
                         uint32_t masked_rgba) {
  if (v == -std::numeric_limits<float>::infinity()) return masked_rgba;
  float t = (v - lo) * k;
  t = std::min(std::max(t, 0.0f), static_cast<float>(lut_size - 1));
  if (!(t == t)) t = 0.0f;  // NaN
  return lut[static_cast<int>(std::nearbyint(t))];
}

// Colours values[0, num_valid) and writes masked_rgba to [num_valid, row_len) without reading
// those values.
void ColorizeImpl(const float* values, int64_t num_valid, int64_t row_len, const uint32_t* lut,
                  int lut_size, float lo, float hi, uint32_t masked_rgba, uint32_t* rgba_out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const size_t n = hn::Lanes(df);
  const size_t valid = static_cast<size_t>(std::max<int64_t>(0, std::min(num_valid, row_len)));
  const size_t count = static_cast<size_t>(row_len);
  const float span = hi > lo ? hi - lo : 1.0f;
  const float k = static_cast<float>(lut_size - 1) / span;
  const auto vlo = hn::Set(df, lo);
  const auto vk = hn::Set(df, k);
  const auto vzero = hn::Zero(df);
  const auto vtop = hn::Set(df, static_cast<float>(lut_size - 1));
  const auto vmasked = hn::Set(du, masked_rgba);
  const auto vneg_inf = hn::Set(df, -std::numeric_limits<float>::infinity());
  const auto colour_of = [&](hn::Vec<decltype(df)> v) {
    const auto masked = hn::Eq(v, vneg_inf);
    // NaN and -inf go to index 0; masked cells are replaced below.
    const auto scaled = hn::Mul(hn::Sub(v, vlo), vk);
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128
    // x86 maxps returns its second operand when either is NaN: Max(NaN, 0) is 0.
    const auto t = hn::Min(hn::Max(scaled, vzero), vtop);
#else
    // Elsewhere Max/Min need not drop NaN: zero it explicitly.
    const auto t = hn::Min(hn::Max(hn::IfThenElseZero(hn::Eq(scaled, scaled), scaled), vzero), vtop);
#endif
    const auto idx = hn::NearestInt(t);  // round to nearest even, as Round
    const auto colour = hn::BitCast(du, hn::GatherIndex(di, reinterpret_cast<const int32_t*>(lut), idx));
    // Unmasked vectors (nearly all of them) skip the blend.
    return hn::AllFalse(df, masked) ? colour : hn::IfThenElse(hn::RebindMask(du, masked), vmasked, colour);
  };
  size_t i = 0;
  // Scalar head up to vector alignment of the output, then non-temporal vector stores.
  for (; i < count && reinterpret_cast<uintptr_t>(rgba_out + i) % (n * sizeof(uint32_t)) != 0; ++i) {
    rgba_out[i] = i < valid ? ColorOne(values[i], lut, lut_size, lo, k, masked_rgba) : masked_rgba;
  }
  for (; i + n <= count && i + n <= valid; i += n) hn::Stream(colour_of(hn::LoadU(df, values + i)), du, rgba_out + i);
  if (i < valid && i + n <= count) {  // the vector holding the last unmasked cell
    HWY_ALIGN float tmp[64];
    for (size_t t = 0; t < n; ++t) tmp[t] = i + t < valid ? values[i + t] : -std::numeric_limits<float>::infinity();
    hn::Stream(colour_of(hn::Load(df, tmp)), du, rgba_out + i);
    i += n;
  }
  for (; i + n <= count; i += n) hn::Stream(vmasked, du, rgba_out + i);
  for (; i < count; ++i) {
    rgba_out[i] = i < valid ? ColorOne(values[i], lut, lut_size, lo, k, masked_rgba) : masked_rgba;
  }
}

// Scores for a tile, then mask, softmax with given row statistics and colour, one row at a time.
void FusedScoreTileImpl(const float* q_rot, int64_t num_rows, int head_dim,
                        const float* packed_keys, int64_t num_cols, float scale, bool causal,
                        int64_t row_pos0, int64_t col_pos0, const float* row_max_in,
                        const float* row_sum_in, const uint32_t* lut, int lut_size, float lo,
                        float hi, uint32_t masked_rgba, float* scratch, float* values_out,
                        uint32_t* rgba_out, int64_t ld_out) {
  const hn::ScalableTag<float> df;
  const size_t n = hn::Lanes(df);
  const int64_t ld_scratch = (num_cols + kKeyPanelWidth - 1) / kKeyPanelWidth * kKeyPanelWidth;
  // Row i needs key index <= query index: column j <= row_pos0 - col_pos0 + i.
  const int64_t diag = row_pos0 - col_pos0;
  if (causal && diag + num_rows - 1 < 0) {
    // Entirely above the diagonal.
  } else {
    ScoreBlockPackedImpl(q_rot, num_rows, head_dim, packed_keys, num_cols, scale,
                         causal ? std::max<int64_t>(diag, 0) : -1, scratch, ld_scratch, nullptr);
  }
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const bool softmax = row_max_in != nullptr && row_sum_in != nullptr;
  for (int64_t i = 0; i < num_rows; ++i) {
    float* row = scratch + i * ld_scratch;
    int64_t valid = num_cols;
    if (causal) valid = std::clamp<int64_t>(diag + i + 1, 0, num_cols);
    if (softmax) {
      const auto vmax = hn::Set(df, row_max_in[i]);
      const auto vinv = hn::Set(df, static_cast<float>(1.0 / static_cast<double>(row_sum_in[i])));
      int64_t j = 0;
      for (; j + static_cast<int64_t>(n) <= valid; j += static_cast<int64_t>(n)) {
        const auto e = ExpNonPositive(df, hn::Sub(hn::LoadU(df, row + j), vmax));
        hn::StoreU(hn::Mul(e, vinv), df, row + j);
      }
      for (; j < valid; ++j) {
        row[j] = std::exp(row[j] - row_max_in[i]) * static_cast<float>(1.0 / static_cast<double>(row_sum_in[i]));
      }
      for (j = valid; j < num_cols; ++j) row[j] = 0.0f;
    } else {
      for (int64_t j = valid; j < num_cols; ++j) row[j] = neg_inf;
    }
    if (values_out != nullptr) std::memcpy(values_out + i * ld_out, row, num_cols * sizeof(float));
    if (rgba_out != nullptr) {
      ColorizeImpl(row, valid, num_cols, lut, lut_size, lo, hi, masked_rgba, rgba_out + i * ld_out);
    }
  }
}

// Independent FMA chains (enough to cover latency x ports), for the machine-peak probe.
double FmaProbeImpl(int64_t iterations, double* flops) {
  const hn::ScalableTag<float> df;
  constexpr int kChains = 16;
  hn::Vec<decltype(df)> acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = hn::Set(df, static_cast<float>(c) * 1e-3f);
  const auto a = hn::Set(df, 0.999999f);
  const auto b = hn::Set(df, 1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int c = 0; c < kChains; ++c) acc[c] = hn::MulAdd(acc[c], a, b);
  }
  auto sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = hn::Add(sum, acc[c]);
  *flops = 2.0 * kChains * static_cast<double>(hn::Lanes(df)) * static_cast<double>(iterations);
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(df, sum)));
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rope::core::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace rope::core::kernels {

HWY_EXPORT(RopeTablesImpl);
HWY_EXPORT(RotateRowsImpl);
HWY_EXPORT(ScoreBlockPackedImpl);
HWY_EXPORT(RowMaxImpl);
HWY_EXPORT(ExpShiftSumImpl);
HWY_EXPORT(StoreRowImpl);
HWY_EXPORT(ColorizeImpl);
HWY_EXPORT(FusedScoreTileImpl);
HWY_EXPORT(FmaProbeImpl);

double fma_probe(int64_t iterations, double* flops) {
  return HWY_DYNAMIC_DISPATCH(FmaProbeImpl)(iterations, flops);
}

void rope_tables(const double* inv_freq, int num_pairs, int64_t pos0, int64_t num_pos,
                 double attention_factor, float* cos_out, float* sin_out) {
  // The kernel keeps one position's reduced angles on the stack: hand it at most kMaxPairs pairs.
  for (int j0 = 0; j0 < num_pairs; j0 += detail::kMaxPairs) {
    const int count = std::min(detail::kMaxPairs, num_pairs - j0);
    HWY_DYNAMIC_DISPATCH(RopeTablesImpl)(inv_freq + j0, count, pos0, num_pos, attention_factor,
                                         cos_out + j0, sin_out + j0, num_pairs);
  }
}

void rotate_rows(const float* x, int64_t num_rows, int head_dim, int rotary_dim, bool gptj,
                 const float* cos_tab, const float* sin_tab, float* out) {
  assert(rotary_dim >= 0 && rotary_dim <= head_dim && rotary_dim % 2 == 0);
  HWY_DYNAMIC_DISPATCH(RotateRowsImpl)(x, num_rows, head_dim, rotary_dim, gptj, cos_tab, sin_tab,
                                       out);
}

void score_block_packed(const float* q, int64_t num_rows, int head_dim, const float* packed_keys,
                        int64_t num_cols, float scale, int64_t causal_diag, float* out,
                        int64_t ld_out, float* row_max_out) {
  assert(ld_out >= num_cols);
  HWY_DYNAMIC_DISPATCH(ScoreBlockPackedImpl)(q, num_rows, head_dim, packed_keys, num_cols, scale,
                                             causal_diag, out, ld_out, row_max_out);
}

float row_max(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(RowMaxImpl)(x, n); }

double exp_shift_sum(float* x, int64_t n, float max) {
  return HWY_DYNAMIC_DISPATCH(ExpShiftSumImpl)(x, n, max);
}

void store_row(const float* src, int64_t num_valid, float scale, float fill, int64_t row_len,
               float* dst) {
  HWY_DYNAMIC_DISPATCH(StoreRowImpl)(src, num_valid, scale, fill, row_len, dst);
}

void stream_fence() { hwy::FlushStream(); }

void colorize(const float* values, int64_t n, const ColorMap& colormap, uint32_t* rgba_out) {
  HWY_DYNAMIC_DISPATCH(ColorizeImpl)(values, n, n, colormap.lut, colormap.lut_size, colormap.lo,
                                     colormap.hi, colormap.masked_rgba, rgba_out);
}

void colorize_row(const float* values, int64_t num_valid, int64_t row_len, const ColorMap& colormap,
                  uint32_t* rgba_out) {
  HWY_DYNAMIC_DISPATCH(ColorizeImpl)(values, num_valid, row_len, colormap.lut, colormap.lut_size,
                                     colormap.lo, colormap.hi, colormap.masked_rgba, rgba_out);
}

void fused_score_tile(const float* q_rot, int64_t num_rows, int head_dim, const float* packed_keys,
                      int64_t num_cols, float scale, bool causal, int64_t row_pos0,
                      int64_t col_pos0, const float* row_max_in, const float* row_sum_in,
                      const ColorMap& colormap, float* scratch, float* values_out,
                      uint32_t* rgba_out, int64_t ld_out) {
  HWY_DYNAMIC_DISPATCH(FusedScoreTileImpl)(
      q_rot, num_rows, head_dim, packed_keys, num_cols, scale, causal, row_pos0, col_pos0,
      row_max_in, row_sum_in, colormap.lut, colormap.lut_size, colormap.lo, colormap.hi,
      colormap.masked_rgba, scratch, values_out, rgba_out, ld_out);
}

std::string active_target() {
  // The chosen target is the best supported one among those compiled in.
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return targets == 0 ? std::string("none") : std::string(hwy::TargetName(targets & -targets));
}

std::vector<std::string> available_targets() {
  std::vector<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(target));
  return names;
}

}  // namespace rope::core::kernels
#endif  // HWY_ONCE
