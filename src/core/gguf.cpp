// GGUF (llama.cpp) header and metadata into a ModelRope. Hostile input is the normal case: every
// count, length and offset is checked against the bytes the file really has before anything is
// allocated or skipped, and every problem is a one-line RopeError "<file>: <problem>".
//
// How llama.cpp's metadata maps to Hugging Face's parameters (the sources are llama.cpp's):
// | GGUF                                   | Hugging Face / ropescope             | llama.cpp source                                  |
// |----------------------------------------|--------------------------------------|---------------------------------------------------|
// | {arch}.rope.freq_base (default 10000)  | rope_theta                           | src/llama-model.cpp load_hparams                  |
// | {arch}.attention.key_length, else      | head_dim                             | src/llama-model.cpp load_hparams (n_embd_head_k)  |
// |   embedding_length / head_count        |                                      |                                                   |
// | {arch}.rope.dimension_count (default   | rotary_dim = head_dim * fraction     | src/llama-model.cpp load_hparams (n_rot)          |
// |   the head size)                       |                                      |                                                   |
// | {arch}.context_length                  | max_position_embeddings              | src/llama-model.cpp load_hparams (n_ctx_train)    |
// | {arch}.rope.scaling.type (default      | rope_type none / linear / yarn /     | src/llama-model.cpp load_hparams,                 |
// |   linear; factor 0 or absent = none)   |   longrope                           |   llama_rope_scaling_type_from_string             |
// | .rope.scaling.factor (or the old       | factor (llama.cpp's freq_scale is    | src/llama-model.cpp load_hparams                  |
// |   .rope.scale_linear)                  |   its inverse)                       |                                                   |
// | .rope.scaling.original_context_length  | original_max_position_embeddings     | src/llama-model.cpp load_hparams (n_ctx_orig_yarn)|
// |   (default context_length)             |                                      |                                                   |
// | .rope.scaling.attn_factor (yarn)       | attention_factor = attn_factor *     | ggml/src/ggml-cpu/ops.cpp rope_yarn: mscale *=    |
// |                                        |   (1 + 0.1 ln factor)                |   1 + 0.1 ln(1 / freq_scale)                      |
// | .rope.scaling.attn_factor (longrope)   | attention_factor                     | convert_hf_to_gguf.py Phi3MiniModel               |
// | .rope.scaling.yarn_log_multiplier      | mscale = mscale_all_dim = mul / 0.1  | convert_hf_to_gguf.py DeepseekV2Model writes      |
// |                                        |                                      |   0.1 * mscale_all_dim                            |
// | tensor rope_freqs.weight               | per-pair divisor of theta (below)    | ggml/src/ggml-cpu/ops.cpp rope: theta / ff        |
// | tensors rope_factors_long/short.weight | longrope long_factor / short_factor  | src/llama-model.cpp (Phi-3: long when n_ctx >     |
// |                                        |                                      |   n_ctx_orig_yarn), gguf-py constants.py          |
//
// rope_freqs.weight (written for Llama 3.1-style scaling by convert_hf_to_gguf.py LlamaModel) divides
// theta at every position: llama.cpp has no switch length for it. ropescope represents it as
// longrope with identical short and long factors, the original context equal to context_length and
// an explicit attention factor 1, so the frequencies are exactly what llama.cpp applies (a new
// scaling type would have to be threaded through every view for the same numbers).
//
// The pair layout is llama.cpp's rope type for the architecture (llama_model_rope_type in
// src/llama-model.cpp): NORM rotates adjacent pairs (2j, 2j+1), ropescope's gptj layout; NEOX the
// half split (j, j + n_rot/2), ropescope's neox layout. See kArchitectures below.
#include "core/gguf.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "core/tensor_io.h"

namespace rope::core {
namespace {

constexpr uint64_t kMaxKeyLen = 65535;               // the GGUF specification's limit for keys
constexpr uint64_t kMaxStoredString = uint64_t{1} << 20;  // longer string values are skipped, not kept
constexpr uint32_t kMaxDims = 4;                     // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 4;
constexpr uint64_t kDefaultAlignment = 32;

enum GgufType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9,
  kU64 = 10, kI64 = 11, kF64 = 12,
};

std::string type_name(uint32_t type) {
  static constexpr const char* kNames[] = {"u8",  "i8",     "u16",   "i16", "u32", "i32", "f32",
                                           "bool", "string", "array", "u64", "i64", "f64"};
  return type < std::size(kNames) ? kNames[type] : "type " + std::to_string(type);
}

// Size of a fixed-size value type; 0 for string, array and unknown types.
uint64_t scalar_size(uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: return 8;
    default: return 0;
  }
}

