#pragma once
// Model presets: the models' public config.json files, embedded at build time
// (assets/presets/*.json -> presets_data.inc via embed_presets.py) and parsed with
// core::parse_hf_config, exactly like a file the user opens.
#include <span>
#include <string_view>

#include "core/rope_config.h"

namespace rope::app {

struct Preset {
  std::string_view name;    // e.g. "Llama-3.1-8B"
  std::string_view origin;  // the asset path, for messages
  std::string_view json;    // the config.json text
};

std::span<const Preset> presets();
// The preset's RopeConfig with seq_len set to `seq_len` (throws core::RopeError on a bad file).
core::RopeConfig preset_config(const Preset& preset, int64_t seq_len);

}  // namespace rope::app
