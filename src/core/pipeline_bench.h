#pragma once
// `ropescope bench`: median and p95 wall time of each stage of the causal attention pipeline
// (angles, rotate, scores, softmax) and of the whole fused pipeline, default N = 4096, d = 128.
#include <cstdint>
#include <string>
#include <vector>

#include "core/rope_config.h"

namespace rope::core {

struct StageTiming {
  std::string name;
  std::string what;  // one line saying what the stage does
  double median_ms = 0.0;
  double p95_ms = 0.0;
  // Median CPU time of the whole process (all threads) per repetition: on a busy machine wall
  // time stretches, CPU time much less; on an idle 2-core machine a parallel stage's wall time
  // is about half of it.
  double median_cpu_ms = 0.0;
};

struct PipelineBenchReport {
  int64_t seq_len = 0;
  int head_dim = 0;
  int rotary_dim = 0;
  int threads = 0;
  int reps = 0;
  std::string target;            // Highway target chosen at run time
  std::vector<StageTiming> stages;  // angles, rotate, scores, softmax, pipeline, colour
  double score_gflop = 0.0;      // FLOPs of the causal scores: 2 * head_dim * N (N + 1) / 2
  double pipeline_gflops = 0.0;  // score_gflop / pipeline median
  // Machine probes (all threads): fp32 FMA peak and non-temporal write bandwidth.
  double peak_gflops = 0.0;
  double write_gbps = 0.0;
  // Physical floor of the `colour` stage: score FLOPs at the probed peak plus one write of the
  // N x N RGBA8 frame at the probed bandwidth; and the colour stage's median over that floor.
  double colour_floor_ms = 0.0;
  double colour_over_floor = 0.0;
  double colour_fraction_of_peak = 0.0;  // (score_gflop / colour median) / peak_gflops
  std::string to_json() const;   // one JSON object
  std::string to_text() const;   // a small table for people
};

// Runs every stage `reps` times after a warm-up, on random content (seed 1) with head_dim and
// the rope of `freqs`. Buffers are allocated once and reused across repetitions.
class ThreadPool;
// Probes on every thread of the pool: fp32 FMA GFLOP/s (best of 5) and non-temporal write GB/s
// into `buffer` (best of 5).
double probe_peak_gflops(ThreadPool& pool);
double probe_write_gbps(ThreadPool& pool, float* buffer, int64_t num_floats);

PipelineBenchReport run_pipeline_bench(const RopeFrequencies& freqs, int64_t seq_len = 4096,
                                       int reps = 30);

}  // namespace rope::core
