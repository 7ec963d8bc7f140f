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

// float32 or float64, little-endian, C order (fortran_order false), shape (d,), (N, d) or
// (heads, N, d); format versions 1.0, 2.0 and 3.0. float64 is narrowed to float32. The data must
// fill the file exactly. `origin` names the source in error messages.
Tensor read_npy(const std::string& path);
Tensor parse_npy(const void* bytes, size_t size, const std::string& origin);
// Writes float32 (or float64 when the double overload is used), little-endian, C order, format
// 1.0 with numpy's header layout: the bytes equal what np.save writes for the same array.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);

// F32, F16 or BF16 tensors converted to float32. The header (at most 100 MiB of JSON) must describe
// non-overlapping tensors that cover the data buffer exactly, as the reference implementation
// requires; tensors of other dtypes may be present but cannot be read.
Tensor read_safetensors(const std::string& path, const std::string& tensor_name);
Tensor parse_safetensors(const void* bytes, size_t size, const std::string& tensor_name,
                         const std::string& origin);
// Tensor names in the order of their data in the file.
std::vector<std::string> list_safetensors(const std::string& path);
std::vector<std::string> list_safetensors(const void* bytes, size_t size, const std::string& origin);

// IEEE binary16 and bfloat16 bit patterns to float32, exact for every input (subnormals, +-0,
// +-inf; NaN stays NaN with its payload).
float f16_bits_to_float(uint16_t bits);
float bf16_bits_to_float(uint16_t bits);

}  // namespace rope::core
