#include "core/rope_config.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Collects the errors of one config, at most one per field (the first found).
class Checker {
 public:
  void add(ConfigField field, std::string message) {
    if (!has(field)) errors_.push_back(FieldError{field, std::move(message)});
  }
  bool has(ConfigField field) const {
    return std::any_of(errors_.begin(), errors_.end(), [field](const FieldError& e) { return e.field == field; });
  }
  bool finite_positive(ConfigField field, double value, const char* name) {
    if (std::isfinite(value) && value > 0.0) return true;
    std::ostringstream s;
    s << name << " must be a finite number > 0 (got " << value << ")";
    add(field, s.str());
    return false;
  }
  // The value of a parameter `type` needs; nullopt (and an error) if unset or not > 0.
  std::optional<double> require(ConfigField field, const std::optional<double>& value, const char* name,
                                ScalingType type) {
    if (!value) {
      add(field, std::string(to_string(type)) + " scaling requires " + name);
      return std::nullopt;
    }
    return finite_positive(field, *value, name) ? value : std::nullopt;
  }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
};

// The original (pre-extension) context of yarn / longrope / llama3, and dynamic's reference length.
std::optional<int64_t> original_context(const RopeConfig& c) {
  if (c.scaling.original_max) return c.scaling.original_max;
  return c.max_position_embeddings;
}

// yarn / longrope: an explicit factor wins; otherwise max_position_embeddings / original.
std::optional<double> resolved_factor(const RopeConfig& c) {
  if (c.scaling.factor) return c.scaling.factor;
  const auto orig = original_context(c);
  if ((c.scaling.type == ScalingType::kYarn || c.scaling.type == ScalingType::kLongrope) &&
      c.max_position_embeddings && c.scaling.original_max && *orig > 0) {
    return static_cast<double>(*c.max_position_embeddings) / static_cast<double>(*orig);
  }
  return std::nullopt;
}

std::vector<double> default_inv_freq(double base, int rotary_dim) {
  std::vector<double> inv_freq(static_cast<size_t>(rotary_dim / 2));
  for (int j = 0; j < rotary_dim / 2; ++j) {
    inv_freq[static_cast<size_t>(j)] = 1.0 / std::pow(base, (2.0 * j) / rotary_dim);
  }
  return inv_freq;
}

// yarn's mscale: 0.1 * k * ln(f) + 1 for f > 1, else 1.
double yarn_mscale(double factor, double k) { return factor <= 1.0 ? 1.0 : 0.1 * k * std::log(factor) + 1.0; }

}  // namespace

std::string_view to_string(Layout layout) { return layout == Layout::kNeox ? "neox" : "gptj"; }

std::string_view to_string(ScalingType type) {
  switch (type) {
    case ScalingType::kNone: return "none";
    case ScalingType::kLinear: return "linear";
    case ScalingType::kNtk: return "ntk";
    case ScalingType::kDynamic: return "dynamic";
    case ScalingType::kYarn: return "yarn";
    case ScalingType::kLlama3: return "llama3";
    case ScalingType::kLongrope: return "longrope";
  }
  return "none";
}

std::optional<ScalingType> parse_scaling_type(std::string_view name) {
  if (name == "none" || name == "default") return ScalingType::kNone;
  if (name == "linear") return ScalingType::kLinear;
  if (name == "ntk") return ScalingType::kNtk;
  if (name == "dynamic") return ScalingType::kDynamic;
  if (name == "yarn") return ScalingType::kYarn;
  if (name == "llama3") return ScalingType::kLlama3;
  if (name == "longrope" || name == "su") return ScalingType::kLongrope;
  return std::nullopt;
}

std::optional<Layout> parse_layout(std::string_view name) {
  if (name == "neox" || name == "rotate_half") return Layout::kNeox;
  if (name == "gptj" || name == "interleaved") return Layout::kGptj;
  return std::nullopt;
}

int RopeConfig::rotary_dim() const {
  const double product = static_cast<double>(head_dim) * rotary_fraction;
  if (!std::isfinite(product) || product < 0.0 || product > kMaxHeadDim) return 0;
  return static_cast<int>(product);
}

std::string_view field_key(ConfigField field) {
  switch (field) {
    case ConfigField::kHeadDim: return "head_dim";
    case ConfigField::kRotaryFraction: return "rotary_fraction";
    case ConfigField::kBase: return "base";
    case ConfigField::kSeqLen: return "seq_len";
    case ConfigField::kMaxPositionEmbeddings: return "max_position_embeddings";
    case ConfigField::kScaling: return "type";
    case ConfigField::kFactor: return "factor";
    case ConfigField::kAlpha: return "alpha";
    case ConfigField::kOriginalMax: return "original_max";
    case ConfigField::kLowFreqFactor: return "low_freq_factor";
    case ConfigField::kHighFreqFactor: return "high_freq_factor";
    case ConfigField::kBetaFast: return "beta_fast";
    case ConfigField::kBetaSlow: return "beta_slow";
    case ConfigField::kMscale: return "mscale";
    case ConfigField::kMscaleAllDim: return "mscale_all_dim";
    case ConfigField::kAttentionFactor: return "attention_factor";
    case ConfigField::kShortFactor: return "short_factor";
    case ConfigField::kLongFactor: return "long_factor";
  }
  return "";
}

