// libFuzzer entry point over parse_npy (from memory) and read_npy (the same bytes from a file).
// Any input must either parse into a consistent tensor or throw a one-line RopeError naming the
// origin, and both paths must agree exactly (same tensor bits, or the same message). Anything else
// (a crash, a sanitizer report, another exception type, an allocation beyond -malloc_limit_mb) is a
// bug.
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_npy -j2
//   mkdir -p /tmp/npy_corpus && build/fuzz/fuzz/fuzz_npy -max_len=4096 -malloc_limit_mb=16 \
//       -max_total_time=180 -dict=tests/data/fuzz_corpus/npy.dict /tmp/npy_corpus tests/data/fuzz_corpus/npy
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/tensor_io.h"
#include "fuzz_common.h"

namespace {

using Outcome = rope::fuzz::Outcome<rope::core::Tensor>;

void check_tensor(const rope::core::Tensor& tensor, size_t file_size) {
  // 1- to 3-d, element count matching the shape, and at least 4 bytes per element after a
  // 10-byte prefix.
  if (tensor.shape.empty() || tensor.shape.size() > 3) __builtin_trap();
  uint64_t count = 1;
  for (const int64_t dim : tensor.shape) {
    if (dim < 0) __builtin_trap();
    count *= static_cast<uint64_t>(dim);
  }
  if (count != tensor.data.size()) __builtin_trap();
  if (file_size < 10 + 4 * count) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const std::string kPath = rope::fuzz::scratch_path("npy", ".npy");
  static const rope::fuzz::RemoveOnExit kCleanup{kPath};
  const Outcome from_memory = rope::fuzz::run([&] { return rope::core::parse_npy(bytes, size, kPath); }, kPath);
  if (from_memory.value) check_tensor(*from_memory.value, size);

  if (!rope::fuzz::write_scratch(kPath, bytes, size)) return 0;
  const Outcome from_file = rope::fuzz::run([&] { return rope::core::read_npy(kPath); }, kPath);
  if (from_memory.error != from_file.error || from_memory.value.has_value() != from_file.value.has_value()) {
    __builtin_trap();
  }
  if (from_memory.value) {
    const auto& a = *from_memory.value;
    const auto& b = *from_file.value;
    if (a.shape != b.shape || a.data.size() != b.data.size()) __builtin_trap();
    if (!a.data.empty() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) != 0) {
      __builtin_trap();
    }
  }
  return 0;
}
