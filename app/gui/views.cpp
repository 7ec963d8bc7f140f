#include "gui/views.h"

#include <algorithm>
#include <iterator>

#include "gui/frame.h"
#include "panels/panels.h"

namespace rope::app {
namespace {

// The first five rows keep the order of the settings' former integer "maximised_view" (0..4).
const ViewDef kViews[] = {
    {"frequencies", "Frequencies", "explore", "The frequency plot: theta or wavelength per pair.",
     [](AppState& s, Derived& d) { draw_frequencies_panel(s, d); }, nullptr, nullptr, 1, "frequencies"},
    {"rotation", "Pair rotation", "explore", "Three pairs' rotation as the query position advances.",
     [](AppState& s, Derived& d) { draw_rotation_panel(s, d); }, nullptr, nullptr, 2},
    {"decay", "Distance decay", "explore", "The RoFormer bound and the mean cosine over distance.",
     [](AppState& s, Derived& d) { draw_decay_panel(s, d); }, [](const Derived& d) { return d.decay_pending; },
     nullptr, 3},
    {"heatmaps", "Heatmaps: absolute | rotary | difference", "explore",
     "Attention logits or softmax without and with RoPE, and their difference.",
     [](AppState& s, Derived& d) { draw_heatmaps_panel(s, d); }, [](const Derived& d) { return d.heatmaps_busy; },
     [](const Derived& d) { return d.heatmaps_progress; }, 4},
    {"pair-table", "Pair table", "explore", "Every pair's numbers in float64.",
     [](AppState& s, Derived& d) { draw_pair_table_panel(s, d); }, nullptr, nullptr, 5, "frequencies"},
    {"edits", "Edits against the source", "config",
     "The parameters that differ from what their preset, file or command line loaded, and the pairs they move.",
     [](AppState& s, Derived& d) { draw_edits_panel(s, d); }, nullptr, nullptr, 6},
};

const PageDef kPages[] = {
    {"explore", "Explore", draw_explore_page},
    {"config", "Config", draw_view_column},
};

}  // namespace

std::span<const ViewDef> views() { return kViews; }
std::span<const PageDef> pages() { return kPages; }

int view_index(std::string_view key) {
  for (size_t i = 0; i < std::size(kViews); ++i)
    if (key == kViews[i].key) return static_cast<int>(i);
  return -1;
}

int page_index(std::string_view key) {
  for (size_t i = 0; i < std::size(kPages); ++i)
    if (key == kPages[i].key) return static_cast<int>(i);
  return -1;
}

std::string view_keys_text() {
  std::string text;
  for (const ViewDef& v : kViews) text += std::string(v.key) + "|";
  return text + "all";
}

std::string maximise_keys_text() {
  int lo = 0, hi = 0;
  for (const ViewDef& v : kViews)
    if (v.function_key > 0) {
      lo = lo == 0 ? v.function_key : std::min(lo, v.function_key);
      hi = std::max(hi, v.function_key);
    }
  return lo == hi ? "F" + std::to_string(lo) : "F" + std::to_string(lo) + "-F" + std::to_string(hi);
}

}  // namespace rope::app
