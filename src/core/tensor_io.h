#pragma once
// .npy (read/write) and .safetensors (read) for float tensors. Every size in a file is checked
// against the file's real length before anything is allocated; bad files throw RopeError with a
// one-line message naming the file and the problem.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
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

// A .safetensors file opened without reading its data: the header is parsed and checked as above
// (and its __metadata__ kept), and each tensor is a view into the file mapped read-only (open) or
// into the caller's bytes (view; they must outlive every copy). Pages are read only when a
// tensor's bytes are touched, so opening costs the header alone. Copies share the mapping.
struct SafetensorsTensorView {
  std::string name;
  std::string dtype;  // as written in the header: "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // size_bytes bytes, any alignment
  uint64_t size_bytes = 0;
};

class SafetensorsMap {
 public:
  static SafetensorsMap open(const std::string& path);
  static SafetensorsMap view(const void* bytes, size_t size, const std::string& origin);

  const std::vector<SafetensorsTensorView>& tensors() const { return tensors_; }  // in data order
  const SafetensorsTensorView* find(std::string_view name) const;  // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& origin() const { return origin_; }

 private:
  std::shared_ptr<const void> mapping_;  // unmaps when the last copy goes
  std::vector<SafetensorsTensorView> tensors_;
  std::map<std::string, std::string> metadata_;
  std::string origin_;
};

// Bytes per element of F32, F16 and BF16, 0 for every other dtype name.
size_t float_dtype_size(std::string_view dtype);
// Converts `count` little-endian F32, F16 or BF16 elements at src (any alignment) to float32.
// Throws RopeError for another dtype.
void decode_floats(std::string_view dtype, const uint8_t* src, size_t count, float* dst);

// IEEE binary16 and bfloat16 bit patterns to float32, exact for every input (subnormals, +-0,
// +-inf; NaN stays NaN with its payload).
float f16_bits_to_float(uint16_t bits);
float bf16_bits_to_float(uint16_t bits);

}  // namespace rope::core
