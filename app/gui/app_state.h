#pragma once
// What the user edits (AppState) and what is derived from it (Derived). main owns one of each
// and passes them by reference to every panel; nothing here is a global or a function static.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/content.h"
#include "core/rope_config.h"
#include "gui/compute.h"
#include "viz/colormap.h"
#include "viz/heatmap.h"
#include "viz/theme.h"

namespace rope::app {

enum class FreqAxis : int { kTheta = 0, kWavelength = 1 };

inline constexpr float kDefaultFontSize = 17.0f;
inline constexpr float kMinFontSize = 10.0f;
inline constexpr float kMaxFontSize = 40.0f;
// The control sidebar's width in font sizes (dragged at its right edge).
inline constexpr float kDefaultSidebarWidth = 21.0f;
inline constexpr float kMinSidebarWidth = 16.0f;
inline constexpr float kMaxSidebarWidth = 48.0f;

// Pair rotation view: which pairs are drawn and the animated position.
inline constexpr int kMaxTraceLength = 16384;
struct RotationState {
  bool auto_pairs = true;                  // fast (0), middle and slowest pair
  std::array<int, 3> pairs = {0, 32, 63};  // used when !auto_pairs
  bool playing = true;
  double position = 0.0;   // current query position (animated)
  float speed = 4.0f;      // positions per second
  int trace_length = 64;   // positions 0..P drawn as a trace (P = trace_length)
  bool operator==(const RotationState&) const = default;
};

struct UiPrefs {
  float font_size = kDefaultFontSize;  // before the monitor's content scale
  viz::Theme theme = viz::Theme::kDark;
  int maximised = -1;  // the row of views() (gui/views.h) shown alone, or -1 for the page
  int page = 0;        // the row of pages() shown
  float sidebar_width = kDefaultSidebarWidth;  // in font sizes
  // Window geometry (screen coordinates); 0 means "let the window manager choose".
  int window_x = 0, window_y = 0, window_width = 1600, window_height = 1000;
  bool operator==(const UiPrefs&) const = default;
};

// Exact values (not persisted): typed go-to entries, their messages and the pinned read-outs of
// the frequencies, decay and heatmap views.
struct ExactState {
  bool freq_cell_shows_table = false;  // the frequencies cell of the grid shows the pair table
  std::string table_csv_path = "pairs.csv";
  std::string goto_pair_input, goto_pair_error;
  std::optional<int> pinned_pair;
  std::optional<int64_t> pinned_distance;  // decay view
  std::string goto_cell_input, goto_cell_error;        // "m, n"
  std::string window_input, window_error;               // "m0 m1 n0 n1"
  std::optional<std::pair<int64_t, int64_t>> pinned_cell;  // (m, n)
};

// The heatmaps' zoom and pan as saved: cells of maps of seq_len x seq_len positions.
struct HeatViewSetting {
  int64_t seq_len = 0;
  viz::HeatmapView view;
  bool operator==(const HeatViewSetting&) const = default;
};

struct AppState {
  ComputeParams params;                      // everything the worker computes from
  viz::Colormap colormap = viz::Colormap::kViridis;       // sequential: values
  viz::Colormap diverging_colormap = viz::Colormap::kRdBu;  // diverging: difference
  FreqAxis freq_axis = FreqAxis::kTheta;
  bool decay_normalised = true;              // divide each curve by its natural scale
  bool show_absolute = true, show_rotary = true, show_difference = true;
  bool softmax_log_colors = true;            // log colour scale for softmax maps (rows sum to 1)
  RotationState rotation;
  UiPrefs ui;
  ExactState exact;
  std::optional<HeatViewSetting> heat_view;  // read from the settings (the live view is in Derived)

  // The decay view's largest distance was set by the user; until then it follows seq_len.
  bool decay_distance_set = false;
  // Where the parameters came from (a preset, a file, the command line) and whether they were
  // edited since: config differs from source_config (seq_len aside, which every source keeps),
  // or they already had been when the settings were saved (no source_config then).
  std::string source_label = "built-in default (Llama-2-like head)";
  std::optional<core::RopeConfig> source_config = core::RopeConfig{};

  // Transient (not persisted).
  std::string config_path_input;    // the "open config.json" entry
  // The status bar: the newest message (empty: none) until the next one or until it fades
  // (kStatusInfoSeconds, errors kStatusErrorSeconds after it was set); the last kStatusLogSize
  // messages stay in status_log for the bar's popup. Times are on `clock`, the UI's seconds
  // (draw_frame advances it by ImGui's DeltaTime).
  struct StatusEntry {
    std::string text;
    bool is_error = false;
    double time = 0.0;                                // on `clock`
    std::chrono::system_clock::time_point wall_time;  // shown in the popup
  };
  static constexpr double kStatusInfoSeconds = 6.0;
  static constexpr double kStatusErrorSeconds = 20.0;
  static constexpr size_t kStatusLogSize = 20;
  std::string status;
  bool status_is_error = false;
  double status_time = 0.0;
  std::deque<StatusEntry> status_log;  // oldest first
  double clock = 0.0;
  bool request_font_rebuild = false;
  bool request_quit = false;  // Ctrl+Q: the GUI closes its window (and saves, as on close)

