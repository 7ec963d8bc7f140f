#pragma once
// Damage-based rendering of ImGui draw data for software GL (Mesa llvmpipe under Xvfb, where
// every rasterised pixel costs CPU and one full-window pass of any kind costs about 13 ms at
// 1920x1080): the framebuffer keeps last frame's pixels, and only the places where draw lists
// changed are cleared and drawn again. A frame then costs the windows that changed (an animated
// view, a map whose picture arrived) instead of every line, glyph and fill.
//
//   viz::FrameCache cache;                            // owned by the frame loop, not a static
//   ImGui::Render();
//   glBindFramebuffer(GL_FRAMEBUFFER, 0);
//   cache.render(ImGui::GetDrawData(), fb_w, fb_h, clear_color, viz::texture_generation(), true);
//   glfwSwapBuffers(window);
//
// What is kept: every draw list's pixels, with what the list held and where it draws (a child
// window's rectangle; for any other list, such as the root window, a tooltip or a popup, the
// footprint of its triangles). A list changed when its vertices, indices, commands or place
// differ from last frame's, or when it shows a texture other than the font atlas whose pixels
// changed since it was drawn (viz::mark_texture_changed: a heatmap re-coloured in place keeps its
// texture name; texture_generation is viz::texture_generation()). Where the triangles of changed
// lists were and are (the bounding boxes of their triangles, inside their clip rectangles), and
// where those of lists that are gone were, is dirty; two dirty places that overlap are merged
// where their bounding box is no larger than the two together. Each dirty place is wiped to the clear colour and every list that
// reaches into it is drawn again there, clipped to it, in draw order (each command's scissor is
// the one imgui_impl_opengl3 sets for it in a whole frame, cut to the place in whole pixels). Everything outside the
// dirty places is as last frame left it, and inside them it is drawn as a whole frame would draw
// it, so the picture is the one of clearing and drawing everything, provided the root window has
// no background of its own (ImGuiWindowFlags_NoBackground). Nested child windows cost only
// what changed: a map inside a panel that changes wipes the map's rectangle, and the panel is
// drawn again only there.
//
// Whether last frame's pixels are still there: an FBO keeps them. A window's back buffer keeps
// them only if the swap copies (Mesa's software GLX does; a flipping driver does not, and GLX
// as used by GLFW gives no buffer age), so with window_back_buffer the cache checks it: it
// writes a frame counter into the low bits of blue of one corner pixel (a change of at most 7/255
// in one pixel of the root window's padding) and reads it back the next frame; on a mismatch
// everything is drawn again, and after three frames in a row that find a mismatch it stops
// checking and draws everything every frame. (A frame drawn whole for another reason, such as a
// new size, checks nothing and ends the run.) The GUI uses the cache only under a software
// rasteriser (software_renderer below), where both the saving and the kept pixels are known.
#include <cstdint>
#include <memory>

#include <imgui.h>

namespace rope::viz {

class FrameCache {
 public:
  struct Stats {
    int lists_changed = 0;  // lists that changed (or are new, or everything was drawn)
    int lists_clipped = 0;  // unchanged lists drawn again where they reach into a changed place
    int lists_reused = 0;   // lists not drawn at all: their pixels are last frame's
    int64_t pixels_cleared = 0;  // pixels of the changed places (0 when full)
    bool full = false;      // everything was cleared and drawn (first frame, size change, lost pixels)
  };

  FrameCache();
  ~FrameCache();
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;

  // Renders draw_data (after ImGui::Render, imgui_impl_opengl3 initialised) into the bound draw
  // framebuffer of fb_width x fb_height pixels, giving the picture that clearing it to `clear`
  // and drawing every list would give. window_back_buffer: the target is the default
  // framebuffer's back buffer (checked as above); false: an FBO that nothing else draws into
  // between calls. GL state it leaves changed: the viewport (the whole framebuffer), the clear
  // colour, the scissor test (off; whatever it was on entry) and, with window_back_buffer, the
  // read framebuffer (0) and its read buffer (GL_BACK), where the check pixel is read.
  Stats render(ImDrawData* draw_data, int fb_width, int fb_height, const ImVec4& clear, uint64_t texture_generation,
               bool window_back_buffer);

  // Draws everything again next frame (e.g. after the font atlas was rebuilt).
  void invalidate();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Clears the bound framebuffer to `clear` and draws draw_data (no cache).
void render_draw_data_direct(ImDrawData* draw_data, int fb_width, int fb_height, const ImVec4& clear);

// Whether a GL_RENDERER string names a software rasteriser (Mesa llvmpipe, softpipe, swrast),
// where the cache pays: on a GPU drawing is cheap, the check pixel's read-back waits for the GPU,
// and a swap may leave the back buffer undefined. A null renderer is not one.
bool software_renderer(const char* gl_renderer);

}  // namespace rope::viz
