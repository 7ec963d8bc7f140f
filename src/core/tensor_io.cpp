// .npy and .safetensors I/O. Hostile input is the normal case here: every length, shape and offset
// read from a file is checked (with overflow-safe arithmetic) against the real file size before
// anything is allocated, and every problem becomes a one-line RopeError "<file>: <problem>".
#include "core/tensor_io.h"

#include <algorithm>
#include <array>
#include <bit>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "core/error.h"

namespace rope::core {
namespace {

constexpr uint64_t kNpyMaxHeaderLen = uint64_t{1} << 20;            // 1 MiB of Python dict text
constexpr uint64_t kSafetensorsMaxHeaderLen = uint64_t{100} << 20;  // 100 MiB of JSON
constexpr size_t kNpyMaxRank = 3;
constexpr size_t kSafetensorsMaxRank = 16;
constexpr size_t kNpyMagicLen = 6;
constexpr size_t kNpyAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy pads the header so shape[0] can grow in place
constexpr size_t kIoChunkBytes = size_t{1} << 20;
constexpr char kNpyMagic[kNpyMagicLen] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

// ---------------------------------------------------------------------------------------------
// Messages

// Makes text from a file safe for a one-line message: control and non-ASCII bytes become \xNN,
// and long text is cut.
std::string printable(std::string_view text, size_t max_len = 120) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw RopeError(printable(origin, 400) + ": " + problem);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

// ---------------------------------------------------------------------------------------------
// Overflow-safe sizes and little-endian loads

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

// Number of elements of `shape`, or nullopt when the product does not fit in 63 bits.
std::optional<uint64_t> element_count(const std::vector<int64_t>& shape) {
  uint64_t count = 1;
  for (const int64_t dim : shape) {
    if (dim < 0 || mul_overflows(count, static_cast<uint64_t>(dim), &count)) return std::nullopt;
  }
  if (count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return count;
}

uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint64_t load_le64(const uint8_t* p) { return uint64_t{load_le32(p)} | (uint64_t{load_le32(p + 4)} << 32); }

enum class ElementType { kF32, kF64, kF16, kBF16 };

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::kF32: return 4;
    case ElementType::kF64: return 8;
    case ElementType::kF16:
    case ElementType::kBF16: return 2;
  }
  return 0;
}

// Converts `count` little-endian elements at `src` (any alignment) to float32.
void convert_to_float(const uint8_t* src, size_t count, ElementType type, float* dst) {
  switch (type) {
    case ElementType::kF32:
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(dst, src, count * 4);
      } else {
        for (size_t i = 0; i < count; ++i) dst[i] = std::bit_cast<float>(load_le32(src + 4 * i));
      }
      return;
    case ElementType::kF64:
      for (size_t i = 0; i < count; ++i) {
        dst[i] = static_cast<float>(std::bit_cast<double>(load_le64(src + 8 * i)));
      }
      return;
    case ElementType::kF16:
      for (size_t i = 0; i < count; ++i) dst[i] = f16_bits_to_float(load_le16(src + 2 * i));
      return;
    case ElementType::kBF16:
      for (size_t i = 0; i < count; ++i) dst[i] = bf16_bits_to_float(load_le16(src + 2 * i));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

struct InputFile {
  std::ifstream stream;
  uint64_t size = 0;
};

InputFile open_input(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) fail(path, "cannot open: no such file");
  if (ec) fail(path, "cannot open: " + ec.message());
  if (!std::filesystem::is_regular_file(status)) fail(path, "cannot open: not a regular file");
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, "cannot determine the file size: " + ec.message());
  InputFile file;
  file.stream.open(path, std::ios::binary);
  if (!file.stream) fail(path, std::string("cannot open: ") + std::strerror(errno));
  file.size = size;
  return file;
}

void read_exact(InputFile& file, uint64_t offset, void* dst, size_t bytes, const std::string& path) {
  file.stream.seekg(static_cast<std::streamoff>(offset));
  file.stream.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes));
  if (!file.stream || static_cast<size_t>(file.stream.gcount()) != bytes) {
    fail(path, "read failed at byte " + std::to_string(offset) + " (file changed or unreadable)");
  }
}

