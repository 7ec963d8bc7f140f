#include "core/config_json.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/gguf.h"
#include "core/model_rules.h"

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

namespace {

constexpr double kHfDefaultTheta = 10000.0;  // RotaryEmbeddingConfigMixin.default_theta

// nlohmann/json names a control character it stopped at as "<U+000A>"; say which character it is.
std::string name_control_characters(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"<U+000A>", "<newline>"}, {"<U+000D>", "<carriage return>"}, {"<U+0009>", "<tab>"}, {"<U+0000>", "<NUL>"}};
  for (const auto& [code, name] : kNames) {
    for (size_t pos = text.find(code); pos != std::string::npos; pos = text.find(code, pos + name.size())) {
      text.replace(pos, code.size(), name);
    }
  }
  return text;
}

std::string format_number(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// What a reading collects instead of stopping at the first problem.
struct Notes {
  std::vector<std::string> missing;   // required fields that are absent, reported in one line
  std::vector<std::string> warnings;  // one line each, without the file name
};

// The language model's keys after the architecture rules, and where each rule-set key came from.
struct TextConfig {
  json cfg;
  std::string prefix;  // "text_config." when the keys live in a sub-config
  std::string model_type;
  std::map<std::string, std::string> origin;  // keys a rule wrote: their origin
  std::optional<Layout> layout;
  std::string layout_origin;
  const ModelRule* absolute_rotary = nullptr;
  std::vector<const ModelRule*> type_aliases;
  bool rule_set_theta = false;
  std::set<std::string> consumed;  // keys a rule read (aliases, overrides, layout keys, ...)

  std::string origin_of(const std::string& key) const {
    const auto it = origin.find(key);
    return it != origin.end() ? it->second : "file: " + prefix + key;
  }
};

// Follows text_config (HF's get_text_config(decoder=True): decoder, generator, text_config), then
// applies the rules of the language model's model_type.
TextConfig normalise(const Reader& r, const json& root) {
  TextConfig tc;
  tc.cfg = root;
  std::string outer_type;
  if (Reader::present(root, "model_type") && root.at("model_type").is_string()) outer_type = root.at("model_type").get<std::string>();
  for (const char* name : {"decoder", "generator", "text_config"}) {
    if (!Reader::present(root, name)) continue;
    if (!root.at(name).is_object()) r.fail(name, std::string("expected an object, got ") + root.at(name).type_name());
    tc.cfg = root.at(name);
    tc.prefix = std::string(name) + ".";
    break;
  }
  if (Reader::present(tc.cfg, "model_type")) {
    if (!tc.cfg.at("model_type").is_string()) r.fail(tc.prefix + "model_type", "expected a string");
    tc.model_type = tc.cfg.at("model_type").get<std::string>();
  } else if (!tc.prefix.empty()) {
    for (const ModelRule* rule : rules_for(outer_type)) {
      if (rule->kind == RuleKind::kTextConfigType) tc.model_type = std::string(rule->target);
    }
  }
  std::set<std::string>& consumed = tc.consumed;
  json& cfg = tc.cfg;
  for (const ModelRule* rule : rules_for(tc.model_type)) {
    const std::string key(rule->key), target(rule->target);
    const bool has_key = !key.empty() && Reader::present(cfg, key.c_str());
    switch (rule->kind) {
      case RuleKind::kAlias:
      case RuleKind::kOverride:
        if (!has_key || (rule->kind == RuleKind::kAlias && Reader::present(cfg, target.c_str()))) break;
        cfg[target] = cfg.at(key);
        tc.origin[target] = "file: " + tc.prefix + key + ", read as " + target + " by " + rule_citation(*rule);
        consumed.insert(key);
        if (target == "rope_theta") tc.rule_set_theta = true;
        break;
      case RuleKind::kDefault:
        if (Reader::present(cfg, target.c_str())) break;
        cfg[target] = rule->value;
        tc.origin[target] = "class default " + format_number(rule->value) + " of " + rule_citation(*rule);
        if (target == "rope_theta") tc.rule_set_theta = true;
        break;
      case RuleKind::kMultiplier:
        if (!has_key) break;
        if (!cfg.at(key).is_number() || !Reader::present(cfg, target.c_str()) || !cfg.at(target).is_number()) {
          r.fail(tc.prefix + key, "expected a number multiplying " + target);
        }
        tc.origin[target] = tc.origin_of(target) + " times " + tc.prefix + key + " = " + format_number(cfg.at(key).get<double>()) +
                            " (" + rule_citation(*rule) + ")";
        cfg[target] = cfg.at(target).get<double>() * cfg.at(key).get<double>();
        consumed.insert(key);
        break;
      case RuleKind::kAbsoluteRotaryDim:
        tc.absolute_rotary = rule;
        consumed.insert(key);
        break;
      case RuleKind::kLayout:
        tc.layout = rule->value != 0.0 ? Layout::kGptj : Layout::kNeox;
        tc.layout_origin = "architecture: " + rule_citation(*rule);
        break;
      case RuleKind::kLayoutKey:
        consumed.insert(key);
        if (has_key) {
          if (!cfg.at(key).is_boolean()) r.fail(tc.prefix + key, "expected true or false");
          tc.layout = cfg.at(key).get<bool>() ? Layout::kGptj : Layout::kNeox;
          tc.layout_origin = "file: " + tc.prefix + key + " (" + rule_citation(*rule) + ")";
        } else {
          tc.layout = rule->value != 0.0 ? Layout::kGptj : Layout::kNeox;
          tc.layout_origin = "class default " + key + " = " + (rule->value != 0.0 ? "true" : "false") + " of " + rule_citation(*rule);
        }
        break;
      case RuleKind::kRopeTypeAlias: tc.type_aliases.push_back(rule); break;
      case RuleKind::kTextConfigType: break;
      case RuleKind::kNoRope:
        consumed.insert(key);
        if (has_key && cfg.at(key).is_boolean() && cfg.at(key).get<bool>()) {
          r.fail(tc.prefix + key, "is true: this model uses ALiBi position biases, not a rotary embedding (" + rule_citation(*rule) + ")");
        }
        break;
      case RuleKind::kRequiredTrue:
        consumed.insert(key);
        if (has_key && !(cfg.at(key).is_boolean() && cfg.at(key).get<bool>())) {
          r.fail(tc.prefix + key, "is not true: it selects a rotation in " + rule_citation(*rule) + " that ropescope does not model");
        }
        break;
      case RuleKind::kUnsupported:
        if (has_key && !consumed.contains(key)) {
          r.fail(tc.prefix + key, "changes the rotation in " + rule_citation(*rule) + " and ropescope does not model it for model_type '" +
                                      tc.model_type + "'");
        }
        break;
    }
  }
  return tc;
}

// Top-level keys that look like rope parameters but that neither the reader nor a rule of this
// model_type reads: said, so that a field which changes the rotation is never dropped silently.
void warn_unread_rope_keys(const TextConfig& tc, Notes& notes) {
  static const std::set<std::string> kRead = {
      "rope_theta", "rope_scaling", "rope_parameters", "partial_rotary_factor", "rope_local_base_freq",
      "max_position_embeddings", "original_max_position_embeddings", "head_dim", "hidden_size", "num_attention_heads",
      "rotary",  // GPT-J / CodeGen: a flag saying the model is rotary
  };
  std::vector<std::string> unread;
  for (const auto& [key, value] : tc.cfg.items()) {
    const bool looks_rope = key.find("rope") != std::string::npos || key.find("rotary") != std::string::npos;
    if (looks_rope && !value.is_null() && !kRead.contains(key) && !tc.consumed.contains(key) && !tc.origin.contains(key)) {
      unread.push_back(tc.prefix + key);
    }
  }
  if (!unread.empty()) {
    notes.warnings.push_back("not read for model_type '" + tc.model_type + "' (no architecture rule; check whether it changes the rotation): " + join(unread));
  }
}

// Values every rope set of the model shares.
struct Common {
  int head_dim = 0;
  std::string head_dim_origin;
  std::optional<double> rotary_fraction;  // top level or a rule: wins over the block's
  std::string rotary_fraction_origin;
  std::optional<int64_t> max_position_embeddings;
  std::optional<int64_t> original_max;    // top level (Phi-3): wins over the block's
  std::optional<double> theta;            // top level, or a rule's
  Layout layout = Layout::kNeox;
  std::string layout_origin = "Hugging Face default (rotate_half: pairs (j, j + rotary_dim/2))";
};

Common read_common(const Reader& r, const TextConfig& tc, Notes& notes) {
  const json& cfg = tc.cfg;
  const std::string& p = tc.prefix;
  Common c;
  if (auto hd = r.integer(cfg, "head_dim", p)) {
    c.head_dim = static_cast<int>(std::min<int64_t>(*hd, kMaxHeadDim + 1));
    c.head_dim_origin = tc.origin_of("head_dim");
  } else {
    const auto hidden = r.integer(cfg, "hidden_size", p);
    const auto heads = r.integer(cfg, "num_attention_heads", p);
    if (!hidden || !heads) {
      notes.missing.push_back(p + "head_dim (or " + p + "hidden_size and " + p + "num_attention_heads)");
    } else {
      if (*heads == 0) r.fail(p + "num_attention_heads", "must be > 0");
      c.head_dim = static_cast<int>(std::min<int64_t>(*hidden / *heads, kMaxHeadDim + 1));
      c.head_dim_origin = "derived: hidden_size / num_attention_heads = " + std::to_string(*hidden) + " / " +
                          std::to_string(*heads) + " (" + tc.origin_of("hidden_size") + "; " + tc.origin_of("num_attention_heads") + ")";
    }
  }
  if (tc.absolute_rotary && c.head_dim > 0) {
    const std::string key(tc.absolute_rotary->key);
    if (auto rd = r.integer(cfg, key.c_str(), p)) {
      // The fraction whose int(head_dim * fraction) is exactly rotary_dim.
      double fraction = static_cast<double>(*rd) / c.head_dim;
      for (int i = 0; i < 4 && static_cast<int64_t>(c.head_dim * fraction) < *rd; ++i) fraction = std::nextafter(fraction, 2.0);
      c.rotary_fraction = fraction;
      c.rotary_fraction_origin = tc.origin_of(key) + ": " + std::to_string(*rd) + " of " + std::to_string(c.head_dim) +
                                 " features rotate (an absolute count in " + rule_citation(*tc.absolute_rotary) + ")";
    }
  }
  if (!c.rotary_fraction) {
    if (auto v = r.number(cfg, "partial_rotary_factor", p)) {
      c.rotary_fraction = *v;
      c.rotary_fraction_origin = tc.origin_of("partial_rotary_factor");
    }
  }
  c.max_position_embeddings = r.integer(cfg, "max_position_embeddings", p);
  c.original_max = r.integer(cfg, "original_max_position_embeddings", p);
  c.theta = r.number(cfg, "rope_theta", p);
  if (tc.layout) {
    c.layout = *tc.layout;
    c.layout_origin = tc.layout_origin;
  }
  return c;
}

// Keys Hugging Face accepts in a block of each rope type besides rope_type / type, rope_theta and
// partial_rotary_factor (RotaryEmbeddingConfigMixin._validate_*_rope_parameters).
std::set<std::string> accepted_keys(ScalingType type) {
  switch (type) {
    case ScalingType::kNone:
    case ScalingType::kNtk: return {};
    case ScalingType::kLinear:
    case ScalingType::kDynamic: return {"factor"};
    case ScalingType::kYarn:
      return {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale",
              "mscale_all_dim", "truncate"};
    case ScalingType::kLlama3: return {"factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"};
    case ScalingType::kLongrope:
      return {"short_factor", "long_factor", "original_max_position_embeddings", "attention_factor", "factor"};
  }
  return {};
}

// One rope block (flat, or one layer type's set of a nested one) into a RopeConfig.
RopeConfig read_block(const Reader& r, const TextConfig& tc, const Common& common, const json& block,
                      const std::string& bp, Notes& notes, std::vector<ValueOrigin>& origins) {
  RopeConfig c;
  c.head_dim = common.head_dim;
  c.layout = common.layout;
  c.max_position_embeddings = common.max_position_embeddings;
  const auto from_block = [&](const char* key) { return "file: " + bp + key; };
  origins.push_back({"head_dim", common.head_dim_origin});
  origins.push_back({"layout", common.layout_origin});

  // Rope type (v5 rope_type, legacy type), renamed by the architecture where its class does so.
  std::string type_name = "default";
  std::string type_origin = "Hugging Face default (no rope block)";
  bool legacy_key = false;
  for (const char* key : {"rope_type", "type"}) {
    if (Reader::present(block, key)) {
      if (!block.at(key).is_string()) r.fail(bp + key, "expected a string");
      type_name = block.at(key).get<std::string>();
      type_origin = from_block(key);
      legacy_key = std::string_view(key) == "type";
      break;
    }
  }
  for (const ModelRule* alias : tc.type_aliases) {
    if (legacy_key && type_name == alias->key) {
      type_origin += ", '" + type_name + "' read as " + std::string(alias->target) + " by " + rule_citation(*alias);
      type_name = std::string(alias->target);
    }
  }
  const auto type = parse_scaling_type(type_name);
  if (!type || *type == ScalingType::kNtk) {
    r.fail(bp + "rope_type", "unknown rope type '" + type_name +
                                 "' (expected default, linear, dynamic, yarn, llama3, longrope or su)");
  }
  RopeScaling& s = c.scaling;
  s.type = *type;
  const std::string type_str(to_string(s.type));
  origins.push_back({"rope_type", type_origin});

  // Base: the block's rope_theta, then the top level's (or a rule's), then HF's default.
  if (auto v = r.number(block, "rope_theta", bp)) {
    c.base = *v;
    origins.push_back({"base", from_block("rope_theta")});
  } else if (common.theta) {
    c.base = *common.theta;
    origins.push_back({"base", tc.origin_of("rope_theta")});
  } else {
    c.base = kHfDefaultTheta;
    origins.push_back({"base", "Hugging Face default 10000 (RotaryEmbeddingConfigMixin.default_theta)"});
    notes.warnings.push_back(bp.empty() ? "rope_theta is not in the file; using Hugging Face's default 10000"
                                        : bp + "rope_theta is not in the file; using Hugging Face's default 10000");
  }
  // Rotary fraction: the top level wins over the block (HF standardize_rope_params).
  if (common.rotary_fraction) {
    c.rotary_fraction = *common.rotary_fraction;
    origins.push_back({"rotary_fraction", common.rotary_fraction_origin});
  } else if (auto v = r.number(block, "partial_rotary_factor", bp)) {
    c.rotary_fraction = *v;
    origins.push_back({"rotary_fraction", from_block("partial_rotary_factor")});
  } else {
    origins.push_back({"rotary_fraction", "Hugging Face default 1.0"});
  }

  // Unrecognised keys, as HF's _check_received_keys warns.
  if (block.is_object()) {
    std::vector<std::string> unknown;
    const std::set<std::string> accepted = accepted_keys(s.type);
    for (const auto& [key, value] : block.items()) {
      if (key == "rope_type" || key == "type" || key == "rope_theta" || key == "partial_rotary_factor") continue;
      if (!accepted.contains(key)) unknown.push_back(bp + key);
    }
    if (!unknown.empty()) {
      notes.warnings.push_back("unrecognised keys for rope type " + type_str + " (Hugging Face ignores them): " + join(unknown));
    }
  }

  const bool uses_original = s.type == ScalingType::kYarn || s.type == ScalingType::kLlama3 || s.type == ScalingType::kLongrope;
  if (uses_original) {
    if (common.original_max) {
      s.original_max = common.original_max;
      origins.push_back({"original_max_position_embeddings", tc.origin_of("original_max_position_embeddings") +
                                                                 " (the top level wins over the block, as Hugging Face reads Phi-3)"});
    } else if ((s.original_max = r.integer(block, "original_max_position_embeddings", bp))) {
      origins.push_back({"original_max_position_embeddings", from_block("original_max_position_embeddings")});
    } else if (common.max_position_embeddings) {
      origins.push_back({"original_max_position_embeddings",
                         "max_position_embeddings (Hugging Face's standardize_rope_params sets it for " + type_str + ")"});
    }
  }
  if (c.max_position_embeddings) origins.push_back({"max_position_embeddings", tc.origin_of("max_position_embeddings")});

  const auto required = [&](const char* key) -> std::optional<double> {
    auto v = r.number(block, key, bp);
    if (!v) {
      notes.missing.push_back(bp + key + " (required for rope type " + type_str + ")");
    } else {
      origins.push_back({key, from_block(key)});
    }
    return v;
  };
  const auto optional_number = [&](const char* key) {
    auto v = r.number(block, key, bp);
    if (v) origins.push_back({key, from_block(key)});
    return v;
  };
  const auto factor_warning = [&]() {
    if (s.factor && *s.factor < 1.0) notes.warnings.push_back(bp + "factor should be >= 1 (got " + format_number(*s.factor) + ")");
  };
  switch (s.type) {
    case ScalingType::kNone:
    case ScalingType::kNtk: break;
    case ScalingType::kLinear:
      s.factor = required("factor");
      factor_warning();
      break;
    case ScalingType::kDynamic:
      // Hugging Face's dynamic NTK measures against max_position_embeddings.
      s.factor = required("factor");
      factor_warning();
      if (!c.max_position_embeddings) notes.missing.push_back(tc.prefix + "max_position_embeddings (required for rope type dynamic)");
      break;
    case ScalingType::kYarn: {
      s.factor = optional_number("factor");
      if (!s.factor && !(s.original_max && c.max_position_embeddings)) {
        notes.missing.push_back(bp + "factor (required for rope type yarn)");
      }
      factor_warning();
      if (auto v = optional_number("beta_fast")) s.beta_fast = *v;
      if (auto v = optional_number("beta_slow")) s.beta_slow = *v;
      s.mscale = optional_number("mscale");
      s.mscale_all_dim = optional_number("mscale_all_dim");
      s.attention_factor = optional_number("attention_factor");
      if (Reader::present(block, "truncate")) {
        if (!block.at("truncate").is_boolean()) r.fail(bp + "truncate", "expected true or false");
        s.truncate = block.at("truncate").get<bool>();
        origins.push_back({"truncate", from_block("truncate")});
      }
      if (s.beta_fast < s.beta_slow) {
        notes.warnings.push_back(bp + "beta_fast (" + format_number(s.beta_fast) + ") should be greater than beta_slow (" +
                                 format_number(s.beta_slow) + ")");
      }
      if (s.factor && s.original_max && c.max_position_embeddings && *s.original_max > 0) {
        const double implicit = static_cast<double>(*c.max_position_embeddings) / static_cast<double>(*s.original_max);
        if (implicit != *s.factor && implicit != 1.0) {
          notes.warnings.push_back("yarn factor " + format_number(*s.factor) + " differs from max_position_embeddings / original_max_position_embeddings = " +
                                   format_number(implicit) + "; the explicit factor is used, as Hugging Face does");
        }
      }
      break;
    }
    case ScalingType::kLlama3:
      s.factor = required("factor");
      factor_warning();
      s.low_freq_factor = required("low_freq_factor");
      s.high_freq_factor = required("high_freq_factor");
      if (!s.original_max) {
        if (c.max_position_embeddings) {
          s.original_max = c.max_position_embeddings;
        } else {
          notes.missing.push_back(bp + "original_max_position_embeddings (or " + tc.prefix + "max_position_embeddings; required for rope type llama3)");
        }
      }
      if (s.original_max && c.max_position_embeddings && *s.original_max >= *c.max_position_embeddings) {
        notes.warnings.push_back("llama3 original_max_position_embeddings (" + std::to_string(*s.original_max) +
                                 ") should be less than max_position_embeddings (" + std::to_string(*c.max_position_embeddings) + ")");
      }
      if (s.low_freq_factor && s.high_freq_factor && *s.high_freq_factor <= *s.low_freq_factor) {
        notes.warnings.push_back("llama3 high_freq_factor (" + format_number(*s.high_freq_factor) +
                                 ") should be greater than low_freq_factor (" + format_number(*s.low_freq_factor) + ")");
      }
      break;
    case ScalingType::kLongrope:
      for (auto [key, list] : {std::pair{"short_factor", &s.short_factor}, std::pair{"long_factor", &s.long_factor}}) {
        if (!Reader::present(block, key)) {
          notes.missing.push_back(bp + key + " (required for rope type longrope)");
        } else {
          *list = r.number_list(block, key, bp);
          origins.push_back({key, from_block(key)});
        }
      }
      s.factor = optional_number("factor");
      factor_warning();
      s.attention_factor = optional_number("attention_factor");
      break;
  }
  if ((s.type == ScalingType::kYarn || s.type == ScalingType::kLongrope) && !s.original_max && !c.max_position_embeddings) {
    notes.missing.push_back(tc.prefix + "max_position_embeddings (or original_max_position_embeddings; required for rope type " + type_str + ")");
  }
  return c;
}

std::vector<std::string> read_layer_types(const Reader& r, const TextConfig& tc) {
  std::vector<std::string> out;
  if (!Reader::present(tc.cfg, "layer_types")) return out;
  const json& v = tc.cfg.at("layer_types");
  const std::string path = tc.prefix + "layer_types";
  if (!v.is_array()) r.fail(path, std::string("expected a list of strings, got ") + v.type_name());
  if (v.size() > 1u << 16) r.fail(path, "has too many entries");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) r.fail(path + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// Layer-type names in the order the model lists them, full_attention first.
std::vector<std::string> ordered_names(std::vector<std::string> names) {
  std::vector<std::string> out;
  if (std::find(names.begin(), names.end(), "full_attention") != names.end()) out.push_back("full_attention");
  for (const std::string& n : names) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

}  // namespace

const LayerTypeRope* ModelRope::find(std::string_view name) const {
  for (const LayerTypeRope& t : layer_types) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const LayerTypeRope& ModelRope::select(std::optional<std::string_view> name) const {
  if (name) {
    if (const LayerTypeRope* t = find(*name)) return *t;
    std::vector<std::string> names;
    for (const LayerTypeRope& t : layer_types) names.push_back(t.name);
    throw RopeError("--layer-type: no layer type '" + std::string(*name) + "' in this model (it has " + join(names) + ")");
  }
  if (const LayerTypeRope* t = find("full_attention")) return *t;
  return layer_types.front();
}

ModelRope parse_hf_model(std::string_view json_text, std::string_view origin) {
  const Reader r(origin);
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e99999
    std::string what = e.what();
    if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw RopeError(std::string(origin) + ": not valid JSON: " + name_control_characters(what));
  }
  if (!root.is_object()) throw RopeError(std::string(origin) + ": expected a JSON object at the top level");

  const TextConfig tc = normalise(r, root);
  const json& cfg = tc.cfg;
  Notes notes;
  const Common common = read_common(r, tc, notes);
  warn_unread_rope_keys(tc, notes);

  // The rope block: v4 `rope_scaling` or v5 `rope_parameters` (either may be null). Hugging Face
  // v5 builds its parameters as `rope_scaling or rope_parameters`, so the legacy key wins.
  const char* block_name = nullptr;
  for (const char* name : {"rope_scaling", "rope_parameters"}) {
    if (Reader::present(cfg, name)) {
      block_name = name;
      break;
    }
  }
  static const json kEmpty = json::object();
  const json& block = block_name ? cfg.at(block_name) : kEmpty;
  const std::string bp = block_name ? tc.prefix + block_name + "." : std::string();
  if (block_name && !block.is_object()) r.fail(tc.prefix + block_name, std::string("expected an object, got ") + block.type_name());

  ModelRope model;
  model.model_type = tc.model_type;
  model.text_config = tc.prefix.empty() ? "" : tc.prefix.substr(0, tc.prefix.size() - 1);
  const std::vector<std::string> layer_types = read_layer_types(r, tc);
  if (auto n = r.integer(cfg, "num_hidden_layers", tc.prefix)) model.num_layers = static_cast<int>(std::min<int64_t>(*n, 1 << 16));

  // v5 nests one block per layer type when every key names a layer type.
  static const std::set<std::string> kKnownLayerTypes = {"full_attention", "sliding_attention", "chunked_attention",
                                                         "linear_attention"};
  bool nested = !block.empty();
  for (const auto& [key, value] : block.items()) {
    const bool is_layer_type = layer_types.empty() ? kKnownLayerTypes.contains(key)
                                                   : std::find(layer_types.begin(), layer_types.end(), key) != layer_types.end();
    nested = nested && is_layer_type;
  }
  if (nested) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : block.items()) keys.push_back(key);
    std::vector<std::string> order = layer_types;
    order.insert(order.end(), keys.begin(), keys.end());
    for (const std::string& name : ordered_names(order)) {
      if (!block.contains(name)) {
        r.fail(tc.prefix + "layer_types", "names '" + name + "' but " + bp.substr(0, bp.size() - 1) + " has no set for it");
      }
      if (!block.at(name).is_object()) r.fail(bp + name, std::string("expected an object, got ") + block.at(name).type_name());
      LayerTypeRope t;
      t.name = name;
      t.config = read_block(r, tc, common, block.at(name), bp + name + ".", notes, t.origins);
      model.layer_types.push_back(std::move(t));
    }
  } else {
    LayerTypeRope full;
    full.name = "full_attention";
    full.config = read_block(r, tc, common, block, bp, notes, full.origins);
    const auto local = r.number(cfg, "rope_local_base_freq", tc.prefix);
    std::vector<std::string> names = ordered_names(layer_types);
    if (local) {
      // Gemma 3: sliding layers use rope_local_base_freq with the default rope type.
      LayerTypeRope sliding;
      sliding.name = "sliding_attention";
      sliding.config = full.config;
      sliding.config.base = *local;
      sliding.config.scaling = RopeScaling{};
      for (const ValueOrigin& o : full.origins) {
        if (o.field == "head_dim" || o.field == "layout" || o.field == "rotary_fraction" || o.field == "max_position_embeddings") {
          sliding.origins.push_back(o);
        }
      }
      sliding.origins.push_back({"base", tc.origin_of("rope_local_base_freq")});
      sliding.origins.push_back({"rope_type", "default for the sliding layers (Gemma3TextModel's local rotary embedding)"});
      names = ordered_names(names.empty() ? std::vector<std::string>{"full_attention", "sliding_attention"} : names);
      model.layer_types.push_back(std::move(full));
      model.layer_types.push_back(std::move(sliding));
      for (const std::string& n : names) {
        if (!model.find(n)) r.fail(tc.prefix + "layer_types", "names '" + n + "', which has no rope set (expected full_attention or sliding_attention)");
      }
    } else if (names.empty()) {
      model.layer_types.push_back(std::move(full));
    } else {
      // One rope for every layer type the model lists (HF's flat block with layer_types).
      for (const std::string& n : names) {
        LayerTypeRope t = full;
        t.name = n;
        model.layer_types.push_back(std::move(t));
      }
    }
  }

  // Which layer uses which set.
  const auto index_of = [&](const std::string& name) {
    for (size_t i = 0; i < model.layer_types.size(); ++i) {
      if (model.layer_types[i].name == name) return static_cast<int>(i);
    }
    return 0;
  };
  if (!layer_types.empty()) {
    if (model.num_layers != 0 && static_cast<size_t>(model.num_layers) != layer_types.size()) {
      notes.warnings.push_back("layer_types lists " + std::to_string(layer_types.size()) + " layers but num_hidden_layers is " +
                               std::to_string(model.num_layers));
    }
    model.num_layers = static_cast<int>(layer_types.size());
    for (const std::string& n : layer_types) model.layer_set.push_back(index_of(n));
  } else if (model.find("sliding_attention") && model.num_layers > 0) {
    const auto pattern = r.integer(cfg, "sliding_window_pattern", tc.prefix);
    if (pattern && *pattern >= 1) {
      for (int i = 0; i < model.num_layers; ++i) {
        model.layer_set.push_back(index_of((i + 1) % *pattern != 0 ? "sliding_attention" : "full_attention"));
      }
    } else {
      notes.warnings.push_back("rope_local_base_freq is given but neither layer_types nor sliding_window_pattern says which layers slide");
    }
  } else if (model.layer_types.size() == 1 && model.num_layers > 0) {
    model.layer_set.assign(static_cast<size_t>(model.num_layers), 0);
  }
  for (size_t layer = 0; layer < model.layer_set.size(); ++layer) {
    model.layer_types[static_cast<size_t>(model.layer_set[layer])].layers.push_back(static_cast<int>(layer));
  }

  if (!notes.missing.empty()) throw RopeError(std::string(origin) + ": missing " + join(notes.missing));
  // Checks that depend on several fields (list lengths, ranges) with the file named.
  for (const LayerTypeRope& t : model.layer_types) {
    try {
      RopeConfig probe = t.config;
      probe.seq_len = 1;
      validate(probe);
    } catch (const RopeError& e) {
      const std::string where = model.layer_types.size() > 1 ? " (layer type " + t.name + ")" : "";
      throw RopeError(std::string(origin) + where + ": " + e.what());
    }
  }
  for (const std::string& w : notes.warnings) model.warnings.push_back(std::string(origin) + ": " + w);
  return model;
}

namespace {

std::string read_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw RopeError(path + ": is a directory, not a config.json file");
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
  return text;
}

}  // namespace

// A GGUF file (by its magic, or its .gguf name when it cannot be read) goes to the GGUF reader: the
// one place that chooses the format, so the CLI, diff, resolve and the GUI read both alike.
ModelRope load_hf_model(const std::string& path) {
  if (is_gguf_file(path)) return load_gguf_model(path);
  return parse_hf_model(read_config_file(path), path);
}

RopeConfig parse_hf_config(std::string_view json_text, std::string_view origin) {
  return parse_hf_model(json_text, origin).select(std::nullopt).config;
}

RopeConfig load_hf_config(const std::string& path) { return load_hf_model(path).select(std::nullopt).config; }

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
