// Reading Hugging Face config.json files: field quirks (v4/v5 names, legacy keys, head_dim
// sources, rotary fraction names) and errors that name the offending field on one line.
// Fixtures live in tests/data/configs/{models,synthetic,malformed}.
#include <gtest/gtest.h>

#include "golden_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "core/config_json.h"
#include "core/error.h"
#include "core/model_rules.h"
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

// ------------------------------------------------------------------------------------------
// Paths and messages
// ------------------------------------------------------------------------------------------

TEST(ConfigJson, DirectoryIsSaidToBeADirectory) {
  const std::string message = error_of_fixture("models");
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;
  EXPECT_EQ(message.find("64 MiB"), std::string::npos) << message;
}

TEST(ConfigJson, NewlineInsideAStringIsNamedNotCoded) {
  const std::string message = error_of_text("{\"model_type\": \"lla\nma\"}");
  EXPECT_NE(message.find("<newline>"), std::string::npos) << message;
  EXPECT_EQ(message.find("<U+000A>"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// ------------------------------------------------------------------------------------------
// Layer types
// ------------------------------------------------------------------------------------------

std::vector<int> full_every_sixth(int layers) {
  std::vector<int> out;
  for (int i = 0; i < layers; ++i) {
    if ((i + 1) % 6 == 0) out.push_back(i);
  }
  return out;
}

void expect_gemma3_270m(const ModelRope& m) {
  ASSERT_EQ(m.layer_types.size(), 2u);
  const LayerTypeRope* full = m.find("full_attention");
  const LayerTypeRope* sliding = m.find("sliding_attention");
  ASSERT_TRUE(full && sliding);
  EXPECT_EQ(full->config.base, 1e6);
  EXPECT_EQ(sliding->config.base, 1e4);
  EXPECT_EQ(full->config.head_dim, 256);
  EXPECT_EQ(full->layers, (std::vector<int>{5, 11, 17}));
  EXPECT_EQ(sliding->layers.size(), 15u);
  EXPECT_EQ(m.layer_set.size(), 18u);
  EXPECT_EQ(&m.select(std::nullopt), full);  // the views default to the global layers
  EXPECT_EQ(&m.select("sliding_attention"), sliding);
}

TEST(ConfigJsonLayerTypes, Gemma3RopeLocalBaseFreqGivesTwoSets) {
  const ModelRope m = load_hf_model(fixture("models/gemma-3-270m.json"));
  expect_gemma3_270m(m);
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
}

TEST(ConfigJsonLayerTypes, V5NestedRopeParametersPerLayerType) {
  const ModelRope v5 = load_hf_model(fixture("synthetic/gemma-3-270m-v5.json"));
  expect_gemma3_270m(v5);
  const ModelRope v4 = load_hf_model(fixture("models/gemma-3-270m.json"));
  for (const char* name : {"full_attention", "sliding_attention"}) {
    EXPECT_EQ(v5.find(name)->config, v4.find(name)->config) << name;
    EXPECT_EQ(v5.find(name)->layers, v4.find(name)->layers) << name;
  }
  // The old reader's failure: plain RoPE at base 10000 for the whole model.
  EXPECT_EQ(load_hf_config(fixture("synthetic/gemma-3-270m-v5.json")).base, 1e6);
  EXPECT_TRUE(v5.warnings.empty()) << v5.warnings.front();
  // Values no class default could supply: each set is read from its own block.
  const ModelRope m = parse_hf_model(R"({"model_type": "mystery", "head_dim": 64, "max_position_embeddings": 4096,
      "layer_types": ["sliding_attention", "full_attention"],
      "rope_parameters": {"sliding_attention": {"rope_type": "default", "rope_theta": 20000},
                          "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000}}})");
  ASSERT_EQ(m.layer_types.size(), 2u);
  EXPECT_EQ(m.layer_types[0].name, "full_attention");
  EXPECT_EQ(m.layer_types[0].config.base, 5e5);
  EXPECT_EQ(m.layer_types[0].config.scaling.factor.value_or(-1), 4.0);
  EXPECT_EQ(m.layer_types[0].layers, std::vector<int>{1});
  EXPECT_EQ(m.layer_types[1].config.base, 2e4);
  EXPECT_EQ(m.layer_types[1].config.scaling.type, ScalingType::kNone);
}

TEST(ConfigJsonLayerTypes, SlidingWindowPatternPlacesTheGlobalLayers) {
  const ModelRope m = load_hf_model(fixture("synthetic/gemma3_pattern_only.json"));
  EXPECT_EQ(m.find("full_attention")->layers, full_every_sixth(26));
  EXPECT_EQ(m.find("sliding_attention")->layers.size(), 22u);
}

TEST(ConfigJsonLayerTypes, OneRopeForEveryListedLayerType) {
  const ModelRope m = load_hf_model(fixture("synthetic/gemma2_layer_types_one_rope.json"));
  ASSERT_EQ(m.layer_types.size(), 2u);
  EXPECT_EQ(m.layer_types[0].name, "full_attention");  // listed first although layer 0 slides
  EXPECT_EQ(m.layer_types[0].config, m.layer_types[1].config);
  EXPECT_EQ(m.layer_types[0].config.head_dim, 256);  // Gemma2Config's head_dim, not 2304 / 8
  EXPECT_EQ(m.layer_types[1].layers.front(), 0);
}

TEST(ConfigJsonLayerTypes, UnknownLayerTypeNamesTheAvailableOnes) {
  const ModelRope m = load_hf_model(fixture("models/gemma-3-270m.json"));
  try {
    (void)m.select("chunked_attention");
    FAIL() << "no error";
  } catch (const RopeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("chunked_attention"), std::string::npos) << message;
    EXPECT_NE(message.find("full_attention, sliding_attention"), std::string::npos) << message;
  }
}

TEST(ConfigJsonLayerTypes, NestedSetMissingForAListedLayerTypeIsAnError) {
  const std::string message = error_of_text(R"({"head_dim": 64, "layer_types": ["full_attention", "sliding_attention"],
      "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1e6}}})");
  EXPECT_NE(message.find("sliding_attention"), std::string::npos) << message;
}

// ------------------------------------------------------------------------------------------
// Wrappers and architecture rules
// ------------------------------------------------------------------------------------------

TEST(ConfigJsonRules, Gemma3MultimodalWrapperUsesTextConfigAndClassDefaults) {
  const ModelRope m = load_hf_model(fixture("models/gemma-3-4b-it.json"));
  EXPECT_EQ(m.text_config, "text_config");
  EXPECT_EQ(m.model_type, "gemma3_text");
  const LayerTypeRope& full = m.select(std::nullopt);
  EXPECT_EQ(full.config.head_dim, 256);  // Gemma3TextConfig default; 2560 / 8 would be 320
  EXPECT_EQ(full.config.base, 1e6);      // class default rope_theta
  EXPECT_EQ(full.config.scaling.type, ScalingType::kLinear);
  EXPECT_EQ(full.config.scaling.factor.value_or(-1), 8.0);
  const LayerTypeRope* sliding = m.find("sliding_attention");
  ASSERT_TRUE(sliding);
  EXPECT_EQ(sliding->config.base, 1e4);
  EXPECT_EQ(sliding->config.scaling.type, ScalingType::kNone);  // local layers are not scaled
  EXPECT_EQ(full.layers, full_every_sixth(34));
  const auto head = std::find_if(full.origins.begin(), full.origins.end(), [](const ValueOrigin& o) { return o.field == "head_dim"; });
  ASSERT_NE(head, full.origins.end());
  EXPECT_NE(head->origin.find("Gemma3TextConfig"), std::string::npos) << head->origin;
}

TEST(ConfigJsonRules, GptjAliasesAbsoluteRotaryDimAndInterleavedPairs) {
  const RopeConfig c = load_hf_config(fixture("models/gpt-j-6b.json"));
  EXPECT_EQ(c.head_dim, 256);  // n_embd / n_head
  EXPECT_EQ(c.rotary_dim(), 64);
  EXPECT_EQ(c.layout, Layout::kGptj);
  EXPECT_EQ(c.max_position_embeddings.value_or(-1), 2048);  // n_positions
  EXPECT_EQ(load_hf_model(fixture("models/gpt-j-6b.json")).num_layers, 28);
}

TEST(ConfigJsonRules, AbsoluteRotaryDimSurvivesFloatTruncation) {
  // 44 features per head, 30 rotate: in float64 44 * (30 / 44) is just below 30, so the fraction
  // must be nudged for int(head_dim * fraction) to give 30 back (likewise 49 and 16).
  for (auto [hidden, heads, rd] : {std::tuple{352, 8, 30}, std::tuple{392, 8, 16}, std::tuple{2560, 32, 64}}) {
    const RopeConfig c = parse_hf_config(R"({"model_type": "codegen", "n_embd": )" + std::to_string(hidden) +
                                         R"(, "n_head": )" + std::to_string(heads) + R"(, "rotary_dim": )" + std::to_string(rd) + "}");
    EXPECT_EQ(c.rotary_dim(), rd) << hidden << " / " << heads;
  }
}

TEST(ConfigJsonRules, FalconNHeadAndAlibi) {
  const RopeConfig c = load_hf_config(fixture("models/falcon-7b.json"));
  EXPECT_EQ(c.head_dim, 64);  // 4544 / n_head 71
  EXPECT_EQ(c.layout, Layout::kNeox);
  const std::string alibi = error_of_text(R"({"model_type": "falcon", "hidden_size": 8192, "n_head": 128, "alibi": true})");
  EXPECT_NE(alibi.find("alibi"), std::string::npos) << alibi;
  EXPECT_NE(alibi.find("ALiBi"), std::string::npos) << alibi;
}

TEST(ConfigJsonRules, DeepSeekRopeHeadDimAndInterleave) {
  const RopeConfig v3 = load_hf_config(fixture("models/deepseek-v3.json"));
  EXPECT_EQ(v3.head_dim, 64);
  EXPECT_EQ(v3.layout, Layout::kGptj);  // DeepseekV3Config rope_interleave defaults to true
  EXPECT_EQ(v3.scaling.type, ScalingType::kYarn);
  EXPECT_EQ(load_hf_config(fixture("models/deepseek-v2-lite.json")).layout, Layout::kGptj);
  const RopeConfig off = parse_hf_config(R"({"model_type": "deepseek_v3", "hidden_size": 7168,
      "num_attention_heads": 128, "qk_rope_head_dim": 64, "rope_interleave": false})");
  EXPECT_EQ(off.layout, Layout::kNeox);
  EXPECT_EQ(off.head_dim, 64);
}

TEST(ConfigJsonRules, Glm4HalfRotaryInterleaved) {
  const RopeConfig c = load_hf_config(fixture("models/glm-4-9b-0414.json"));
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.rotary_dim(), 64);
  EXPECT_EQ(c.layout, Layout::kGptj);
  // GlmConfig's default fraction 0.5 when config.json leaves it out.
  EXPECT_EQ(parse_hf_config(R"({"model_type": "glm", "hidden_size": 4096, "num_attention_heads": 32})").rotary_dim(), 64);
}

TEST(ConfigJsonRules, Qwen3HeadDimClassDefault) {
  EXPECT_EQ(load_hf_config(fixture("synthetic/qwen3_no_head_dim.json")).head_dim, 128);  // not 1024 / 16
  EXPECT_EQ(load_hf_config(fixture("models/qwen3-0.6b.json")).head_dim, 128);
}

TEST(ConfigJsonRules, Phi3SuAndYarnAreLongrope) {
  const RopeConfig reference = load_hf_config(fixture("models/phi-3-mini-128k-instruct.json"));
  for (const char* file : {"synthetic/phi3_su.json", "synthetic/phi3_yarn_is_longrope.json"}) {
    SCOPED_TRACE(file);
    const RopeConfig c = load_hf_config(fixture(file));
    EXPECT_EQ(c.scaling.type, ScalingType::kLongrope);
    EXPECT_EQ(c, reference);
  }
  // Phi3Config renames only the legacy `type` key; rope_type yarn is yarn.
  EXPECT_EQ(parse_hf_config(R"({"model_type": "phi3", "head_dim": 96, "max_position_embeddings": 8192,
      "rope_scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 4096}})").scaling.type,
            ScalingType::kYarn);
  // Outside Phi-3, yarn stays yarn.
  EXPECT_EQ(parse_hf_config(R"({"model_type": "llama", "head_dim": 64, "max_position_embeddings": 8192,
      "rope_scaling": {"type": "yarn", "factor": 2.0, "original_max_position_embeddings": 4096}})").scaling.type,
            ScalingType::kYarn);
}