// Reads `count` elements starting at `offset` into `dst`, converting to float32 chunk by chunk so
// that no buffer larger than the chunk size is needed besides the result itself.
void read_elements(InputFile& file, uint64_t offset, size_t count, ElementType type, float* dst,
                   const std::string& path) {
  const size_t item = element_size(type);
  if (type == ElementType::kF32 && std::endian::native == std::endian::little) {
    read_exact(file, offset, dst, count * item, path);
    return;
  }
  std::vector<uint8_t> chunk(std::min(count * item, kIoChunkBytes));
  const size_t per_chunk = kIoChunkBytes / item;
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(per_chunk, count - done);
    read_exact(file, offset + done * item, chunk.data(), n * item, path);
    convert_to_float(chunk.data(), n, type, dst + done);
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------
// .npy header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }

struct NpyLayout {
  std::vector<int64_t> shape;
  ElementType type = ElementType::kF32;
  uint64_t data_offset = 0;
  uint64_t count = 0;
};

class NpyHeaderParser {
 public:
  NpyHeaderParser(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  void parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_space();
    expect('{', "the header does not start with '{'");
    skip_space();
    while (peek() != '}') {
      const std::string key = parse_string("a quoted key");
      skip_space();
      expect(':', "expected ':' after key '" + printable(key) + "'");
      skip_space();
      if (key == "descr") {
        if (have_descr) error("duplicate key 'descr'");
        if (peek() != '\'' && peek() != '"') error("descr is not a simple dtype string (structured dtype?)");
        *descr = parse_string("a dtype string");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) error("duplicate key 'fortran_order'");
        *fortran_order = parse_bool();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) error("duplicate key 'shape'");
        *shape = parse_shape();
        have_shape = true;
      } else {
        error("unexpected key '" + printable(key) + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        error("expected ',' or '}'");
      }
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != text_.size()) error("unexpected text after the closing '}'");
    if (!have_descr) error("missing key 'descr'");
    if (!have_fortran) error("missing key 'fortran_order'");
    if (!have_shape) error("missing key 'shape'");
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(origin_, "malformed .npy header: " + what + " (header byte " + std::to_string(pos_) + ")");
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  void expect(char c, const std::string& what) {
    if (at_end() || text_[pos_] != c) error(what);
    ++pos_;
  }
  std::string parse_string(const std::string& what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') error("expected " + what);
    const size_t start = ++pos_;
    while (!at_end() && text_[pos_] != quote && text_[pos_] != '\n' && text_[pos_] != '\\') ++pos_;
    if (at_end() || text_[pos_] != quote) error("unterminated or escaped string");
    return std::string(text_.substr(start, pos_++ - start));
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    error("fortran_order is not True or False");
  }
  int64_t parse_dim() {
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (at_end() || text_[pos_] < '0' || text_[pos_] > '9') error("shape holds something that is not an integer");
    uint64_t value = 0;
    bool too_large = false;
    while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (mul_overflows(value, 10, &value) || __builtin_add_overflow(value, uint64_t(text_[pos_] - '0'), &value)) {
        too_large = true;
      }
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 long suffix
    if (negative && value != 0) error("negative dimension in shape");
    if (too_large || value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      error("dimension too large in shape");
    }
    return static_cast<int64_t>(value);
  }
  std::vector<int64_t> parse_shape() {
    expect('(', "shape is not a tuple");
    std::vector<int64_t> dims;
    bool trailing_comma = false;
    skip_space();
    while (peek() != ')') {
      if (dims.size() >= 32) error("shape has too many dimensions");
      dims.push_back(parse_dim());
      trailing_comma = false;
      skip_space();
      if (peek() == ',') {
        ++pos_;
        trailing_comma = true;
        skip_space();
      } else if (peek() != ')') {
        error("expected ',' or ')' in shape");
      }
    }
    ++pos_;
    if (dims.size() == 1 && !trailing_comma) error("shape is not a tuple (a 1-tuple needs a trailing comma)");
    return dims;
  }

  std::string_view text_;
  const std::string& origin_;
  size_t pos_ = 0;
};

// Magic, version and header length; returns the header length and sets `prefix_len` (magic +
// version + length field). Checks the length against the file size before anything else.
uint64_t npy_header_len(const uint8_t* bytes, size_t available, uint64_t file_size, const std::string& origin,
                        size_t* prefix_len) {
  if (file_size < 10 || available < 10) {
    fail(origin, "too short for a .npy file (" + std::to_string(file_size) + " bytes)");
  }
  if (std::memcmp(bytes, kNpyMagic, kNpyMagicLen) != 0) fail(origin, "not a .npy file (bad magic bytes)");
  const int major = bytes[6], minor = bytes[7];
  uint64_t header_len = 0;
  if (major == 1 && minor == 0) {
    header_len = load_le16(bytes + 8);
    *prefix_len = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (file_size < 12 || available < 12) fail(origin, "truncated .npy header length field");
    header_len = load_le32(bytes + 8);
    *prefix_len = 12;
  } else {
    fail(origin, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > file_size - *prefix_len) {
    fail(origin, ".npy header length " + std::to_string(header_len) + " runs past the end of the file (" +
                     std::to_string(file_size) + " bytes); nothing was allocated");
  }
  if (header_len > kNpyMaxHeaderLen) {
    fail(origin, ".npy header length " + std::to_string(header_len) + " exceeds the 1 MiB limit");
  }
  return header_len;
}

// Parses and checks everything up to the data. `bytes` holds at least the first
// min(file_size, 12 + kNpyMaxHeaderLen) bytes of a file of `file_size` bytes.
NpyLayout parse_npy_layout(const uint8_t* bytes, size_t available, uint64_t file_size, const std::string& origin) {
  size_t prefix_len = 0;
  const uint64_t header_len = npy_header_len(bytes, available, file_size, origin, &prefix_len);
  if (prefix_len + header_len > available) fail(origin, "internal error: .npy header not fully read");
  const std::string_view header(reinterpret_cast<const char*>(bytes + prefix_len), header_len);

  std::string descr;
  bool fortran_order = false;
  NpyLayout layout;
  NpyHeaderParser(header, origin).parse(&descr, &fortran_order, &layout.shape);

  if (descr == "<f4") {
    layout.type = ElementType::kF32;
  } else if (descr == "<f8") {
    layout.type = ElementType::kF64;
  } else if (descr == ">f4" || descr == ">f8") {
    fail(origin, "big-endian dtype '" + descr + "' is not supported (need '<f4' or '<f8')");
  } else {
    fail(origin, "unsupported dtype '" + printable(descr) + "' (need float32 '<f4' or float64 '<f8')");
  }
  if (fortran_order) fail(origin, "fortran_order True is not supported (save the array in C order)");
  if (layout.shape.empty()) fail(origin, "0-d arrays are not supported (need shape (d,), (N, d) or (heads, N, d))");
  if (layout.shape.size() > kNpyMaxRank) {
    fail(origin, std::to_string(layout.shape.size()) + "-d shape " + shape_text(layout.shape) +
                     " is not supported (need (d,), (N, d) or (heads, N, d))");
  }
  const auto count = element_count(layout.shape);
  uint64_t data_bytes = 0;
  if (!count || mul_overflows(*count, element_size(layout.type), &data_bytes)) {
    fail(origin, "shape " + shape_text(layout.shape) + " has too many elements");
  }
  layout.count = *count;
  layout.data_offset = prefix_len + header_len;
  const uint64_t have = file_size - layout.data_offset;
  if (data_bytes > have) {
    fail(origin, "data truncated: shape " + shape_text(layout.shape) + " " + descr + " needs " +
                     std::to_string(data_bytes) + " bytes, the file has " + std::to_string(have) +
                     " after the header");
  }
  if (data_bytes < have) {
    fail(origin, std::to_string(have - data_bytes) + " unexpected bytes after the data of shape " +
                     shape_text(layout.shape));
  }
  if (layout.count > std::numeric_limits<size_t>::max() / 8) fail(origin, "array too large for this machine");
  return layout;
}

// numpy's own header (format.py _write_array_header + _wrap_header), so our files are byte-for-byte
// what np.save writes for the same array.
std::string npy_header(std::string_view descr, const std::vector<int64_t>& shape) {
  std::string shape_repr = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) shape_repr += ", ";
    shape_repr += std::to_string(shape[i]);
  }
  if (shape.size() == 1) shape_repr += ",";
  shape_repr += ")";
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape_repr + ", }";
  if (!shape.empty()) {
    const size_t first_len = std::to_string(shape[0]).size();
    if (first_len < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - first_len, ' ');
  }
  const size_t dict_len = dict.size() + 1;  // + '\n'
  for (const size_t length_field : {size_t{2}, size_t{4}}) {
    const size_t prefix = kNpyMagicLen + 2 + length_field;
    const size_t pad = kNpyAlign - ((prefix + dict_len) % kNpyAlign);  // 64 when already aligned, as numpy
    const size_t header_len = dict_len + pad;
    if (length_field == 2 && header_len > 0xffff) continue;
    std::string out(kNpyMagic, kNpyMagicLen);
    out += static_cast<char>(length_field == 2 ? 1 : 2);
    out += '\0';
    for (size_t b = 0; b < length_field; ++b) out += static_cast<char>((header_len >> (8 * b)) & 0xff);
    out += dict;
    out.append(pad, ' ');
    out += '\n';
    return out;
  }
  throw RopeError("npy header too large");  // unreachable for any shape that fits in memory
}

