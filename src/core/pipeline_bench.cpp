#include "core/pipeline_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <limits>

#include "core/attention.h"
#include "core/content.h"
#include "core/error.h"
#include "core/kernels/kernels.h"
#include "core/kernels/score_pipeline.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr int64_t kChunk = 256;  // rows per parallel task in the separate stages

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

StageTiming time_stage(const std::string& name, const std::string& what, int reps,
                       const std::function<void()>& body) {
  body();  // warm-up: page faults, caches, thread wake-up
  body();
  std::vector<double> ms, cpu;
  ms.reserve(static_cast<size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const double c0 = process_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(process_cpu_ms() - c0);
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  StageTiming t;
  t.name = name;
  t.what = what;
  const size_t n = ms.size();
  t.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  t.median_cpu_ms = n % 2 ? cpu[n / 2] : 0.5 * (cpu[n / 2 - 1] + cpu[n / 2]);
  // p95 by nearest rank.
  t.p95_ms = ms[std::min(n - 1, static_cast<size_t>(std::ceil(0.95 * static_cast<double>(n))) - 1)];
  return t;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

PipelineBenchReport run_pipeline_bench(const RopeFrequencies& freqs, int64_t seq_len, int reps) {
  if (seq_len < 1 || seq_len > 65536) throw RopeError("bench: seq_len must be in [1, 65536]");
  if (reps < 1 || reps > 10000) throw RopeError("bench: reps must be in [1, 10000]");
  ThreadPool& pool = ThreadPool::shared();
  const int d = freqs.head_dim;
  const int pairs = freqs.rotary_dim / 2;
  const int64_t n = seq_len;
  const bool gptj = freqs.layout == Layout::kGptj;
  const Content content = Content::generated(ContentKind::kRandom, d, 1);
  std::vector<float> q(static_cast<size_t>(n * d)), k(q.size());
  content.queries(0, n, q.data());
  content.keys(0, n, k.data());

  // Buffers for the separate stages, allocated and touched once.
  std::vector<float> cos_tab(static_cast<size_t>(n * pairs)), sin_tab(cos_tab.size());
  std::vector<float> q_rot(q.size()), k_rot(k.size());
  std::vector<float> k_packed(static_cast<size_t>(kernels::packed_keys_size(n, d)));
  std::vector<float> scores(static_cast<size_t>(n * n)), out(static_cast<size_t>(n * n));
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<std::vector<float>> row_scratch(static_cast<size_t>(pool.num_threads()),
                                              std::vector<float>(static_cast<size_t>(n)));
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));

  PipelineBenchReport report;
  report.seq_len = n;
  report.head_dim = d;
  report.rotary_dim = freqs.rotary_dim;
  report.threads = pool.num_threads();
  report.reps = reps;
  report.target = kernels::active_target();

  report.stages.push_back(time_stage(
      "angles", "cos/sin tables for N positions (float64 angles, range-reduced)", reps, [&] {
        pool.parallel_for(chunks, [&](int64_t c, int) {
          const int64_t r0 = c * kChunk, rows = std::min(kChunk, n - r0);
          kernels::rope_tables(freqs.inv_freq.data(), pairs, r0, rows, freqs.attention_factor,
                               cos_tab.data() + r0 * pairs, sin_tab.data() + r0 * pairs);
        });
      }));
  report.stages.push_back(time_stage("rotate", "rotate Q and K (N x d each) with the tables", reps, [&] {
    pool.parallel_for(chunks, [&](int64_t c, int) {
      const int64_t r0 = c * kChunk, rows = std::min(kChunk, n - r0);
      kernels::rotate_rows(q.data() + r0 * d, rows, d, freqs.rotary_dim, gptj,
                           cos_tab.data() + r0 * pairs, sin_tab.data() + r0 * pairs, q_rot.data() + r0 * d);
      kernels::rotate_rows(k.data() + r0 * d, rows, d, freqs.rotary_dim, gptj,
                           cos_tab.data() + r0 * pairs, sin_tab.data() + r0 * pairs, k_rot.data() + r0 * d);
    });
  }));
  kernels::pack_keys(k_rot.data(), n, d, k_packed.data());
  const int64_t row_block = ScorePipeline::kRowBlock;
  const int64_t blocks = (n + row_block - 1) / row_block;
  report.stages.push_back(time_stage(
      "scores", "scaled Q_rot K_rot^T, causal lower triangle only (32-column panels on or below the diagonal)",
      reps, [&] {
        pool.parallel_for(blocks, [&](int64_t b, int) {
          const int64_t r0 = (blocks - 1 - b) * row_block, r1 = std::min(r0 + row_block, n);
          kernels::score_block_packed(q_rot.data() + r0 * d, r1 - r0, d, k_packed.data(), r1, scale,
                                      r0, scores.data() + r0 * n, n);
        });
      }));
  report.stages.push_back(time_stage(
      "softmax",
      "causal row softmax of the N x N logits into a second N x N matrix (max, exp, sum, scale; zeros above the diagonal)",
      reps, [&] {
        pool.parallel_for(blocks, [&](int64_t b, int thread) {
          const int64_t r0 = b * row_block, r1 = std::min(r0 + row_block, n);
          float* row = row_scratch[static_cast<size_t>(thread)].data();
          for (int64_t i = r0; i < r1; ++i) {
            // Logits stay untouched so every repetition sees them; the row is worked on in a
            // cache-resident buffer and streamed out, as the fused pipeline does.
            const float* src = scores.data() + i * n;
            std::copy(src, src + i + 1, row);
            const float max = kernels::row_max(row, i + 1);
            const double sum = kernels::exp_shift_sum(row, i + 1, max);
            kernels::store_row(row, i + 1, static_cast<float>(1.0 / sum), 0.0f, n, out.data() + i * n);
          }
          kernels::stream_fence();
        });
      }));
  ScorePipeline pipeline(&pool);
  report.stages.push_back(time_stage(
      "pipeline",
      "whole causal pipeline: angles + rotate Q,K + pack + scores (lower triangle) + mask + softmax + write N x N",
      reps, [&] {
        pipeline.prepare(freqs, Encoding::kRope, 0, q.data(), n, 0, k.data(), n);
        pipeline.run(true, 0, true, out.data(), n);
      }));
  const double pipeline_ms = report.stages.back().median_ms;

  // The same pipeline through to colours: 256-entry grey LUT over [0, 0.05].
  std::vector<uint32_t> lut(256), rgba(static_cast<size_t>(n * n));
  for (uint32_t i = 0; i < 256; ++i) lut[i] = 0xff000000u | i * 0x010101u;
  const kernels::ColorMap cmap{lut.data(), 256, 0.0f, 0.05f, 0xff202020u};
  report.stages.push_back(time_stage(
      "colour",
      "whole causal pipeline through to colours: as pipeline, then LUT colour and write N x N RGBA8",
      reps, [&] {
        pipeline.prepare(freqs, Encoding::kRope, 0, q.data(), n, 0, k.data(), n);
        pipeline.run_colour(true, 0, true, cmap, rgba.data(), n);
      }));
  const double colour_ms = report.stages.back().median_ms;

  report.score_gflop = 2.0 * d * static_cast<double>(n) * static_cast<double>(n + 1) / 2.0 * 1e-9;
  report.pipeline_gflops = report.score_gflop / (pipeline_ms * 1e-3);
  report.peak_gflops = probe_peak_gflops(pool);
  report.write_gbps = probe_write_gbps(pool, out.data(), static_cast<int64_t>(out.size()));
  const double frame_bytes = static_cast<double>(n) * static_cast<double>(n) * 4.0;
  report.colour_floor_ms = report.score_gflop / report.peak_gflops * 1e3 +
                           frame_bytes / (report.write_gbps * 1e9) * 1e3;
  report.colour_over_floor = colour_ms / report.colour_floor_ms;
  report.colour_fraction_of_peak = report.score_gflop / (colour_ms * 1e-3) / report.peak_gflops;
  return report;
}

