// libFuzzer entry point over parse_gguf_model (from memory) and load_gguf_model (the same bytes
// from a file). Every input must either give a usable model (its default set computes) or a
// one-line RopeError naming the origin, and both paths must agree (the same rotation or the same
// message).
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_gguf -j2
//   mkdir -p /tmp/gguf_corpus && build/fuzz/fuzz/fuzz_gguf -max_len=4096 -malloc_limit_mb=64 \
//       -max_total_time=180 /tmp/gguf_corpus tests/data/gguf tests/data/gguf/hostile
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/gguf.h"
#include "fuzz_common.h"

namespace {

// The default rope set of the model, after checking that it computes.
rope::core::RopeConfig usable(const rope::core::ModelRope& model) {
  const rope::core::RopeConfig config = model.select(std::nullopt).config;
  rope::core::compute_frequencies(config);
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  namespace core = rope::core;
  namespace fuzz = rope::fuzz;
  static const std::string kPath = fuzz::scratch_path("gguf", ".gguf");
  static const fuzz::RemoveOnExit kCleanup{kPath};
  if (!fuzz::write_scratch(kPath, bytes, size)) return 0;
  const auto from_memory = fuzz::run([&] { return usable(core::parse_gguf_model(bytes, size, kPath)); }, kPath);
  const auto from_file = fuzz::run([&] { return usable(core::load_gguf_model(kPath)); }, kPath);
  if (from_memory.error != from_file.error || from_memory.value != from_file.value) __builtin_trap();
  return 0;
}
