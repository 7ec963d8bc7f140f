#pragma once
// Query/key content fed to the attention views. Generated content is produced on demand for
// any row range, so nothing ever needs the whole N x head_dim matrix in memory.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace rope::core {

enum class ContentKind {
  kConstant,  // one seeded Gaussian vector for every query, another for every key
  kRandom,    // an independent seeded Gaussian vector per token (counter-based, reproducible)
  kOnes,      // all ones
  kExternal,  // matrices loaded from files
};

std::string_view to_string(ContentKind kind);
std::optional<ContentKind> parse_content_kind(std::string_view name);

class Content {
 public:
  static Content generated(ContentKind kind, int head_dim, uint64_t seed = 0);
  // q is num_q x head_dim, k is num_k x head_dim, row-major.
  static Content external(std::vector<float> q, int64_t num_q, std::vector<float> k, int64_t num_k,
                          int head_dim);

  ContentKind kind() const { return kind_; }
  int head_dim() const { return head_dim_; }
  uint64_t seed() const { return seed_; }
  // Rows available; generated content has no limit (nullopt).
  std::optional<int64_t> num_queries() const;
  std::optional<int64_t> num_keys() const;
  // True when every query row is the same vector and every key row is the same vector, so rotary
  // logits depend only on the position difference m - n.
  bool is_position_invariant() const { return kind_ == ContentKind::kConstant || kind_ == ContentKind::kOnes; }

  // Rows [row0, row1) written row-major into out ((row1 - row0) x head_dim floats).
  void queries(int64_t row0, int64_t row1, float* out) const;
  void keys(int64_t row0, int64_t row1, float* out) const;

 private:
  void rows(bool is_key, int64_t row0, int64_t row1, float* out) const;
  ContentKind kind_ = ContentKind::kConstant;
  int head_dim_ = 0;
  uint64_t seed_ = 0;
  int64_t num_q_ = 0, num_k_ = 0;
  std::vector<float> q_, k_;  // external rows, or the single constant vectors
};

}  // namespace rope::core
