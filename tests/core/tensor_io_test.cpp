// .npy / .safetensors I/O: numpy-made fixtures (tests/data/tensors/make_tensors.py), byte-for-byte
// equality of our writer with np.save, round trips, exhaustive F16/BF16 conversion against an
// independent ldexp formula, and tables of hostile files that must give one-line errors.
#include "core/tensor_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace rope::core {
namespace {

const std::string kTensorDir = std::string(ROPE_TEST_DATA_DIR) + "/tensors/";

std::string fixture(const std::string& name) { return kTensorDir + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A per-test scratch directory (tests may run in parallel processes), removed after the test.
std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::filesystem::path(::testing::TempDir()) / ("ropescope_tensor_io_" + std::to_string(::getpid()) + "_" +
                                                        info->test_suite_name() + "_" + info->name());
}

std::string scratch_path(const std::string& file) {
  const std::filesystem::path dir = scratch_dir();
  std::filesystem::create_directories(dir);
  return (dir / file).string();
}

class ScratchTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(scratch_dir(), ec);
  }
};
class TensorIoNpy : public ScratchTest {};
class TensorIoFiles : public ScratchTest {};
class TensorIoHalf : public ScratchTest {};
class TensorIoSafetensors : public ScratchTest {};

// Runs `fn`, which must throw RopeError; returns what().
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const RopeError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no RopeError thrown";
  return {};
}

uint32_t bits_of(float value) { return std::bit_cast<uint32_t>(value); }

// Same value and same sign of zero; NaN matches NaN.
void expect_same_float(float expected, float actual, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": got " << actual;
  } else {
    EXPECT_EQ(bits_of(expected), bits_of(actual)) << what << ": expected " << expected << " got " << actual;
  }
}

// ------------------------------------------------------------------------------------------------
// numpy fixtures

