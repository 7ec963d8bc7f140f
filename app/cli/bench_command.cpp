#include "cli/commands.h"
#include "core/error.h"

namespace rope::app {

int run_bench(const core::RopeConfig&, const BenchOptions&) {
  throw core::RopeError("bench: the pipeline benchmark is not wired into this build yet");
}

}  // namespace rope::app
