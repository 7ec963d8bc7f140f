// `ropescope diff A B`: where two configurations' rotations differ (a model-conversion check).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/config_diff.h"
#include "core/error.h"

namespace rope::app {
namespace {

// The shared rope options, the side's file, then its KEY=VALUE settings (rope option names
// without dashes; '_' and '-' both work), parsed as the flags they name.
core::RopeConfig side_config(const RopeCliOptions& shared, const std::string& file, const std::vector<std::string>& sets,
                             const char* side) {
  RopeCliOptions o = shared;
  o.model_config = file;
  if (!sets.empty()) {
    CLI::App parser;
    add_rope_options(parser, o);
    std::vector<std::string> args;
    for (const std::string& kv : sets) {
      const size_t eq = kv.find('=');
      std::string key = kv.substr(0, eq);
      std::replace(key.begin(), key.end(), '_', '-');
      if (eq == std::string::npos || eq == 0 || key == "model-config")
        throw core::RopeError(std::string("--set-") + side + ": expected KEY=VALUE with a rope option name (got '" + kv + "')");
      if (!parser.get_option_no_throw("--" + key))
        throw core::RopeError(std::string("--set-") + side + ": unknown rope option '" + key + "' in '" + kv + "'");
      args.push_back("--" + key);
      args.push_back(kv.substr(eq + 1));
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector of arguments last first
    try {
      parser.parse(args);
    } catch (const CLI::ParseError& e) {
      throw core::RopeError(std::string("--set-") + side + ": " + e.what());
    }
  }
  try {
    return resolve_rope_config(o);
  } catch (const core::RopeError& e) {
    throw core::RopeError(std::string(side == std::string("a") ? "A" : "B") + " (" + file + "): " + e.what());
  }
}

}  // namespace

int run_diff(const RopeCliOptions& shared, const DiffOptions& options, const OutputOptions& out) {
  const core::RopeConfig a = side_config(shared, options.a_path, options.set_a, "a");
  const core::RopeConfig b = side_config(shared, options.b_path, options.set_b, "b");
  const int64_t context = options.context.value_or(std::max(a.seq_len, b.seq_len));
  const core::ConfigDiff d = core::diff_configs(a, b, context);
  const bool differs = d.max_rel_diff > options.rtol || d.structure_differs;
  std::ostringstream s;
  if (out.json) {
    nlohmann::json j;
    j["inv_freq_a"] = d.a.inv_freq;
    j["inv_freq_b"] = d.b.inv_freq;
    j["rel_diff"] = d.rel_diff;
    j["max_rel_diff"] = d.max_rel_diff;
    j["first_differing_pair"] = d.first_differing_pair ? nlohmann::json(*d.first_differing_pair) : nlohmann::json(nullptr);
    j["attention_factor_a"] = d.a.attention_factor;
    j["attention_factor_b"] = d.b.attention_factor;
    j["head_dim_a"] = d.a.head_dim;
    j["head_dim_b"] = d.b.head_dim;
    j["rotary_dim_a"] = d.a.rotary_dim;
    j["rotary_dim_b"] = d.b.rotary_dim;
    j["layout_a"] = std::string(core::to_string(d.a.layout));
    j["layout_b"] = std::string(core::to_string(d.b.layout));
    j["context"] = d.context;
    j["max_abs_logit_diff"] = d.max_abs_logit_diff;
    j["max_abs_logit_diff_distance"] = d.max_abs_logit_diff_distance;
    j["differences"] = d.differences;
    j["differs"] = differs;
    s << j.dump(2) << "\n";
  } else {
    if (d.differences.empty()) {
      s << "same rotation: every inv_freq, the attention factor and the layout agree\n";
    } else {
      s << (differs ? "differ" : "agree within rtol " + std::to_string(options.rtol)) << ": B:";
      for (size_t i = 0; i < d.differences.size(); ++i) s << (i ? ", " : " ") << d.differences[i];
      s << "\n";
    }
    char line[200];
    std::snprintf(line, sizeof line, "max |logit A - logit B| %.6g at distance %lld (constant content, seed 0, r in [0, %lld))\n",
                  d.max_abs_logit_diff, static_cast<long long>(d.max_abs_logit_diff_distance),
                  static_cast<long long>(d.context));
    s << line;
  }
  write_output(out.path, s.str());
  return options.fail_on_diff && differs ? 1 : 0;
}

}  // namespace rope::app
