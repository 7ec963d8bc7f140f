#include "core/content.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace rope::core {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A standard normal value that depends only on (seed, stream, row, col): counter-based, so any
// block of rows can be produced independently and reproducibly.
float gaussian(uint64_t seed, uint64_t stream, uint64_t row, uint64_t col) {
  const uint64_t key = splitmix64(splitmix64(splitmix64(seed ^ (stream << 56)) ^ row) ^ col);
  const uint64_t bits2 = splitmix64(key);
  const double u1 = (static_cast<double>(key >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  const double u2 = static_cast<double>(bits2 >> 11) * 0x1.0p-53;       // [0, 1)
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

enum Stream : uint64_t { kConstantQuery = 1, kConstantKey = 2, kRandomQuery = 3, kRandomKey = 4 };

}  // namespace

std::string_view to_string(ContentKind kind) {
  switch (kind) {
    case ContentKind::kConstant: return "constant";
    case ContentKind::kRandom: return "random";
    case ContentKind::kOnes: return "ones";
    case ContentKind::kExternal: return "external";
  }
  return "constant";
}

std::optional<ContentKind> parse_content_kind(std::string_view name) {
  if (name == "constant") return ContentKind::kConstant;
  if (name == "random") return ContentKind::kRandom;
  if (name == "ones") return ContentKind::kOnes;
  return std::nullopt;
}

Content Content::generated(ContentKind kind, int head_dim, uint64_t seed) {
  if (kind == ContentKind::kExternal) throw RopeError("external content needs query and key matrices");
  if (head_dim < 1) throw RopeError("content head_dim must be >= 1");
  Content c;
  c.kind_ = kind;
  c.head_dim_ = head_dim;
  c.seed_ = seed;
  if (kind == ContentKind::kConstant) {
    c.q_.resize(static_cast<size_t>(head_dim));
    c.k_.resize(static_cast<size_t>(head_dim));
    for (int i = 0; i < head_dim; ++i) {
      c.q_[static_cast<size_t>(i)] = gaussian(seed, kConstantQuery, 0, static_cast<uint64_t>(i));
      c.k_[static_cast<size_t>(i)] = gaussian(seed, kConstantKey, 0, static_cast<uint64_t>(i));
    }
  }
  return c;
}

Content Content::external(std::vector<float> q, int64_t num_q, std::vector<float> k, int64_t num_k, int head_dim) {
  if (head_dim < 1) throw RopeError("content head_dim must be >= 1");
  if (num_q < 1 || num_k < 1) throw RopeError("query and key matrices need at least one row");
  if (q.size() != static_cast<size_t>(num_q) * static_cast<size_t>(head_dim)) {
    throw RopeError("query matrix size does not match rows x head_dim");
  }
  if (k.size() != static_cast<size_t>(num_k) * static_cast<size_t>(head_dim)) {
    throw RopeError("key matrix size does not match rows x head_dim");
  }
  Content c;
  c.kind_ = ContentKind::kExternal;
  c.head_dim_ = head_dim;
  c.num_q_ = num_q;
  c.num_k_ = num_k;
  c.q_ = std::move(q);
  c.k_ = std::move(k);
  return c;
}

std::optional<int64_t> Content::num_queries() const {
  if (kind_ == ContentKind::kExternal) return num_q_;
  return std::nullopt;
}

std::optional<int64_t> Content::num_keys() const {
  if (kind_ == ContentKind::kExternal) return num_k_;
  return std::nullopt;
}

void Content::queries(int64_t row0, int64_t row1, float* out) const { rows(false, row0, row1, out); }
void Content::keys(int64_t row0, int64_t row1, float* out) const { rows(true, row0, row1, out); }

void Content::rows(bool is_key, int64_t row0, int64_t row1, float* out) const {
  const size_t d = static_cast<size_t>(head_dim_);
  if (row0 < 0 || row1 < row0) throw RopeError("content rows out of range");
  switch (kind_) {
    case ContentKind::kOnes:
      std::fill(out, out + static_cast<size_t>(row1 - row0) * d, 1.0f);
      return;
    case ContentKind::kConstant: {
      const std::vector<float>& v = is_key ? k_ : q_;
      for (int64_t r = row0; r < row1; ++r) std::copy(v.begin(), v.end(), out + static_cast<size_t>(r - row0) * d);
      return;
    }
    case ContentKind::kRandom: {
      const uint64_t stream = is_key ? kRandomKey : kRandomQuery;
      for (int64_t r = row0; r < row1; ++r) {
        float* row = out + static_cast<size_t>(r - row0) * d;
        for (size_t i = 0; i < d; ++i) row[i] = gaussian(seed_, stream, static_cast<uint64_t>(r), i);
      }
      return;
    }
    case ContentKind::kExternal: {
      const int64_t limit = is_key ? num_k_ : num_q_;
      if (row1 > limit) throw RopeError(std::string(is_key ? "key" : "query") + " rows out of range");
      const std::vector<float>& m = is_key ? k_ : q_;
      std::copy(m.begin() + static_cast<ptrdiff_t>(static_cast<size_t>(row0) * d),
                m.begin() + static_cast<ptrdiff_t>(static_cast<size_t>(row1) * d), out);
      return;
    }
  }
}

}  // namespace rope::core