TEST_F(TensorIoNpy, ReadsNumpyFloat32TwoD) {
  const Tensor t = read_npy(fixture("f32_2d.npy"));
  ASSERT_EQ(t.shape, (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(t.data.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(t.data[i], static_cast<float>(i) * 0.25f - 1.0f) << "i=" << i;
}

TEST_F(TensorIoNpy, ReadsNumpyFloat64NarrowedToFloat32) {
  const Tensor t = read_npy(fixture("f64_2d.npy"));
  ASSERT_EQ(t.shape, (std::vector<int64_t>{2, 5}));
  ASSERT_EQ(t.data.size(), 10u);
  // Exact: numpy computed i * 0.1 in float64; we narrow with round-to-nearest.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(t.data[i], static_cast<float>(i * 0.1)) << "i=" << i;
}

TEST_F(TensorIoNpy, ReadsNumpyThreeDAndOneD) {
  const Tensor t3 = read_npy(fixture("f32_3d.npy"));
  ASSERT_EQ(t3.shape, (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(t3.data.size(), 24u);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(t3.data[i], (static_cast<float>(i) - 12.0f) / 8.0f) << "i=" << i;

  const Tensor t64 = read_npy(fixture("f64_3d.npy"));
  ASSERT_EQ(t64.shape, (std::vector<int64_t>{2, 3, 4}));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(t64.data[i], static_cast<float>(i * 0.1)) << "i=" << i;

  const Tensor t1 = read_npy(fixture("f32_1d.npy"));
  ASSERT_EQ(t1.shape, (std::vector<int64_t>{5}));
  ASSERT_EQ(t1.data, (std::vector<float>{0.0f, 0.5f, 1.0f, 1.5f, 2.0f}));
}

TEST_F(TensorIoNpy, ReadsEmptyAndZeroSizedShapes) {
  const Tensor empty = read_npy(fixture("f32_empty.npy"));
  EXPECT_EQ(empty.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(empty.data.empty());
  const Tensor long_dim = read_npy(fixture("f32_long_dim.npy"));
  EXPECT_EQ(long_dim.shape, (std::vector<int64_t>{123456789012, 0}));
  EXPECT_TRUE(long_dim.data.empty());
}

TEST_F(TensorIoNpy, ReadsFormatVersionsTwoAndThree) {
  const Tensor v1 = read_npy(fixture("f32_2d.npy"));
  for (const char* name : {"f32_v2.npy", "f32_v3.npy"}) {
    const std::string bytes = read_bytes(fixture(name));
    ASSERT_GE(bytes.size(), 8u);
    EXPECT_EQ(bytes[6], name[5] - '0') << name;  // the fixture really has that major version
    const Tensor t = read_npy(fixture(name));
    EXPECT_EQ(t.shape, v1.shape) << name;
    EXPECT_EQ(t.data, v1.data) << name;
  }
}

TEST_F(TensorIoNpy, ParseFromMemoryEqualsReadFromFile) {
  for (const char* name : {"f32_2d.npy", "f64_2d.npy", "f32_3d.npy", "f32_1d.npy", "f32_v3.npy"}) {
    const std::string bytes = read_bytes(fixture(name));
    const Tensor parsed = parse_npy(bytes.data(), bytes.size(), name);
    const Tensor read = read_npy(fixture(name));
    EXPECT_EQ(parsed.shape, read.shape) << name;
    EXPECT_EQ(parsed.data, read.data) << name;
  }
}

TEST_F(TensorIoNpy, RejectsNumpyFilesWeDoNotSupport) {
  struct Case {
    const char* file;
    const char* expected;
  };
  const Case cases[] = {
      {"f32_fortran.npy", "fortran_order True is not supported"},
      {"f32_bigendian.npy", "big-endian dtype '>f4'"},
      {"i32_2d.npy", "unsupported dtype '<i4'"},
      {"f16_2d.npy", "unsupported dtype '<f2'"},
      {"f32_4d.npy", "4-d shape (1, 2, 1, 2) is not supported"},
  };
  for (const Case& c : cases) {
    const std::string path = fixture(c.file);
    const std::string message = error_of([&] { read_npy(path); });
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.file << ": " << message;
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << "message must start with the path: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// ------------------------------------------------------------------------------------------------
// Writer: byte-for-byte what numpy writes

TEST_F(TensorIoNpy, WriterMatchesNumpyBytesForFloat32) {
  struct Case {
    const char* file;
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  std::vector<Case> cases;
  {
    Case c{"f32_2d.npy", {3, 4}, {}};
    for (int i = 0; i < 12; ++i) c.data.push_back(static_cast<float>(i) * 0.25f - 1.0f);
    cases.push_back(c);
  }
  {
    Case c{"f32_3d.npy", {2, 3, 4}, {}};
    for (int i = 0; i < 24; ++i) c.data.push_back((static_cast<float>(i) - 12.0f) / 8.0f);
    cases.push_back(c);
  }
  cases.push_back({"f32_1d.npy", {5}, {0.0f, 0.5f, 1.0f, 1.5f, 2.0f}});
  cases.push_back({"f32_empty.npy", {0, 4}, {}});
  cases.push_back({"f32_long_dim.npy", {123456789012, 0}, {}});
  cases.push_back({"f32_align_edge.npy", {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100000}, {}});
  for (const Case& c : cases) {
    const std::string out = scratch_path(c.file);
    write_npy(out, c.data.data(), c.shape);
    const std::string ours = read_bytes(out);
    const std::string numpy = read_bytes(fixture(c.file));
    ASSERT_FALSE(numpy.empty()) << c.file;
    EXPECT_EQ(ours.size() % 64, numpy.size() % 64) << c.file;
    EXPECT_EQ(ours, numpy) << c.file << " differs from numpy's bytes";
  }
}

TEST_F(TensorIoNpy, WriterMatchesNumpyBytesForFloat64) {
  std::vector<double> values2d, values3d;
  for (int i = 0; i < 10; ++i) values2d.push_back(i * 0.1);
  for (int i = 0; i < 24; ++i) values3d.push_back(i * 0.1);
  const std::string out2 = scratch_path("f64_2d.npy");
  const std::string out3 = scratch_path("f64_3d.npy");
  write_npy(out2, values2d.data(), {2, 5});
  write_npy(out3, values3d.data(), {2, 3, 4});
  EXPECT_EQ(read_bytes(out2), read_bytes(fixture("f64_2d.npy")));
  EXPECT_EQ(read_bytes(out3), read_bytes(fixture("f64_3d.npy")));
}

TEST_F(TensorIoNpy, RoundTripKeepsEveryFloat32BitPattern) {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               -3.5f,
                               std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::lowest(),
                               std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::bit_cast<float>(0x7fc12345u),  // NaN with a payload
                               1e-30f};
  while (values.size() < 2 * 3 * 7) values.push_back(static_cast<float>(values.size()) * -0.37f);
  const std::string path = scratch_path("round_trip.npy");
  write_npy(path, values.data(), {2, 3, 7});
  const Tensor t = read_npy(path);
  ASSERT_EQ(t.shape, (std::vector<int64_t>{2, 3, 7}));
  ASSERT_EQ(t.data.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(bits_of(t.data[i]), bits_of(values[i])) << "i=" << i;
  EXPECT_EQ(read_bytes(path).size() % 64, (2 * 3 * 7 * 4) % 64) << "header must be padded to 64 bytes";
}

TEST_F(TensorIoNpy, RoundTripFloat64NarrowsWithRoundToNearest) {
  const std::vector<double> values = {1.0 / 3.0, -2.0 / 7.0, 1e300, 1e-300, 16777217.0, -0.0};
  const std::string path = scratch_path("round_trip64.npy");
  write_npy(path, values.data(), {6});
  const Tensor t = read_npy(path);
  ASSERT_EQ(t.shape, (std::vector<int64_t>{6}));
  for (size_t i = 0; i < values.size(); ++i) {
    expect_same_float(static_cast<float>(values[i]), t.data[i], "i=" + std::to_string(i));
  }
  EXPECT_TRUE(std::isinf(t.data[2]));     // 1e300 overflows float32
  EXPECT_EQ(t.data[4], 16777216.0f);      // 2^24 + 1 rounds to even
  EXPECT_TRUE(std::signbit(t.data[5]));  // -0 keeps its sign
}

// Files larger than the 1 MiB conversion chunk: float64 is converted chunk by chunk.
TEST_F(TensorIoNpy, LargeFloat64FileIsConvertedAcrossChunks) {
  const int64_t heads = 3, seq_len = 1000, head_dim = 100;  // 2.4 MB of float64
  std::vector<double> values(static_cast<size_t>(heads * seq_len * head_dim));
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(0.001 * static_cast<double>(i)) * 1e3;
  const std::string path = scratch_path("large64.npy");
  write_npy(path, values.data(), {heads, seq_len, head_dim});
  const Tensor t = read_npy(path);
  ASSERT_EQ(t.shape, (std::vector<int64_t>{heads, seq_len, head_dim}));
  ASSERT_EQ(t.data.size(), values.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < values.size(); ++i) mismatches += t.data[i] != static_cast<float>(values[i]);
  EXPECT_EQ(mismatches, 0u);
}

TEST_F(TensorIoNpy, WriterRejectsBadShapesAndPaths) {
  const float value = 1.0f;
  EXPECT_NE(error_of([&] { write_npy(scratch_path("neg.npy"), &value, {-1, 2}); }).find("invalid or too large"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              write_npy(scratch_path("huge.npy"), &value, {int64_t{1} << 40, int64_t{1} << 40});
            }).find("invalid or too large"),
            std::string::npos);
  EXPECT_NE(error_of([&] { write_npy("/nonexistent_dir_for_ropescope/x.npy", &value, {1}); })
                .find("cannot open for writing"),
            std::string::npos);
}

// ------------------------------------------------------------------------------------------------
// Hostile .npy bytes

// magic + version + length field + header text (+ data); `length` overrides the length field.
std::string npy_bytes(const std::string& header, const std::string& data = "", int major = 1,
                      int64_t length = -1) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const uint64_t len = length >= 0 ? static_cast<uint64_t>(length) : header.size();
  const int field = major == 1 ? 2 : 4;
  for (int b = 0; b < field; ++b) out += static_cast<char>((len >> (8 * b)) & 0xff);
  return out + header + data;
}

std::string floats(size_t n) { return std::string(4 * n, '\0'); }

TEST_F(TensorIoNpy, HostileBytesGiveOneLineErrors) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n";
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "too short for a .npy file (0 bytes)"},
      {"magic only", "\x93NUMPY", "too short"},
      {"bad magic", std::string("\x93NUMPZ\x01\x00\x02\x00{}", 12), "bad magic"},
      {"version 4.0", npy_bytes(ok, floats(12), 4), "unsupported .npy format version 4.0"},
      {"version 1.1", [&] { auto b = npy_bytes(ok, floats(12)); b[7] = 1; return b; }(), "version 1.1"},
      {"v2 length field cut", std::string("\x93NUMPY\x02\x00\x05\x00", 10), "truncated .npy header length field"},
      {"v1 length past end", npy_bytes(ok, floats(12), 1, 0xffff), "runs past the end of the file"},
      {"v2 4 GiB length", npy_bytes(ok, "", 2, 0xffffffffLL), "header length 4294967295 runs past the end"},
      {"not a dict", npy_bytes("hello world\n", ""), "does not start with '{'"},
      {"empty header", npy_bytes("", ""), "does not start with '{'"},
      {"missing shape", npy_bytes("{'descr': '<f4', 'fortran_order': False}", ""), "missing key 'shape'"},
      {"missing descr", npy_bytes("{'fortran_order': False, 'shape': (0,)}", ""), "missing key 'descr'"},
      {"unknown key", npy_bytes("{'descr': '<f4', 'foo': 1}", ""), "unexpected key 'foo'"},
      {"duplicate key", npy_bytes("{'descr': '<f4', 'descr': '<f4'}", ""), "duplicate key 'descr'"},
      {"structured dtype", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", floats(1)),
       "structured dtype"},
      {"bad bool", npy_bytes("{'descr': '<f4', 'fortran_order': yes, 'shape': (1,)}", floats(1)),
       "fortran_order is not True or False"},
      {"negative dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4)}", floats(12)),
       "negative dimension"},
      {"huge dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4)}", ""),
       "dimension too large"},
      {"product overflow",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", ""),
       "has too many elements"},
      {"bytes overflow", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", ""),
       "has too many elements"},
      {"absurd shape", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952, 1)}", ""),
       "data truncated"},
      {"truncated data", npy_bytes(ok, floats(12).substr(1)), "needs 48 bytes, the file has 47"},
      {"trailing bytes", npy_bytes(ok, floats(13)), "4 unexpected bytes after the data"},
      {"not a 1-tuple", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}", floats(5)),
       "trailing comma"},
      {"list shape", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': [5]}", floats(5)),
       "shape is not a tuple"},
      {"float dim", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", floats(5)),
       "expected ',' or ')'"},
      {"unterminated string", npy_bytes("{'descr': '<f4", ""), "unterminated"},
      {"text after dict", npy_bytes(ok + "x", floats(12)), "unexpected text after the closing '}'"},
      {"unclosed dict", npy_bytes("{'descr': '<f4', ", ""), "expected a quoted key"},
      {"0-d", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", floats(1)), "0-d arrays"},
      {"too many dims",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (" + [] {
         std::string s;
         for (int i = 0; i < 40; ++i) s += "1, ";
         return s;
       }() + ")}", floats(1)),
       "too many dimensions"},
      {"NUL in header", npy_bytes(std::string("{'descr'\0: '<f4'}", 17), ""), "expected ':'"},
      {"int dtype", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", std::string(8, '\0')),
       "unsupported dtype '<i8'"},
      {"big-endian f8", npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", std::string(8, '\0')),
       "big-endian"},
      {"control chars in dtype", npy_bytes("{'descr': '\x01\x7f', 'fortran_order': False, 'shape': (1,)}", floats(1)),
       "unsupported dtype '\\x01\\x7f'"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of([&] { parse_npy(c.bytes.data(), c.bytes.size(), "hostile.npy"); });
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.name << ": expected \"" << c.expected << "\" in: " << message;
    EXPECT_EQ(message.rfind("hostile.npy: ", 0), 0u) << c.name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name << ": " << message;

    // The same bytes through the file path give the same problem.
    const std::string path = scratch_path("hostile.npy");
    write_bytes(path, c.bytes);
    const std::string file_message = error_of([&] { read_npy(path); });
    EXPECT_NE(file_message.find(c.expected), std::string::npos) << c.name << " (file): " << file_message;
  }
}

