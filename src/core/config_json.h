#pragma once
// Reading a Hugging Face config.json into a RopeConfig.
#include <string>
#include <string_view>

#include "core/rope_config.h"

namespace rope::core {

// Parses config.json text. `origin` (usually the path) is used in error messages.
// Reads rope_theta (or GPT-NeoX's rotary_emb_base), head_dim (or qk_rope_head_dim, or hidden_size / num_attention_heads),
// partial_rotary_factor / rotary_pct, max_position_embeddings, a top-level
// original_max_position_embeddings, and rope_scaling (v4) or rope_parameters (v5) with
// rope_type or the legacy type key. seq_len is left at its default.
// Throws RopeError naming the field on unknown types or missing required fields.
RopeConfig parse_hf_config(std::string_view json_text, std::string_view origin = "config.json");
RopeConfig load_hf_config(const std::string& path);

// The resolved config as JSON (what `freqs --json` prints for the scaling block).
std::string scaling_to_json(const RopeFrequencies& freqs, const RopeConfig& config);

}  // namespace rope::core
