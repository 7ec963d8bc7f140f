#include "gui/app_state.h"

#include <algorithm>

namespace rope::app {

void AppState::set_status(std::string message, bool is_error) {
  status = std::move(message);
  status_is_error = is_error && !status.empty();
  status_time = clock;
  if (status.empty()) return;
  status_log.push_back(StatusEntry{status, is_error, clock, std::chrono::system_clock::now()});
  while (status_log.size() > kStatusLogSize) status_log.pop_front();
}

double AppState::status_remaining() const {
  if (status.empty()) return 0.0;
  const double life = status_is_error ? kStatusErrorSeconds : kStatusInfoSeconds;
  return std::max(0.0, status_time + life - clock);
}

void reset_to_default(AppState& state) {
  state.params = ComputeParams{};
  state.params.config = core::RopeConfig{};
  set_source(state, "built-in default (Llama-2-like head)");
}

void set_source(AppState& state, std::string label) {
  state.source_label = std::move(label);
  state.source_config = state.params.config;
}

bool source_edited(const AppState& state) {
  if (!state.source_config) return true;
  core::RopeConfig source = *state.source_config;
  source.seq_len = state.params.config.seq_len;
  return !(source == state.params.config);
}

std::string source_text(const AppState& state) {
  return source_edited(state) ? state.source_label + ", edited" : state.source_label;
}

void follow_seq_len(AppState& state) {
  if (state.decay_distance_set) return;
  state.params.decay_max_distance = std::clamp<int64_t>(state.params.config.seq_len, 16, kMaxDecayDistance);
}

}  // namespace rope::app
