#include "core/kvcache.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/precision.h"
#include "core/rotate_f64.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

constexpr int64_t kMaxCache = int64_t{1} << 17;  // keys held twice in float64: 256 MB at head_dim 128
constexpr int64_t kMaxSteps = 65536;

double wrap_abs(double d) { return std::min(std::fabs(std::remainder(d, 2.0 * std::numbers::pi)), std::numbers::pi); }
double f32(double x) { return static_cast<double>(static_cast<float>(x)); }

double dot(const double* a, const double* b, int n) {
  double s = 0.0;
  for (int j = 0; j < n; ++j) s += a[j] * b[j];
  return s;
}

// Softmax of both logit rows; the largest |difference| and where.
void prob_error(std::vector<double> cached, std::vector<double> exact, KvCacheStep& step) {
  for (std::vector<double>* row : {&cached, &exact}) {
    const double mx = *std::max_element(row->begin(), row->end());
    double sum = 0.0;
    for (double& v : *row) sum += (v = std::exp(v - mx));
    for (double& v : *row) v /= sum;
  }
  for (size_t n = 0; n < cached.size(); ++n) {
    const double e = std::fabs(cached[n] - exact[n]);
    if (e > step.max_prob_error) {
      step.max_prob_error = e;
      step.max_prob_key = static_cast<int64_t>(n);
    }
  }
}

std::vector<double> rows_of(const Content& content, bool keys, int64_t row0, int64_t row1) {
  std::vector<float> f(static_cast<size_t>((row1 - row0) * content.head_dim()));
  if (keys) content.keys(row0, row1, f.data());
  else content.queries(row0, row1, f.data());
  return std::vector<double>(f.begin(), f.end());
}

// dynamic and longrope: the frequencies depend on the length; a key keeps those of the length at
// which it entered.
KvCacheReport simulate_growing(const RopeConfig& config, KvCacheOptions o) {
  const RopeFrequencies base_freqs = compute_frequencies(config);
  const int64_t orig = base_freqs.original_max;
  if (o.prompt == 0) o.prompt = orig;
  if (o.prompt < 1 || o.prompt + o.steps > kMaxCache)
    throw RopeError("kvcache: prompt + steps must be in [1, 131072] (got " + std::to_string(o.prompt + o.steps) + ")");
  const int d = base_freqs.head_dim, pairs = base_freqs.rotary_dim / 2;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const int64_t max_len = o.prompt + o.steps;
  // Frequencies per length [prompt, max_len].
  std::vector<RopeFrequencies> at_len;
  for (int64_t len = o.prompt; len <= max_len; ++len) {
    RopeConfig c = config;
    c.seq_len = len;
    at_len.push_back(compute_frequencies(c));
  }
  const auto freqs_for = [&](int64_t len) -> const RopeFrequencies& { return at_len[static_cast<size_t>(len - o.prompt)]; };
  const Content content = Content::generated(o.content, d, o.seed);
  const std::vector<double> keys = rows_of(content, true, 0, max_len);
  std::vector<double> cached(keys.size());       // rotated keys as the cache holds them
  std::vector<int64_t> cached_len(static_cast<size_t>(max_len), o.prompt);  // length at which each was rotated
  const auto cache_key = [&](int64_t n, int64_t len) {
    const RopeFrequencies& f = freqs_for(len);
    rotate_f64(f, f.inv_freq.data(), f.attention_factor, &keys[static_cast<size_t>(n * d)], n, &cached[static_cast<size_t>(n * d)]);
    cached_len[static_cast<size_t>(n)] = len;
  };
  for (int64_t n = 0; n < o.prompt; ++n) cache_key(n, o.prompt);

  KvCacheReport report;
  report.options = o;
  ThreadPool& pool = ThreadPool::shared();
  std::vector<std::vector<double>> scratch(static_cast<size_t>(pool.num_threads()), std::vector<double>(static_cast<size_t>(d)));
  for (int64_t s = 1; s <= o.steps; ++s) {
    const int64_t len = o.prompt + s, m = len - 1;
    const RopeFrequencies& now = freqs_for(len);
    if (o.recompute_at_switch && len > orig && len - 1 <= orig)
      for (int64_t n = 0; n < m; ++n) cache_key(n, len);
    cache_key(m, len);
    std::vector<double> q(static_cast<size_t>(d));
    {
      const std::vector<double> raw = rows_of(content, false, m, m + 1);
      rotate_f64(now, now.inv_freq.data(), now.attention_factor, raw.data(), m, q.data());
    }
    std::vector<double> logit_cached(static_cast<size_t>(len)), logit_exact(static_cast<size_t>(len));
    constexpr int64_t kBlock = 512;
    const int64_t blocks = (len + kBlock - 1) / kBlock;
    std::vector<KvCacheStep> block_step(static_cast<size_t>(blocks));
    pool.parallel_for(blocks, [&](int64_t blk, int thread) {
      std::vector<double>& tmp = scratch[static_cast<size_t>(thread)];
      KvCacheStep& bs = block_step[static_cast<size_t>(blk)];
      for (int64_t n = blk * kBlock; n < std::min(len, (blk + 1) * kBlock); ++n) {
        const double* kc = &cached[static_cast<size_t>(n * d)];
        logit_cached[static_cast<size_t>(n)] = dot(q.data(), kc, d) * scale;
        rotate_f64(now, now.inv_freq.data(), now.attention_factor, &keys[static_cast<size_t>(n * d)], n, tmp.data());
        logit_exact[static_cast<size_t>(n)] = dot(q.data(), tmp.data(), d) * scale;
        const std::vector<double>& then = freqs_for(cached_len[static_cast<size_t>(n)]).inv_freq;
        for (int i = 0; i < pairs; ++i) {
          const double e = wrap_abs(static_cast<double>(n) * (then[static_cast<size_t>(i)] - now.inv_freq[static_cast<size_t>(i)]));
          if (e > bs.max_phase_error) {
            bs.max_phase_error = e;
            bs.max_phase_key = n;
            bs.max_phase_pair = i;
          }
        }
      }
    });
    KvCacheStep step;
    step.step = s;
    step.length = len;
    for (const KvCacheStep& bs : block_step)
      if (bs.max_phase_error > step.max_phase_error) {
        step.max_phase_error = bs.max_phase_error;
        step.max_phase_key = bs.max_phase_key;
        step.max_phase_pair = bs.max_phase_pair;
      }
    prob_error(std::move(logit_cached), std::move(logit_exact), step);
    report.steps.push_back(step);
  }
  return report;
}

