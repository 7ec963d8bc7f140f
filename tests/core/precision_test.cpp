// Reduced-precision angle paths against tests/golden/precision.json, an independent numpy
// simulation of the same arithmetic (tests/golden/make_precision_golden.py).
#include "core/precision.h"
#include "core/error.h"

#include <gtest/gtest.h>

#include "golden_file.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rope::core {
namespace {

using nlohmann::json;

const json& golden() { return test::golden_file("precision.json"); }

// Phase errors agree with the simulation to 1e-12 rad: both round the same values the same way;
// what remains is the reference angle's reduction (long double there, double-double here) and
// libm against numpy in the float64 cos / sin / atan2 before their rounding to float32 (which,
// once in many millions, could put a value on the other side of a float32 rounding boundary).
// The simulation reduces p * theta in long double (64-bit mantissa), so at large angles its own
// error grows with the angle: at p = 2^30 and theta = 1 about 1e-10 rad; tol() allows for it.
constexpr double kTol = 1e-12;
double tol(double inv_freq, int64_t position) { return kTol + std::ldexp(inv_freq * static_cast<double>(position), -60); }

TEST(Precision, Float16RoundingIsNumpysNearestEven) {
  const json& f = golden().at("float16");
  for (size_t i = 0; i < f.at("in").size(); ++i) {
    const double x = f.at("in")[i].get<double>();
    const double want = f.at("out")[i].is_string() ? std::numeric_limits<double>::infinity() : f.at("out")[i].get<double>();
    EXPECT_EQ(round_to_float16(x), want) << "x = " << x;
  }
  EXPECT_TRUE(std::isnan(round_to_float16(std::nan(""))));
  EXPECT_EQ(round_to_float16(-65520.0), -std::numeric_limits<double>::infinity());
}

TEST(Precision, Bfloat16RoundingIsBitRoundingToNearestEven) {
  const json& b = golden().at("bfloat16");
  for (size_t i = 0; i < b.at("in").size(); ++i) {
    const double x = b.at("in")[i].get<double>();
    EXPECT_EQ(round_to_bfloat16(x), b.at("out")[i].get<double>()) << "x = " << x;
  }
}

TEST(Precision, PathNamesRoundTrip) {
  for (AnglePath p : angle_paths()) EXPECT_EQ(parse_angle_path(to_string(p)), p);
  EXPECT_FALSE(parse_angle_path("fp8"));
}

TEST(Precision, PhaseErrorsAtChosenPositionsEqualTheSimulation) {
  const json& g = golden();
  std::vector<int64_t> positions = g.at("positions").get<std::vector<int64_t>>();
  for (const json& cfg : g.at("configs")) {
    const std::vector<double> inv_freq = cfg.at("inv_freq").get<std::vector<double>>();
    for (AnglePath path : angle_paths()) {
      const json& want = cfg.at("paths").at(std::string(to_string(path))).at("at");
      for (size_t i = 0; i < inv_freq.size(); ++i) {
        for (size_t k = 0; k < positions.size(); ++k) {
          const double got = phase_error(path, inv_freq[i], positions[k]);
          const json& w = want[i][k];
          if (w.is_null()) {
            EXPECT_TRUE(std::isnan(got)) << cfg.at("name") << " " << to_string(path) << " pair " << i << " p " << positions[k];
          } else {
            EXPECT_NEAR(got, w.get<double>(), tol(inv_freq[i], positions[k]))
                << cfg.at("name") << " " << to_string(path) << " pair " << i << " p " << positions[k];
          }
        }
      }
    }
  }
}

TEST(Precision, LargestErrorOverTheScanEqualsTheSimulationAndWhere) {
  const json& g = golden();
  const int64_t end = g.at("scan_end").get<int64_t>();
  for (const json& cfg : g.at("configs")) {
    RopeFrequencies f;
    f.inv_freq = cfg.at("inv_freq").get<std::vector<double>>();
    for (AnglePath path : angle_paths()) {
      const json& want = cfg.at("paths").at(std::string(to_string(path)));
      const PhaseErrorReport r = phase_errors(f, path, {0, 4096}, end);
      ASSERT_EQ(r.pairs.size(), f.inv_freq.size());
      double overall = 0.0;
      for (size_t i = 0; i < f.inv_freq.size(); ++i) {
        const std::string where = cfg.at("name").get<std::string>() + " " + std::string(to_string(path)) +
                                  " pair " + std::to_string(i);
        EXPECT_NEAR(r.pairs[i].max_error, want.at("max")[i].get<double>(), kTol) << where;
        if (path != AnglePath::kExact) {  // the exact path's maximum is rounding noise: no stable argmax
          EXPECT_EQ(r.pairs[i].max_position, want.at("max_position")[i].get<int64_t>()) << where;
        }
        EXPECT_EQ(r.pairs[i].at.size(), 2u);
        EXPECT_EQ(r.pairs[i].at[0], 0.0) << where << ": position 0 is the identity on every path";
        overall = std::max(overall, r.pairs[i].max_error);
      }
      EXPECT_EQ(r.max_error, overall);
      EXPECT_EQ(r.pairs[static_cast<size_t>(r.max_pair)].max_error, r.max_error);
    }
  }
}

TEST(Precision, ExactPathHasNoErrorAndFloat16PositionsOverflowAt65520) {
  RopeConfig c;
  c.seq_len = 70000;
  const RopeFrequencies f = compute_frequencies(c);
  const PhaseErrorReport exact = phase_errors(f, AnglePath::kExact, {65520}, 4096);
  EXPECT_LT(exact.max_error, 1e-14);
  const PhaseErrorReport fp16 = phase_errors(f, AnglePath::kFp16Positions, {65519, 65520}, c.seq_len);
  for (const PairPhaseErrors& p : fp16.pairs) {
    EXPECT_FALSE(std::isnan(p.at[0]));
    EXPECT_TRUE(std::isnan(p.at[1]));
    EXPECT_TRUE(std::isnan(p.max_error));
    EXPECT_EQ(p.max_position, 65520);  // the first position that overflows
  }
}

TEST(Precision, Bf16InvFreqIsFarWorseThanFp32AtLongPositions) {
  RopeConfig c;
  const RopeFrequencies f = compute_frequencies(c);
  const PhaseErrorReport fp32 = phase_errors(f, AnglePath::kFp32, {4096}, 1);
  const PhaseErrorReport bf16 = phase_errors(f, AnglePath::kBf16InvFreq, {4096}, 1);
  // Pair 1 (theta = 0.866): bf16 keeps 8 significant bits, so 4096 theta is off by about a radian.
  EXPECT_GT(bf16.pairs[1].at[0], 0.1);
  EXPECT_LT(fp32.pairs[1].at[0], 1e-3);
}

TEST(Precision, BadScanRangeIsAnError) {
  RopeFrequencies f;
  f.inv_freq = {1.0};
  EXPECT_THROW(phase_errors(f, AnglePath::kFp32, {}, 0), RopeError);
  EXPECT_THROW(phase_errors(f, AnglePath::kFp32, {-1}, 10), RopeError);
}

}  // namespace
}  // namespace rope::core