std::vector<FieldError> check_fields(const RopeConfig& c) {
  using F = ConfigField;
  Checker check;
  if (c.head_dim < 2 || c.head_dim > kMaxHeadDim) {
    check.add(F::kHeadDim, "head_dim must be in [2, " + std::to_string(kMaxHeadDim) + "] (got " +
                               std::to_string(c.head_dim) + ")");
  }
  if (!std::isfinite(c.rotary_fraction) || c.rotary_fraction <= 0.0 || c.rotary_fraction > 1.0) {
    std::ostringstream s;
    s << "rotary fraction (partial_rotary_factor) must be in (0, 1] (got " << c.rotary_fraction << ")";
    check.add(F::kRotaryFraction, s.str());
  }
  // A rotary_dim that does not work is the head_dim's fault when the whole head rotates.
  const F rotary_field = c.rotary_fraction == 1.0 ? F::kHeadDim : F::kRotaryFraction;
  const int rotary_dim = c.rotary_dim();
  bool rotary_ok = !check.has(F::kHeadDim) && !check.has(F::kRotaryFraction);
  if (rotary_ok && (rotary_dim < 2 || rotary_dim % 2 != 0)) {
    check.add(rotary_field, "rotary_dim = int(head_dim * rotary fraction) must be even and >= 2 (got " +
                                std::to_string(rotary_dim) + ")");
    rotary_ok = false;
  }
  if (check.finite_positive(F::kBase, c.base, "base (rope_theta)") && c.base <= 1.0 &&
      c.scaling.type != ScalingType::kNone && c.scaling.type != ScalingType::kLinear) {
    check.add(F::kBase, std::string(to_string(c.scaling.type)) + " scaling requires base (rope_theta) > 1");
  }
  if (c.seq_len < 1 || c.seq_len > kMaxSeqLen) {
    check.add(F::kSeqLen, "seq_len must be in [1, " + std::to_string(kMaxSeqLen) + "] (got " +
                              std::to_string(c.seq_len) + ")");
  }
  if (c.max_position_embeddings && (*c.max_position_embeddings < 1 || *c.max_position_embeddings > kMaxPosition)) {
    check.add(F::kMaxPositionEmbeddings, "max_position_embeddings must be in [1, 2^30] (got " +
                                             std::to_string(*c.max_position_embeddings) + ")");
  }
  const RopeScaling& s = c.scaling;
  if (s.original_max && (*s.original_max < 1 || *s.original_max > kMaxPosition)) {
    check.add(F::kOriginalMax,
              "original_max_position_embeddings must be in [1, 2^30] (got " + std::to_string(*s.original_max) + ")");
  }
  const auto need_original = [&](const char* what) {
    if (original_context(c)) return true;
    check.add(F::kOriginalMax, std::string(what) + " scaling requires original_max_position_embeddings "
                                                   "(--original-max) or max_position_embeddings");
    return false;
  };
  const auto need_rotary_4 = [&](const char* what) {
    if (rotary_ok && rotary_dim < 4) check.add(rotary_field, std::string(what) + " scaling requires rotary_dim >= 4");
  };
  const auto optional_positive = [&](F field, const std::optional<double>& value, const char* name) {
    if (value) check.finite_positive(field, *value, name);
  };
  switch (s.type) {
    case ScalingType::kNone: break;
    case ScalingType::kLinear: check.require(F::kFactor, s.factor, "factor", s.type); break;
    case ScalingType::kNtk:
      check.finite_positive(F::kAlpha, s.alpha, "alpha");
      need_rotary_4("ntk");
      break;
    case ScalingType::kDynamic:
      check.require(F::kFactor, s.factor, "factor", s.type);
      need_rotary_4("dynamic");
      need_original("dynamic");
      break;
    case ScalingType::kYarn:
      need_original("yarn");
      check.require(F::kFactor, resolved_factor(c), "factor", s.type);
      if (!std::isfinite(s.beta_fast) || s.beta_fast <= 0) check.add(F::kBetaFast, "yarn beta_fast must be a finite number > 0");
      if (!std::isfinite(s.beta_slow) || s.beta_slow <= 0) check.add(F::kBetaSlow, "yarn beta_slow must be a finite number > 0");
      optional_positive(F::kAttentionFactor, s.attention_factor, "attention_factor");
      if (s.mscale && !std::isfinite(*s.mscale)) check.add(F::kMscale, "mscale must be finite");
      if (s.mscale_all_dim && !std::isfinite(*s.mscale_all_dim)) check.add(F::kMscaleAllDim, "mscale_all_dim must be finite");
      break;
    case ScalingType::kLlama3: {
      check.require(F::kFactor, s.factor, "factor", s.type);
      const auto low = check.require(F::kLowFreqFactor, s.low_freq_factor, "low_freq_factor", s.type);
      const auto high = check.require(F::kHighFreqFactor, s.high_freq_factor, "high_freq_factor", s.type);
      if (!s.original_max) check.add(F::kOriginalMax, "llama3 scaling requires original_max_position_embeddings (--original-max)");
      if (low && high && *high <= *low) check.add(F::kHighFreqFactor, "llama3 scaling requires high_freq_factor > low_freq_factor");
      break;
    }
    case ScalingType::kLongrope: {
      if (need_original("longrope") && *original_context(c) < 2)
        check.add(F::kOriginalMax, "longrope scaling requires an original context >= 2");
      const size_t pairs = static_cast<size_t>(rotary_dim / 2);
      for (const auto* list : {&s.short_factor, &s.long_factor}) {
        const bool is_short = list == &s.short_factor;
        const F field = is_short ? F::kShortFactor : F::kLongFactor;
        const char* name = is_short ? "short_factor" : "long_factor";
        if (rotary_ok && list->size() != pairs) {
          check.add(field, std::string("longrope ") + name + " must have rotary_dim/2 = " + std::to_string(pairs) +
                               " values (got " + std::to_string(list->size()) + ")");
        }
        if (std::any_of(list->begin(), list->end(), [](double v) { return !std::isfinite(v) || v <= 0.0; }))
          check.add(field, std::string("longrope ") + name + " values must be finite and > 0");
      }
      optional_positive(F::kFactor, s.factor, "factor");
      optional_positive(F::kAttentionFactor, s.attention_factor, "attention_factor");
      break;
    }
  }
  return check.take();
}

