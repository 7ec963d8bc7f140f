#include "viz/font.h"

#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cstdio>

#include "viz/context.h"

namespace rope::viz {
namespace {

// Latin-1, Greek, general punctuation, super/subscripts, arrows, math operators, misc technical
// (⌈ ⌉ ⌊ ⌋), geometric shapes (▶ ■) and the mathematical angle brackets ⟨ ⟩. Zero-terminated;
// ImGui keeps a pointer to it, so it has static storage.
constexpr ImWchar kGlyphRanges[] = {
    0x0020, 0x00FF, 0x0370, 0x03FF, 0x2000, 0x206F, 0x2070, 0x209F, 0x2190, 0x21FF, 0x2200, 0x22FF,
    0x2300, 0x23FF, 0x25A0, 0x25FF, 0x27E8, 0x27EB, 0,
};

bool file_readable(const char* path) {
  if (path == nullptr || *path == '\0') return false;
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

}  // namespace

FontLoad load_ui_font(float pixel_size, float content_scale, const char* path) {
  FontLoad result;
  if (!(content_scale > 0.0f)) content_scale = 1.0f;
  const float size = std::clamp(pixel_size * content_scale, kMinFontPixels, kMaxFontPixels);
  result.pixel_size = size;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  if (file_readable(path)) {
    ImFontConfig cfg;
    cfg.OversampleH = 2;
    cfg.OversampleV = 1;
    cfg.PixelSnapH = false;
    result.font = io.Fonts->AddFontFromFileTTF(path, size, &cfg, kGlyphRanges);
    result.from_file = result.font != nullptr;
    if (!result.from_file) result.error = std::string("cannot load font ") + path;
  } else {
    result.error = std::string("font file not found: ") + (path ? path : "(null)");
  }
  if (result.font == nullptr) {
    ImFontConfig cfg;
    cfg.SizePixels = size;  // the built-in bitmap font, scaled
    result.font = io.Fonts->AddFontDefault(&cfg);
  }
  io.FontDefault = result.font;
  return result;
}

bool rebuild_font_texture() {
  ImGuiIO& io = ImGui::GetIO();
  if (!gl_enabled()) {
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas on the CPU
    return pixels != nullptr;
  }
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  return ImGui_ImplOpenGL3_CreateFontsTexture();
}

}  // namespace rope::viz