TEST(ConfigJsonRules, GptNeoxOwnNamesWinForItsModelType) {
  const RopeConfig c = parse_hf_config(
      R"({"model_type": "gpt_neox", "hidden_size": 6144, "num_attention_heads": 64, "rotary_emb_base": 20000})");
  EXPECT_EQ(c.base, 20000.0);
  EXPECT_DOUBLE_EQ(c.rotary_fraction, 0.25);  // GPTNeoXConfig's default rotary_pct
}

TEST(ConfigJsonRules, FieldOfAModelsOwnCodeIsRefusedNotIgnored) {
  const std::string message = error_of_text(R"({"model_type": "internlm2", "hidden_size": 4096,
      "num_attention_heads": 32, "rope_ratio": 500})");
  EXPECT_NE(message.find("rope_ratio"), std::string::npos) << message;
}

TEST(ConfigJsonRules, ChatGlmRopeRatioKvChannelsAndHalfInterleaved) {
  const ModelRope m = load_hf_model(fixture("models/glm-4-9b-chat.json"));
  const RopeConfig& c = m.select(std::nullopt).config;
  EXPECT_EQ(c.head_dim, 128);    // kv_channels
  EXPECT_EQ(c.rotary_dim(), 64);  // RotaryEmbedding(rotary_dim // 2)
  EXPECT_EQ(c.base, 10000.0 * 500);
  EXPECT_EQ(c.layout, Layout::kGptj);
  EXPECT_EQ(c.max_position_embeddings.value_or(-1), 131072);  // seq_length
  EXPECT_EQ(m.num_layers, 40);
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
  const std::string other = error_of_text(R"({"model_type": "chatglm", "kv_channels": 128, "original_rope": false})");
  EXPECT_NE(other.find("original_rope"), std::string::npos) << other;
}

