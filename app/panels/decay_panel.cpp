// Distance decay: RoFormer bound, mean cosine and the actual rotary score of the current content
// against relative distance, with the original context and the base-bound distance marked.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <imgui.h>

#include "panels/panels.h"
#include "panels/pins.h"
#include "panels/widgets.h"
#include "viz/axis.h"
#include "viz/plot.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

// The pinned distance's values (float64) at the sample nearest to it.
void pinned_distance_readout(ExactState& exact, const DecayResult& d, const std::vector<double>& bound,
                             const std::vector<double>& actual) {
  const int i = viz::nearest_index_sorted(d.distance.data(), static_cast<int>(d.distance.size()),
                                          static_cast<double>(*exact.pinned_distance));
  if (i < 0) return;
  char text[400];
  std::snprintf(text, sizeof text,
                "r = %.0f%s: RoFormer bound %.17g, mean cos %.17g, actual score %.17g (raw: bound %.17g, score %.17g)",
                d.distance[i], d.distance[i] == static_cast<double>(*exact.pinned_distance) ? "" : " (nearest sample)",
                bound[i], d.mean_cos[i], actual[i], d.roformer_bound[i], d.actual[i]);
  char copy[400];
  std::snprintf(copy, sizeof copy,
                "distance\troformer_bound_shown\troformer_bound\tmean_cos\tactual_shown\tactual\n%.0f\t%.17g\t%.17g\t%."
                "17g\t%.17g\t%.17g\n",
                d.distance[i], bound[i], d.roformer_bound[i], d.mean_cos[i], actual[i], d.actual[i]);
  if (pin_readout("##distance_pin", text, copy)) exact.pinned_distance.reset();
}

}  // namespace

