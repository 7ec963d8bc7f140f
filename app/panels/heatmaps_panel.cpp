// Heatmaps: absolute (sinusoidal) | rotary | difference on the same content, logits or softmax,
// each a viz::Heatmap (float texture coloured by the GLSL shader) with a colour bar; hover shows
// (m, n, m - n, value); wheel zoom and drag pan are shared by the three maps.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <imgui.h>

#include "panels/panels.h"
#include "panels/widgets.h"
#include "viz/axis.h"
#include "viz/heatmap.h"

namespace rope::app {
namespace {

const HeatMatrix& matrix_of(const HeatmapResult& r, int k) {
  return k == 0 ? r.absolute : k == 1 ? r.rotary : r.difference;
}

int texel_of(const std::vector<int64_t>& edges, int64_t cell) {
  auto it = std::upper_bound(edges.begin(), edges.end(), cell);
  return std::clamp(static_cast<int>(it - edges.begin()) - 1, 0, static_cast<int>(edges.size()) - 2);
}

void upload(Derived& derived, const std::shared_ptr<const HeatmapResult>& result) {
  const HeatmapResult& r = *result;
  for (int k = 0; k < 3; ++k) {
    const HeatMatrix& m = matrix_of(r, k);
    viz::Heatmap& hm = derived.heat_gl.maps[k];
    if (!m.available) continue;
    const bool size_changed = hm.logical_rows() != r.seq_len;
    hm.set_data(m.values.data(), m.rows, m.cols);
    hm.set_logical_size(r.seq_len, r.seq_len);
    hm.set_data_region(0.0, 0.0, static_cast<double>(r.seq_len), static_cast<double>(r.seq_len));
    if (k == 2) {
      const viz::Range sym = viz::symmetric_range(viz::Range{m.min, m.max});
      hm.set_range(sym.min, sym.max);
    }
    if (size_changed) {
      hm.reset_view();
      derived.heat_gl.shared_view = hm.view();
    }
  }
  derived.heat_gl.uploaded = result;
}

}  // namespace

void draw_heatmaps_panel(AppState& state, Derived& derived) {
  const std::shared_ptr<const HeatmapResult> result = derived.heatmaps;
  if (!result) {
    ImGui::TextUnformatted(derived.heatmaps_error.empty() ? "Computing..." : derived.heatmaps_error.c_str());
    return;
  }
  const HeatmapResult& r = *result;
  if (derived.heat_gl.uploaded != result) upload(derived, result);

  ImGui::Text("%s, %s%s, seq_len %lld, content %s", r.key.softmax ? "softmax" : "logits",
              r.key.causal ? "causal" : "no mask", r.key.softmax ? " (rows sum to 1)" : "",
              static_cast<long long>(r.seq_len), std::string(core::to_string(r.key.content)).c_str());
  if (ImGui::SmallButton("reset zoom##heat")) {
    for (viz::Heatmap& hm : derived.heat_gl.maps) hm.reset_view();
    derived.heat_gl.shared_view = viz::view_full(r.seq_len, r.seq_len);
  }
  item_tooltip("Show the whole matrix again (or double-click a map).");
  if (r.key.softmax) {
    ImGui::SameLine();
    ImGui::Checkbox("log colours##heat", &state.softmax_log_colors);
    item_tooltip("Softmax weights span many decades (each row sums to 1): colour them on a log scale.");
  }
  ImGui::SameLine();
  ImGui::TextWrapped("Each texel: %s. Wheel: zoom, drag: pan.", r.summary.c_str());

  const bool show[3] = {state.show_absolute, state.show_rotary, state.show_difference};
  const char* titles[3] = {"absolute (sinusoidal)", "rotary (RoPE)", "difference: rotary - absolute"};
  int count = 0;
  for (bool s : show) count += s ? 1 : 0;
  if (count == 0) {
    ImGui::TextUnformatted("All three maps are hidden (sidebar: Content and attention).");
    return;
  }
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float col_w = (avail.x - spacing * (count - 1)) / count;
  const float bar_w = viz::colorbar_width();
  const float text_h = ImGui::GetTextLineHeightWithSpacing() * 2.0f;
  const float side = std::max(ImGui::GetFontSize() * 4.0f, std::min(col_w - bar_w - spacing, avail.y - text_h));
  const bool with_axes = side >= ImGui::GetFontSize() * 12.0f;
  // Column ticks and title below the image.
  const float axis_h = with_axes ? ImGui::GetTextLineHeightWithSpacing() * 2.0f : 0.0f;

  // Compute at the resolution the maps are shown at (more when zoomed in).
  {
    const viz::HeatmapView& v = derived.heat_gl.shared_view;
    const double span = std::max(v.x1 - v.x0, v.y1 - v.y0);
    const double fraction = r.seq_len > 0 && span > 0.0 ? span / static_cast<double>(r.seq_len) : 1.0;
    derived.heat_texel_budget = texel_budget(side * ImGui::GetIO().DisplayFramebufferScale.x, fraction);
  }

  // Keep the three views in step.
  for (viz::Heatmap& hm : derived.heat_gl.maps)
    if (hm.logical_rows() == r.seq_len && !(hm.view() == derived.heat_gl.shared_view))
      hm.set_view(derived.heat_gl.shared_view);

  bool first = true;
  for (int k = 0; k < 3; ++k) {
    if (!show[k]) continue;
    if (!first) ImGui::SameLine();
    first = false;
    ImGui::BeginGroup();
    const HeatMatrix& m = matrix_of(r, k);
    ImGui::TextUnformatted(titles[k]);
    if (!m.available) {
      ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + col_w);
      ImGui::TextWrapped("%s", m.note.c_str());
      ImGui::PopTextWrapPos();
      ImGui::Dummy(ImVec2(col_w, side));
      ImGui::EndGroup();
      continue;
    }
    viz::Heatmap& hm = derived.heat_gl.maps[k];
    const viz::Colormap cmap = k == 2 ? state.diverging_colormap : state.colormap;
    hm.set_colormap(cmap);
    // Values: linear over [min, max], or log over [smallest positive, max] for softmax weights
    // (changing it recolours only; no recompute).
    const bool log_colors = k < 2 && r.key.softmax && state.softmax_log_colors && m.min_positive > 0.0f;
    if (k < 2) {
      hm.set_scale(log_colors ? viz::ColorScale::kLog : viz::ColorScale::kLinear);
      hm.set_range(log_colors ? m.min_positive : m.min, m.max);
    }
    dim_text("range [%s, %s]", viz::format_compact(hm.vmin(), 4).c_str(), viz::format_compact(hm.vmax(), 4).c_str());
    const std::string id = std::string("##heat") + std::to_string(k);
    // Position axes when there is room for them; small maps (the 2x2 grid) keep every pixel for
    // the image and rely on the hover read-out.
    const viz::HeatmapHover hover =
        with_axes ? hm.draw_with_axes(id.c_str(), ImVec2(side, side)) : hm.draw(id.c_str(), ImVec2(side, side));
    if (hover.view_changed) derived.heat_gl.shared_view = hm.view();
    if (hover.hovered) {
      const int ti = texel_of(r.edges, hover.row), tj = texel_of(r.edges, hover.col);
      const float value = m.values[static_cast<size_t>(ti) * m.cols + tj];
      ImGui::BeginTooltip();
      ImGui::Text("m = %lld, n = %lld, m - n = %lld", static_cast<long long>(hover.row),
                  static_cast<long long>(hover.col), static_cast<long long>(hover.row - hover.col));
      if (std::isnan(value)) ImGui::TextUnformatted("masked (n > m)");
      else ImGui::Text("value = %.6g", value);
      if (r.texels != r.seq_len)
        ImGui::Text("mean over m in [%lld, %lld), n in [%lld, %lld)", static_cast<long long>(r.edges[ti]),
                    static_cast<long long>(r.edges[ti + 1]), static_cast<long long>(r.edges[tj]),
                    static_cast<long long>(r.edges[tj + 1]));
      ImGui::EndTooltip();
    }
    ImGui::SameLine(0.0f, spacing * 0.5f);
    const std::string bar_id = std::string("##bar") + std::to_string(k);
    viz::colorbar(bar_id.c_str(), cmap, hm.vmin(), hm.vmax(), ImVec2(bar_w, side - axis_h),
                  log_colors ? viz::ColorScale::kLog : viz::ColorScale::kLinear);
    ImGui::EndGroup();
  }
  ImGui::PushTextWrapPos(0.0f);
  dim_text("rows: query position m; columns: key position n; grey: masked (n > m).");
  if (r.texels != r.seq_len)
    dim_text("%d x %d texels (more when zoomed in, up to 1024); every texel is an exact block mean, never a sample.",
             r.texels, r.texels);
  ImGui::PopTextWrapPos();
}

}  // namespace rope::app
