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

// Hands a finished snapshot to the three widgets: each texture stands for its block-aligned
// region of the logical seq_len x seq_len matrix (the last texel row / column may cover fewer
// cells; the region is the grid's, so every texel sits on its own cells). Until the next
// snapshot arrives, this one stays on screen, stretched to its region as the view moves.
void upload(Derived& derived, const std::shared_ptr<const HeatmapResult>& result) {
  const HeatmapResult& r = *result;
  const HeatmapResult* shown = derived.heat_gl.uploaded.get();
  for (int k = 0; k < 3; ++k) {
    const HeatMatrix& m = r.map(k);
    viz::Heatmap& hm = derived.heat_gl.maps[k];
    if (!m.available) continue;
    if (shown && r.same_map(*shown, k)) continue;  // its texture already holds these values
    ++derived.heat_gl.uploads[static_cast<size_t>(k)];
    const bool size_changed = hm.logical_rows() != r.seq_len;
    hm.set_logical_size(r.seq_len, r.seq_len);
    hm.set_data_region(static_cast<double>(r.n0), static_cast<double>(r.m0),
                       static_cast<double>(r.n0 + static_cast<int64_t>(m.cols) * r.cols_per_texel),
                       static_cast<double>(r.m0 + static_cast<int64_t>(m.rows) * r.rows_per_texel));
    hm.set_data(m.values.data(), m.rows, m.cols);
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

// The image part of a map of side x side pixels: all of it without axes; with axes, the square
// draw_with_axes leaves for the image (the matrix is square: the diagonal stays at 45 degrees and
// a texel covers as many rows as columns).
// Maps get position axes when they are large enough for them; small maps (the 2x2 grid) keep every
// pixel for the image and rely on the hover read-out.
bool maps_have_axes(float side) { return side >= ImGui::GetFontSize() * 12.0f; }

ImVec2 map_image(float side, bool with_axes, int64_t seq_len) {
  return with_axes ? viz::Heatmap::image_size_with_axes(ImVec2(side, side), seq_len, true) : ImVec2(side, side);
}

// Where the maps go: `count` maps of side x side pixels (with axes when there is room), each
// with its colour bar, in the space left below the header.
struct MapsLayout {
  float bar_w = 0.0f, side = 0.0f;
  bool with_axes = false;
  int per_row = 1;  // maps side by side; the rest go on a second row
};

MapsLayout layout_maps(int count) {
  MapsLayout l;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  l.bar_w = viz::colorbar_width();
  const float line_h = ImGui::GetTextLineHeightWithSpacing();
  const float text_h = line_h * 2.0f;    // title and range above each map
  const float footer_h = line_h * 3.0f;  // the notes under the maps
  const float min_side = ImGui::GetFontSize() * 4.0f;
  // Side of a map with `per_row` maps per row and `rows` rows.
  const auto side_for = [&](int per_row, int rows) {
    const float col_w = (avail.x - spacing * static_cast<float>(per_row - 1)) / static_cast<float>(per_row);
    const float row_h = (avail.y - footer_h) / static_cast<float>(rows) - ImGui::GetStyle().ItemSpacing.y;
    return std::min(col_w - l.bar_w - spacing, row_h - text_h);
  };
  count = std::max(count, 1);
  l.per_row = count;
  float side = side_for(count, 1);
  if (count > 1) {
    // A narrow, tall panel shows the maps larger on two rows.
    const int per_row = (count + 1) / 2;
    const float two_rows = side_for(per_row, 2);
    if (two_rows > side * 1.15f) {
      side = two_rows;
      l.per_row = per_row;
    }
  }
  l.side = std::max(min_side, side);
  l.with_axes = maps_have_axes(l.side);
  return l;
}

// Asks for the visible cells at the resolution the maps are shown at (sync_derived sends the
// request when it differs from the last one). A view of another seq_len stands for the whole
// matrix of the new one.
void request_visible(Derived& derived, const MapsLayout& l) {
  const int64_t n = heatmap_tokens(derived.valid_params.config);
  const viz::HeatmapView v = derived.heat_gl.maps[0].logical_rows() == n ? derived.heat_gl.shared_view
                                                                           : viz::view_full(n, n);
  const ImVec2 image = map_image(l.side, l.with_axes, n);
  const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
  // One texel less than the pixels: the block-aligned image then never has more texels than
  // pixels, so it is never minified (no mipmap pass per update).
  const int w_px = std::max(1, static_cast<int>(image.x * scale.x) - 1);
  const int h_px = std::max(1, static_cast<int>(image.y * scale.y) - 1);
  derived.heat_window = visible_window(v.x0, v.x1, v.y0, v.y1, n, w_px, h_px);
}

// Text that changes while the view is open (what is shown, the summary of a partial result),
// `width` x `text_h` pixels, in a panel part of its own.
template <class Draw>
void text_part(const char* id, float width, float text_h, Draw&& draw) {
  panel_part(id, ImVec2(width, text_h), draw, ImGui::GetStyle().ItemSpacing.y);
}

// "coarse preview, picture from 0.4 s ago": how old the shown picture's parameters are (tenths of
// a second, so the text changes ten times a second at most).
std::string picture_age(const Derived& derived) {
  const double age = std::chrono::duration<double>(std::chrono::steady_clock::now() - derived.heat_picture_time).count();
  char text[96];
  std::snprintf(text, sizeof text, "%spicture from %.1f s ago",
                derived.heatmaps && derived.heatmaps->coarse ? "coarse preview, " : "", std::floor(age * 10.0) / 10.0);
  return text;
}

int shown_count(const AppState& state) {
  return (state.show_absolute ? 1 : 0) + (state.show_rotary ? 1 : 0) + (state.show_difference ? 1 : 0);
}

}  // namespace

float heatmaps_view_height(const AppState& state, float width) {
  const int count = std::max(1, shown_count(state));
  const float font = ImGui::GetFontSize();
  const ImGuiStyle& style = ImGui::GetStyle();
  const float line_h = ImGui::GetTextLineHeightWithSpacing();
  // draw_view's padding is 0.4 / 0.3 font sizes; layout_maps gives each map its colour bar.
  const float col_w = (width - 0.8f * font - style.ItemSpacing.x * static_cast<float>(count - 1)) / static_cast<float>(count);
  const float side = std::max(4.0f * font, col_w - viz::colorbar_width() - style.ItemSpacing.x);
  // Title strip, summary and "reset zoom" lines (one may wrap); title and range above the maps;
  // the notes below.
  return side + line_h * 9.0f + style.ItemSpacing.y + 0.6f * font;
}

void draw_heatmaps_panel(AppState& state, Derived& derived) {
  const std::shared_ptr<const HeatmapResult> result = derived.heatmaps;
  if (!result && !derived.heatmaps_error.empty()) {
    ImGui::TextUnformatted(derived.heatmaps_error.c_str());
    return;
  }
  if (result && derived.heat_gl.uploaded != result) upload(derived, result);
  // Until the first result arrives the panel is laid out as it will be then (the maps' places
  // empty), so that its arrival changes only the parts, not the panel around them.
  const HeatmapResult* r = result.get();
  const ComputeParams& params = derived.valid_params;
  const int64_t seq_len = r ? r->seq_len : heatmap_tokens(params.config);
  const float line_h = ImGui::GetTextLineHeight();
  const ImVec4 amber(0.95f, 0.75f, 0.20f, 1.0f);

  // What is shown: the key of the shown picture, and the context the sidebar says (the key holds
  // the capped length where the picture is the same). How far the computation is, the view's
  // title strip says.
  text_part("##heat_what", ImGui::GetContentRegionAvail().x, line_h, [&] {
    const bool softmax = r ? r->key.softmax : params.softmax;
    const bool causal = r ? r->key.causal : params.causal;
    const core::ContentKind content = r ? r->key.content : params.content;
    const int64_t context = params.config.seq_len;
    ImGui::Text("%s, %s%s, seq_len %lld, content %s", softmax ? "softmax" : "logits", causal ? "causal" : "no mask",
                softmax ? " (rows sum to 1)" : "", static_cast<long long>(context),
                std::string(core::to_string(content)).c_str());
    if (context > seq_len) {
      ImGui::SameLine();
      ImGui::TextColored(amber, "(shown: positions 0..%lld)", static_cast<long long>(seq_len - 1));
      const std::string tip = "The heatmaps stop at " + std::to_string(kMaxHeatmapTokens) +
                              " positions; the frequency, rotation and decay views use the whole context. Frequencies "
                              "(dynamic and longrope scaling) are those of the whole context.";
      item_tooltip(tip.c_str());
    }
    if (r && derived.heatmaps_busy) {
      ImGui::SameLine();
      ImGui::TextColored(amber, "%s", picture_age(derived).c_str());
      item_tooltip("The picture is older than the parameters: it shows them as they were then, until the newer "
                   "one arrives (the title strip says how far it is).");
    }
  });
  if (ImGui::SmallButton("reset zoom##heat")) {
    for (viz::Heatmap& hm : derived.heat_gl.maps) hm.reset_view();
    derived.heat_gl.shared_view = viz::view_full(seq_len, seq_len);
  }
  item_tooltip("Show the whole matrix again (or double-click a map).");
  if (params.softmax) {
    ImGui::SameLine();
    ImGui::Checkbox("log colours##heat", &state.softmax_log_colors);
    item_tooltip("Softmax weights span many decades (each row sums to 1): colour them on a log scale.");
  }
  ImGui::SameLine();
  {
    // The summary of a partial result or a coarse preview differs from the final one's: the part
    // keeps room for the longest there is, so that a new summary never moves the maps (nor
    // changes the window they ask for, which would start their computation again).
    const std::string summary = r ? "Each texel: " + r->summary + ". Wheel: zoom, drag: pan." : std::string();
    const bool softmax = r ? r->key.softmax : params.softmax;
    const char* longest[2] = {
        softmax ? "Each texel: absolute: exact block mean (every cell computed); rotary: exact block mean "
                  "(from f(m-n)); 99999 x 99999 cells per texel. Wheel: zoom, drag: pan."
                : "Each texel: exact block mean (block sums of encoded q, k), 99999 x 99999 cells per texel. Wheel: "
                  "zoom, drag: pan.",
        "Each texel: coarse preview (128 x 128 texels): exact block means of 99999 x 99999 cells. Wheel: zoom, drag: "
        "pan."};
    const float wrap_w = std::max(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize());
    const float text_h = std::max({line_h, ImGui::CalcTextSize(summary.c_str(), nullptr, false, wrap_w).y,
                                   ImGui::CalcTextSize(longest[0], nullptr, false, wrap_w).y,
                                   ImGui::CalcTextSize(longest[1], nullptr, false, wrap_w).y});
    text_part("##heat_summary", wrap_w, text_h, [&] { ImGui::TextWrapped("%s", summary.c_str()); });
  }

  const bool show[3] = {state.show_absolute, state.show_rotary, state.show_difference};
  const char* titles[3] = {"absolute (sinusoidal)", "rotary (RoPE)", "difference: rotary - absolute"};
  const int count = shown_count(state);
  if (count == 0) {
    ImGui::TextUnformatted("All three maps are hidden (sidebar: Content and attention).");
    return;
  }
  const MapsLayout layout = layout_maps(count);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float bar_w = layout.bar_w, side = layout.side;
  const bool with_axes = layout.with_axes;
  // A map's part: title and range lines, then the map and its colour bar (as tall as the image).
  const ImVec2 map_item = with_axes ? viz::Heatmap::item_size_with_axes(ImVec2(side, side), seq_len, true)
                                    : ImVec2(side, side);
  const ImVec2 part_size(map_item.x + spacing * 0.5f + bar_w, 2.0f * ImGui::GetTextLineHeightWithSpacing() + map_item.y);
  if (derived.has_valid) request_visible(derived, layout);

  // Keep the three views in step.
  for (viz::Heatmap& hm : derived.heat_gl.maps)
    if (hm.logical_rows() == seq_len && !(hm.view() == derived.heat_gl.shared_view))
      hm.set_view(derived.heat_gl.shared_view);

  int shown = 0;
  for (int k = 0; k < 3; ++k) {
    if (!show[k]) continue;
    if (shown++ % layout.per_row != 0) ImGui::SameLine();
    // The last part of a row reaches to the panel's edge: a title or range wider than the map
    // is not cut short there.
    const bool last_in_row = shown % layout.per_row == 0 || shown == count;
    const ImVec2 size(last_in_row ? std::max(part_size.x, ImGui::GetContentRegionAvail().x) : part_size.x, part_size.y);
    const std::string part_id = std::string("##heat_part") + std::to_string(k);
    ImGui::BeginChild(part_id.c_str(), size, false, kPanelPartFlags);
    ImGui::TextUnformatted(titles[k]);
    viz::Heatmap& hm = derived.heat_gl.maps[k];
    if (!r || (!r->map(k).available && hm.logical_rows() != r->seq_len)) {
      // Still computing (nothing yet, or only the rotary map) and no earlier picture of this size.
      dim_text("computing %.0f%%", 100.0 * derived.heatmaps_progress);
      ImGui::Dummy(ImVec2(side + spacing * 0.5f + bar_w, side));
      ImGui::EndChild();
      continue;
    }
    const HeatMatrix& m = r->map(k);
    const viz::Colormap cmap = k == 2 ? state.diverging_colormap : state.colormap;
    hm.set_colormap(cmap);
    hm.set_transient(derived.heatmaps_pending);  // shown stretched until the newer cells arrive
    // Values: linear over [min, max], or log over [smallest positive, max] for softmax weights
    // (changing it recolours only; no recompute). A map still computing keeps its last picture.
    const bool log_colors = m.available ? k < 2 && r->key.softmax && state.softmax_log_colors && m.min_positive > 0.0f
                                        : hm.scale() == viz::ColorScale::kLog;
    if (k < 2 && m.available) {
      hm.set_scale(log_colors ? viz::ColorScale::kLog : viz::ColorScale::kLinear);
      hm.set_range(log_colors ? m.min_positive : m.min, m.max);
    }
    if (m.available)
      dim_text("range [%s, %s]", viz::format_compact(hm.vmin(), 4).c_str(), viz::format_compact(hm.vmax(), 4).c_str());
    else
      dim_text("computing %.0f%% (previous picture)", 100.0 * derived.heatmaps_progress);
    const std::string id = std::string("##heat") + std::to_string(k);
    const viz::HeatmapHover hover =
        with_axes ? hm.draw_with_axes(id.c_str(), ImVec2(side, side), "n (key position)", "m (query position)", true)
                  : hm.draw(id.c_str(), ImVec2(side, side));
    const float image_h = map_image(side, with_axes, r->seq_len).y;
    if (hover.view_changed) derived.heat_gl.shared_view = hm.view();
    if (hover.hovered) {
      const auto texel = r->texel_of(hover.row, hover.col);
      ImGui::BeginTooltip();
      ImGui::Text("m = %lld, n = %lld, m - n = %lld", static_cast<long long>(hover.row),
                  static_cast<long long>(hover.col), static_cast<long long>(hover.row - hover.col));
      if (!texel || texel->first >= m.rows || texel->second >= m.cols) {
        ImGui::TextUnformatted("not computed yet");
      } else {
        const auto [ti, tj] = *texel;
        const float value = m.values[static_cast<size_t>(ti) * m.cols + tj];
        if (std::isnan(value)) ImGui::TextUnformatted("masked (n > m)");
        else ImGui::Text("value = %.6g", value);
        if (!r->exact_cells()) {
          const int64_t a = r->m0 + ti * r->rows_per_texel, c = r->n0 + tj * r->cols_per_texel;
          ImGui::Text("mean over m in [%lld, %lld), n in [%lld, %lld)", static_cast<long long>(a),
                      static_cast<long long>(std::min(r->m1, a + r->rows_per_texel)), static_cast<long long>(c),
                      static_cast<long long>(std::min(r->n1, c + r->cols_per_texel)));
        }
      }
      ImGui::EndTooltip();
    }
    ImGui::SameLine(0.0f, spacing * 0.5f);
    const std::string bar_id = std::string("##bar") + std::to_string(k);
    viz::colorbar(bar_id.c_str(), cmap, hm.vmin(), hm.vmax(), ImVec2(bar_w, image_h),
                  log_colors ? viz::ColorScale::kLog : viz::ColorScale::kLinear);
    ImGui::EndChild();
  }
  dim_text_wrapped(0.0f, "rows: query position m; columns: key position n; grey: masked (n > m).");
  // What the texels cover (the window changes with zoom and pan).
  std::string covered;
  if (r) {
    char text[400];
    std::snprintf(text, sizeof text,
                  "%d x %d texels over m in [%lld, %lld), n in [%lld, %lld): only the visible cells are computed, %s; "
                  "%s",
                  r->rotary.cols, r->rotary.rows, static_cast<long long>(r->m0), static_cast<long long>(r->m1),
                  static_cast<long long>(r->n0), static_cast<long long>(r->n1),
                  r->coarse ? "a coarse preview (the screen resolution follows)" : "at screen resolution",
                  r->exact_cells() ? "every texel is one cell." : "every texel is an exact block mean, never a sample.");
    covered = text;
  }
  const float wrap_w = std::max(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize());
  const float covered_h = text_wrapped_height(covered, wrap_w);
  text_part("##heat_covered", wrap_w, covered_h, [&] { dim_text_wrapped(0.0f, "%s", covered.c_str()); });
}

}  // namespace rope::app