void validate(const RopeConfig& c) {
  const std::vector<FieldError> errors = check_fields(c);
  if (!errors.empty()) throw RopeError(errors.front().message);
}

void copy_field(ConfigField field, const RopeConfig& from, RopeConfig& to) {
  const RopeScaling& f = from.scaling;
  RopeScaling& t = to.scaling;
  switch (field) {
    case ConfigField::kHeadDim: to.head_dim = from.head_dim; break;
    case ConfigField::kRotaryFraction: to.rotary_fraction = from.rotary_fraction; break;
    case ConfigField::kBase: to.base = from.base; break;
    case ConfigField::kSeqLen: to.seq_len = from.seq_len; break;
    case ConfigField::kMaxPositionEmbeddings: to.max_position_embeddings = from.max_position_embeddings; break;
    case ConfigField::kScaling: t.type = f.type; break;
    case ConfigField::kFactor: t.factor = f.factor; break;
    case ConfigField::kAlpha: t.alpha = f.alpha; break;
    case ConfigField::kOriginalMax: t.original_max = f.original_max; break;
    case ConfigField::kLowFreqFactor: t.low_freq_factor = f.low_freq_factor; break;
    case ConfigField::kHighFreqFactor: t.high_freq_factor = f.high_freq_factor; break;
    case ConfigField::kBetaFast: t.beta_fast = f.beta_fast; break;
    case ConfigField::kBetaSlow: t.beta_slow = f.beta_slow; break;
    case ConfigField::kMscale: t.mscale = f.mscale; break;
    case ConfigField::kMscaleAllDim: t.mscale_all_dim = f.mscale_all_dim; break;
    case ConfigField::kAttentionFactor: t.attention_factor = f.attention_factor; break;
    case ConfigField::kShortFactor: t.short_factor = f.short_factor; break;
    case ConfigField::kLongFactor: t.long_factor = f.long_factor; break;
  }
}

RopeConfig with_valid_fields(const RopeConfig& edited, const RopeConfig& fallback) {
  RopeConfig out = edited;
  for (;;) {
    const std::vector<FieldError> errors = check_fields(out);
    if (errors.empty()) return out;
    const RopeConfig before = out;
    for (const FieldError& e : errors) copy_field(e.field, fallback, out);
    if (out == before) break;  // the fallback's values do not help: fields that depend on each other
  }
  // Scaling parameters that only make sense together (a type and what it requires): the
  // fallback's whole scaling block, else the fallback.
  out.scaling = fallback.scaling;
  return check_fields(out).empty() ? out : fallback;
}

