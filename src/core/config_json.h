#pragma once
// Reading a Hugging Face config.json into RopeConfigs, one per layer type.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rope_config.h"

namespace rope::core {

// Where one value the rotation uses came from: `field` (head_dim, rotary_dim, base, layout,
// rope_type, factor, ...) and `origin`, e.g. "config.json text_config.rope_theta", "class default of
// Qwen3Config (...)", "Hugging Face default", "derived: hidden_size / num_attention_heads = 4096 / 32".
struct ValueOrigin {
  std::string field;
  std::string origin;
};

// One rope parameter set and the layers that use it.
struct LayerTypeRope {
  std::string name;          // "full_attention", "sliding_attention", ...
  RopeConfig config;         // seq_len left at its default
  std::vector<int> layers;   // layer indices using this set (empty when the file does not say)
  std::vector<ValueOrigin> origins;
};

// Everything config.json says about the rotation of a model.
struct ModelRope {
  std::string model_type;     // of the language model (after following text_config)
  std::string text_config;    // "" or the key of the sub-config that holds the language model
  int num_layers = 0;         // num_hidden_layers (0 when unknown)
  std::vector<LayerTypeRope> layer_types;  // never empty; full_attention first when present
  std::vector<int> layer_set;              // per layer, the index into layer_types (empty when unknown)
  std::vector<std::string> warnings;       // Hugging Face's validation warnings and ropescope's own, one line each

  // The set named `name`, or nullptr.
  const LayerTypeRope* find(std::string_view name) const;
  // `name` if given (throws RopeError listing the available names when there is none such), else
  // full_attention when present, else the first set.
  const LayerTypeRope& select(std::optional<std::string_view> name) const;
};

// Parses config.json text. `origin` (usually the path) is used in messages. Follows text_config
// (and HF's other decoder sub-config names), applies the architecture rules of model_rules.h for the
// model_type, reads rope_scaling (v4) or rope_parameters (v5, flat or nested per layer type),
// rope_local_base_freq with layer_types / sliding_window_pattern, and resolves Hugging Face's
// precedence (a top-level partial_rotary_factor and original_max_position_embeddings win over the
// block's; a yarn / llama3 / longrope block without original_max_position_embeddings takes
// max_position_embeddings). Throws RopeError (one line) naming every missing required field, or the
// first malformed one.
ModelRope parse_hf_model(std::string_view json_text, std::string_view origin = "config.json");
// A GGUF file (llama.cpp) is read by load_gguf_model (core/gguf.h) instead.
ModelRope load_hf_model(const std::string& path);

// The default layer type's config (full_attention, else the only set), as the GUI loads a model.
RopeConfig parse_hf_config(std::string_view json_text, std::string_view origin = "config.json");
RopeConfig load_hf_config(const std::string& path);

// The resolved config as JSON (what `freqs --json` prints for the scaling block).
std::string scaling_to_json(const RopeFrequencies& freqs, const RopeConfig& config);

}  // namespace rope::core
