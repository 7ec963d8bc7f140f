#include "gui/settings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <type_traits>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "gui/views.h"

namespace rope::app {
namespace {

using nlohmann::json;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The parameters of the scaling block (all but its type) with their keys, for the writer and the
// reader alike.
template <class Scaling, class Visit>
void scaling_fields(Scaling& s, Visit&& visit) {
  visit("factor", s.factor);
  visit("alpha", s.alpha);
  visit("original_max", s.original_max);
  visit("low_freq_factor", s.low_freq_factor);
  visit("high_freq_factor", s.high_freq_factor);
  visit("beta_fast", s.beta_fast);
  visit("beta_slow", s.beta_slow);
  visit("mscale", s.mscale);
  visit("mscale_all_dim", s.mscale_all_dim);
  visit("attention_factor", s.attention_factor);
  visit("truncate", s.truncate);
  visit("short_factor", s.short_factor);
  visit("long_factor", s.long_factor);
}

json config_to_json(const core::RopeConfig& c) {
  json j;
  j["head_dim"] = c.head_dim;
  j["rotary_fraction"] = c.rotary_fraction;
  j["base"] = c.base;
  j["layout"] = std::string(core::to_string(c.layout));
  j["seq_len"] = c.seq_len;
  if (c.max_position_embeddings) j["max_position_embeddings"] = *c.max_position_embeddings;
  const core::RopeScaling& s = c.scaling;
  json sj;
  sj["type"] = std::string(core::to_string(s.type));
  scaling_fields(s, [&sj](const char* key, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (is_optional<T>::value) {
      if (value) sj[key] = *value;
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      if (!value.empty()) sj[key] = value;
    } else {
      sj[key] = value;
    }
  });
  j["scaling"] = sj;
  return j;
}

// What a field of type T must be, for the note when it is not.
template <class T>
const char* kind() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else return "a list of numbers";
}

// The fields of one JSON object, read one by one: a missing field keeps the value it has, a
// malformed or out-of-range one is skipped with a note naming it, and finish() notes the keys
// nothing read (unknown fields). Nothing here throws.
class Fields {
 public:
  Fields(const json* object, std::string path, std::vector<std::string>& notes) : path_(std::move(path)), notes_(notes) {
    if (object && !object->is_object()) {
      note("", "not an object");
    } else {
      object_ = object;
    }
  }
  Fields(const json& object, std::string path, std::vector<std::string>& notes) : Fields(&object, std::move(path), notes) {}

  // The value at `key` that passes `check` (a reason, or "" when the value is fine); false when
  // the field is missing or bad (out keeps its value).
  template <class T, class Check>
  bool get(const char* key, T& out, Check check) {
    const json* j = find(key);
    if (!j) return false;
    T value{};
    try {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!j->is_number_integer()) throw std::invalid_argument("");
      }
      value = j->get<T>();
    } catch (const std::exception&) {
      note(key, std::string("not ") + kind<T>());
      return false;
    }
    const std::string reason = check(value);
    if (!reason.empty()) {
      note(key, reason);
      return false;
    }
    out = std::move(value);
    return true;
  }
  template <class T>
  bool get(const char* key, T& out) {
    return get(key, out, [](const T&) { return std::string(); });
  }
  template <class T>
  bool get_optional(const char* key, std::optional<T>& out) {
    if (const json* j = find(key, false); j && j->is_null()) {
      find(key);
      out.reset();
      return true;
    }
    T value{};
    if (!get(key, value)) return false;
    out = value;
    return true;
  }
  // A string field that `parse` maps to a value (an unknown name is noted).
  template <class T, class Parse>
  bool get_named(const char* key, T& out, Parse parse) {
    std::string name;
    if (!get(key, name)) return false;
    const std::optional<T> value = parse(name);
    if (!value) {
      note(key, "unknown value '" + name + "'");
      return false;
    }
    out = *value;
    return true;
  }
  bool has(const char* key) const { return object_ && object_->contains(key); }
  // The value at `key` without reading it (nullptr when missing).
  const json* peek(const char* key) { return find(key, false); }
  // Marks every field as read: they are neither applied nor noted.
  void skip_rest() {
    if (object_) object_ = nullptr;
  }
  // The object at `key` (null when missing).
  const json* child(const char* key) { return find(key); }
  std::string path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  void note(const char* key, const std::string& reason) {
    notes_.push_back((*key ? path(key) : path_) + " (" + reason + ")");
  }
  void finish() {
    if (!object_) return;
    for (const auto& item : object_->items())
      if (std::find(read_.begin(), read_.end(), item.key()) == read_.end()) note(item.key().c_str(), "unknown field");
  }

 private:
  const json* find(const char* key, bool mark = true) {
    if (!object_ || !object_->contains(key)) return nullptr;
    if (mark) read_.emplace_back(key);
    return &object_->at(key);
  }

  const json* object_ = nullptr;
  std::string path_;
  std::vector<std::string>& notes_;
  std::vector<std::string> read_;
};

