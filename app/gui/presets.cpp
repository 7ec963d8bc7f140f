#include "gui/presets.h"

#include <array>
#include <string>

#include "core/config_json.h"

namespace rope::app {
namespace {

constexpr Preset kPresets[] = {
#include "gui/presets_data.inc"
};

}  // namespace

std::span<const Preset> presets() { return kPresets; }

core::RopeConfig preset_config(const Preset& preset, int64_t seq_len) {
  core::RopeConfig config = core::parse_hf_config(preset.json, std::string(preset.origin));
  config.seq_len = seq_len;
  return config;
}

}  // namespace rope::app
