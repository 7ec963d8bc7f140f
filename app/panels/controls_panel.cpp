// The control sidebar: model presets and config.json, RoPE parameters, scaling, content and
// attention options, view options and display preferences.
#include <algorithm>
#include <cmath>
#include <string>

#include <imgui.h>

#include "core/rope_config.h"
#include "gui/presets.h"
#include "gui/session.h"
#include "gui/views.h"
#include "panels/panels.h"
#include "panels/widgets.h"
#include "viz/colormap.h"

namespace rope::app {
namespace {

static_assert(kMaxContext == 16777216 && kMaxHeatmapTokens == 131072, "kTipSeqLen states both limits");
constexpr const char* kTipSeqLen =
    "Number of positions (queries and keys), up to 16,777,216; dynamic and longrope scaling also depend on it. "
    "Positions 0..seq_len-1 are rotated by angle position x theta_i in each pair i. The heatmaps show the first "
    "131,072 positions of longer contexts.";
constexpr const char* kTipBase =
    "rope_theta. theta_i = base^(-2i/d): a larger base slows every pair except pair 0, so the slowest pairs take "
    "longer to complete a turn (longer wavelengths). Type values beyond 1e9 in the entry.";
constexpr const char* kTipHeadDim =
    "Features per attention head (even). The rotary part is split into rotary_dim/2 pairs, each rotating at "
    "its own frequency.";
constexpr const char* kTipRotaryFraction =
    "partial_rotary_factor (rotary_pct): only the first int(head_dim x fraction) features rotate; the rest "
    "pass through unchanged and carry no position.";
constexpr const char* kTipLayout =
    "Which features form a pair. NeoX / HF rotate_half pairs (j, j + d/2); GPT-J / Meta / llama.cpp pairs "
    "(2j, 2j+1). Same logits after permuting weights; mixing them up without it is a classic conversion bug.";
constexpr const char* kTipScaling =
    "How the frequencies are changed to reach a longer context than the model was trained on.";
constexpr const char* kTipFactor =
    "Context extension factor. linear divides every theta by it; yarn and llama3 divide only the slow pairs; "
    "dynamic grows the base with the sequence length.";
constexpr const char* kTipAlpha =
    "NTK-aware alpha: the base becomes base x alpha^(d/(d-2)), which slows slow pairs a lot and fast pairs "
    "hardly at all.";
constexpr const char* kTipOrigMax =
    "original_max_position_embeddings: the context the model was trained on. Scaling decides per pair from "
    "its wavelength relative to this length.";
constexpr const char* kTipLowFreq =
    "llama3: pairs whose wavelength exceeds original/low_freq_factor are slowed by the full factor. Between "
    "that and original/high_freq_factor the scaled and unscaled frequencies are blended.";
constexpr const char* kTipHighFreq =
    "llama3: pairs whose wavelength is shorter than original/high_freq_factor are left untouched (fast pairs "
    "keep their local resolution). Between the two bands they are blended.";
constexpr const char* kTipBetaFast =
    "yarn: pairs that make more than beta_fast turns within the original context are not interpolated (the "
    "fast end of the ramp).";
constexpr const char* kTipBetaSlow =
    "yarn: pairs that make fewer than beta_slow turns within the original context are fully divided by the "
    "factor (the slow end of the ramp); in between they are blended linearly.";
constexpr const char* kTipMscale =
    "yarn: the attention factor becomes (0.1 mscale ln f + 1) / (0.1 mscale_all_dim ln f + 1) when both are "
    "set; cos and sin are multiplied by it, so logits scale by its square.";
constexpr const char* kTipAttnFactor =
    "Multiplies cos and sin directly (yarn, longrope): the rotated part of every logit scales by its square.";
constexpr const char* kTipTruncate = "yarn: floor/ceil the ramp's low/high dimensions (Hugging Face default true).";
constexpr const char* kTipDynamicMax =
    "dynamic: the original length. Beyond it the base grows as base x (factor x seq_len/orig - (factor-1))^(d/(d-2)).";
constexpr const char* kTipContent =
    "What the queries and keys are before encoding. constant: one seeded Gaussian vector for every query and "
    "another for every key, so rotary logits depend only on m-n (the pure positional picture). random: an "
    "independent vector per token. ones: all ones.";
constexpr const char* kTipSeed = "Seed of the generated content.";
constexpr const char* kTipCausal = "Mask keys after the query (n > m), as in a decoder.";
constexpr const char* kTipSoftmax =
    "Show raw logits <q, k>/sqrt(d), or the attention weights after a row softmax (exact, over the whole row).";
constexpr const char* kTipDecayMax = "Largest relative distance of the decay view (up to 1,048,576).";
constexpr const char* kTipFont = "UI font size in pixels (times the monitor's content scale). Ctrl +/- and Ctrl 0.";

constexpr const char* kPairSliderLabels[3] = {"left plot: pair i", "middle plot: pair i", "right plot: pair i"};

constexpr core::ScalingType kTypes[] = {core::ScalingType::kNone,    core::ScalingType::kLinear,
                                        core::ScalingType::kNtk,     core::ScalingType::kDynamic,
                                        core::ScalingType::kYarn,    core::ScalingType::kLlama3,
                                        core::ScalingType::kLongrope};

using F = core::ConfigField;

template <class T>
bool optional_double(const char* label, const char* id, std::optional<T>& value, T fallback, double min, double max,
                     bool log, const char* tooltip, const char* error) {
  bool enabled = value.has_value();
  bool changed = false;
  std::string check_id = std::string("set##") + id;
  if (ImGui::Checkbox(check_id.c_str(), &enabled)) {
    value = enabled ? std::optional<T>(fallback) : std::nullopt;
    changed = true;
  }
  item_tooltip("Unset: use the Hugging Face default.");
  ImGui::SameLine();
  if (!value) {
    ImGui::TextUnformatted(label);
    item_tooltip(tooltip);
    if (error) error_text_wrapped(error);
    return changed;
  }
  double v = static_cast<double>(*value);
  ImGui::BeginGroup();
  if (slider_double(label, id, &v, min, max, log, "%.4g", tooltip, kAnyLow<double>, kAnyHigh<double>, error)) {
    value = static_cast<T>(v);
    changed = true;
  }
  ImGui::EndGroup();
  return changed;
}

bool factor_slider(core::RopeScaling& s, double fallback, const Derived& derived) {
  double f = s.factor.value_or(fallback);
  if (slider_double("factor", "factor", &f, 1.0, 64.0, true, "%.3g", kTipFactor, kAnyLow<double>, kAnyHigh<double>,
                    derived.field_error(F::kFactor))) {
    s.factor = f;
    return true;
  }
  return false;
}

bool original_max_slider(core::RopeScaling& s, int64_t fallback, const Derived& derived) {
  int64_t v = s.original_max.value_or(fallback);
  if (slider_int64("original context", "origmax", &v, 128, 131072, true, kTipOrigMax, kAnyLow<int64_t>,
                   kAnyHigh<int64_t>, derived.field_error(F::kOriginalMax))) {
    s.original_max = v;
    return true;
  }
  return false;
}

// Fills the parameters a scaling type needs when the user switches to it.
void ensure_scaling_defaults(core::RopeConfig& c) {
  core::RopeScaling& s = c.scaling;
  const int64_t orig = c.max_position_embeddings.value_or(4096);
  switch (s.type) {
    case core::ScalingType::kLinear:
    case core::ScalingType::kDynamic:
      if (!s.factor) s.factor = 4.0;
      if (s.type == core::ScalingType::kDynamic && !c.max_position_embeddings) c.max_position_embeddings = 4096;
      break;
    case core::ScalingType::kYarn:
      if (!s.factor) s.factor = 4.0;
      if (!s.original_max) s.original_max = orig;
      break;
    case core::ScalingType::kLlama3:
      if (!s.factor) s.factor = 8.0;
      if (!s.low_freq_factor) s.low_freq_factor = 1.0;
      if (!s.high_freq_factor) s.high_freq_factor = 4.0;
      if (!s.original_max) s.original_max = 8192;
      break;
    case core::ScalingType::kLongrope: {
      if (!s.factor) s.factor = 32.0;
      if (!s.original_max) s.original_max = 4096;
      const size_t pairs = static_cast<size_t>(std::max(1, c.num_pairs()));
      if (s.short_factor.size() != pairs) s.short_factor.assign(pairs, 1.0);
      if (s.long_factor.size() != pairs) s.long_factor.assign(pairs, *s.factor);
      break;
    }
    case core::ScalingType::kNtk:
      if (s.alpha <= 1.0) s.alpha = 4.0;
      break;
    case core::ScalingType::kNone:
      break;
  }
}

void scaling_controls(core::RopeConfig& c, const Derived& derived) {
  const auto error = [&derived](F field) { return derived.field_error(field); };
  constexpr double kLow = kAnyLow<double>, kHigh = kAnyHigh<double>;
  core::RopeScaling& s = c.scaling;
  ImGui::TextUnformatted("scaling");
  item_tooltip(kTipScaling);
  ImGui::SetNextItemWidth(-1.0f);
  const std::string current(core::to_string(s.type));
  if (ImGui::BeginCombo("##scaling", current.c_str())) {
    for (core::ScalingType t : kTypes) {
      const std::string name(core::to_string(t));
      if (ImGui::Selectable(name.c_str(), t == s.type)) {
        s.type = t;
        ensure_scaling_defaults(c);
      }
    }
    ImGui::EndCombo();
  }
  item_tooltip(kTipScaling);
  if (const char* e = error(F::kScaling)) error_text_wrapped(e);
  ImGui::Indent(ImGui::GetFontSize() * 0.5f);
  switch (s.type) {
    case core::ScalingType::kNone:
      break;
    case core::ScalingType::kLinear:
      factor_slider(s, 4.0, derived);
      break;
    case core::ScalingType::kNtk:
      slider_double("alpha", "alpha", &s.alpha, 1.0, 64.0, true, "%.3g", kTipAlpha, kLow, kHigh, error(F::kAlpha));
      break;
    case core::ScalingType::kDynamic: {
      factor_slider(s, 4.0, derived);
      int64_t orig = c.max_position_embeddings.value_or(4096);
      if (slider_int64("original length", "dynmax", &orig, 128, 131072, true, kTipDynamicMax, kAnyLow<int64_t>,
                       kAnyHigh<int64_t>, error(F::kMaxPositionEmbeddings)))
        c.max_position_embeddings = orig;
      break;
    }
    case core::ScalingType::kYarn:
      factor_slider(s, 4.0, derived);
      original_max_slider(s, 4096, derived);
      slider_double("beta_fast", "betafast", &s.beta_fast, 1.0, 128.0, true, "%.3g", kTipBetaFast, kLow, kHigh,
                    error(F::kBetaFast));
      slider_double("beta_slow", "betaslow", &s.beta_slow, 0.01, 32.0, true, "%.3g", kTipBetaSlow, kLow, kHigh,
                    error(F::kBetaSlow));
      optional_double("mscale", "mscale", s.mscale, 1.0, 0.0, 4.0, false, kTipMscale, error(F::kMscale));
      optional_double("mscale_all_dim", "mscaleall", s.mscale_all_dim, 1.0, 0.0, 4.0, false, kTipMscale,
                      error(F::kMscaleAllDim));
      optional_double("attention_factor", "attnf", s.attention_factor, 1.0, 0.1, 4.0, false, kTipAttnFactor,
                      error(F::kAttentionFactor));
      ImGui::Checkbox("truncate##yarn", &s.truncate);
      item_tooltip(kTipTruncate);
      break;
    case core::ScalingType::kLlama3: {
      factor_slider(s, 8.0, derived);
      double low = s.low_freq_factor.value_or(1.0), high = s.high_freq_factor.value_or(4.0);
      if (slider_double("low_freq_factor", "lowff", &low, 0.1, 16.0, true, "%.3g", kTipLowFreq, kLow, kHigh,
                        error(F::kLowFreqFactor)))
        s.low_freq_factor = low;
      if (slider_double("high_freq_factor", "highff", &high, 0.1, 64.0, true, "%.3g", kTipHighFreq, kLow, kHigh,
                        error(F::kHighFreqFactor)))
        s.high_freq_factor = high;
      original_max_slider(s, 8192, derived);
      break;
    }
    case core::ScalingType::kLongrope: {
      factor_slider(s, 32.0, derived);
      original_max_slider(s, 4096, derived);
      optional_double("attention_factor", "lrattn", s.attention_factor, 1.0, 0.1, 4.0, false, kTipAttnFactor,
                      error(F::kAttentionFactor));
      ImGui::TextWrapped("short_factor / long_factor: %zu / %zu values (long used when seq_len > original).",
                         s.short_factor.size(), s.long_factor.size());
      for (const F list : {F::kShortFactor, F::kLongFactor})
        if (const char* e = error(list)) error_text_wrapped(e);
      if (ImGui::Button("short = 1, long = factor##lr")) {
        const size_t pairs = static_cast<size_t>(std::max(1, c.num_pairs()));
        s.short_factor.assign(pairs, 1.0);
        s.long_factor.assign(pairs, s.factor.value_or(1.0));
      }
      item_tooltip("Replace the per-pair rescale factors by uniform ones (a config.json usually provides them).");
      break;
    }
  }
  ImGui::Unindent(ImGui::GetFontSize() * 0.5f);
}

void colormap_combo(const char* label, viz::Colormap& value, bool diverging) {
  ImGui::SetNextItemWidth(-1.0f);
  const std::string current(viz::to_string(value));
  if (ImGui::BeginCombo(label, current.c_str())) {
    for (viz::Colormap c : diverging ? viz::diverging_colormaps() : viz::sequential_colormaps()) {
      const std::string name(viz::to_string(c));
      if (ImGui::Selectable(name.c_str(), c == value)) value = c;
    }
    ImGui::EndCombo();
  }
}

}  // namespace

void draw_controls_panel(AppState& state, Derived& derived) {
  ComputeParams& p = state.params;
  core::RopeConfig& c = p.config;
  (void)derived;

  // ---- Model ----
  if (ImGui::CollapsingHeader("Model##hdr", ImGuiTreeNodeFlags_DefaultOpen)) {
    text_wrapped(0.0f, "Source: %s", source_text(state).c_str());
    if (source_edited(state)) item_tooltip("The parameters differ from what this source loaded.");
    ImGui::SetNextItemWidth(-1.0f);
    if (ImGui::BeginCombo("##preset", "Load a model preset...")) {
      for (size_t i = 0; i < presets().size(); ++i) {
        const std::string name(presets()[i].name);
        if (ImGui::Selectable((name + "##preset" + std::to_string(i)).c_str(), false)) apply_preset(state, i);
      }
      ImGui::EndCombo();
    }
    item_tooltip("Values from each model's public config.json (embedded), read exactly like an opened file.");
    char path[1024];
    std::snprintf(path, sizeof path, "%s", state.config_path_input.c_str());
    const float button_w = ImGui::CalcTextSize("Open").x + ImGui::GetStyle().FramePadding.x * 2.0f;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - button_w - ImGui::GetStyle().ItemSpacing.x);
    bool open = ImGui::InputTextWithHint("##configpath", "path/to/config.json (or drop it on the window)", path,
                                         sizeof path, ImGuiInputTextFlags_EnterReturnsTrue);
    state.config_path_input = path;
    item_tooltip("A Hugging Face config.json: rope_theta, head_dim, partial_rotary_factor, rope_scaling ... "
                 "Press Enter or Open. You can also drop the file on the window.");
    ImGui::SameLine();
    open |= ImGui::Button("Open##config");
    if (open && !state.config_path_input.empty()) open_config_file(state, state.config_path_input);
    if (ImGui::Button("Built-in default##reset")) {
      const int64_t seq = c.seq_len;
      reset_to_default(state);
      state.params.config.seq_len = seq;
    }
    item_tooltip("A Llama-2-like head: head_dim 128, base 10000, NeoX layout, no scaling (keeps seq_len).");
  }

