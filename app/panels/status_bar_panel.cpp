// Status bar: the last message (errors in red), what is computing, the last update latency and
// the keyboard hints.
#include <cstdio>

#include <imgui.h>

#include "panels/panels.h"
#include "panels/widgets.h"

namespace rope::app {

void draw_status_bar(AppState& state, const Derived& derived) {
  if (!state.status.empty()) {
    if (state.status_is_error) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.33f, 0.30f, 1.0f));
      ImGui::TextUnformatted(state.status.c_str());
      ImGui::PopStyleColor();
    } else {
      ImGui::TextUnformatted(state.status.c_str());
    }
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  if (!derived.decay_error.empty()) {
    ImGui::TextColored(ImVec4(0.95f, 0.33f, 0.30f, 1.0f), "decay: %s", derived.decay_error.c_str());
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  if (!derived.heatmaps_error.empty()) {
    ImGui::TextColored(ImVec4(0.95f, 0.33f, 0.30f, 1.0f), "heatmaps: %s", derived.heatmaps_error.c_str());
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  if (derived.heatmaps_busy || derived.decay_pending) {
    char heat[48] = "";
    if (derived.heatmaps_busy)
      std::snprintf(heat, sizeof heat, " heatmaps %.0f%%", 100.0 * derived.heatmaps_progress);
    ImGui::TextColored(ImVec4(0.95f, 0.75f, 0.20f, 1.0f), "computing%s%s", heat, derived.decay_pending ? " decay" : "");
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  if (derived.heatmaps) {
    dim_text("heatmaps: %.0f ms compute, ready %.0f ms after the change", derived.heatmaps->compute_ms,
             derived.last_heatmap_latency_ms);
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  dim_text("%.0f fps | F1-F5 maximise, Esc restore | Space play/pause | Ctrl +/- font | drop a config.json", ImGui::GetIO().Framerate);
}

}  // namespace rope::app
