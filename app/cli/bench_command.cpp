#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/pipeline_bench.h"
#include "core/viewport_bench.h"

namespace rope::app {

int run_bench(const core::RopeConfig& config, const BenchOptions& o) {
  const bool full = o.scenario == "full" || o.scenario == "all";
  const bool viewport = o.scenario == "viewport" || o.scenario == "all";
  if (!full && !viewport) throw core::RopeError("--scenario: expected full, viewport or all (got '" + o.scenario + "')");
  if (o.n < 16 || o.n > 32768) throw core::RopeError("--n must be in [16, 32768]");
  if (o.repetitions < 1 || o.repetitions > 10000) throw core::RopeError("--repetitions must be in [1, 10000]");
  std::string json = "{";
  if (full) {
    core::RopeConfig c = config;
    c.seq_len = o.n;
    const core::PipelineBenchReport report = core::run_pipeline_bench(core::compute_frequencies(c), o.n, o.repetitions);
    if (o.json) {
      json += "\"full\": " + report.to_json();
    } else {
      std::cout << report.to_text() << std::flush;
    }
  }
  if (viewport) {
    core::RopeConfig c = config;
    c.seq_len = 131072;
    const core::ViewportBenchReport report = core::run_viewport_bench(core::compute_frequencies(c), 131072, 1024);
    if (o.json) {
      json += std::string(full ? ", " : "") + "\"viewport\": " + report.to_json();
    } else {
      std::cout << (full ? "\n" : "") << report.to_text() << std::flush;
    }
  }
  if (o.json) std::cout << json << "}\n";
  return 0;
}

}  // namespace rope::app