KvCacheReport simulate_shift(const RopeConfig& config, KvCacheOptions o) {
  if (o.prompt == 0) o.prompt = 4096;
  if (o.shift == 0) o.shift = o.prompt / 4;
  if (o.prompt < 2 || o.prompt > kMaxCache)
    throw RopeError("kvcache: --prompt (the cache length) must be in [2, 131072] (got " + std::to_string(o.prompt) + ")");
  if (o.shift < 1 || o.shift >= o.prompt)
    throw RopeError("kvcache: --shift must be in [1, prompt) (got " + std::to_string(o.shift) + ")");
  if (o.repeat < 1 || o.repeat > kMaxSteps)
    throw RopeError("kvcache: --repeat must be in [1, 65536] (got " + std::to_string(o.repeat) + ")");
  const RopeFrequencies f = compute_frequencies(config);
  const int d = f.head_dim, pairs = f.rotary_dim / 2;
  const int64_t P = o.prompt, D = o.shift;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const Content content = Content::generated(o.content, d, o.seed);
  // The float32 cos / sin of -D theta_i along the fp32 path.
  std::vector<double> c(static_cast<size_t>(pairs)), s(static_cast<size_t>(pairs));
  for (int i = 0; i < pairs; ++i) {
    const PathRotation r = path_rotation(AnglePath::kFp32, f.inv_freq[static_cast<size_t>(i)], D);
    c[static_cast<size_t>(i)] = r.cos;
    s[static_cast<size_t>(i)] = r.sin;
  }
  std::vector<double> cached(static_cast<size_t>(P * d));  // float32 values held in doubles
  std::vector<double> exact(static_cast<size_t>(d));
  const auto rotate_exact = [&](int64_t token, int64_t position, double* out) {
    const std::vector<double> raw = rows_of(content, true, token, token + 1);
    rotate_f64(f, f.inv_freq.data(), f.attention_factor, raw.data(), position, out);
  };
  const auto store = [&](int64_t token, int64_t slot) {
    double* out = &cached[static_cast<size_t>(slot * d)];
    rotate_exact(token, slot, out);
    for (int j = 0; j < d; ++j) out[j] = f32(out[j]);
  };
  for (int64_t t = 0; t < P; ++t) store(t, t);

  KvCacheReport report;
  report.options = o;
  for (int64_t r = 0; r <= o.repeat; ++r) {
    if (r > 0) {
      // Slot j >= D moves to j - D, re-rotated by -D in float32; D new tokens fill the end.
      for (int64_t j = D; j < P; ++j) {
        double* dst = &cached[static_cast<size_t>((j - D) * d)];
        const double* src = &cached[static_cast<size_t>(j * d)];
        std::copy(src, src + d, dst);
        for (int i = 0; i < pairs; ++i) {
          const auto [a, b] = pair_features(f, i);
          const double x = src[a], y = src[b], ci = c[static_cast<size_t>(i)], si = s[static_cast<size_t>(i)];
          dst[a] = f32(f32(x * ci) + f32(y * si));
          dst[b] = f32(f32(y * ci) - f32(x * si));
        }
      }
      for (int64_t j = P - D; j < P; ++j) store(r * D + j, j);
    }
    const int64_t first = r * D;  // token in slot 0
    std::vector<double> q(static_cast<size_t>(d));
    {
      const std::vector<double> raw = rows_of(content, false, first + P - 1, first + P);
      rotate_f64(f, f.inv_freq.data(), f.attention_factor, raw.data(), P - 1, q.data());
    }
    KvCacheStep step;
    step.step = r;
    step.length = P;
    std::vector<double> logit_cached(static_cast<size_t>(P)), logit_exact(static_cast<size_t>(P));
    for (int64_t j = 0; j < P; ++j) {
      rotate_exact(first + j, j, exact.data());
      const double* kc = &cached[static_cast<size_t>(j * d)];
      logit_cached[static_cast<size_t>(j)] = dot(q.data(), kc, d) * scale;
      logit_exact[static_cast<size_t>(j)] = dot(q.data(), exact.data(), d) * scale;
      for (int i = 0; i < pairs; ++i) {
        const auto [a, b] = pair_features(f, i);
        const double e = wrap_abs(std::atan2(kc[b], kc[a]) - std::atan2(exact[b], exact[a]));
        if (e > step.max_phase_error) {
          step.max_phase_error = e;
          step.max_phase_key = j;
          step.max_phase_pair = i;
        }
      }
    }
    prob_error(std::move(logit_cached), std::move(logit_exact), step);
    report.steps.push_back(step);
  }
  return report;
}

}  // namespace

