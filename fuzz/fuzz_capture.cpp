// libFuzzer entry point over the capture reader (core/capture.h) from memory: every input either
// opens, with every query and key head readable and its statistics finite-or-NaN but computed
// without a crash, or throws a one-line RopeError naming the origin. Warnings are one line too.
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_capture -j2
//   mkdir -p /tmp/cap_corpus && build/fuzz/fuzz/fuzz_capture -max_len=16384 -malloc_limit_mb=256 \
//       -max_total_time=180 -dict=tests/data/fuzz_corpus/safetensors.dict /tmp/cap_corpus \
//       tests/data/fuzz_corpus/capture
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/capture.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  namespace core = rope::core;
  static const std::string kOrigin = "fuzz.safetensors";
  try {
    const core::Capture capture = core::Capture::view(bytes, size, kOrigin);
    for (const std::string& warning : capture.warnings()) {
      if (warning.find('\n') != std::string::npos || warning.rfind(kOrigin, 0) != 0) __builtin_trap();
    }
    if (capture.positions().size() != static_cast<size_t>(capture.seq_len())) __builtin_trap();
    if (!capture.tokens().empty() && capture.tokens().size() != static_cast<size_t>(capture.seq_len())) __builtin_trap();
    if (capture.layers().size() != static_cast<size_t>(capture.num_layers())) __builtin_trap();
    std::vector<float> qb, kb;
    const size_t cells = static_cast<size_t>(capture.seq_len()) * static_cast<size_t>(capture.head_dim());
    float total = 0.0f;
    for (int layer = 0; layer < capture.num_layers() && layer < 4; ++layer) {
      for (int head = 0; head < capture.num_heads() && head < 8; ++head) {
        const float* q = capture.query_rows(layer, head, qb);
        const float* k = capture.key_rows(layer, capture.kv_head_of(head), kb);
        total += q[cells - 1] + k[0];
      }
    }
    if (capture.config() && cells <= 4096 && capture.num_layers() * capture.num_heads() <= 8) {
      core::capture_head_stats(capture, core::compute_frequencies(*capture.config()), {}, 4);
    }
    (void)total;
  } catch (const core::RopeError& error) {
    const std::string message = error.what();
    if (message.find('\n') != std::string::npos || message.rfind(kOrigin + ":", 0) != 0) __builtin_trap();
  }
  return 0;
}