template <class T>
auto in_range(T lo, T hi) {
  return [lo, hi](const T& v) {
    if (v >= lo && v <= hi) return std::string();
    std::ostringstream s;
    s << "must be in [" << lo << ", " << hi << "] (got " << v << ")";
    return s.str();
  };
}

// "maximised_view": a view's key, null for none, or (settings written before the views were a
// table) its row 0..4 in the table's order then, -1 for none.
void read_maximised_view(Fields& root, int& maximised) {
  const json* j = root.peek("maximised_view");
  if (!j) return;
  if (j->is_number()) {
    root.get("maximised_view", maximised, in_range(-1, 4));
    return;
  }
  std::optional<std::string> key;
  if (root.get_optional("maximised_view", key)) {
    if (!key) {
      maximised = -1;
    } else if (const int i = view_index(*key); i >= 0) {
      maximised = i;
    } else {
      root.note("maximised_view", "unknown value '" + *key + "'");
    }
  }
}

// The config at f's `key`, field by field over `fallback` (a valid config); core::check_fields
// then judges the values: a field it rejects keeps its value in `fallback`, with a note naming it.
core::RopeConfig config_from_json(Fields& parent, const char* key, const core::RopeConfig& fallback,
                                  std::vector<std::string>& notes) {
  core::RopeConfig c = fallback;
  Fields f(parent.child(key), parent.path(key), notes);
  f.get("head_dim", c.head_dim);
  f.get("rotary_fraction", c.rotary_fraction);
  f.get("base", c.base);
  f.get_named("layout", c.layout, core::parse_layout);
  f.get("seq_len", c.seq_len);
  f.get_optional("max_position_embeddings", c.max_position_embeddings);
  Fields sf(f.child("scaling"), f.path("scaling"), notes);
  core::RopeScaling& s = c.scaling;
  core::ScalingType type = s.type;
  if (sf.get_named("type", type, core::parse_scaling_type)) {
    if (type != s.type) {
      s = core::RopeScaling{};
      s.type = type;
    }
  } else if (sf.has("type")) {
    sf.skip_rest();  // the parameters of an unknown type mean nothing: the scaling stays as it was
  }
  scaling_fields(s, [&sf](const char* key, auto& value) {
    if constexpr (is_optional<std::decay_t<decltype(value)>>::value) {
      sf.get_optional(key, value);
    } else {
      sf.get(key, value);
    }
  });
  sf.finish();
  f.finish();
  for (const core::FieldError& e : core::check_fields(c)) {
    const bool scaling = e.field != core::ConfigField::kHeadDim && e.field != core::ConfigField::kRotaryFraction &&
                         e.field != core::ConfigField::kBase && e.field != core::ConfigField::kSeqLen &&
                         e.field != core::ConfigField::kMaxPositionEmbeddings;
    (scaling ? sf : f).note(std::string(core::field_key(e.field)).c_str(), e.message);
  }
  return core::with_valid_fields(c, fallback);
}

}  // namespace

std::optional<viz::HeatmapView> saved_heat_view(const AppState& state) {
  if (!state.heat_view || state.heat_view->seq_len != heatmap_tokens(state.params.config)) return std::nullopt;
  return state.heat_view->view;
}

std::filesystem::path settings_dir() {
  if (const char* dir = std::getenv("ROPESCOPE_CONFIG_DIR"); dir && *dir) return std::filesystem::path(dir);
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "ropescope";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".config" / "ropescope";
  return std::filesystem::path(".ropescope");
}
std::filesystem::path settings_path() { return settings_dir() / "settings.json"; }
std::filesystem::path imgui_ini_path() { return settings_dir() / "imgui.ini"; }

