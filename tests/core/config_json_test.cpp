// Reading Hugging Face config.json files: field quirks (v4/v5 names, legacy keys, head_dim
// sources, rotary fraction names) and errors that name the offending field on one line.
// Fixtures live in tests/data/configs/{models,synthetic,malformed}.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/config_json.h"
#include "core/error.h"
#include "core/rope_config.h"

namespace rope::core {
namespace {

std::string fixture(const std::string& rel) { return std::string(ROPE_TEST_DATA_DIR) + "/configs/" + rel; }

// Loads and resolves the fixture; returns the error message, or "" when nothing threw.
std::string error_of_fixture(const std::string& rel) {
  try {
    RopeConfig config = load_hf_config(fixture(rel));
    (void)compute_frequencies(config);
  } catch (const RopeError& e) {
    return e.what();
  }
  return "";
}

std::string error_of_text(const std::string& text, const std::string& origin = "inline.json") {
  try {
    RopeConfig config = parse_hf_config(text, origin);
    (void)compute_frequencies(config);
  } catch (const RopeError& e) {
    return e.what();
  }
  return "";
}

struct MalformedCase {
  const char* file;
  std::vector<std::string> any_of;  // the message must contain at least one of these
};

TEST(ConfigJson, MalformedFixturesThrowOneLineErrorNamingTheField) {
  const std::vector<MalformedCase> cases = {
      {"malformed/unknown_rope_type.json", {"foobar"}},
      {"malformed/llama3_missing_low_freq_factor.json", {"low_freq_factor"}},
      {"malformed/longrope_wrong_length.json", {"long_factor"}},
      {"malformed/longrope_missing_short_factor.json", {"short_factor"}},
      {"malformed/rope_theta_not_numeric.json", {"rope_theta"}},
      {"malformed/linear_missing_factor.json", {"factor"}},
      {"malformed/no_head_dim.json", {"hidden_size", "head_dim"}},
      {"malformed/not_json.json", {"not_json.json"}},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string message = error_of_fixture(c.file);
    ASSERT_FALSE(message.empty()) << "no RopeError thrown";
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
    bool named = false;
    for (const std::string& needle : c.any_of) named = named || message.find(needle) != std::string::npos;
    EXPECT_TRUE(named) << "message does not name the field: " << message;
  }
}

TEST(ConfigJson, UnknownTypeMessageSaysTypeAndValue) {
  const std::string message = error_of_fixture("malformed/unknown_rope_type.json");
  EXPECT_NE(message.find("type"), std::string::npos) << message;
  EXPECT_NE(message.find("foobar"), std::string::npos) << message;
}

TEST(ConfigJson, MissingFileThrowsWithPath) {
  const std::string path = fixture("does/not/exist/config.json");
  try {
    (void)load_hf_config(path);
    FAIL() << "no RopeError for a missing file";
  } catch (const RopeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("config.json"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ConfigJson, InvalidTextNamesOrigin) {
  const std::string message = error_of_text("{\"hidden_size\": 64,", "my_model/config.json");
  ASSERT_FALSE(message.empty());
  EXPECT_NE(message.find("my_model/config.json"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ConfigJson, InlineMissingRequiredFieldsAreNamed) {
  // llama3 needs high_freq_factor as well.
  const std::string llama3 = error_of_text(R"({"hidden_size": 4096, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "rope_theta": 500000.0,
      "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                       "original_max_position_embeddings": 8192}})");
  EXPECT_NE(llama3.find("high_freq_factor"), std::string::npos) << llama3;
  // A string where a number belongs.
  const std::string factor = error_of_text(R"({"hidden_size": 4096, "num_attention_heads": 32,
      "rope_scaling": {"rope_type": "linear", "factor": "four"}})");
  EXPECT_NE(factor.find("factor"), std::string::npos) << factor;
}

TEST(ConfigJson, Llama2NullRopeScalingAndDefaults) {
  const RopeConfig c = load_hf_config(fixture("models/llama-2-7b-hf.json"));
  EXPECT_EQ(c.head_dim, 128);  // 4096 / 32, no head_dim field
  EXPECT_EQ(c.rotary_fraction, 1.0);
  EXPECT_EQ(c.base, 10000.0);  // rope_theta absent: HF default
  EXPECT_EQ(c.scaling.type, ScalingType::kNone);
  ASSERT_TRUE(c.max_position_embeddings.has_value());
  EXPECT_EQ(*c.max_position_embeddings, 4096);
  EXPECT_EQ(c.seq_len, RopeConfig{}.seq_len);  // the parser leaves seq_len alone
}

TEST(ConfigJson, Llama31Llama3Block) {
  const RopeConfig c = load_hf_config(fixture("models/llama-3.1-8b.json"));
  EXPECT_EQ(c.base, 500000.0);
  EXPECT_EQ(c.scaling.type, ScalingType::kLlama3);
  EXPECT_EQ(c.scaling.factor.value_or(-1), 8.0);
  EXPECT_EQ(c.scaling.low_freq_factor.value_or(-1), 1.0);
  EXPECT_EQ(c.scaling.high_freq_factor.value_or(-1), 4.0);
  EXPECT_EQ(c.scaling.original_max.value_or(-1), 8192);
}

TEST(ConfigJson, GptNeoxRotaryPct) {
  const RopeConfig c = load_hf_config(fixture("models/gpt-neox-20b.json"));
  EXPECT_EQ(c.head_dim, 96);  // 6144 / 64
  EXPECT_DOUBLE_EQ(c.rotary_fraction, 0.25);
  EXPECT_EQ(c.rotary_dim(), 24);
  EXPECT_EQ(c.base, 10000.0);
}

TEST(ConfigJson, PartialRotaryFactorTruncatesLikeHf) {
  const RopeConfig c = load_hf_config(fixture("synthetic/partial_float_truncation.json"));
  EXPECT_EQ(c.head_dim, 100);
  // int(100 * 0.29) == int(28.999999999999996) == 28 in Hugging Face.
  EXPECT_EQ(c.rotary_dim(), 28);
}

TEST(ConfigJson, DeepSeekUsesQkRopeHeadDimAndLegacyTypeKey) {
  const RopeConfig c = load_hf_config(fixture("models/deepseek-v2-lite.json"));
  EXPECT_EQ(c.head_dim, 64);  // qk_rope_head_dim, not 2048 / 16
  EXPECT_EQ(c.scaling.type, ScalingType::kYarn);
  EXPECT_EQ(c.scaling.factor.value_or(-1), 40.0);
  EXPECT_EQ(c.scaling.mscale.value_or(-1), 0.707);
  EXPECT_EQ(c.scaling.mscale_all_dim.value_or(-1), 0.707);
  EXPECT_EQ(c.scaling.beta_fast, 32.0);
  EXPECT_EQ(c.scaling.beta_slow, 1.0);
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_NEAR(f.attention_factor, 1.0, 1e-12);  // m(40, 0.707) / m(40, 0.707)
  EXPECT_EQ(f.original_max, 4096);
}

TEST(ConfigJson, Phi3LongropeFactorsAndTopLevelOriginalMax) {
  const RopeConfig c = load_hf_config(fixture("models/phi-3-mini-128k-instruct.json"));
  EXPECT_EQ(c.head_dim, 96);
  EXPECT_EQ(c.scaling.type, ScalingType::kLongrope);
  ASSERT_EQ(c.scaling.short_factor.size(), 48u);
  ASSERT_EQ(c.scaling.long_factor.size(), 48u);
  EXPECT_EQ(c.scaling.short_factor.front(), 1.1);
  EXPECT_EQ(c.scaling.long_factor.back(), 64.76000213623047);
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_EQ(f.original_max, 4096);
  EXPECT_NEAR(f.factor, 32.0, 1e-12);  // 131072 / 4096
  EXPECT_NEAR(f.attention_factor, std::sqrt(1.0 + std::log(32.0) / std::log(4096.0)), 1e-12);
}

TEST(ConfigJson, SuIsLongrope) {
  const RopeConfig c = load_hf_config(fixture("synthetic/longrope_su_no_extension.json"));
  EXPECT_EQ(c.scaling.type, ScalingType::kLongrope);
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_EQ(f.attention_factor, 1.0);  // factor 4096/4096 = 1
}

TEST(ConfigJson, LegacyTypeKeyAndDefaultType) {
  EXPECT_EQ(load_hf_config(fixture("synthetic/linear_legacy_type.json")).scaling.type, ScalingType::kLinear);
  const RopeConfig d = load_hf_config(fixture("synthetic/default_rope_type.json"));
  EXPECT_EQ(d.scaling.type, ScalingType::kNone);
  EXPECT_EQ(d.base, 10000.0);  // integer JSON number
}

TEST(ConfigJson, V5RopeParametersCarryTheta) {
  const RopeConfig inside = load_hf_config(fixture("synthetic/v5_theta_inside.json"));
  EXPECT_EQ(inside.base, 500000.0);
  EXPECT_EQ(inside.scaling.type, ScalingType::kNone);
  // HF v5 standardisation: rope_parameters["rope_theta"] wins over the top-level rope_theta.
  const RopeConfig wins = load_hf_config(fixture("synthetic/v5_theta_inside_wins.json"));
  EXPECT_EQ(wins.base, 1000000.0);
  EXPECT_EQ(wins.scaling.type, ScalingType::kLinear);
  EXPECT_EQ(wins.scaling.factor.value_or(-1), 2.0);
}

TEST(ConfigJson, ExplicitHeadDimWins) {
  const RopeConfig c = load_hf_config(fixture("synthetic/head_dim_explicit.json"));
  EXPECT_EQ(c.head_dim, 128);  // not 5120 / 32 = 160
}

TEST(ConfigJson, YarnExplicitFactorWinsAndTopLevelOriginalMaxWins) {
  const RopeFrequencies f =
      compute_frequencies(load_hf_config(fixture("synthetic/yarn_explicit_factor_toplevel_orig.json")));
  EXPECT_EQ(f.factor, 4.0);          // explicit, not 65536 / 8192
  EXPECT_EQ(f.original_max, 8192);   // top level, not the block's 16384
}

TEST(ConfigJson, YarnMissingFactorIsDerived) {
  const RopeFrequencies f = compute_frequencies(load_hf_config(fixture("synthetic/yarn_factor_derived_v5.json")));
  EXPECT_EQ(f.factor, 8.0);  // 65536 / 8192
  EXPECT_EQ(f.original_max, 8192);
  EXPECT_NEAR(f.attention_factor, 0.1 * std::log(8.0) + 1.0, 1e-12);
}

TEST(ConfigJson, YarnTruncateFalse) {
  const RopeConfig c = load_hf_config(fixture("synthetic/yarn_no_truncate.json"));
  EXPECT_FALSE(c.scaling.truncate);
  EXPECT_EQ(c.head_dim, 64);
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_NE(f.yarn_low, std::floor(f.yarn_low));  // not truncated to an integer
}

TEST(ConfigJson, NumberOverflowIsAnErrorNotACrash) {
  // Found by fuzz_config_json: the JSON library reports overflow as out_of_range, not parse_error.
  const std::string message = error_of_fixture("malformed/number_overflow.json");
  EXPECT_NE(message.find("number_overflow.json: not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("overflow"), std::string::npos) << message;
  EXPECT_THROW(parse_hf_config(R"({"rope_theta": 1e99999})"), RopeError);
}

TEST(ConfigJson, RopeScalingWinsOverRopeParametersLikeHuggingFace) {
  const RopeConfig c = parse_hf_config(R"({"head_dim": 64, "rope_theta": 10000,
      "rope_scaling": {"rope_type": "linear", "factor": 2.0},
      "rope_parameters": {"rope_type": "linear", "factor": 8.0}})");
  EXPECT_EQ(c.scaling.type, ScalingType::kLinear);
  EXPECT_EQ(*c.scaling.factor, 2.0);
  // A null legacy block leaves the v5 one in charge.
  const RopeConfig v5 = parse_hf_config(R"({"head_dim": 64, "rope_scaling": null,
      "rope_parameters": {"rope_type": "linear", "factor": 8.0, "rope_theta": 5000}})");
  EXPECT_EQ(*v5.scaling.factor, 8.0);
  EXPECT_EQ(v5.base, 5000.0);
}

TEST(ConfigJson, GptNeoxRotaryEmbBaseIsTheBase) {
  const RopeConfig c = parse_hf_config(
      R"({"hidden_size": 6144, "num_attention_heads": 64, "rotary_pct": 0.25, "rotary_emb_base": 20000})");
  EXPECT_EQ(c.base, 20000.0);
  const RopeConfig both = parse_hf_config(R"({"head_dim": 64, "rope_theta": 30000, "rotary_emb_base": 20000})");
  EXPECT_EQ(both.base, 30000.0);  // rope_theta wins
}

TEST(ConfigJson, EveryModelFixtureParses) {
  for (const char* file : {"models/llama-2-7b-hf.json", "models/llama-3.1-8b.json", "models/mistral-7b-v0.1.json",
                           "models/qwen2-7b.json", "models/gpt-neox-20b.json",
                           "models/phi-3-mini-128k-instruct.json", "models/deepseek-v2-lite.json"}) {
    SCOPED_TRACE(file);
    EXPECT_EQ(error_of_fixture(file), "");
  }
}

}  // namespace
}  // namespace rope::core