template <typename T>
void write_npy_impl(const std::string& path, const T* data, const std::vector<int64_t>& shape,
                    std::string_view descr) {
  const auto count = element_count(shape);
  uint64_t bytes = 0;
  if (!count || mul_overflows(*count, sizeof(T), &bytes) || bytes > std::numeric_limits<size_t>::max()) {
    fail(path, "cannot write: shape " + shape_text(shape) + " is invalid or too large");
  }
  if (bytes > 0 && data == nullptr) fail(path, "cannot write: no data for shape " + shape_text(shape));
  const std::string header = npy_header(descr, shape);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, std::string("cannot open for writing: ") + std::strerror(errno));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  if constexpr (std::endian::native == std::endian::little) {
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  } else {
    for (uint64_t i = 0; i < *count && out; ++i) {
      auto bits = std::bit_cast<std::array<char, sizeof(T)>>(data[i]);
      std::reverse(bits.begin(), bits.end());
      out.write(bits.data(), sizeof(T));
    }
  }
  out.close();
  if (!out) fail(path, "write failed (disk full or not writable)");
}

// ---------------------------------------------------------------------------------------------
// .safetensors: 8-byte little-endian header length N, N bytes of JSON, then the data buffer.
// {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, "__metadata__": {...}}

struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in data order
  uint64_t data_start = 0;                // 8 + N
  std::map<std::string, std::string> metadata;
};

