// libFuzzer entry point over parse_gguf_model (from memory) and load_gguf_model (the same bytes
// from a file). Every input must either give a usable model (its default set computes) or a
// one-line RopeError naming the origin, and both paths must agree (the same rotation or the same
// message).
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_gguf -j2
//   mkdir -p /tmp/gguf_corpus && build/fuzz/fuzz/fuzz_gguf -max_len=4096 -malloc_limit_mb=64 \
//       -max_total_time=180 /tmp/gguf_corpus tests/data/gguf tests/data/gguf/hostile
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/gguf.h"

namespace {

std::string scratch_dir() { return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"; }

struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() { std::remove(path.c_str()); }
};

struct Outcome {
  std::optional<rope::core::RopeConfig> config;
  std::string error;
};

template <typename Fn>
Outcome run(Fn&& fn, const std::string& origin) {
  Outcome outcome;
  try {
    const rope::core::ModelRope model = fn();
    outcome.config = model.select(std::nullopt).config;
    rope::core::compute_frequencies(*outcome.config);  // whatever loads must compute
  } catch (const rope::core::RopeError& error) {
    outcome.error = error.what();
    if (outcome.error.find('\n') != std::string::npos) __builtin_trap();
    if (outcome.error.rfind(origin + ": ", 0) != 0) __builtin_trap();
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  namespace core = rope::core;
  static const std::string kPath = scratch_dir() + "/ropescope_fuzz_gguf_" + std::to_string(::getpid()) + ".gguf";
  static const RemoveOnExit kCleanup{kPath};
  std::FILE* file = std::fopen(kPath.c_str(), "wb");
  if (file == nullptr) return 0;
  const bool written = std::fwrite(bytes, 1, size, file) == size;
  std::fclose(file);
  if (!written) return 0;

  const Outcome from_memory = run([&] { return core::parse_gguf_model(bytes, size, kPath); }, kPath);
  const Outcome from_file = run([&] { return core::load_gguf_model(kPath); }, kPath);
  if (from_memory.error != from_file.error || from_memory.config != from_file.config) __builtin_trap();
  return 0;
}
