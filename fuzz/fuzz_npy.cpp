// libFuzzer entry point over parse_npy. Any input must either parse into a consistent tensor or
// throw a one-line RopeError naming the origin; anything else (a crash, a sanitizer report, another
// exception type, an allocation beyond libFuzzer's -rss_limit_mb / -malloc_limit_mb) is a bug.
//   cmake --preset fuzz && cmake --build --preset fuzz -j2
//   mkdir -p /tmp/npy_corpus && build/fuzz/fuzz/fuzz_npy -max_len=4096 -max_total_time=180 \
//       -dict=tests/data/fuzz_corpus/npy.dict /tmp/npy_corpus tests/data/fuzz_corpus/npy
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/tensor_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const std::string kOrigin = "fuzz.npy";
  try {
    const rope::core::Tensor tensor = rope::core::parse_npy(bytes, size, kOrigin);
    // A parsed tensor is 1- to 3-d, its element count matches its shape, and the file held at
    // least 4 bytes per element (float32) after a 10-byte prefix.
    if (tensor.shape.empty() || tensor.shape.size() > 3) __builtin_trap();
    uint64_t count = 1;
    for (const int64_t dim : tensor.shape) {
      if (dim < 0) __builtin_trap();
      count *= static_cast<uint64_t>(dim);
    }
    if (count != tensor.data.size()) __builtin_trap();
    if (size < 10 + 4 * count) __builtin_trap();
  } catch (const rope::core::RopeError& error) {
    const char* message = error.what();
    if (std::strchr(message, '\n') != nullptr) __builtin_trap();
    if (std::strncmp(message, "fuzz.npy: ", 10) != 0) __builtin_trap();
  }
  return 0;
}
