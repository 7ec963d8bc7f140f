#pragma once
// Captured queries and keys of a real model (format ropescope-qk/1, described in the README): a
// .safetensors file with q [layers, heads, N, d] and k [layers, kv_heads, N, d] (F32, F16 or BF16),
// the vectors before RoPE, optional positions (I64 [N]) and __metadata__ (format, config, tokens,
// layers, model, source). The file is mapped, not read: F32 heads are used in place, F16 and BF16
// heads are converted on demand into the caller's buffer, so resident memory grows with the heads
// being looked at. Tensors that disagree are errors (one line naming the tensor); a bad optional
// metadata field is dropped with a warning. Query head h reads key head h / (heads / kv_heads).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rope_config.h"
#include "core/tensor_io.h"

namespace rope::core {

inline constexpr std::string_view kCaptureFormat = "ropescope-qk/1";

class Capture {
 public:
  static Capture open(const std::string& path);
  // Over bytes the caller keeps alive (tests, fuzzing); `origin` names them in messages.
  static Capture view(const void* bytes, size_t size, const std::string& origin);

  const std::string& origin() const { return file_.origin(); }
  int num_layers() const { return num_layers_; }  // along the file's first axis
  int num_heads() const { return num_heads_; }
  int num_kv_heads() const { return num_kv_heads_; }
  int64_t seq_len() const { return seq_len_; }
  int head_dim() const { return head_dim_; }
  const std::string& query_dtype() const { return q().dtype; }
  const std::string& key_dtype() const { return k().dtype; }

  // The key head a query head attends with (grouped-query attention).
  int kv_head_of(int head) const { return head / (num_heads_ / num_kv_heads_); }
  // Model layer numbers, one per index along the first axis (0, 1, ... when `layers` is absent).
  const std::vector<int64_t>& layers() const { return layers_; }
  // The index along the first axis of a model layer number; nullopt when it was not captured.
  std::optional<int> layer_index(int64_t model_layer) const;
  // Position ids of the N tokens: the file's `positions`, else 0 .. N - 1.
  const std::vector<int64_t>& positions() const { return positions_; }
  bool has_positions() const { return has_positions_; }
  // Empty when absent or dropped (see warnings).
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::string& model() const { return model_; }
  const std::string& source() const { return source_; }
  const std::string& config_text() const { return config_text_; }
  // The rope configuration of the model's config.json (head_dim checked against d, seq_len set
  // to the longest position + 1); nullopt when the file has none or it could not be used.
  const std::optional<RopeConfig>& config() const { return config_; }
  // One line per metadata field that was dropped, and why.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Rows of one head as N x d float32, row-major: a pointer into the mapping when the data are F32
  // and aligned, else converted into `buffer` (resized) and pointing there. Valid while the
  // Capture (or a copy) and the buffer live. Throws RopeError when an index is out of range.
  const float* query_rows(int layer_index, int head, std::vector<float>& buffer) const;
  const float* key_rows(int layer_index, int kv_head, std::vector<float>& buffer) const;

 private:
  Capture() = default;
  void check_tensors();
  void read_positions();
  void read_metadata();
  const float* rows(const SafetensorsTensorView& t, int layer_index, int head, int count, const char* what,
                    std::vector<float>& buffer) const;

  const SafetensorsTensorView& q() const { return file_.tensors()[q_index_]; }
  const SafetensorsTensorView& k() const { return file_.tensors()[k_index_]; }

  SafetensorsMap file_;
  size_t q_index_ = 0, k_index_ = 0;  // into file_.tensors(): indices survive copies
  int num_layers_ = 0, num_heads_ = 0, num_kv_heads_ = 0, head_dim_ = 0;
  int64_t seq_len_ = 0;
  std::vector<int64_t> layers_, positions_;
  bool has_positions_ = false;
  std::vector<std::string> tokens_, warnings_;
  std::string model_, source_, config_text_;
  std::optional<RopeConfig> config_;
};

// Statistics of one head's rotary causal softmax p(m, n) (n <= m, logits <R(p_m) q_m, R(p_n) k_n> /
// sqrt(d), float64), all means over the query rows m (indices m, n along the sequence):
struct HeadStats {
  int64_t layer = 0;  // model layer number
  int head = 0, kv_head = 0;
  double mean_distance = 0;    // sum_n p(m, n) (m - n)
  double entropy = 0;          // -sum_n p ln p, nats
  double sink_mass = 0;        // sum_{n < sink} p(m, n)
  double prev_token_mass = 0;  // p(m, m - 1), over m >= 1 (0 when N = 1)
  double local_mass = 0;       // sum_{m - n <= 8} p(m, n)
};
inline constexpr int64_t kLocalWindow = 8;

// One head from raw rows (q, k: n x head_dim floats) at `positions` (n values), exact in float64.
HeadStats head_stats(const RopeFrequencies& freqs, const float* q, const float* k, const int64_t* positions,
                     int64_t n, int64_t sink);

// Every head of the given layer indices (all layers when empty), in (layer, head) order, spread
// over ThreadPool::shared(), over the first `num_tokens` tokens (0: all N; the capture cut there).
// Throws RopeError when freqs.head_dim differs from the capture's d or num_tokens exceeds N.
std::vector<HeadStats> capture_head_stats(const Capture& capture, const RopeFrequencies& freqs,
                                          const std::vector<int>& layer_indices, int64_t sink,
                                          int64_t num_tokens = 0);

}  // namespace rope::core
