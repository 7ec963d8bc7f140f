#pragma once
// One error type for everything the core rejects: bad configs, malformed files, absurd sizes.
// what() is a single line that says what is wrong and where.
#include <stdexcept>
#include <string>

namespace rope::core {

class RopeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rope::core
