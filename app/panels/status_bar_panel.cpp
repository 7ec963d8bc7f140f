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
  if (derived.last_heatmap_latency_ms > 0.0) {
    // The last change (parameters, zoom or pan) that reached the screen: from the change to the
    // frame showing its refined picture, its coarse preview's, and the refined picture's compute.
    char preview[64] = "";
    if (derived.last_heatmap_coarse_latency_ms >= 0.0)
      std::snprintf(preview, sizeof preview, "coarse preview at %.0f ms, ", derived.last_heatmap_coarse_latency_ms);
    dim_text("heatmaps: on screen %.0f ms after the change (%scompute %.0f ms)", derived.last_heatmap_latency_ms,
             preview, derived.last_heatmap_compute_ms);
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
  }
  dim_text("%.0f fps | F1-F4 maximise, Esc restore | Space play/pause | Ctrl +/- font | drop a config.json", ImGui::GetIO().Framerate);
}

}  // namespace rope::app
