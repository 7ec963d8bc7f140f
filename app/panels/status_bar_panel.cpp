// Status bar: a "log" button (the last messages, with times), the newest message (errors in red;
// replaced by the next one, fading after a few seconds), the workers' errors, and at fixed places
// from the right edge what is computing, the last update's timing, the frame rate and, when
// there is room, the keyboard hints. A message too long for its room ends in "..." and shows in
// full in a tooltip.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <span>
#include <string>

#include <imgui.h>
#include <imgui_internal.h>  // ImGui::RenderTextEllipsis

#include "gui/views.h"
#include "panels/panels.h"
#include "panels/widgets.h"

namespace rope::app {
namespace {

const ImVec4 kErrorColor(0.95f, 0.33f, 0.30f, 1.0f);
const ImVec4 kBusyColor(0.95f, 0.75f, 0.20f, 1.0f);
std::string hints_text() {
  return maximise_keys_text() + " maximise, Esc restore | Space play/pause | Ctrl +/- font | Ctrl+Q quit | drop a "
                                "config.json";
}

std::string clock_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

void draw_log_popup(const AppState& state) {
  if (!ImGui::BeginPopup("##status_log")) return;
  if (state.status_log.empty()) ImGui::TextDisabled("No messages yet.");
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
  for (auto it = state.status_log.rbegin(); it != state.status_log.rend(); ++it) {  // newest first
    ImGui::TextDisabled("%s", clock_text(it->wall_time).c_str());
    ImGui::SameLine();
    if (it->is_error) ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    ImGui::TextWrapped("%s", it->text.c_str());
    if (it->is_error) ImGui::PopStyleColor();
  }
  ImGui::PopTextWrapPos();
  ImGui::EndPopup();
}

// `text` in `color` from the cursor to `max_x`, cut with "..." when longer (the whole text then
// in a tooltip); moves the cursor past it on the same line.
void text_until(const std::string& text, ImVec4 color, float max_x) {
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  const float width = std::max(0.0f, std::min(size.x, max_x - pos.x));
  if (width <= 0.0f) return;
  ImGui::PushStyleColor(ImGuiCol_Text, color);
  const ImVec2 end(pos.x + width, pos.y + ImGui::GetFrameHeight());
  const float text_y = pos.y + ImGui::GetStyle().FramePadding.y;
  ImGui::RenderTextEllipsis(ImGui::GetWindowDrawList(), ImVec2(pos.x, text_y), ImVec2(end.x, end.y), end.x, end.x,
                            text.c_str(), nullptr, &size);
  ImGui::PopStyleColor();
  ImGui::Dummy(ImVec2(width, ImGui::GetFrameHeight()));
  if (width < size.x) item_tooltip(text.c_str());
  ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
}

// One tab per page in the bar, as a spreadsheet's sheet tabs: they take no height from the views
// (whose grid and title strips then stay where they were).
void draw_page_tabs(AppState& state) {
  const std::span<const PageDef> all = pages();
  if (all.size() < 2) return;
  const float pad = ImGui::GetStyle().FramePadding.x;
  const float h = ImGui::GetFrameHeight();
  ImGui::PushStyleVar(ImGuiStyleVar_SelectableTextAlign, ImVec2(0.5f, 0.5f));
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) ImGui::SameLine(0.0f, pad);
    const bool selected = state.ui.page == static_cast<int>(i) && state.ui.maximised < 0;
    const std::string id = std::string(all[i].title) + "##page_" + all[i].key;
    if (!selected) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    if (ImGui::Selectable(id.c_str(), selected, 0, ImVec2(ImGui::CalcTextSize(all[i].title).x + 4.0f * pad, h))) {
      state.ui.page = static_cast<int>(i);
      state.ui.maximised = -1;  // a page shows its views
    }
    if (!selected) ImGui::PopStyleColor();
  }
  ImGui::PopStyleVar();
}

}  // namespace

