#include "panels/widgets.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <sstream>
#include <string>
#include <type_traits>

#include <imgui.h>

#include "viz/theme.h"

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

// `text` broken at spaces to `width` (<= 0: the rest of the content region), in `color` if set.
void text_lines(std::string_view text, float width, const ImVec4* color) {
  if (width <= 0.0f) width = ImGui::GetContentRegionAvail().x;
  if (color) ImGui::PushStyleColor(ImGuiCol_Text, *color);
  for (const std::string& line : wrap_at_spaces(text, width, text_width)) ImGui::TextUnformatted(line.c_str());
  if (color) ImGui::PopStyleColor();
}

void text_wrapped_v(float width, bool dim, const char* fmt, va_list args) {
  char buf[2048];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  const ImVec4 disabled = ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled);
  text_lines(buf, width, dim ? &disabled : nullptr);
}

}  // namespace

ImVec4 error_color() {
  return viz::current_theme() == viz::Theme::kLight ? ImVec4(0.75f, 0.08f, 0.06f, 1.0f)
                                                     : ImVec4(0.95f, 0.33f, 0.30f, 1.0f);
}

void error_text_wrapped(std::string_view text) {
  const ImVec4 color = error_color();
  text_lines(text, 0.0f, &color);
}

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

namespace {

template <class T>
constexpr ImGuiDataType data_type() {
  if constexpr (std::is_same_v<T, double>) return ImGuiDataType_Double;
  else if constexpr (std::is_same_v<T, float>) return ImGuiDataType_Float;
  else if constexpr (std::is_same_v<T, int64_t>) return ImGuiDataType_S64;
  else return ImGuiDataType_S32;
}

// The one mechanism behind the slider_* helpers: label line, [slider][entry], and the error line.
template <class T>
bool slider_entry(const char* label, const char* id, T* value, T min, T max, bool log, const char* slider_format,
                  const char* entry_format, const char* tooltip, T entry_min, T entry_max, T step, const char* error) {
  label_line(label, tooltip);
  bool changed = false;
  const float slider_w = std::max(ImGui::GetFontSize() * 4.0f,
                                  ImGui::GetContentRegionAvail().x - entry_width() - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SetNextItemWidth(slider_w);
  T slider_value = std::clamp(*value, min, max);
  const ImGuiSliderFlags flags = log ? ImGuiSliderFlags_Logarithmic : ImGuiSliderFlags_None;
  if (ImGui::SliderScalar(id_of("##slider", id).c_str(), data_type<T>(), &slider_value, &min, &max, slider_format,
                          flags)) {
    *value = slider_value;
    changed = true;
  }
  item_tooltip(tooltip);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(entry_width());
  T typed = *value;
  const T step_fast = static_cast<T>(step * 8);
  if (error) ImGui::PushStyleColor(ImGuiCol_Text, error_color());
  const bool entered = ImGui::InputScalar(
      id_of("##entry", id).c_str(), data_type<T>(), &typed, step > 0 ? &step : nullptr,
      step > 0 ? &step_fast : nullptr, entry_format,
      std::is_floating_point_v<T> ? ImGuiInputTextFlags_CharsScientific : ImGuiInputTextFlags_None);
  if (error) ImGui::PopStyleColor();
  // A typed value outside [entry_min, entry_max] is clamped, and says so under the field for as
  // long as the field holds the clamped value (the window's storage keeps which value that was).
  ImGuiStorage* storage = ImGui::GetStateStorage();
  const ImGuiID clamped_id = ImGui::GetID(id_of("##clamped", id).c_str());
  const ImGuiID clamped_flag = ImGui::GetID(id_of("##clampedflag", id).c_str());
  if (entered) {
    *value = std::clamp(typed, entry_min, entry_max);
    changed = true;
    if (*value != typed) {
      storage->SetFloat(clamped_id, static_cast<float>(*value));
      storage->SetBool(clamped_flag, true);
    } else {
      storage->SetBool(clamped_flag, false);
    }
  }
  item_tooltip(tooltip);
  if (error) {
    error_text_wrapped(error);
  } else if (storage->GetBool(clamped_flag) && storage->GetFloat(clamped_id) == static_cast<float>(*value)) {
    std::ostringstream note;
    note << "must be in [" << +entry_min << ", " << +entry_max << "]: set to " << +*value;
    error_text_wrapped(note.str());
  }
  return changed;
}

}  // namespace

bool slider_double(const char* label, const char* id, double* value, double min, double max, bool log,
                   const char* format, const char* tooltip, double entry_min, double entry_max, const char* error) {
  return slider_entry(label, id, value, min, max, log, format, "%.6g", tooltip, entry_min, entry_max, 0.0, error);
}

bool slider_int64(const char* label, const char* id, int64_t* value, int64_t min, int64_t max, bool log,
                  const char* tooltip, int64_t entry_min, int64_t entry_max, const char* error) {
  return slider_entry<int64_t>(label, id, value, min, max, log, "%lld", "%lld", tooltip, entry_min, entry_max, 0,
                               error);
}

bool slider_int(const char* label, const char* id, int* value, int min, int max, const char* tooltip, int entry_min,
                int entry_max, int step, const char* error) {
  return slider_entry(label, id, value, min, max, false, "%d", "%d", tooltip, entry_min, entry_max, step, error);
}

bool slider_float(const char* label, const char* id, float* value, float min, float max, const char* format,
                  const char* tooltip, bool log) {
  return slider_entry(label, id, value, min, max, log, format, "%.4g", tooltip, min, max, 0.0f, nullptr);
}

}  // namespace rope::app
