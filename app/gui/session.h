#pragma once
// The per-frame glue between AppState, the workers and Derived: validate the edited params,
// submit changed requests, pick up finished snapshots. Shared by the GUI, headless rendering
// and the smoke tests.
#include <chrono>
#include <string>

#include "gui/app_state.h"
#include "gui/compute.h"
#include "gui/worker.h"

namespace rope::app {

struct Workers {
  LatestWorker<DecayKey, DecayResult> decay{[](const DecayKey& key, const CancelFn& cancelled) {
    return compute_decay(key, cancelled);
  }};
  LatestWorker<HeatKey, HeatmapResult> heatmaps{[](const HeatKey& key, const CancelFn& cancelled) {
    return compute_heatmaps(key, cancelled);
  }};
};

// Once per frame, before drawing. Never blocks on compute.
void sync_derived(AppState& state, Derived& derived, Workers& workers);

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
