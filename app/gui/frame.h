#pragma once
// The whole window for one frame: control sidebar, the page tabs and the page's views (or one
// view maximised), the status bar. Shared by the GUI, headless rendering and the no-backend smoke
// test; call between ImGui::NewFrame and ImGui::Render.
#include <optional>

#include "gui/app_state.h"

namespace rope::app {

struct FrameOptions {
  bool sidebar = true;
  bool status_bar = true;
  std::optional<int> only_view;  // draw just this row of views() over the whole window (render --view)
};

// A view's function key (ViewDef::function_key) maximises / restores it, Esc or F11 restores,
// Ctrl +/- / Ctrl 0 change the font size, Space plays / pauses the rotation, Ctrl+Q asks to quit
// (state.request_quit).
// Keys are read as GLFW key codes (imgui_impl_glfw 1.86 fills io.KeysDown by GLFW key).
void handle_shortcuts(AppState& state);

void draw_frame(AppState& state, Derived& derived, const FrameOptions& options = {});

// Draws views()[view] (header with title, hint and "computing" mark, then the panel) in a child
// of `size` pixels.
void draw_view(AppState& state, Derived& derived, int view, ImVec2 size, bool allow_maximise = true);

struct PageDef;
// Page layouts (PageDef::layout): the first page's grid (the three plots in a row, the heatmaps
// across below, or one scrolling column where that leaves a view unreadable), and the default:
// the page's views one under the other, sharing the height.
void draw_explore_page(AppState& state, Derived& derived, const PageDef& page, float body_h);
void draw_view_column(AppState& state, Derived& derived, const PageDef& page, float body_h);

}  // namespace rope::app
