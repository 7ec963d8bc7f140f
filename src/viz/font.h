#pragma once
// UI font: DejaVu Sans (fonts-dejavu-core) at a pixel size times the monitor content scale,
// with ImGui's default font as the fallback when the file is missing. The glyph ranges cover
// Latin-1, Greek (θ), arrows, math operators (≤ ≈ ⌈ ⌉ ⟨ ⟩), super/subscripts and a few shapes.
//
// Call between frames (not between ImGui::NewFrame and ImGui::Render):
//   viz::load_ui_font(18.0f, content_scale);   // once at start-up and whenever the size changes
//   viz::rebuild_font_texture();               // re-creates the GL font texture (needs GL)
#include <string>

#include <imgui.h>

namespace rope::viz {

inline constexpr const char* kDejaVuSansPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr float kMinFontPixels = 8.0f;
inline constexpr float kMaxFontPixels = 96.0f;

struct FontLoad {
  ImFont* font = nullptr;  // the new default font (never null after a successful call)
  bool from_file = false;  // false: ImGui's built-in font was used
  float pixel_size = 0.0f; // size actually used (clamped to [kMinFontPixels, kMaxFontPixels])
  std::string error;       // why the file was not used, if it was not
};

// Clears ImGui's font atlas and adds `path` at pixel_size * content_scale (content_scale <= 0
// counts as 1), making it the default font. Needs an ImGui context; makes no GL call.
FontLoad load_ui_font(float pixel_size, float content_scale, const char* path = kDejaVuSansPath);

// Rebuilds the GL font texture of imgui_impl_opengl3 after load_ui_font
// (ImGui_ImplOpenGL3_DestroyFontsTexture + CreateFontsTexture). Without GL (gl_enabled() false)
// it only builds the atlas on the CPU. Returns false if the texture could not be created.
bool rebuild_font_texture();

}  // namespace rope::viz