TEST(ConfigJsonRules, EveryRuleCitesItsClassAndFile) {
  for (const ModelRule& rule : model_rules()) {
    SCOPED_TRACE(std::string(rule.model_type) + " " + std::string(rule.key) + " " + std::string(rule.target));
    EXPECT_FALSE(rule.config_class.empty());
    EXPECT_NE(rule.source.find(".py"), std::string_view::npos);
  }
}

TEST(ConfigJsonRules, TopLevelPartialRotaryFactorWinsOverTheBlock) {
  const RopeConfig c = parse_hf_config(R"({"head_dim": 64, "partial_rotary_factor": 0.5,
      "rope_parameters": {"rope_type": "default", "rope_theta": 10000, "partial_rotary_factor": 0.25}})");
  EXPECT_EQ(c.rotary_dim(), 32);
}

// ------------------------------------------------------------------------------------------
// Warnings and errors
// ------------------------------------------------------------------------------------------

bool has_warning(const ModelRope& m, const std::string& needle) {
  for (const std::string& w : m.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(ConfigJsonWarnings, HuggingFaceValidationWarningsAreKept) {
  const ModelRope yarn = parse_hf_model(R"({"model_type": "llama", "head_dim": 64, "max_position_embeddings": 65536,
      "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8192, "foo": 1}})", "y.json");
  EXPECT_TRUE(has_warning(yarn, "differs from max_position_embeddings / original_max_position_embeddings = 8")) << yarn.warnings.size();
  EXPECT_TRUE(has_warning(yarn, "rope_scaling.foo"));
  EXPECT_TRUE(has_warning(yarn, "y.json: "));
  const ModelRope llama3 = parse_hf_model(R"({"model_type": "llama", "head_dim": 64, "max_position_embeddings": 8192,
      "rope_theta": 500000, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 2.0, "high_freq_factor": 2.0}})");
  EXPECT_TRUE(has_warning(llama3, "original_max_position_embeddings (8192) should be less than max_position_embeddings (8192)"));
  EXPECT_TRUE(has_warning(llama3, "high_freq_factor (2) should be greater than low_freq_factor (2)"));
  // Computed, not refused: with an empty band every pair is either scaled or kept.
  const RopeFrequencies f = compute_frequencies(llama3.select(std::nullopt).config);
  for (size_t j = 0; j < f.inv_freq.size(); ++j) {
    const double ratio = f.inv_freq_unscaled[j] / f.inv_freq[j];
    EXPECT_TRUE(std::abs(ratio - 1.0) < 1e-12 || std::abs(ratio - 8.0) < 1e-12) << j << " " << ratio;
  }
}