RopeFrequencies compute_frequencies(const RopeConfig& c) {
  validate(c);
  RopeFrequencies f;
  f.head_dim = c.head_dim;
  f.rotary_dim = c.rotary_dim();
  f.layout = c.layout;
  f.scaling = c.scaling.type;
  f.base = c.base;
  f.effective_base = c.base;
  f.seq_len = c.seq_len;
  f.original_max = original_context(c).value_or(0);
  f.inv_freq_unscaled = default_inv_freq(c.base, f.rotary_dim);
  f.inv_freq = f.inv_freq_unscaled;
  const int rotary_dim = f.rotary_dim;
  const size_t pairs = f.inv_freq.size();
  const RopeScaling& s = c.scaling;
  const double exponent = static_cast<double>(rotary_dim) / (rotary_dim - 2.0);

  switch (s.type) {
    case ScalingType::kNone: break;
    case ScalingType::kLinear:
      f.factor = *s.factor;
      for (double& v : f.inv_freq) v /= f.factor;
      break;
    case ScalingType::kNtk:
      f.factor = s.alpha;
      f.effective_base = c.base * std::pow(s.alpha, exponent);
      f.inv_freq = default_inv_freq(f.effective_base, rotary_dim);
      break;
    case ScalingType::kDynamic: {
      f.factor = *s.factor;
      const double orig = static_cast<double>(f.original_max);
      const double len = std::max(static_cast<double>(c.seq_len), orig);
      f.effective_base = c.base * std::pow(f.factor * len / orig - (f.factor - 1.0), exponent);
      f.inv_freq = default_inv_freq(f.effective_base, rotary_dim);
      break;
    }
    case ScalingType::kYarn: {
      f.factor = *resolved_factor(c);
      const double orig = static_cast<double>(f.original_max);
      const auto correction_dim = [&](double rotations) {
        return rotary_dim * std::log(orig / (rotations * kTwoPi)) / (2.0 * std::log(c.base));
      };
      double low = correction_dim(s.beta_fast);
      double high = correction_dim(s.beta_slow);
      if (s.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, static_cast<double>(rotary_dim - 1));
      f.yarn_low = low;
      f.yarn_high = high;
      for (size_t j = 0; j < pairs; ++j) {
        const double ramp = yarn_ramp(static_cast<double>(j), low, high);
        const double theta = f.inv_freq_unscaled[j];
        f.inv_freq[j] = theta * (1.0 - ramp) + (theta / f.factor) * ramp;
      }
      if (s.attention_factor) {
        f.attention_factor = *s.attention_factor;
      } else if (s.mscale && s.mscale_all_dim && *s.mscale != 0.0 && *s.mscale_all_dim != 0.0) {
        f.attention_factor = yarn_mscale(f.factor, *s.mscale) / yarn_mscale(f.factor, *s.mscale_all_dim);
      } else {
        f.attention_factor = yarn_mscale(f.factor, 1.0);
      }
      break;
    }
    case ScalingType::kLlama3: {
      f.factor = *s.factor;
      const double orig = static_cast<double>(*s.original_max);
      const double low = *s.low_freq_factor, high = *s.high_freq_factor;
      f.llama3_low_freq_wavelen = orig / low;
      f.llama3_high_freq_wavelen = orig / high;
      for (size_t j = 0; j < pairs; ++j) {
        const double theta = f.inv_freq_unscaled[j];
        const double wavelen = kTwoPi / theta;
        if (wavelen > f.llama3_low_freq_wavelen) {
          f.inv_freq[j] = theta / f.factor;
        } else if (wavelen < f.llama3_high_freq_wavelen) {
          f.inv_freq[j] = theta;
        } else {
          const double smooth = (orig / wavelen - low) / (high - low);
          f.inv_freq[j] = (1.0 - smooth) * theta / f.factor + smooth * theta;
        }
      }
      break;
    }
    case ScalingType::kLongrope: {
      const double orig = static_cast<double>(f.original_max);
      f.factor = resolved_factor(c).value_or(1.0);
      const auto& ext = c.seq_len > f.original_max ? s.long_factor : s.short_factor;
      for (size_t j = 0; j < pairs; ++j) f.inv_freq[j] = f.inv_freq_unscaled[j] / ext[j];
      if (s.attention_factor) {
        f.attention_factor = *s.attention_factor;
      } else if (f.factor > 1.0) {
        f.attention_factor = std::sqrt(1.0 + std::log(f.factor) / std::log(orig));
      }
      break;
    }
  }
  return f;
}

double yarn_ramp(double j, double low, double high) {
  if (high == low) high += 0.001;  // as Hugging Face guards a zero-width ramp
  return std::clamp((j - low) / (high - low), 0.0, 1.0);
}

}  // namespace rope::core
