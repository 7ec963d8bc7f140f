#pragma once
// Settings that survive a restart: a small JSON file (window geometry, font size, theme, the
// last parameters and view options) next to ImGui's own ini (window layout).
//
// Directory: $ROPESCOPE_CONFIG_DIR if set (tests use it), else $XDG_CONFIG_HOME/ropescope, else
// ~/.config/ropescope. Writes are atomic (temp file in the same directory, then rename). A file
// that is not JSON is reported and ignored; in one that is, a bad field costs that field alone.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gui/app_state.h"

namespace rope::app {

std::filesystem::path settings_dir();
std::filesystem::path settings_path();   // settings_dir() / "settings.json"
std::filesystem::path imgui_ini_path();  // settings_dir() / "imgui.ini"

inline constexpr int kSettingsVersion = 1;

// What is saved: the window, fonts, theme, view options, the heatmaps' zoom and pan
// (derived.heat_gl, in cells of the maps shown) and the parameters the views show
// (derived.valid_params: a field typed out of range is saved with its last valid value, so an
// invalid edit is never persisted).
std::string settings_to_json(const AppState& state, const Derived& derived);

struct SettingsLoad {
  bool found = false;  // the file existed
  bool ok = false;     // it was read as a JSON object and its good fields applied
  // One line per field that was skipped (malformed, out of range, unknown): "params.config.base
  // (base (rope_theta) must be a finite number > 0 (got -5))".
  std::vector<std::string> notes;
  std::string error;   // one line for the status bar, when !ok or notes is not empty
};
// Applies the JSON to state field by field: a missing field keeps its value in state, a bad or
// unknown one is skipped with a note naming it (it costs that field alone); a file that is not a
// JSON object leaves state untouched. The heatmaps' view goes to state.heat_view.
SettingsLoad settings_from_json(std::string_view text, AppState& state, std::string_view origin = "settings");
SettingsLoad load_settings(AppState& state, const std::filesystem::path& path = settings_path());
// The saved zoom and pan when it belongs to the maps of state.params (same heatmap_tokens).
std::optional<viz::HeatmapView> saved_heat_view(const AppState& state);

// Atomic write; creates the directory. Returns false and sets *error on failure.
bool save_settings(const AppState& state, const Derived& derived, const std::filesystem::path& path = settings_path(),
                   std::string* error = nullptr);
// Writes `text` to path atomically (temp file + rename).
bool write_file_atomic(const std::filesystem::path& path, std::string_view text, std::string* error);

}  // namespace rope::app