// Text from a file made safe for a one-line message.
std::string printable(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= 80) return out + "...";
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// Bytes at offsets of a file or a memory block; reads past the end never happen (callers check).
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  virtual void read(uint64_t offset, void* dst, size_t n) = 0;
};

class MemorySource final : public Source {
 public:
  MemorySource(const void* bytes, size_t size) : bytes_(static_cast<const uint8_t*>(bytes)), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* dst, size_t n) override {
    if (n != 0) std::memcpy(dst, bytes_ + offset, n);
  }

 private:
  const uint8_t* bytes_;
  uint64_t size_;
};

// Reads through a 1 MiB window so that the many small fields of the metadata cost few system calls.
class FileSource final : public Source {
 public:
  FileSource(const std::string& path, uint64_t size) : stream_(path, std::ios::binary), size_(size) {
    if (!stream_) throw RopeError(path + ": cannot open file");
  }
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* dst, size_t n) override {
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      if (offset < window_start_ || offset >= window_start_ + window_.size()) fill(offset);
      const size_t at = static_cast<size_t>(offset - window_start_);
      const size_t take = std::min(n, window_.size() - at);
      std::memcpy(out, window_.data() + at, take);
      out += take;
      offset += take;
      n -= take;
    }
  }

 private:
  void fill(uint64_t offset) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(uint64_t{1} << 20, size_ - offset));
    window_.resize(len);
    stream_.clear();
    stream_.seekg(static_cast<std::streamoff>(offset));
    stream_.read(reinterpret_cast<char*>(window_.data()), static_cast<std::streamsize>(len));
    if (!stream_ || len == 0) throw RopeError("cannot read file");
    window_start_ = offset;
  }
  std::ifstream stream_;
  uint64_t size_;
  std::vector<uint8_t> window_;
  uint64_t window_start_ = 0;
};

struct Value {
  uint32_t type = 0;
  uint64_t u = 0;   // unsigned integers and bool
  int64_t i = 0;    // signed integers
  double f = 0.0;   // floats
  std::string s;    // strings up to kMaxStoredString
  uint32_t element_type = 0;  // arrays
  uint64_t count = 0;
};

struct TensorInfo {
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0;  // from the start of the data section
};

struct Gguf {
  uint32_t version = 0;
  std::map<std::string, Value> kv;
  std::map<std::string, TensorInfo> tensors;
  uint64_t data_start = 0;
};

