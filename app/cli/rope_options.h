#pragma once
// The rope options shared by every subcommand and by the GUI launch: a model config.json plus
// explicit flags, which override the file.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config_json.h"
#include "core/rope_config.h"

namespace rope::app {

struct RopeCliOptions {
  std::optional<std::string> model_config;
  std::optional<int> head_dim;
  std::optional<double> base;
  std::optional<double> rotary_fraction;
  std::optional<std::string> layout;
  std::optional<int64_t> seq_len;
  std::optional<std::string> scaling;
  std::optional<double> factor, alpha;
  std::optional<int64_t> original_max;
  std::optional<double> low_freq_factor, high_freq_factor, beta_fast, beta_slow;
  std::optional<double> mscale, mscale_all_dim, attention_factor;
  std::optional<std::string> layer_type;  // which of the model's rope sets (default full_attention)
  bool strict = false;                    // warnings are errors

  // True when any option was given (the GUI then starts from them instead of its saved state).
  bool any() const;
};

void add_rope_options(CLI::App& app, RopeCliOptions& options);

// What the options resolve to, with the model they started from.
struct ResolvedRope {
  core::RopeConfig config;
  std::optional<core::ModelRope> model;     // when --model-config was given
  std::string layer_type;                   // the model's set `config` starts from ("" without a model)
  std::vector<std::string> warnings;        // the model's, one line each
  std::vector<std::pair<std::string, std::string>> overridden;  // (field, flag) a flag set over the file
};

// The built-in default (Llama-2-like: head_dim 128, base 10000, neox, seq_len 1024), then the
// model config's set for --layer-type, then explicit flags. Prints each warning as one
// "ropescope: warning:" line on stderr; with --strict a warning is an error. Throws
// core::RopeError on any invalid result.
ResolvedRope resolve_rope(const RopeCliOptions& options, const core::RopeConfig& start = core::RopeConfig{});
core::RopeConfig resolve_rope_config(const RopeCliOptions& options);
// The same starting from `start` instead of the built-in default (a capture's own config).
core::RopeConfig resolve_rope_config(const RopeCliOptions& options, const core::RopeConfig& start);

}  // namespace rope::app
