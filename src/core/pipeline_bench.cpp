#include "core/pipeline_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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

StageTiming time_stage(const std::string& name, const std::string& what, int reps,
                       const std::function<void()>& body) {
  body();  // warm-up: page faults, caches, thread wake-up
  body();
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  StageTiming t;
  t.name = name;
  t.what = what;
  const size_t n = ms.size();
  t.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
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
      "softmax", "causal row softmax of the N x N logits (max, exp, sum, scale; zeros above the diagonal)",
      reps, [&] {
        pool.parallel_for(blocks, [&](int64_t b, int) {
          const int64_t r0 = b * row_block, r1 = std::min(r0 + row_block, n);
          for (int64_t i = r0; i < r1; ++i) {
            const float* src = scores.data() + i * n;
            float* dst = out.data() + i * n;
            // Read the logits, write probabilities: out-of-place so every repetition sees logits.
            std::copy(src, src + i + 1, dst);
            const float max = kernels::row_max(dst, i + 1);
            const double sum = kernels::exp_shift_sum(dst, i + 1, max);
            kernels::store_row(dst, i + 1, static_cast<float>(1.0 / sum), 0.0f, n, dst);
          }
          kernels::stream_fence();
        });
      }));
  ScorePipeline pipeline(&pool);
  report.stages.push_back(time_stage(
      "pipeline",
      "whole causal pipeline: angles + rotate Q,K + pack + scores (lower triangle) + mask + softmax + write N x N",
      reps, [&] {
        pipeline.prepare_queries(freqs, Encoding::kRope, 0, q.data(), n);
        pipeline.prepare_keys(freqs, Encoding::kRope, 0, k.data(), n);
        pipeline.run(true, 0, true, out.data(), n);
      }));
  report.score_gflop = 2.0 * d * static_cast<double>(n) * static_cast<double>(n + 1) / 2.0 * 1e-9;
  report.pipeline_gflops = report.score_gflop / (report.stages.back().median_ms * 1e-3);
  return report;
}

std::string PipelineBenchReport::to_json() const {
  std::string s = "{";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"seq_len\": %lld, \"head_dim\": %d, \"rotary_dim\": %d, \"threads\": %d, \"reps\": %d, "
                "\"target\": \"%s\", \"score_gflop\": %.6g, \"pipeline_gflops\": %.6g, \"stages\": [",
                static_cast<long long>(seq_len), head_dim, rotary_dim, threads, reps,
                json_escape(target).c_str(), score_gflop, pipeline_gflops);
  s += buf;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::snprintf(buf, sizeof buf, "{\"name\": \"%s\", \"median_ms\": %.6g, \"p95_ms\": %.6g, ",
                  json_escape(stages[i].name).c_str(), stages[i].median_ms, stages[i].p95_ms);
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
  std::snprintf(buf, sizeof buf, "%-10s %12s %12s  %s\n", "stage", "median ms", "p95 ms", "what");
  s += buf;
  for (const StageTiming& t : stages) {
    std::snprintf(buf, sizeof buf, "%-10s %12.3f %12.3f  %s\n", t.name.c_str(), t.median_ms, t.p95_ms,
                  t.what.c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "pipeline: %.1f GFLOP/s on the causal scores (%.3f GFLOP)\n", pipeline_gflops,
                score_gflop);
  s += buf;
  return s;
}

}  // namespace rope::core