class Parser {
 public:
  Parser(Source& src, std::string origin) : src_(src), origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& what) const { throw RopeError(origin_ + ": " + what); }

  uint64_t remaining() const { return src_.size() - pos_; }

  void need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
           " but the file has " + std::to_string(remaining()) + " left");
    }
  }

  template <typename T>
  T scalar(const char* what) {
    need(sizeof(T), what);
    uint8_t b[sizeof(T)];
    src_.read(pos_, b, sizeof(T));
    pos_ += sizeof(T);
    uint64_t v = 0;
    for (size_t k = 0; k < sizeof(T); ++k) v |= uint64_t{b[k]} << (8 * k);
    T out;
    if constexpr (sizeof(T) == 8) {
      std::memcpy(&out, &v, 8);
    } else {
      const auto narrow = static_cast<std::conditional_t<sizeof(T) == 4, uint32_t, std::conditional_t<sizeof(T) == 2, uint16_t, uint8_t>>>(v);
      std::memcpy(&out, &narrow, sizeof(T));
    }
    return out;
  }

  // A u64-length string; kept when `keep` and no longer than `max_keep`, skipped otherwise.
  std::string string(const char* what, uint64_t max_len, bool keep = true) {
    const uint64_t len = scalar<uint64_t>(what);
    if (len > max_len) fail(std::string(what) + " length " + std::to_string(len) + " exceeds " + std::to_string(max_len));
    need(len, what);
    std::string s;
    if (keep && len <= kMaxStoredString) {
      s.resize(static_cast<size_t>(len));
      src_.read(pos_, s.data(), s.size());
    }
    pos_ += len;
    return s;
  }

  // Skips one value of `type` (array elements), checking every length.
  void skip(uint32_t type, int depth, const std::string& key) {
    if (const uint64_t n = scalar_size(type)) {
      need(n, "a value");
      pos_ += n;
    } else if (type == kString) {
      string("a string in an array", remaining(), false);
    } else if (type == kArray) {
      read_array_header(key, depth + 1, nullptr);
    } else {
      fail("key " + printable(key) + ": unknown value type " + std::to_string(type));
    }
  }

  void read_array_header(const std::string& key, int depth, Value* out) {
    if (depth > kMaxArrayDepth) fail("key " + printable(key) + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    const uint32_t element = scalar<uint32_t>("an array's element type");
    const uint64_t count = scalar<uint64_t>("an array's length");
    const uint64_t min_size = element == kString ? 8 : element == kArray ? 12 : scalar_size(element);
    if (min_size == 0) fail("key " + printable(key) + ": unknown array element type " + std::to_string(element));
    if (count > remaining() / min_size) {
      fail("key " + printable(key) + ": array of " + std::to_string(count) + " " + type_name(element) +
           " values does not fit in the " + std::to_string(remaining()) + " bytes left");
    }
    if (out) {
      out->element_type = element;
      out->count = count;
    }
    if (const uint64_t n = scalar_size(element)) {
      pos_ += count * n;
    } else {
      for (uint64_t k = 0; k < count; ++k) skip(element, depth, key);
    }
  }

  Value value(uint32_t type, const std::string& key) {
    Value v;
    v.type = type;
    switch (type) {
      case kU8: v.u = scalar<uint8_t>("a u8"); break;
      case kI8: v.i = scalar<int8_t>("an i8"); break;
      case kU16: v.u = scalar<uint16_t>("a u16"); break;
      case kI16: v.i = scalar<int16_t>("an i16"); break;
      case kU32: v.u = scalar<uint32_t>("a u32"); break;
      case kI32: v.i = scalar<int32_t>("an i32"); break;
      case kU64: v.u = scalar<uint64_t>("a u64"); break;
      case kI64: v.i = scalar<int64_t>("an i64"); break;
      case kF32: v.f = scalar<float>("an f32"); break;
      case kF64: v.f = scalar<double>("an f64"); break;
      case kBool: {
        const uint8_t b = scalar<uint8_t>("a bool");
        if (b > 1) fail("key " + printable(key) + ": bool value " + std::to_string(b) + " is neither 0 nor 1");
        v.u = b;
        break;
      }
      case kString: v.s = string("a string value", remaining()); break;
      case kArray: read_array_header(key, 1, &v); break;
      default: fail("key " + printable(key) + ": unknown value type " + std::to_string(type));
    }
    return v;
  }

  Gguf parse() {
    Gguf g;
    if (src_.size() < 4) fail("too short for a GGUF file (" + std::to_string(src_.size()) + " bytes)");
    char magic[4];
    src_.read(0, magic, 4);
    if (std::memcmp(magic, "GGUF", 4) != 0) fail("not a GGUF file (the first four bytes are not 'GGUF')");
    pos_ = 4;
    g.version = scalar<uint32_t>("the version");
    if (g.version == 0x02000000u || g.version == 0x03000000u) {
      fail("big-endian GGUF (version " + std::to_string(g.version >> 24) + " byte-swapped); only little-endian files are read");
    }
    if (g.version != 2 && g.version != 3) fail("GGUF version " + std::to_string(g.version) + " is not supported (2 or 3)");
    const uint64_t n_tensors = scalar<uint64_t>("the tensor count");
    const uint64_t n_kv = scalar<uint64_t>("the metadata count");
    // A key-value pair takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
    if (n_kv > remaining() / 13) fail("metadata count " + std::to_string(n_kv) + " does not fit in the file");
    if (n_tensors > remaining() / 24) fail("tensor count " + std::to_string(n_tensors) + " does not fit in the file");
    for (uint64_t k = 0; k < n_kv; ++k) {
      std::string key = string("a metadata key", kMaxKeyLen);
      const uint32_t type = scalar<uint32_t>("a value type");
      Value v = value(type, key);
      if (!g.kv.emplace(key, std::move(v)).second) fail("duplicate metadata key " + printable(key));
    }
    for (uint64_t t = 0; t < n_tensors; ++t) {
      std::string name = string("a tensor name", kMaxKeyLen);
      TensorInfo info;
      const uint32_t n_dims = scalar<uint32_t>("a tensor's dimension count");
      if (n_dims > kMaxDims) fail("tensor " + printable(name) + " has " + std::to_string(n_dims) + " dimensions (at most 4)");
      for (uint32_t d = 0; d < n_dims; ++d) info.dims.push_back(scalar<uint64_t>("a tensor dimension"));
      info.type = scalar<uint32_t>("a tensor type");
      info.offset = scalar<uint64_t>("a tensor offset");
      if (!g.tensors.emplace(name, std::move(info)).second) fail("duplicate tensor " + printable(name));
    }
    uint64_t alignment = kDefaultAlignment;
    if (auto it = g.kv.find("general.alignment"); it != g.kv.end()) {
      if (it->second.type != kU32) fail("general.alignment: expected u32, got " + type_name(it->second.type));
      alignment = it->second.u;
      if (alignment == 0 || (alignment & (alignment - 1)) != 0) fail("general.alignment " + std::to_string(alignment) + " is not a power of two");
    }
    const uint64_t pad = (alignment - pos_ % alignment) % alignment;
    g.data_start = pos_ + pad;
    if (!g.tensors.empty() && g.data_start > src_.size()) fail("the tensor data section starts past the end of the file");
    for (const auto& [name, info] : g.tensors) {
      if (info.offset % alignment != 0) fail("tensor " + printable(name) + ": offset " + std::to_string(info.offset) + " is not aligned to " + std::to_string(alignment));
      if (info.offset > src_.size() - std::min(src_.size(), g.data_start)) {
        fail("tensor " + printable(name) + ": offset " + std::to_string(info.offset) + " is past the end of the file");
      }
    }
    return g;
  }

  // A 1-D F32 / F16 / BF16 tensor's values.
  std::vector<double> read_vector(const Gguf& g, const std::string& name, const TensorInfo& info) {
    if (info.dims.size() != 1) fail("tensor " + name + " must have 1 dimension (has " + std::to_string(info.dims.size()) + ")");
    const uint64_t count = info.dims[0];
    const uint64_t elem = info.type == 0 ? 4 : (info.type == 1 || info.type == 30) ? 2 : 0;
    if (elem == 0) fail("tensor " + name + ": ggml type " + std::to_string(info.type) + " (expected F32, F16 or BF16)");
    const uint64_t data_size = src_.size() - g.data_start;
    if (count > (data_size - info.offset) / elem) {
      fail("tensor " + name + ": " + std::to_string(count) + " values at offset " + std::to_string(info.offset) + " run past the end of the file");
    }
    if (count > uint64_t{kMaxHeadDim}) fail("tensor " + name + " has " + std::to_string(count) + " values (more pairs than any head)");
    std::vector<uint8_t> raw(static_cast<size_t>(count * elem));
    src_.read(g.data_start + info.offset, raw.data(), raw.size());
    std::vector<double> out(static_cast<size_t>(count));
    for (size_t k = 0; k < out.size(); ++k) {
      const uint8_t* p = raw.data() + k * elem;
      if (elem == 4) {
        const uint32_t bits = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
        float f;
        std::memcpy(&f, &bits, 4);
        out[k] = f;
      } else {
        const auto bits = static_cast<uint16_t>(p[0] | p[1] << 8);
        out[k] = info.type == 1 ? f16_bits_to_float(bits) : bf16_bits_to_float(bits);
      }
    }
    return out;
  }

 private:
  Source& src_;
  std::string origin_;
  uint64_t pos_ = 0;
};

