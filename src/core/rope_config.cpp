#include "core/rope_config.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace rope::core {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

[[noreturn]] void fail(const std::string& message) { throw RopeError(message); }

void require_finite_positive(double value, const char* name) {
  if (!std::isfinite(value) || value <= 0.0) {
    std::ostringstream s;
    s << name << " must be a finite number > 0 (got " << value << ")";
    fail(s.str());
  }
}

double require(const std::optional<double>& value, const char* name, ScalingType type) {
  if (!value) fail(std::string(to_string(type)) + " scaling requires " + name);
  require_finite_positive(*value, name);
  return *value;
}

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

void validate(const RopeConfig& c) {
  if (c.head_dim < 2 || c.head_dim > kMaxHeadDim) {
    fail("head_dim must be in [2, " + std::to_string(kMaxHeadDim) + "] (got " + std::to_string(c.head_dim) + ")");
  }
  if (!std::isfinite(c.rotary_fraction) || c.rotary_fraction <= 0.0 || c.rotary_fraction > 1.0) {
    std::ostringstream s;
    s << "rotary fraction (partial_rotary_factor) must be in (0, 1] (got " << c.rotary_fraction << ")";
    fail(s.str());
  }
  const int rotary_dim = c.rotary_dim();
  if (rotary_dim < 2 || rotary_dim % 2 != 0) {
    fail("rotary_dim = int(head_dim * rotary fraction) must be even and >= 2 (got " + std::to_string(rotary_dim) + ")");
  }
  require_finite_positive(c.base, "base (rope_theta)");
  if (c.base <= 1.0 && c.scaling.type != ScalingType::kNone && c.scaling.type != ScalingType::kLinear) {
    fail(std::string(to_string(c.scaling.type)) + " scaling requires base (rope_theta) > 1");
  }
  if (c.seq_len < 1 || c.seq_len > kMaxSeqLen) {
    fail("seq_len must be in [1, " + std::to_string(kMaxSeqLen) + "] (got " + std::to_string(c.seq_len) + ")");
  }
  if (c.max_position_embeddings && (*c.max_position_embeddings < 1 || *c.max_position_embeddings > kMaxPosition)) {
    fail("max_position_embeddings must be in [1, 2^30] (got " + std::to_string(*c.max_position_embeddings) + ")");
  }
  const RopeScaling& s = c.scaling;
  if (s.original_max && (*s.original_max < 1 || *s.original_max > kMaxPosition)) {
    fail("original_max_position_embeddings must be in [1, 2^30] (got " + std::to_string(*s.original_max) + ")");
  }
  const auto need_original = [&](const char* what) {
    if (!original_context(c)) {
      fail(std::string(what) + " scaling requires original_max_position_embeddings (--original-max) or max_position_embeddings");
    }
  };
  switch (s.type) {
    case ScalingType::kNone: break;
    case ScalingType::kLinear: require(s.factor, "factor", s.type); break;
    case ScalingType::kNtk:
      require_finite_positive(s.alpha, "alpha");
      if (rotary_dim < 4) fail("ntk scaling requires rotary_dim >= 4");
      break;
    case ScalingType::kDynamic:
      require(s.factor, "factor", s.type);
      if (rotary_dim < 4) fail("dynamic scaling requires rotary_dim >= 4");
      need_original("dynamic");
      break;
    case ScalingType::kYarn:
      need_original("yarn");
      require(resolved_factor(c), "factor", s.type);
      if (!std::isfinite(s.beta_fast) || !std::isfinite(s.beta_slow) || s.beta_fast <= 0 || s.beta_slow <= 0) {
        fail("yarn beta_fast and beta_slow must be finite numbers > 0");
      }
      if (s.attention_factor) require_finite_positive(*s.attention_factor, "attention_factor");
      if (s.mscale && !std::isfinite(*s.mscale)) fail("mscale must be finite");
      if (s.mscale_all_dim && !std::isfinite(*s.mscale_all_dim)) fail("mscale_all_dim must be finite");
      break;
    case ScalingType::kLlama3: {
      require(s.factor, "factor", s.type);
      const double low = require(s.low_freq_factor, "low_freq_factor", s.type);
      const double high = require(s.high_freq_factor, "high_freq_factor", s.type);
      if (!s.original_max) fail("llama3 scaling requires original_max_position_embeddings (--original-max)");
      if (high <= low) fail("llama3 scaling requires high_freq_factor > low_freq_factor");
      break;
    }
    case ScalingType::kLongrope: {
      need_original("longrope");
      if (*original_context(c) < 2) fail("longrope scaling requires an original context >= 2");
      const size_t pairs = static_cast<size_t>(rotary_dim / 2);
      for (const auto* list : {&s.short_factor, &s.long_factor}) {
        const char* name = list == &s.short_factor ? "short_factor" : "long_factor";
        if (list->size() != pairs) {
          fail(std::string("longrope ") + name + " must have rotary_dim/2 = " + std::to_string(pairs) +
               " values (got " + std::to_string(list->size()) + ")");
        }
        for (double v : *list) {
          if (!std::isfinite(v) || v <= 0.0) fail(std::string("longrope ") + name + " values must be finite and > 0");
        }
      }
      if (s.factor) require_finite_positive(*s.factor, "factor");
      if (s.attention_factor) require_finite_positive(*s.attention_factor, "attention_factor");
      break;
    }
  }
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