double probe_peak_gflops(ThreadPool& pool) {
  // Each thread runs independent FMA chains; the best of a few rounds is the peak.
  const int threads = pool.num_threads();
  const int64_t iterations = 4'000'000;
  double best = 0.0;
  for (int round = 0; round < 5; ++round) {
    std::vector<double> flops(static_cast<size_t>(threads), 0.0), sink(static_cast<size_t>(threads), 0.0);
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for(threads, [&](int64_t index, int) {
      sink[static_cast<size_t>(index)] = kernels::fma_probe(iterations, &flops[static_cast<size_t>(index)]);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0.0;
    for (double f : flops) total += f;
    if (sink[0] == 12345.678) total += 1.0;  // keeps the probe's result alive
    best = std::max(best, total / seconds * 1e-9);
  }
  return best;
}

double probe_write_gbps(ThreadPool& pool, float* buffer, int64_t num_floats) {
  // Non-temporal fills of the buffer split over all threads; best of a few rounds.
  const int64_t chunk = 1 << 18;
  const int64_t chunks = num_floats / chunk;
  if (chunks == 0) return 0.0;
  double best = 0.0;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for(chunks, [&](int64_t c, int) {
      kernels::store_row(buffer, 0, 0.0f, static_cast<float>(round), chunk, buffer + c * chunk);
      kernels::stream_fence();
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(chunks * chunk) * 4.0 / seconds * 1e-9);
  }
  return best;
}

std::string PipelineBenchReport::to_json() const {
  std::string s = "{";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"seq_len\": %lld, \"head_dim\": %d, \"rotary_dim\": %d, \"threads\": %d, \"reps\": %d, "
                "\"target\": \"%s\", \"score_gflop\": %.6g, \"pipeline_gflops\": %.6g, ",
                static_cast<long long>(seq_len), head_dim, rotary_dim, threads, reps,
                json_escape(target).c_str(), score_gflop, pipeline_gflops);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "\"peak_gflops\": %.6g, \"write_gbps\": %.6g, \"colour_floor_ms\": %.6g, "
                "\"colour_over_floor\": %.6g, \"colour_fraction_of_peak\": %.6g, \"stages\": [",
                peak_gflops, write_gbps, colour_floor_ms, colour_over_floor, colour_fraction_of_peak);
  s += buf;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::snprintf(buf, sizeof buf,
                  "{\"name\": \"%s\", \"median_ms\": %.6g, \"p95_ms\": %.6g, \"median_cpu_ms\": %.6g, ",
                  json_escape(stages[i].name).c_str(), stages[i].median_ms, stages[i].p95_ms,
                  stages[i].median_cpu_ms);
    s += buf;
    s += "\"what\": \"" + json_escape(stages[i].what) + "\"}";
    if (i + 1 < stages.size()) s += ", ";
  }
  s += "]}";
  return s;
}