// Bytes per element of the dtypes the format defines, 0 for an unknown name.
size_t safetensors_dtype_size(std::string_view dtype) {
  static constexpr std::pair<std::string_view, size_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2},
      {"F16", 2},  {"BF16", 2}, {"I32", 4}, {"U32", 4},     {"F32", 4},     {"F64", 8}, {"I64", 8},
      {"U64", 8},  {"C64", 8}};
  for (const auto& [name, size] : kSizes) {
    if (name == dtype) return size;
  }
  return 0;
}

// Builds the entries straight from the SAX events: no JSON tree, strict structure, and memory that
// grows only with what the header really contains.
class SafetensorsSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata;  // a repeated key keeps its last value
  std::string error;

  bool null() override { return reject("null"); }
  bool boolean(bool) override { return reject("boolean"); }
  bool number_integer(number_integer_t value) override {
    if (value >= 0) return number_unsigned(static_cast<number_unsigned_t>(value));
    if (where_ == Where::kShape) return fail_with("negative dimension " + std::to_string(value) + " in shape" + of_tensor());
    if (where_ == Where::kOffsets) return fail_with("negative data_offsets" + of_tensor());
    return reject("number");
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (where_ == Where::kShape) {
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail_with("dimension too large in shape" + of_tensor());
      }
      if (entries.back().shape.size() >= kSafetensorsMaxRank) return fail_with("shape has too many dimensions" + of_tensor());
      entries.back().shape.push_back(static_cast<int64_t>(value));
      return true;
    }
    if (where_ == Where::kOffsets) {
      if (offsets_seen_ == 0) entries.back().begin = value;
      if (offsets_seen_ == 1) entries.back().end = value;
      if (++offsets_seen_ > 2) return fail_with("data_offsets must hold two numbers" + of_tensor());
      return true;
    }
    return reject("number");
  }
  bool number_float(number_float_t, const string_t&) override {
    if (where_ == Where::kShape) return fail_with("shape holds a non-integer or huge number" + of_tensor());
    if (where_ == Where::kOffsets) return fail_with("data_offsets hold a non-integer or huge number" + of_tensor());
    return reject("number");
  }
  bool string(string_t& value) override {
    if (where_ == Where::kMetadata) {
      metadata[metadata_key_] = std::move(value);
      return true;
    }
    if (where_ == Where::kTensor && tensor_key_ == "dtype") {
      entries.back().dtype = value;
      return true;
    }
    return reject("string");
  }
  bool binary(binary_t&) override { return reject("binary data"); }
  bool start_object(std::size_t) override {
    if (where_ == Where::kStart) {
      where_ = Where::kTop;
      return true;
    }
    if (where_ == Where::kTop && top_key_ == "__metadata__") {
      if (seen_metadata_) return fail_with("duplicate __metadata__");
      seen_metadata_ = true;
      where_ = Where::kMetadata;
      return true;
    }
    if (where_ == Where::kTop) {
      if (!names_.insert(top_key_).second) return fail_with("duplicate tensor name '" + printable(top_key_) + "'");
      entries.push_back(SafetensorsEntry{top_key_, {}, {}, 0, 0});
      has_dtype_ = has_shape_ = has_offsets_ = false;
      where_ = Where::kTensor;
      return true;
    }
    return reject("object");
  }
  bool key(string_t& value) override {
    if (where_ == Where::kTop) {
      top_key_ = value;
      return true;
    }
    if (where_ == Where::kMetadata) {
      metadata_key_ = value;
      return true;
    }
    if (where_ == Where::kTensor) {
      tensor_key_ = value;
      bool* seen = value == "dtype" ? &has_dtype_ : value == "shape" ? &has_shape_ : value == "data_offsets" ? &has_offsets_ : nullptr;
      if (seen == nullptr) return fail_with("unexpected key '" + printable(value) + "'" + of_tensor());
      if (*seen) return fail_with("duplicate key '" + value + "'" + of_tensor());
      *seen = true;
      return true;
    }
    return reject("key");
  }
  bool end_object() override {
    if (where_ == Where::kTop) {
      where_ = Where::kDone;
      return true;
    }
    if (where_ == Where::kMetadata) {
      where_ = Where::kTop;
      return true;
    }
    if (where_ == Where::kTensor) {
      if (!has_dtype_) return fail_with("missing dtype" + of_tensor());
      if (!has_shape_) return fail_with("missing shape" + of_tensor());
      if (!has_offsets_) return fail_with("missing data_offsets" + of_tensor());
      where_ = Where::kTop;
      return true;
    }
    return reject("'}'");
  }
  bool start_array(std::size_t) override {
    if (where_ == Where::kTensor && tensor_key_ == "shape") {
      where_ = Where::kShape;
      return true;
    }
    if (where_ == Where::kTensor && tensor_key_ == "data_offsets") {
      offsets_seen_ = 0;
      where_ = Where::kOffsets;
      return true;
    }
    return reject("array");
  }
  bool end_array() override {
    if (where_ == Where::kShape) {
      where_ = Where::kTensor;
      return true;
    }
    if (where_ == Where::kOffsets) {
      if (offsets_seen_ != 2) return fail_with("data_offsets must hold two numbers" + of_tensor());
      where_ = Where::kTensor;
      return true;
    }
    return reject("']'");
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    if (error.empty()) error = "header is not valid JSON (error near header byte " + std::to_string(position) + ")";
    return false;
  }

 private:
  enum class Where { kStart, kTop, kMetadata, kTensor, kShape, kOffsets, kDone };

  std::string of_tensor() const {
    return entries.empty() ? std::string() : " of tensor '" + printable(entries.back().name) + "'";
  }
  bool fail_with(const std::string& what) {
    if (error.empty()) error = what;
    return false;
  }
  bool reject(const std::string& what) {
    switch (where_) {
      case Where::kStart: return fail_with("header is not a JSON object");
      case Where::kTop: return fail_with("unexpected " + what + " for '" + printable(top_key_) + "' (expected a tensor object)");
      case Where::kMetadata: return fail_with("__metadata__ values must be strings");
      case Where::kTensor: return fail_with("unexpected " + what + " for '" + printable(tensor_key_) + "'" + of_tensor());
      case Where::kShape: return fail_with("shape must hold non-negative integers" + of_tensor());
      case Where::kOffsets: return fail_with("data_offsets must hold two non-negative integers" + of_tensor());
      case Where::kDone: break;
    }
    return fail_with("unexpected " + what + " after the header object");
  }

  Where where_ = Where::kStart;
  std::string top_key_;
  std::string tensor_key_;
  std::string metadata_key_;
  std::unordered_set<std::string> names_;
  bool seen_metadata_ = false;
  bool has_dtype_ = false, has_shape_ = false, has_offsets_ = false;
  size_t offsets_seen_ = 0;
};

