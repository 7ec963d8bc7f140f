#pragma once
// RoPE configuration with Hugging Face transformers semantics (modeling_rope_utils.py, v5),
// and the resolved per-pair frequencies it implies.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rope::core {

enum class Layout { kNeox, kGptj };
enum class ScalingType { kNone, kLinear, kNtk, kDynamic, kYarn, kLlama3, kLongrope };

std::string_view to_string(Layout layout);
std::string_view to_string(ScalingType type);
// Accepts the CLI / HF names: none|default, linear, ntk, dynamic, yarn, llama3, longrope|su.
std::optional<ScalingType> parse_scaling_type(std::string_view name);
std::optional<Layout> parse_layout(std::string_view name);

// Parameters of the rope block. Only those of `type` are read; optionals that are empty
// take the Hugging Face defaults described in rope_config.cpp.
struct RopeScaling {
  ScalingType type = ScalingType::kNone;
  std::optional<double> factor;                  // linear, dynamic, yarn, llama3, longrope
  double alpha = 1.0;                            // ntk (llama.cpp / exllama rope_alpha)
  std::optional<int64_t> original_max;           // original_max_position_embeddings
  std::optional<double> low_freq_factor;         // llama3
  std::optional<double> high_freq_factor;        // llama3
  double beta_fast = 32.0;                       // yarn
  double beta_slow = 1.0;                        // yarn
  std::optional<double> mscale;                  // yarn
  std::optional<double> mscale_all_dim;          // yarn
  std::optional<double> attention_factor;        // yarn, longrope
  bool truncate = true;                          // yarn
  std::vector<double> short_factor;              // longrope, rotary_dim/2 values
  std::vector<double> long_factor;               // longrope, rotary_dim/2 values
  bool operator==(const RopeScaling&) const = default;
};

struct RopeConfig {
  int head_dim = 128;
  double rotary_fraction = 1.0;  // partial_rotary_factor / rotary_pct
  double base = 10000.0;         // rope_theta
  Layout layout = Layout::kNeox;
  int64_t seq_len = 1024;        // longest position + 1 (drives dynamic and longrope)
  std::optional<int64_t> max_position_embeddings;  // from config.json; dynamic's original length
  RopeScaling scaling;
  bool operator==(const RopeConfig&) const = default;

  // int(head_dim * rotary_fraction), as Hugging Face computes it.
  int rotary_dim() const;
  int num_pairs() const { return rotary_dim() / 2; }
};

// Limits that keep every computation finite and bounded.
inline constexpr int kMaxHeadDim = 4096;
inline constexpr int64_t kMaxSeqLen = int64_t{1} << 24;
inline constexpr int64_t kMaxPosition = int64_t{1} << 30;

// The fields of a RopeConfig that validation can blame (the type of `scaling` is kScaling).
enum class ConfigField {
  kHeadDim, kRotaryFraction, kBase, kSeqLen, kMaxPositionEmbeddings, kScaling, kFactor, kAlpha, kOriginalMax,
  kLowFreqFactor, kHighFreqFactor, kBetaFast, kBetaSlow, kMscale, kMscaleAllDim, kAttentionFactor, kShortFactor,
  kLongFactor,
};
// The Hugging Face / settings key of a field: "head_dim", "rotary_fraction", "base", ...
std::string_view field_key(ConfigField field);

// One reason a config cannot be used, blamed on the field a user would change to fix it (an odd
// rotary_dim on head_dim when the whole head rotates, else on the rotary fraction).
struct FieldError {
  ConfigField field;
  std::string message;  // one line that names the field, e.g. "seq_len must be in [1, 16777216] (got 0)"
};

// Every error of the config, in a fixed order (at most one per field; checks that need a valid
// head_dim or rotary fraction are skipped while those are wrong). Empty: the config is usable.
// The CLI, the GUI and the settings file all validate with this one function.
std::vector<FieldError> check_fields(const RopeConfig& config);

// Throws RopeError with the first message of check_fields if the config cannot be used.
void validate(const RopeConfig& config);

// Copies one field (for kScaling: the scaling type) from `from` into `to`.
void copy_field(ConfigField field, const RopeConfig& from, RopeConfig& to);

// `edited` with each field that check_fields rejects replaced by its value in `fallback` (a valid
// config), repeated while that helps; if fields that depend on each other still fail, with the
// fallback's whole scaling block, and failing that `fallback` itself. What the views show while a
// typed value is invalid: every other edit applies.
RopeConfig with_valid_fields(const RopeConfig& edited, const RopeConfig& fallback);

// Everything the views and kernels need, computed in float64.
struct RopeFrequencies {
  int head_dim = 0;
  int rotary_dim = 0;
  Layout layout = Layout::kNeox;
  ScalingType scaling = ScalingType::kNone;
  double base = 0.0;            // configured base
  double effective_base = 0.0;  // base after ntk / dynamic (equals base otherwise)
  double attention_factor = 1.0;
  double factor = 1.0;          // resolved scaling factor (1 where none applies)
  int64_t original_max = 0;     // resolved original context (0 where unknown)
  int64_t seq_len = 0;
  std::vector<double> inv_freq;           // rotary_dim/2, after scaling
  std::vector<double> inv_freq_unscaled;  // rotary_dim/2, base^(-2j/rotary_dim)
  // yarn: the ramp's low/high dimension indices (after truncation and clamping).
  double yarn_low = 0.0, yarn_high = 0.0;
  // llama3: wavelength band edges orig/low_freq_factor and orig/high_freq_factor.
  double llama3_low_freq_wavelen = 0.0, llama3_high_freq_wavelen = 0.0;
};

// Validates, resolves defaults and computes inv_freq and the attention factor.
RopeFrequencies compute_frequencies(const RopeConfig& config);

// yarn's ramp for pair j between the edges low and high (RopeFrequencies::yarn_low / yarn_high):
// clip((j - low) / (high - low), 0, 1), with high = low widened by 0.001 as Hugging Face does.
double yarn_ramp(double j, double low, double high);

}  // namespace rope::core
