// libFuzzer entry point over parse_hf_model and compute_frequencies of every layer type. Any input
// must either give valid configs whose frequencies are finite (and one-line warnings), or throw a
// one-line RopeError naming the origin.
// Anything else (a crash, a sanitizer report, another exception type, a hang) is a bug.
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_config_json -j2
//   mkdir -p /tmp/config_corpus && build/fuzz/fuzz/fuzz_config_json -max_len=8192 -max_total_time=300 \
//       /tmp/config_corpus tests/data/fuzz_corpus/config_json
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_json.h"
#include "core/error.h"
#include "core/rope_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const rope::core::ModelRope model = rope::core::parse_hf_model(text, "fuzz.json");
    for (const std::string& w : model.warnings) {
      if (w.find('\n') != std::string::npos || w.rfind("fuzz.json", 0) != 0) __builtin_trap();
    }
    for (size_t layer = 0; layer < model.layer_set.size(); ++layer) {
      if (model.layer_set[layer] < 0 || static_cast<size_t>(model.layer_set[layer]) >= model.layer_types.size()) __builtin_trap();
    }
    for (const rope::core::LayerTypeRope& set : model.layer_types) {
      rope::core::RopeConfig config = set.config;
      // Exercise both longrope branches and dynamic's stretch.
      for (int64_t seq_len : {int64_t{1}, int64_t{1} << 20}) {
        config.seq_len = seq_len;
        const rope::core::RopeFrequencies f = rope::core::compute_frequencies(config);
        if (f.inv_freq.size() != static_cast<size_t>(f.rotary_dim / 2)) __builtin_trap();
        for (double v : f.inv_freq) {
          if (std::isnan(v)) __builtin_trap();
        }
      }
    }
  } catch (const rope::core::RopeError& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) __builtin_trap();
    if (message.rfind("fuzz.json", 0) != 0 && message.find("must") == std::string::npos &&
        message.find("requires") == std::string::npos) {
      __builtin_trap();  // neither names the origin nor says what is wrong
    }
  }
  return 0;
}
