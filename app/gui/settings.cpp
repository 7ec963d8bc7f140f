#include "gui/settings.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace rope::app {
namespace {

using nlohmann::json;

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
  if (s.factor) sj["factor"] = *s.factor;
  sj["alpha"] = s.alpha;
  if (s.original_max) sj["original_max"] = *s.original_max;
  if (s.low_freq_factor) sj["low_freq_factor"] = *s.low_freq_factor;
  if (s.high_freq_factor) sj["high_freq_factor"] = *s.high_freq_factor;
  sj["beta_fast"] = s.beta_fast;
  sj["beta_slow"] = s.beta_slow;
  if (s.mscale) sj["mscale"] = *s.mscale;
  if (s.mscale_all_dim) sj["mscale_all_dim"] = *s.mscale_all_dim;
  if (s.attention_factor) sj["attention_factor"] = *s.attention_factor;
  sj["truncate"] = s.truncate;
  if (!s.short_factor.empty()) sj["short_factor"] = s.short_factor;
  if (!s.long_factor.empty()) sj["long_factor"] = s.long_factor;
  j["scaling"] = sj;
  return j;
}

template <class T>
void read_opt(const json& j, const char* key, std::optional<T>& out) {
  if (j.contains(key) && !j.at(key).is_null()) out = j.at(key).get<T>();
}

core::RopeConfig config_from_json(const json& j) {
  core::RopeConfig c;
  c.head_dim = j.at("head_dim").get<int>();
  c.rotary_fraction = j.at("rotary_fraction").get<double>();
  c.base = j.at("base").get<double>();
  auto layout = core::parse_layout(j.at("layout").get<std::string>());
  if (!layout) throw core::RopeError("unknown layout");
  c.layout = *layout;
  c.seq_len = j.at("seq_len").get<int64_t>();
  read_opt(j, "max_position_embeddings", c.max_position_embeddings);
  const json& sj = j.at("scaling");
  auto type = core::parse_scaling_type(sj.at("type").get<std::string>());
  if (!type) throw core::RopeError("unknown scaling type");
  core::RopeScaling& s = c.scaling;
  s.type = *type;
  read_opt(sj, "factor", s.factor);
  s.alpha = sj.value("alpha", 1.0);
  read_opt(sj, "original_max", s.original_max);
  read_opt(sj, "low_freq_factor", s.low_freq_factor);
  read_opt(sj, "high_freq_factor", s.high_freq_factor);
  s.beta_fast = sj.value("beta_fast", 32.0);
  s.beta_slow = sj.value("beta_slow", 1.0);
  read_opt(sj, "mscale", s.mscale);
  read_opt(sj, "mscale_all_dim", s.mscale_all_dim);
  read_opt(sj, "attention_factor", s.attention_factor);
  s.truncate = sj.value("truncate", true);
  if (sj.contains("short_factor")) s.short_factor = sj.at("short_factor").get<std::vector<double>>();
  if (sj.contains("long_factor")) s.long_factor = sj.at("long_factor").get<std::vector<double>>();
  return c;
}

}  // namespace

std::filesystem::path settings_dir() {
  if (const char* dir = std::getenv("ROPESCOPE_CONFIG_DIR"); dir && *dir) return std::filesystem::path(dir);
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "ropescope";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".config" / "ropescope";
  return std::filesystem::path(".ropescope");
}
std::filesystem::path settings_path() { return settings_dir() / "settings.json"; }
std::filesystem::path imgui_ini_path() { return settings_dir() / "imgui.ini"; }

std::string settings_to_json(const AppState& s) {
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
  j["maximised_view"] = s.ui.maximised;
  j["sidebar_width"] = s.ui.sidebar_width;
  json p;
  p["config"] = config_to_json(s.params.config);
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
  return j.dump(2) + "\n";
}

SettingsLoad settings_from_json(std::string_view text, AppState& state, std::string_view origin) {
  SettingsLoad result;
  result.found = true;
  try {
    const json j = json::parse(text);
    if (!j.is_object()) throw core::RopeError("not a JSON object");
    if (j.value("version", 0) != kSettingsVersion) throw core::RopeError("unknown settings version");
    AppState s = state;  // applied only when everything parsed
    const json& w = j.at("window");
    s.ui.window_x = w.at("x").get<int>();
    s.ui.window_y = w.at("y").get<int>();
    s.ui.window_width = std::clamp(w.at("width").get<int>(), 320, 16384);
    s.ui.window_height = std::clamp(w.at("height").get<int>(), 240, 16384);
    s.ui.font_size = std::clamp(j.at("font_size").get<float>(), kMinFontSize, kMaxFontSize);
    auto theme = viz::parse_theme(j.at("theme").get<std::string>());
    if (!theme) throw core::RopeError("unknown theme");
    s.ui.theme = *theme;
    s.ui.maximised = std::clamp(j.value("maximised_view", -1), -1, kViewCount - 1);
    s.ui.sidebar_width = std::clamp(j.value("sidebar_width", kDefaultSidebarWidth), kMinSidebarWidth, kMaxSidebarWidth);
    const json& p = j.at("params");
    s.params.config = config_from_json(p.at("config"));
    core::validate(s.params.config);
    auto content = core::parse_content_kind(p.at("content").get<std::string>());
    if (!content || *content == core::ContentKind::kExternal) throw core::RopeError("unknown content");
    s.params.content = *content;
    s.params.seed = p.at("seed").get<uint64_t>();
    s.params.causal = p.at("causal").get<bool>();
    s.params.softmax = p.at("softmax").get<bool>();
    s.params.decay_max_distance = std::clamp<int64_t>(p.at("decay_max_distance").get<int64_t>(), 16, kMaxDecayDistance);
    s.params.decay_log_x = p.at("decay_log_x").get<bool>();
    s.decay_distance_set = p.value("decay_distance_set", true);  // files from before it: keep their distance
    if (j.contains("view")) {
      const json& v = j.at("view");
      if (auto c = viz::parse_colormap(v.value("colormap", "viridis")); c && !viz::is_diverging(*c)) s.colormap = *c;
      if (auto c = viz::parse_colormap(v.value("diverging_colormap", "rdbu")); c && viz::is_diverging(*c))
        s.diverging_colormap = *c;
      s.freq_axis = v.value("freq_axis", "theta") == "wavelength" ? FreqAxis::kWavelength : FreqAxis::kTheta;
      s.decay_normalised = v.value("decay_normalised", true);
      s.show_absolute = v.value("show_absolute", true);
      s.show_rotary = v.value("show_rotary", true);
      s.show_difference = v.value("show_difference", true);
      s.softmax_log_colors = v.value("softmax_log_colors", true);
      s.rotation.auto_pairs = v.value("rotation_auto_pairs", true);
      if (v.contains("rotation_pairs")) s.rotation.pairs = v.at("rotation_pairs").get<std::array<int, 3>>();
      s.rotation.speed = std::clamp(v.value("rotation_speed", 4.0f), 0.01f, 10000.0f);
      s.rotation.trace_length = std::clamp(v.value("rotation_trace_length", 64), 1, 16384);
      s.source_label = v.value("source", s.source_label);
      s.source_config = v.value("source_edited", false) ? std::nullopt : std::optional(s.params.config);
    }
    state = std::move(s);
    result.ok = true;
  } catch (const std::exception& e) {
    result.error = std::string(origin) + ": ignored (" + e.what() + "); using defaults";
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

bool save_settings(const AppState& state, const std::filesystem::path& path, std::string* error) {
  return write_file_atomic(path, settings_to_json(state), error);
}

}  // namespace rope::app
