#include "panels/pins.h"

#include <cctype>
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <imgui_stdlib.h>

#include "gui/app_state.h"
#include "panels/widgets.h"

namespace rope::app {

namespace {
const ImVec4 kErrorColor(0.95f, 0.33f, 0.30f, 1.0f);

bool is_separator(char c) {
  return c == ',' || c == ':' || c == ';' || c == 'x' || c == 'X' || c == '[' || c == ']' || c == '(' || c == ')' ||
         std::isspace(static_cast<unsigned char>(c));
}
}  // namespace

std::optional<std::vector<int64_t>> parse_integers(std::string_view text, size_t count) {
  std::vector<int64_t> values;
  size_t i = 0;
  while (i < text.size()) {
    if (is_separator(text[i])) {
      ++i;
      continue;
    }
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || end == text.data() + i) return std::nullopt;
    i = static_cast<size_t>(end - text.data());
    if (i < text.size() && !is_separator(text[i])) return std::nullopt;  // "1.5", "12abc"
    values.push_back(v);
  }
  if (values.size() != count) return std::nullopt;
  return values;
}

bool typed_entry(const char* label, const char* id, const char* hint, float entry_fonts, std::string* input,
                 const std::string& error, const char* tooltip) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * entry_fonts);
  const bool entered = ImGui::InputTextWithHint(id, hint, input, ImGuiInputTextFlags_EnterReturnsTrue);
  if (tooltip) item_tooltip(tooltip);
  if (!error.empty()) {
    ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, kErrorColor);
    ImGui::TextUnformatted(error.c_str());
    ImGui::PopStyleColor();
  }
  return entered;
}

std::string elide_to_width(const std::string& text, float width) {
  if (ImGui::CalcTextSize(text.c_str()).x <= width) return text;
  const char* kEllipsis = "\xE2\x80\xA6";
  const float ellipsis_w = ImGui::CalcTextSize(kEllipsis).x;
  // The longest prefix (cut between UTF-8 characters) that fits with the ellipsis.
  size_t lo = 0, hi = text.size();
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (ImGui::CalcTextSize(text.data(), text.data() + mid).x + ellipsis_w <= width) lo = mid;
    else hi = mid - 1;
  }
  while (lo > 0 && (static_cast<unsigned char>(text[lo]) & 0xC0) == 0x80) --lo;
  return text.substr(0, lo) + kEllipsis;
}

bool pin_readout(const char* id, const std::string& text, const std::string& copy_text) {
  ImGui::PushID(id);
  if (ImGui::SmallButton("copy")) ImGui::SetClipboardText(copy_text.c_str());
  item_tooltip("Copies these values (full precision, tab-separated with a header line).");
  ImGui::SameLine();
  const bool unpin = ImGui::SmallButton("unpin");
  ImGui::SameLine();
  const std::string shown = elide_to_width(text, ImGui::GetContentRegionAvail().x);
  ImGui::TextUnformatted(shown.c_str());
  if (shown != text) item_tooltip(text.c_str());
  ImGui::PopID();
  return unpin;
}

void apply_pins(ExactState& exact, std::string_view all) {
  for (size_t start = 0; start <= all.size();) {
    const size_t end = std::min(all.find(',', start), all.size());
    const std::string_view item = all.substr(start, end - start);
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq), value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (key == "table") exact.freq_cell_shows_table = true;
    if (const auto v = parse_integers(value, 1); v && key == "pair") exact.pinned_pair = static_cast<int>((*v)[0]);
    if (const auto v = parse_integers(value, 1); v && key == "distance") exact.pinned_distance = (*v)[0];
    if (const auto v = parse_integers(value, 2); v && key == "cell") exact.pinned_cell = std::pair{(*v)[0], (*v)[1]};
    start = end + 1;
  }
}

bool clicked_without_drag(bool hovered) {
  const ImGuiIO& io = ImGui::GetIO();
  const float threshold = io.MouseDragThreshold;
  return hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
         io.MouseDragMaxDistanceSqr[ImGuiMouseButton_Left] < threshold * threshold;
}

}  // namespace rope::app