void draw_status_bar(AppState& state, const Derived& derived) {
  const float gap = ImGui::GetFontSize() * 1.5f;
  const float left_x = ImGui::GetCursorScreenPos().x;
  const float right_x = left_x + ImGui::GetContentRegionAvail().x;
  const float text_y = ImGui::GetCursorScreenPos().y + ImGui::GetStyle().FramePadding.y;
  ImDrawList* dl = ImGui::GetWindowDrawList();

  // Right: from the right edge leftwards the hints (only when a message still has room), the
  // frame rate, the timing and a slot as wide as the longest "computing" text.
  char fps[32];
  std::snprintf(fps, sizeof fps, "%.0f fps", ImGui::GetIO().Framerate);
  // The last change (parameters, zoom or pan) that reached the screen: from the change to the
  // frame showing its refined picture, its coarse preview's, and the refined picture's compute.
  char timing[160] = "";
  if (derived.last_heatmap_latency_ms > 0.0) {
    char preview[64] = "";
    if (derived.last_heatmap_coarse_latency_ms >= 0.0)
      std::snprintf(preview, sizeof preview, "coarse preview at %.0f ms, ", derived.last_heatmap_coarse_latency_ms);
    std::snprintf(timing, sizeof timing, "heatmaps: on screen %.0f ms after the change (%scompute %.0f ms)",
                  derived.last_heatmap_latency_ms, preview, derived.last_heatmap_compute_ms);
  }
  char computing[64] = "";
  if (derived.heatmaps_busy || derived.decay_pending) {
    char heat[32] = "";
    if (derived.heatmaps_busy) std::snprintf(heat, sizeof heat, " heatmaps %.0f%%", 100.0 * derived.heatmaps_progress);
    std::snprintf(computing, sizeof computing, "computing%s%s", heat, derived.decay_pending ? " decay" : "");
  }
  const float fps_w = ImGui::CalcTextSize("1000 fps").x;
  const float timing_w = ImGui::CalcTextSize(timing).x;
  const float computing_w = ImGui::CalcTextSize("computing heatmaps 100% decay").x;
  const std::string hint_text = hints_text();
  const float hints_w = ImGui::CalcTextSize(hint_text.c_str()).x;
  const float min_message_w = ImGui::GetFontSize() * 12.0f;
  float x = right_x;
  const bool hints = right_x - left_x - hints_w - fps_w - timing_w - computing_w - 4.0f * gap > min_message_w;
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  if (hints) {
    x -= hints_w;
    dl->AddText(ImVec2(x, text_y), dim, hint_text.c_str());
    x -= gap;
  }
  x -= fps_w;
  dl->AddText(ImVec2(x + fps_w - ImGui::CalcTextSize(fps).x, text_y), dim, fps);
  x -= gap + timing_w;
  dl->AddText(ImVec2(x, text_y), dim, timing);
  // Drawn on the list at fixed places; ImGui's log (copying the bar, the smoke tests) gets them too.
  if (timing[0] != '\0') ImGui::LogText("%s ", timing);
  x -= (timing_w > 0.0f ? gap : 0.0f) + computing_w;
  if (computing[0] != '\0') {
    dl->AddText(ImVec2(x, text_y), ImGui::GetColorU32(kBusyColor), computing);
    ImGui::LogText("%s ", computing);
  }
  const float messages_end = x - gap;

  // Left: the log button, then the message and the workers' errors in what is left.
  if (ImGui::Button("log##status")) ImGui::OpenPopup("##status_log");
  item_tooltip("The last messages, newest first, with the time of each.");
  draw_log_popup(state);
  ImGui::SameLine(0.0f, gap * 0.5f);
  if (pages().size() > 1) {
    draw_page_tabs(state);
    ImGui::SameLine(0.0f, gap * 0.5f);
  }
  if (const double remaining = state.status_remaining(); remaining > 0.0) {
    ImVec4 color = state.status_is_error ? kErrorColor : ImGui::GetStyleColorVec4(ImGuiCol_Text);
    color.w *= static_cast<float>(std::min(1.0, remaining));  // fades over its last second
    text_until(state.status, color, messages_end);
  }
  if (!derived.decay_error.empty()) text_until("decay: " + derived.decay_error, kErrorColor, messages_end);
  if (!derived.heatmaps_error.empty()) text_until("heatmaps: " + derived.heatmaps_error, kErrorColor, messages_end);
  ImGui::NewLine();
}

}  // namespace rope::app
