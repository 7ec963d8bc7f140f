// `ropescope kvcache`: a decode simulated step by step, cached keys against recomputed ones.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/kvcache.h"

namespace rope::app {

int run_kvcache(const core::RopeConfig& config, const KvCacheCliOptions& options, const OutputOptions& out) {
  core::KvCacheOptions o = options.sim;
  const auto mode = core::parse_kv_cache_mode(options.mode);
  if (!mode) throw core::RopeError("--mode: expected dynamic, longrope or shift (got '" + options.mode + "')");
  o.mode = *mode;
  o.content = parse_generated_content(options.content);
  const core::KvCacheReport r = core::simulate_kv_cache(config, o);
  std::ostringstream s;
  if (out.format() == TableFormat::kJson) {
    nlohmann::json j;
    j["mode"] = std::string(core::to_string(r.options.mode));
    j["prompt"] = r.options.prompt;
    if (r.options.mode == core::KvCacheMode::kShift) {
      j["shift"] = r.options.shift;
      j["repeat"] = r.options.repeat;
    } else {
      j["steps"] = r.options.steps;
    }
    j["recompute_at_switch"] = r.options.recompute_at_switch;
    j["content"] = std::string(core::to_string(r.options.content));
    j["phase_error"] = "largest |angle(cached key) - angle(recomputed key)| over keys and pairs, radians in [0, pi]";
    j["prob_error"] = "largest |p_cached - p_recomputed| over the newest query's softmax row";
    nlohmann::json steps = nlohmann::json::array();
    for (const core::KvCacheStep& st : r.steps) {
      steps.push_back({{"step", st.step}, {"length", st.length}, {"max_phase_error", st.max_phase_error},
                       {"max_phase_key", st.max_phase_key}, {"max_phase_pair", st.max_phase_pair},
                       {"max_prob_error", st.max_prob_error}, {"max_prob_key", st.max_prob_key}});
    }
    j["steps"] = steps;
    j["worst_phase_step"] = r.steps[r.worst_phase_step].step;
    j["worst_prob_step"] = r.steps[r.worst_prob_step].step;
    s << j.dump(2) << "\n";
  } else {
    s << "kvcache " << core::to_string(r.options.mode) << ": prompt " << r.options.prompt;
    if (r.options.mode == core::KvCacheMode::kShift)
      s << ", shift " << r.options.shift << " x " << r.options.repeat << " (step 0: before any shift)";
    else
      s << ", " << r.options.steps << " steps" << (r.options.recompute_at_switch ? ", cache recomputed at the switch" : "");
    s << "; content " << core::to_string(r.options.content) << "\n";
    s << " step   length  max phase error (rad)    key  pair  max prob error    key\n";
    char line[160];
    for (const core::KvCacheStep& st : r.steps) {
      std::snprintf(line, sizeof line, "%5lld  %7lld  %21.6e  %5lld  %4d  %14.6e  %5lld\n", static_cast<long long>(st.step),
                    static_cast<long long>(st.length), st.max_phase_error, static_cast<long long>(st.max_phase_key),
                    st.max_phase_pair, st.max_prob_error, static_cast<long long>(st.max_prob_key));
      s << line;
    }
  }
  write_output(out.path, s.str());
  return 0;
}

}  // namespace rope::app
