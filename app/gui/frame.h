#pragma once
// The whole window for one frame: control sidebar, the four views (all, or one maximised),
// the status bar. Shared by the GUI, headless rendering and the no-backend smoke test; call
// between ImGui::NewFrame and ImGui::Render.
#include <optional>

#include "gui/app_state.h"

namespace rope::app {

struct FrameOptions {
  bool sidebar = true;
  bool status_bar = true;
  std::optional<ViewId> only_view;  // draw just this view over the whole window (render --view)
};

// F1..F4 maximise/restore a view, Esc or F11 restores, Ctrl +/- / Ctrl 0 change the font size,
// Space plays / pauses the rotation, Ctrl+Q asks to quit (state.request_quit).
// Keys are read as GLFW key codes (imgui_impl_glfw 1.86 fills io.KeysDown by GLFW key).
void handle_shortcuts(AppState& state);

void draw_frame(AppState& state, Derived& derived, const FrameOptions& options = {});

// Draws one view (header with title, hint and "computing" mark, then the panel) in a child of
// `size` pixels.
void draw_view(AppState& state, Derived& derived, ViewId view, ImVec2 size, bool allow_maximise = true);

}  // namespace rope::app
