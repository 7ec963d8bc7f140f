#pragma once
// Settings that survive a restart: a small JSON file (window geometry, font size, theme, the
// last parameters and view options) next to ImGui's own ini (window layout).
//
// Directory: $ROPESCOPE_CONFIG_DIR if set (tests use it), else $XDG_CONFIG_HOME/ropescope, else
// ~/.config/ropescope. Writes are atomic (temp file in the same directory, then rename), and a
// corrupt or partial file is reported and ignored: the defaults are used.
#include <filesystem>
#include <string>
#include <string_view>

#include "gui/app_state.h"

namespace rope::app {

std::filesystem::path settings_dir();
std::filesystem::path settings_path();   // settings_dir() / "settings.json"
std::filesystem::path imgui_ini_path();  // settings_dir() / "imgui.ini"

inline constexpr int kSettingsVersion = 1;

std::string settings_to_json(const AppState& state);

struct SettingsLoad {
  bool found = false;  // the file existed
  bool ok = false;     // it was read and applied
  std::string error;   // one line, when found && !ok
};
// Applies the JSON to state. On any error state is left untouched and error says why.
SettingsLoad settings_from_json(std::string_view text, AppState& state, std::string_view origin = "settings");
SettingsLoad load_settings(AppState& state, const std::filesystem::path& path = settings_path());

// Atomic write; creates the directory. Returns false and sets *error on failure.
bool save_settings(const AppState& state, const std::filesystem::path& path = settings_path(),
                   std::string* error = nullptr);
// Writes `text` to path atomically (temp file + rename).
bool write_file_atomic(const std::filesystem::path& path, std::string_view text, std::string* error);

}  // namespace rope::app
