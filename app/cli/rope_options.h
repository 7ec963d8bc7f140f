#pragma once
// The rope options shared by every subcommand and by the GUI launch: a model config.json plus
// explicit flags, which override the file.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

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

  // True when any option was given (the GUI then starts from them instead of its saved state).
  bool any() const;
};

void add_rope_options(CLI::App& app, RopeCliOptions& options);

// The built-in default (Llama-2-like: head_dim 128, base 10000, neox, seq_len 1024), then the
// model config, then explicit flags. Throws core::RopeError on any invalid result.
core::RopeConfig resolve_rope_config(const RopeCliOptions& options);
// The same starting from `start` instead of the built-in default (a capture's own config).
core::RopeConfig resolve_rope_config(const RopeCliOptions& options, const core::RopeConfig& start);

}  // namespace rope::app
