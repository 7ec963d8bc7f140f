#pragma once
// Small control helpers shared by the panels: every slider comes with a typed entry next to it
// and a tooltip on both.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

namespace rope::app {

// Tooltip for the last item, wrapped at a readable width.
void item_tooltip(const char* text);
// A "(?)" marker with a tooltip.
void help_marker(const char* text);

// Label on its own line, then [slider][entry]. The slider covers [min, max] (log scale when
// `log`); the entry takes what is typed, clamped to [entry_min, entry_max] (kAnyLow<T>, kAnyHigh<T>
// for a field validated elsewhere: the typed value is kept as typed; a clamped value says so
// under the field while the field holds it). `error` (nullptr when the value is
// valid) says why the value cannot be used: the entry is drawn in the error colour and the reason
// on the lines under it. Returns true when the value changed this frame.
bool slider_double(const char* label, const char* id, double* value, double min, double max, bool log,
                   const char* format, const char* tooltip, double entry_min, double entry_max,
                   const char* error = nullptr);
bool slider_int64(const char* label, const char* id, int64_t* value, int64_t min, int64_t max, bool log,
                  const char* tooltip, int64_t entry_min, int64_t entry_max, const char* error = nullptr);
bool slider_int(const char* label, const char* id, int* value, int min, int max, const char* tooltip,
                int entry_min, int entry_max, int step = 1, const char* error = nullptr);
bool slider_float(const char* label, const char* id, float* value, float min, float max, const char* format,
                  const char* tooltip, bool log = false);
// Entry limits that keep every typed value.
template <class T>
inline constexpr T kAnyLow = std::numeric_limits<T>::lowest();
template <class T>
inline constexpr T kAnyHigh = std::numeric_limits<T>::max();

// The colour of invalid values and their reasons in the current theme.
ImVec4 error_color();
// `text` in the error colour, broken at spaces to the content region's width.
void error_text_wrapped(std::string_view text);

// A row of radio buttons (or check boxes: the same width) after a label or another item that
// wraps instead of running past the panel's edge; an option that goes to the next line starts
// under the row's first option.
//   RadioRow row;
//   row.next("NeoX##layout");  ImGui::RadioButton("NeoX##layout", ...);
//   row.next("GPT-J##layout"); ImGui::RadioButton("GPT-J##layout", ...);
class RadioRow {
 public:
  // Before the radio button labelled `label`: on the line of the last item when it fits there,
  // else on the next line.
  void next(const char* label);

 private:
  float first_x_ = -1.0f;  // where the row's first option starts (screen x)
};

// Text in the colour of the theme's "disabled" text.
void dim_text(const char* fmt, ...);

// Lines of `text` no wider than `width` (as `measure` gives it), broken at spaces only: ImGui's
// own wrapping also breaks after '.', ',' and ';', which split numbers such as 0.00368 and ranges
// such as 0..65.54k across lines. A word wider than `width` keeps a line to itself; '\n' ends a
// line.
std::vector<std::string> wrap_at_spaces(std::string_view text, float width,
                                        const std::function<float(std::string_view)>& measure);
// printf-style text wrapped that way at `width` pixels from the cursor (<= 0: the rest of the
// content region); dim: in the theme's "disabled" colour.
void text_wrapped(float width, const char* fmt, ...);
void dim_text_wrapped(float width, const char* fmt, ...);
// The height text_wrapped(width, "%s", text) takes (at least one line).
float text_wrapped_height(std::string_view text, float width);

// The frame-cache rules every panel follows (viz::FrameCache, used under software GL: it keeps
// last frame's pixels and draws again only where a draw list changed; a child window is a draw
// list of its own, everything else of a panel is in its view's list):
//   1. What changes while the rest of the panel stays (an animated plot, a read-out that counts,
//      a progress figure, a map whose picture arrives, a hover line) goes in a panel_part child,
//      so that a change costs that child's rectangle and not the whole view. A panel that puts
//      such a part in its own list still draws correctly, only slower (the whole view each frame).
//   2. Give every part a stable id and a size that does not follow its contents (size it for the
//      widest text it can show: a part that moves or resizes dirties both rectangles).
//   3. Draw what a part shows inside its rectangle (plus `below`): the cache clips a list's
//      redraw to where it changed, so pixels a list puts outside its window are not kept.
//   4. A texture whose pixels change under the same GL name (a heatmap re-coloured in place) is
//      announced with viz::mark_texture_changed, or the cache keeps its old picture.
//   5. Nothing of a view may rely on the root window's background: the frame is cleared to
//      WindowBg instead, and every dirty place is wiped to that colour before it is drawn again.
//
// A part of a panel that changes while the rest stays (rule 1) in a child window of its own,
// `size` pixels, holding what `draw` puts there: under software GL the frame cache then draws
// again only its rectangle, not the whole panel. No padding, background or scrolling: it looks
// like the items it holds. The child also takes `below` pixels under `size` (glyphs that reach
// below the line height) without moving the next line down.
inline constexpr ImGuiWindowFlags kPanelPartFlags =
    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoBackground;
void panel_part(const char* id, ImVec2 size, const std::function<void()>& draw, float below = 0.0f);

}  // namespace rope::app