void draw_decay_panel(AppState& state, const Derived& derived) {
  const std::shared_ptr<const DecayResult> result = derived.decay;
  if (!result || result->distance.empty()) {
    ImGui::TextUnformatted(derived.decay_error.empty() ? "Computing..." : derived.decay_error.c_str());
    return;
  }
  const DecayResult& d = *result;
  const int n = static_cast<int>(d.distance.size());
  const bool norm = state.decay_normalised;
  std::vector<double> bound(n), actual(n);
  const double b0 = d.roformer_bound.front() != 0.0 ? d.roformer_bound.front() : 1.0;
  for (int i = 0; i < n; ++i) {
    bound[i] = norm ? d.roformer_bound[i] / b0 : d.roformer_bound[i];
    actual[i] = norm ? d.actual[i] / d.actual_scale : d.actual[i];
  }
  const bool log_x = d.key.log_x;
  text_wrapped(0.0f, "d = %d, base %.6g, distances 0..%s%s", d.key.config.head_dim, d.key.config.base,
               viz::format_compact(static_cast<double>(d.key.max_distance), 4).c_str(),
               log_x ? " (log axis from 1)" : "");
  // Wrapped at the view's width: none of these lines is cut at its edge.
  ImGui::BeginGroup();
  if (d.first_negative)
    dim_text_wrapped(0.0f, "first m with \xCE\xA3 cos(m\xCE\xB8_i) < 0: %lld", static_cast<long long>(*d.first_negative));
  else
    dim_text_wrapped(0.0f, "\xCE\xA3 cos(m\xCE\xB8_i) \xE2\x89\xA5 0 for every m \xE2\x89\xA4 %s",
                     viz::format_compact(static_cast<double>(d.first_negative_limit), 4).c_str());
  ImGui::EndGroup();
  item_tooltip("Men et al. 2024: B(m) = sum_i cos(m theta_i). The first distance where it turns negative bounds the "
               "context this base can resolve.");
  if (d.key.content == core::ContentKind::kRandom)
    dim_text_wrapped(0.0f, "actual score: query at position r, key at 0 (one random pair, not an average)");

  if (state.exact.pinned_distance) pinned_distance_readout(state.exact, d, bound, actual);

  viz::Range yr = viz::data_range(bound.data(), bound.size(), false);
  yr = viz::merge(yr, viz::data_range(d.mean_cos.data(), d.mean_cos.size(), false));
  yr = viz::merge(yr, viz::data_range(actual.data(), actual.size(), false));
  yr = viz::pad_range(yr, false, 0.05);
  const double xmax = std::max(2.0, static_cast<double>(d.key.max_distance));
  viz::AxisSpec x{"relative distance m - n", log_x, log_x ? 1.0 : 0.0, xmax};
  viz::AxisSpec y{norm ? "score (normalised)" : "score", false, yr.min, yr.max};
  viz::PlotOptions options;
  options.legend = viz::LegendCorner::kBelow;  // under the axis: it never covers the curves
  // A narrow view names the curves in a word each (so the legend takes one or two rows, not three;
  // the hover read-out and the sidebar's tooltip say what they are).
  const bool short_names = ImGui::GetContentRegionAvail().x < 30.0f * ImGui::GetFontSize();
  if (!viz::begin_plot("##decay", ImVec2(-1.0f, -1.0f), x, y, options)) return;
  const viz::PlotPalette& pal = viz::palette(viz::current_theme());
  viz::plot_hline(0.0, pal.grid, nullptr, false);
  viz::plot_line(short_names ? "bound" : norm ? "RoFormer bound / bound(0)" : "RoFormer bound", d.distance.data(),
                 bound.data(), n, pal.series[0], 2.0f);
  viz::plot_line(short_names ? "mean cos" : "mean cos(r\xCE\xB8_i)", d.distance.data(), d.mean_cos.data(), n,
                 pal.series[1], 1.5f);
  viz::plot_line(short_names ? "actual"
                 : norm      ? "\xE2\x9F\xA8Rq,Rk\xE2\x9F\xA9 / (|q||k|a\xC2\xB2)"
                             : "\xE2\x9F\xA8Rq,Rk\xE2\x9F\xA9/\xE2\x88\x9A" "d",
                 d.distance.data(), actual.data(), n, pal.series[2], 1.5f);
  if (d.original_context > 0 && static_cast<double>(d.original_context) <= xmax) {
    const std::string label = "original context " + viz::format_compact(static_cast<double>(d.original_context), 4);
    viz::plot_vline(static_cast<double>(d.original_context), pal.series[5], label.c_str());
  }
  if (d.first_negative && static_cast<double>(*d.first_negative) <= xmax) {
    const std::string label = "base bound: B(m)<0 at " + viz::format_compact(static_cast<double>(*d.first_negative), 4);
    viz::plot_vline(static_cast<double>(*d.first_negative), pal.series[6], label.c_str());
  }
  if (state.exact.pinned_distance) {
    const int i = viz::nearest_index_sorted(d.distance.data(), n, static_cast<double>(*state.exact.pinned_distance));
    if (i >= 0) {
      viz::plot_highlight(d.distance[i], actual[i], pal.series[3]);
      viz::plot_vline(d.distance[i], pal.series[3], nullptr, false);
    }
  }
  if (auto mouse = viz::plot_mouse()) {
    const int i = viz::nearest_index_sorted(d.distance.data(), n, mouse->x);
    if (i >= 0 && clicked_without_drag(true)) state.exact.pinned_distance = static_cast<int64_t>(d.distance[i]);
    if (i >= 0) {
      viz::plot_highlight(d.distance[i], actual[i], pal.series[2]);
      ImGui::BeginTooltip();
      ImGui::Text("distance r = %.0f", d.distance[i]);
      ImGui::Text("RoFormer bound %.5g (raw %.5g)", bound[i], d.roformer_bound[i]);
      ImGui::Text("mean cos       %.5g", d.mean_cos[i]);
      ImGui::Text("actual score   %.5g (raw %.5g)", actual[i], d.actual[i]);
      dim_text("click: pin this distance (exact values)");
      ImGui::EndTooltip();
    }
  }
  viz::end_plot();
}

}  // namespace rope::app