TEST(ConfigJsonWarnings, RopeKeysNoRuleReadsAreSaid) {
  // Qwen (v1, its own code) names its base rotary_emb_base; no rule reads it for model_type qwen.
  const ModelRope qwen = parse_hf_model(R"({"model_type": "qwen", "hidden_size": 4096, "num_attention_heads": 32,
      "rotary_emb_base": 10000, "rotary_pct": 1.0, "rope_theta": 10000})");
  EXPECT_TRUE(has_warning(qwen, "rotary_emb_base, rotary_pct")) << (qwen.warnings.empty() ? "" : qwen.warnings.front());
  // Read by GPTNeoXConfig's rules: nothing to say.
  EXPECT_FALSE(has_warning(parse_hf_model(R"({"model_type": "gpt_neox", "hidden_size": 4096, "num_attention_heads": 32,
      "rotary_emb_base": 10000, "rotary_pct": 0.25})"), "not read"));
}

TEST(ConfigJsonWarnings, AssumedBaseIsSaidUnlessTheClassDefinesIt) {
  EXPECT_TRUE(has_warning(parse_hf_model(R"({"model_type": "mystery", "head_dim": 64})"), "rope_theta is not in the file"));
  EXPECT_TRUE(load_hf_model(fixture("models/llama-2-7b-hf.json")).warnings.empty());  // LlamaConfig's default
}

