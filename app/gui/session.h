#pragma once
// The per-frame glue between AppState, the workers and Derived: validate the edited params,
// submit changed requests, pick up finished snapshots. Shared by the GUI, headless rendering
// and the smoke tests.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "gui/app_state.h"
#include "gui/compute.h"
#include "gui/worker.h"

namespace rope::app {

// The GUI's compute niceness (run_gui gives it to the workers and the shared pool's threads):
// compute yields the CPU to the UI thread and the GL rasteriser's threads (software GL draws on
// the same two cores). While a 131072-token view fills in at 1920x1080 under llvmpipe, the p95
// frame time over five runs was 9.5-11.7 ms with it against 9.0-13.6 ms without. Loops that do
// not pace their frames (tests, headless rendering) keep 0: a busy UI thread would starve
// compute below it.
inline constexpr int kComputeNiceness = 10;

struct Workers {
  using DecayWorker = LatestWorker<DecayKey, DecayResult>;
  using HeatWorker = LatestWorker<HeatKey, HeatmapResult>;
  // niceness > 0: both threads compute at that nice value.
  explicit Workers(int niceness = 0);

  DecayWorker decay;
  // The heatmap thread owns the viewport cache (the encoded rows of the absolute and rotary maps),
  // so pans and zooms reuse them; only that thread touches it. A change of anything but the
  // window drops the old entries first: at seq_len 131072 each holds ~134 MB, and keeping the
  // previous parameters' too would take the process past 500 MB.
  HeatWorker heatmaps;
};

// The heatmap request for the current valid params and the window the heatmaps panel shows.
HeatKey current_heat_key(const Derived& derived);

// Once per frame, before drawing. Never blocks on compute.
void sync_derived(AppState& state, Derived& derived, Workers& workers);

// Whether the picture the heatmaps panel drew in this frame answers an open latency read-out (the
// newest request's coarse preview or refined picture): the caller then finishes the frame (swap,
// glFinish) and calls note_heatmaps_on_screen.
bool heatmaps_answer_open(const Derived& derived);
// After the frame is on screen: closes the read-outs its picture answers; the refined picture's
// sets last_heatmap_latency_ms (and the coarse preview's of the same change).
// log_latency (ROPESCOPE_LOG_LATENCY): also one line on stderr.
void note_heatmaps_on_screen(Derived& derived, std::chrono::steady_clock::time_point now, bool log_latency = false);

// Blocks until both workers finished their newest request (headless rendering and tests only),
// then syncs. Returns false on timeout.
bool wait_for_results(AppState& state, Derived& derived, Workers& workers,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

// Loads a config.json into state.params.config (keeping seq_len). On failure the status bar
// gets the error and state is unchanged. Returns true on success.
bool open_config_file(AppState& state, const std::string& path);
// Applies a model preset by index into presets().
bool apply_preset(AppState& state, size_t index);

}  // namespace rope::app
