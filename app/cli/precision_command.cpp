// `ropescope precision`: the phase error of a reduced-precision angle path, per pair, at chosen
// positions and at its worst over [0, seq_len).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/precision.h"

namespace rope::app {
namespace {

using nlohmann::json;

std::string_view path_description(core::AnglePath path) {
  switch (path) {
    case core::AnglePath::kExact: return "float64 angles and cos/sin (the reference itself)";
    case core::AnglePath::kFp32: return "inv_freq, positions, their product and cos/sin in float32 (Hugging Face)";
    case core::AnglePath::kBf16InvFreq: return "as fp32 with inv_freq rounded to bfloat16 (autocast)";
    case core::AnglePath::kFp16Positions: return "as fp32 with positions held in float16 (>= 65520 overflow)";
    case core::AnglePath::kBf16Tables: return "as fp32 with the cos/sin tables stored in bfloat16";
  }
  return "";
}

json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

std::string error_text(double v) {
  if (std::isnan(v)) return "overflow";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

}  // namespace

int run_precision(const core::RopeConfig& config, const PrecisionOptions& options, const OutputOptions& out) {
  const auto path = core::parse_angle_path(options.path);
  if (!path) {
    throw core::RopeError("--path: expected fp32, bf16-inv-freq, fp16-positions, bf16-tables or exact (got '" +
                          options.path + "')");
  }
  const core::RopeFrequencies f = core::compute_frequencies(config);
  const core::PhaseErrorReport r = core::phase_errors(f, *path, options.positions, config.seq_len);
  std::ostringstream s;
  switch (out.format()) {
    case TableFormat::kJson: {
      json j;
      j["path"] = std::string(core::to_string(*path));
      j["description"] = std::string(path_description(*path));
      j["rounding"] = "round-to-nearest-even";
      j["phase_error"] = "|atan2(sin, cos) - position * inv_freq| wrapped to [0, pi], radians; null: overflow";
      j["head_dim"] = f.head_dim;
      j["rotary_dim"] = f.rotary_dim;
      j["base"] = f.base;
      j["scaling"] = std::string(core::to_string(f.scaling));
      j["seq_len"] = f.seq_len;
      j["positions"] = r.positions;
      j["max_over"] = json::array({0, r.positions_end});
      json pairs = json::array();
      for (size_t i = 0; i < r.pairs.size(); ++i) {
        json p;
        p["pair"] = i;
        p["inv_freq"] = f.inv_freq[i];
        json at = json::array();
        for (double e : r.pairs[i].at) at.push_back(number_or_null(e));
        p["phase_error"] = at;
        p["max_phase_error"] = number_or_null(r.pairs[i].max_error);
        p["max_position"] = r.pairs[i].max_position;
        pairs.push_back(p);
      }
      j["pairs"] = pairs;
      j["max_phase_error"] = number_or_null(r.max_error);
      j["max_position"] = r.max_position;
      j["max_pair"] = r.max_pair;
      s << j.dump(2) << "\n";
      break;
    }
    case TableFormat::kCsv: {
      s << "pair,inv_freq";
      for (int64_t p : r.positions) s << ",phase_error_at_" << p;
      s << ",max_phase_error,max_position\n";
      char buf[40];
      const auto num = [&](double v) {
        if (std::isnan(v)) return std::string("nan");
        std::snprintf(buf, sizeof buf, "%.17g", v);
        return std::string(buf);
      };
      for (size_t i = 0; i < r.pairs.size(); ++i) {
        s << i << "," << num(f.inv_freq[i]);
        for (double e : r.pairs[i].at) s << "," << num(e);
        s << "," << num(r.pairs[i].max_error) << "," << r.pairs[i].max_position << "\n";
      }
      break;
    }
    case TableFormat::kText: {
      s << "path " << core::to_string(*path) << ": " << path_description(*path) << "; rounding to nearest, ties to even\n";
      s << "head_dim " << f.head_dim << ", rotary_dim " << f.rotary_dim << ", base " << f.base << ", scaling "
        << core::to_string(f.scaling) << "; phase error |atan2(sin, cos) - p theta| wrapped to [0, pi], radians\n";
      s << " pair      inv_freq";
      char head[48];
      for (int64_t p : r.positions) {
        std::snprintf(head, sizeof head, "  %10s", ("@" + std::to_string(p)).c_str());
        s << head;
      }
      std::snprintf(head, sizeof head, "  %10s  %s\n", "max", ("at (over [0, " + std::to_string(r.positions_end) + "))").c_str());
      s << head;
      char line[64];
      for (size_t i = 0; i < r.pairs.size(); ++i) {
        std::snprintf(line, sizeof line, "%5zu  %12.6g", i, f.inv_freq[i]);
        s << line;
        for (double e : r.pairs[i].at) {
          std::snprintf(line, sizeof line, "  %10s", error_text(e).c_str());
          s << line;
        }
        std::snprintf(line, sizeof line, "  %10s  %lld\n", error_text(r.pairs[i].max_error).c_str(),
                      static_cast<long long>(r.pairs[i].max_position));
        s << line;
      }
      s << "largest: " << error_text(r.max_error) << " rad, pair " << r.max_pair << ", position " << r.max_position << "\n";
      break;
    }
  }
  write_output(out.path, s.str());
  return 0;
}

}  // namespace rope::app