std::string settings_to_json(const AppState& s, const Derived& derived) {
  json j;
  j["version"] = kSettingsVersion;
  json w;
  w["x"] = s.ui.window_x;
  w["y"] = s.ui.window_y;
  w["width"] = s.ui.window_width;
  w["height"] = s.ui.window_height;
  j["window"] = w;
  j["font_size"] = s.ui.font_size;
  j["theme"] = std::string(viz::to_string(s.ui.theme));
  // The view's key (a table row may move); null for none.
  const std::span<const ViewDef> all_views = views();
  j["maximised_view"] = s.ui.maximised >= 0 && s.ui.maximised < static_cast<int>(all_views.size())
                            ? json(all_views[static_cast<size_t>(s.ui.maximised)].key)
                            : json(nullptr);
  j["page"] = pages()[static_cast<size_t>(std::clamp(s.ui.page, 0, static_cast<int>(pages().size()) - 1))].key;
  j["sidebar_width"] = s.ui.sidebar_width;
  json p;
  // What the views show: a field typed out of range is saved with its last valid value.
  p["config"] = config_to_json(core::with_valid_fields(s.params.config, derived.valid_params.config));
  p["content"] = std::string(core::to_string(s.params.content));
  p["seed"] = s.params.seed;
  p["causal"] = s.params.causal;
  p["softmax"] = s.params.softmax;
  p["decay_max_distance"] = s.params.decay_max_distance;
  p["decay_log_x"] = s.params.decay_log_x;
  p["decay_distance_set"] = s.decay_distance_set;
  j["params"] = p;
  json v;
  v["colormap"] = std::string(viz::to_string(s.colormap));
  v["diverging_colormap"] = std::string(viz::to_string(s.diverging_colormap));
  v["freq_axis"] = s.freq_axis == FreqAxis::kWavelength ? "wavelength" : "theta";
  v["decay_normalised"] = s.decay_normalised;
  v["show_absolute"] = s.show_absolute;
  v["show_rotary"] = s.show_rotary;
  v["show_difference"] = s.show_difference;
  v["softmax_log_colors"] = s.softmax_log_colors;
  v["rotation_auto_pairs"] = s.rotation.auto_pairs;
  v["rotation_pairs"] = s.rotation.pairs;
  v["rotation_speed"] = s.rotation.speed;
  v["rotation_trace_length"] = s.rotation.trace_length;
  v["source"] = s.source_label;
  v["source_edited"] = source_edited(s);
  j["view"] = v;
  // The heatmaps' zoom and pan in cells of the maps they belong to (until the maps have a size,
  // the view read from the settings, not applied yet).
  std::optional<HeatViewSetting> heat = s.heat_view;
  if (const int64_t n = derived.heat_gl.maps[0].logical_rows(); n > 0) heat = HeatViewSetting{n, derived.heat_gl.shared_view};
  if (heat) {
    j["heatmaps"] = json{{"seq_len", heat->seq_len}, {"x0", heat->view.x0}, {"x1", heat->view.x1},
                         {"y0", heat->view.y0}, {"y1", heat->view.y1}};
  }
  return j.dump(2) + "\n";
}

