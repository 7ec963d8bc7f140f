#pragma once
// What the user edits (AppState) and what is derived from it (Derived). main owns one of each
// and passes them by reference to every panel; nothing here is a global or a function static.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/content.h"
#include "core/rope_config.h"
#include "gui/compute.h"
#include "viz/colormap.h"
#include "viz/heatmap.h"
#include "viz/theme.h"

namespace rope::app {

enum class ViewId : int { kFrequencies = 0, kRotation = 1, kDecay = 2, kHeatmaps = 3 };
inline constexpr int kViewCount = 4;
const char* view_title(ViewId view);
// "frequencies" | "rotation" | "decay" | "heatmaps" (the names `ropescope render --view` takes).
const char* view_key(ViewId view);
std::optional<ViewId> parse_view_key(const std::string& key);

enum class FreqAxis : int { kTheta = 0, kWavelength = 1 };

inline constexpr float kDefaultFontSize = 17.0f;
inline constexpr float kMinFontSize = 10.0f;
inline constexpr float kMaxFontSize = 40.0f;

// Pair rotation view: which pairs are drawn and the animated position.
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
  int maximised = -1;  // ViewId as int, or -1 for the 2x2 grid
  // Window geometry (screen coordinates); 0 means "let the window manager choose".
  int window_x = 0, window_y = 0, window_width = 1600, window_height = 1000;
  bool operator==(const UiPrefs&) const = default;
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

  // Transient (not persisted).
  std::string config_path_input;    // the "open config.json" entry
  std::string source_label = "built-in default (Llama-2-like head)";
  std::string status;               // last message for the status bar
  bool status_is_error = false;
  bool request_font_rebuild = false;

  void set_status(std::string message, bool is_error) {
    status = std::move(message);
    status_is_error = is_error;
  }
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
  // The last params that validated; views draw from these, so an invalid edit leaves the last
  // valid picture on screen.
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

}  // namespace rope::app
