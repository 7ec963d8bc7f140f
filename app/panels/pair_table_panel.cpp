// Pair table: every pair's numbers from core::pair_table in float64 (features, theta, unscaled
// theta, ratio, wavelength, rotations within the context, band and band value), copied to the
// clipboard as TSV or written to a CSV file. Clicking a row pins that pair in the frequencies view.
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "core/analysis.h"
#include "gui/settings.h"
#include "gui/views.h"
#include "panels/panels.h"
#include "panels/widgets.h"

namespace rope::app {
namespace {

constexpr int kColumns = 9;

// A cell's number at `digits` significant digits; the exact value (17 digits) in its tooltip.
void number_cell(double value, int digits) {
  ImGui::Text("%.*g", digits, value);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%.17g", value);
}

void draw_table(AppState& state, const std::vector<core::PairInfo>& table) {
  const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable |
                                ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("##pairs", kColumns, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  for (const char* name : {"pair", "features", "\xCE\xB8 (rad/pos)", "unscaled \xCE\xB8", "ratio \xCE\xB8/\xCE\xB8\xE2\x82\x80",
                           "wavelength", "rotations", "band", "band value"})
    ImGui::TableSetupColumn(name);
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(table.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const core::PairInfo& p = table[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[32];
      std::snprintf(label, sizeof label, "%d##pair_row", p.pair);
      const bool pinned = state.exact.pinned_pair == p.pair;
      ImGui::PushID(i);
      if (ImGui::Selectable(label, pinned, ImGuiSelectableFlags_SpanAllColumns)) {
        state.exact.pinned_pair = pinned ? std::nullopt : std::optional<int>(p.pair);
        state.exact.goto_pair_error.clear();
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::Text("%d, %d", p.feature0, p.feature1);
      ImGui::TableNextColumn();
      number_cell(p.inv_freq, 17);
      ImGui::TableNextColumn();
      number_cell(p.inv_freq_unscaled, 17);
      ImGui::TableNextColumn();
      number_cell(p.ratio, 10);
      ImGui::TableNextColumn();
      number_cell(p.wavelength, 10);
      ImGui::TableNextColumn();
      number_cell(p.rotations_in_context, 10);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(std::string(core::to_string(p.band)).c_str());
      ImGui::TableNextColumn();
      number_cell(p.band_value, 10);
    }
  }
  ImGui::EndTable();
}

}  // namespace

double pair_table_context(const Derived& derived) {
  const core::RopeFrequencies& f = derived.freqs;
  return static_cast<double>(f.seq_len > 0 ? f.seq_len : derived.valid_params.config.seq_len);
}

namespace {

// The rows of views() that share the cell of views()[shown], in table order.
std::vector<int> cell_views(int shown) {
  std::vector<int> out;
  const std::span<const ViewDef> all = views();
  const char* cell = all[static_cast<size_t>(shown)].cell;
  for (size_t i = 0; i < all.size(); ++i)
    if (i == static_cast<size_t>(shown) || (cell && all[i].cell && std::string_view(cell) == all[i].cell))
      out.push_back(static_cast<int>(i));
  return out;
}

}  // namespace

float cell_tabs_width(int shown) {
  const float pad = ImGui::GetStyle().FramePadding.x;
  float w = 0.5f * pad;
  for (int tab : cell_views(shown)) w += ImGui::CalcTextSize(views()[static_cast<size_t>(tab)].title).x + 3.0f * pad;
  return w;
}

bool draw_cell_tabs(AppState& state, int shown, ImVec2 strip_min, float strip_h) {
  const ImVec2 after = ImGui::GetCursorScreenPos();
  const float pad = ImGui::GetStyle().FramePadding.x;
  float x = strip_min.x + pad * 0.5f;
  bool hovered = false;
  const std::vector<int> tabs = cell_views(shown);
  for (const int tab : tabs) {
    const ViewDef& view = views()[static_cast<size_t>(tab)];
    const float w = ImGui::CalcTextSize(view.title).x + 2.0f * pad;
    ImGui::SetCursorScreenPos(ImVec2(x, strip_min.y));
    const std::string id = std::string(view.title) + "##cell_tab";
    const bool selected = tab == shown;
    if (!selected) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    if (ImGui::Selectable(id.c_str(), selected, 0, ImVec2(w, strip_h)))
    {
      state.exact.freq_cell_shows_table = tab != tabs.front();
      if (state.ui.maximised == shown) state.ui.maximised = tab;
    }
    if (!selected) ImGui::PopStyleColor();
    hovered = hovered || ImGui::IsItemHovered();
    const std::string tip = std::string(view.summary) + " (F" + std::to_string(view.function_key) + " maximises it)";
    item_tooltip(tip.c_str());
    x += w + pad;
  }
  ImGui::SetCursorScreenPos(after);
  return hovered;
}

void draw_pair_table_panel(AppState& state, const Derived& derived) {
  if (!derived.has_valid) {
    ImGui::TextUnformatted("No valid configuration yet.");
    return;
  }
  const core::RopeFrequencies& f = derived.freqs;
  if (f.inv_freq.empty()) {
    ImGui::TextUnformatted("rotary_dim is 0: nothing rotates.");
    return;
  }
  const double context = pair_table_context(derived);
  const std::vector<core::PairInfo> table = core::pair_table(f, context);
  text_wrapped(0.0f, "%zu pairs (%s), rotations within seq_len %.0f; band value: %s", table.size(),
               f.layout == core::Layout::kNeox ? "NeoX: features i, i + d/2" : "GPT-J: features 2i, 2i + 1", context,
               std::string(core::band_value_meaning(f.scaling)).c_str());
  if (ImGui::SmallButton("copy TSV##pairs")) {
    ImGui::SetClipboardText(core::pair_table_text(table, '\t').c_str());
    state.set_status("pair table: " + std::to_string(table.size()) + " rows copied to the clipboard (TSV)", false);
  }
  item_tooltip("Copies every row (17 significant digits) with a header line, tab-separated: pastes into a "
               "spreadsheet.");
  ImGui::SameLine();
  if (ImGui::SmallButton("export CSV##pairs")) {
    std::string error;
    const std::string& path = state.exact.table_csv_path;
    if (path.empty())
      state.set_status("pair table: type a file name for the CSV first", true);
    else if (write_file_atomic(path, core::pair_table_text(table, ','), &error))
      state.set_status("pair table: " + std::to_string(table.size()) + " rows written to " + path, false);
    else
      state.set_status("pair table: cannot write " + path + ": " + error, true);
  }
  item_tooltip("Writes the table as CSV to the path on the right (relative paths: the working directory).");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1.0f);
  ImGui::InputText("##pairs_csv_path", &state.exact.table_csv_path);
  draw_table(state, table);
}

}  // namespace rope::app
