#pragma once
// The rules that Hugging Face transformers' per-architecture config classes (and, for models that
// ship their own code, that code) apply to a config.json before the rope is computed: key aliases,
// class defaults for values config.json omits, the pair layout the architecture fixes, rope type
// names the class renames, and keys that mean there is no rotary embedding at all.
//
// One table, one row per rule, each row naming the class and file it comes from (model_rules.cpp).
// config_json.cpp applies the rows of a config's model_type; nothing else in the reader knows about
// architectures.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rope::core {

enum class RuleKind {
  kAlias,          // `key` is read as `target` when `target` is absent (GPT-J's n_embd -> hidden_size)
  kOverride,       // `key`, when present, replaces `target` (DeepSeek's qk_rope_head_dim -> head_dim)
  kDefault,        // `target` takes `value` when absent (the class's default; Qwen3's head_dim 128)
  kMultiplier,     // `key`, when present, multiplies `target` (ChatGLM's rope_ratio times the base)
  kAbsoluteRotaryDim,  // `key` is the number of rotated features, not a fraction (GPT-J rotary_dim)
  kLayout,         // the architecture fixes the pair layout: value 1 = interleaved (2j, 2j+1), 0 = half split
  kLayoutKey,      // boolean `key` chooses interleaved (true) or half split; `value` is its class default
  kRopeTypeAlias,  // the legacy `type` name `key` is read as `target` (Phi-3: su and yarn -> longrope)
  kTextConfigType, // a wrapper of this model_type holds a language model of type `target` (when it omits one)
  kNoRope,         // boolean `key` true means the model has no rotary embedding (Falcon's alibi)
  kRequiredTrue,   // boolean `key`, when present, must be true: false selects code that is not modelled
  kUnsupported,    // `key` changes the rotation in the model's own code and is not modelled: refused
};

struct ModelRule {
  std::string_view model_type;  // config.json's model_type; "" means a config.json without one
  RuleKind kind;
  std::string_view key;
  std::string_view target;      // canonical key, rope type or text model_type (see RuleKind)
  double value = 0.0;
  std::string_view config_class;  // e.g. "GPTJConfig"
  std::string_view source;        // e.g. "transformers models/gptj/configuration_gptj.py"
};

// Every rule, in the order they are applied (aliases and overrides before defaults).
std::span<const ModelRule> model_rules();

// The rules of one model_type, in table order.
std::vector<const ModelRule*> rules_for(std::string_view model_type);

// "GPTJConfig (transformers models/gptj/configuration_gptj.py)".
std::string rule_citation(const ModelRule& rule);

}  // namespace rope::core
