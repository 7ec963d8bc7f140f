#pragma once
// One free function per panel (one file each). Each draws into the current ImGui window/child.
#include "gui/app_state.h"

namespace rope::app {

void draw_controls_panel(AppState& state, Derived& derived);
void draw_frequencies_panel(AppState& state, const Derived& derived);
void draw_rotation_panel(AppState& state, const Derived& derived);  // animates with io.DeltaTime
void draw_decay_panel(AppState& state, const Derived& derived);
void draw_heatmaps_panel(AppState& state, Derived& derived);
// The height a heatmaps view `width` pixels wide needs to show its maps (side by side on one
// row, or on two) as large as the width allows, with their titles, header and notes (current
// font).
float heatmaps_view_height(const AppState& state, float width, int rows = 1);
// The side of each map's image in a heatmaps view `width` pixels wide and tall enough.
float heatmaps_map_side(const AppState& state, float width, int rows = 1);
void draw_status_bar(AppState& state, const Derived& derived);
// Every pair's numbers (core::pair_table) with TSV copy and CSV export.
void draw_pair_table_panel(AppState& state, const Derived& derived);
// The parameters that differ from what their source loaded (the second page's view).
void draw_edits_panel(AppState& state, Derived& derived);
// The context whose rotations the pair table and the frequencies pins show (seq_len).
double pair_table_context(const Derived& derived);
// A grid cell shared by views (ViewDef::cell, e.g. the frequencies plot and the pair table): their
// tabs in the title strip (top-left strip_min, strip_h high) switch between them; `shown` is the
// row in views() of the one shown. Returns whether a tab is hovered (the strip's double-click
// then does not maximise).
bool draw_cell_tabs(AppState& state, int shown, ImVec2 strip_min, float strip_h);
// The title strip's width the cell tabs of `shown` take.
float cell_tabs_width(int shown);

// The three pairs the rotation view shows: state's choice, or fast / middle / slowest.
std::array<int, 3> rotation_pairs(const RotationState& rotation, int num_pairs);

}  // namespace rope::app
