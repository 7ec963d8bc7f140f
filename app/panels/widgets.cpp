#include "panels/widgets.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>

#include <imgui.h>

namespace rope::app {
namespace {

float entry_width() { return ImGui::GetFontSize() * 6.5f; }

void label_line(const char* label, const char* tooltip) {
  ImGui::TextUnformatted(label);
  if (tooltip) item_tooltip(tooltip);
}

std::string id_of(const char* prefix, const char* id) { return std::string(prefix) + id; }

}  // namespace

void item_tooltip(const char* text) {
  if (!text || !ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) return;
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  item_tooltip(text);
}

void RadioRow::next(const char* label) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float width = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x + ImGui::CalcTextSize(label, nullptr, true).x;
  const float right_edge = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + width <= right_edge) {
    ImGui::SameLine();
  } else if (first_x_ >= 0.0f && first_x_ + width <= right_edge) {
    ImGui::SetCursorScreenPos(ImVec2(first_x_, ImGui::GetCursorScreenPos().y));
  }
  if (first_x_ < 0.0f) first_x_ = ImGui::GetCursorScreenPos().x;
}

void dim_text(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextV(fmt, args);
  ImGui::PopStyleColor();
  va_end(args);
}

std::vector<std::string> wrap_at_spaces(std::string_view text, float width,
                                        const std::function<float(std::string_view)>& measure) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (;;) {  // one paragraph (up to '\n') per pass
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string line;
    size_t pos = start;
    while (pos < end) {
      size_t word_end = text.find(' ', pos);
      if (word_end == std::string_view::npos || word_end > end) word_end = end;
      const std::string_view word = text.substr(pos, word_end - pos);
      pos = word_end + 1;
      if (word.empty()) continue;  // runs of spaces
      std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
      if (!line.empty() && measure(candidate) > width) {
        lines.push_back(std::move(line));
        line = std::string(word);
      } else {
        line = std::move(candidate);
      }
    }
    lines.push_back(std::move(line));
    if (end >= text.size()) break;
    start = end + 1;
  }
  return lines;
}

namespace {

// The width of `s` in the current font (the measure wrap_at_spaces breaks lines by).
float text_width(std::string_view s) { return ImGui::CalcTextSize(s.data(), s.data() + s.size()).x; }

void text_wrapped_v(float width, bool dim, const char* fmt, va_list args) {
  char buf[2048];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  if (width <= 0.0f) width = ImGui::GetContentRegionAvail().x;
  if (dim) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  for (const std::string& line : wrap_at_spaces(buf, width, text_width)) ImGui::TextUnformatted(line.c_str());
  if (dim) ImGui::PopStyleColor();
}

}  // namespace

void text_wrapped(float width, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  text_wrapped_v(width, false, fmt, args);
  va_end(args);
}

float text_wrapped_height(std::string_view text, float width) {
  const auto lines = static_cast<float>(std::max<size_t>(1, wrap_at_spaces(text, width, text_width).size()));
  return lines * ImGui::GetTextLineHeight() + (lines - 1.0f) * ImGui::GetStyle().ItemSpacing.y;
}

void panel_part(const char* id, ImVec2 size, const std::function<void()>& draw, float below) {
  ImGui::BeginChild(id, ImVec2(std::max(size.x, 1.0f), std::max(size.y, 1.0f) + below), false, kPanelPartFlags);
  draw();
  ImGui::EndChild();
  if (below > 0.0f) ImGui::SetCursorPosY(ImGui::GetCursorPosY() - below);
}

void dim_text_wrapped(float width, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  text_wrapped_v(width, true, fmt, args);
  va_end(args);
}