std::string PipelineBenchReport::to_text() const {
  char buf[512];
  std::snprintf(buf, sizeof buf, "causal pipeline bench: N=%lld head_dim=%d rotary_dim=%d threads=%d target=%s reps=%d\n",
                static_cast<long long>(seq_len), head_dim, rotary_dim, threads, target.c_str(), reps);
  std::string s = buf;
  std::snprintf(buf, sizeof buf, "%-10s %10s %10s %10s  %s\n", "stage", "median ms", "p95 ms", "cpu ms", "what");
  s += buf;
  for (const StageTiming& t : stages) {
    std::snprintf(buf, sizeof buf, "%-10s %10.3f %10.3f %10.3f  %s\n", t.name.c_str(), t.median_ms, t.p95_ms,
                  t.median_cpu_ms, t.what.c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "pipeline: %.1f GFLOP/s on the causal scores (%.3f GFLOP)\n", pipeline_gflops,
                score_gflop);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "probes: FMA peak %.1f GFLOP/s, write %.1f GB/s; colour floor %.2f ms, colour = %.2fx floor, "
                "%.0f%% of peak\n",
                peak_gflops, write_gbps, colour_floor_ms, colour_over_floor, 100.0 * colour_fraction_of_peak);
  s += buf;
  return s;
}

}  // namespace rope::core
