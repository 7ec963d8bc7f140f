#include "core/config_diff.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/rotate_f64.h"
#include "core/thread_pool.h"

namespace rope::core {
namespace {

std::string num(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

template <class T>
void note(std::vector<std::string>& out, const char* name, const T& a, const T& b) {
  if (a == b) return;
  std::ostringstream s;
  s << name << " " << b << " (A " << a << ")";
  out.push_back(s.str());
}

void note_num(std::vector<std::string>& out, const char* name, double a, double b) {
  if (a != b) out.push_back(std::string(name) + " " + num(b) + " (A " + num(a) + ")");
}

}  // namespace

std::vector<double> logit_by_distance(const RopeFrequencies& f, const float* q, const float* k, int64_t count) {
  const int d = f.head_dim;
  std::vector<double> k0(static_cast<size_t>(d));
  rotate_f64(f, f.inv_freq.data(), f.attention_factor, k, 0, k0.data());
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> out(static_cast<size_t>(count));
  constexpr int64_t kBlock = 4096;
  ThreadPool::shared().parallel_for((count + kBlock - 1) / kBlock, [&](int64_t blk, int) {
    std::vector<double> qr(static_cast<size_t>(d));
    for (int64_t r = blk * kBlock; r < std::min(count, (blk + 1) * kBlock); ++r) {
      rotate_f64(f, f.inv_freq.data(), f.attention_factor, q, r, qr.data());
      double s = 0.0;
      for (int j = 0; j < d; ++j) s += qr[static_cast<size_t>(j)] * k0[static_cast<size_t>(j)];
      out[static_cast<size_t>(r)] = s * scale;
    }
  });
  return out;
}

ConfigDiff diff_configs(const RopeConfig& a, const RopeConfig& b, int64_t context, ContentKind content, uint64_t seed) {
  if (content != ContentKind::kConstant && content != ContentKind::kOnes)
    throw RopeError("diff: the logit by distance needs constant or ones content");
  DiffVectors v;
  const auto vectors = [&](int head_dim, std::vector<float>& q, std::vector<float>& k) {
    const Content c = Content::generated(content, head_dim, seed);
    q.resize(static_cast<size_t>(head_dim));
    k.resize(static_cast<size_t>(head_dim));
    c.queries(0, 1, q.data());
    c.keys(0, 1, k.data());
  };
  vectors(a.head_dim, v.qa, v.ka);
  vectors(b.head_dim, v.qb, v.kb);
  return diff_configs(a, b, context, v);
}

ConfigDiff diff_configs(const RopeConfig& a, const RopeConfig& b, int64_t context, const DiffVectors& v) {
  if (context < 1 || context > kMaxSeqLen)
    throw RopeError("diff: the context must be in [1, " + std::to_string(kMaxSeqLen) + "] (got " + std::to_string(context) + ")");
  ConfigDiff r;
  r.a = compute_frequencies(a);
  r.b = compute_frequencies(b);
  r.context = context;
  const size_t common = std::min(r.a.inv_freq.size(), r.b.inv_freq.size());
  for (size_t i = 0; i < common; ++i) {
    const double x = r.a.inv_freq[i], y = r.b.inv_freq[i];
    r.rel_diff.push_back(std::fabs(y - x) / std::fabs(x));
    r.max_rel_diff = std::max(r.max_rel_diff, r.rel_diff.back());
    if (x != y && !r.first_differing_pair) r.first_differing_pair = static_cast<int>(i);
  }
  if (!r.first_differing_pair && r.a.inv_freq.size() != r.b.inv_freq.size()) r.first_differing_pair = static_cast<int>(common);
  r.structure_differs = r.a.head_dim != r.b.head_dim || r.a.rotary_dim != r.b.rotary_dim || r.a.layout != r.b.layout;

  if (v.qa.size() != static_cast<size_t>(r.a.head_dim) || v.ka.size() != v.qa.size() ||
      v.qb.size() != static_cast<size_t>(r.b.head_dim) || v.kb.size() != v.qb.size())
    throw RopeError("diff: each side's query and key vectors must hold its head_dim values");
  const std::vector<double> fa = logit_by_distance(r.a, v.qa.data(), v.ka.data(), context);
  const std::vector<double> fb = logit_by_distance(r.b, v.qb.data(), v.kb.data(), context);
  for (int64_t i = 0; i < context; ++i) {
    const double e = std::fabs(fa[static_cast<size_t>(i)] - fb[static_cast<size_t>(i)]);
    if (e > r.max_abs_logit_diff) {
      r.max_abs_logit_diff = e;
      r.max_abs_logit_diff_distance = i;
    }
  }

  std::vector<std::string>& d = r.differences;
  note(d, "head_dim", r.a.head_dim, r.b.head_dim);
  note(d, "rotary_dim", r.a.rotary_dim, r.b.rotary_dim);
  note_num(d, "base", r.a.base, r.b.base);
  if (r.a.effective_base != r.a.base || r.b.effective_base != r.b.base)
    note_num(d, "effective base", r.a.effective_base, r.b.effective_base);
  note(d, "layout", std::string(to_string(r.a.layout)), std::string(to_string(r.b.layout)));
  note(d, "scaling", std::string(to_string(r.a.scaling)), std::string(to_string(r.b.scaling)));
  note_num(d, "factor", r.a.factor, r.b.factor);
  note(d, "original context", r.a.original_max, r.b.original_max);
  note_num(d, "attention factor", r.a.attention_factor, r.b.attention_factor);
  if (r.first_differing_pair)
    d.push_back("inv_freq from pair " + std::to_string(*r.first_differing_pair) + " (largest relative difference " +
                num(r.max_rel_diff) + ")");
  return r;
}

}  // namespace rope::core