  // ---- RoPE ----
  if (ImGui::CollapsingHeader("RoPE##hdr", ImGuiTreeNodeFlags_DefaultOpen)) {
    // Typed values are kept as typed; core::check_fields says at the field what is wrong with them.
    slider_int64("sequence length", "seqlen", &c.seq_len, 2, kMaxContext, true, kTipSeqLen, kAnyLow<int64_t>,
                 kAnyHigh<int64_t>, derived.field_error(F::kSeqLen));
    slider_double("base (rope_theta)", "base", &c.base, 1.0, 1e9, true, "%.4g", kTipBase, kAnyLow<double>,
                  kAnyHigh<double>, derived.field_error(F::kBase));
    slider_int("head dim", "headdim", &c.head_dim, 2, 512, kTipHeadDim, kAnyLow<int>, kAnyHigh<int>, 2,
               derived.field_error(F::kHeadDim));
    slider_double("rotary fraction", "rotfrac", &c.rotary_fraction, 0.0, 1.0, false, "%.3f", kTipRotaryFraction,
                  kAnyLow<double>, kAnyHigh<double>, derived.field_error(F::kRotaryFraction));
    ImGui::TextUnformatted("layout");
    item_tooltip(kTipLayout);
    RadioRow layout_row;
    layout_row.next("NeoX (j, j+d/2)##layout");
    int layout = c.layout == core::Layout::kGptj ? 1 : 0;
    if (ImGui::RadioButton("NeoX (j, j+d/2)##layout", &layout, 0)) c.layout = core::Layout::kNeox;
    item_tooltip(kTipLayout);
    layout_row.next("GPT-J (2j, 2j+1)##layout");
    if (ImGui::RadioButton("GPT-J (2j, 2j+1)##layout", &layout, 1)) c.layout = core::Layout::kGptj;
    item_tooltip(kTipLayout);
    scaling_controls(c, derived);
    if (derived.has_valid) {
      // Wrapped at the sidebar's width; the tooltip has every digit.
      const core::RopeFrequencies& f = derived.freqs;
      ImGui::BeginGroup();
      dim_text_wrapped(0.0f, "rotary_dim %d, %d pairs, attention factor %.6g", f.rotary_dim, f.rotary_dim / 2,
                       f.attention_factor);
      if (f.effective_base != f.base) dim_text_wrapped(0.0f, "effective base %.6g", f.effective_base);
      ImGui::EndGroup();
      char exact[160];
      std::snprintf(exact, sizeof exact, "attention factor %.17g\neffective base %.17g", f.attention_factor,
                    f.effective_base);
      item_tooltip(exact);
    }
  }