// llama.cpp's rope type per architecture (llama_model_rope_type, src/llama-model.cpp), by the
// general.architecture names of src/llama-arch.cpp LLM_ARCH_NAMES.
enum class LlamaRope { kNone, kNorm, kNeox };
struct ArchitectureGroup {
  LlamaRope rope;
  std::vector<std::string_view> names;
  std::string_view source;
};
const std::vector<ArchitectureGroup>& architecture_groups() {
  static const std::vector<ArchitectureGroup> kGroups = {
      {LlamaRope::kNorm,
       {"llama", "llama4", "deci", "baichuan", "internlm2", "minicpm", "xverse", "command-r", "cohere2", "olmo", "arctic",
        "deepseek", "deepseek2", "chatglm", "granite", "granitemoe", "chameleon", "glm4"},
       "llama.cpp src/llama-model.cpp llama_model_rope_type: LLAMA_ROPE_TYPE_NORM"},
      {LlamaRope::kNeox,
       {"falcon", "grok", "dbrx", "stablelm", "bitnet", "qwen", "qwen2", "qwen2moe", "qwen3", "qwen3moe", "olmo2", "olmoe",
        "phi2", "phi3", "phimoe", "gemma", "gemma2", "gemma3", "starcoder2", "openelm", "gptneox", "codeshell", "nemotron",
        "exaone", "minicpm3"},
       "llama.cpp src/llama-model.cpp llama_model_rope_type: LLAMA_ROPE_TYPE_NEOX"},
      {LlamaRope::kNone,
       {"gpt2", "gptj", "mpt", "refact", "bloom", "mamba", "jina-bert-v2", "t5", "t5encoder", "jais", "rwkv6"},
       "llama.cpp src/llama-model.cpp llama_model_rope_type: LLAMA_ROPE_TYPE_NONE"},
  };
  return kGroups;
}

