#pragma once
// The headless subcommands. Each returns the process exit code and throws core::RopeError (one
// line) on bad input; main turns that into exit code 2.
#include <optional>
#include <string>
#include <vector>

#include "cli/rope_options.h"
#include "core/content.h"
#include "core/kvcache.h"

namespace rope::core {
class Capture;
}

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
  std::string capture;           // a capture file instead of --q/--k or --content
  std::optional<int64_t> layer;  // the capture's model layer number
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

// The flags of `kvcache`: the mode and content by name, the rest straight into the simulation's
// options.
struct KvCacheCliOptions {
  std::string mode = "dynamic";
  std::string content = "constant";
  core::KvCacheOptions sim;
};

struct TemperatureOptions {
  std::vector<int64_t> lengths;  // empty: core::default_temperature_lengths
  std::string content = "constant";
  uint64_t seed = 0;
};

struct DiffOptions {
  std::string a_path, b_path;
  std::vector<std::string> set_a, set_b;  // KEY=VALUE
  std::optional<int64_t> context;         // default the larger seq_len
  bool fail_on_diff = false;
  double rtol = 1e-6;
};

int run_freqs(const core::RopeConfig& config, const OutputOptions& out);
// With the model: the JSON also lists its layer types and the warnings.
int run_freqs(const ResolvedRope& resolved, const OutputOptions& out);
// Every value the rotation uses and where it came from (file key, architecture rule, default,
// derived, or a flag), then the warnings.
int run_resolve(const ResolvedRope& resolved, const OutputOptions& out);
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
// Two configurations compared (core/config_diff.h). Exit 1 with fail_on_diff when they differ.
int run_diff(const RopeCliOptions& shared, const DiffOptions& options, const OutputOptions& out);

// Captured heads (core/capture.h). The rope configuration is the capture's own config, then
// --model-config and the rope flags; warnings about dropped metadata go to stderr.
struct HeadsOptions {
  std::string capture;
  std::optional<int64_t> layer;  // model layer number; all layers when absent
  int64_t sink = 4;
  int64_t first = 0;  // only the first tokens (0: all)
};
// One row of statistics per (layer, head) of the rotary causal softmax.
int run_heads(const RopeCliOptions& rope, const HeadsOptions& options, const OutputOptions& out);
// One captured head's matrix, as run_scores writes it.
int run_capture_scores(const RopeCliOptions& rope, const ScoresOptions& options);
// Their shared steps: the config as described above (head_dim must equal the capture's d), and
// the index along the file's first axis of a model layer number.
core::RopeConfig capture_rope_config(const RopeCliOptions& rope, const core::Capture& capture);
int capture_layer_index(const core::Capture& capture, int64_t model_layer);

// A generated content kind from its --content name (constant, random or ones).
core::ContentKind parse_generated_content(const std::string& name);

// Writes text to path, or stdout when path is empty.
void write_output(const std::string& path, const std::string& text);

}  // namespace rope::app
