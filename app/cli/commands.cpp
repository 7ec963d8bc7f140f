#include "cli/commands.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>

#include "core/analysis.h"
#include "core/attention.h"
#include "core/capture.h"
#include "core/config_json.h"
#include "core/content.h"
#include "core/error.h"
#include "core/tensor_io.h"

namespace rope::app {
namespace {

using core::RopeError;
using nlohmann::json;
constexpr double kTwoPi = 2.0 * std::numbers::pi;

std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// The fields every JSON report starts with.
json frequencies_header(const core::RopeFrequencies& f) {
  json j;
  j["head_dim"] = f.head_dim;
  j["rotary_dim"] = f.rotary_dim;
  j["base"] = f.base;
  j["effective_base"] = f.effective_base;
  j["layout"] = std::string(core::to_string(f.layout));
  j["attention_factor"] = f.attention_factor;
  return j;
}

// Largest score matrix the CLI writes (float32 cells): 1 GiB.
constexpr int64_t kMaxScoreCells = int64_t{1} << 28;

}  // namespace

core::ContentKind parse_generated_content(const std::string& name) {
  const auto kind = core::parse_content_kind(name);
  if (!kind || *kind == core::ContentKind::kExternal)
    throw RopeError("--content: expected constant, random or ones (got '" + name + "')");
  return *kind;
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text;
    std::cout.flush();
    return;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw RopeError(path + ": cannot open for writing");
  out << text;
  if (!out) throw RopeError(path + ": write failed");
}

namespace {

// What `freqs --json` prints for one config (compact).
std::string freqs_json(const core::RopeConfig& config) {
  const core::RopeFrequencies f = core::compute_frequencies(config);
  const double context = static_cast<double>(config.seq_len);
  json j = frequencies_header(f);
  j["scaling"] = json::parse(core::scaling_to_json(f, config));
  j["seq_len"] = f.seq_len;
  j["inv_freq"] = f.inv_freq;
  j["inv_freq_unscaled"] = f.inv_freq_unscaled;
  std::vector<double> wavelength, wavelength_unscaled, rotations;
  for (size_t i = 0; i < f.inv_freq.size(); ++i) {
    wavelength.push_back(kTwoPi / f.inv_freq[i]);
    wavelength_unscaled.push_back(kTwoPi / f.inv_freq_unscaled[i]);
    rotations.push_back(context * f.inv_freq[i] / kTwoPi);
  }
  j["wavelength"] = wavelength;
  j["wavelength_unscaled"] = wavelength_unscaled;
  j["rotations_in_seq_len"] = rotations;
  return j.dump();
}

// One layer type of a model: its name, layers and resolved parameters at `seq_len`.
json layer_type_json(const core::LayerTypeRope& t, int64_t seq_len) {
  core::RopeConfig c = t.config;
  c.seq_len = seq_len;
  const core::RopeFrequencies f = core::compute_frequencies(c);
  json j = frequencies_header(f);
  j["name"] = t.name;
  j["layers"] = t.layers;
  j["scaling"] = json::parse(core::scaling_to_json(f, c));
  j["inv_freq"] = f.inv_freq;
  return j;
}

// "5, 11, 17" (or "0-25" for a run).
std::string layer_list(const std::vector<int>& layers) {
  if (layers.empty()) return "layers not given in the file";
  bool run = true;
  for (size_t i = 1; i < layers.size(); ++i) run = run && layers[i] == layers[i - 1] + 1;
  if (run && layers.size() > 2) return "layers " + std::to_string(layers.front()) + "-" + std::to_string(layers.back());
  std::string s = "layers ";
  for (size_t i = 0; i < layers.size(); ++i) s += (i ? ", " : "") + std::to_string(layers[i]);
  return s;
}

}  // namespace

int run_freqs(const ResolvedRope& r, const OutputOptions& out) {
  if (!r.model) return run_freqs(r.config, out);
  if (out.format() != TableFormat::kJson) {
    if (r.model->layer_types.size() > 1 && out.format() == TableFormat::kText && out.path.empty()) {
      std::string others;
      for (const core::LayerTypeRope& t : r.model->layer_types) {
        if (t.name != r.layer_type) others += (others.empty() ? "" : ", ") + t.name;
      }
      const core::LayerTypeRope* t = r.model->find(r.layer_type);
      std::cout << "layer type " << r.layer_type << " (" << layer_list(t->layers) << " of " << r.model->num_layers
                << "); also in this model: " << others << " (--layer-type)\n";
    }
    return run_freqs(r.config, out);
  }
  json j = json::parse(freqs_json(r.config));
  j["layer_type"] = r.layer_type;
  j["num_layers"] = r.model->num_layers;
  json types = json::array();
  for (const core::LayerTypeRope& t : r.model->layer_types) types.push_back(layer_type_json(t, r.config.seq_len));
  j["layer_types"] = types;
  j["warnings"] = r.warnings;
  write_output(out.path, j.dump(2) + "\n");
  return 0;
}

namespace {

// The origin the reader recorded for `field`, a flag that replaced it, or what a default or a
// formula says.
std::string origin_of(const ResolvedRope& r, const core::LayerTypeRope* set, const std::string& field,
                      const std::string& fallback) {
  for (const auto& [f, flag] : r.overridden) {
    if (f == field) return "flag " + flag;
  }
  if (set) {
    for (const core::ValueOrigin& o : set->origins) {
      if (o.field == field) return o.origin;
    }
  }
  return fallback;
}

std::string attention_factor_formula(core::ScalingType type) {
  switch (type) {
    case core::ScalingType::kYarn:
      return "derived: mscale(factor, mscale) / mscale(factor, mscale_all_dim) when both are given, else 0.1 ln(factor) + 1";
    case core::ScalingType::kLongrope: return "derived: sqrt(1 + ln(factor) / ln(original_max_position_embeddings)) for factor > 1, else 1";
    default: return "1 for this rope type";
  }
}

}  // namespace

int run_resolve(const ResolvedRope& r, const OutputOptions& out) {
  if (!r.model) throw RopeError("resolve: give a config.json (ropescope resolve CONFIG)");
  const core::LayerTypeRope* set = r.model->find(r.layer_type);
  const core::RopeConfig& c = r.config;
  const core::RopeFrequencies f = core::compute_frequencies(c);
  const core::RopeScaling& s = c.scaling;
  using core::ScalingType;
  json values = json::array();
  const auto add = [&](const std::string& field, json value, const std::string& origin) {
    values.push_back({{"field", field}, {"value", std::move(value)}, {"origin", origin}});
  };
  add("head_dim", f.head_dim, origin_of(r, set, "head_dim", "ropescope default"));
  add("rotary_dim", f.rotary_dim,
      "derived: int(head_dim * rotary_fraction), rotary_fraction " + fmt(c.rotary_fraction) + " from " +
          origin_of(r, set, "rotary_fraction", "Hugging Face default 1.0"));
  add("base", f.base, origin_of(r, set, "base", "ropescope default"));
  add("layout", std::string(core::to_string(f.layout)), origin_of(r, set, "layout", "ropescope default"));
  add("rope_type", std::string(core::to_string(f.scaling)), origin_of(r, set, "rope_type", "ropescope default"));
  if (c.max_position_embeddings) {
    add("max_position_embeddings", *c.max_position_embeddings, origin_of(r, set, "max_position_embeddings", ""));
  }
  if (s.type != ScalingType::kNone && s.type != ScalingType::kNtk) {
    const bool derived_factor = !s.factor && (s.type == ScalingType::kYarn || s.type == ScalingType::kLongrope);
    add("factor", f.factor,
        derived_factor ? "derived: max_position_embeddings / original_max_position_embeddings" : origin_of(r, set, "factor", ""));
  }
  if (s.type == ScalingType::kYarn || s.type == ScalingType::kLlama3 || s.type == ScalingType::kLongrope ||
      s.type == ScalingType::kDynamic) {
    add(s.type == ScalingType::kDynamic ? "original context (max_position_embeddings)" : "original_max_position_embeddings",
        f.original_max, origin_of(r, set, "original_max_position_embeddings", "max_position_embeddings"));
  }
  if (s.type == ScalingType::kLlama3) {
    add("low_freq_factor", *s.low_freq_factor, origin_of(r, set, "low_freq_factor", ""));
    add("high_freq_factor", *s.high_freq_factor, origin_of(r, set, "high_freq_factor", ""));
  }
  if (s.type == ScalingType::kYarn) {
    add("beta_fast", s.beta_fast, origin_of(r, set, "beta_fast", "Hugging Face default 32"));
    add("beta_slow", s.beta_slow, origin_of(r, set, "beta_slow", "Hugging Face default 1"));
    if (s.mscale) add("mscale", *s.mscale, origin_of(r, set, "mscale", ""));
    if (s.mscale_all_dim) add("mscale_all_dim", *s.mscale_all_dim, origin_of(r, set, "mscale_all_dim", ""));
    add("truncate", s.truncate, origin_of(r, set, "truncate", "Hugging Face default true"));
  }
  if (s.type == ScalingType::kLongrope) {
    const bool uses_long = f.seq_len > f.original_max;
    add("factors in use", uses_long ? "long_factor" : "short_factor",
        "seq_len " + std::to_string(f.seq_len) + (uses_long ? " > " : " <= ") + "original_max_position_embeddings");
  }
  if (f.effective_base != f.base) add("effective_base", f.effective_base, "derived (" + std::string(core::to_string(f.scaling)) + ")");
  add("attention_factor", f.attention_factor,
      s.attention_factor ? origin_of(r, set, "attention_factor", "") : attention_factor_formula(s.type));

  std::ostringstream text;
  if (out.json) {
    json j;
    j["model_type"] = r.model->model_type;
    j["text_config"] = r.model->text_config;
    j["layer_type"] = r.layer_type;
    json names = json::array();
    for (const core::LayerTypeRope& t : r.model->layer_types) names.push_back({{"name", t.name}, {"layers", t.layers}});
    j["layer_types"] = names;
    j["seq_len"] = f.seq_len;
    j["values"] = values;
    j["warnings"] = r.warnings;
    text << j.dump(2) << "\n";
  } else {
    text << "model_type " << (r.model->model_type.empty() ? "(none)" : r.model->model_type);
    if (!r.model->text_config.empty()) text << " (from " << r.model->text_config << ")";
    text << ", layer type " << r.layer_type << " (" << layer_list(set->layers) << " of " << r.model->num_layers << ")";
    for (const core::LayerTypeRope& t : r.model->layer_types) {
      if (t.name != r.layer_type) text << "; also " << t.name << " (" << layer_list(t.layers) << ")";
    }
    text << "\n";
    for (const json& v : values) {
      const std::string value = v["value"].is_number() ? fmt(v["value"].get<double>()) : v["value"].is_string() ? v["value"].get<std::string>() : v["value"].dump();
      char line[96];
      std::snprintf(line, sizeof line, "  %-34s %-22s ", v["field"].get<std::string>().c_str(), value.c_str());
      text << line << v["origin"].get<std::string>() << "\n";
    }
    for (const std::string& w : r.warnings) text << "warning: " << w << "\n";
  }
  write_output(out.path, text.str());
  return 0;
}

int run_freqs(const core::RopeConfig& config, const OutputOptions& out) {
  const core::RopeFrequencies f = core::compute_frequencies(config);
  const double context = static_cast<double>(config.seq_len);
  std::ostringstream s;
  switch (out.format()) {
    case TableFormat::kJson: s << json::parse(freqs_json(config)).dump(2) << "\n"; break;
    case TableFormat::kCsv:
      s << "pair,inv_freq,inv_freq_unscaled,wavelength,wavelength_unscaled,rotations_in_seq_len\n";
      for (size_t i = 0; i < f.inv_freq.size(); ++i) {
        s << i << "," << fmt(f.inv_freq[i]) << "," << fmt(f.inv_freq_unscaled[i]) << "," << fmt(kTwoPi / f.inv_freq[i])
          << "," << fmt(kTwoPi / f.inv_freq_unscaled[i]) << "," << fmt(context * f.inv_freq[i] / kTwoPi) << "\n";
      }
      break;
    case TableFormat::kText: {
      char line[200];
      s << "head_dim " << f.head_dim << ", rotary_dim " << f.rotary_dim << ", base " << fmt(f.base) << ", layout "
        << core::to_string(f.layout) << ", scaling " << core::to_string(f.scaling) << ", seq_len " << f.seq_len
        << ", attention_factor " << fmt(f.attention_factor) << "\n";
      s << " pair        inv_freq      unscaled    wavelength  rotations/seq_len\n";
      for (size_t i = 0; i < f.inv_freq.size(); ++i) {
        std::snprintf(line, sizeof line, "%5zu  %14.8g  %12.8g  %12.6g  %12.6g\n", i, f.inv_freq[i], f.inv_freq_unscaled[i],
                      kTwoPi / f.inv_freq[i], context * f.inv_freq[i] / kTwoPi);
        s << line;
      }
      break;
    }
  }
  write_output(out.path, s.str());
  return 0;
}

namespace {

// Loads one (N, d) matrix, or head `head` of a (heads, N, d) one, from .npy or .safetensors
// (path:tensor_name for safetensors).
core::Tensor load_matrix(const std::string& spec, int head, int64_t& rows, int& dim) {
  core::Tensor t;
  const auto colon = spec.rfind(':');
  if (spec.size() > 12 && spec.find(".safetensors") != std::string::npos && colon != std::string::npos &&
      colon > spec.find(".safetensors")) {
    t = core::read_safetensors(spec.substr(0, colon), spec.substr(colon + 1));
  } else {
    t = core::read_npy(spec);
  }
  if (t.shape.size() == 2) {
    if (head != 0) throw RopeError(spec + ": --head " + std::to_string(head) + " given but the tensor is 2-D");
    rows = t.shape[0];
    dim = static_cast<int>(t.shape[1]);
    return t;
  }
  if (t.shape.size() == 3) {
    if (head < 0 || head >= t.shape[0]) {
      throw RopeError(spec + ": --head " + std::to_string(head) + " is out of range (tensor has " + std::to_string(t.shape[0]) + " heads)");
    }
    rows = t.shape[1];
    dim = static_cast<int>(t.shape[2]);
    core::Tensor one;
    one.shape = {rows, dim};
    const size_t stride = static_cast<size_t>(rows) * static_cast<size_t>(dim);
    one.data.assign(t.data.begin() + static_cast<ptrdiff_t>(stride * static_cast<size_t>(head)),
                    t.data.begin() + static_cast<ptrdiff_t>(stride * static_cast<size_t>(head + 1)));
    return one;
  }
  throw RopeError(spec + ": expected shape (N, head_dim) or (heads, N, head_dim), got " + std::to_string(t.shape.size()) + " dimensions");
}

// Writes the num_q x num_k matrix of `content` under `config` (seq_len already set) to o.out_path.
void write_scores(const core::RopeConfig& config, const core::Content& content, int64_t num_q, int64_t num_k,
                  const ScoresOptions& o, int64_t offset) {
  const auto encoding = core::parse_encoding(o.encoding);
  if (!encoding) throw RopeError("--encoding: expected rope, sinusoidal or none (got '" + o.encoding + "')");
  if (offset < 0 || offset > core::kMaxPosition) throw RopeError("--offset must be in [0, 2^30]");
  if (num_q * num_k > kMaxScoreCells) {
    throw RopeError("scores: a " + std::to_string(num_q) + " x " + std::to_string(num_k) +
                    " matrix is larger than the 2^28-cell limit of the scores command");
  }
  const core::RopeFrequencies freqs = core::compute_frequencies(config);
  core::ScoreOptions so;
  so.encoding = *encoding;
  so.offset = offset;
  so.causal = o.causal;
  const std::vector<float> scores = core::score_matrix(freqs, content, so, num_q, num_k, o.softmax);
  core::write_npy(o.out_path, scores.data(), {num_q, num_k});
}

}  // namespace

int run_scores(const core::RopeConfig& config_in, const ScoresOptions& o, bool seq_len_given) {
  core::RopeConfig config = config_in;
  const bool from_files = !o.q_path.empty() || !o.k_path.empty();
  if (from_files && (o.q_path.empty() || o.k_path.empty())) throw RopeError("scores: give both --q and --k");
  if (from_files && !o.content.empty()) throw RopeError("scores: give either --q/--k files or --content, not both");
  if (o.out_path.empty()) throw RopeError("scores: -o OUT.npy is required");

  core::Content content = core::Content::generated(core::ContentKind::kConstant, config.head_dim, o.seed);
  int64_t num_q = config.seq_len, num_k = config.seq_len;
  if (from_files) {
    int q_dim = 0, k_dim = 0;
    core::Tensor q = load_matrix(o.q_path, o.head, num_q, q_dim);
    core::Tensor k = load_matrix(o.k_path, o.head, num_k, k_dim);
    if (q_dim != config.head_dim) {
      throw RopeError(o.q_path + ": last dimension " + std::to_string(q_dim) + " does not match head_dim " +
                      std::to_string(config.head_dim) + " (set --head-dim)");
    }
    if (k_dim != config.head_dim) {
      throw RopeError(o.k_path + ": last dimension " + std::to_string(k_dim) + " does not match head_dim " +
                      std::to_string(config.head_dim) + " (set --head-dim)");
    }
    content = core::Content::external(std::move(q.data), num_q, std::move(k.data), num_k, config.head_dim);
  } else {
    content = core::Content::generated(parse_generated_content(o.content.empty() ? "constant" : o.content),
                                       config.head_dim, o.seed);
  }
  // Frequencies see the longest position + 1 (what dynamic and longrope depend on).
  if (!seq_len_given || from_files) config.seq_len = o.offset + std::max(num_q, num_k);
  write_scores(config, content, num_q, num_k, o, o.offset);
  return 0;
}

int run_capture_scores(const RopeCliOptions& rope, const ScoresOptions& o) {
  if (!o.q_path.empty() || !o.k_path.empty() || !o.content.empty()) {
    throw RopeError("scores: give either --capture or --q/--k files or --content, not several");
  }
  if (!o.layer) throw RopeError("scores --capture: --layer L is required (a model layer number of the capture)");
  if (o.out_path.empty()) throw RopeError("scores: -o OUT.npy is required");
  const core::Capture capture = core::Capture::open(o.capture);
  const core::RopeConfig config = capture_rope_config(rope, capture);
  const int index = capture_layer_index(capture, *o.layer);
  if (o.head < 0 || o.head >= capture.num_heads()) {
    throw RopeError("--head " + std::to_string(o.head) + ": out of range (the capture has " +
                    std::to_string(capture.num_heads()) + " query heads)");
  }
  // The score kernels place row i at offset + i: the capture's positions must be consecutive.
  const std::vector<int64_t>& positions = capture.positions();
  for (size_t i = 1; i < positions.size(); ++i) {
    if (positions[i] != positions[0] + static_cast<int64_t>(i)) {
      throw RopeError(capture.origin() + ": tensor 'positions' is not consecutive at index " + std::to_string(i) +
                      " (scores needs positions p0, p0 + 1, ...; heads accepts any)");
    }
  }
  const int64_t offset = positions[0] + o.offset;
  std::vector<float> q_buffer, k_buffer;
  const int64_t n = capture.seq_len();
  const size_t cells = static_cast<size_t>(n) * static_cast<size_t>(capture.head_dim());
  const float* q = capture.query_rows(index, o.head, q_buffer);
  const float* k = capture.key_rows(index, capture.kv_head_of(o.head), k_buffer);
  core::Content content = core::Content::external(std::vector<float>(q, q + cells), n,
                                                  std::vector<float>(k, k + cells), n, capture.head_dim());
  core::RopeConfig run_config = config;
  run_config.seq_len = std::max(config.seq_len, offset + n);
  write_scores(run_config, content, n, n, o, offset);
  return 0;
}

int run_decay(const core::RopeConfig& config, std::optional<int64_t> max_distance, const OutputOptions& out) {
  const core::RopeFrequencies f = core::compute_frequencies(config);
  const int64_t d = max_distance.value_or(config.seq_len);
  const core::DecayCurve curve = core::decay_curve(f, d);
  std::string text;
  if (out.format() == TableFormat::kJson) {
    json j = frequencies_header(f);
    j["max_distance"] = d;
    j["distance"] = curve.distance;
    j["roformer_bound"] = curve.roformer_bound;
    j["mean_cos"] = curve.mean_cos;
    text = j.dump() + "\n";
  } else {
    std::string s = "distance,roformer_bound,mean_cos\n";
    s.reserve(s.size() + curve.distance.size() * 48);
    for (size_t i = 0; i < curve.distance.size(); ++i) {
      s += std::to_string(curve.distance[i]) + "," + fmt(curve.roformer_bound[i]) + "," + fmt(curve.mean_cos[i]) + "\n";
    }
    text = std::move(s);
  }
  write_output(out.path, text);
  return 0;
}

int run_analyze(const core::RopeConfig& config, std::optional<int64_t> context_opt, const OutputOptions& out) {
  const core::RopeFrequencies f = core::compute_frequencies(config);
  const int64_t context = context_opt.value_or(core::default_analysis_context(f));
  if (context < 1 || context > core::kMaxPosition) throw RopeError("--context must be in [1, 2^30]");
  // The same analysis as the GUI's frequencies view (one core function).
  const core::ContextAnalysis analysis = core::analyse_context(f, static_cast<double>(context));
  const int critical = analysis.critical_dimension;
  const core::BaseBound bound = core::base_lower_bound(f.rotary_dim, context);
  const int within = analysis.pairs_within_context;
  const auto first_negative = core::first_negative_distance(f, int64_t{1} << 22);
  std::ostringstream s;
  if (out.json) {
    json j = frequencies_header(f);
    j["scaling"] = std::string(core::to_string(f.scaling));
    j["context"] = context;
    j["critical_dimension"] = critical;
    j["base_lower_bound"] = bound.found ? json(bound.base) : json(nullptr);
    j["base_lower_bound_evaluations"] = bound.evaluations;
    j["base_lower_bound_method"] =
        "smallest base with sum_i cos(m theta_i) >= 0 for every integer m in [0, context], by a certified upward "
        "sweep in log(base) from 2 (a Lipschitz bound skips only bases that are provably infeasible); feasibility "
        "is not monotone, so larger bases can be infeasible again";
    j["pairs_within_context"] = within;
    j["first_negative_distance"] = first_negative ? json(*first_negative) : json(nullptr);
    j["base_sufficient_for_context"] = !first_negative || *first_negative > context;
    json pairs = json::array();
    for (const core::PairInfo& p : core::pair_table(f, static_cast<double>(context))) {
      pairs.push_back({{"pair", p.pair}, {"feature_a", p.feature0}, {"feature_b", p.feature1}, {"inv_freq", p.inv_freq},
                       {"inv_freq_unscaled", p.inv_freq_unscaled}, {"ratio", p.ratio}, {"wavelength", p.wavelength},
                       {"rotations_in_context", p.rotations_in_context}, {"band", std::string(core::to_string(p.band))},
                       {"band_value", p.band_value}});
    }
    j["pairs"] = pairs;
    s << j.dump(2) << "\n";
  } else {
    s << "rotary_dim " << f.rotary_dim << ", base " << fmt(f.base) << " (effective " << fmt(f.effective_base)
      << "), scaling " << core::to_string(f.scaling) << ", context " << context << "\n";
    s << "critical dimension (Liu et al. 2023): " << critical << " of " << f.rotary_dim << "\n";
    s << "pairs completing a full turn within the context: " << within << " of " << f.rotary_dim / 2 << "\n";
    if (bound.found) {
      s << "base lower bound for this context (Men et al. 2024): " << fmt(bound.base)
        << " (smallest feasible base; feasibility is not monotone above it)\n";
    } else {
      s << "base lower bound: none found up to 1e12\n";
    }
    if (first_negative) {
      s << "this base keeps sum cos(m theta) >= 0 up to distance " << (*first_negative - 1) << "\n";
    } else {
      s << "this base keeps sum cos(m theta) >= 0 up to distance 2^22 at least\n";
    }
  }
  write_output(out.path, s.str());
  return 0;
}

}  // namespace rope::app