SettingsLoad settings_from_json(std::string_view text, AppState& state, std::string_view origin) {
  SettingsLoad result;
  result.found = true;
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    result.error = std::string(origin) + ": ignored (not valid JSON: " + e.what() + "); using defaults";
    return result;
  }
  if (!j.is_object()) {
    result.error = std::string(origin) + ": ignored (not a JSON object); using defaults";
    return result;
  }
  std::vector<std::string>& notes = result.notes;
  Fields root(j, "", notes);
  int version = 0;
  if (!root.get("version", version)) {
    if (!j.contains("version")) root.note("version", "missing");
  } else if (version != kSettingsVersion) {
    root.note("version", version > kSettingsVersion ? "written by a newer ropescope: read what this one knows"
                                                    : "unknown version " + std::to_string(version));
  }
  AppState& s = state;
  {
    Fields w(root.child("window"), "window", notes);
    w.get("x", s.ui.window_x);
    w.get("y", s.ui.window_y);
    // The window manager's business: a size it gave is taken, within what a window can be.
    if (w.get("width", s.ui.window_width)) s.ui.window_width = std::clamp(s.ui.window_width, 320, 16384);
    if (w.get("height", s.ui.window_height)) s.ui.window_height = std::clamp(s.ui.window_height, 240, 16384);
    w.finish();
  }
  root.get("font_size", s.ui.font_size, in_range(kMinFontSize, kMaxFontSize));
  root.get_named("theme", s.ui.theme, viz::parse_theme);
  read_maximised_view(root, s.ui.maximised);
  root.get_named("page", s.ui.page, [](std::string_view key) -> std::optional<int> {
    const int i = page_index(key);
    return i < 0 ? std::nullopt : std::optional<int>(i);
  });
  root.get("sidebar_width", s.ui.sidebar_width, in_range(kMinSidebarWidth, kMaxSidebarWidth));
  {
    Fields p(root.child("params"), "params", notes);
    s.params.config = config_from_json(p, "config", s.params.config, notes);
    const auto generated = [](std::string_view name) -> std::optional<core::ContentKind> {
      const auto kind = core::parse_content_kind(name);
      return kind && *kind != core::ContentKind::kExternal ? kind : std::nullopt;
    };
    p.get_named("content", s.params.content, generated);
    p.get("seed", s.params.seed);
    p.get("causal", s.params.causal);
    p.get("softmax", s.params.softmax);
    const bool has_distance =
        p.get("decay_max_distance", s.params.decay_max_distance, in_range<int64_t>(16, kMaxDecayDistance));
    // Files from before decay_distance_set keep the distance they saved.
    if (!p.get("decay_distance_set", s.decay_distance_set)) s.decay_distance_set = has_distance;
    p.get("decay_log_x", s.params.decay_log_x);
    p.finish();
  }
  {
    Fields v(root.child("view"), "view", notes);
    const auto colormap = [](bool diverging) {
      return [diverging](std::string_view name) -> std::optional<viz::Colormap> {
        const auto c = viz::parse_colormap(name);
        return c && viz::is_diverging(*c) == diverging ? c : std::nullopt;
      };
    };
    v.get_named("colormap", s.colormap, colormap(false));
    v.get_named("diverging_colormap", s.diverging_colormap, colormap(true));
    const auto axis = [](std::string_view name) -> std::optional<FreqAxis> {
      if (name == "theta") return FreqAxis::kTheta;
      if (name == "wavelength") return FreqAxis::kWavelength;
      return std::nullopt;
    };
    v.get_named("freq_axis", s.freq_axis, axis);
    v.get("decay_normalised", s.decay_normalised);
    v.get("show_absolute", s.show_absolute);
    v.get("show_rotary", s.show_rotary);
    v.get("show_difference", s.show_difference);
    v.get("softmax_log_colors", s.softmax_log_colors);
    v.get("rotation_auto_pairs", s.rotation.auto_pairs);
    v.get("rotation_pairs", s.rotation.pairs, [](const std::array<int, 3>& pairs) {
      const bool ok = std::all_of(pairs.begin(), pairs.end(), [](int i) { return i >= 0 && i < core::kMaxHeadDim / 2; });
      return ok ? std::string() : std::string("pair indices must be in [0, 2048)");
    });
    v.get("rotation_speed", s.rotation.speed, in_range(0.01f, 10000.0f));
    v.get("rotation_trace_length", s.rotation.trace_length, in_range(1, 16384));
    v.get("source", s.source_label);
    bool edited = false;
    v.get("source_edited", edited);
    s.source_config = edited ? std::nullopt : std::optional(s.params.config);
    v.finish();
  }
  {
    Fields h(root.child("heatmaps"), "heatmaps", notes);
    HeatViewSetting heat;
    const auto finite = [](const double& x) { return std::isfinite(x) ? std::string() : std::string("not finite"); };
    if (h.get("seq_len", heat.seq_len, in_range<int64_t>(1, kMaxHeatmapTokens)) && h.get("x0", heat.view.x0, finite) &&
        h.get("x1", heat.view.x1, finite) && h.get("y0", heat.view.y0, finite) && h.get("y1", heat.view.y1, finite)) {
      if (heat.view.x1 > heat.view.x0 && heat.view.y1 > heat.view.y0) {
        s.heat_view = heat;
      } else {
        h.note("", "an empty view");
      }
    }
    h.finish();
  }
  root.finish();
  result.ok = true;
  if (notes.size() == 1) {
    result.error = std::string(origin) + ": ignored " + notes.front() + "; kept the other settings";
  } else if (!notes.empty()) {
    // The names only (each note says why): the line stays short enough for the status bar.
    result.error = std::string(origin) + ": ignored " + std::to_string(notes.size()) + " fields (";
    for (size_t i = 0; i < notes.size(); ++i) result.error += (i ? ", " : "") + notes[i].substr(0, notes[i].find(" ("));
    result.error += "); kept the other settings";
  }
  return result;
}

SettingsLoad load_settings(AppState& state, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return SettingsLoad{};
  std::ostringstream text;
  text << in.rdbuf();
  return settings_from_json(text.str(), state, path.string());
}

bool write_file_atomic(const std::filesystem::path& path, std::string_view text, std::string* error) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    if (error) *error = "cannot create " + path.parent_path().string() + ": " + ec.message();
    return false;
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      if (error) *error = "cannot write " + tmp.string();
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    if (error) *error = "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

bool save_settings(const AppState& state, const Derived& derived, const std::filesystem::path& path,
                   std::string* error) {
  return write_file_atomic(path, settings_to_json(state, derived), error);
}

}  // namespace rope::app
