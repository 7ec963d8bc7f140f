// Round trips through the real ropescope executable: outputs parsed back and checked, and every
// bad input gives exit code 2 with a one-line message.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "capture_files.h"
#include "core/attention.h"
#include "core/content.h"
#include "core/rope_config.h"
#include "core/tensor_io.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ropescope_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  RunResult run(const std::string& args) const {
    const std::string err_path = path("stderr.txt");
    const std::string cmd = std::string(ROPESCOPE_EXE) + " " + args + " 2>" + err_path;
    RunResult r;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return r;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream e(err_path);
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    return r;
  }

  void write_file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  // Bad input: exit 2, one line on stderr mentioning `needle`, nothing on stdout.
  void expect_bad_input(const std::string& args, const std::string& needle) const {
    SCOPED_TRACE(args);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "message is not exactly one line: " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }

  fs::path dir_;
};

TEST_F(Cli, FreqsJsonHasEveryFieldForTheDefaultHead) {
  const RunResult r = run("freqs --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["head_dim"], 128);
  EXPECT_EQ(j["rotary_dim"], 128);
  EXPECT_EQ(j["base"], 10000.0);
  EXPECT_EQ(j["layout"], "neox");
  EXPECT_EQ(j["seq_len"], 1024);
  EXPECT_EQ(j["scaling"]["type"], "none");
  EXPECT_EQ(j["attention_factor"], 1.0);
  ASSERT_EQ(j["inv_freq"].size(), 64u);
  ASSERT_EQ(j["inv_freq_unscaled"].size(), 64u);
  ASSERT_EQ(j["wavelength"].size(), 64u);
  EXPECT_NEAR(j["inv_freq"][32].get<double>(), 0.01, 1e-15);
  EXPECT_NEAR(j["wavelength"][0].get<double>(), 2 * M_PI, 1e-12);
}

TEST_F(Cli, FreqsCsvHasOneRowPerPair) {
  const RunResult r = run("freqs --csv --head-dim 64 --scaling linear --factor 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("pair,inv_freq,", 0), 0u);
  int rows = 0;
  double last_inv = 0;
  while (std::getline(in, line)) {
    ++rows;
    last_inv = std::stod(line.substr(line.find(',') + 1));
  }
  EXPECT_EQ(rows, 32);
  EXPECT_NEAR(last_inv, std::pow(10000.0, -62.0 / 64.0) / 2.0, 1e-18);
}

TEST_F(Cli, ModelConfigIsReadAndFlagsOverrideIt) {
  write_file("config.json", R"({"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0,
    "max_position_embeddings": 131072,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  RunResult r = run("freqs --json --model-config " + path("config.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["base"], 500000.0);
  EXPECT_EQ(j["scaling"]["type"], "llama3");
  EXPECT_EQ(j["scaling"]["factor"], 8.0);
  // The slowest pair is divided by the factor.
  EXPECT_NEAR(j["inv_freq"][63].get<double>(), j["inv_freq_unscaled"][63].get<double>() / 8.0, 1e-20);
  r = run("freqs --json --factor 4 --base 10000 --model-config " + path("config.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["base"], 10000.0);
  EXPECT_EQ(j["scaling"]["factor"], 4.0);
  r = run("freqs --json --scaling none --model-config " + path("config.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["scaling"]["type"], "none");
}

TEST_F(Cli, ScoresOfConstantContentDependOnlyOnDistance) {
  const RunResult r = run("scores --content constant --seed 3 --seq-len 24 -o " + path("s.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const rope::core::Tensor t = rope::core::read_npy(path("s.npy"));
  ASSERT_EQ(t.shape, (std::vector<int64_t>{24, 24}));
  for (int m = 1; m < 24; ++m) {
    for (int n = 1; n < 24; ++n) {
      EXPECT_NEAR(t.data[static_cast<size_t>(m * 24 + n)], t.data[static_cast<size_t>((m - 1) * 24 + n - 1)], 2e-5)
          << m << "," << n;
    }
  }
}

TEST_F(Cli, CausalLogitsAreMinusInfinityAndSoftmaxRowsSumToOne) {
  RunResult r = run("scores --content random --seq-len 16 --causal -o " + path("l.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const rope::core::Tensor logits = rope::core::read_npy(path("l.npy"));
  r = run("scores --content random --seq-len 16 --causal --softmax -o " + path("p.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const rope::core::Tensor probs = rope::core::read_npy(path("p.npy"));
  for (int m = 0; m < 16; ++m) {
    double sum = 0;
    for (int n = 0; n < 16; ++n) {
      const float l = logits.data[static_cast<size_t>(m * 16 + n)];
      const float p = probs.data[static_cast<size_t>(m * 16 + n)];
      if (n > m) {
        EXPECT_TRUE(std::isinf(l) && l < 0) << m << "," << n;
        EXPECT_EQ(p, 0.0f);
      } else {
        EXPECT_TRUE(std::isfinite(l));
      }
      sum += p;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << m;
  }
}

TEST_F(Cli, ScoresFromFilesMatchTheLibrary) {
  const int n = 12, d = 16;
  std::vector<float> q(n * d), k(n * d);
  for (int i = 0; i < n * d; ++i) {
    q[static_cast<size_t>(i)] = std::sin(0.37f * static_cast<float>(i));
    k[static_cast<size_t>(i)] = std::cos(0.11f * static_cast<float>(i) + 1.0f);
  }
  rope::core::write_npy(path("q.npy"), q.data(), {n, d});
  rope::core::write_npy(path("k.npy"), k.data(), {n, d});
  const RunResult r = run("scores --head-dim 16 --layout gptj --offset 100 --q " + path("q.npy") + " --k " +
                          path("k.npy") + " -o " + path("s.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const rope::core::Tensor t = rope::core::read_npy(path("s.npy"));
  rope::core::RopeConfig c;
  c.head_dim = d;
  c.layout = rope::core::Layout::kGptj;
  c.seq_len = 100 + n;
  const auto freqs = rope::core::compute_frequencies(c);
  const auto content = rope::core::Content::external(q, n, k, n, d);
  rope::core::ScoreOptions so;
  so.offset = 100;
  const auto expected = rope::core::score_matrix(freqs, content, so, n, n, false);
  ASSERT_EQ(t.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(t.data[i], expected[i], 1e-6) << i;
}

TEST_F(Cli, DecayJsonStartsAtTheRoformerMaximum) {
  const RunResult r = run("decay --json --max-distance 100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["distance"].size(), 101u);
  ASSERT_EQ(j["roformer_bound"].size(), 101u);
  ASSERT_EQ(j["mean_cos"].size(), 101u);
  EXPECT_NEAR(j["roformer_bound"][0].get<double>(), 32.5, 1e-12);
  EXPECT_NEAR(j["mean_cos"][0].get<double>(), 1.0, 1e-15);
  EXPECT_EQ(j["distance"][100], 100);
}

TEST_F(Cli, AnalyzeReportsCriticalDimensionAndBaseBound) {
  const RunResult r = run("analyze --json --context 4096");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["critical_dimension"], 92);
  EXPECT_NEAR(j["base_lower_bound"].get<double>(), 2.695e4, 100.0);
  EXPECT_EQ(j["pairs_within_context"], 46);
  EXPECT_EQ(j["base_sufficient_for_context"], false);
  // The pair table's rows (core::pair_table), as the GUI's table shows them.
  ASSERT_EQ(j["pairs"].size(), 64u);
  EXPECT_EQ(j["pairs"][1]["feature_b"], 65);
  EXPECT_EQ(j["pairs"][1]["band"], "unscaled");
  EXPECT_DOUBLE_EQ(j["pairs"][1]["ratio"].get<double>(), 1.0);
}

TEST_F(Cli, AnalyzeListsLlama3BandsPerPair) {
  const RunResult r = run("analyze --json --scaling llama3 --factor 8 --low-freq-factor 1 --high-freq-factor 4 "
                          "--original-max 8192 --base 500000 --seq-len 131072");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["pairs"].size(), 64u);
  EXPECT_EQ(j["pairs"][0]["band"], "kept");
  EXPECT_EQ(j["pairs"][63]["band"], "divided");
  EXPECT_NEAR(j["pairs"][63]["ratio"].get<double>(), 1.0 / 8.0, 1e-15);
}

TEST_F(Cli, HelpExitsZero) {
  const RunResult r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("freqs"), std::string::npos);
}

// The CLI refuses a bad value with the message the GUI shows at the field: both come from
// core::check_fields.
TEST_F(Cli, AnOutOfRangeValueGivesTheMessageTheGuiShowsAtItsField) {
  struct Case {
    const char* flags;
    void (*set)(rope::core::RopeConfig&);
  };
  const Case cases[] = {
      {"--base -5", [](rope::core::RopeConfig& c) { c.base = -5; }},
      {"--base 0", [](rope::core::RopeConfig& c) { c.base = 0; }},
      {"--head-dim 7", [](rope::core::RopeConfig& c) { c.head_dim = 7; }},
      {"--seq-len 0", [](rope::core::RopeConfig& c) { c.seq_len = 0; }},
      {"--seq-len 20000000", [](rope::core::RopeConfig& c) { c.seq_len = 20000000; }},
      {"--rotary-fraction 0", [](rope::core::RopeConfig& c) { c.rotary_fraction = 0; }},
  };
  for (const Case& c : cases) {
    rope::core::RopeConfig config;
    c.set(config);
    const std::vector<rope::core::FieldError> errors = rope::core::check_fields(config);
    ASSERT_EQ(errors.size(), 1u) << c.flags;
    const RunResult r = run(std::string("freqs ") + c.flags);
    EXPECT_EQ(r.exit_code, 2) << c.flags;
    EXPECT_EQ(r.err, "ropescope: error: " + errors[0].message + "\n") << c.flags;
  }
  // 10,000,000 positions are within the one limit: accepted by the CLI as by the GUI.
  EXPECT_EQ(run("freqs --seq-len 10000000").exit_code, 0);
}

TEST_F(Cli, BadInputExitsTwoWithOneLine) {
  expect_bad_input("freqs --no-such-flag", "no-such-flag");
  expect_bad_input("freqs --scaling wobbly", "wobbly");
  expect_bad_input("freqs --head-dim 7", "rotary_dim");
  expect_bad_input("freqs --base -5", "base");
  expect_bad_input("freqs --layout sideways", "layout");
  expect_bad_input("freqs --scaling llama3 --factor 8", "llama3");
  expect_bad_input("freqs --model-config " + path("missing.json"), "missing.json");
  write_file("broken.json", "{\"rope_theta\": ");
  expect_bad_input("freqs --model-config " + path("broken.json"), "broken.json");
  write_file("unknown.json", R"({"head_dim": 64, "rope_scaling": {"rope_type": "spiral", "factor": 2}})");
  expect_bad_input("freqs --model-config " + path("unknown.json"), "spiral");
  expect_bad_input("scores --content constant", "output");
  expect_bad_input("scores --content sideways -o " + path("x.npy"), "sideways");
  expect_bad_input("scores --seq-len 100000 -o " + path("x.npy"), "limit");
  write_file("bad.npy", "\x93NUMPY garbage");
  expect_bad_input("scores --q " + path("bad.npy") + " --k " + path("bad.npy") + " -o " + path("x.npy"), "bad.npy");
  expect_bad_input("decay --max-distance -3", "distance");
  expect_bad_input("analyze --context 0", "context");
}

TEST_F(Cli, PrecisionReportsPerPairPhaseErrorsAndTheirMaximum) {
  const RunResult r = run("precision --path bf16-inv-freq --seq-len 5000 --positions 0,4096 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("path"), "bf16-inv-freq");
  EXPECT_EQ(j.at("rounding"), "round-to-nearest-even");
  EXPECT_EQ(j.at("positions"), json::array({0, 4096}));
  EXPECT_EQ(j.at("max_over"), json::array({0, 5000}));
  ASSERT_EQ(j.at("pairs").size(), 64u);
  double largest = 0.0;
  for (const json& p : j.at("pairs")) {
    EXPECT_EQ(p.at("phase_error")[0].get<double>(), 0.0);
    EXPECT_LE(p.at("phase_error")[1].get<double>(), p.at("max_phase_error").get<double>() + 1e-15);
    EXPECT_LT(p.at("max_position").get<int64_t>(), 5000);
    largest = std::max(largest, p.at("max_phase_error").get<double>());
  }
  EXPECT_EQ(j.at("max_phase_error").get<double>(), largest);
  // float16 positions overflow from 65520 on: reported as null, the first such position named.
  const RunResult o = run("precision --path fp16-positions --seq-len 70000 --positions 65519,65520 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const json k = json::parse(o.out);
  EXPECT_TRUE(k.at("pairs")[0].at("phase_error")[1].is_null());
  EXPECT_FALSE(k.at("pairs")[0].at("phase_error")[0].is_null());
  EXPECT_EQ(k.at("max_position"), 65520);
  const RunResult csv = run("precision --csv --positions 7");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')), "pair,inv_freq,phase_error_at_7,max_phase_error,max_position");
  expect_bad_input("precision --path fp8", "fp8");
  expect_bad_input("precision --positions 3,-1", "positions");
}

TEST_F(Cli, KvCacheReportsEveryStep) {
  const RunResult r = run("kvcache --scaling dynamic --factor 4 --original-max 512 --head-dim 64 --steps 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("mode"), "dynamic");
  EXPECT_EQ(j.at("prompt"), 512);  // the original context by default
  ASSERT_EQ(j.at("steps").size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(j.at("steps")[i].at("length"), 513 + static_cast<int>(i));
    EXPECT_GT(j.at("steps")[i].at("max_phase_error").get<double>(), 0.0);
  }
  const RunResult shift = run("kvcache --mode shift --prompt 256 --shift 32 --repeat 3 --json");
  ASSERT_EQ(shift.exit_code, 0) << shift.err;
  EXPECT_EQ(json::parse(shift.out).at("steps").size(), 4u);  // step 0 and three shifts
  expect_bad_input("kvcache --mode dynamic", "dynamic scaling");
  expect_bad_input("kvcache --mode sideways", "sideways");
  expect_bad_input("kvcache --mode shift --prompt 64 --shift 64", "shift");
}

std::string model_file(const std::string& rel) { return std::string(ROPE_TEST_DATA_DIR) + "/configs/" + rel; }

TEST_F(Cli, FreqsJsonListsLayerTypesAndLayerTypeChoosesOne) {
  const std::string gemma = model_file("models/gemma-3-270m.json");
  RunResult r = run("freqs --json --model-config " + gemma);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["layer_type"], "full_attention");
  EXPECT_EQ(j["base"], 1e6);
  EXPECT_EQ(j["num_layers"], 18);
  ASSERT_EQ(j["layer_types"].size(), 2u);
  EXPECT_EQ(j["layer_types"][0]["name"], "full_attention");
  EXPECT_EQ(j["layer_types"][0]["layers"], json::array({5, 11, 17}));
  EXPECT_EQ(j["layer_types"][1]["name"], "sliding_attention");
  EXPECT_EQ(j["layer_types"][1]["base"], 1e4);
  EXPECT_EQ(j["layer_types"][1]["layers"].size(), 15u);
  EXPECT_TRUE(j["warnings"].empty());
  r = run("freqs --json --layer-type sliding_attention --model-config " + gemma);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["layer_type"], "sliding_attention");
  EXPECT_EQ(j["base"], 1e4);
  EXPECT_DOUBLE_EQ(j["inv_freq"][1].get<double>(), std::pow(1e4, -2.0 / 256));
  expect_bad_input("freqs --layer-type chunked_attention --model-config " + gemma, "full_attention, sliding_attention");
  expect_bad_input("freqs --layer-type sliding_attention", "--model-config");
}

TEST_F(Cli, ArchitectureFixesTheLayoutFromTheConfig) {
  RunResult r = run("freqs --json --model-config " + model_file("models/deepseek-v3.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["layout"], "gptj");
  r = run("freqs --json --model-config " + model_file("models/glm-4-9b-0414.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["layout"], "gptj");
  EXPECT_EQ(json::parse(r.out)["rotary_dim"], 64);
  r = run("freqs --json --layout neox --model-config " + model_file("models/deepseek-v3.json"));
  EXPECT_EQ(json::parse(r.out)["layout"], "neox");  // an explicit flag still wins
}

TEST_F(Cli, WarningsGoToStderrAndJsonAndStrictMakesThemErrors) {
  write_file("yarn.json", R"({"model_type": "llama", "head_dim": 64, "max_position_embeddings": 65536,
      "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8192}})");
  RunResult r = run("freqs --json --model-config " + path("yarn.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("ropescope: warning: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one warning, one line: " << r.err;
  EXPECT_NE(r.err.find("differs from max_position_embeddings"), std::string::npos) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_NE(j["warnings"][0].get<std::string>().find("yarn.json"), std::string::npos);
  expect_bad_input("freqs --strict --model-config " + path("yarn.json"), "--strict");
}

TEST_F(Cli, ConfigErrorsNameEveryMissingFieldAndDirectories) {
  write_file("llama3.json", R"({"head_dim": 64, "rope_scaling": {"rope_type": "llama3"}})");
  SCOPED_TRACE("missing fields");
  const RunResult r = run("freqs --model-config " + path("llama3.json"));
  EXPECT_EQ(r.exit_code, 2);
  for (const char* field : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
    EXPECT_NE(r.err.find(field), std::string::npos) << field << ": " << r.err;
  }
  expect_bad_input("freqs --model-config " + dir_.string(), "is a directory");
}

json resolved_value(const json& j, const std::string& field) {
  for (const json& v : j["values"]) {
    if (v["field"] == field) return v;
  }
  return json();
}

TEST_F(Cli, ResolveSaysWhereEachValueCameFrom) {
  RunResult r = run("resolve --json " + model_file("models/gemma-3-4b-it.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["text_config"], "text_config");
  EXPECT_EQ(resolved_value(j, "head_dim")["value"], 256);
  EXPECT_NE(resolved_value(j, "head_dim")["origin"].get<std::string>().find("Gemma3TextConfig"), std::string::npos);
  EXPECT_EQ(resolved_value(j, "factor")["origin"], "file: text_config.rope_scaling.factor");
  r = run("resolve --json --base 5e5 " + model_file("models/gpt-j-6b.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(resolved_value(j, "base")["origin"], "flag --base");
  EXPECT_EQ(resolved_value(j, "base")["value"], 5e5);
  EXPECT_EQ(resolved_value(j, "layout")["value"], "gptj");
  EXPECT_NE(resolved_value(j, "layout")["origin"].get<std::string>().find("GPTJAttention"), std::string::npos);
  EXPECT_NE(resolved_value(j, "rotary_dim")["origin"].get<std::string>().find("absolute"), std::string::npos);
  expect_bad_input("resolve", "config.json");
}

TEST_F(Cli, DiffComparesTwoConfigsAndFailsOnADifferenceWhenAsked) {
  const std::string llama2 = std::string(ROPE_TEST_DATA_DIR) + "/configs/models/llama-2-7b-hf.json";
  const std::string llama3 = std::string(ROPE_TEST_DATA_DIR) + "/configs/models/llama-3.1-8b.json";
  const RunResult same = run("diff " + llama2 + " " + llama2 + " --json --fail-on-diff");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  const json j = json::parse(same.out);
  EXPECT_TRUE(j.at("first_differing_pair").is_null());
  EXPECT_EQ(j.at("max_rel_diff"), 0.0);
  EXPECT_EQ(j.at("max_abs_logit_diff"), 0.0);
  for (const char* key : {"inv_freq_a", "inv_freq_b", "rel_diff", "attention_factor_a", "attention_factor_b",
                          "rotary_dim_a", "rotary_dim_b", "layout_a", "layout_b"})
    EXPECT_TRUE(j.contains(key)) << key;
  const RunResult other = run("diff " + llama2 + " " + llama3 + " --fail-on-diff");
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_NE(other.out.find("scaling llama3 (A none)"), std::string::npos) << other.out;
  const RunResult layout = run("diff " + llama2 + " " + llama2 + " --set-b layout=gptj --json");
  ASSERT_EQ(layout.exit_code, 0) << layout.err;
  const json l = json::parse(layout.out);
  EXPECT_EQ(l.at("layout_b"), "gptj");
  EXPECT_GT(l.at("max_abs_logit_diff").get<double>(), 0.1);
  // A difference below --rtol passes; base 10000 vs 10000.0001 differs by ~1e-8 relative.
  EXPECT_EQ(run("diff " + llama2 + " " + llama2 + " --set-b base=10000.0001 --fail-on-diff --rtol 1e-6").exit_code, 0);
  expect_bad_input("diff " + llama2 + " " + llama2 + " --set-b bogus=3", "bogus");
  expect_bad_input("diff " + llama2 + " " + llama2 + " --set-a base", "KEY=VALUE");
  expect_bad_input("diff " + llama2 + " " + path("missing.json"), "missing.json");
}

// ---------------------------------------------------------------------------------------------
// Captures (heads, scores --capture)

const std::string kSmallCapture = std::string(ROPE_TEST_DATA_DIR) + "/captures/small.safetensors";

// A capture with consecutive positions 5, 6, ...: q [1, 4, n, 8], k [1, 2, n, 8], base 500.
std::string consecutive_capture(int64_t n, const std::string& tokens_json) {
  std::vector<int64_t> positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) positions[static_cast<size_t>(i)] = 5 + i;
  rope::test::Blob pos{"positions", "I64", {n}, std::string(reinterpret_cast<const char*>(positions.data()), 8 * n)};
  const json meta = {{"format", "ropescope-qk/1"}, {"config", R"({"rope_theta": 500.0, "head_dim": 8})"},
                     {"tokens", tokens_json}, {"layers", "[4]"}, {"model", "consecutive"}};
  return rope::test::safetensors_bytes(
      {{"q", "F32", {1, 4, n, 8}, rope::test::f32_bytes(rope::test::ramp(static_cast<size_t>(4 * n * 8), 2.0f))},
       {"k", "F32", {1, 2, n, 8}, rope::test::f32_bytes(rope::test::ramp(static_cast<size_t>(2 * n * 8), -1.5f))},
       pos},
      meta);
}

TEST_F(Cli, HeadsGivesTheNumpyReferenceStatisticsInEveryFormat) {
  const RunResult r = run("heads --capture " + kSmallCapture + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  const json j = json::parse(r.out);
  std::ifstream golden_file(std::string(ROPE_GOLDEN_DIR) + "/capture_heads.json");
  const json golden = json::parse(golden_file);
  EXPECT_EQ(j.at("seq_len"), 24);
  EXPECT_EQ(j.at("base"), 100.0);  // the capture's own config
  ASSERT_EQ(j.at("heads").size(), golden.at("heads").size());
  for (size_t i = 0; i < golden.at("heads").size(); ++i) {
    for (const char* key : {"mean_distance", "entropy", "sink_mass", "prev_token_mass", "local_mass"}) {
      EXPECT_NEAR(j["heads"][i].at(key).get<double>(), golden["heads"][i].at(key).get<double>(), 1e-9) << i << key;
    }
    EXPECT_EQ(j["heads"][i].at("layer"), golden["heads"][i].at("layer"));
  }
  const RunResult csv = run("heads --capture " + kSmallCapture + " --csv --layer 7");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "layer,head,kv_head,mean_distance,entropy,sink_mass,prev_token_mass,local_mass");
  int rows = 0;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.rfind("7," + std::to_string(rows) + "," + std::to_string(rows / 2) + ",", 0), 0u) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 4);
  const RunResult first = run("heads --capture " + kSmallCapture + " --json --first 14");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(json::parse(first.out).at("tokens_used"), 14);
  EXPECT_NEAR(json::parse(first.out)["heads"][5].at("entropy").get<double>(),
              golden["heads_first"][5].at("entropy").get<double>(), 1e-9);
  expect_bad_input("heads --capture " + kSmallCapture + " --first 25", "--first 25");
  const RunResult text = run("heads --capture " + kSmallCapture);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("small-test"), std::string::npos) << text.out;
}

TEST_F(Cli, HeadsRopeOptionsOverrideTheCaptureConfigAndSinkCounts) {
  const json own = json::parse(run("heads --capture " + kSmallCapture + " --json --layer 3").out);
  const RunResult r = run("heads --capture " + kSmallCapture + " --json --layer 3 --base 10000 --sink 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json edited = json::parse(r.out);
  EXPECT_EQ(edited.at("base"), 10000.0);
  EXPECT_EQ(edited.at("sink"), 1);
  EXPECT_NE(edited["heads"][0].at("entropy"), own["heads"][0].at("entropy"));
  EXPECT_LT(edited["heads"][0].at("sink_mass").get<double>(), 1.0);
  expect_bad_input("heads --capture " + kSmallCapture + " --head-dim 16", "does not match d = 8");
  expect_bad_input("heads --capture " + kSmallCapture + " --layer 4", "--layer 4: not in the capture");
  expect_bad_input("heads --capture " + kSmallCapture + " --sink -1", "--sink");
  expect_bad_input("heads --capture " + path("missing.safetensors"), "no such file");
  expect_bad_input("heads", "--capture");
}

TEST_F(Cli, ScoresFromACaptureEqualTheSameHeadGivenAsNpyFiles) {
  const int64_t n = 16;
  write_file("cap.safetensors", consecutive_capture(n, "[]"));
  const RunResult r = run("scores --capture " + path("cap.safetensors") + " --layer 4 --head 3 --causal --softmax -o " +
                          path("cap.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning"), std::string::npos);  // the empty token list is dropped
  EXPECT_NE(r.err.find("tokens"), std::string::npos) << r.err;
  // The same head written as .npy: query head 3 attends with key head 1.
  const std::vector<float> q = rope::test::ramp(static_cast<size_t>(4 * n * 8), 2.0f);
  const std::vector<float> k = rope::test::ramp(static_cast<size_t>(2 * n * 8), -1.5f);
  rope::core::write_npy(path("q.npy"), q.data() + 3 * n * 8, {n, 8});
  rope::core::write_npy(path("k.npy"), k.data() + 1 * n * 8, {n, 8});
  const RunResult npy = run("scores --q " + path("q.npy") + " --k " + path("k.npy") +
                            " --head-dim 8 --base 500 --offset 5 --causal --softmax -o " + path("npy.npy"));
  ASSERT_EQ(npy.exit_code, 0) << npy.err;
  const rope::core::Tensor from_capture = rope::core::read_npy(path("cap.npy"));
  const rope::core::Tensor from_npy = rope::core::read_npy(path("npy.npy"));
  EXPECT_EQ(from_capture.shape, (std::vector<int64_t>{n, n}));
  EXPECT_EQ(from_capture.data, from_npy.data);
  // Head 2 shares key head 1 but has other queries; head 1 uses key head 0.
  ASSERT_EQ(run("scores --capture " + path("cap.safetensors") + " --layer 4 --head 1 -o " + path("h1.npy")).exit_code, 0);
  EXPECT_NE(rope::core::read_npy(path("h1.npy")).data, from_capture.data);

  json tokens = json::array();
  for (int64_t i = 0; i < n; ++i) tokens.push_back("t");
  write_file("clean.safetensors", consecutive_capture(n, tokens.dump()));
  ASSERT_EQ(run("scores --capture " + path("clean.safetensors") + " --layer 4 -o " + path("x.npy")).err, "");
  const std::string cap = "scores --capture " + path("clean.safetensors");
  expect_bad_input(cap + " --layer 4 --head 4 -o " + path("x.npy"), "--head 4: out of range");
  expect_bad_input(cap + " --head 0 -o " + path("x.npy"), "--layer L is required");
  expect_bad_input(cap + " --layer 0 -o " + path("x.npy"), "--layer 0: not in the capture");
  expect_bad_input(cap + " --layer 4 --content random -o " + path("x.npy"), "not several");
  expect_bad_input("scores --capture " + kSmallCapture + " --layer 3 -o " + path("x.npy"), "not consecutive at index 12");
}

TEST_F(Cli, AMalformedCaptureExitsTwoNamingTheTensor) {
  const std::string q = rope::test::f32_bytes(rope::test::ramp(48, 1.0f));
  write_file("rank3.safetensors", rope::test::safetensors_bytes({{"q", "F32", {6, 8}, q}, {"k", "F32", {6, 8}, q}},
                                                                json{{"format", "ropescope-qk/1"}}));
  expect_bad_input("heads --capture " + path("rank3.safetensors"), "tensor 'q' has shape [6, 8]");
  std::string cut = consecutive_capture(8, "[]");
  cut.resize(cut.size() - 3);
  write_file("cut.safetensors", cut);
  expect_bad_input("heads --capture " + path("cut.safetensors"), "past the end");
}

// The README's claims about the trained sample (assets/samples/README.md), on the shipped file.
TEST_F(Cli, TheTrainedSampleHasTheHeadsItsReadmeDescribes) {
  const std::string sample = std::string(ROPE_SOURCE_DIR) + "/assets/samples/repeat_2l4h.safetensors";
  const RunResult inside = run("heads --capture " + sample + " --first 256 --json");
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  const json in = json::parse(inside.out).at("heads");
  const RunResult whole = run("heads --capture " + sample + " --json");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const json all = json::parse(whole.out).at("heads");
  ASSERT_EQ(in.size(), 8u);
  ASSERT_EQ(json::parse(whole.out).at("seq_len"), 2048);
  // Layer 0 head 2: the previous-token head inside the training context, weaker past it.
  const json& prev = in[2];
  EXPECT_EQ(prev.at("layer"), 0);
  EXPECT_GE(prev.at("prev_token_mass").get<double>(), 0.4);
  EXPECT_GE(prev.at("local_mass").get<double>(), 0.6);
  for (size_t h = 0; h < 4; ++h) {
    if (h != 2) {
      EXPECT_LT(in[h].at("prev_token_mass").get<double>(), prev.at("prev_token_mass").get<double>());
    }
  }
  EXPECT_LT(all[2].at("prev_token_mass").get<double>(), 0.3);
  // Layer 1: four induction heads, looking one period (64 tokens) back inside the training context,
  // and losing the previous occurrence past it.
  for (size_t h = 4; h < 8; ++h) {
    SCOPED_TRACE("layer 1 head " + std::to_string(h - 4));
    EXPECT_EQ(in[h].at("layer"), 1);
    EXPECT_GE(in[h].at("mean_distance").get<double>(), 50.0);
    EXPECT_LE(in[h].at("mean_distance").get<double>(), 63.0);
    EXPECT_LT(in[h].at("entropy").get<double>(), 1.0);
    EXPECT_LT(in[h].at("local_mass").get<double>(), 0.2);
    EXPECT_GT(all[h].at("mean_distance").get<double>(), 300.0);
  }
}

TEST_F(Cli, GgufFilesAreReadByResolveAndDiffAndHostileOnesGiveOneLine) {
  const std::string gguf = std::string(ROPE_TEST_DATA_DIR) + "/gguf/";
  RunResult r = run("resolve --json " + gguf + "llama-3.1-8b.gguf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(resolved_value(j, "layout")["value"], "gptj");
  EXPECT_NE(resolved_value(j, "layout")["origin"].get<std::string>().find("permutes Llama's Q/K"), std::string::npos);
  EXPECT_EQ(resolved_value(j, "base")["value"], 500000.0);
  r = run("diff " + model_file("models/qwen2-7b.json") + " " + gguf + "qwen2-7b.gguf --fail-on-diff");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run("diff " + model_file("models/llama-3.1-8b.json") + " " + gguf + "llama-3.1-8b.gguf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layout gptj (A neox)"), std::string::npos) << r.out;
  expect_bad_input("resolve --strict " + gguf + "no-freq-base.gguf", "rope.freq_base is absent");
  for (const char* name : {"big-endian", "version-1", "wrong-type", "duplicate-key", "missing-keys", "truncated-factors",
                           "absurd-string", "absurd-count", "array-bomb"}) {
    expect_bad_input("resolve " + gguf + "hostile/" + name + ".gguf", std::string("hostile/") + name + ".gguf: ");
  }
}

}  // namespace
