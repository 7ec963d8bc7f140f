#include "viz/context.h"

namespace rope::viz {

Context& context() {
  static Context ctx;  // the one global of rope_viz; see context.h
  return ctx;
}

void set_gl_enabled(bool enabled) {
  Context& ctx = context();
  if (!enabled) ctx.heatmap_colouring.reset();
  ctx.gl_enabled = enabled;
}

}  // namespace rope::viz
