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

// The fields check_fields blames, in its order.
std::vector<ConfigField> blamed(const RopeConfig& c) {
  std::vector<ConfigField> fields;
  for (const FieldError& e : check_fields(c)) fields.push_back(e.field);
  return fields;
}

TEST(CheckFields, ReportsEveryBadFieldOnceAndValidateThrowsTheFirst) {
  EXPECT_TRUE(check_fields(RopeConfig{}).empty());
  RopeConfig c;
  c.base = -5.0;
  c.seq_len = 0;
  c.rotary_fraction = 0.0;
  EXPECT_EQ(blamed(c), (std::vector<ConfigField>{ConfigField::kRotaryFraction, ConfigField::kBase, ConfigField::kSeqLen}));
  const std::vector<FieldError> errors = check_fields(c);
  EXPECT_EQ(errors[1].message, "base (rope_theta) must be a finite number > 0 (got -5)");
  EXPECT_EQ(errors[2].message, "seq_len must be in [1, 16777216] (got 0)");
  try {
    validate(c);
    FAIL() << "validate accepted " << errors[0].message;
  } catch (const RopeError& e) {
    EXPECT_EQ(std::string(e.what()), errors[0].message);
  }
  // Every message is one line that names its field.
  for (const FieldError& e : errors) {
    EXPECT_EQ(e.message.find('\n'), std::string::npos);
    const std::string key(field_key(e.field));
    const std::string spaced = key == "rotary_fraction" ? "rotary fraction" : key;
    EXPECT_NE(e.message.find(spaced), std::string::npos) << e.message;
  }
}

TEST(CheckFields, AnOddRotaryDimIsBlamedOnTheFieldThatMakesIt) {
  RopeConfig c;
  c.head_dim = 7;  // the whole head rotates: head_dim's fault
  EXPECT_EQ(blamed(c), std::vector<ConfigField>{ConfigField::kHeadDim});
  c.head_dim = 64;
  c.rotary_fraction = 0.05;  // int(3.2) = 3
  EXPECT_EQ(blamed(c), std::vector<ConfigField>{ConfigField::kRotaryFraction});
  c.head_dim = 0;  // head_dim out of range: no second error about rotary_dim
  EXPECT_EQ(blamed(c), std::vector<ConfigField>{ConfigField::kHeadDim});
  c = RopeConfig{};
  c.scaling.type = ScalingType::kLlama3;
  c.scaling.factor = 8.0;
  c.scaling.low_freq_factor = 4.0;
  c.scaling.high_freq_factor = 1.0;
  c.scaling.original_max = 8192;
  EXPECT_EQ(blamed(c), std::vector<ConfigField>{ConfigField::kHighFreqFactor});
  c.scaling.type = ScalingType::kYarn;
  c.scaling.beta_slow = -1.0;
  EXPECT_EQ(blamed(c), std::vector<ConfigField>{ConfigField::kBetaSlow});
}

TEST(CheckFields, WithValidFieldsKeepsTheLastValidValueOfABadFieldAndEveryOtherEdit) {
  RopeConfig last;
  last.base = 500000.0;
  last.head_dim = 64;
  RopeConfig edited = last;
  edited.base = -5.0;    // bad
  edited.seq_len = 4096;  // fine
  edited.layout = Layout::kGptj;
  const RopeConfig shown = with_valid_fields(edited, last);
  EXPECT_EQ(shown.base, 500000.0);
  EXPECT_EQ(shown.seq_len, 4096);
  EXPECT_EQ(shown.layout, Layout::kGptj);
  EXPECT_EQ(shown.head_dim, 64);
  EXPECT_TRUE(check_fields(shown).empty());
  // A valid config is returned as it is.
  EXPECT_EQ(with_valid_fields(last, RopeConfig{}), last);
}

TEST(CheckFields, WithValidFieldsFallsBackWhenFieldsDependOnEachOther) {
  RopeConfig last;
  last.head_dim = 8;
  last.rotary_fraction = 0.5;  // rotary_dim 4
  RopeConfig edited = last;
  edited.head_dim = 6;  // 6 * 0.5 = 3: blamed on the fraction, whose last value 0.5 does not help
  edited.seq_len = 300;
  const RopeConfig shown = with_valid_fields(edited, last);
  EXPECT_TRUE(check_fields(shown).empty());
  EXPECT_EQ(shown, last);
  // A scaling type without the parameters it needs: the last valid scaling block, other edits kept.
  edited = last;
  edited.seq_len = 300;
  edited.scaling.type = ScalingType::kLinear;  // factor unset
  const RopeConfig scaled = with_valid_fields(edited, last);
  EXPECT_EQ(scaled.scaling, last.scaling);
  EXPECT_EQ(scaled.seq_len, 300);
}

}  // namespace
}  // namespace rope::core
