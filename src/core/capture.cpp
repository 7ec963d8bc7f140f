// Capture files: the tensors are checked against each other once at open, then read head by head
// straight from the mapping. Statistics of a head are computed in float64 from its rotated rows.
#include "core/capture.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/config_json.h"
#include "core/error.h"
#include "core/rotate_f64.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

using nlohmann::json;

constexpr int64_t kMaxHeads = int64_t{1} << 16;
constexpr int64_t kMaxLayers = int64_t{1} << 16;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// A metadata value parsed as JSON, or nullopt when it is not JSON.
std::optional<json> parse_json(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace

Capture Capture::open(const std::string& path) {
  Capture c;
  c.file_ = SafetensorsMap::open(path);
  c.check_tensors();
  c.read_positions();
  c.read_metadata();
  return c;
}

Capture Capture::view(const void* bytes, size_t size, const std::string& origin) {
  Capture c;
  c.file_ = SafetensorsMap::view(bytes, size, origin);
  c.check_tensors();
  c.read_positions();
  c.read_metadata();
  return c;
}

std::optional<int> Capture::layer_index(int64_t model_layer) const {
  const auto it = std::find(layers_.begin(), layers_.end(), model_layer);
  if (it == layers_.end()) return std::nullopt;
  return static_cast<int>(it - layers_.begin());
}

void Capture::check_tensors() {
  const std::string& origin = file_.origin();
  auto fail = [&](const std::string& what) { throw RopeError(origin + ": " + what); };
  const auto& tensors = file_.tensors();
  for (const char* name : {"q", "k"}) {
    const SafetensorsTensorView* t = file_.find(name);
    if (t == nullptr) fail(std::string("no tensor '") + name + "' (a " + std::string(kCaptureFormat) + " capture holds q and k)");
    if (float_dtype_size(t->dtype) == 0) {
      fail(std::string("tensor '") + name + "' has dtype " + t->dtype.substr(0, 16) + " (need F32, F16 or BF16)");
    }
    if (t->shape.size() != 4) {
      fail(std::string("tensor '") + name + "' has shape " + shape_text(t->shape) + " (expected [layers, " +
           (name[0] == 'q' ? "heads" : "kv_heads") + ", N, d])");
    }
    (name[0] == 'q' ? q_index_ : k_index_) = static_cast<size_t>(t - tensors.data());
  }
  const auto& qs = q().shape;
  const auto& ks = k().shape;
  if (qs[0] != ks[0]) fail("tensor 'k' has " + std::to_string(ks[0]) + " layers but 'q' has " + std::to_string(qs[0]));
  if (qs[2] != ks[2]) fail("tensor 'k' has N = " + std::to_string(ks[2]) + " but 'q' has N = " + std::to_string(qs[2]));
  if (qs[3] != ks[3]) fail("tensor 'k' has d = " + std::to_string(ks[3]) + " but 'q' has d = " + std::to_string(qs[3]));
  if (qs[0] < 1 || qs[0] > kMaxLayers) fail("tensor 'q' has " + std::to_string(qs[0]) + " layers (need 1 to 65536)");
  if (qs[1] < 1 || qs[1] > kMaxHeads) fail("tensor 'q' has " + std::to_string(qs[1]) + " heads (need 1 to 65536)");
  if (ks[1] < 1 || ks[1] > kMaxHeads) fail("tensor 'k' has " + std::to_string(ks[1]) + " heads (need 1 to 65536)");
  if (qs[1] % ks[1] != 0) {
    fail("tensor 'q' has " + std::to_string(qs[1]) + " heads, not a multiple of the " + std::to_string(ks[1]) +
         " key heads of 'k'");
  }
  if (qs[2] < 1 || qs[2] > kMaxSeqLen) fail("tensor 'q' has N = " + std::to_string(qs[2]) + " (need 1 to 2^24)");
  if (qs[3] < 1 || qs[3] > kMaxHeadDim) fail("tensor 'q' has d = " + std::to_string(qs[3]) + " (need 1 to 4096)");
  num_layers_ = static_cast<int>(qs[0]);
  num_heads_ = static_cast<int>(qs[1]);
  num_kv_heads_ = static_cast<int>(ks[1]);
  seq_len_ = qs[2];
  head_dim_ = static_cast<int>(qs[3]);
}

void Capture::read_positions() {
  const std::string& origin = file_.origin();
  positions_.resize(static_cast<size_t>(seq_len_));
  const SafetensorsTensorView* t = file_.find("positions");
  if (t == nullptr) {
    for (int64_t i = 0; i < seq_len_; ++i) positions_[static_cast<size_t>(i)] = i;
    return;
  }
  if (t->dtype != "I64") throw RopeError(origin + ": tensor 'positions' has dtype " + t->dtype.substr(0, 16) + " (need I64)");
  if (t->shape != std::vector<int64_t>{seq_len_}) {
    throw RopeError(origin + ": tensor 'positions' has shape " + shape_text(t->shape) + " (expected [" +
                    std::to_string(seq_len_) + "], one per token of q and k)");
  }
  for (int64_t i = 0; i < seq_len_; ++i) {
    uint64_t bits = 0;
    for (int b = 7; b >= 0; --b) bits = (bits << 8) | t->data[8 * i + b];
    const auto value = std::bit_cast<int64_t>(bits);
    if (value < 0 || value > kMaxPosition) {
      throw RopeError(origin + ": tensor 'positions' holds " + std::to_string(value) + " at index " + std::to_string(i) +
                      " (positions must be in [0, 2^30])");
    }
    positions_[static_cast<size_t>(i)] = value;
  }
  has_positions_ = true;
}

void Capture::read_metadata() {
  const std::string& origin = file_.origin();
  const auto& meta = file_.metadata();
  auto get = [&](const char* key) -> const std::string* {
    const auto it = meta.find(key);
    return it == meta.end() ? nullptr : &it->second;
  };
  auto warn = [&](const std::string& what) { warnings_.push_back(origin + ": __metadata__ " + what); };

  if (const std::string* format = get("format")) {
    if (*format != kCaptureFormat) {
      throw RopeError(origin + ": __metadata__ format is '" + format->substr(0, 40) + "' (expected " +
                      std::string(kCaptureFormat) + ")");
    }
  } else {
    warn("format: missing; read as " + std::string(kCaptureFormat));
  }
  if (const std::string* model = get("model")) model_ = *model;
  if (const std::string* source = get("source")) source_ = *source;

  for (int64_t i = 0; i < num_layers_; ++i) layers_.push_back(i);
  if (const std::string* text = get("layers")) {
    const auto value = parse_json(*text);
    std::vector<int64_t> layers;
    std::set<int64_t> seen;
    bool ok = value && value->is_array() && value->size() == static_cast<size_t>(num_layers_);
    for (size_t i = 0; ok && i < value->size(); ++i) {
      const json& v = (*value)[i];
      ok = v.is_number_integer() && v.get<int64_t>() >= 0 && seen.insert(v.get<int64_t>()).second;
      if (ok) layers.push_back(v.get<int64_t>());
    }
    if (ok) {
      layers_ = std::move(layers);
    } else {
      warn("layers: not a JSON array of " + std::to_string(num_layers_) +
           " distinct non-negative integers (one per layer of q); layers are numbered 0 .. " +
           std::to_string(num_layers_ - 1));
    }
  }

  if (const std::string* text = get("tokens")) {
    const auto value = parse_json(*text);
    bool ok = value && value->is_array() && value->size() == static_cast<size_t>(seq_len_);
    for (size_t i = 0; ok && i < value->size(); ++i) ok = (*value)[i].is_string();
    if (ok) {
      tokens_.reserve(value->size());
      for (const json& token : *value) tokens_.push_back(token.get<std::string>());
    } else {
      warn("tokens: not a JSON array of " + std::to_string(seq_len_) + " strings (one per token); no tokens shown");
    }
  }

  if (const std::string* text = get("config")) {
    config_text_ = *text;
    try {
      RopeConfig config = parse_hf_config(*text, origin + " __metadata__ config");
      if (config.head_dim != head_dim_) {
        warn("config: head_dim " + std::to_string(config.head_dim) + " differs from d = " + std::to_string(head_dim_) +
             " of q and k; the config is not used");
      } else {
        config.seq_len = *std::max_element(positions_.begin(), positions_.end()) + 1;
        const std::vector<FieldError> errors = check_fields(config);
        if (errors.empty()) {
          config_ = std::move(config);
        } else {
          warn("config: " + errors.front().message + " at the capture's positions; the config is not used");
        }
      }
    } catch (const RopeError& e) {
      warnings_.push_back(std::string(e.what()) + "; the config is not used");
    }
  } else {
    warn("config: missing; the default rope configuration applies");
  }
}

const float* Capture::rows(const SafetensorsTensorView& t, int layer_index, int head, int count, const char* what,
                           std::vector<float>& buffer) const {
  if (layer_index < 0 || layer_index >= num_layers_) {
    throw RopeError(origin() + ": layer index " + std::to_string(layer_index) + " is out of range (the capture has " +
                    std::to_string(num_layers_) + " layers)");
  }
  if (head < 0 || head >= count) {
    throw RopeError(origin() + ": " + what + " " + std::to_string(head) + " is out of range (the capture has " +
                    std::to_string(count) + ")");
  }
  const size_t cells = static_cast<size_t>(seq_len_) * static_cast<size_t>(head_dim_);
  const size_t item = float_dtype_size(t.dtype);
  const uint8_t* src = t.data + (static_cast<size_t>(layer_index) * static_cast<size_t>(count) +
                                 static_cast<size_t>(head)) * cells * item;
  if (t.dtype == "F32" && std::endian::native == std::endian::little &&
      reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
    return reinterpret_cast<const float*>(src);
  }
  buffer.resize(cells);
  decode_floats(t.dtype, src, cells, buffer.data());
  return buffer.data();
}

const float* Capture::query_rows(int layer_index, int head, std::vector<float>& buffer) const {
  return rows(q(), layer_index, head, num_heads_, "query head", buffer);
}

const float* Capture::key_rows(int layer_index, int kv_head, std::vector<float>& buffer) const {
  return rows(k(), layer_index, kv_head, num_kv_heads_, "key head", buffer);
}

// ---------------------------------------------------------------------------------------------
// Head statistics

HeadStats head_stats(const RopeFrequencies& freqs, const float* q, const float* k, const int64_t* positions,
                     int64_t n, int64_t sink) {
  const size_t d = static_cast<size_t>(freqs.head_dim);
  std::vector<double> rq(static_cast<size_t>(n) * d), rk(static_cast<size_t>(n) * d);
  for (int64_t i = 0; i < n; ++i) {
    const size_t at = static_cast<size_t>(i) * d;
    rotate_f64(freqs, freqs.inv_freq.data(), freqs.attention_factor, q + at, positions[i], rq.data() + at);
    rotate_f64(freqs, freqs.inv_freq.data(), freqs.attention_factor, k + at, positions[i], rk.data() + at);
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> logit(static_cast<size_t>(n));
  HeadStats s;
  for (int64_t m = 0; m < n; ++m) {
    const double* qm = rq.data() + static_cast<size_t>(m) * d;
    double max = -INFINITY;
    for (int64_t j = 0; j <= m; ++j) {
      const double* kj = rk.data() + static_cast<size_t>(j) * d;
      double dot = 0.0;
      for (size_t x = 0; x < d; ++x) dot += qm[x] * kj[x];
      logit[static_cast<size_t>(j)] = dot * scale;
      max = std::max(max, dot * scale);
    }
    double sum = 0.0;
    for (int64_t j = 0; j <= m; ++j) sum += std::exp(logit[static_cast<size_t>(j)] - max);
    double distance = 0.0, weighted_logit = 0.0, sink_mass = 0.0, local = 0.0;
    for (int64_t j = 0; j <= m; ++j) {
      const double shifted = logit[static_cast<size_t>(j)] - max;
      const double p = std::exp(shifted) / sum;
      distance += p * static_cast<double>(m - j);
      weighted_logit += p * shifted;
      if (j < sink) sink_mass += p;
      if (m - j <= kLocalWindow) local += p;
      if (j == m - 1) s.prev_token_mass += p;
    }
    s.mean_distance += distance;
    s.entropy += std::log(sum) - weighted_logit;  // -sum p ln p with ln p = shifted - ln sum
    s.sink_mass += sink_mass;
    s.local_mass += local;
  }
  const double rows = static_cast<double>(n);
  s.mean_distance /= rows;
  s.entropy /= rows;
  s.sink_mass /= rows;
  s.local_mass /= rows;
  s.prev_token_mass = n > 1 ? s.prev_token_mass / static_cast<double>(n - 1) : 0.0;
  return s;
}

std::vector<HeadStats> capture_head_stats(const Capture& capture, const RopeFrequencies& freqs,
                                          const std::vector<int>& layer_indices_in, int64_t sink,
                                          int64_t num_tokens) {
  if (freqs.head_dim != capture.head_dim()) {
    throw RopeError(capture.origin() + ": head_dim " + std::to_string(freqs.head_dim) + " differs from d = " +
                    std::to_string(capture.head_dim()) + " of q and k");
  }
  if (num_tokens < 0 || num_tokens > capture.seq_len()) {
    throw RopeError(capture.origin() + ": " + std::to_string(num_tokens) + " tokens asked for, the capture has " +
                    std::to_string(capture.seq_len()));
  }
  const int64_t n = num_tokens == 0 ? capture.seq_len() : num_tokens;
  std::vector<int> layer_indices = layer_indices_in;
  if (layer_indices.empty()) {
    for (int i = 0; i < capture.num_layers(); ++i) layer_indices.push_back(i);
  }
  for (const int index : layer_indices) {
    if (index < 0 || index >= capture.num_layers()) {
      throw RopeError(capture.origin() + ": layer index " + std::to_string(index) + " is out of range");
    }
  }
  const int heads = capture.num_heads();
  std::vector<HeadStats> out(layer_indices.size() * static_cast<size_t>(heads));
  ThreadPool& pool = ThreadPool::shared();
  std::vector<std::vector<float>> q_buffers(static_cast<size_t>(pool.num_threads()));
  std::vector<std::vector<float>> k_buffers(q_buffers.size());
  pool.parallel_for(static_cast<int64_t>(out.size()), [&](int64_t task, int thread) {
    const int index = layer_indices[static_cast<size_t>(task / heads)];
    const int head = static_cast<int>(task % heads);
    const int kv_head = capture.kv_head_of(head);
    const float* q = capture.query_rows(index, head, q_buffers[static_cast<size_t>(thread)]);
    const float* k = capture.key_rows(index, kv_head, k_buffers[static_cast<size_t>(thread)]);
    HeadStats s = head_stats(freqs, q, k, capture.positions().data(), n, sink);
    s.layer = capture.layers()[static_cast<size_t>(index)];
    s.head = head;
    s.kv_head = kv_head;
    out[static_cast<size_t>(task)] = s;
  });
  return out;
}

}  // namespace rope::core
