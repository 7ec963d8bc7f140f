#pragma once
// Global state of rope_viz in one struct (as polyscope's context.h). The app owns the GL
// context and tells rope_viz whether GL calls are allowed:
//
//   rope::viz::set_gl_enabled(true);   // after a GL 3.3 core context is current (GUI, render)
//   // N-frame smoke tests with no GL backend leave it false (the default): heatmaps then draw a
//   // placeholder rectangle and make no GL call at all.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "viz/theme.h"

namespace rope::viz {

struct PlotContext;  // plot.cpp: the plot being drawn and per-plot memory

struct Context {
  bool gl_enabled = false;  // GL calls allowed (a GL >= 3.3 context is current on this thread)
  Theme theme = Theme::kDark;
  PlotContext* plot = nullptr;  // created on first begin_plot, owned by the context
  // Counts changes of the pixels of textures shown with AddImage whose GL name stays the same
  // (a heatmap re-coloured in place): a retained renderer (FrameCache) draws them again. Per
  // texture name, the count at its last change; all_textures_changed_at: at the last change of
  // every texture at once.
  uint64_t texture_generation = 0;
  std::unordered_map<uint64_t, uint64_t> texture_changed_at;
  uint64_t all_textures_changed_at = 0;
  // heatmap.cpp: the colouring program, colormap texture and VAO that every heatmap shares (one
  // set per GL context); deleted by set_gl_enabled(false).
  std::shared_ptr<void> heatmap_colouring;
};

Context& context();
// Call set_gl_enabled(false) while the GL context is still current: it deletes the GL objects
// rope_viz shares between widgets (a later context gets its own).
void set_gl_enabled(bool enabled);
inline bool gl_enabled() { return context().gl_enabled; }
inline uint64_t texture_generation() { return context().texture_generation; }
// Every texture's pixels may have changed.
inline void mark_textures_changed() { context().all_textures_changed_at = ++context().texture_generation; }
// The pixels of the texture with GL name `texture` changed.
inline void mark_texture_changed(uint64_t texture) {
  Context& ctx = context();
  ctx.texture_changed_at[texture] = ++ctx.texture_generation;
}
// The texture_generation() at the last change of `texture`'s pixels (0: none since start).
inline uint64_t texture_changed_at(uint64_t texture) {
  const Context& ctx = context();
  const auto it = ctx.texture_changed_at.find(texture);
  return std::max(ctx.all_textures_changed_at, it == ctx.texture_changed_at.end() ? uint64_t{0} : it->second);
}

}  // namespace rope::viz
