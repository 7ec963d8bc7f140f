#include "gui/frame.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>

#include "gui/views.h"
#include "panels/panels.h"
#include "panels/widgets.h"

namespace rope::app {
namespace {

void toggle_maximise(AppState& state, int view) { state.ui.maximised = state.ui.maximised == view ? -1 : view; }

void change_font(AppState& state, float delta) {
  const float size = delta == 0.0f ? kDefaultFontSize : state.ui.font_size + delta;
  state.ui.font_size = std::clamp(size, kMinFontSize, kMaxFontSize);
  state.request_font_rebuild = true;
}

}  // namespace

void handle_shortcuts(AppState& state) {
  const ImGuiIO& io = ImGui::GetIO();
  const std::span<const ViewDef> all = views();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].function_key > 0 && ImGui::IsKeyPressed(GLFW_KEY_F1 + all[i].function_key - 1, false))
      toggle_maximise(state, static_cast<int>(i));
  if (!io.WantTextInput && (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false) || ImGui::IsKeyPressed(GLFW_KEY_F11, false)))
    state.ui.maximised = -1;
  if (!io.WantTextInput && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) state.rotation.playing = !state.rotation.playing;
  if (io.KeyCtrl) {
    if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)) change_font(state, 1.0f);
    if (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)) change_font(state, -1.0f);
    if (ImGui::IsKeyPressed(GLFW_KEY_0, false) || ImGui::IsKeyPressed(GLFW_KEY_KP_0, false)) change_font(state, 0.0f);
    if (ImGui::IsKeyPressed(GLFW_KEY_Q, false)) state.request_quit = true;
  }
}

void draw_view(AppState& state, Derived& derived, int v, ImVec2 size, bool allow_maximise) {
  const ViewDef& view = views()[static_cast<size_t>(v)];
  const std::string child_id = std::string("##view_") + view.key;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(ImGui::GetFontSize() * 0.4f, ImGui::GetFontSize() * 0.3f));
  ImGui::BeginChild(child_id.c_str(), size, true, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  ImGui::PopStyleVar();

  // Header: a title strip; double-click maximises / restores.
  const bool maximised = state.ui.maximised == v;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetFrameHeight();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + h), ImGui::GetColorU32(ImGuiCol_TitleBgActive), 3.0f);
  const std::string header_id = std::string("##header_") + view.key;
  ImGui::InvisibleButton(header_id.c_str(), ImVec2(w, h));
  bool strip_hovered = ImGui::IsItemHovered();
  if (allow_maximise)
    item_tooltip(maximised ? "Double-click (or Esc) to restore the grid." : "Double-click to maximise this view.");
  // A cell shared by views holds them one at a time: tabs in the strip instead of the title.
  const bool tabs = allow_maximise && view.cell != nullptr;
  if (tabs) {
    ImGui::SetItemAllowOverlap();
    strip_hovered = !draw_cell_tabs(state, v, p0, h) && strip_hovered;
  }
  if (allow_maximise && strip_hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    toggle_maximise(state, v);
  const float pad = ImGui::GetStyle().FramePadding.x;
  const float text_y = p0.y + (h - ImGui::GetFontSize()) * 0.5f;
  if (!tabs) dl->AddText(ImVec2(p0.x + pad, text_y), ImGui::GetColorU32(ImGuiCol_Text), view.title);
  // The hint at the strip's right end ("computing...", the maximise key) is a child window of
  // its own, over the strip and as wide as its longest text: when it changes, the frame cache
  // draws again only that corner, not the whole view. It takes no input (the strip below gets the
  // double-click).
  const bool pending = view.busy && view.busy(derived);
  char key_text[48] = "";
  if (allow_maximise && view.function_key > 0)
    std::snprintf(key_text, sizeof key_text, maximised ? "Esc: restore (or F%d)" : "F%d: maximise", view.function_key);
  // Views with a progress figure say how far they are (the heatmaps' panel has no room for it on
  // narrow windows).
  const bool with_percent = view.progress != nullptr;
  char computing_text[48];
  std::snprintf(computing_text, sizeof computing_text, with_percent ? "computing %.0f%%   " : "computing\xE2\x80\xA6   ",
                with_percent ? 100.0 * view.progress(derived) : 0.0);
  const std::string computing = computing_text;
  // The key only where it fits beside the title (or the tabs): on a narrow strip the title wins.
  const float title_w = tabs ? cell_tabs_width(v) : pad + ImGui::CalcTextSize(view.title).x;
  const std::string widest_computing = with_percent ? std::string("computing 100%   ") : computing;
  const bool key_fits = ImGui::CalcTextSize((widest_computing + key_text).c_str()).x + 2.0f * pad <= w - title_w;
  const std::string key = key_fits ? key_text : "";
  const std::string widest = widest_computing + key;
  const std::string hint = (pending ? computing : std::string()) + key;
  const float hint_w = ImGui::CalcTextSize(widest.c_str()).x + pad;
  const ImVec2 after_strip = ImGui::GetCursorScreenPos();
  ImGui::SetCursorScreenPos(ImVec2(p0.x + w - hint_w, p0.y));
  const std::string hint_id = std::string("##hint_") + view.key;
  ImGui::BeginChild(hint_id.c_str(), ImVec2(hint_w, h), false,
                    ImGuiWindowFlags_NoInputs | ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoBackground);
  if (!hint.empty()) {
    const float hw = ImGui::CalcTextSize(hint.c_str()).x;
    const ImU32 color = pending ? IM_COL32(240, 190, 60, 255) : ImGui::GetColorU32(ImGuiCol_TextDisabled);
    ImGui::GetWindowDrawList()->AddText(ImVec2(p0.x + w - hw - pad, text_y), color, hint.c_str());
  }
  ImGui::EndChild();
  ImGui::SetCursorScreenPos(after_strip);

  view.draw(state, derived);
  ImGui::EndChild();
}