TEST_F(TensorIoNpy, HeaderLengthAboveOneMebibyteIsRejected) {
  // A real (well-formed) 2 MiB header: refused because of the cap, not because of the file size.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  header.append((2u << 20) - header.size() - 1, ' ');
  header += '\n';
  const std::string bytes = npy_bytes(header, floats(1), 2);
  const std::string message = error_of([&] { parse_npy(bytes.data(), bytes.size(), "big_header.npy"); });
  EXPECT_NE(message.find("header length 2097152 exceeds the 1 MiB limit"), std::string::npos) << message;
}

// A 100-byte file whose length field claims 4 GiB: the check against the file size comes before
// any allocation, and the message says so.
TEST_F(TensorIoNpy, FourGibHeaderClaimOnHundredByteFileThrowsBeforeAllocating) {
  std::string bytes = npy_bytes("", "", 2, 0xffffffffLL);
  bytes.append(100 - bytes.size(), ' ');
  ASSERT_EQ(bytes.size(), 100u);
  const std::string path = scratch_path("claims_4gib.npy");
  write_bytes(path, bytes);
  const std::string message = error_of([&] { read_npy(path); });
  EXPECT_NE(message.find("header length 4294967295 runs past the end of the file (100 bytes); nothing was allocated"),
            std::string::npos)
      << message;
}

