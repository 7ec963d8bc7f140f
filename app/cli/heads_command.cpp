// `ropescope heads`: statistics of every captured head's rotary causal softmax.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/capture.h"
#include "core/error.h"

namespace rope::app {
namespace {

using core::RopeError;
using nlohmann::json;

constexpr const char* kColumns[] = {"layer", "head", "kv_head", "mean_distance", "entropy", "sink_mass",
                                    "prev_token_mass", "local_mass"};

std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string layer_list(const core::Capture& capture) {
  std::string out;
  for (size_t i = 0; i < capture.layers().size() && i < 16; ++i) {
    out += (i ? ", " : "") + std::to_string(capture.layers()[i]);
  }
  return capture.layers().size() > 16 ? out + ", ..." : out;
}

std::string heads_table(const std::vector<core::HeadStats>& rows, TableFormat format, const json& header) {
  std::ostringstream s;
  if (format == TableFormat::kJson) {
    json j = header;
    json list = json::array();
    for (const auto& r : rows) {
      list.push_back({{"layer", r.layer}, {"head", r.head}, {"kv_head", r.kv_head}, {"mean_distance", r.mean_distance},
                      {"entropy", r.entropy}, {"sink_mass", r.sink_mass}, {"prev_token_mass", r.prev_token_mass},
                      {"local_mass", r.local_mass}});
    }
    j["heads"] = list;
    s << j.dump(2) << "\n";
    return s.str();
  }
  if (format == TableFormat::kCsv) {
    for (size_t c = 0; c < std::size(kColumns); ++c) s << (c ? "," : "") << kColumns[c];
    s << "\n";
    for (const auto& r : rows) {
      s << r.layer << "," << r.head << "," << r.kv_head << "," << fmt(r.mean_distance) << "," << fmt(r.entropy) << ","
        << fmt(r.sink_mass) << "," << fmt(r.prev_token_mass) << "," << fmt(r.local_mass) << "\n";
    }
    return s.str();
  }
  s << header["model"].get<std::string>() << ": N " << header["seq_len"] << ", d " << header["head_dim"] << ", sink "
    << header["sink"] << "\n";
  s << "layer  head  kv  mean_distance   entropy  sink_mass  prev_token  local_mass\n";
  char line[160];
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%5lld  %4d  %2d  %13.4f  %8.4f  %9.4f  %10.4f  %10.4f\n",
                  static_cast<long long>(r.layer), r.head, r.kv_head, r.mean_distance, r.entropy, r.sink_mass,
                  r.prev_token_mass, r.local_mass);
    s << line;
  }
  return s.str();
}

}  // namespace

core::RopeConfig capture_rope_config(const RopeCliOptions& rope, const core::Capture& capture) {
  for (const std::string& warning : capture.warnings()) std::cerr << "ropescope: warning: " << warning << "\n";
  core::RopeConfig start;
  if (capture.config()) {
    start = *capture.config();
  } else {
    start.head_dim = capture.head_dim();
  }
  start.seq_len = *std::max_element(capture.positions().begin(), capture.positions().end()) + 1;
  core::RopeConfig config = resolve_rope_config(rope, start);
  if (config.head_dim != capture.head_dim()) {
    throw RopeError(capture.origin() + ": head_dim " + std::to_string(config.head_dim) + " does not match d = " +
                    std::to_string(capture.head_dim()) + " of q and k (set --head-dim " +
                    std::to_string(capture.head_dim()) + ")");
  }
  return config;
}

int capture_layer_index(const core::Capture& capture, int64_t model_layer) {
  const auto index = capture.layer_index(model_layer);
  if (!index) {
    throw RopeError("--layer " + std::to_string(model_layer) + ": not in the capture " + capture.origin() +
                    " (its layers: " + layer_list(capture) + ")");
  }
  return *index;
}

int run_heads(const RopeCliOptions& rope, const HeadsOptions& o, const OutputOptions& out) {
  if (o.capture.empty()) throw RopeError("heads: --capture FILE is required");
  if (o.sink < 0) throw RopeError("--sink must be >= 0 (got " + std::to_string(o.sink) + ")");
  const core::Capture capture = core::Capture::open(o.capture);
  const core::RopeConfig config = capture_rope_config(rope, capture);
  std::vector<int> indices;
  if (o.layer) indices.push_back(capture_layer_index(capture, *o.layer));
  const core::RopeFrequencies freqs = core::compute_frequencies(config);
  if (o.first < 0 || o.first > capture.seq_len()) {
    throw RopeError("--first " + std::to_string(o.first) + ": must be in [1, " + std::to_string(capture.seq_len()) +
                    "], the capture's N");
  }
  const auto rows = core::capture_head_stats(capture, freqs, indices, o.sink, o.first);
  json header;
  header["capture"] = o.capture;
  header["model"] = capture.model().empty() ? std::string("(unnamed model)") : capture.model();
  header["seq_len"] = capture.seq_len();
  header["tokens_used"] = o.first > 0 ? o.first : capture.seq_len();
  header["head_dim"] = capture.head_dim();
  header["heads"] = capture.num_heads();
  header["kv_heads"] = capture.num_kv_heads();
  header["base"] = freqs.base;
  header["layout"] = std::string(core::to_string(freqs.layout));
  header["scaling"] = std::string(core::to_string(freqs.scaling));
  header["sink"] = o.sink;
  header["local_window"] = core::kLocalWindow;
  write_output(out.path, heads_table(rows, out.format(), header));
  return 0;
}

}  // namespace rope::app