// The header length field, checked against the file size before anything is read or allocated.
uint64_t safetensors_header_len(const uint8_t* first8, uint64_t file_size, const std::string& origin) {
  if (file_size < 8) fail(origin, "too short for a .safetensors file (" + std::to_string(file_size) + " bytes)");
  const uint64_t header_len = load_le64(first8);
  if (header_len > file_size - 8) {
    fail(origin, ".safetensors header length " + std::to_string(header_len) + " runs past the end of the file (" +
                     std::to_string(file_size) + " bytes); nothing was allocated");
  }
  if (header_len > kSafetensorsMaxHeaderLen) {
    fail(origin, ".safetensors header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
  }
  if (header_len < 2) fail(origin, ".safetensors header length " + std::to_string(header_len) + " is too small for a JSON object");
  return header_len;
}

// Parses the JSON at bytes[8, 8 + header_len) and checks every tensor against the data buffer,
// which is the rest of a file of `file_size` bytes.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, uint64_t header_len, uint64_t file_size,
                                           const std::string& origin) {
  const char* json_begin = reinterpret_cast<const char*>(bytes + 8);
  SafetensorsSax sax;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(json_begin, json_begin + header_len, &sax);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) fail(origin, sax.error.empty() ? std::string("header is not valid JSON") : sax.error);

  SafetensorsHeader header;
  header.data_start = 8 + header_len;
  const uint64_t buffer_len = file_size - header.data_start;
  for (const auto& entry : sax.entries) {
    const std::string name = "tensor '" + printable(entry.name) + "'";
    if (entry.begin > entry.end) {
      fail(origin, name + " has data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] with begin after end");
    }
    if (entry.end > buffer_len) {
      fail(origin, name + " has data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] past the end of the " + std::to_string(buffer_len) + "-byte data buffer");
    }
    const size_t item = safetensors_dtype_size(entry.dtype);
    if (item == 0) continue;  // unknown dtype: only its offsets can be checked (it is rejected if requested)
    const auto count = element_count(entry.shape);
    uint64_t bytes_needed = 0;
    if (!count || mul_overflows(*count, item, &bytes_needed)) {
      fail(origin, name + " has shape " + shape_text(entry.shape) + " with too many elements");
    }
    if (bytes_needed != entry.end - entry.begin) {
      fail(origin, name + " " + printable(entry.dtype) + " " + shape_text(entry.shape) + " needs " +
                       std::to_string(bytes_needed) + " bytes but data_offsets span " +
                       std::to_string(entry.end - entry.begin));
    }
  }
  header.entries = std::move(sax.entries);
  header.metadata = std::move(sax.metadata);
  std::stable_sort(header.entries.begin(), header.entries.end(),
                   [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  uint64_t covered = 0;
  for (const auto& entry : header.entries) {
    if (entry.begin < covered) {
      fail(origin, "tensor '" + printable(entry.name) + "' data_offsets [" + std::to_string(entry.begin) + ", " +
                       std::to_string(entry.end) + "] overlap another tensor");
    }
    if (entry.begin > covered) {
      fail(origin, "tensor '" + printable(entry.name) + "' data_offsets leave a gap at bytes [" +
                       std::to_string(covered) + ", " + std::to_string(entry.begin) + ")");
    }
    covered = entry.end;
  }
  if (covered != buffer_len) {
    fail(origin, std::to_string(buffer_len - covered) + " bytes at the end of the data buffer belong to no tensor");
  }
  return header;
}

const SafetensorsEntry& find_tensor(const SafetensorsHeader& header, const std::string& tensor_name,
                                    const std::string& origin, ElementType* type) {
  const auto it = std::find_if(header.entries.begin(), header.entries.end(),
                               [&](const SafetensorsEntry& e) { return e.name == tensor_name; });
  if (it == header.entries.end()) {
    std::string names;
    for (size_t i = 0; i < header.entries.size() && i < 8; ++i) {
      names += (i ? ", " : "") + printable(header.entries[i].name, 40);
    }
    if (header.entries.size() > 8) names += ", ... (" + std::to_string(header.entries.size()) + " in all)";
    fail(origin, "no tensor named '" + printable(tensor_name) + "' (the file has: " +
                     (names.empty() ? std::string("no tensors") : names) + ")");
  }
  if (it->dtype == "F32") {
    *type = ElementType::kF32;
  } else if (it->dtype == "F16") {
    *type = ElementType::kF16;
  } else if (it->dtype == "BF16") {
    *type = ElementType::kBF16;
  } else {
    fail(origin, "tensor '" + printable(tensor_name) + "' has unsupported dtype " + printable(it->dtype) +
                     " (need F32, F16 or BF16)");
  }
  const uint64_t count = (it->end - it->begin) / element_size(*type);
  if (count > std::numeric_limits<size_t>::max() / 8) fail(origin, "tensor too large for this machine");
  return *it;
}

const uint8_t* as_bytes(const void* bytes, size_t size) {
  static const uint8_t kEmpty[1] = {0};
  return size == 0 || bytes == nullptr ? kEmpty : static_cast<const uint8_t*>(bytes);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Half-precision conversions

float f16_bits_to_float(uint16_t bits) {
  const uint32_t sign = uint32_t{bits & 0x8000u} << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) {  // inf, or NaN with its payload kept (still a NaN: mantissa != 0)
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent != 0) {  // normal: rebias 15 -> 127
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
  // Subnormal mantissa * 2^-24: normalise so the leading 1 lands on bit 10.
  uint32_t float_exponent = 113;  // 2^-14 in float bias
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --float_exponent;
  }
  return std::bit_cast<float>(sign | (float_exponent << 23) | ((mantissa & 0x3ffu) << 13));
}

float bf16_bits_to_float(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

// ---------------------------------------------------------------------------------------------
// .npy

Tensor parse_npy(const void* bytes, size_t size, const std::string& origin) {
  const uint8_t* data = as_bytes(bytes, size);
  const NpyLayout layout = parse_npy_layout(data, size, size, origin);
  Tensor tensor;
  tensor.shape = layout.shape;
  tensor.data.resize(layout.count);
  convert_to_float(data + layout.data_offset, layout.count, layout.type, tensor.data.data());
  return tensor;
}

Tensor read_npy(const std::string& path) {
  InputFile file = open_input(path);
  std::vector<uint8_t> prefix(std::min<uint64_t>(file.size, 12 + kNpyMaxHeaderLen));
  read_exact(file, 0, prefix.data(), prefix.size(), path);
  const NpyLayout layout = parse_npy_layout(prefix.data(), prefix.size(), file.size, path);
  Tensor tensor;
  tensor.shape = layout.shape;
  tensor.data.resize(layout.count);  // justified: the file holds count * itemsize bytes of data
  read_elements(file, layout.data_offset, layout.count, layout.type, tensor.data.data(), path);
  return tensor;
}

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  write_npy_impl(path, data, shape, "<f4");
}

void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape) {
  write_npy_impl(path, data, shape, "<f8");
}

