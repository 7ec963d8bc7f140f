// libFuzzer entry point over list_safetensors / parse_safetensors (from memory) and
// list_safetensors / read_safetensors (the same bytes from a file). Every input must either give
// tensors consistent with their shapes or a one-line RopeError naming the origin, and both paths
// must agree exactly (same names and tensor bits, or the same message).
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_safetensors -j2
//   mkdir -p /tmp/st_corpus && build/fuzz/fuzz/fuzz_safetensors -max_len=4096 -malloc_limit_mb=16 \
//       -max_total_time=180 -dict=tests/data/fuzz_corpus/safetensors.dict /tmp/st_corpus \
//       tests/data/fuzz_corpus/safetensors
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor_io.h"
#include "fuzz_common.h"

namespace {

using rope::fuzz::Outcome;
using rope::fuzz::run;

void check_tensor(const rope::core::Tensor& tensor, size_t file_size) {
  uint64_t count = 1;
  for (const int64_t dim : tensor.shape) {
    if (dim < 0) __builtin_trap();
    count *= static_cast<uint64_t>(dim);
  }
  if (count != tensor.data.size()) __builtin_trap();
  if (file_size < 8 + 2 * count) __builtin_trap();  // at least 2 bytes per element were in the file
}

void same_tensor(const Outcome<rope::core::Tensor>& a, const Outcome<rope::core::Tensor>& b) {
  if (a.error != b.error || a.value.has_value() != b.value.has_value()) __builtin_trap();
  if (!a.value) return;
  if (a.value->shape != b.value->shape || a.value->data.size() != b.value->data.size()) __builtin_trap();
  if (!a.value->data.empty() &&
      std::memcmp(a.value->data.data(), b.value->data.data(), a.value->data.size() * sizeof(float)) != 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  namespace core = rope::core;
  static const std::string kPath = rope::fuzz::scratch_path("st", ".safetensors");
  static const rope::fuzz::RemoveOnExit kCleanup{kPath};
  if (!rope::fuzz::write_scratch(kPath, bytes, size)) return 0;

  const auto names = run([&] { return core::list_safetensors(bytes, size, kPath); }, kPath);
  const auto names_from_file = run([&] { return core::list_safetensors(kPath); }, kPath);
  if (names.error != names_from_file.error || names.value != names_from_file.value) __builtin_trap();

  std::vector<std::string> to_read = {"q"};  // the seeds' tensor name; also the missing-name path
  if (names.value) {
    for (size_t i = 0; i < names.value->size() && i < 16; ++i) to_read.push_back((*names.value)[i]);
  }
  for (const std::string& name : to_read) {
    const auto from_memory = run([&] { return core::parse_safetensors(bytes, size, name, kPath); }, kPath);
    const auto from_file = run([&] { return core::read_safetensors(kPath, name); }, kPath);
    if (from_memory.value) check_tensor(*from_memory.value, size);
    same_tensor(from_memory, from_file);
  }
  return 0;
}
