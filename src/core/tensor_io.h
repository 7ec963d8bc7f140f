#pragma once
// .npy (read/write) and .safetensors (read) for float tensors. Every size in a file is checked
// against the file's real length before anything is allocated; bad files throw RopeError with a
// one-line message naming the file and the problem.
#include <cstdint>
#include <string>
#include <vector>

namespace rope::core {

struct Tensor {
  std::vector<int64_t> shape;  // C order
  std::vector<float> data;     // product(shape) values
};

// float32 or float64, little-endian, C order (fortran_order false). float64 is narrowed to float32.
Tensor read_npy(const std::string& path);
Tensor parse_npy(const void* bytes, size_t size, const std::string& origin);
// Writes float32 (or float64 when the double overload is used), little-endian, C order.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);

// F32, F16 or BF16 tensors converted to float32.
Tensor read_safetensors(const std::string& path, const std::string& tensor_name);
Tensor parse_safetensors(const void* bytes, size_t size, const std::string& tensor_name,
                         const std::string& origin);
std::vector<std::string> list_safetensors(const std::string& path);

}  // namespace rope::core
