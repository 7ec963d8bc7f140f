// Google Benchmark microbenchmarks, one per kernel, on the runtime-dispatched (best) target.
//   build/<dir>/bench/rope_microbench --benchmark_filter=Score
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/attention.h"
#include "core/content.h"
#include "core/kernels/kernels.h"
#include "core/kernels/score_pipeline.h"
#include "core/rope_config.h"

namespace {

using namespace rope::core;

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<double> inv_freq(int pairs) {
  std::vector<double> inv(static_cast<size_t>(pairs));
  for (int j = 0; j < pairs; ++j) inv[static_cast<size_t>(j)] = std::pow(10000.0, -2.0 * j / (2.0 * pairs));
  return inv;
}

// Tables for N positions x 64 pairs (float64 angles, range reduction, float sin/cos).
void BM_RopeTables(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<double> inv = inv_freq(64);
  std::vector<float> c(static_cast<size_t>(n * 64)), s(c.size());
  for (auto _ : state) {
    kernels::rope_tables(inv.data(), 64, 1000, n, 1.0, c.data(), s.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(state.iterations() * n * 64);
}
BENCHMARK(BM_RopeTables)->Arg(4096);

// Rotation of N rows of head_dim 128, NeoX (arg 1 = 0) or GPT-J (1).
void BM_RotateRows(benchmark::State& state) {
  const int64_t n = state.range(0);
  const bool gptj = state.range(1) != 0;
  const std::vector<double> inv = inv_freq(64);
  std::vector<float> c(static_cast<size_t>(n * 64)), s(c.size());
  kernels::rope_tables(inv.data(), 64, 0, n, 1.0, c.data(), s.data());
  const std::vector<float> x = gaussian(static_cast<size_t>(n * 128), 1);
  std::vector<float> out(x.size());
  for (auto _ : state) {
    kernels::rotate_rows(x.data(), n, 128, 128, gptj, c.data(), s.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 128 * 4 * 2);
}
BENCHMARK(BM_RotateRows)->Args({4096, 0})->Args({4096, 1});

// A 32-row block against num_cols packed keys, d = 128 (one thread). Reports FLOP/s. The second
// argument 1 also takes each row's maximum in the kernel (what the softmax passes use).
void BM_ScoreBlock(benchmark::State& state) {
  const int64_t rows = 32, cols = state.range(0);
  const bool row_max = state.range(1) != 0;
  const std::vector<float> q = gaussian(static_cast<size_t>(rows * 128), 2);
  const std::vector<float> k = gaussian(static_cast<size_t>(cols * 128), 3);
  std::vector<float> packed(static_cast<size_t>(kernels::packed_keys_size(cols, 128)));
  kernels::pack_keys(k.data(), cols, 128, packed.data());
  std::vector<float> out(static_cast<size_t>(rows * cols)), maxima(static_cast<size_t>(rows));
  for (auto _ : state) {
    kernels::score_block_packed(q.data(), rows, 128, packed.data(), cols, 0.088f, -1, out.data(), cols,
                                row_max ? maxima.data() : nullptr);
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(maxima.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * rows * cols * 128,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreBlock)->Args({512, 0})->Args({4096, 0})->Args({4096, 1});

void BM_PackKeys(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<float> k = gaussian(static_cast<size_t>(n * 128), 4);
  std::vector<float> packed(static_cast<size_t>(kernels::packed_keys_size(n, 128)));
  for (auto _ : state) {
    kernels::pack_keys(k.data(), n, 128, packed.data());
    benchmark::DoNotOptimize(packed.data());
  }
  state.SetBytesProcessed(state.iterations() * n * 128 * 4);
}
BENCHMARK(BM_PackKeys)->Arg(4096);

// Row softmax pieces on a 4096-wide row: max, exp + sum, scaled streaming store.
void BM_RowSoftmax(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<float> x = gaussian(static_cast<size_t>(n), 5);
  std::vector<float> work(x.size()), out(x.size());
  for (auto _ : state) {
    work = x;
    const float max = kernels::row_max(work.data(), n);
    const double sum = kernels::exp_shift_sum(work.data(), n, max);
    kernels::store_row(work.data(), n, static_cast<float>(1.0 / sum), 0.0f, n, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  kernels::stream_fence();
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_RowSoftmax)->Arg(4096);

void BM_Colorize(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::vector<float> x = gaussian(static_cast<size_t>(n), 6);
  std::vector<uint32_t> lut(256), rgba(static_cast<size_t>(n));
  for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | i * 0x010101u;
  const kernels::ColorMap cmap{lut.data(), 256, -3.0f, 3.0f, 0};
  for (auto _ : state) {
    kernels::colorize(x.data(), n, cmap, rgba.data());
    benchmark::DoNotOptimize(rgba.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Colorize)->Arg(1 << 20);

// Fused 256 x 256 tile: scores, causal mask, softmax with given stats, colour (one thread).
void BM_FusedTile(benchmark::State& state) {
  const int64_t tile = 256;
  const std::vector<float> q = gaussian(static_cast<size_t>(tile * 128), 7);
  const std::vector<float> k = gaussian(static_cast<size_t>(tile * 128), 8);
  std::vector<float> packed(static_cast<size_t>(kernels::packed_keys_size(tile, 128)));
  kernels::pack_keys(k.data(), tile, 128, packed.data());
  std::vector<float> row_max(static_cast<size_t>(tile), 4.0f), row_sum(static_cast<size_t>(tile), 100.0f);
  std::vector<float> scratch(static_cast<size_t>(tile * tile));
  std::vector<uint32_t> lut(256), rgba(static_cast<size_t>(tile * tile));
  const kernels::ColorMap cmap{lut.data(), 256, 0.0f, 0.05f, 0};
  for (auto _ : state) {
    kernels::fused_score_tile(q.data(), tile, 128, packed.data(), tile, 0.088f, true, 1000, 900,
                              row_max.data(), row_sum.data(), cmap, scratch.data(), nullptr,
                              rgba.data(), tile);
    benchmark::DoNotOptimize(rgba.data());
  }
  state.SetItemsProcessed(state.iterations() * tile * tile);
}
BENCHMARK(BM_FusedTile);

// The whole fused causal pipeline (all threads), N x N with d = 128, buffers reused.
void BM_CausalPipeline(benchmark::State& state) {
  const int64_t n = state.range(0);
  RopeFrequencies freqs;
  freqs.head_dim = 128;
  freqs.rotary_dim = 128;
  freqs.base = freqs.effective_base = 10000.0;
  freqs.inv_freq = inv_freq(64);
  freqs.inv_freq_unscaled = freqs.inv_freq;
  const std::vector<float> q = gaussian(static_cast<size_t>(n * 128), 9);
  const std::vector<float> k = gaussian(static_cast<size_t>(n * 128), 10);
  std::vector<float> out(static_cast<size_t>(n * n));
  ScorePipeline pipeline;
  for (auto _ : state) {
    pipeline.prepare(freqs, Encoding::kRope, 0, q.data(), n, 0, k.data(), n);
    pipeline.run(true, 0, true, out.data(), n);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 128.0 * static_cast<double>(n) * static_cast<double>(n + 1),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CausalPipeline)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();


// Whole-row softmax statistics of 32 rows against N keys (random content; the encoded keys are
// cached after the first call, as a viewport filling in band by band sees them).
void BM_SoftmaxRowStats(benchmark::State& state) {
  const int64_t n = state.range(0);
  RopeConfig config;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(ContentKind::kRandom, 128, 1);
  ScoreOptions options;
  options.causal = true;
  int64_t row = n - 32;
  for (auto _ : state) {
    const RowStats stats = softmax_row_stats(freqs, content, options, row, row + 32, n);
    benchmark::DoNotOptimize(stats.sum.data());
    row = row > 64 ? row - 32 : n - 32;
  }
  state.counters["FLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * 32 * 128 * static_cast<double>(n),
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SoftmaxRowStats)->Arg(131072)->Unit(benchmark::kMillisecond)->UseRealTime();

// A 1024 x 1024 block through the fused tile path to RGBA8 (softmax with given row stats).
void BM_ColourBlock(benchmark::State& state) {
  RopeConfig config;
  const RopeFrequencies freqs = compute_frequencies(config);
  const Content content = Content::generated(ContentKind::kRandom, 128, 2);
  ScoreOptions options;
  options.causal = true;
  const Block block{3000, 4024, 2500, 3524};
  const RowStats stats = softmax_row_stats(freqs, content, options, block.m0, block.m1, 4096);
  std::vector<uint32_t> table(256), rgba(static_cast<size_t>(block.rows() * block.cols()));
  for (uint32_t i = 0; i < 256; ++i) table[i] = 0xff000000u | i * 0x010101u;
  const ColorLut lut{table.data(), 256, 0.0f, 0.02f, 0};
  for (auto _ : state) {
    colour_block(freqs, content, options, block, &stats, lut, rgba.data());
    benchmark::DoNotOptimize(rgba.data());
  }
  state.SetItemsProcessed(state.iterations() * block.rows() * block.cols());
}
BENCHMARK(BM_ColourBlock)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