  // A new message replaces the current one and goes to the log; "" clears the current one.
  void set_status(std::string message, bool is_error);
  // Seconds the current message has left on the bar (0: none shown).
  double status_remaining() const;
};

// The three heatmap widgets (GL textures when GL is on) and which snapshot they show.
struct HeatmapTextures {
  std::array<viz::Heatmap, 3> maps;  // absolute, rotary, difference
  std::shared_ptr<const HeatmapResult> uploaded;  // the snapshot the textures hold
  std::array<int, 3> uploads{};  // pictures handed to each map (an unchanged one is not again)
  viz::HeatmapView shared_view;      // zoom / pan is shared by the three maps
};

// Cached results. The UI thread owns it; the worker fills the shared_ptr snapshots.
struct Derived {
  // The params the views draw from: the edited ones, except that a field typed out of range keeps
  // its last valid value (so an invalid edit leaves that field's last valid picture on screen).
  ComputeParams valid_params;
  bool has_valid = false;
  core::RopeFrequencies freqs;    // from valid_params.config
  int critical_dimension = 0;     // for the original context (else seq_len)
  double context_for_analysis = 0.0;
  std::shared_ptr<const DecayResult> decay;
  std::shared_ptr<const HeatmapResult> heatmaps;
  bool decay_pending = false;
  bool heatmaps_pending = false;
  double heatmaps_progress = 0.0;  // fraction done of the heatmaps being computed
  // The picture has been older than the parameters for longer than kBusyAfter: the views say
  // "computing" (quick pans and zooms, a few ms, do not make the labels flicker), also while a
  // stream of changes (a slider drag) keeps it older.
  bool heatmaps_busy = false;
  static constexpr std::chrono::milliseconds kBusyAfter{150};
  std::string decay_error, heatmaps_error;  // a worker's exception text, if any
  std::vector<float> query0;  // the content's query at position 0 (pair rotation view)

  // The errors of the edited config (AppState::params), shown at their fields; valid_params holds
  // the last valid value of each of those fields and the edited value of every other.
  std::vector<core::FieldError> field_errors;
  // The message of the field's error, or nullptr when the field is valid.
  const char* field_error(core::ConfigField field) const {
    for (const core::FieldError& e : field_errors)
      if (e.field == field) return e.message.c_str();
    return nullptr;
  }

  // Bookkeeping of sync_derived.
  std::optional<ComputeParams> last_attempt;
  bool showing_invalid = false;  // the status bar shows a validation error of the current params
  std::optional<DecayKey> submitted_decay;
  std::optional<HeatKey> submitted_heat;
  // Latency of the last heatmap update: the newest request's submission (a parameter or window
  // change seen by the UI) -> the frame showing its refined picture on screen (note_heatmaps_on_screen),
  // and its coarse preview's (negative: none was shown).
  std::chrono::steady_clock::time_point heat_change_time{};
  bool heat_latency_open = false, heat_coarse_latency_open = false;
  double heat_coarse_latency_ms = -1.0;  // of the open change
  double last_heatmap_latency_ms = 0.0, last_heatmap_coarse_latency_ms = -1.0, last_heatmap_compute_ms = 0.0;
  // When the shown picture's request was submitted (its parameters were the newest then), and
  // since when the picture has been older than the parameters (nullopt while it is current).
  std::chrono::steady_clock::time_point heat_picture_time{};
  std::optional<std::chrono::steady_clock::time_point> heat_stale_since;

  HeatmapTextures heat_gl;
  // The cells the heatmaps panel shows and its size in pixels (set by the panel every frame;
  // more texels than pixels would only be averaged away by the GPU).
  HeatWindow heat_window;
};

// Loads the built-in default into state (a Llama-2-like head: 128, 10000, 1024, NeoX, constant).
void reset_to_default(AppState& state);
// The parameters now in state.params.config came from `label` (unedited).
void set_source(AppState& state, std::string label);
// The parameters differ from what their source loaded (seq_len aside).
bool source_edited(const AppState& state);
// "label", or "label, edited".
std::string source_text(const AppState& state);
// Before each frame's sync: the decay view's largest distance follows seq_len until the user
// sets it.
void follow_seq_len(AppState& state);

}  // namespace rope::app
