#pragma once
// Global state of rope_viz in one struct (as polyscope's context.h). The app owns the GL
// context and tells rope_viz whether GL calls are allowed:
//
//   rope::viz::set_gl_enabled(true);   // after a GL 3.3 core context is current (GUI, render)
//   // N-frame smoke tests with no GL backend leave it false (the default): heatmaps then draw a
//   // placeholder rectangle and make no GL call at all.
#include "viz/theme.h"

namespace rope::viz {

struct PlotContext;  // plot.cpp: the plot being drawn and per-plot memory

struct Context {
  bool gl_enabled = false;  // GL calls allowed (a GL >= 3.3 context is current on this thread)
  Theme theme = Theme::kDark;
  PlotContext* plot = nullptr;  // created on first begin_plot, owned by the context
};

Context& context();
inline void set_gl_enabled(bool enabled) { context().gl_enabled = enabled; }
inline bool gl_enabled() { return context().gl_enabled; }

}  // namespace rope::viz