std::string_view to_string(KvCacheMode mode) {
  switch (mode) {
    case KvCacheMode::kDynamic: return "dynamic";
    case KvCacheMode::kLongrope: return "longrope";
    case KvCacheMode::kShift: return "shift";
  }
  return "?";
}

std::optional<KvCacheMode> parse_kv_cache_mode(std::string_view name) {
  for (KvCacheMode m : {KvCacheMode::kDynamic, KvCacheMode::kLongrope, KvCacheMode::kShift})
    if (to_string(m) == name) return m;
  return std::nullopt;
}

KvCacheReport simulate_kv_cache(const RopeConfig& config, const KvCacheOptions& options) {
  validate(config);
  if (options.steps < 1 || options.steps > kMaxSteps)
    throw RopeError("kvcache: --steps must be in [1, 65536] (got " + std::to_string(options.steps) + ")");
  if (options.prompt < 0) throw RopeError("kvcache: --prompt must be >= 0 (got " + std::to_string(options.prompt) + ")");
  if (options.recompute_at_switch && options.mode != KvCacheMode::kLongrope)
    throw RopeError("kvcache: --recompute-at-switch is for --mode longrope");
  if (options.content == ContentKind::kExternal) throw RopeError("kvcache: content must be constant, random or ones");
  KvCacheReport report;
  switch (options.mode) {
    case KvCacheMode::kDynamic:
      if (config.scaling.type != ScalingType::kDynamic)
        throw RopeError("kvcache --mode dynamic needs dynamic scaling (--scaling dynamic; got " +
                        std::string(to_string(config.scaling.type)) + ")");
      report = simulate_growing(config, options);
      break;
    case KvCacheMode::kLongrope:
      if (config.scaling.type != ScalingType::kLongrope)
        throw RopeError("kvcache --mode longrope needs longrope scaling (got " + std::string(to_string(config.scaling.type)) +
                        ")");
      report = simulate_growing(config, options);
      break;
    case KvCacheMode::kShift:
      report = simulate_shift(config, options);
      break;
  }
  for (size_t i = 0; i < report.steps.size(); ++i) {
    if (report.steps[i].max_phase_error > report.steps[report.worst_phase_step].max_phase_error) report.worst_phase_step = i;
    if (report.steps[i].max_prob_error > report.steps[report.worst_prob_step].max_prob_error) report.worst_prob_step = i;
  }
  return report;
}

}  // namespace rope::core
