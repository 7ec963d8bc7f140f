#include "core/content.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace rope::core {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Standard normal values that depend only on (seed, stream, row, column): counter-based, so any
// block of rows can be produced independently and reproducibly. Box-Muller on one 64-bit hash per
// pair of columns gives both members of the pair.
uint64_t row_key(uint64_t seed, uint64_t stream, uint64_t row) { return splitmix64(splitmix64(seed ^ (stream << 56)) ^ row); }

void gaussian_row(uint64_t key, size_t count, float* out) {
  constexpr float kTwoPiF = 6.28318530717958647692f;
  for (size_t col = 0; col < count; col += 2) {
    const uint64_t bits = splitmix64(key ^ (col / 2));
    const float u1 = (static_cast<float>(bits >> 40) + 1.0f) * 0x1.0p-24f;           // (0, 1]
    const float u2 = static_cast<float>((bits >> 8) & 0xFFFFFFu) * 0x1.0p-24f;         // [0, 1)
    const float radius = std::sqrt(-2.0f * std::log(u1));
    out[col] = radius * std::cos(kTwoPiF * u2);
    if (col + 1 < count) out[col + 1] = radius * std::sin(kTwoPiF * u2);
  }
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
    gaussian_row(row_key(seed, kConstantQuery, 0), c.q_.size(), c.q_.data());
    gaussian_row(row_key(seed, kConstantKey, 0), c.k_.size(), c.k_.data());
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
        gaussian_row(row_key(seed_, stream, static_cast<uint64_t>(r)), d, out + static_cast<size_t>(r - row0) * d);
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