bool slider_double(const char* label, const char* id, double* value, double min, double max, bool log,
                   const char* format, const char* tooltip, double entry_min, double entry_max) {
  label_line(label, tooltip);
  bool changed = false;
  const float slider_w = std::max(ImGui::GetFontSize() * 4.0f,
                                  ImGui::GetContentRegionAvail().x - entry_width() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SetNextItemWidth(slider_w);
  double slider_value = std::clamp(*value, min, max);
  ImGuiSliderFlags flags = log ? ImGuiSliderFlags_Logarithmic : ImGuiSliderFlags_None;
  if (ImGui::SliderScalar(id_of("##slider", id).c_str(), ImGuiDataType_Double, &slider_value, &min, &max, format,
                          flags)) {
    *value = slider_value;
    changed = true;
  }
  item_tooltip(tooltip);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(entry_width());
  double typed = *value;
  if (ImGui::InputDouble(id_of("##entry", id).c_str(), &typed, 0.0, 0.0, "%.6g",
                         ImGuiInputTextFlags_CharsScientific)) {
    *value = std::clamp(typed, entry_min, entry_max);
    changed = true;
  }
  item_tooltip(tooltip);
  return changed;
}

bool slider_int64(const char* label, const char* id, int64_t* value, int64_t min, int64_t max, bool log,
                  const char* tooltip, int64_t entry_min, int64_t entry_max) {
  label_line(label, tooltip);
  bool changed = false;
  const float slider_w = std::max(ImGui::GetFontSize() * 4.0f,
                                  ImGui::GetContentRegionAvail().x - entry_width() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SetNextItemWidth(slider_w);
  int64_t slider_value = std::clamp(*value, min, max);
  ImGuiSliderFlags flags = log ? ImGuiSliderFlags_Logarithmic : ImGuiSliderFlags_None;
  if (ImGui::SliderScalar(id_of("##slider", id).c_str(), ImGuiDataType_S64, &slider_value, &min, &max, "%lld",
                          flags)) {
    *value = slider_value;
    changed = true;
  }
  item_tooltip(tooltip);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(entry_width());
  int64_t typed = *value;
  if (ImGui::InputScalar(id_of("##entry", id).c_str(), ImGuiDataType_S64, &typed, nullptr, nullptr, "%lld")) {
    *value = std::clamp(typed, entry_min, entry_max);
    changed = true;
  }
  item_tooltip(tooltip);
  return changed;
}

bool slider_int(const char* label, const char* id, int* value, int min, int max, const char* tooltip, int entry_min,
                int entry_max, int step) {
  label_line(label, tooltip);
  bool changed = false;
  const float slider_w = std::max(ImGui::GetFontSize() * 4.0f,
                                  ImGui::GetContentRegionAvail().x - entry_width() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SetNextItemWidth(slider_w);
  int slider_value = std::clamp(*value, min, max);
  if (ImGui::SliderInt(id_of("##slider", id).c_str(), &slider_value, min, max)) {
    *value = slider_value;
    changed = true;
  }
  item_tooltip(tooltip);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(entry_width());
  int typed = *value;
  if (ImGui::InputInt(id_of("##entry", id).c_str(), &typed, step, step * 8)) {
    *value = std::clamp(typed, entry_min, entry_max);
    changed = true;
  }
  item_tooltip(tooltip);
  return changed;
}

bool slider_float(const char* label, const char* id, float* value, float min, float max, const char* format,
                  const char* tooltip, bool log) {
  label_line(label, tooltip);
  bool changed = false;
  const float slider_w = std::max(ImGui::GetFontSize() * 4.0f,
                                  ImGui::GetContentRegionAvail().x - entry_width() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SetNextItemWidth(slider_w);
  float slider_value = std::clamp(*value, min, max);
  if (ImGui::SliderFloat(id_of("##slider", id).c_str(), &slider_value, min, max, format,
                         log ? ImGuiSliderFlags_Logarithmic : ImGuiSliderFlags_None)) {
    *value = slider_value;
    changed = true;
  }
  item_tooltip(tooltip);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(entry_width());
  float typed = *value;
  if (ImGui::InputFloat(id_of("##entry", id).c_str(), &typed, 0.0f, 0.0f, "%.4g")) {
    *value = std::clamp(typed, min, max);
    changed = true;
  }
  item_tooltip(tooltip);
  return changed;
}

}  // namespace rope::app
