#include "core/config_json.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw RopeError(origin_ + ": " + field + ": " + what);
  }

  static bool present(const json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && !obj.at(key).is_null();
  }

  std::optional<double> number(const json& obj, const char* key, const std::string& path) const {
    if (!present(obj, key)) return std::nullopt;
    const json& v = obj.at(key);
    if (!v.is_number()) fail(path + key, std::string("expected a number, got ") + v.type_name());
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(path + key, "expected a finite number");
    return d;
  }

  std::optional<int64_t> integer(const json& obj, const char* key, const std::string& path) const {
    const auto d = number(obj, key, path);
    if (!d) return std::nullopt;
    if (*d != std::floor(*d) || *d < 0 || *d > static_cast<double>(kMaxPosition)) {
      fail(path + key, "expected a whole number in [0, 2^30]");
    }
    return static_cast<int64_t>(*d);
  }

  std::vector<double> number_list(const json& obj, const char* key, const std::string& path) const {
    if (!present(obj, key)) fail(path + key, "is required");
    const json& v = obj.at(key);
    if (!v.is_array()) fail(path + key, std::string("expected a list of numbers, got ") + v.type_name());
    if (v.size() > static_cast<size_t>(kMaxHeadDim)) fail(path + key, "has too many values");
    std::vector<double> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number()) fail(path + key + "[" + std::to_string(i) + "]", "expected a number");
      out.push_back(v[i].get<double>());
    }
    return out;
  }

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

}  // namespace

RopeConfig parse_hf_config(std::string_view json_text, std::string_view origin) {
  const Reader r(origin);
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e99999
    std::string what = e.what();
    if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw RopeError(std::string(origin) + ": not valid JSON: " + what);
  }
  if (!root.is_object()) throw RopeError(std::string(origin) + ": expected a JSON object at the top level");

  // The rope block: v4 `rope_scaling` or v5 `rope_parameters` (either may be null). Hugging Face
  // v5 builds its parameters as `rope_scaling or rope_parameters`, so the legacy key wins.
  const char* block_name = nullptr;
  for (const char* name : {"rope_scaling", "rope_parameters"}) {
    if (Reader::present(root, name)) {
      block_name = name;
      break;
    }
  }
  static const json kEmpty = json::object();
  const json& block = block_name ? root.at(block_name) : kEmpty;
  const std::string bp = block_name ? std::string(block_name) + "." : std::string();
  if (block_name && !block.is_object()) r.fail(block_name, std::string("expected an object, got ") + block.type_name());

  RopeConfig c;
  // head_dim: DeepSeek's rope head dim, else head_dim, else hidden_size / num_attention_heads.
  if (auto v = r.integer(root, "qk_rope_head_dim", "")) {
    c.head_dim = static_cast<int>(std::min<int64_t>(*v, kMaxHeadDim + 1));
  } else if (auto hd = r.integer(root, "head_dim", "")) {
    c.head_dim = static_cast<int>(std::min<int64_t>(*hd, kMaxHeadDim + 1));
  } else {
    const auto hidden = r.integer(root, "hidden_size", "");
    const auto heads = r.integer(root, "num_attention_heads", "");
    if (!hidden || !heads) r.fail("head_dim", "missing (and hidden_size / num_attention_heads are not both given)");
    if (*heads == 0) r.fail("num_attention_heads", "must be > 0");
    c.head_dim = static_cast<int>(std::min<int64_t>(*hidden / *heads, kMaxHeadDim + 1));
  }

  // rope_theta: v5 keeps it inside rope_parameters; v4 at the top level.
  if (auto v = r.number(block, "rope_theta", bp)) {
    c.base = *v;
  } else if (auto top = r.number(root, "rope_theta", "")) {
    c.base = *top;
  } else if (auto neox = r.number(root, "rotary_emb_base", "")) {
    c.base = *neox;  // GPT-NeoX's name for the base
  }
  if (auto v = r.number(block, "partial_rotary_factor", bp)) {
    c.rotary_fraction = *v;
  } else if (auto p = r.number(root, "partial_rotary_factor", "")) {
    c.rotary_fraction = *p;
  } else if (auto pct = r.number(root, "rotary_pct", "")) {
    c.rotary_fraction = *pct;
  }
  c.max_position_embeddings = r.integer(root, "max_position_embeddings", "");

  // Rope type.
  std::string type_name = "default";
  for (const char* key : {"rope_type", "type"}) {
    if (Reader::present(block, key)) {
      if (!block.at(key).is_string()) r.fail(bp + key, "expected a string");
      type_name = block.at(key).get<std::string>();
      break;
    }
  }
  const auto type = parse_scaling_type(type_name);
  if (!type || *type == ScalingType::kNtk) {
    r.fail(bp + "rope_type", "unknown rope type '" + type_name +
                                 "' (expected default, linear, dynamic, yarn, llama3, longrope or su)");
  }
  RopeScaling& s = c.scaling;
  s.type = *type;

  // The top-level original_max_position_embeddings (Phi-3) wins over the block's.
  if (auto top = r.integer(root, "original_max_position_embeddings", "")) {
    s.original_max = top;
  } else {
    s.original_max = r.integer(block, "original_max_position_embeddings", bp);
  }
  const auto required = [&](const char* key) {
    auto v = r.number(block, key, bp);
    if (!v) r.fail(bp + key, std::string("is required for rope type ") + std::string(to_string(s.type)));
    return v;
  };
  switch (s.type) {
    case ScalingType::kNone:
    case ScalingType::kNtk: s.original_max.reset(); break;
    case ScalingType::kLinear: s.factor = required("factor"); s.original_max.reset(); break;
    case ScalingType::kDynamic:
      // Hugging Face's dynamic NTK measures against max_position_embeddings.
      s.factor = required("factor");
      s.original_max.reset();
      if (!c.max_position_embeddings) r.fail("max_position_embeddings", "is required for rope type dynamic");
      break;
    case ScalingType::kYarn:
      s.factor = r.number(block, "factor", bp);
      if (!s.factor && !(s.original_max && c.max_position_embeddings)) r.fail(bp + "factor", "is required for rope type yarn");
      if (auto v = r.number(block, "beta_fast", bp)) s.beta_fast = *v;
      if (auto v = r.number(block, "beta_slow", bp)) s.beta_slow = *v;
      s.mscale = r.number(block, "mscale", bp);
      s.mscale_all_dim = r.number(block, "mscale_all_dim", bp);
      s.attention_factor = r.number(block, "attention_factor", bp);
      if (Reader::present(block, "truncate")) {
        if (!block.at("truncate").is_boolean()) r.fail(bp + "truncate", "expected true or false");
        s.truncate = block.at("truncate").get<bool>();
      }
      break;
    case ScalingType::kLlama3:
      s.factor = required("factor");
      s.low_freq_factor = required("low_freq_factor");
      s.high_freq_factor = required("high_freq_factor");
      if (!s.original_max) r.fail(bp + "original_max_position_embeddings", "is required for rope type llama3");
      break;
    case ScalingType::kLongrope:
      s.short_factor = r.number_list(block, "short_factor", bp);
      s.long_factor = r.number_list(block, "long_factor", bp);
      s.factor = r.number(block, "factor", bp);
      s.attention_factor = r.number(block, "attention_factor", bp);
      break;
  }
  if (s.type == ScalingType::kYarn || s.type == ScalingType::kLongrope) {
    if (!s.original_max && !c.max_position_embeddings) {
      r.fail("max_position_embeddings", std::string("is required for rope type ") + std::string(to_string(s.type)));
    }
  }
  // Checks that depend on several fields (list lengths, ranges) with the file named.
  try {
    RopeConfig probe = c;
    probe.seq_len = 1;
    validate(probe);
  } catch (const RopeError& e) {
    throw RopeError(std::string(origin) + ": " + e.what());
  }
  return c;
}