TEST(ConfigJsonWarnings, EveryModelFixtureLoadsWithoutSurprise) {
  for (const auto& entry : std::filesystem::directory_iterator(fixture("models"))) {
    SCOPED_TRACE(entry.path().string());
    const ModelRope m = load_hf_model(entry.path().string());
    EXPECT_FALSE(m.layer_types.empty());
    for (const std::string& w : m.warnings) ADD_FAILURE() << w;
  }
}

TEST(ConfigJsonWarnings, ErrorNamesEveryMissingField) {
  const std::string message = error_of_text(R"({"rope_scaling": {"rope_type": "llama3"}})");
  for (const char* field : {"head_dim", "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
    EXPECT_NE(message.find(field), std::string::npos) << field << ": " << message;
  }
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// ------------------------------------------------------------------------------------------
// Golden: tests/golden/layer_types.json (make_layer_types_golden.py, float64 numpy)
// ------------------------------------------------------------------------------------------

TEST(ConfigJsonGolden, LayerTypesMatchTheReference) {
  const nlohmann::json& golden = test::golden_file("layer_types.json");
  ASSERT_TRUE(golden.is_object()) << "layer_types.json missing or not JSON";
  ASSERT_GE(golden.at("cases").size(), 10u);
  for (const nlohmann::json& c : golden.at("cases")) {
    const std::string file = c.at("config_file").get<std::string>();
    SCOPED_TRACE(file);
    const ModelRope m = load_hf_model(fixture(file));
    ASSERT_EQ(m.layer_types.size(), c.at("layer_types").size());
    for (const auto& [name, e] : c.at("layer_types").items()) {
      SCOPED_TRACE(name);
      const LayerTypeRope* t = m.find(name);
      ASSERT_TRUE(t);
      RopeConfig config = t->config;
      config.seq_len = c.at("seq_len").get<int64_t>();
      const RopeFrequencies f = compute_frequencies(config);
      EXPECT_EQ(f.head_dim, e.at("head_dim").get<int>());
      EXPECT_EQ(f.rotary_dim, e.at("rotary_dim").get<int>());
      EXPECT_EQ(std::string(to_string(f.layout)), e.at("layout").get<std::string>());
      EXPECT_EQ(f.base, e.at("base").get<double>());
      EXPECT_NEAR(f.attention_factor, e.at("attention_factor").get<double>(), 1e-12);
      EXPECT_EQ(t->layers, e.at("layers").get<std::vector<int>>());
      const auto want = e.at("inv_freq").get<std::vector<double>>();
      ASSERT_EQ(f.inv_freq.size(), want.size());
      for (size_t j = 0; j < want.size(); ++j) {
        EXPECT_NEAR(f.inv_freq[j], want[j], 1e-9 * want[j]) << "pair " << j;  // relative 1e-9
      }
    }
  }
}

}  // namespace
}  // namespace rope::core
