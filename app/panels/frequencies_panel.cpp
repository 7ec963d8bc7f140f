// Frequencies: theta_i (log y) or wavelength 2 pi / theta_i per pair, scaled and unscaled, with
// the context lengths, the critical dimension and the scaling bands.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include <imgui.h>

#include "core/analysis.h"
#include "panels/panels.h"
#include "panels/pins.h"
#include "panels/widgets.h"
#include "viz/axis.h"
#include "viz/plot.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

ImU32 with_alpha(ImU32 color, int alpha) { return (color & 0x00FFFFFFu) | (static_cast<ImU32>(alpha) << 24); }

// "go to pair [i]": a valid index pins that pair; anything else is reported at the field.
void goto_pair_entry(ExactState& exact, int pairs) {
  const std::string tip = "Type a pair index 0.." + std::to_string(pairs - 1) +
                          " and press Enter: the pair is pinned with its exact values (or click a point).";
  if (!typed_entry("go to pair", "##goto_pair", "index", 4.0f, &exact.goto_pair_input, exact.goto_pair_error,
                   tip.c_str()))
    return;
  const auto v = parse_integers(exact.goto_pair_input, 1);
  if (!v) {
    exact.goto_pair_error = "not an integer";
  } else if ((*v)[0] < 0 || (*v)[0] >= pairs) {
    exact.goto_pair_error = "out of range: pairs are 0.." + std::to_string(pairs - 1);
  } else {
    exact.goto_pair_error.clear();
    exact.pinned_pair = static_cast<int>((*v)[0]);
  }
}

// The pinned pair's row of the pair table, every number in float64.
void pinned_pair_readout(ExactState& exact, const Derived& derived) {
  const std::vector<core::PairInfo> table = core::pair_table(derived.freqs, pair_table_context(derived));
  const core::PairInfo& p = table[static_cast<size_t>(*exact.pinned_pair)];
  char text[640];
  std::snprintf(text, sizeof text,
                "pair %d: \xCE\xB8 = %.17g, wavelength %.17g, rotations within %.0f: %.17g, unscaled \xCE\xB8 %.17g, "
                "ratio %.17g, band %s %.17g, features %d, %d",
                p.pair, p.inv_freq, p.wavelength, pair_table_context(derived), p.rotations_in_context,
                p.inv_freq_unscaled, p.ratio, std::string(core::to_string(p.band)).c_str(), p.band_value, p.feature0,
                p.feature1);
  if (pin_readout("##pair_pin", text, core::pair_table_text({p}, '\t'))) exact.pinned_pair.reset();
}

}  // namespace

