#include "core/temperature.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rotate_f64.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr int64_t kMaxLength = int64_t{1} << 20;

// Entropy (nats) and largest probability of softmax(logits).
std::pair<double, double> sharpness(const std::vector<double>& logits) {
  const double mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0, weighted = 0.0;
  for (double z : logits) {
    const double e = std::exp(z - mx);
    sum += e;
    weighted += e * (z - mx);
  }
  return {std::log(sum) - weighted / sum, 1.0 / sum};
}

}  // namespace

std::vector<int64_t> default_temperature_lengths(const RopeConfig& config) {
  std::vector<int64_t> out;
  for (int64_t l = 16; l <= config.seq_len; l *= 2) out.push_back(l);
  out.push_back(config.seq_len);
  const RopeFrequencies f = compute_frequencies(config);
  if (f.original_max > 0 && f.original_max <= config.seq_len) out.push_back(f.original_max);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<TemperaturePoint> attention_temperature(const RopeConfig& config, ContentKind content_kind, uint64_t seed,
                                                    const std::vector<int64_t>& lengths) {
  validate(config);
  if (content_kind == ContentKind::kExternal) throw RopeError("temperature: content must be constant, random or ones");
  for (int64_t l : lengths)
    if (l < 1 || l > kMaxLength)
      throw RopeError("temperature: context length " + std::to_string(l) + " is outside [1, 1048576]");
  const Content content = Content::generated(content_kind, config.head_dim, seed);
  const int d = config.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  ThreadPool& pool = ThreadPool::shared();
  std::vector<TemperaturePoint> out;
  for (int64_t len : lengths) {
    RopeConfig c = config;
    c.seq_len = len;
    const RopeFrequencies f = compute_frequencies(c);
    const int64_t m = len - 1;
    std::vector<float> raw_q(static_cast<size_t>(d));
    content.queries(m, m + 1, raw_q.data());
    std::vector<double> q(static_cast<size_t>(d)), q1(static_cast<size_t>(d));
    rotate_f64(f, f.inv_freq.data(), f.attention_factor, raw_q.data(), m, q.data());
    rotate_f64(f, f.inv_freq.data(), 1.0, raw_q.data(), m, q1.data());
    std::vector<double> logits(static_cast<size_t>(len)), logits1(static_cast<size_t>(len));
    constexpr int64_t kBlock = 1024;
    const int64_t blocks = (len + kBlock - 1) / kBlock;
    pool.parallel_for(blocks, [&](int64_t blk, int) {
      const int64_t n0 = blk * kBlock, n1 = std::min(len, n0 + kBlock);
      std::vector<float> keys(static_cast<size_t>((n1 - n0) * d));
      content.keys(n0, n1, keys.data());
      std::vector<double> k(static_cast<size_t>(d)), k1(static_cast<size_t>(d));
      for (int64_t n = n0; n < n1; ++n) {
        const float* x = &keys[static_cast<size_t>((n - n0) * d)];
        rotate_f64(f, f.inv_freq.data(), f.attention_factor, x, n, k.data());
        rotate_f64(f, f.inv_freq.data(), 1.0, x, n, k1.data());
        double s = 0.0, s1 = 0.0;
        for (int j = 0; j < d; ++j) {
          s += q[static_cast<size_t>(j)] * k[static_cast<size_t>(j)];
          s1 += q1[static_cast<size_t>(j)] * k1[static_cast<size_t>(j)];
        }
        logits[static_cast<size_t>(n)] = s * scale;
        logits1[static_cast<size_t>(n)] = s1 * scale;
      }
    });
    TemperaturePoint p;
    p.length = len;
    p.attention_factor = f.attention_factor;
    std::tie(p.entropy, p.max_prob) = sharpness(logits);
    std::tie(p.entropy_unscaled, p.max_prob_unscaled) = sharpness(logits1);
    out.push_back(p);
  }
  return out;
}

}  // namespace rope::core
