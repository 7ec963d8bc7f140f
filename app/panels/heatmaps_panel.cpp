// Heatmaps: absolute (sinusoidal) | rotary | difference on the same content, logits or softmax,
// each a viz::Heatmap (float texture coloured by the GLSL shader) with a colour bar; hover shows
// (m, n, m - n, value); wheel zoom and drag pan are shared by the three maps. A click pins a cell
// (its values stay on the panel, copyable); a typed cell or window moves the view there.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <imgui.h>

#include "panels/panels.h"
#include "panels/pins.h"
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

// What map k shows at cell (m, n): the value of the texel holding it (float32, as computed) and
// the cells that texel averages; nullopt where the shown result has not computed that cell.
struct CellValue {
  float value = 0.0f;  // NaN: masked
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;  // the texel's cells [m0, m1) x [n0, n1)
};
std::optional<CellValue> cell_value(const HeatmapResult& r, int k, int64_t m, int64_t n) {
  const HeatMatrix& map = r.map(k);
  const auto texel = r.texel_of(m, n);
  if (!map.available || !texel || texel->first >= map.rows || texel->second >= map.cols) return std::nullopt;
  const auto [ti, tj] = *texel;
  CellValue v;
  v.value = map.values[static_cast<size_t>(ti) * map.cols + tj];
  v.m0 = r.m0 + ti * r.rows_per_texel;
  v.m1 = std::min(r.m1, v.m0 + r.rows_per_texel);
  v.n0 = r.n0 + tj * r.cols_per_texel;
  v.n1 = std::min(r.n1, v.n0 + r.cols_per_texel);
  return v;
}

// Cells shown around a cell gone to: 32 x 32 (about 10 pixels a cell on a 320-pixel map).
constexpr double kGotoSpan = 32.0;

// "go to cell (m, n)" and "window [m0, m1) x [n0, n1)" (in the "go to" popup): typed, validated
// against the shown seq_len x seq_len matrix; a bad entry is reported at its field and changes
// nothing; a good one closes the popup.
void goto_controls(ExactState& exact, Derived& derived, int64_t seq_len) {
  const std::string last = std::to_string(seq_len - 1);
  const std::string cell_tip = "Type m, n (0.." + last + ") and press Enter: the maps zoom to the 32 x 32 cells around "
                               "it and pin it.";
  if (typed_entry("go to cell", "##goto_cell", "m, n", 6.0f, &exact.goto_cell_input, exact.goto_cell_error,
                  cell_tip.c_str())) {
    const auto v = parse_integers(exact.goto_cell_input, 2);
    if (!v) {
      exact.goto_cell_error = "type two integers: m, n";
    } else if ((*v)[0] < 0 || (*v)[0] >= seq_len || (*v)[1] < 0 || (*v)[1] >= seq_len) {
      exact.goto_cell_error = "out of range: m and n are 0.." + last;
    } else {
      exact.goto_cell_error.clear();
      const auto m = static_cast<double>((*v)[0]), n = static_cast<double>((*v)[1]);
      const double half = 0.5 * kGotoSpan;
      derived.heat_gl.shared_view =
          viz::view_clamp(viz::HeatmapView{n + 0.5 - half, n + 0.5 + half, m + 0.5 - half, m + 0.5 + half}, seq_len, seq_len);
      exact.pinned_cell = std::pair<int64_t, int64_t>{(*v)[0], (*v)[1]};
      ImGui::CloseCurrentPopup();
    }
  }
  const std::string all = std::to_string(seq_len);
  const std::string window_tip = "Type m0, m1, n0, n1 and press Enter: rows [m0, m1), columns [n0, n1), each within 0.." +
                                 all + " and at least 2 cells wide.";
  if (typed_entry("window [m0, m1) x [n0, n1)", "##heat_window", "m0 m1 n0 n1", 9.0f, &exact.window_input,
                  exact.window_error, window_tip.c_str())) {
    const auto v = parse_integers(exact.window_input, 4);
    const auto bad_range = [&](int64_t a, int64_t b) { return a < 0 || b > seq_len || b - a < 2; };
    if (!v) {
      exact.window_error = "type four integers: m0 m1 n0 n1";
    } else if (bad_range((*v)[0], (*v)[1]) || bad_range((*v)[2], (*v)[3])) {
      exact.window_error = "need 0 <= m0, m0 + 2 <= m1 <= " + all + " (and the same for n)";
    } else {
      exact.window_error.clear();
      derived.heat_gl.shared_view = viz::HeatmapView{static_cast<double>((*v)[2]), static_cast<double>((*v)[3]),
                                                     static_cast<double>((*v)[0]), static_cast<double>((*v)[1])};
      ImGui::CloseCurrentPopup();
    }
  }
}

