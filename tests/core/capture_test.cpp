// Capture files: every field of a numpy-written capture (tests/golden/make_capture_golden.py), head
// statistics against that script's float64 reference, F16/BF16 conversion on demand, a table of
// malformed files that must give one-line errors naming the tensor or field, metadata fields that
// are dropped with a warning, and truncated or corrupted files that must never crash.
#include "core/capture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "capture_files.h"
#include "core/error.h"
#include "core/tensor_io.h"

namespace rope::core {
namespace {

using nlohmann::json;

const std::string kSmall = std::string(ROPE_TEST_DATA_DIR) + "/captures/small.safetensors";

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

using test::Blob;
using test::f32_bytes;
using test::ramp;
using test::safetensors_bytes;

json good_metadata(int layers, int64_t n) {
  json tokens = json::array();
  for (int64_t i = 0; i < n; ++i) tokens.push_back("w" + std::to_string(i));
  json layer_list = json::array();
  for (int i = 0; i < layers; ++i) layer_list.push_back(2 * i);
  return {{"format", "ropescope-qk/1"},
          {"config", R"({"rope_theta": 500.0, "head_dim": 8, "max_position_embeddings": 32})"},
          {"tokens", tokens.dump()},
          {"layers", layer_list.dump()},
          {"model", "tiny"},
          {"source", "unit test"}};
}

// q [2, 4, 6, 8] and k [2, 2, 6, 8] as F32, with good metadata.
struct Parts {
  std::vector<Blob> blobs;
  json metadata;
  std::string bytes() const { return safetensors_bytes(blobs, metadata); }
};

Parts good_parts() {
  Parts p;
  p.blobs.push_back({"q", "F32", {2, 4, 6, 8}, f32_bytes(ramp(2 * 4 * 6 * 8, 1.5f))});
  p.blobs.push_back({"k", "F32", {2, 2, 6, 8}, f32_bytes(ramp(2 * 2 * 6 * 8, -0.8f))});
  p.metadata = good_metadata(2, 6);
  return p;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const RopeError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Capture, ReadsEveryFieldOfTheNumpyWrittenFile) {
  const Capture c = Capture::open(kSmall);
  EXPECT_EQ(c.num_layers(), 2);
  EXPECT_EQ(c.num_heads(), 4);
  EXPECT_EQ(c.num_kv_heads(), 2);
  EXPECT_EQ(c.seq_len(), 24);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.query_dtype(), "F32");
  EXPECT_EQ(c.layers(), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(c.layer_index(7), 1);
  EXPECT_FALSE(c.layer_index(1).has_value());
  ASSERT_TRUE(c.has_positions());
  EXPECT_EQ(c.positions()[11], 11);
  EXPECT_EQ(c.positions()[12], 20);
  EXPECT_EQ(c.positions()[23], 31);
  ASSERT_EQ(c.tokens().size(), 24u);
  EXPECT_EQ(c.tokens()[5], "t5");
  EXPECT_EQ(c.model(), "small-test");
  EXPECT_EQ(c.source(), "make_capture_golden.py");
  ASSERT_TRUE(c.config().has_value());
  EXPECT_EQ(c.config()->base, 100.0);
  EXPECT_EQ(c.config()->head_dim, 8);
  EXPECT_EQ(c.config()->seq_len, 32);  // the longest position + 1
  EXPECT_TRUE(c.warnings().empty()) << c.warnings().front();
  // Grouped-query attention: 4 query heads over 2 key heads.
  EXPECT_EQ(c.kv_head_of(0), 0);
  EXPECT_EQ(c.kv_head_of(1), 0);
  EXPECT_EQ(c.kv_head_of(2), 1);
  EXPECT_EQ(c.kv_head_of(3), 1);
}

TEST(Capture, F32HeadsAreReadInPlaceAndMatchTheGenericReader) {
  const Capture c = Capture::open(kSmall);
  const Tensor q = read_safetensors(kSmall, "q");
  const Tensor k = read_safetensors(kSmall, "k");
  std::vector<float> buffer;
  const size_t cells = 24 * 8;
  for (int layer = 0; layer < 2; ++layer) {
    for (int head = 0; head < 4; ++head) {
      const float* rows = c.query_rows(layer, head, buffer);
      EXPECT_TRUE(buffer.empty()) << "an aligned F32 head must not be copied";
      EXPECT_EQ(std::memcmp(rows, q.data.data() + (static_cast<size_t>(layer) * 4 + head) * cells, cells * 4), 0);
    }
    const float* keys = c.key_rows(layer, 1, buffer);
    EXPECT_EQ(std::memcmp(keys, k.data.data() + (static_cast<size_t>(layer) * 2 + 1) * cells, cells * 4), 0);
  }
  EXPECT_NE(error_of([&] { c.query_rows(2, 0, buffer); }).find("layer index 2 is out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { c.query_rows(0, 4, buffer); }).find("query head 4 is out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { c.key_rows(0, 2, buffer); }).find("key head 2 is out of range"), std::string::npos);
}

TEST(Capture, HeadStatisticsMatchTheFloat64NumpyReference) {
  const Capture c = Capture::open(kSmall);
  const json golden = read_json(std::string(ROPE_GOLDEN_DIR) + "/capture_heads.json");
  const RopeFrequencies freqs = compute_frequencies(*c.config());
  const auto rows = capture_head_stats(c, freqs, {}, golden["sink"].get<int64_t>());
  ASSERT_EQ(rows.size(), golden["heads"].size());
  // Tolerance: 1e-9 absolute (float64 throughout; the inputs are the same float32 values).
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& g = golden["heads"][i];
    SCOPED_TRACE("layer " + std::to_string(rows[i].layer) + " head " + std::to_string(rows[i].head));
    EXPECT_EQ(rows[i].layer, g["layer"].get<int64_t>());
    EXPECT_EQ(rows[i].head, g["head"].get<int>());
    EXPECT_EQ(rows[i].kv_head, g["kv_head"].get<int>());
    EXPECT_NEAR(rows[i].mean_distance, g["mean_distance"].get<double>(), 1e-9);
    EXPECT_NEAR(rows[i].entropy, g["entropy"].get<double>(), 1e-9);
    EXPECT_NEAR(rows[i].sink_mass, g["sink_mass"].get<double>(), 1e-9);
    EXPECT_NEAR(rows[i].prev_token_mass, g["prev_token_mass"].get<double>(), 1e-9);
    EXPECT_NEAR(rows[i].local_mass, g["local_mass"].get<double>(), 1e-9);
  }
  // The capture cut at its first tokens (rows and keys before the cut).
  const auto first = capture_head_stats(c, freqs, {}, 4, golden["first"].get<int64_t>());
  ASSERT_EQ(first.size(), golden["heads_first"].size());
  for (size_t i = 0; i < first.size(); ++i) {
    const json& g = golden["heads_first"][i];
    EXPECT_NEAR(first[i].mean_distance, g["mean_distance"].get<double>(), 1e-9) << i;
    EXPECT_NEAR(first[i].entropy, g["entropy"].get<double>(), 1e-9) << i;
    EXPECT_NEAR(first[i].sink_mass, g["sink_mass"].get<double>(), 1e-9) << i;
    EXPECT_NEAR(first[i].prev_token_mass, g["prev_token_mass"].get<double>(), 1e-9) << i;
    EXPECT_NEAR(first[i].local_mass, g["local_mass"].get<double>(), 1e-9) << i;
  }
  EXPECT_NE(error_of([&] { capture_head_stats(c, freqs, {}, 4, 25); }).find("25 tokens asked for"), std::string::npos);
  // One layer alone gives the same rows as that layer in the full list.
  const auto layer7 = capture_head_stats(c, freqs, {1}, 4);
  ASSERT_EQ(layer7.size(), 4u);
  EXPECT_EQ(layer7[2].layer, 7);
  EXPECT_EQ(layer7[2].entropy, rows[6].entropy);
  RopeConfig wrong = *c.config();
  wrong.head_dim = 16;
  EXPECT_NE(error_of([&] { capture_head_stats(c, compute_frequencies(wrong), {}, 4); }).find("differs from d = 8"),
            std::string::npos);
}

TEST(Capture, HalfAndBfloatHeadsAreConvertedOnDemand) {
  const std::vector<float> q = ramp(2 * 4 * 6 * 8, 1.5f), k = ramp(2 * 2 * 6 * 8, -0.8f);
  for (const std::string dtype : {"F16", "BF16"}) {
    SCOPED_TRACE(dtype);
    auto bits_of = [&](const std::vector<float>& v, std::vector<uint16_t>& bits) {
      std::string bytes;
      for (const float x : v) {
        uint32_t u;
        std::memcpy(&u, &x, 4);
        uint16_t b = 0;
        if (dtype == "BF16") {
          b = static_cast<uint16_t>(u >> 16);
        } else {
          b = static_cast<uint16_t>(((u >> 16) & 0x8000u) | 0x3c00u | ((u >> 13) & 0x3ffu));  // 1.m (any fixed bits)
        }
        bits.push_back(b);
        bytes.append(reinterpret_cast<const char*>(&b), 2);
      }
      return bytes;
    };
    std::vector<uint16_t> q_bits, k_bits;
    Parts p = good_parts();
    p.blobs[0] = {"q", dtype, {2, 4, 6, 8}, bits_of(q, q_bits)};
    p.blobs[1] = {"k", dtype, {2, 2, 6, 8}, bits_of(k, k_bits)};
    const std::string bytes = p.bytes();
    const Capture c = Capture::view(bytes.data(), bytes.size(), "mem");
    std::vector<float> buffer;
    const float* rows = c.query_rows(1, 3, buffer);
    ASSERT_EQ(buffer.size(), 48u);
    EXPECT_EQ(rows, buffer.data());
    for (size_t i = 0; i < 48; ++i) {
      const uint16_t b = q_bits[(1 * 4 + 3) * 48 + i];
      const float want = dtype == "BF16" ? bf16_bits_to_float(b) : f16_bits_to_float(b);
      ASSERT_EQ(rows[i], want) << i;
    }
    const float* keys = c.key_rows(1, 1, buffer);
    EXPECT_EQ(keys[5], dtype == "BF16" ? bf16_bits_to_float(k_bits[(1 * 2 + 1) * 48 + 5])
                                       : f16_bits_to_float(k_bits[(1 * 2 + 1) * 48 + 5]));
  }
}

struct BadCase {
  const char* name;
  std::function<void(Parts&)> edit;
  const char* needle;
};

TEST(Capture, MalformedFilesGiveOneLineNamingTheTensorOrField) {
  auto positions = [](std::vector<int64_t> values, const char* dtype = "I64") {
    Blob b{"positions", dtype, {static_cast<int64_t>(values.size())}, {}};
    b.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size() * 8);
    return b;
  };
  const std::vector<BadCase> cases = {
      {"no k", [](Parts& p) { p.blobs.pop_back(); }, "no tensor 'k'"},
      {"q of rank 3", [](Parts& p) { p.blobs[0].shape = {8, 6, 8}; }, "tensor 'q' has shape [8, 6, 8]"},
      {"k of rank 5", [](Parts& p) { p.blobs[1].shape = {1, 2, 2, 6, 8}; }, "tensor 'k' has shape"},
      {"N differs", [](Parts& p) { p.blobs[1].shape = {2, 2, 8, 6}; }, "tensor 'k' has N = 8 but 'q' has N = 6"},
      {"d differs", [](Parts& p) { p.blobs[1].shape = {2, 4, 6, 4}; }, "tensor 'k' has d = 4 but 'q' has d = 8"},
      {"layers differ", [](Parts& p) { p.blobs[1].shape = {1, 4, 6, 8}; }, "tensor 'k' has 1 layers but 'q' has 2"},
      {"heads not a multiple",
       [](Parts& p) { p.blobs[0] = {"q", "F32", {2, 3, 6, 8}, f32_bytes(ramp(2 * 3 * 6 * 8, 1.0f))}; },
       "tensor 'q' has 3 heads, not a multiple of the 2 key heads"},
      {"integer q", [](Parts& p) { p.blobs[0].dtype = "I32"; }, "tensor 'q' has dtype I32 (need F32, F16 or BF16)"},
      {"unknown dtype", [](Parts& p) { p.blobs[1].dtype = "Q4"; }, "tensor 'k' has dtype Q4"},
      {"no tokens",
       [](Parts& p) {
         p.blobs[0] = {"q", "F32", {2, 4, 0, 8}, ""};
         p.blobs[1] = {"k", "F32", {2, 2, 0, 8}, ""};
       },
       "tensor 'q' has N = 0"},
      {"positions of the wrong length", [&](Parts& p) { p.blobs.push_back(positions({0, 1, 2})); },
       "tensor 'positions' has shape [3] (expected [6]"},
      {"positions as floats", [&](Parts& p) { p.blobs.push_back(positions({0, 1, 2, 3, 4, 5}, "F64")); },
       "tensor 'positions' has dtype F64 (need I64)"},
      {"negative position", [&](Parts& p) { p.blobs.push_back(positions({0, 1, -2, 3, 4, 5})); },
       "tensor 'positions' holds -2 at index 2"},
      {"format of another version", [](Parts& p) { p.metadata["format"] = "ropescope-qk/2"; },
       "__metadata__ format is 'ropescope-qk/2'"},
      {"metadata not strings", [](Parts& p) { p.metadata["layers"] = json::array({0, 2}); },
       "__metadata__ values must be strings"},
      {"shape claims more than the data", [](Parts& p) { p.blobs[0].shape = {2, 4, 6, 9}; },
       "tensor 'q' F32 (2, 4, 6, 9) needs 1728 bytes"},
  };
  for (const BadCase& bad : cases) {
    SCOPED_TRACE(bad.name);
    Parts p = good_parts();
    bad.edit(p);
    const std::string bytes = p.bytes();
    const std::string message = error_of([&] { Capture::view(bytes.data(), bytes.size(), "cap.safetensors"); });
    EXPECT_EQ(message.rfind("cap.safetensors: ", 0), 0u) << message;
    EXPECT_NE(message.find(bad.needle), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Data past the end of the file.
  std::string truncated = good_parts().bytes();
  truncated.resize(truncated.size() - 4);
  EXPECT_NE(error_of([&] { Capture::view(truncated.data(), truncated.size(), "cut"); }).find("past the end"),
            std::string::npos);
  EXPECT_NE(error_of([] { Capture::open("/nonexistent/cap.safetensors"); }).find("no such file"), std::string::npos);
}

TEST(Capture, ABadOptionalFieldIsDroppedWithAWarning) {
  struct Case {
    const char* name;
    std::function<void(json&)> edit;
    const char* warning;
    std::function<void(const Capture&)> check;
  };
  const std::vector<Case> cases = {
      {"tokens of the wrong length", [](json& m) { m["tokens"] = R"(["a", "b"])"; }, "tokens: not a JSON array of 6",
       [](const Capture& c) { EXPECT_TRUE(c.tokens().empty()); }},
      {"tokens not JSON", [](json& m) { m["tokens"] = "[\"a\", "; }, "tokens:",
       [](const Capture& c) { EXPECT_TRUE(c.tokens().empty()); }},
      {"tokens holding a number", [](json& m) { m["tokens"] = R"(["a", "b", "c", "d", "e", 6])"; }, "tokens:",
       [](const Capture& c) { EXPECT_TRUE(c.tokens().empty()); }},
      {"layers repeated", [](json& m) { m["layers"] = "[4, 4]"; }, "layers: not a JSON array of 2 distinct",
       [](const Capture& c) { EXPECT_EQ(c.layers(), (std::vector<int64_t>{0, 1})); }},
      {"layers negative", [](json& m) { m["layers"] = "[0, -1]"; }, "layers:",
       [](const Capture& c) { EXPECT_EQ(c.layers(), (std::vector<int64_t>{0, 1})); }},
      {"config not JSON", [](json& m) { m["config"] = "{rope_theta"; }, "__metadata__ config: not valid JSON",
       [](const Capture& c) { EXPECT_FALSE(c.config().has_value()); }},
      {"config of another head_dim", [](json& m) { m["config"] = R"({"head_dim": 64})"; },
       "config: head_dim 64 differs from d = 8",
       [](const Capture& c) { EXPECT_FALSE(c.config().has_value()); }},
      {"config missing", [](json& m) { m.erase("config"); }, "config: missing",
       [](const Capture& c) { EXPECT_FALSE(c.config().has_value()); }},
      {"format missing", [](json& m) { m.erase("format"); }, "format: missing",
       [](const Capture& c) { EXPECT_TRUE(c.config().has_value()); }},
  };
  for (const Case& cs : cases) {
    SCOPED_TRACE(cs.name);
    Parts p = good_parts();
    cs.edit(p.metadata);
    const std::string bytes = p.bytes();
    const Capture c = Capture::view(bytes.data(), bytes.size(), "cap");
    ASSERT_EQ(c.warnings().size(), 1u);
    EXPECT_NE(c.warnings()[0].find(cs.warning), std::string::npos) << c.warnings()[0];
    EXPECT_EQ(c.warnings()[0].find('\n'), std::string::npos);
    cs.check(c);
    EXPECT_EQ(c.num_heads(), 4);  // the tensors are still there
  }
  // A config that cannot serve the capture's positions (seq_len past 2^24) is dropped too.
  Parts far = good_parts();
  const std::vector<int64_t> far_positions = {0, 1, 2, 3, 4, int64_t{1} << 30};
  far.blobs.push_back({"positions", "I64", {6}, std::string(reinterpret_cast<const char*>(far_positions.data()), 48)});
  const std::string far_bytes = far.bytes();
  const Capture far_capture = Capture::view(far_bytes.data(), far_bytes.size(), "cap");
  ASSERT_EQ(far_capture.warnings().size(), 1u);
  EXPECT_EQ(far_capture.warnings()[0].rfind("cap: __metadata__ config: seq_len must be in", 0), 0u)
      << far_capture.warnings()[0];
  EXPECT_FALSE(far_capture.config().has_value());
  // The good metadata gives no warning and every field.
  const std::string bytes = good_parts().bytes();
  const Capture c = Capture::view(bytes.data(), bytes.size(), "cap");
  EXPECT_TRUE(c.warnings().empty());
  EXPECT_EQ(c.tokens().size(), 6u);
  EXPECT_EQ(c.layers(), (std::vector<int64_t>{0, 2}));
  ASSERT_TRUE(c.config().has_value());
  EXPECT_EQ(c.config()->base, 500.0);
}

// Every prefix of a valid file and seeded byte corruptions of its header either open or throw a
// RopeError; nothing else (no crash, no other exception) may happen.
TEST(Capture, TruncatedAndCorruptedFilesNeverCrash) {
  const std::string good = good_parts().bytes();
  int opened = 0;
  for (size_t len = 0; len <= good.size(); ++len) {
    const std::string cut = good.substr(0, len);
    try {
      Capture::view(cut.data(), cut.size(), "cut");
      ++opened;
    } catch (const RopeError&) {
    }
  }
  EXPECT_EQ(opened, 1);  // only the whole file
  std::mt19937 rng(7);
  uint64_t header_len = 0;
  std::memcpy(&header_len, good.data(), 8);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      bad[8 + rng() % header_len] = static_cast<char>(rng() % 256);
    }
    try {
      const Capture c = Capture::view(bad.data(), bad.size(), "flip");
      std::vector<float> buffer;
      const float* rows = c.query_rows(c.num_layers() - 1, c.num_heads() - 1, buffer);
      volatile float sink = rows[c.seq_len() * c.head_dim() - 1];
      (void)sink;
    } catch (const RopeError&) {
    }
  }
}

}  // namespace
}  // namespace rope::core