// ---------------------------------------------------------------------------------------------
// .safetensors

Tensor parse_safetensors(const void* bytes, size_t size, const std::string& tensor_name, const std::string& origin) {
  const uint8_t* data = as_bytes(bytes, size);
  const uint64_t header_len = safetensors_header_len(data, size, origin);
  const SafetensorsHeader header = parse_safetensors_header(data, header_len, size, origin);
  ElementType type{};
  const SafetensorsEntry& entry = find_tensor(header, tensor_name, origin, &type);
  const size_t count = (entry.end - entry.begin) / element_size(type);
  Tensor tensor;
  tensor.shape = entry.shape;
  tensor.data.resize(count);
  convert_to_float(data + header.data_start + entry.begin, count, type, tensor.data.data());
  return tensor;
}

namespace {
SafetensorsHeader read_safetensors_header(InputFile& file, const std::string& path) {
  std::array<uint8_t, 8> first8{};
  if (file.size >= 8) read_exact(file, 0, first8.data(), 8, path);
  const uint64_t header_len = safetensors_header_len(first8.data(), file.size, path);
  std::vector<uint8_t> head(8 + header_len);  // justified: header_len <= file size and <= 100 MiB
  read_exact(file, 0, head.data(), head.size(), path);
  return parse_safetensors_header(head.data(), header_len, file.size, path);
}
}  // namespace