namespace {

// The gap between the sidebar and the views: dragging it sets the sidebar's width (in font
// sizes, so that it follows the font), a double-click restores the default.
void sidebar_splitter(AppState& state, float sidebar_x, float height) {
  const ImGuiIO& io = ImGui::GetIO();
  const float font = ImGui::GetFontSize();
  const float w = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##sidebar_splitter", ImVec2(w, height));
  const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
  if (hovered || active) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
  if (active && io.MouseDelta.x != 0.0f)
    state.ui.sidebar_width =
        std::clamp((io.MousePos.x - sidebar_x - 0.5f * w) / font, kMinSidebarWidth, kMaxSidebarWidth);
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) state.ui.sidebar_width = kDefaultSidebarWidth;
  if (hovered || active) {
    const float x = std::floor(p0.x + 0.5f * w) + 0.5f;
    ImGui::GetWindowDrawList()->AddLine(ImVec2(x, p0.y), ImVec2(x, p0.y + height),
                                        ImGui::GetColorU32(active ? ImGuiCol_SeparatorActive : ImGuiCol_SeparatorHovered),
                                        2.0f);
  }
}

// The smallest readable view in font sizes: plots keep their ticks, titles and legends apart,
// the heatmaps maps of a readable size.
constexpr float kMinPlotWidthFonts = 13.0f;
constexpr float kMinViewHeightFonts = 16.0f;
constexpr float kMinMapFonts = 7.0f;

}  // namespace