// The pinned cell's values in every shown map, on one line.
void pinned_cell_readout(ExactState& exact, const HeatmapResult* r, const bool show[3]) {
  const auto [m, n] = *exact.pinned_cell;
  const char* names[3] = {"absolute", "rotary", "difference"};
  char head[160];
  std::snprintf(head, sizeof head, "m = %lld, n = %lld, m - n = %lld", static_cast<long long>(m),
                static_cast<long long>(n), static_cast<long long>(m - n));
  std::string text = head, copy = "m\tn\tm-n", values = std::to_string(m) + "\t" + std::to_string(n) + "\t" +
                                                      std::to_string(m - n);
  std::optional<CellValue> block;
  const char* join = ": ";
  for (int k = 0; k < 3; ++k) {
    if (!show[k]) continue;
    const std::optional<CellValue> v = r ? cell_value(*r, k, m, n) : std::nullopt;
    char value[64];
    if (!v) std::snprintf(value, sizeof value, "not computed");
    else if (std::isnan(v->value)) std::snprintf(value, sizeof value, "masked");
    else std::snprintf(value, sizeof value, "%.9g", static_cast<double>(v->value));
    text += std::string(join) + names[k] + " " + value;
    join = ", ";
    copy += std::string("\t") + names[k];
    values += std::string("\t") + value;
    if (v) block = v;
  }
  if (block && (block->m1 - block->m0 > 1 || block->n1 - block->n0 > 1)) {
    char cells[200];
    std::snprintf(cells, sizeof cells, " (a texel: mean over m in [%lld, %lld), n in [%lld, %lld))",
                  static_cast<long long>(block->m0), static_cast<long long>(block->m1), static_cast<long long>(block->n0),
                  static_cast<long long>(block->n1));
    text += cells;
  } else if (block) {
    text += " (float32, as computed)";
  }
  if (pin_readout("##cell_pin", text, copy + "\n" + values + "\n")) exact.pinned_cell.reset();
}

// A ring around the pinned cell where the map shows it (at least a few pixels wide).
void draw_pin_marker(const viz::HeatmapHover& hover, const viz::HeatmapView& view, std::pair<int64_t, int64_t> cell) {
  const auto [m, n] = cell;
  const ImVec2 a = viz::view_point_to_pixel(view, hover.image_min, hover.image_max,
                                            viz::CellPoint{static_cast<double>(n), static_cast<double>(m)});
  const ImVec2 b = viz::view_point_to_pixel(view, hover.image_min, hover.image_max,
                                            viz::CellPoint{static_cast<double>(n + 1), static_cast<double>(m + 1)});
  const float min_half = ImGui::GetFontSize() * 0.3f;
  const ImVec2 c(0.5f * (a.x + b.x), 0.5f * (a.y + b.y));
  const float hx = std::max(min_half, 0.5f * (b.x - a.x)), hy = std::max(min_half, 0.5f * (b.y - a.y));
  if (c.x < hover.image_min.x || c.x > hover.image_max.x || c.y < hover.image_min.y || c.y > hover.image_max.y) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->PushClipRect(hover.image_min, hover.image_max, true);
  dl->AddRect(ImVec2(c.x - hx - 1.0f, c.y - hy - 1.0f), ImVec2(c.x + hx + 1.0f, c.y + hy + 1.0f), IM_COL32(0, 0, 0, 255), 0.0f, 0, 3.0f);
  dl->AddRect(ImVec2(c.x - hx, c.y - hy), ImVec2(c.x + hx, c.y + hy), IM_COL32(255, 255, 255, 255), 0.0f, 0, 1.5f);
  dl->PopClipRect();
}

}  // namespace

namespace {

// Maps side by side on each of `rows` rows (layout_maps: all on one, or half on each of two).
int maps_per_row(const AppState& state, int rows) {
  const int count = std::max(1, shown_count(state));
  return rows > 1 ? (count + 1) / 2 : count;
}

// The side of each map's part (image and axes) on `rows` rows `width` pixels wide.
float map_part_side(const AppState& state, float width, int rows) {
  const int per_row = maps_per_row(state, rows);
  const float font = ImGui::GetFontSize();
  const ImGuiStyle& style = ImGui::GetStyle();
  // draw_view's padding is 0.4 / 0.3 font sizes; layout_maps gives each map its colour bar.
  const float col_w =
      (width - 0.8f * font - style.ItemSpacing.x * static_cast<float>(per_row - 1)) / static_cast<float>(per_row);
  return std::max(4.0f * font, col_w - viz::colorbar_width() - style.ItemSpacing.x);
}

}  // namespace

