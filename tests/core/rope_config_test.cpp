// Properties of the frequency computation that hold for every rope type, and validation errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/rope_config.h"

namespace rope::core {
namespace {

RopeConfig llama2() { return RopeConfig{}; }

TEST(RopeConfig, DefaultIsBasePowers) {
  const RopeFrequencies f = compute_frequencies(llama2());
  ASSERT_EQ(f.rotary_dim, 128);
  ASSERT_EQ(f.inv_freq.size(), 64u);
  EXPECT_DOUBLE_EQ(f.inv_freq[0], 1.0);
  // theta_j = 10000^(-2j/128); theta_32 = 10000^-0.5 = 0.01.
  EXPECT_NEAR(f.inv_freq[32], 0.01, 1e-15);
  EXPECT_EQ(f.attention_factor, 1.0);
  for (size_t j = 1; j < f.inv_freq.size(); ++j) EXPECT_LT(f.inv_freq[j], f.inv_freq[j - 1]);
}

TEST(RopeConfig, PartialRotaryTruncatesLikeHuggingFace) {
  RopeConfig c;
  c.head_dim = 80;
  c.rotary_fraction = 0.25;  // int(80 * 0.25) = 20
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_EQ(f.rotary_dim, 20);
  EXPECT_EQ(f.inv_freq.size(), 10u);
  EXPECT_NEAR(f.inv_freq[1], std::pow(10000.0, -2.0 / 20.0), 1e-15);
}

TEST(RopeConfig, LinearDividesEveryFrequency) {
  RopeConfig c;
  c.scaling.type = ScalingType::kLinear;
  c.scaling.factor = 4.0;
  const RopeFrequencies f = compute_frequencies(c);
  for (size_t j = 0; j < f.inv_freq.size(); ++j) EXPECT_DOUBLE_EQ(f.inv_freq[j], f.inv_freq_unscaled[j] / 4.0);
}

TEST(RopeConfig, DynamicEqualsDefaultWithinOriginalContext) {
  RopeConfig c;
  c.scaling.type = ScalingType::kDynamic;
  c.scaling.factor = 2.0;
  c.max_position_embeddings = 4096;
  c.seq_len = 4096;
  const RopeFrequencies inside = compute_frequencies(c);
  for (size_t j = 0; j < inside.inv_freq.size(); ++j) EXPECT_NEAR(inside.inv_freq[j], inside.inv_freq_unscaled[j], 1e-15);
  c.seq_len = 8192;
  const RopeFrequencies beyond = compute_frequencies(c);
  // base' = base * (2 * 8192/4096 - 1)^(128/126)
  EXPECT_NEAR(beyond.effective_base, 10000.0 * std::pow(3.0, 128.0 / 126.0), 1e-6);
  EXPECT_LT(beyond.inv_freq[10], inside.inv_freq[10]);
}

TEST(RopeConfig, YarnKeepsFastPairsAndInterpolatesSlowOnes) {
  RopeConfig c;
  c.scaling.type = ScalingType::kYarn;
  c.scaling.factor = 8.0;
  c.scaling.original_max = 4096;
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_DOUBLE_EQ(f.inv_freq.front(), f.inv_freq_unscaled.front());
  EXPECT_DOUBLE_EQ(f.inv_freq.back(), f.inv_freq_unscaled.back() / 8.0);
  EXPECT_NEAR(f.attention_factor, 0.1 * std::log(8.0) + 1.0, 1e-15);
  EXPECT_LT(f.yarn_low, f.yarn_high);
}

TEST(RopeConfig, Llama3BandsFollowWavelength) {
  RopeConfig c;
  c.base = 500000.0;
  c.scaling.type = ScalingType::kLlama3;
  c.scaling.factor = 8.0;
  c.scaling.low_freq_factor = 1.0;
  c.scaling.high_freq_factor = 4.0;
  c.scaling.original_max = 8192;
  const RopeFrequencies f = compute_frequencies(c);
  for (size_t j = 0; j < f.inv_freq.size(); ++j) {
    const double wavelen = 2.0 * std::numbers::pi / f.inv_freq_unscaled[j];
    if (wavelen < 8192.0 / 4.0) {
      EXPECT_DOUBLE_EQ(f.inv_freq[j], f.inv_freq_unscaled[j]) << j;
    }
    if (wavelen > 8192.0) {
      EXPECT_DOUBLE_EQ(f.inv_freq[j], f.inv_freq_unscaled[j] / 8.0) << j;
    }
    EXPECT_LE(f.inv_freq[j], f.inv_freq_unscaled[j]);
    EXPECT_GE(f.inv_freq[j], f.inv_freq_unscaled[j] / 8.0 * (1 - 1e-15));
  }
}

TEST(RopeConfig, LongropeSwitchesFactorsBeyondOriginal) {
  RopeConfig c;
  c.head_dim = 8;
  c.max_position_embeddings = 16384;
  c.scaling.type = ScalingType::kLongrope;
  c.scaling.original_max = 4096;
  c.scaling.short_factor = {1, 1, 1, 2};
  c.scaling.long_factor = {1, 2, 4, 8};
  c.seq_len = 4096;
  const RopeFrequencies short_f = compute_frequencies(c);
  EXPECT_DOUBLE_EQ(short_f.inv_freq[3], short_f.inv_freq_unscaled[3] / 2.0);
  c.seq_len = 4097;
  const RopeFrequencies long_f = compute_frequencies(c);
  EXPECT_DOUBLE_EQ(long_f.inv_freq[3], long_f.inv_freq_unscaled[3] / 8.0);
  // factor derived as 16384 / 4096 = 4: sqrt(1 + ln 4 / ln 4096).
  EXPECT_NEAR(long_f.attention_factor, std::sqrt(1.0 + std::log(4.0) / std::log(4096.0)), 1e-15);
}

TEST(RopeConfig, NtkRaisesBase) {
  RopeConfig c;
  c.scaling.type = ScalingType::kNtk;
  c.scaling.alpha = 4.0;
  const RopeFrequencies f = compute_frequencies(c);
  EXPECT_NEAR(f.effective_base, 10000.0 * std::pow(4.0, 128.0 / 126.0), 1e-8);
  EXPECT_DOUBLE_EQ(f.inv_freq[0], 1.0);
}

TEST(RopeConfig, ErrorsNameTheField) {
  const auto message = [](RopeConfig c) {
    try {
      compute_frequencies(c);
    } catch (const RopeError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  RopeConfig c;
  c.head_dim = 7;
  EXPECT_NE(message(c).find("rotary_dim"), std::string::npos);
  c = RopeConfig{};
  c.base = -1;
  EXPECT_NE(message(c).find("base"), std::string::npos);
  c = RopeConfig{};
  c.base = std::nan("");
  EXPECT_NE(message(c).find("base"), std::string::npos);
  c = RopeConfig{};
  c.scaling.type = ScalingType::kLlama3;
  c.scaling.factor = 8;
  c.scaling.high_freq_factor = 4;
  c.scaling.original_max = 8192;
  EXPECT_NE(message(c).find("low_freq_factor"), std::string::npos);
  c = RopeConfig{};
  c.seq_len = 0;
  EXPECT_NE(message(c).find("seq_len"), std::string::npos);
  c = RopeConfig{};
  c.scaling.type = ScalingType::kLongrope;
  c.scaling.original_max = 4096;
  c.scaling.short_factor = {1.0};
  c.scaling.long_factor = {1.0};
  EXPECT_NE(message(c).find("short_factor"), std::string::npos);
  c = RopeConfig{};
  c.rotary_fraction = 1.5;
  EXPECT_NE(message(c).find("rotary fraction"), std::string::npos);
}

}  // namespace
}  // namespace rope::core
