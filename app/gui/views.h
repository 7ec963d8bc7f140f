#pragma once
// The views as data: one row per view, one per page (a tab of views grouped by task). The grid,
// maximise (double-click, F keys), `ropescope render --view`, the help texts, the settings and
// the smoke tests all read these tables. Adding a view: one panel file (draw_x_panel in
// app/panels/) plus one row in kViews (app/gui/views.cpp); its page lays it out.
#include <span>
#include <string>
#include <string_view>

#include "gui/app_state.h"

namespace rope::app {

// The configurations a view reads (one bit per session; only A exists yet).
enum SessionMask : unsigned { kSessionA = 1u, kSessionB = 2u };

struct ViewDef {
  const char* key;    // `render --view`, the settings and ImGui ids: "frequencies", ...
  const char* title;  // the view's title strip
  const char* page;   // the key of the page that shows it
  const char* summary;  // one line on what it shows (tooltips)
  void (*draw)(AppState&, Derived&);
  // Its picture is older than the parameters (the strip says "computing"); nullptr: never.
  bool (*busy)(const Derived&) = nullptr;
  // How far that computation is, in [0, 1] (the strip shows a percentage); nullptr: no figure.
  double (*progress)(const Derived&) = nullptr;
  int function_key = 0;  // F<n> maximises / restores it; 0: no key
  // Views with the same cell share one place of their page's grid, switched by tabs in the
  // strip (nullptr: a cell of its own).
  const char* cell = nullptr;
  unsigned sessions = kSessionA;
};

struct PageDef {
  const char* key;
  const char* title;
  // Lays the page's views out in the rest of the current window, body_h pixels high.
  void (*layout)(AppState&, Derived&, const PageDef&, float body_h);
};

std::span<const ViewDef> views();
std::span<const PageDef> pages();
// The row of `key` in views() / pages(), or -1.
int view_index(std::string_view key);
int page_index(std::string_view key);
// The keys `render --view` takes: "frequencies|rotation|...|all".
std::string view_keys_text();
// "F1-F6": the range of the views' maximise keys.
std::string maximise_keys_text();

}  // namespace rope::app