RopeConfig load_hf_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RopeError(path + ": cannot open file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw RopeError(path + ": cannot read file");
  if (size > (int64_t{64} << 20)) throw RopeError(path + ": file is larger than 64 MiB; not a config.json");
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), size);
  if (!in) throw RopeError(path + ": cannot read file");
  return parse_hf_config(text, path);
}

std::string scaling_to_json(const RopeFrequencies& f, const RopeConfig& c) {
  json j;
  j["type"] = std::string(to_string(f.scaling));
  const RopeScaling& s = c.scaling;
  switch (f.scaling) {
    case ScalingType::kNone: break;
    case ScalingType::kLinear: j["factor"] = f.factor; break;
    case ScalingType::kNtk:
      j["alpha"] = s.alpha;
      j["effective_base"] = f.effective_base;
      break;
    case ScalingType::kDynamic:
      j["factor"] = f.factor;
      j["original_max_position_embeddings"] = f.original_max;
      j["effective_base"] = f.effective_base;
      break;
    case ScalingType::kYarn:
      j["factor"] = f.factor;
      j["original_max_position_embeddings"] = f.original_max;
      j["beta_fast"] = s.beta_fast;
      j["beta_slow"] = s.beta_slow;
      j["mscale"] = s.mscale ? json(*s.mscale) : json(nullptr);
      j["mscale_all_dim"] = s.mscale_all_dim ? json(*s.mscale_all_dim) : json(nullptr);
      j["truncate"] = s.truncate;
      j["ramp_low"] = f.yarn_low;
      j["ramp_high"] = f.yarn_high;
      break;
    case ScalingType::kLlama3:
      j["factor"] = f.factor;
      j["low_freq_factor"] = *s.low_freq_factor;
      j["high_freq_factor"] = *s.high_freq_factor;
      j["original_max_position_embeddings"] = f.original_max;
      j["low_freq_wavelen"] = f.llama3_low_freq_wavelen;
      j["high_freq_wavelen"] = f.llama3_high_freq_wavelen;
      break;
    case ScalingType::kLongrope:
      j["factor"] = f.factor;
      j["original_max_position_embeddings"] = f.original_max;
      j["uses"] = f.seq_len > f.original_max ? "long_factor" : "short_factor";
      j["short_factor"] = s.short_factor;
      j["long_factor"] = s.long_factor;
      break;
  }
  j["attention_factor"] = f.attention_factor;
  return j.dump();
}

}  // namespace rope::core
