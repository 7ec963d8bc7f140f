#pragma once
// The headless subcommands. Each returns the process exit code and throws core::RopeError (one
// line) on bad input; main turns that into exit code 2.
#include <optional>
#include <string>
#include <vector>

#include "cli/rope_options.h"

namespace rope::app {

enum class TableFormat { kText, kJson, kCsv };

struct OutputOptions {
  bool json = false;
  bool csv = false;
  std::string path;  // empty: stdout
  TableFormat format() const { return json ? TableFormat::kJson : csv ? TableFormat::kCsv : TableFormat::kText; }
};

struct ScoresOptions {
  std::string q_path, k_path;
  std::string content;  // constant|random|ones (empty when files are given)
  uint64_t seed = 0;
  std::string encoding = "rope";
  int64_t offset = 0;
  int head = 0;  // which head of a (heads, N, d) file
  bool causal = false;
  bool softmax = false;
  std::string out_path;
};

struct BenchOptions {
  std::string scenario = "full";
  int64_t n = 4096;
  int repetitions = 30;
  bool json = false;
};

struct PrecisionOptions {
  std::string path = "fp32";  // core::AnglePath name
  std::vector<int64_t> positions = {1024, 4096, 32768, 131072};
};

struct KvCacheCliOptions {
  std::string mode = "dynamic";
  int64_t prompt = 0, steps = 256, shift = 0, repeat = 8;
  bool recompute_at_switch = false;
  std::string content = "constant";
  uint64_t seed = 0;
};

struct TemperatureOptions {
  std::vector<int64_t> lengths;  // empty: core::default_temperature_lengths
  std::string content = "constant";
  uint64_t seed = 0;
};

int run_freqs(const core::RopeConfig& config, const OutputOptions& out);
int run_scores(const core::RopeConfig& config, const ScoresOptions& options, bool seq_len_given);
int run_decay(const core::RopeConfig& config, std::optional<int64_t> max_distance, const OutputOptions& out);
int run_analyze(const core::RopeConfig& config, std::optional<int64_t> context, const OutputOptions& out);
int run_bench(const core::RopeConfig& config, const BenchOptions& options);
// Phase errors of a reduced-precision angle path (core/precision.h) per pair.
int run_precision(const core::RopeConfig& config, const PrecisionOptions& options, const OutputOptions& out);
// A KV-cache decode simulated step by step (core/kvcache.h).
int run_kvcache(const core::RopeConfig& config, const KvCacheCliOptions& options, const OutputOptions& out);
// Softmax entropy and largest probability against context length (core/temperature.h).
int run_temperature(const core::RopeConfig& config, const TemperatureOptions& options, const OutputOptions& out);

// Writes text to path, or stdout when path is empty.
void write_output(const std::string& path, const std::string& text);

}  // namespace rope::app