  // ---- Attention ----
  if (ImGui::CollapsingHeader("Content and attention##hdr", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::TextUnformatted("content");
    item_tooltip(kTipContent);
    RadioRow content_row;
    content_row.next("constant##content");
    int content = p.content == core::ContentKind::kRandom ? 1 : p.content == core::ContentKind::kOnes ? 2 : 0;
    if (ImGui::RadioButton("constant##content", &content, 0)) p.content = core::ContentKind::kConstant;
    item_tooltip(kTipContent);
    content_row.next("random##content");
    if (ImGui::RadioButton("random##content", &content, 1)) p.content = core::ContentKind::kRandom;
    item_tooltip(kTipContent);
    content_row.next("ones##content");
    if (ImGui::RadioButton("ones##content", &content, 2)) p.content = core::ContentKind::kOnes;
    item_tooltip(kTipContent);
    ImGui::TextUnformatted("seed");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
    uint64_t seed = p.seed;
    const uint64_t one = 1;
    if (ImGui::InputScalar("##seed", ImGuiDataType_U64, &seed, &one, nullptr, "%llu")) p.seed = seed;
    item_tooltip(kTipSeed);
    ImGui::Checkbox("causal mask##causal", &p.causal);
    item_tooltip(kTipCausal);
    RadioRow mode_row;
    mode_row.next("logits##mode");
    int sm = p.softmax ? 1 : 0;
    if (ImGui::RadioButton("logits##mode", &sm, 0)) p.softmax = false;
    item_tooltip(kTipSoftmax);
    mode_row.next("softmax##mode");
    if (ImGui::RadioButton("softmax##mode", &sm, 1)) p.softmax = true;
    item_tooltip(kTipSoftmax);
    ImGui::TextUnformatted("colormap (values)");
    colormap_combo("##cmap", state.colormap, false);
    item_tooltip("Sequential colormap of the absolute and rotary maps (no recompute).");
    ImGui::TextUnformatted("colormap (difference)");
    colormap_combo("##dcmap", state.diverging_colormap, true);
    item_tooltip("Diverging colormap of rotary - absolute, symmetric about 0.");
    RadioRow show_row;  // check boxes wrap as radio buttons do
    show_row.next("absolute##show");
    ImGui::Checkbox("absolute##show", &state.show_absolute);
    show_row.next("rotary##show");
    ImGui::Checkbox("rotary##show", &state.show_rotary);
    show_row.next("difference##show");
    ImGui::Checkbox("difference##show", &state.show_difference);
    item_tooltip("Which heatmaps to show side by side.");
  }

  // ---- Views ----
  if (ImGui::CollapsingHeader("Views##hdr", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::TextUnformatted("frequencies");
    RadioRow faxis_row;
    faxis_row.next("theta_i##faxis");
    int axis = state.freq_axis == FreqAxis::kWavelength ? 1 : 0;
    if (ImGui::RadioButton("theta_i##faxis", &axis, 0)) state.freq_axis = FreqAxis::kTheta;
    item_tooltip("Plot the angle per position theta_i (radians, log scale) of each pair.");
    faxis_row.next("wavelength##faxis");
    if (ImGui::RadioButton("wavelength##faxis", &axis, 1)) state.freq_axis = FreqAxis::kWavelength;
    item_tooltip("Plot the wavelength 2 pi / theta_i (positions per full turn) against the context lengths.");
    if (slider_int64("decay: max distance", "decaymax", &p.decay_max_distance, 16, kMaxDecayDistance, true,
                     kTipDecayMax, 16, kMaxDecayDistance))
      state.decay_distance_set = true;
    bool follow = !state.decay_distance_set;
    if (ImGui::Checkbox("follows seq_len##decayfollow", &follow)) state.decay_distance_set = !follow;
    item_tooltip("The decay view's largest distance follows the sequence length until you set it.");
    RadioRow decay_row;  // check boxes wrap as radio buttons do
    decay_row.next("log distance##decaylog");
    ImGui::Checkbox("log distance##decaylog", &p.decay_log_x);
    item_tooltip("Logarithmic distance axis (the curve is sampled log-spaced).");
    decay_row.next("normalised##decaynorm");
    ImGui::Checkbox("normalised##decaynorm", &state.decay_normalised);
    item_tooltip("Divide the RoFormer bound by its value at 0 and the actual score by |q||k|a^2/sqrt(d), so all "
                 "three curves share one axis.");
    RotationState& r = state.rotation;
    ImGui::Checkbox("auto pairs##rot", &r.auto_pairs);
    item_tooltip("Show the fast, middle and slow pairs: pair 0 (fastest), the middle pair and the last (slowest) "
                 "pair. Untick to choose the three pairs.");
    if (!r.auto_pairs && derived.has_valid) {
      const int last = std::max(0, derived.freqs.rotary_dim / 2 - 1);
      for (int i = 0; i < 3; ++i) {
        const std::string label = kPairSliderLabels[i];
        const std::string id = "rotpair" + std::to_string(i);
        slider_int(label.c_str(), id.c_str(), &r.pairs[i], 0, last, "Pair index i: rotates by theta_i per position.",
                   0, last);
      }
    }
    slider_float("rotation speed (positions/s)", "rotspeed", &r.speed, 0.1f, 1000.0f, "%.3g",
                 "How fast the animated query position advances.", true);
    int64_t trace = r.trace_length;
    if (slider_int64("trace length P", "rottrace", &trace, 1, kMaxTraceLength, true,
                     "The animation runs over positions 0..P and draws the trace of the query's tip.", 1,
                     kMaxTraceLength))
      r.trace_length = static_cast<int>(trace);
  }

  // ---- Display ----
  if (ImGui::CollapsingHeader("Display##hdr", ImGuiTreeNodeFlags_DefaultOpen)) {
    float font = state.ui.font_size;
    if (slider_float("font size", "fontsize", &font, kMinFontSize, kMaxFontSize, "%.0f", kTipFont)) {
      state.ui.font_size = std::round(font);
      state.request_font_rebuild = true;
    }
    int theme = state.ui.theme == viz::Theme::kLight ? 1 : 0;
    if (ImGui::RadioButton("dark##theme", &theme, 0)) state.ui.theme = viz::Theme::kDark;
    RadioRow theme_row;
    theme_row.next("light##theme");
    if (ImGui::RadioButton("light##theme", &theme, 1)) state.ui.theme = viz::Theme::kLight;
    item_tooltip("Light is usually better on a projector.");
    dim_text_wrapped(0.0f, "%s maximise a view, Esc restores; double-click a view's title does both. Ctrl+Q "
                           "quits. Drag the sidebar's edge to widen it.", maximise_keys_text().c_str());
  }
}

}  // namespace rope::app
