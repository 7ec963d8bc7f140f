#pragma once
// What the file-reader fuzz targets share: a scratch file copy of each input and the contract on
// errors (a RopeError of one line that starts with "<origin>: "; anything else traps).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "core/error.h"

namespace rope::fuzz {

// The file copy of each input lives in memory (tmpfs) when possible: disk files cut the rate 30x.
inline std::string scratch_path(const std::string& stem, const std::string& ext) {
  const std::string dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/ropescope_fuzz_" + stem + "_" + std::to_string(::getpid()) + ext;
}

// Removes the file copy when the fuzzer exits.
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() { std::remove(path.c_str()); }
};

// Writes the input to `path`; false when that fails (the input is then skipped).
inline bool write_scratch(const std::string& path, const uint8_t* bytes, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  const bool written = std::fwrite(bytes, 1, size, file) == size;
  std::fclose(file);
  return written;
}

// One read: its value, or the message of its RopeError.
template <typename T>
struct Outcome {
  std::optional<T> value;
  std::string error;
};

template <typename Fn>
auto run(Fn&& fn, const std::string& origin) {
  Outcome<decltype(fn())> outcome;
  try {
    outcome.value = fn();
  } catch (const rope::core::RopeError& error) {
    outcome.error = error.what();
    if (outcome.error.find('\n') != std::string::npos) __builtin_trap();
    if (outcome.error.rfind(origin + ": ", 0) != 0) __builtin_trap();
  }
  return outcome;
}

}  // namespace rope::fuzz
