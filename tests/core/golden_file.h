#pragma once
// The golden values under tests/golden/, parsed once per file: null when the file is missing or
// not JSON (the tests that read it then fail, naming what they looked for).
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace rope::test {

inline const nlohmann::json& golden_file(const std::string& name) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::ifstream in(std::string(ROPE_GOLDEN_DIR) + "/" + name);
    nlohmann::json parsed = in ? nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false) : nlohmann::json();
    it = cache.emplace(name, std::move(parsed)).first;
  }
  return it->second;
}

}  // namespace rope::test
