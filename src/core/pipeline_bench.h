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
};

struct PipelineBenchReport {
  int64_t seq_len = 0;
  int head_dim = 0;
  int rotary_dim = 0;
  int threads = 0;
  int reps = 0;
  std::string target;            // Highway target chosen at run time
  std::vector<StageTiming> stages;  // angles, rotate, scores, softmax, pipeline
  double score_gflop = 0.0;      // FLOPs of the causal scores: 2 * head_dim * N (N + 1) / 2
  double pipeline_gflops = 0.0;  // score_gflop / pipeline median
  std::string to_json() const;   // one JSON object
  std::string to_text() const;   // a small table for people
};

// Runs every stage `reps` times after a warm-up, on random content (seed 1) with head_dim and
// the rope of `freqs`. Buffers are allocated once and reused across repetitions.
PipelineBenchReport run_pipeline_bench(const RopeFrequencies& freqs, int64_t seq_len = 4096,
                                       int reps = 30);

}  // namespace rope::core
