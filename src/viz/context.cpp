#include "viz/context.h"

namespace rope::viz {

Context& context() {
  static Context ctx;  // the one global of rope_viz; see context.h
  return ctx;
}

}  // namespace rope::viz
