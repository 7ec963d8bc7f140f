#include "cli/rope_options.h"

#include <iostream>

#include "core/config_json.h"
#include "core/error.h"

namespace rope::app {
namespace {

template <typename T>
void add(CLI::App& app, const std::string& name, std::optional<T>& target, const std::string& help) {
  app.add_option_function<T>(name, [&target](const T& value) { target = value; }, help);
}

}  // namespace

bool RopeCliOptions::any() const {
  return model_config || head_dim || base || rotary_fraction || layout || seq_len || scaling || factor || alpha ||
         original_max || low_freq_factor || high_freq_factor || beta_fast || beta_slow || mscale || mscale_all_dim ||
         attention_factor || layer_type;
}

void add_rope_options(CLI::App& app, RopeCliOptions& o) {
  const std::string group = "Rope options";
  auto opt = [&](auto& target, const std::string& name, const std::string& help) {
    add(app, name, target, help);
    app.get_option(name)->group(group);
  };
  opt(o.model_config, "--model-config", "Hugging Face config.json to start from (flags override it)");
  opt(o.head_dim, "--head-dim", "Head dimension d (default 128)");
  opt(o.base, "--base", "RoPE base, rope_theta (default 10000)");
  opt(o.rotary_fraction, "--rotary-fraction", "Fraction of head_dim that rotates (partial_rotary_factor)");
  opt(o.layout, "--layout", "Pair layout: neox (i, i+d/2) or gptj (2i, 2i+1)");
  opt(o.seq_len, "--seq-len", "Sequence length: longest position + 1 (default 1024)");
  opt(o.scaling, "--scaling", "none|linear|ntk|dynamic|yarn|llama3|longrope");
  opt(o.factor, "--factor", "Scaling factor (linear, dynamic, yarn, llama3, longrope)");
  opt(o.alpha, "--alpha", "NTK-aware alpha (ntk): base' = base * alpha^(d/(d-2))");
  opt(o.original_max, "--original-max", "original_max_position_embeddings (yarn, llama3, longrope; dynamic's reference)");
  opt(o.low_freq_factor, "--low-freq-factor", "llama3: wavelengths above original/low are divided by factor");
  opt(o.high_freq_factor, "--high-freq-factor", "llama3: wavelengths below original/high stay unscaled");
  opt(o.beta_fast, "--beta-fast", "yarn: rotations count where the ramp starts (default 32)");
  opt(o.beta_slow, "--beta-slow", "yarn: rotations count where the ramp ends (default 1)");
  opt(o.mscale, "--mscale", "yarn mscale");
  opt(o.mscale_all_dim, "--mscale-all-dim", "yarn mscale_all_dim");
  opt(o.attention_factor, "--attention-factor", "Attention factor a (yarn, longrope): cos and sin are multiplied by a");
  opt(o.layer_type, "--layer-type", "Which of the model's rope sets: full_attention (default), sliding_attention, ...");
  app.add_flag("--strict", o.strict, "Treat the config's warnings as errors (exit 2)")->group(group);
}

core::RopeConfig resolve_rope_config(const RopeCliOptions& o) { return resolve_rope(o).config; }

core::RopeConfig resolve_rope_config(const RopeCliOptions& o, const core::RopeConfig& start) {
  return resolve_rope(o, start).config;
}

ResolvedRope resolve_rope(const RopeCliOptions& o, const core::RopeConfig& start) {
  using core::RopeError;
  ResolvedRope r;
  core::RopeConfig& c = r.config;
  c = start;
  if (o.model_config) {
    r.model = core::load_hf_model(*o.model_config);
    const core::LayerTypeRope& set = r.model->select(o.layer_type);
    c = set.config;
    r.layer_type = set.name;
    r.warnings = r.model->warnings;
  } else if (o.layer_type) {
    throw RopeError("--layer-type needs --model-config (a model with layer types)");
  }
  for (const std::string& w : r.warnings) {
    if (o.strict) throw RopeError(w + " (a warning; --strict makes it an error)");
    std::cerr << "ropescope: warning: " << w << "\n";
  }
  const auto given = [&](bool present, const char* field, const char* flag) {
    if (present) r.overridden.emplace_back(field, flag);
  };
  given(o.head_dim.has_value(), "head_dim", "--head-dim");
  given(o.base.has_value(), "base", "--base");
  given(o.rotary_fraction.has_value(), "rotary_fraction", "--rotary-fraction");
  given(o.layout.has_value(), "layout", "--layout");
  given(o.scaling.has_value(), "rope_type", "--scaling");
  given(o.factor.has_value(), "factor", "--factor");
  given(o.original_max.has_value(), "original_max_position_embeddings", "--original-max");
  given(o.low_freq_factor.has_value(), "low_freq_factor", "--low-freq-factor");
  given(o.high_freq_factor.has_value(), "high_freq_factor", "--high-freq-factor");
  given(o.beta_fast.has_value(), "beta_fast", "--beta-fast");
  given(o.beta_slow.has_value(), "beta_slow", "--beta-slow");
  given(o.mscale.has_value(), "mscale", "--mscale");
  given(o.mscale_all_dim.has_value(), "mscale_all_dim", "--mscale-all-dim");
  given(o.attention_factor.has_value(), "attention_factor", "--attention-factor");
  if (o.head_dim) c.head_dim = *o.head_dim;
  if (o.base) c.base = *o.base;
  if (o.rotary_fraction) c.rotary_fraction = *o.rotary_fraction;
  if (o.layout) {
    const auto layout = core::parse_layout(*o.layout);
    if (!layout) throw RopeError("--layout: expected neox or gptj (got '" + *o.layout + "')");
    c.layout = *layout;
  }
  if (o.seq_len) c.seq_len = *o.seq_len;
  core::RopeScaling& s = c.scaling;
  if (o.scaling) {
    const auto type = core::parse_scaling_type(*o.scaling);
    if (!type) {
      throw RopeError("--scaling: unknown type '" + *o.scaling + "' (expected none, linear, ntk, dynamic, yarn, llama3, longrope)");
    }
    if (*type != s.type) {
      const auto keep_original = s.original_max;
      s = core::RopeScaling{};
      s.type = *type;
      s.original_max = keep_original;
    }
  }
  if (o.factor) s.factor = *o.factor;
  if (o.alpha) s.alpha = *o.alpha;
  if (o.original_max) s.original_max = *o.original_max;
  if (o.low_freq_factor) s.low_freq_factor = *o.low_freq_factor;
  if (o.high_freq_factor) s.high_freq_factor = *o.high_freq_factor;
  if (o.beta_fast) s.beta_fast = *o.beta_fast;
  if (o.beta_slow) s.beta_slow = *o.beta_slow;
  if (o.mscale) s.mscale = *o.mscale;
  if (o.mscale_all_dim) s.mscale_all_dim = *o.mscale_all_dim;
  if (o.attention_factor) s.attention_factor = *o.attention_factor;
  core::validate(c);
  return r;
}

}  // namespace rope::app
