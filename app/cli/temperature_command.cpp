// `ropescope temperature`: entropy and largest probability of the newest query's softmax row
// against the context length, with and without the attention factor.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/temperature.h"

namespace rope::app {

int run_temperature(const core::RopeConfig& config, const TemperatureOptions& options, const OutputOptions& out) {
  const core::ContentKind content = parse_generated_content(options.content);
  const std::vector<int64_t> lengths =
      options.lengths.empty() ? core::default_temperature_lengths(config) : options.lengths;
  const std::vector<core::TemperaturePoint> points = core::attention_temperature(config, content, options.seed, lengths);
  const int64_t original = core::compute_frequencies(config).original_max;
  std::ostringstream s;
  switch (out.format()) {
    case TableFormat::kJson: {
      nlohmann::json j;
      j["content"] = std::string(core::to_string(content));
      j["original_context"] = original;
      j["entropy"] = "nats, of the newest query's causal softmax row (query at length - 1)";
      nlohmann::json rows = nlohmann::json::array();
      for (const core::TemperaturePoint& p : points)
        rows.push_back({{"length", p.length}, {"attention_factor", p.attention_factor}, {"entropy", p.entropy},
                        {"max_prob", p.max_prob}, {"entropy_unscaled", p.entropy_unscaled},
                        {"max_prob_unscaled", p.max_prob_unscaled}});
      j["points"] = rows;
      s << j.dump(2) << "\n";
      break;
    }
    case TableFormat::kCsv:
      s << "length,attention_factor,entropy,max_prob,entropy_unscaled,max_prob_unscaled\n";
      for (const core::TemperaturePoint& p : points) {
        char line[200];
        std::snprintf(line, sizeof line, "%lld,%.17g,%.17g,%.17g,%.17g,%.17g\n", static_cast<long long>(p.length),
                      p.attention_factor, p.entropy, p.max_prob, p.entropy_unscaled, p.max_prob_unscaled);
        s << line;
      }
      break;
    case TableFormat::kText: {
      s << "newest query's softmax row, content " << core::to_string(content) << "; entropy in nats (ln length "
        << "is uniform attention)";
      if (original > 0) s << "; training context " << original << " (marked *)";
      s << "\n  length  attn factor   entropy  max prob   entropy (factor 1)  max prob (factor 1)\n";
      for (const core::TemperaturePoint& p : points) {
        char line[160];
        std::snprintf(line, sizeof line, "%8lld%c %11.6g  %8.4f  %8.4g   %18.4f  %19.4g\n", static_cast<long long>(p.length),
                      p.length == original ? '*' : ' ', p.attention_factor, p.entropy, p.max_prob, p.entropy_unscaled,
                      p.max_prob_unscaled);
        s << line;
      }
      break;
    }
  }
  write_output(out.path, s.str());
  return 0;
}

}  // namespace rope::app