void draw_frequencies_panel(AppState& state, const Derived& derived) {
  if (!derived.has_valid) {
    ImGui::TextUnformatted("No valid configuration yet.");
    return;
  }
  const core::RopeFrequencies& f = derived.freqs;
  const int pairs = static_cast<int>(f.inv_freq.size());
  if (pairs == 0) {
    ImGui::TextUnformatted("rotary_dim is 0: nothing rotates.");
    return;
  }
  const bool wavelength = state.freq_axis == FreqAxis::kWavelength;
  const bool scaled = f.scaling != core::ScalingType::kNone;
  std::vector<double> xs(pairs), ys(pairs), ys0(pairs);
  for (int i = 0; i < pairs; ++i) {
    xs[i] = i;
    ys[i] = wavelength ? kTwoPi / f.inv_freq[i] : f.inv_freq[i];
    ys0[i] = wavelength ? kTwoPi / f.inv_freq_unscaled[i] : f.inv_freq_unscaled[i];
  }
  const double seq_len = static_cast<double>(f.seq_len > 0 ? f.seq_len : derived.valid_params.config.seq_len);
  const double orig = static_cast<double>(f.original_max);
  // A wavelength L corresponds to theta = 2 pi / L (one full turn within L positions).
  auto line_value = [&](double length) { return wavelength ? length : kTwoPi / length; };

  viz::Range yr = viz::data_range(ys.data(), ys.size(), true);
  yr = viz::merge(yr, viz::data_range(ys0.data(), ys0.size(), true));
  const double seq_line = line_value(seq_len);
  yr = viz::merge(yr, viz::Range{seq_line, seq_line});
  if (orig > 0) yr = viz::merge(yr, viz::Range{line_value(orig), line_value(orig)});
  yr = viz::pad_range(yr, true, 0.04);

  const int crit = derived.critical_dimension;
  ImGui::BeginGroup();  // the tooltip covers every line
  text_wrapped(0.0f, "%d pairs, base %.6g%s, scaling %s; critical dimension %d for T = %.0f", pairs, f.base,
               f.effective_base != f.base ? " (effective base shown by the scaled curve)" : "",
               std::string(core::to_string(f.scaling)).c_str(), crit, derived.context_for_analysis);
  ImGui::EndGroup();
  item_tooltip("Critical dimension (Liu et al. 2023): 2 ceil((d/2) log_b(T / 2 pi)), b the effective base (the one "
               "the model rotates with: ntk and dynamic scaling change it), as ropescope analyze. Pairs below d_extra/2 "
               "complete a full turn within the training context T; the rest never do, which is why they fail "
               "when extrapolating.");
  ExactState& exact = state.exact;
  if (exact.pinned_pair && *exact.pinned_pair >= pairs) exact.pinned_pair.reset();  // fewer pairs now
  goto_pair_entry(exact, pairs);
  if (exact.pinned_pair) {
    ImGui::SameLine();
    pinned_pair_readout(exact, derived);
  }

  viz::AxisSpec x{"pair index i", false, -0.5, pairs - 0.5};
  viz::AxisSpec y{wavelength ? "wavelength 2\xCF\x80/\xCE\xB8_i (positions)" : "\xCE\xB8_i (radians per position)",
                  true, yr.min, yr.max};
  viz::PlotOptions options;
  // An empty corner: theta_i falls from the top left (top right free, unless the seq_len line and
  // its label run across the top: short contexts), the wavelength rises to the top right.
  const bool seq_line_high = std::log(seq_line / yr.min) > 0.5 * std::log(yr.max / yr.min);
  options.legend = wavelength       ? viz::LegendCorner::kTopLeft
                   : seq_line_high ? viz::LegendCorner::kBottomLeft
                                   : viz::LegendCorner::kTopRight;
  if (!viz::begin_plot("##frequencies", ImVec2(-1.0f, -1.0f), x, y, options)) return;

  const viz::PlotPalette& pal = viz::palette(viz::current_theme());
  if (f.scaling == core::ScalingType::kYarn && f.yarn_high > f.yarn_low) {
    viz::plot_xband(f.yarn_low, f.yarn_high, with_alpha(pal.series[2], 50), "yarn ramp (blend)");
  } else if (f.scaling == core::ScalingType::kLlama3) {
    // llama3 decides per pair from the unscaled wavelength (ascending in i).
    int first_blend = pairs, first_slowed = pairs;
    for (int i = pairs - 1; i >= 0; --i) {
      const double lambda = kTwoPi / f.inv_freq_unscaled[i];
      if (lambda >= f.llama3_high_freq_wavelen) first_blend = i;
      if (lambda > f.llama3_low_freq_wavelen) first_slowed = i;
    }
    if (first_slowed > first_blend)
      viz::plot_xband(first_blend - 0.5, first_slowed - 0.5, with_alpha(pal.series[2], 50), "llama3 blend band");
    if (first_slowed < pairs)
      viz::plot_xband(first_slowed - 0.5, pairs - 0.5, with_alpha(pal.series[4], 45), "llama3: \xC3\xB7 factor");
  }
  if (scaled) viz::plot_line("unscaled", xs.data(), ys0.data(), pairs, pal.series[1], 0.0f, true);
  viz::plot_line(scaled ? "scaled" : (wavelength ? "wavelength" : "\xCE\xB8_i"), xs.data(), ys.data(), pairs,
                 pal.series[0]);
  char seq_text[96];
  std::snprintf(seq_text, sizeof seq_text, wavelength ? "seq_len %.0f" : "2\xCF\x80/seq_len: 1 turn in %.0f", seq_len);
  const std::string seq_label = seq_text;
  viz::plot_hline(seq_line, pal.series[3], seq_label.c_str());
  if (orig > 0 && orig != seq_len) {
    char orig_text[96];
    std::snprintf(orig_text, sizeof orig_text, wavelength ? "original context %.0f" : "1 turn in original %.0f", orig);
    const std::string orig_label = orig_text;
    viz::plot_hline(line_value(orig), pal.series[5], orig_label.c_str());
  }
  if (crit > 0 && crit < f.rotary_dim) {
    const std::string crit_label = "critical dim " + std::to_string(crit) + " (pair " + std::to_string(crit / 2) + ")";
    viz::plot_vline(crit / 2.0 - 0.5, pal.series[6], crit_label.c_str());
  }
  if (exact.pinned_pair) {
    const int i = *exact.pinned_pair;
    viz::plot_highlight(xs[i], ys[i], pal.series[3]);
  }
  if (viz::plot_hovered()) {
    const int i = viz::plot_nearest(xs.data(), ys.data(), pairs);
    if (i >= 0 && clicked_without_drag(true)) {
      exact.pinned_pair = i;
      exact.goto_pair_error.clear();
    }
    if (i >= 0) {
      viz::plot_highlight(xs[i], ys[i]);
      const double theta = f.inv_freq[i];
      const double lambda = kTwoPi / theta;
      const int d0 = f.layout == core::Layout::kNeox ? i : 2 * i;
      const int d1 = f.layout == core::Layout::kNeox ? i + f.rotary_dim / 2 : 2 * i + 1;
      ImGui::BeginTooltip();
      ImGui::Text("pair %d  (features %d, %d)", i, d0, d1);
      ImGui::Text("\xCE\xB8 = %.6g rad/position%s", theta, scaled ? "" : "");
      if (scaled) ImGui::Text("unscaled \xCE\xB8 = %.6g (ratio %.4g)", f.inv_freq_unscaled[i], f.inv_freq_unscaled[i] / theta);
      ImGui::Text("wavelength = %.6g positions", lambda);
      ImGui::Text("rotations within seq_len %.0f: %.4g", seq_len, seq_len / lambda);
      if (orig > 0) ImGui::Text("rotations within original %.0f: %.4g", orig, orig / lambda);
      dim_text("click: pin this pair (exact values)");
      ImGui::EndTooltip();
    }
  }
  viz::end_plot();
}

}  // namespace rope::app