TEST_F(TensorIoFiles, MissingFilesAndDirectoriesAreErrors) {
  const std::string missing = scratch_path("does_not_exist.npy");
  EXPECT_NE(error_of([&] { read_npy(missing); }).find(missing + ": cannot open: no such file"), std::string::npos);
  const std::string dir = std::filesystem::path(scratch_path("x")).parent_path().string();
  EXPECT_NE(error_of([&] { read_npy(dir); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(error_of([&] { read_safetensors(dir, "q"); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(error_of([&] { list_safetensors(missing); }).find("no such file"), std::string::npos);
}

// ------------------------------------------------------------------------------------------------
// Half-precision conversions, exhaustively against ldexp

// (-1)^s * 2^(e - bias) * (1 + m / 2^mbits) for normals, 2^(1 - bias) * m / 2^mbits for subnormals.
float decode_small_float(uint32_t bits, int exponent_bits, int mantissa_bits) {
  const uint32_t sign = bits >> (exponent_bits + mantissa_bits);
  const uint32_t exponent = (bits >> mantissa_bits) & ((1u << exponent_bits) - 1);
  const uint32_t mantissa = bits & ((1u << mantissa_bits) - 1);
  const int bias = (1 << (exponent_bits - 1)) - 1;
  double magnitude;
  if (exponent == (1u << exponent_bits) - 1) {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), 1 - bias - mantissa_bits);
  } else {
    magnitude = std::ldexp(static_cast<double>(mantissa + (1u << mantissa_bits)),
                           static_cast<int>(exponent) - bias - mantissa_bits);
  }
  return static_cast<float>(sign ? -magnitude : magnitude);  // exact: both formats fit in float32
}

TEST_F(TensorIoHalf, F16MatchesLdexpForEveryBitPattern) {
  int mismatches = 0;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float expected = decode_small_float(bits, 5, 10);
    const float actual = f16_bits_to_float(static_cast<uint16_t>(bits));
    const bool same = std::isnan(expected) ? std::isnan(actual) : bits_of(expected) == bits_of(actual);
    if (!same && ++mismatches <= 5) ADD_FAILURE() << "f16 bits 0x" << std::hex << bits << ": " << actual;
    if (std::isnan(expected)) {
      // NaN payload kept: the ten mantissa bits land in the top of float's mantissa.
      EXPECT_EQ((bits_of(actual) >> 13) & 0x3ffu, bits & 0x3ffu) << std::hex << bits;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(f16_bits_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_bits_to_float(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_bits_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_bits_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(f16_bits_to_float(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::signbit(f16_bits_to_float(0x8000)));
}

TEST_F(TensorIoHalf, BF16MatchesLdexpForEveryBitPattern) {
  int mismatches = 0;
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float expected = decode_small_float(bits, 8, 7);
    const float actual = bf16_bits_to_float(static_cast<uint16_t>(bits));
    const bool same = std::isnan(expected) ? std::isnan(actual) : bits_of(expected) == bits_of(actual);
    if (!same && ++mismatches <= 5) ADD_FAILURE() << "bf16 bits 0x" << std::hex << bits << ": " << actual;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(bf16_bits_to_float(0x0001), std::ldexp(1.0f, -133));
  EXPECT_EQ(bf16_bits_to_float(0x4049), 3.140625f);
}

// ------------------------------------------------------------------------------------------------
// .safetensors fixture

TEST_F(TensorIoSafetensors, ListsNamesInDataOrder) {
  EXPECT_EQ(list_safetensors(fixture("mixed.safetensors")), (std::vector<std::string>{"q", "half", "brain", "ids"}));
}

TEST_F(TensorIoSafetensors, ReadsF32) {
  const Tensor q = read_safetensors(fixture("mixed.safetensors"), "q");
  ASSERT_EQ(q.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(q.data.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q.data[i], (static_cast<float>(i) - 2.5f) * 0.5f) << "i=" << i;
}

TEST_F(TensorIoSafetensors, ReadsF16SpecialsWrittenByNumpy) {
  const Tensor half = read_safetensors(fixture("mixed.safetensors"), "half");
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> expected = {0.0f,  -0.0f, 1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -14),
                                       std::ldexp(1.0f, -24), std::ldexp(3.0f, -24), std::ldexp(1023.0f, -24),
                                       inf,   -inf,  std::numeric_limits<float>::quiet_NaN(), 0.333251953125f};
  ASSERT_EQ(half.shape, (std::vector<int64_t>{13}));
  ASSERT_EQ(half.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) expect_same_float(expected[i], half.data[i], "half[" + std::to_string(i) + "]");
}

TEST_F(TensorIoSafetensors, ReadsBF16) {
  const Tensor brain = read_safetensors(fixture("mixed.safetensors"), "brain");
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> expected = {1.0f, -1.5f, 3.140625f, std::ldexp(1.0f, -133), std::ldexp(1.0f, -126),
                                       -0.0f, inf, std::numeric_limits<float>::quiet_NaN()};
  ASSERT_EQ(brain.shape, (std::vector<int64_t>{2, 4}));
  ASSERT_EQ(brain.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) expect_same_float(expected[i], brain.data[i], "brain[" + std::to_string(i) + "]");
}

TEST_F(TensorIoSafetensors, ParseFromMemoryEqualsReadFromFile) {
  const std::string bytes = read_bytes(fixture("mixed.safetensors"));
  EXPECT_EQ(list_safetensors(bytes.data(), bytes.size(), "mem"), list_safetensors(fixture("mixed.safetensors")));
  for (const char* name : {"q", "half", "brain"}) {
    const Tensor parsed = parse_safetensors(bytes.data(), bytes.size(), name, "mem");
    const Tensor read = read_safetensors(fixture("mixed.safetensors"), name);
    EXPECT_EQ(parsed.shape, read.shape) << name;
    ASSERT_EQ(parsed.data.size(), read.data.size()) << name;
    for (size_t i = 0; i < read.data.size(); ++i) EXPECT_EQ(bits_of(parsed.data[i]), bits_of(read.data[i])) << name;
  }
}

TEST_F(TensorIoSafetensors, UnsupportedDtypeAndMissingNameAreErrors) {
  const std::string path = fixture("mixed.safetensors");
  const std::string dtype_message = error_of([&] { read_safetensors(path, "ids"); });
  EXPECT_NE(dtype_message.find(path + ": tensor 'ids' has unsupported dtype I32 (need F32, F16 or BF16)"),
            std::string::npos)
      << dtype_message;
  const std::string name_message = error_of([&] { read_safetensors(path, "k"); });
  EXPECT_NE(name_message.find("no tensor named 'k' (the file has: q, half, brain, ids)"), std::string::npos)
      << name_message;
}

// ------------------------------------------------------------------------------------------------
// Hostile .safetensors bytes

std::string le64(uint64_t v) {
  std::string out;
  for (int b = 0; b < 8; ++b) out += static_cast<char>((v >> (8 * b)) & 0xff);
  return out;
}

std::string st_bytes(const std::string& json, const std::string& data) { return le64(json.size()) + json + data; }

TEST_F(TensorIoSafetensors, HostileBytesGiveOneLineErrors) {
  const std::string f32_1 = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "too short for a .safetensors file (0 bytes)"},
      {"seven bytes", std::string("\x10\0\0\0\0\0\0", 7), "too short for a .safetensors file (7 bytes)"},
      {"length past end", le64(1000) + f32_1 + floats(1), "header length 1000 runs past the end"},
      {"4 GiB length", le64(uint64_t{1} << 32) + std::string(92, ' '), "header length 4294967296 runs past the end"},
      {"max length", le64(~uint64_t{0}) + "{}", "header length 18446744073709551615 runs past the end"},
      {"zero length", le64(0) + "{}", "too small for a JSON object"},
      {"array header", st_bytes("[1, 2]", ""), "header is not a JSON object"},
      {"not json", st_bytes("hello!", ""), "header is not valid JSON"},
      {"cut json", st_bytes(R"({"a":{"dtype":"F32")", ""), "header is not valid JSON"},
      {"bad utf8", st_bytes("{\"\xff\xfe\":{}}", ""), "header is not valid JSON"},
      {"deep nesting", st_bytes(std::string(100000, '[') + std::string(100000, ']'), ""), "not a JSON object"},
      {"deep objects", st_bytes(R"({"a":{"b":{"c":{}}}})", ""), "unexpected key 'b' of tensor 'a'"},
      {"offsets past end", st_bytes(f32_1, ""), "past the end of the 0-byte data buffer"},
      {"offsets far past end", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]}})", floats(1)),
       "past the end of the 4-byte data buffer"},
      {"begin after end", st_bytes(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", floats(1)),
       "with begin after end"},
      {"size mismatch", st_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,4]}})", floats(1)),
       "needs 12 bytes but data_offsets span 4"},
      {"overlap", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats(1)),
       "overlap another tensor"},
      {"gap", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats(2)), "leave a gap at bytes [0, 4)"},
      {"unclaimed tail", st_bytes(f32_1, floats(2)), "4 bytes at the end of the data buffer belong to no tensor"},
      {"negative dim", st_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", floats(1)),
       "negative dimension -1 in shape of tensor 'a'"},
      {"fractional dim", st_bytes(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", floats(1)),
       "non-integer"},
      {"dim above int64", st_bytes(R"({"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}})", floats(1)),
       "dimension too large"},
      {"dim above uint64", st_bytes(R"({"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}})", floats(1)),
       "non-integer or huge"},
      {"product overflow", st_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", floats(1)),
       "with too many elements"},
      {"bytes overflow", st_bytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}})", floats(1)),
       "with too many elements"},
      {"three offsets", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", floats(1)), "two numbers"},
      {"one offset", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", floats(1)), "two numbers"},
      {"negative offset", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", floats(1)), "negative data_offsets"},
      {"missing dtype", st_bytes(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", floats(1)), "missing dtype of tensor 'a'"},
      {"missing offsets", st_bytes(R"({"a":{"dtype":"F32","shape":[1]}})", floats(1)), "missing data_offsets"},
      {"duplicate name", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats(2)),
       "duplicate tensor name 'a'"},
      {"duplicate field", st_bytes(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", floats(1)),
       "duplicate key 'dtype'"},
      {"unknown field", st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", floats(1)),
       "unexpected key 'x'"},
      {"tensor not object", st_bytes(R"({"a":[1,2]})", ""), "unexpected array for 'a'"},
      {"dtype not string", st_bytes(R"({"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", floats(1)),
       "unexpected number for 'dtype'"},
      {"shape not array", st_bytes(R"({"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", floats(1)),
       "unexpected string for 'shape'"},
      {"nested shape", st_bytes(R"({"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}})", floats(1)),
       "shape must hold non-negative integers"},
      {"metadata number", st_bytes(R"({"__metadata__":{"k":1}})", ""), "__metadata__ values must be strings"},
      {"two metadata", st_bytes(R"({"__metadata__":{},"__metadata__":{}})", ""), "duplicate __metadata__"},
      {"trailing garbage", st_bytes(R"({} x)", ""), "header is not valid JSON"},
      {"unsupported requested", st_bytes(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", floats(2)),
       "tensor 'a' has unsupported dtype F64"},
      {"unknown requested", st_bytes(R"({"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,3]}})", "abc"),
       "tensor 'a' has unsupported dtype Q7"},
      {"name with newline", st_bytes(R"({"x\ny":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats(1)),
       "no tensor named 'a' (the file has: x\\x0ay)"},
      {"no tensors", st_bytes("{}", ""), "no tensor named 'a' (the file has: no tensors)"},
  };
  for (const Case& c : cases) {
    const std::string message =
        error_of([&] { parse_safetensors(c.bytes.data(), c.bytes.size(), "a", "hostile.safetensors"); });
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.name << ": expected \"" << c.expected << "\" in: " << message;
    EXPECT_EQ(message.rfind("hostile.safetensors: ", 0), 0u) << c.name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name << ": " << message;

    const std::string path = scratch_path("hostile.safetensors");
    write_bytes(path, c.bytes);
    const std::string file_message = error_of([&] { read_safetensors(path, "a"); });
    EXPECT_NE(file_message.find(c.expected), std::string::npos) << c.name << " (file): " << file_message;
  }
}

TEST_F(TensorIoSafetensors, ValidHandMadeFilesParse) {
  // Unknown dtypes elsewhere in the file do not stop reading a supported tensor; metadata is skipped;
  // whitespace around the JSON is allowed (the writer pads with spaces).
  const std::string json =
      R"( {"__metadata__":{"format":"pt"},"odd":{"dtype":"Q7","shape":[3],"data_offsets":[0,3]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[3,7]},"s":{"dtype":"F32","shape":[],"data_offsets":[7,11]}}   )";
  std::string data = "abc";
  data += std::string("\x80\x3f\x00\xc0", 4);  // bf16 1.0, -2.0
  data += std::string("\x00\x00\x20\x41", 4);  // f32 10.0
  const std::string bytes = st_bytes(json, data);
  const Tensor b = parse_safetensors(bytes.data(), bytes.size(), "b", "ok.safetensors");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(b.data, (std::vector<float>{1.0f, -2.0f}));
  const Tensor s = parse_safetensors(bytes.data(), bytes.size(), "s", "ok.safetensors");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data, (std::vector<float>{10.0f}));
  EXPECT_EQ(list_safetensors(bytes.data(), bytes.size(), "ok.safetensors"),
            (std::vector<std::string>{"odd", "b", "s"}));
}

// 700k F16 values (1.4 MB) after a BF16 tensor: the file path converts them in chunks and must
// agree bit for bit with the in-memory parse and with the ldexp oracle.
TEST_F(TensorIoSafetensors, LargeF16TensorIsConvertedAcrossChunks) {
  const uint64_t count = 700000;
  const std::string json = R"({"b":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"h":{"dtype":"F16","shape":[700,1000],"data_offsets":[2,)" +
                           std::to_string(2 + 2 * count) + "]}}";
  std::string data = std::string("\x80\x3f", 2);
  for (uint64_t i = 0; i < count; ++i) {
    const uint16_t bits = static_cast<uint16_t>(i * 40503u + (i >> 16));  // every bit pattern, shifted on each pass
    data += static_cast<char>(bits & 0xff);
    data += static_cast<char>(bits >> 8);
  }
  const std::string bytes = st_bytes(json, data);
  const std::string path = scratch_path("large16.safetensors");
  write_bytes(path, bytes);
  const Tensor from_file = read_safetensors(path, "h");
  const Tensor from_memory = parse_safetensors(bytes.data(), bytes.size(), "h", path);
  ASSERT_EQ(from_file.shape, (std::vector<int64_t>{700, 1000}));
  ASSERT_EQ(from_file.data.size(), count);
  ASSERT_EQ(from_memory.data.size(), count);
  size_t mismatches = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const float expected = decode_small_float(static_cast<uint16_t>(i * 40503u + (i >> 16)), 5, 10);
    const bool ok = std::isnan(expected) ? std::isnan(from_file.data[i])
                                         : bits_of(expected) == bits_of(from_file.data[i]);
    mismatches += !ok || bits_of(from_file.data[i]) != bits_of(from_memory.data[i]);
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(read_safetensors(path, "b").data, (std::vector<float>{1.0f}));
}

TEST_F(TensorIoSafetensors, FourGibHeaderClaimOnHundredByteFileThrowsBeforeAllocating) {
  std::string bytes = le64(uint64_t{4} << 30);
  bytes.append(92, ' ');
  const std::string path = scratch_path("claims_4gib.safetensors");
  write_bytes(path, bytes);
  for (const std::string& message : {error_of([&] { read_safetensors(path, "q"); }),
                                     error_of([&] { list_safetensors(path); })}) {
    EXPECT_NE(message.find(path + ": .safetensors header length 4294967296 runs past the end of the file "
                                  "(100 bytes); nothing was allocated"),
              std::string::npos)
        << message;
  }
}

TEST_F(TensorIoSafetensors, HeaderAboveHundredMebibytesIsRejectedWithoutReadingIt) {
  // A sparse 101 MiB file whose length field claims a 100 MiB + 1 header that really fits in it.
  const uint64_t header_len = (uint64_t{100} << 20) + 1;
  const std::string path = scratch_path("huge_header.safetensors");
  write_bytes(path, le64(header_len));
  std::filesystem::resize_file(path, 8 + header_len + 1024);
  const std::string message = error_of([&] { list_safetensors(path); });
  EXPECT_NE(message.find("header length 104857601 exceeds the 100 MiB limit"), std::string::npos) << message;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rope::core
