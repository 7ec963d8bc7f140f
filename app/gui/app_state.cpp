#include "gui/app_state.h"

namespace rope::app {

namespace {
constexpr const char* kViewTitles[kViewCount] = {"Frequencies", "Pair rotation", "Distance decay",
                                                 "Heatmaps: absolute | rotary | difference", "Pair table"};
constexpr const char* kViewKeys[kViewCount] = {"frequencies", "rotation", "decay", "heatmaps", "pair-table"};
}  // namespace

const char* view_title(ViewId view) { return kViewTitles[static_cast<int>(view)]; }
const char* view_key(ViewId view) { return kViewKeys[static_cast<int>(view)]; }

std::optional<ViewId> parse_view_key(const std::string& key) {
  for (int i = 0; i < kViewCount; ++i)
    if (key == kViewKeys[i]) return static_cast<ViewId>(i);
  return std::nullopt;
}

void reset_to_default(AppState& state) {
  state.params = ComputeParams{};
  state.params.config = core::RopeConfig{};
  state.source_label = "built-in default (Llama-2-like head)";
}

}  // namespace rope::app
