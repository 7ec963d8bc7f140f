// libFuzzer entry point over list_safetensors / parse_safetensors (from memory). Every input must
// either give tensors consistent with their shapes or a one-line RopeError naming the origin.
//   cmake --preset fuzz && cmake --build --preset fuzz -j2
//   mkdir -p /tmp/st_corpus && build/fuzz/fuzz/fuzz_safetensors -max_len=4096 -max_total_time=180 \
//       -dict=tests/data/fuzz_corpus/safetensors.dict /tmp/st_corpus tests/data/fuzz_corpus/safetensors
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor_io.h"

namespace {

const std::string kOrigin = "fuzz.safetensors";

void check_error(const rope::core::RopeError& error) {
  const char* message = error.what();
  if (std::strchr(message, '\n') != nullptr) __builtin_trap();
  if (std::strncmp(message, "fuzz.safetensors: ", 18) != 0) __builtin_trap();
}

void read_one(const uint8_t* bytes, size_t size, const std::string& name) {
  try {
    const rope::core::Tensor tensor = rope::core::parse_safetensors(bytes, size, name, kOrigin);
    uint64_t count = 1;
    for (const int64_t dim : tensor.shape) {
      if (dim < 0) __builtin_trap();
      count *= static_cast<uint64_t>(dim);
    }
    if (count != tensor.data.size()) __builtin_trap();
    if (size < 8 + 2 * count) __builtin_trap();  // at least 2 bytes per element were in the file
  } catch (const rope::core::RopeError& error) {
    check_error(error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::vector<std::string> names;
  try {
    names = rope::core::list_safetensors(bytes, size, kOrigin);
  } catch (const rope::core::RopeError& error) {
    check_error(error);
  }
  for (size_t i = 0; i < names.size() && i < 16; ++i) read_one(bytes, size, names[i]);
  read_one(bytes, size, "q");  // the seeds' tensor name; also exercises the missing-name path
  return 0;
}