class Mapper {
 public:
  Mapper(Parser& p, const Gguf& g, std::string origin) : p_(p), g_(g), origin_(std::move(origin)) {}

  const Value* find(const std::string& key) const {
    const auto it = g_.kv.find(key);
    return it == g_.kv.end() ? nullptr : &it->second;
  }

  std::string where(const std::string& key, const Value& v) const { return "GGUF " + key + " (" + type_name(v.type) + ")"; }

  std::optional<std::string> text(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != kString) p_.fail(key + ": expected a string, got " + type_name(v->type));
    return v->s;
  }

  std::optional<int64_t> integer(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    switch (v->type) {
      case kU8: case kU16: case kU32: case kU64:
        if (v->u > static_cast<uint64_t>(kMaxPosition)) p_.fail(key + ": " + std::to_string(v->u) + " is out of range");
        return static_cast<int64_t>(v->u);
      case kI8: case kI16: case kI32: case kI64:
        if (v->i < 0 || v->i > kMaxPosition) p_.fail(key + ": " + std::to_string(v->i) + " is out of range");
        return v->i;
      case kArray: p_.fail(key + ": a per-layer array is not supported (expected one integer)");
      default: p_.fail(key + ": expected an integer, got " + type_name(v->type));
    }
  }

  std::optional<double> number(const std::string& key) const {
    const Value* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != kF32 && v->type != kF64) p_.fail(key + ": expected a float, got " + type_name(v->type));
    if (!std::isfinite(v->f)) p_.fail(key + ": value is not finite");
    return v->f;
  }

  ModelRope map() {
    ModelRope model;
    LayerTypeRope set;
    set.name = "full_attention";
    RopeConfig& c = set.config;
    auto& o = set.origins;
    std::vector<std::string> missing;

    const auto arch = text("general.architecture");
    if (!arch) p_.fail("missing general.architecture");
    const std::string a = *arch;
    model.model_type = a;
    const ArchitectureGroup* group = nullptr;
    for (const ArchitectureGroup& gr : architecture_groups()) {
      if (std::find(gr.names.begin(), gr.names.end(), a) != gr.names.end()) group = &gr;
    }
    if (!group) p_.fail("architecture '" + printable(a) + "' is not in ropescope's table of llama.cpp rope types");
    if (group->rope == LlamaRope::kNone) p_.fail("architecture '" + a + "' has no rotary embedding in llama.cpp (" + std::string(group->source) + ")");

    const std::string k = a + ".";
    const auto heads = integer(k + "attention.head_count");
    const auto embd = integer(k + "embedding_length");
    const auto key_len = integer(k + "attention.key_length");
    const auto ctx = integer(k + "context_length");
    if (!heads) missing.push_back(k + "attention.head_count");
    if (!key_len && !embd) missing.push_back(k + "embedding_length");
    if (!ctx) missing.push_back(k + "context_length");
    if (!missing.empty()) {
      std::string list;
      for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
      p_.fail("missing " + list);
    }
    if (*heads < 1) p_.fail(k + "attention.head_count must be >= 1 (got " + std::to_string(*heads) + ")");
    if (key_len) {
      c.head_dim = static_cast<int>(std::min<int64_t>(*key_len, kMaxHeadDim + 1));
      o.push_back({"head_dim", where(k + "attention.key_length", *find(k + "attention.key_length"))});
    } else {
      if (*embd % *heads != 0) p_.fail(k + "embedding_length " + std::to_string(*embd) + " is not a multiple of head_count " + std::to_string(*heads));
      c.head_dim = static_cast<int>(std::min<int64_t>(*embd / *heads, kMaxHeadDim + 1));
      o.push_back({"head_dim", "derived: " + k + "embedding_length / " + k + "attention.head_count = " + std::to_string(*embd) + " / " +
                                   std::to_string(*heads) + " (llama.cpp load_hparams)"});
    }
    if (const auto kv = integer(k + "attention.head_count_kv"); kv && (*kv < 1 || *heads % *kv != 0)) {
      model.warnings.push_back(origin_ + ": " + k + "attention.head_count_kv " + std::to_string(*kv) + " does not divide head_count " + std::to_string(*heads));
    }
    if (const auto layers = integer(k + "block_count")) {
      model.num_layers = static_cast<int>(std::min<int64_t>(*layers, 1 << 16));
      model.layer_set.assign(static_cast<size_t>(model.num_layers), 0);
      for (int l = 0; l < model.num_layers; ++l) set.layers.push_back(l);
    }

    if (const auto n_rot = integer(k + "rope.dimension_count")) {
      if (*n_rot < 2 || *n_rot > c.head_dim) {
        p_.fail(k + "rope.dimension_count " + std::to_string(*n_rot) + " must be in [2, head size " + std::to_string(c.head_dim) + "]");
      }
      c.rotary_fraction = static_cast<double>(*n_rot) / c.head_dim;
      while (c.rotary_dim() < *n_rot) c.rotary_fraction = std::nextafter(c.rotary_fraction, 2.0);
      o.push_back({"rotary_fraction", "derived: " + k + "rope.dimension_count / head_dim = " + std::to_string(*n_rot) + " / " + std::to_string(c.head_dim)});
    } else {
      o.push_back({"rotary_fraction", "llama.cpp default: rope.dimension_count absent, the whole head rotates (load_hparams)"});
    }

    if (const auto base = number(k + "rope.freq_base")) {
      c.base = *base;
      o.push_back({"base", where(k + "rope.freq_base", *find(k + "rope.freq_base"))});
    } else {
      c.base = 10000.0;
      o.push_back({"base", "llama.cpp default 10000 (" + k + "rope.freq_base absent)"});
      model.warnings.push_back(origin_ + ": " + k + "rope.freq_base is absent; llama.cpp uses 10000");
    }

    c.layout = group->rope == LlamaRope::kNorm ? Layout::kGptj : Layout::kNeox;
    std::string layout_origin = std::string(group->source) + " for '" + a + "'";
    if (group->rope == LlamaRope::kNorm) {
      layout_origin += ": adjacent pairs (2j, 2j+1)";
      if (a == "llama") {
        layout_origin += ". llama.cpp's converter permutes Llama's Q/K weight rows (convert_hf_to_gguf.py LlamaModel.permute) "
                         "so that this pairing on the GGUF equals Hugging Face's half split on the original checkpoint";
      }
    } else {
      layout_origin += ": half split (j, j + rotary_dim/2), as Hugging Face";
    }
    o.push_back({"layout", layout_origin});

    c.max_position_embeddings = *ctx;
    o.push_back({"max_position_embeddings", where(k + "context_length", *find(k + "context_length"))});

    read_scaling(k, c, o, model.warnings);

    model.layer_types.push_back(std::move(set));
    for (const char* unread : {"rope.freq_base_swa", "rope.dimension_sections", "rope.scaling.finetuned"}) {
      if (find(k + unread)) model.warnings.push_back(origin_ + ": " + k + unread + " is not read by ropescope");
    }
    if (a == "gemma2" || a == "gemma3") {
      model.warnings.push_back(origin_ + ": only the global layers' rope is read; llama.cpp's " + a + " sliding-window layers use their own base");
    }
    RopeConfig probe = model.layer_types.front().config;
    probe.seq_len = 1;
    try {
      validate(probe);
    } catch (const RopeError& e) {
      p_.fail(e.what());
    }
    return model;
  }

 private:
  const TensorInfo* tensor(const std::string& name) const {
    const auto it = g_.tensors.find(name);
    return it == g_.tensors.end() ? nullptr : &it->second;
  }

  std::vector<double> factors(const std::string& name, const RopeConfig& c) {
    std::vector<double> v = p_.read_vector(g_, name, *tensor(name));
    if (v.size() != static_cast<size_t>(c.num_pairs())) {
      p_.fail("tensor " + name + " has " + std::to_string(v.size()) + " values; rotary_dim/2 = " + std::to_string(c.num_pairs()));
    }
    for (const double f : v) {
      if (!std::isfinite(f) || f <= 0.0) p_.fail("tensor " + name + " holds a value that is not finite and > 0");
    }
    return v;
  }

  void read_scaling(const std::string& k, RopeConfig& c, std::vector<ValueOrigin>& o, std::vector<std::string>& warnings) {
    RopeScaling& s = c.scaling;
    const std::string type_key = k + "rope.scaling.type";
    const auto type = text(type_key);
    std::optional<double> factor;
    std::string factor_key = k + "rope.scaling.factor";
    factor = number(factor_key);
    if (!factor) {
      factor_key = k + "rope.scale_linear";
      factor = number(factor_key);
    }
    if (factor && *factor == 0.0) factor.reset();  // llama.cpp: 0 means no scaling
    const auto orig = integer(k + "rope.scaling.original_context_length");
    const auto attn = number(k + "rope.scaling.attn_factor");
    const auto log_mul = number(k + "rope.scaling.yarn_log_multiplier");
    const bool has_freqs = tensor("rope_freqs.weight") != nullptr;
    const bool has_long = tensor("rope_factors_long.weight") != nullptr;
    const bool has_short = tensor("rope_factors_short.weight") != nullptr;
    const std::string t = type.value_or(has_long || has_short ? "longrope" : "linear");
    const std::string type_origin = type ? where(type_key, *find(type_key)) : std::string("llama.cpp default 'linear' (") + type_key + " absent)";
    const auto original = [&]() -> int64_t {
      if (orig) {
        o.push_back({"original_max_position_embeddings", "GGUF " + k + "rope.scaling.original_context_length"});
        return *orig;
      }
      o.push_back({"original_max_position_embeddings", "llama.cpp default: " + k + "context_length (n_ctx_orig_yarn = n_ctx_train)"});
      return *c.max_position_embeddings;
    };

    if (has_freqs) {
      if (has_long || has_short) p_.fail("both rope_freqs.weight and longrope factor tensors are present");
      if (t != "linear" && t != "none") p_.fail("rope_freqs.weight together with scaling type " + printable(t) + " is not modelled");
      if (factor && *factor != 1.0 && t == "linear") p_.fail("rope_freqs.weight together with linear factor " + std::to_string(*factor) + " is not modelled");
      s.type = ScalingType::kLongrope;
      s.long_factor = factors("rope_freqs.weight", c);
      s.short_factor = s.long_factor;
      s.original_max = *c.max_position_embeddings;
      s.attention_factor = 1.0;
      o.push_back({"rope_type", "tensor rope_freqs.weight: per-pair divisors of theta at every position (llama.cpp ggml_rope_ext "
                                "freq_factors; Llama 3.1-style scaling), shown as longrope with identical short and long factors"});
      o.push_back({"long_factor", "tensor rope_freqs.weight"});
      o.push_back({"short_factor", "tensor rope_freqs.weight (the same: llama.cpp has no switch length for it)"});
      o.push_back({"original_max_position_embeddings", "GGUF " + k + "context_length (rope_freqs has no switch length)"});
      o.push_back({"attention_factor", "1: llama.cpp scales nothing with rope_freqs (an explicit value, not longrope's default)"});
      return;
    }
    if (t == "none" || (t == "linear" && (!factor || *factor == 1.0))) {
      s.type = ScalingType::kNone;
      o.push_back({"rope_type", type ? type_origin : "none: no " + k + "rope.scaling.factor (llama.cpp freq_scale 1)"});
      return;
    }
    if (t == "linear") {
      s.type = ScalingType::kLinear;
      s.factor = factor;
      o.push_back({"rope_type", type_origin});
      o.push_back({"factor", "GGUF " + factor_key});
      return;
    }
    if (t == "yarn") {
      s.type = ScalingType::kYarn;
      if (!factor) p_.fail("scaling type yarn needs " + k + "rope.scaling.factor");
      s.factor = factor;
      o.push_back({"rope_type", type_origin});
      o.push_back({"factor", "GGUF " + factor_key});
      s.original_max = original();
      if (const auto bf = number(k + "rope.scaling.yarn_beta_fast")) {
        s.beta_fast = *bf;
        o.push_back({"beta_fast", "GGUF " + k + "rope.scaling.yarn_beta_fast"});
      }
      if (const auto bs = number(k + "rope.scaling.yarn_beta_slow")) {
        s.beta_slow = *bs;
        o.push_back({"beta_slow", "GGUF " + k + "rope.scaling.yarn_beta_slow"});
      }
      if (log_mul) {
        s.mscale_all_dim = *log_mul / 0.1;
        s.mscale = s.mscale_all_dim;
        o.push_back({"mscale_all_dim", "derived: " + k + "rope.scaling.yarn_log_multiplier / 0.1 (the converter writes 0.1 * mscale_all_dim)"});
        o.push_back({"mscale", "assumed equal to mscale_all_dim (GGUF keeps one multiplier; DeepSeek's configs give both equal)"});
        if (attn) warnings.push_back(origin_ + ": " + k + "rope.scaling.attn_factor is not read together with yarn_log_multiplier");
      } else if (attn) {
        s.attention_factor = *attn * (1.0 + 0.1 * std::log(*factor));
        o.push_back({"attention_factor", "derived: " + k + "rope.scaling.attn_factor * (1 + 0.1 ln factor) (llama.cpp rope_yarn multiplies its "
                                         "attn_factor by yarn's mscale)"});
      }
      return;
    }
    if (t == "longrope") {
      if (!has_long || !has_short) p_.fail("scaling type longrope needs the tensors rope_factors_long.weight and rope_factors_short.weight");
      s.type = ScalingType::kLongrope;
      s.long_factor = factors("rope_factors_long.weight", c);
      s.short_factor = factors("rope_factors_short.weight", c);
      o.push_back({"rope_type", type ? type_origin : "tensors rope_factors_long.weight and rope_factors_short.weight"});
      o.push_back({"long_factor", "tensor rope_factors_long.weight"});
      o.push_back({"short_factor", "tensor rope_factors_short.weight"});
      s.original_max = original();
      if (attn) {
        s.attention_factor = *attn;
        o.push_back({"attention_factor", "GGUF " + k + "rope.scaling.attn_factor"});
      }
      return;
    }
    p_.fail(type_key + ": unknown scaling type '" + printable(t) + "' (llama.cpp knows none, linear, yarn, longrope)");
  }

  Parser& p_;
  const Gguf& g_;
  std::string origin_;
};

ModelRope parse(Source& src, const std::string& origin) {
  Parser p(src, origin);
  const Gguf g = p.parse();
  Mapper m(p, g, origin);
  return m.map();
}

}  // namespace

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (in && in.read(magic, 4)) return std::memcmp(magic, "GGUF", 4) == 0;
  return path.size() >= 5 && path.compare(path.size() - 5, 5, ".gguf") == 0;
}

ModelRope parse_gguf_model(const void* bytes, size_t size, std::string_view origin) {
  MemorySource src(bytes, size);
  return parse(src, std::string(origin));
}

ModelRope load_gguf_model(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw RopeError(path + ": is a directory, not a GGUF file");
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw RopeError(path + ": cannot open file");
  FileSource src(path, size);
  try {
    return parse(src, path);
  } catch (const RopeError& e) {
    const std::string what = e.what();
    if (what.rfind(path + ": ", 0) == 0) throw;
    throw RopeError(path + ": " + what);
  }
}

}  // namespace rope::core