float heatmaps_map_side(const AppState& state, float width, int rows) {
  const float side = map_part_side(state, width, rows);
  return map_image(side, maps_have_axes(side), heatmap_tokens(state.params.config)).x;
}

float heatmaps_view_height(const AppState& state, float width, int rows) {
  const float font = ImGui::GetFontSize();
  const ImGuiStyle& style = ImGui::GetStyle();
  const float line_h = ImGui::GetTextLineHeightWithSpacing();
  // As the panel lays itself out (layout_maps): the title strip, what is shown, "reset zoom"
  // and the summary (wrapped as at this width); each map's part under its title and range; the
  // notes below (at least the three lines layout_maps keeps for them).
  const float inner_w = width - 0.8f * font;
  const float reset_w = ImGui::CalcTextSize("reset zoom").x + 2.0f * style.FramePadding.x + style.ItemSpacing.x;
  const float summary_h = text_wrapped_height(
      "Each texel: exact block mean (block sums of encoded q, k), 13 x 13 cells per texel. Wheel: zoom, drag: pan.",
      inner_w - reset_w);
  const float notes_h =
      text_wrapped_height("rows: query position m; columns: key position n; grey: masked (n > m).", inner_w) +
      text_wrapped_height("79 x 79 texels over m in [0, 1024), n in [0, 1024): only the visible cells are computed, "
                          "at screen resolution; every texel is an exact block mean, never a sample.", inner_w);
  const float header_h = ImGui::GetFrameHeightWithSpacing() + 0.6f * font + line_h + summary_h + style.ItemSpacing.y;
  const int map_rows = maps_per_row(state, rows) < std::max(1, shown_count(state)) ? 2 : 1;
  return header_h + static_cast<float>(map_rows) * (map_part_side(state, width, rows) + 2.0f * line_h + style.ItemSpacing.y) +
         std::max(3.0f * line_h, notes_h + 2.0f * style.ItemSpacing.y);
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
  ImGui::SameLine();
  if (ImGui::SmallButton("go to\xE2\x80\xA6##heat")) ImGui::OpenPopup("##heat_goto");
  item_tooltip("Type a cell (m, n) to zoom to and pin, or a window [m0, m1) x [n0, n1) to show. Click a texel "
               "(without dragging) to pin its exact values.");
  if (ImGui::BeginPopup("##heat_goto")) {
    goto_controls(state.exact, derived, seq_len);
    ImGui::EndPopup();
  }
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
  ExactState& exact = state.exact;
  if (exact.pinned_cell && (exact.pinned_cell->first >= seq_len || exact.pinned_cell->second >= seq_len))
    exact.pinned_cell.reset();  // a shorter matrix now
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
    if (clicked_without_drag(hover.hovered)) {
      exact.pinned_cell = std::pair<int64_t, int64_t>{hover.row, hover.col};
      exact.goto_cell_error.clear();
    }
    if (exact.pinned_cell) draw_pin_marker(hover, hm.view(), *exact.pinned_cell);
    if (hover.hovered) {
      const std::optional<CellValue> v = cell_value(*r, k, hover.row, hover.col);
      ImGui::BeginTooltip();
      ImGui::Text("m = %lld, n = %lld, m - n = %lld", static_cast<long long>(hover.row),
                  static_cast<long long>(hover.col), static_cast<long long>(hover.row - hover.col));
      if (!v) {
        ImGui::TextUnformatted("not computed yet");
      } else {
        if (std::isnan(v->value)) ImGui::TextUnformatted("masked (n > m)");
        else ImGui::Text("value = %.6g", v->value);
        if (!r->exact_cells())
          ImGui::Text("mean over m in [%lld, %lld), n in [%lld, %lld)", static_cast<long long>(v->m0),
                      static_cast<long long>(v->m1), static_cast<long long>(v->n0), static_cast<long long>(v->n1));
      }
      dim_text("click: pin (exact value, copy)");
      ImGui::EndTooltip();
    }
    ImGui::SameLine(0.0f, spacing * 0.5f);
    const std::string bar_id = std::string("##bar") + std::to_string(k);
    viz::colorbar(bar_id.c_str(), cmap, hm.vmin(), hm.vmax(), ImVec2(bar_w, image_h),
                  log_colors ? viz::ColorScale::kLog : viz::ColorScale::kLinear);
    ImGui::EndChild();
  }
  // The pinned cell's read-out takes the place of the legend line under the maps (the maps do not
  // move when a cell is pinned).
  if (exact.pinned_cell)
    pinned_cell_readout(exact, r, show);
  else
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