Tensor read_safetensors(const std::string& path, const std::string& tensor_name) {
  InputFile file = open_input(path);
  const SafetensorsHeader header = read_safetensors_header(file, path);
  ElementType type{};
  const SafetensorsEntry& entry = find_tensor(header, tensor_name, path, &type);
  const size_t count = (entry.end - entry.begin) / element_size(type);
  Tensor tensor;
  tensor.shape = entry.shape;
  tensor.data.resize(count);  // justified: the data buffer holds count * itemsize bytes
  read_elements(file, header.data_start + entry.begin, count, type, tensor.data.data(), path);
  return tensor;
}

namespace {
std::vector<std::string> tensor_names(const SafetensorsHeader& header) {
  std::vector<std::string> names;
  names.reserve(header.entries.size());
  for (const auto& entry : header.entries) names.push_back(entry.name);
  return names;
}
}  // namespace

std::vector<std::string> list_safetensors(const std::string& path) {
  InputFile file = open_input(path);
  return tensor_names(read_safetensors_header(file, path));
}

std::vector<std::string> list_safetensors(const void* bytes, size_t size, const std::string& origin) {
  const uint8_t* data = as_bytes(bytes, size);
  const uint64_t header_len = safetensors_header_len(data, size, origin);
  return tensor_names(parse_safetensors_header(data, header_len, size, origin));
}

