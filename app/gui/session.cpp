#include "gui/session.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>

#include "core/analysis.h"
#include "core/config_json.h"
#include "core/error.h"
#include "gui/presets.h"

namespace rope::app {

HeatKey current_heat_key(const Derived& derived) { return heat_key(derived.valid_params, derived.heat_window); }

namespace {

struct HeatCache {
  core::ViewportCache cache;
  std::optional<HeatKey> params;  // the last key with its window cleared
};

}  // namespace

Workers::Workers(int niceness)
    : decay([](const DecayKey& key, const DecayWorker::Progress& progress, const DecayWorker::Publish&) {
        return compute_decay(key, [&progress] { return !progress(-1.0); });
      }, niceness),
      heatmaps([state = std::make_shared<HeatCache>()](const HeatKey& key, const HeatWorker::Progress& progress,
                                                       const HeatWorker::Publish& publish) {
        HeatKey params = key;
        params.window = HeatWindow{};
        const bool rebuild = state->params != params;
        if (rebuild) {
          state->cache.clear();
          state->params = params;
        }
        // New parameters at long context: a coarse preview first (tens of ms, never cancelled, so
        // a stream of changes still shows pictures), then the full resolution, which the next
        // change cancels within a few ms while it builds the encoded rows. A window of no more
        // texels than a preview is done with the preview (the rows are encoded at the next pan).
        if (rebuild && wants_coarse(key)) {
          std::optional<HeatmapResult> coarse = compute_coarse_heatmaps(key, &state->cache);
          if (coarse && !coarse->coarse && !coarse->partial) return coarse;  // a small window: the picture itself
          if (coarse) publish(std::move(*coarse));
          if (!progress(-1.0)) return std::optional<HeatmapResult>();
        }
        return compute_heatmaps(key, progress, &state->cache, publish);
      }, niceness) {}

void sync_derived(AppState& state, Derived& derived, Workers& workers) {
  follow_seq_len(state);
  const bool changed = !derived.last_attempt || *derived.last_attempt != state.params;
  if (changed) {
    derived.last_attempt = state.params;
    // A field typed out of range is reported at the field and keeps its last valid value in the
    // views; every other edit applies.
    derived.field_errors = core::check_fields(state.params.config);
    ComputeParams params = state.params;
    params.config = core::with_valid_fields(state.params.config, derived.valid_params.config);
    try {
      core::RopeFrequencies freqs = core::compute_frequencies(params.config);
      derived.freqs = std::move(freqs);
      derived.valid_params = params;
      derived.has_valid = true;
      // The same analysis as `ropescope analyze` (one core function).
      const core::ContextAnalysis analysis =
          core::analyse_context(derived.freqs, static_cast<double>(core::default_analysis_context(derived.freqs)));
      derived.context_for_analysis = analysis.context;
      derived.critical_dimension = analysis.critical_dimension;
      const core::Content content = core::Content::generated(params.content, derived.freqs.head_dim, params.seed);
      derived.query0.assign(static_cast<size_t>(derived.freqs.head_dim), 0.0f);
      content.queries(0, 1, derived.query0.data());
      if (derived.field_errors.empty()) {
        if (derived.showing_invalid) state.set_status("", false);  // other messages stay
        derived.showing_invalid = false;
      } else {
        const size_t more = derived.field_errors.size() - 1;
        state.set_status("invalid: " + derived.field_errors.front().message +
                             (more ? " (and " + std::to_string(more) + " more at their fields)" : std::string()) +
                             "; the views keep the last valid value",
                         true);
        derived.showing_invalid = true;
      }
    } catch (const std::exception& e) {
      state.set_status(std::string("invalid setting: ") + e.what() + " (showing the last valid state)", true);
      derived.showing_invalid = true;
    }
  }
  if (derived.has_valid) {
    DecayKey dk = decay_key(derived.valid_params);
    if (!derived.submitted_decay || *derived.submitted_decay != dk) {
      derived.submitted_decay = dk;
      workers.decay.submit(dk);
    }
    // Heatmaps only once the panel has said what it shows (it sets heat_window when drawn): the
    // first frame, before any layout, would otherwise ask for a default window and the panel's
    // real one a frame later, and the first could not be cancelled while it encodes the rows.
    HeatKey hk = current_heat_key(derived);
    if (derived.heat_window.seq_len > 0 && (!derived.submitted_heat || *derived.submitted_heat != hk)) {
      derived.submitted_heat = hk;
      workers.heatmaps.submit(hk);
      const auto now = std::chrono::steady_clock::now();
      derived.heat_change_time = now;
      if (!derived.heat_stale_since) derived.heat_stale_since = now;
      derived.heat_latency_open = derived.heat_coarse_latency_open = true;
      derived.heat_coarse_latency_ms = -1.0;
    }
  }
  derived.decay = workers.decay.latest();
  std::tie(derived.heatmaps, derived.heat_picture_time) = workers.heatmaps.latest_with_time();
  derived.decay_pending = workers.decay.pending();
  derived.heatmaps_pending = workers.heatmaps.pending();
  if (!derived.heatmaps_pending) derived.heat_stale_since.reset();
  derived.heatmaps_progress = derived.heatmaps_pending ? workers.heatmaps.progress() : 0.0;
  derived.heatmaps_busy = derived.heatmaps_pending && derived.heat_stale_since &&
                          std::chrono::steady_clock::now() - *derived.heat_stale_since > Derived::kBusyAfter;
  derived.decay_error = workers.decay.error();
  derived.heatmaps_error = workers.heatmaps.error();
}

namespace {

// Whether the picture the heatmaps panel drew is the newest request's refined one (full) or its
// coarse preview (!full).
bool shows_newest(const Derived& derived, bool full) {
  const HeatmapResult* shown = derived.heat_gl.uploaded.get();
  if (!shown || !derived.submitted_heat || !(shown->key == *derived.submitted_heat)) return false;
  return full ? !shown->coarse && !shown->partial : shown->coarse;
}

}  // namespace

bool heatmaps_answer_open(const Derived& derived) {
  return (derived.heat_latency_open && shows_newest(derived, true)) ||
         (derived.heat_coarse_latency_open && shows_newest(derived, false));
}

void note_heatmaps_on_screen(Derived& derived, std::chrono::steady_clock::time_point now, bool log_latency) {
  const double ms = std::chrono::duration<double, std::milli>(now - derived.heat_change_time).count();
  if (derived.heat_coarse_latency_open && shows_newest(derived, false)) {
    derived.heat_coarse_latency_open = false;
    derived.heat_coarse_latency_ms = ms;
  }
  if (!derived.heat_latency_open || !shows_newest(derived, true)) return;
  derived.heat_latency_open = derived.heat_coarse_latency_open = false;
  derived.last_heatmap_latency_ms = ms;
  derived.last_heatmap_coarse_latency_ms = derived.heat_coarse_latency_ms;
  derived.last_heatmap_compute_ms = derived.heat_gl.uploaded->compute_ms;
  if (log_latency) {
    const HeatmapResult& r = *derived.heat_gl.uploaded;
    std::fprintf(stderr,
                 "ropescope: heatmaps on screen %.1f ms after the change (coarse preview %.1f ms; seq_len %lld, cells "
                 "[%lld, %lld) x [%lld, %lld), %d x %d texels, compute %.1f ms)\n",
                 ms, derived.heat_coarse_latency_ms, static_cast<long long>(r.seq_len), static_cast<long long>(r.m0),
                 static_cast<long long>(r.m1), static_cast<long long>(r.n0), static_cast<long long>(r.n1),
                 r.rotary.cols, r.rotary.rows, r.compute_ms);
  }
}

bool wait_for_results(AppState& state, Derived& derived, Workers& workers, std::chrono::milliseconds timeout) {
  sync_derived(state, derived, workers);
  const bool ok = workers.decay.wait_idle(timeout) && workers.heatmaps.wait_idle(timeout);
  sync_derived(state, derived, workers);
  return ok;
}

bool open_config_file(AppState& state, const std::string& path) {
  try {
    core::RopeConfig config = core::load_hf_config(path);
    config.seq_len = state.params.config.seq_len;
    core::validate(config);
    state.params.config = config;
    set_source(state, path);
    state.set_status("loaded " + path, false);
    return true;
  } catch (const std::exception& e) {
    state.set_status(std::string("cannot open config: ") + e.what(), true);
    return false;
  }
}

bool apply_preset(AppState& state, size_t index) {
  if (index >= presets().size()) return false;
  const Preset& preset = presets()[index];
  try {
    core::RopeConfig config = preset_config(preset, state.params.config.seq_len);
    core::validate(config);
    state.params.config = config;
    set_source(state, std::string(preset.name) + " (config.json)");
    state.set_status("preset " + std::string(preset.name), false);
    return true;
  } catch (const std::exception& e) {
    state.set_status("preset " + std::string(preset.name) + ": " + e.what(), true);
    return false;
  }
}

}  // namespace rope::app
