// Pair rotation: the 2-D plane of a fast, a middle and a slow pair, with the query's pair
// rotating as the position advances (play/pause, speed) and its trace over positions 0..P.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include <imgui.h>

#include "panels/panels.h"
#include "panels/widgets.h"
#include "viz/plot.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr int kCircleSegments = 128;

ImU32 with_alpha_trace(ImU32 color) { return (color & 0x00FFFFFFu) | (0x90u << 24); }

}  // namespace

std::array<int, 3> rotation_pairs(const RotationState& rotation, int num_pairs) {
  const int last = std::max(0, num_pairs - 1);
  if (rotation.auto_pairs) return {0, last / 2, last};
  std::array<int, 3> p = rotation.pairs;
  for (int& i : p) i = std::clamp(i, 0, last);
  return p;
}

void draw_rotation_panel(AppState& state, const Derived& derived) {
  RotationState& r = state.rotation;
  const double period = std::max(1, r.trace_length);
  if (r.playing) {
    r.position += static_cast<double>(r.speed) * ImGui::GetIO().DeltaTime;
    if (r.position > period) r.position = std::fmod(r.position, period);
  }
  r.position = std::clamp(r.position, 0.0, period);

  if (ImGui::Button(r.playing ? "Pause##rot" : "Play##rot")) r.playing = !r.playing;
  item_tooltip("Animate the query position from 0 to P (speed and P in the sidebar).");
  ImGui::SameLine();
  if (ImGui::Button("|<##rotreset")) r.position = 0.0;
  item_tooltip("Back to position 0.");
  ImGui::SameLine();
  // The slider moves with the animation: a panel part of its own (so are the three plots below),
  // the buttons and the rest of the panel stay as they are.
  const float slider_w = std::max(ImGui::GetFontSize() * 6.0f, ImGui::GetContentRegionAvail().x * 0.45f);
  const char* slider_label = "position";
  const float label_w = ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(slider_label).x;
  panel_part("##rot_position", ImVec2(slider_w + label_w, ImGui::GetFrameHeight()), [&] {
    ImGui::SetNextItemWidth(slider_w);
    double pos = r.position;
    const double pmin = 0.0;
    if (ImGui::SliderScalar("position##rotpos", ImGuiDataType_Double, &pos, &pmin, &period, "%.2f")) {
      r.position = pos;
      r.playing = false;
    }
    item_tooltip("The query's position p: every pair i is rotated by the angle p x theta_i.");
  });
  ImGui::SameLine();
  // The pace where it fits (the short form, or nothing: the sidebar has both values).
  char pace[64];
  std::snprintf(pace, sizeof pace, "P = %d, %.3g positions/s", r.trace_length, r.speed);
  if (ImGui::CalcTextSize(pace).x > ImGui::GetContentRegionAvail().x)
    std::snprintf(pace, sizeof pace, "P = %d", r.trace_length);
  if (ImGui::CalcTextSize(pace).x <= ImGui::GetContentRegionAvail().x)
    dim_text("%s", pace);
  else
    ImGui::NewLine();

  if (!derived.has_valid || derived.freqs.inv_freq.empty() || derived.query0.empty()) {
    ImGui::TextUnformatted("Nothing rotates (rotary_dim is 0).");
    return;
  }
  const core::RopeFrequencies& f = derived.freqs;
  const int num_pairs = static_cast<int>(f.inv_freq.size());
  const std::array<int, 3> pairs = rotation_pairs(r, num_pairs);
  const char* names[3] = {"fast", "middle", "slow"};
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float width = std::max(ImGui::GetFontSize() * 6.0f, (avail.x - 2.0f * spacing) / 3.0f);
  const viz::PlotPalette& pal = viz::palette(viz::current_theme());
  const double a = f.attention_factor;

  for (int k = 0; k < 3; ++k) {
    const int i = pairs[k];
    const double theta = f.inv_freq[i];
    const int d0 = f.layout == core::Layout::kNeox ? i : 2 * i;
    const int d1 = f.layout == core::Layout::kNeox ? i + f.rotary_dim / 2 : 2 * i + 1;
    const double x0 = a * derived.query0[d0], y0 = a * derived.query0[d1];
    double radius = std::hypot(x0, y0);
    if (!(radius > 0.0)) radius = 1.0;
    auto rotated = [&](double p, double& x, double& y) {
      const double angle = std::fmod(p * theta, kTwoPi);
      x = x0 * std::cos(angle) - y0 * std::sin(angle);
      y = x0 * std::sin(angle) + y0 * std::cos(angle);
    };
    if (k > 0) ImGui::SameLine();
    const double angle = r.position * theta;
    // Narrow plots leave the axis titles out (they would take most of the plot); a line names
    // the two features instead.
    const bool titled = width >= ImGui::GetFontSize() * 10.0f;
    char lines[4][96];
    if (r.auto_pairs)
      std::snprintf(lines[0], sizeof lines[0], "%s: pair %d", names[k], i);
    else
      std::snprintf(lines[0], sizeof lines[0], "pair %d", i);
    std::snprintf(lines[1], sizeof lines[1], "\xCE\xB8 = %.3g rad/pos", theta);
    std::snprintf(lines[2], sizeof lines[2], "%.3g rad = %.3g turns", angle, angle / kTwoPi);
    std::snprintf(lines[3], sizeof lines[3], "features %d (x), %d (y)", d0, d1);
    const int line_count = titled ? 3 : 4;
    // A short view keeps the plot at least 5 font sizes tall by dropping lines from the last
    // (the plot's tooltip has them all); the part never runs past the view's bottom.
    const float font = ImGui::GetFontSize();
    const float avail_h = ImGui::GetContentRegionAvail().y;
    const auto text_height = [&](int count) {
      float h = 0.0f;
      for (int l = 0; l < count; ++l) h += text_wrapped_height(lines[l], width) + ImGui::GetStyle().ItemSpacing.y;
      return h;
    };
    int shown_lines = line_count;
    while (shown_lines > 1 && avail_h - text_height(shown_lines) < font * 5.0f) --shown_lines;
    const float text_h = text_height(shown_lines);
    // About square (the axes take about as much height as width): a taller box would only
    // stretch the y range of the equal-aspect plot.
    const float plot_h = std::max(1.0f, std::min(width, avail_h - text_h));
    const std::string part_id = "##rot_part" + std::to_string(k);
    panel_part(part_id.c_str(), ImVec2(width, text_h + plot_h), [&] {
      for (int l = 0; l < shown_lines; ++l) {
        if (l == 3) dim_text_wrapped(width, "%s", lines[l]);
        else text_wrapped(width, "%s", lines[l]);
      }
      const double lim = radius * 1.25;
      viz::AxisSpec ax{titled ? "x (feature " + std::to_string(d0) + ")" : std::string(), false, -lim, lim};
      viz::AxisSpec ay{titled ? "y (feature " + std::to_string(d1) + ")" : std::string(), false, -lim, lim};
      viz::PlotOptions options;
      options.equal_aspect = true;
      options.legend = viz::LegendCorner::kNone;
      options.crosshair = false;
      const std::string id = "##rotplot" + std::to_string(k);
      if (viz::begin_plot(id.c_str(), ImVec2(width, plot_h), ax, ay, options)) {
        std::vector<double> cx(kCircleSegments + 1), cy(kCircleSegments + 1);
        for (int s = 0; s <= kCircleSegments; ++s) {
          cx[s] = radius * std::cos(kTwoPi * s / kCircleSegments);
          cy[s] = radius * std::sin(kTwoPi * s / kCircleSegments);
        }
        viz::plot_line("##circle", cx.data(), cy.data(), kCircleSegments + 1, pal.grid, 1.0f, true);
        // Trace: integer positions 0..floor(position).
        const int last = static_cast<int>(std::floor(r.position));
        std::vector<double> tx(last + 1), ty(last + 1);
        for (int p = 0; p <= last; ++p) rotated(p, tx[p], ty[p]);
        viz::plot_line("##trace", tx.data(), ty.data(), last + 1, with_alpha_trace(pal.series[k]), 1.5f);
        viz::plot_scatter("##dots", tx.data(), ty.data(), last + 1, pal.series[k], 2.5f);
        double ex, ey;
        rotated(r.position, ex, ey);
        viz::plot_arrow(0.0, 0.0, x0, y0, pal.grid, 1.5f);
        viz::plot_arrow(0.0, 0.0, ex, ey, pal.series[k], 3.0f);
        const std::string label = "p = " + std::to_string(static_cast<int>(std::floor(r.position)));
        viz::plot_annotation(ex, ey, label.c_str());
        viz::end_plot();
        if (shown_lines < line_count) {
          std::string all;
          for (int l = 0; l < 4; ++l) all += std::string(l ? "\n" : "") + lines[l];
          item_tooltip(all.c_str());
        }
      }
    });
  }
}

}  // namespace rope::app