// ---------------------------------------------------------------------------------------------
// Mapped .safetensors

namespace {

// A read-only private mapping of a whole file, unmapped by the deleter of the shared_ptr.
std::shared_ptr<const void> map_file(const std::string& path, uint64_t* size) {
  InputFile checked = open_input(path);  // the same messages as the stream readers
  *size = checked.size;
  if (checked.size == 0) return nullptr;
  if (checked.size > std::numeric_limits<size_t>::max()) fail(path, "file too large for this machine");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  const size_t length = static_cast<size_t>(checked.size);
  void* address = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (address == MAP_FAILED) fail(path, std::string("cannot map the file: ") + std::strerror(map_errno));
  return std::shared_ptr<const void>(address, [length](const void* p) { ::munmap(const_cast<void*>(p), length); });
}

}  // namespace

SafetensorsMap SafetensorsMap::view(const void* bytes, size_t size, const std::string& origin) {
  const uint8_t* data = as_bytes(bytes, size);
  const uint64_t header_len = safetensors_header_len(data, size, origin);
  SafetensorsHeader header = parse_safetensors_header(data, header_len, size, origin);
  SafetensorsMap map;
  map.origin_ = origin;
  map.metadata_ = std::move(header.metadata);
  map.tensors_.reserve(header.entries.size());
  for (auto& entry : header.entries) {
    map.tensors_.push_back(SafetensorsTensorView{std::move(entry.name), std::move(entry.dtype),
                                                 std::move(entry.shape), data + header.data_start + entry.begin,
                                                 entry.end - entry.begin});
  }
  return map;
}

SafetensorsMap SafetensorsMap::open(const std::string& path) {
  uint64_t size = 0;
  std::shared_ptr<const void> mapping = map_file(path, &size);
  SafetensorsMap map = view(mapping.get(), static_cast<size_t>(size), path);
  map.mapping_ = std::move(mapping);
  return map;
}

const SafetensorsTensorView* SafetensorsMap::find(std::string_view name) const {
  for (const auto& tensor : tensors_) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

size_t float_dtype_size(std::string_view dtype) {
  return dtype == "F32" ? 4 : dtype == "F16" || dtype == "BF16" ? 2 : 0;
}

void decode_floats(std::string_view dtype, const uint8_t* src, size_t count, float* dst) {
  if (dtype == "F32") return convert_to_float(src, count, ElementType::kF32, dst);
  if (dtype == "F16") return convert_to_float(src, count, ElementType::kF16, dst);
  if (dtype == "BF16") return convert_to_float(src, count, ElementType::kBF16, dst);
  throw RopeError("unsupported dtype " + printable(dtype) + " (need F32, F16 or BF16)");
}

}  // namespace rope::core
