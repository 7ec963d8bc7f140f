// GGUF (llama.cpp) metadata into a ModelRope: the fixtures of tests/data/gguf/ (make_gguf.py), the
// same rotation as the model's config.json, and hostile files that must each give one line.
#include "core/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/config_diff.h"
#include "core/config_json.h"
#include "core/error.h"

namespace rope::core {
namespace {

const std::string kDir = std::string(ROPE_TEST_DATA_DIR) + "/gguf/";
const std::string kModels = std::string(ROPE_TEST_DATA_DIR) + "/configs/models/";

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string origin_of(const LayerTypeRope& set, const std::string& field) {
  for (const ValueOrigin& o : set.origins) {
    if (o.field == field) return o.origin;
  }
  return "";
}

// The one-line error of loading `path`, or "" when it loads.
std::string error_of(const std::string& path) {
  try {
    load_hf_model(path);
  } catch (const RopeError& e) {
    return e.what();
  }
  return "";
}

TEST(Gguf, LlamaFileGivesTheConfigJsonFrequenciesThroughRopeFreqs) {
  const ModelRope gguf = load_hf_model(kDir + "llama-3.1-8b.gguf");  // dispatch by magic
  const ModelRope hf = load_hf_model(kModels + "llama-3.1-8b.json");
  ASSERT_EQ(gguf.layer_types.size(), 1u);
  const RopeConfig& g = gguf.select(std::nullopt).config;
  const RopeConfig& h = hf.select(std::nullopt).config;
  EXPECT_EQ(gguf.model_type, "llama");
  EXPECT_EQ(gguf.num_layers, 32);
  EXPECT_EQ(g.head_dim, 128);
  EXPECT_EQ(g.rotary_dim(), 128);
  EXPECT_EQ(g.base, 500000.0);
  EXPECT_EQ(g.layout, Layout::kGptj);  // llama.cpp's NORM
  EXPECT_EQ(g.max_position_embeddings, 131072);
  EXPECT_EQ(g.scaling.type, ScalingType::kLongrope);
  EXPECT_EQ(g.scaling.short_factor, g.scaling.long_factor);
  EXPECT_EQ(g.scaling.attention_factor, 1.0);
  EXPECT_NE(origin_of(gguf.layer_types[0], "layout").find("permutes"), std::string::npos);
  EXPECT_NE(origin_of(gguf.layer_types[0], "base").find("llama.rope.freq_base"), std::string::npos);

  // At a short and a long context the pairs' frequencies equal Hugging Face's llama3 ones to
  // float32 rounding of the stored factors (2^-24 relative), and the attention factor is 1 on both.
  // The layouts differ as the files say (llama.cpp's NORM on weights its converter permuted); with
  // that permutation undone the logits agree too.
  RopeConfig g_permuted = g;
  g_permuted.layout = Layout::kNeox;
  for (const int64_t context : {int64_t{4096}, int64_t{131072}}) {
    const ConfigDiff d = diff_configs(h, g, context);
    ASSERT_EQ(d.rel_diff.size(), 64u);
    EXPECT_LT(d.max_rel_diff, 1.0e-7) << "context " << context;
    EXPECT_EQ(d.a.attention_factor, d.b.attention_factor);
    EXPECT_TRUE(d.structure_differs);
    EXPECT_LT(diff_configs(h, g_permuted, context).max_abs_logit_diff, 1.0e-5) << "context " << context;
  }
  // The unscaled pairs (the highest frequencies) match exactly and the scaled ones are divided by 8.
  const RopeFrequencies f = compute_frequencies(g);
  EXPECT_EQ(f.inv_freq[0], f.inv_freq_unscaled[0]);
  EXPECT_NEAR(f.inv_freq[63] * 8.0 / f.inv_freq_unscaled[63], 1.0, 1e-12);
}

TEST(Gguf, QwenFileIsNeoxWithoutScalingAndMatchesConfigJson) {
  const ModelRope gguf = load_hf_model(kDir + "qwen2-7b.gguf");
  const RopeConfig& g = gguf.select(std::nullopt).config;
  const RopeConfig& h = load_hf_config(kModels + "qwen2-7b.json");
  EXPECT_EQ(g.layout, Layout::kNeox);
  EXPECT_EQ(g.head_dim, 128);  // derived: 3584 / 28
  EXPECT_NE(origin_of(gguf.layer_types[0], "head_dim").find("derived"), std::string::npos);
  EXPECT_EQ(g.scaling.type, ScalingType::kNone);
  const ConfigDiff d = diff_configs(h, g, 4096);
  EXPECT_EQ(d.max_rel_diff, 0.0);
  EXPECT_FALSE(d.structure_differs);
  EXPECT_TRUE(gguf.warnings.empty());
}

TEST(Gguf, AMissingOptionalKeyTakesLlamaCppsDefaultWithAWarning) {
  const ModelRope m = load_hf_model(kDir + "no-freq-base.gguf");
  EXPECT_EQ(m.select(std::nullopt).config.base, 10000.0);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("qwen2.rope.freq_base is absent"), std::string::npos) << m.warnings[0];
  EXPECT_EQ(m.warnings[0].rfind(kDir + "no-freq-base.gguf: ", 0), 0u);
}

TEST(Gguf, YarnFileTakesFactorOriginalContextAndLlamaCppsAttentionFactor) {
  const RopeConfig c = load_hf_config(kDir + "qwen2-7b-yarn.gguf");
  EXPECT_EQ(c.scaling.type, ScalingType::kYarn);
  EXPECT_EQ(c.scaling.factor, 4.0);
  EXPECT_EQ(c.scaling.original_max, 32768);
  // llama.cpp's rope_yarn multiplies attn_factor (1 here) by 1 + 0.1 ln(factor).
  ASSERT_TRUE(c.scaling.attention_factor.has_value());
  EXPECT_NEAR(*c.scaling.attention_factor, 1.0 + 0.1 * std::log(4.0), 1e-15);
  EXPECT_NEAR(compute_frequencies(c).attention_factor, 1.0 + 0.1 * std::log(4.0), 1e-15);
}

TEST(Gguf, LongropeFileReadsBothFactorTensors) {
  const RopeConfig c = load_hf_config(kDir + "phi3-longrope.gguf");
  EXPECT_EQ(c.scaling.type, ScalingType::kLongrope);
  EXPECT_EQ(c.head_dim, 96);
  ASSERT_EQ(c.scaling.long_factor.size(), 48u);
  ASSERT_EQ(c.scaling.short_factor.size(), 48u);
  EXPECT_EQ(c.scaling.long_factor.back(), 20.0);
  EXPECT_EQ(c.scaling.short_factor.back(), 2.0);
  EXPECT_EQ(c.scaling.original_max, 4096);
  EXPECT_NEAR(*c.scaling.attention_factor, std::sqrt(1 + std::log(32.0) / std::log(4096.0)), 1e-7);
}

TEST(Gguf, HostileFilesGiveOneLineNamingTheFileAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"big-endian.gguf", "big-endian"},
      {"version-1.gguf", "version 1"},
      {"wrong-type.gguf", "head_count: expected an integer, got string"},
      {"duplicate-key.gguf", "duplicate metadata key qwen2.rope.freq_base"},
      {"missing-keys.gguf", "missing qwen2.attention.head_count, qwen2.context_length"},
      {"truncated-factors.gguf", "rope_freqs.weight"},
      {"absurd-string.gguf", "length"},
      {"absurd-count.gguf", "metadata count"},
      {"array-bomb.gguf", "does not fit"},
  };
  for (const auto& [name, needle] : cases) {
    const std::string path = kDir + "hostile/" + name;
    const std::string e = error_of(path);
    EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(needle), std::string::npos) << name << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(Gguf, EveryTruncationAndEveryByteFlipOfAFixtureIsAnErrorOrAValidModel) {
  const std::vector<char> good = bytes_of(kDir + "llama-3.1-8b.gguf");
  ASSERT_GT(good.size(), 1000u);
  for (size_t n = 0; n < good.size(); ++n) {
    try {
      parse_gguf_model(good.data(), n, "cut");
      ADD_FAILURE() << "a file cut to " << n << " bytes loaded";
    } catch (const RopeError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut: ", 0), 0u) << e.what();
    }
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<char> bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    try {
      const ModelRope m = parse_gguf_model(bad.data(), bad.size(), "flip");
      compute_frequencies(m.select(std::nullopt).config);  // whatever loads must be usable
    } catch (const RopeError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace rope::core