// The first page's views in `body_h` pixels (the rest of the width): the three plots in a row
// with the heatmaps across below; or, where that leaves a view unreadable (narrow windows, large
// fonts), one column of views that scrolls. (A 2 x 2 grid gives the heatmaps too narrow a cell:
// with their colour bars, three maps in 60% of 830 px are 80 px wide.)
void draw_explore_page(AppState& state, Derived& derived, const PageDef&, float body_h) {
  const float font = ImGui::GetFontSize();
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail(ImGui::GetContentRegionAvail().x, body_h);
  const ImVec2 spacing = style.ItemSpacing;
  const float rows_h = avail.y - spacing.y;
  const float min_h = kMinViewHeightFonts * font, min_map = std::max(110.0f, kMinMapFonts * font);

  // The maps' side in a heatmaps view of w x h pixels.
  const auto map_side = [&state](float w, float h) {
    const float side = heatmaps_map_side(state, w);
    return std::min(side, h - (heatmaps_view_height(state, w) - side));
  };
  // Wide: the three plots side by side on top, the heatmaps (square maps side by side) over the
  // whole width below, as tall as the width lets the maps be, within 45-70% of the height and
  // leaving the plots min_h.
  const float row_w = avail.x - 2.0f * spacing.x;
  const float freq_w = std::floor(row_w * 0.28f), rotation_w = std::floor(row_w * 0.42f);
  const float bottom_max = std::max(0.45f * rows_h, std::min(0.70f * rows_h, rows_h - min_h));
  const float wide_bottom_h = std::floor(std::clamp(heatmaps_view_height(state, avail.x), 0.45f * rows_h, bottom_max));
  const bool wide = freq_w >= kMinPlotWidthFonts * font && rows_h - wide_bottom_h >= min_h &&
                    map_side(avail.x, wide_bottom_h) >= min_map;
  const bool column = !wide;
  const int freq_cell = view_index(state.exact.freq_cell_shows_table ? "pair-table" : "frequencies");
  const int rotation = view_index("rotation"), decay = view_index("decay"), heatmaps = view_index("heatmaps");

  ImGui::BeginChild("##views", ImVec2(0.0f, body_h), false,
                    column ? ImGuiWindowFlags_None : ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  if (wide) {
    const float top_h = rows_h - wide_bottom_h;
    draw_view(state, derived, freq_cell, ImVec2(freq_w, top_h));
    ImGui::SameLine();
    draw_view(state, derived, rotation, ImVec2(rotation_w, top_h));
    ImGui::SameLine();
    draw_view(state, derived, decay, ImVec2(row_w - freq_w - rotation_w, top_h));
    draw_view(state, derived, heatmaps, ImVec2(avail.x, wide_bottom_h));
  } else {
    // Column: every view over the whole width (less the scroll bar), about two on screen at a
    // time, none lower than readable.
    const float w = avail.x - style.ScrollbarSize;
    const float plot_h = std::floor(std::max(min_h, 0.5f * (rows_h - spacing.y)));
    for (int view : {freq_cell, rotation, decay})
      draw_view(state, derived, view, ImVec2(w, plot_h));
    // The heatmaps on two rows where that shows them larger (the panel then chooses two rows).
    const int map_rows = heatmaps_map_side(state, w, 2) > 1.2f * heatmaps_map_side(state, w, 1) ? 2 : 1;
    draw_view(state, derived, heatmaps,
              ImVec2(w, std::floor(std::max(min_h, heatmaps_view_height(state, w, map_rows)))));
  }
  ImGui::EndChild();
}

void draw_view_column(AppState& state, Derived& derived, const PageDef& page, float body_h) {
  std::vector<int> shown;
  for (size_t i = 0; i < views().size(); ++i)
    if (std::string_view(views()[i].page) == page.key) shown.push_back(static_cast<int>(i));
  const float spacing = ImGui::GetStyle().ItemSpacing.y;
  const float min_h = kMinViewHeightFonts * ImGui::GetFontSize();
  const float n = static_cast<float>(std::max<size_t>(1, shown.size()));
  const float h = std::floor(std::max(min_h, (body_h - spacing * (n - 1.0f)) / n));
  const bool scrolls = h * n + spacing * (n - 1.0f) > body_h;
  ImGui::BeginChild("##views", ImVec2(0.0f, body_h), false,
                    scrolls ? ImGuiWindowFlags_None : ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const float w = ImGui::GetContentRegionAvail().x - (scrolls ? ImGui::GetStyle().ScrollbarSize : 0.0f);
  for (int view : shown) draw_view(state, derived, view, ImVec2(w, h));
  ImGui::EndChild();
}

namespace {

// The views in `body_h` pixels (the rest of the width): one maximised, else the page's layout.
void draw_views(AppState& state, Derived& derived, float body_h) {
  const int maximised = state.ui.maximised;
  if (maximised >= 0 && maximised < static_cast<int>(views().size())) {
    ImGui::BeginChild("##views", ImVec2(0.0f, body_h), false,
                      ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    draw_view(state, derived, maximised, ImVec2(0.0f, 0.0f));
    ImGui::EndChild();
    return;
  }
  state.ui.page = std::clamp(state.ui.page, 0, static_cast<int>(pages().size()) - 1);
  const PageDef& page = pages()[static_cast<size_t>(state.ui.page)];
  page.layout(state, derived, page, body_h);
}

}  // namespace

void draw_frame(AppState& state, Derived& derived, const FrameOptions& options) {
  const ImGuiIO& io = ImGui::GetIO();
  state.clock += io.DeltaTime;
  ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
  ImGui::SetNextWindowSize(io.DisplaySize);
  const float pad = ImGui::GetFontSize() * 0.3f;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(pad, pad));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0.0f);
  // No background: the frame is cleared to WindowBg instead (one full-window blended quad less for
  // a software rasteriser, and viz::FrameCache relies on nothing of this window under the views).
  ImGui::Begin("##ropescope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollWithMouse |
                   ImGuiWindowFlags_NoBackground);
  ImGui::PopStyleVar(2);

  if (options.only_view) {
    draw_view(state, derived, *options.only_view, ImVec2(0.0f, 0.0f), false);
    ImGui::End();
    return;
  }

  const float status_h = options.status_bar ? ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y : 0.0f;
  const float body_h = std::max(ImGui::GetFontSize() * 4.0f, ImGui::GetContentRegionAvail().y - status_h);
  if (options.sidebar) {
    const float sidebar_x = ImGui::GetCursorScreenPos().x;
    const float sidebar_w = std::clamp(ImGui::GetFontSize() * state.ui.sidebar_width, 200.0f,
                                       std::max(200.0f, io.DisplaySize.x * 0.45f));
    ImGui::BeginChild("##sidebar", ImVec2(sidebar_w, body_h), true);
    draw_controls_panel(state, derived);
    ImGui::EndChild();
    ImGui::SameLine(0.0f, 0.0f);
    sidebar_splitter(state, sidebar_x, body_h);
    ImGui::SameLine(0.0f, 0.0f);
  }
  draw_views(state, derived, body_h);
  if (options.status_bar) {
    ImGui::Separator();
    draw_status_bar(state, derived);
  }
  ImGui::End();
}

}  // namespace rope::app
