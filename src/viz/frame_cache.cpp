// Damage-based rendering of ImGui draw lists; see frame_cache.h.
#include "viz/frame_cache.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui_internal.h>  // ImGuiWindow: which window owns a draw list, its rectangle and flags

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "viz/gl/framebuffer.h"
#include "viz/gl/gl.h"

namespace rope::viz {
namespace {

struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // framebuffer pixels, top-left origin, [x0, x1) x [y0, y1)
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  bool overlaps(const PixelRect& o) const { return !empty() && !o.empty() && x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  bool operator==(const PixelRect&) const = default;
};

// The commands of a list as far as the picture depends on them.
struct CmdKey {
  ImVec4 clip;
  ImTextureID texture;
  unsigned int vtx_offset, idx_offset, elem_count;
  bool operator==(const CmdKey& o) const {
    return clip.x == o.clip.x && clip.y == o.clip.y && clip.z == o.clip.z && clip.w == o.clip.w &&
           texture == o.texture && vtx_offset == o.vtx_offset && idx_offset == o.idx_offset &&
           elem_count == o.elem_count;
  }
};

// What a list looked like when it was last drawn, and where: a window's rectangle, or for the
// lists drawn over the windows (root window, tooltips, popups) their footprint.
struct Picture {
  bool window_picture = false;
  PixelRect rect;
  std::vector<ImDrawVert> vtx;
  std::vector<ImDrawIdx> idx;
  std::vector<CmdKey> cmds;
  uint64_t texture_generation = 0;
  bool seen = false;  // in the current frame
};

template <class T>
bool same_buffer(const std::vector<T>& kept, const ImVector<T>& now) {
  return kept.size() == static_cast<size_t>(now.Size) &&
         (now.Size == 0 || std::memcmp(kept.data(), now.Data, sizeof(T) * static_cast<size_t>(now.Size)) == 0);
}

// v clamped to [lo, hi] while still a float (converting one outside int's range, or NaN, to int
// is undefined); NaN gives lo.
int clamp_to_int(float v, int lo, int hi) {
  if (!(v > static_cast<float>(lo))) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);
}

// Display coordinates -> framebuffer pixels (widened to whole pixels, plus `grow` on each side,
// clamped to the framebuffer).
struct ToPixels {
  ImVec2 origin, scale;
  int width, height;
  PixelRect operator()(float x0, float y0, float x1, float y1, int grow) const {
    const auto g = static_cast<float>(grow);
    PixelRect r;
    r.x0 = clamp_to_int(std::floor((x0 - origin.x) * scale.x) - g, 0, width);
    r.y0 = clamp_to_int(std::floor((y0 - origin.y) * scale.y) - g, 0, height);
    r.x1 = clamp_to_int(std::ceil((x1 - origin.x) * scale.x) + g, 0, width);
    r.y1 = clamp_to_int(std::ceil((y1 - origin.y) * scale.y) + g, 0, height);
    return r;
  }
};

// Where a list draws: the bounding box of its triangles inside each command's clip rectangle.
PixelRect footprint(const ImDrawList& list, const ToPixels& to_px) {
  PixelRect out;
  for (const ImDrawCmd& c : list.CmdBuffer) {
    if (c.UserCallback != nullptr || c.ElemCount == 0) continue;
    float x0 = c.ClipRect.z, y0 = c.ClipRect.w, x1 = c.ClipRect.x, y1 = c.ClipRect.y;
    for (unsigned int k = 0; k < c.ElemCount; ++k) {
      const ImVec2 p = list.VtxBuffer[static_cast<int>(c.VtxOffset + list.IdxBuffer[static_cast<int>(c.IdxOffset + k)])].pos;
      x0 = std::min(x0, p.x);
      y0 = std::min(y0, p.y);
      x1 = std::max(x1, p.x);
      y1 = std::max(y1, p.y);
    }
    const PixelRect r = to_px(std::max(x0, c.ClipRect.x), std::max(y0, c.ClipRect.y), std::min(x1, c.ClipRect.z),
                              std::min(y1, c.ClipRect.w), 1);
    if (r.empty()) continue;
    out = out.empty() ? r
                      : PixelRect{std::min(out.x0, r.x0), std::min(out.y0, r.y0), std::max(out.x1, r.x1), std::max(out.y1, r.y1)};
  }
  return out;
}

// Renders the given lists of draw_data (same display and scale) with imgui_impl_opengl3.
void render_lists(const ImDrawData* draw_data, ImDrawList** lists, int count) {
  if (count <= 0) return;
  ImDrawData part = *draw_data;
  part.CmdLists = lists;
  part.CmdListsCount = count;
  part.TotalVtxCount = part.TotalIdxCount = 0;
  for (int i = 0; i < count; ++i) {
    part.TotalVtxCount += lists[i]->VtxBuffer.Size;
    part.TotalIdxCount += lists[i]->IdxBuffer.Size;
  }
  ImGui_ImplOpenGL3_RenderDrawData(&part);
}

// Renders one list with every clip rectangle narrowed to `rect` (display coordinates), so
// nothing of it lands outside the region that was cleared for it.
void render_list_clipped(const ImDrawData* draw_data, ImDrawList* list, const ImVec4& rect) {
  std::vector<ImVec4> saved;
  saved.reserve(static_cast<size_t>(list->CmdBuffer.Size));
  for (ImDrawCmd& c : list->CmdBuffer) {
    saved.push_back(c.ClipRect);
    c.ClipRect = ImVec4(std::max(c.ClipRect.x, rect.x), std::max(c.ClipRect.y, rect.y), std::min(c.ClipRect.z, rect.z),
                        std::min(c.ClipRect.w, rect.w));
  }
  render_lists(draw_data, &list, 1);
  for (int i = 0; i < list->CmdBuffer.Size; ++i) list->CmdBuffer[i].ClipRect = saved[static_cast<size_t>(i)];
}

// Fills r (top-left origin) with an opaque colour; the scissor test is off again afterwards.
void clear_rect(const PixelRect& r, int fb_height, const ImVec4& color) {
  if (r.empty()) return;
  glEnable(GL_SCISSOR_TEST);
  glScissor(r.x0, fb_height - r.y1, r.x1 - r.x0, r.y1 - r.y0);
  glClearColor(color.x, color.y, color.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  glDisable(GL_SCISSOR_TEST);
}

std::array<uint8_t, 4> to_rgba8(const ImVec4& c) {
  const auto u8 = [](float v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return {u8(c.x), u8(c.y), u8(c.z), 255};
}

}  // namespace

constexpr int kLostFramesToGiveUp = 3;

struct FrameCache::Impl {
  std::unordered_map<ImGuiID, Picture> pictures;
  int width = 0, height = 0;
  ImVec4 clear{-1.0f, -1.0f, -1.0f, -1.0f};
  ImTextureID font = nullptr;
  bool valid = false;  // the target holds last frame's picture as recorded here
  // The corner pixel's blue written last frame (window back buffers only).
  uint8_t mark = 0;
  bool mark_written = false;
  // Consecutive frames whose check found the pixels lost; a frame with them intact, or one drawn
  // whole for another reason (first frame, new size, clear colour or font: nothing checked),
  // ends the run.
  int lost_in_a_row = 0;
  bool given_up = false;  // the window does not keep its pixels: no more checks, draw everything
};

FrameCache::FrameCache() : impl_(std::make_unique<Impl>()) {}
FrameCache::~FrameCache() = default;

void FrameCache::invalidate() { impl_->valid = false; }

bool software_renderer(const char* gl_renderer) {
  if (gl_renderer == nullptr) return false;
  const std::string_view r(gl_renderer);
  for (const std::string_view name : {"llvmpipe", "softpipe", "swrast"})
    if (r.find(name) != std::string_view::npos) return true;
  return false;
}

void render_draw_data_direct(ImDrawData* draw_data, int fb_width, int fb_height, const ImVec4& clear) {
  glViewport(0, 0, fb_width, fb_height);
  glClearColor(clear.x, clear.y, clear.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(draw_data);
}

FrameCache::Stats FrameCache::render(ImDrawData* draw_data, int fb_width, int fb_height, const ImVec4& clear,
                                     uint64_t texture_generation, bool window_back_buffer) {
  Stats stats;
  Impl& s = *impl_;
  ImGuiContext* g = ImGui::GetCurrentContext();
  if (draw_data == nullptr || g == nullptr || fb_width <= 0 || fb_height <= 0) return stats;
  glDisable(GL_SCISSOR_TEST);  // the clears below cover what they say
  glViewport(0, 0, fb_width, fb_height);
  const std::array<uint8_t, 4> clear8 = to_rgba8(clear);

  // Is last frame's picture still in the target?
  const ImTextureID font = ImGui::GetIO().Fonts->TexID;
  bool full = !s.valid || fb_width != s.width || fb_height != s.height || font != s.font ||
              std::memcmp(&clear, &s.clear, sizeof clear) != 0;
  if (window_back_buffer && !s.given_up) {
    full = full || !s.mark_written;
    bool lost = false;
    if (!full) {
      glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
      glReadBuffer(GL_BACK);
      const std::vector<uint8_t> px = gl::read_pixels_rgba(0, 0, 1, 1);
      lost = px[0] != clear8[0] || px[1] != clear8[1] || px[2] != s.mark;
      full = lost;
    }
    s.lost_in_a_row = lost ? s.lost_in_a_row + 1 : 0;
    // A flipping swap chain loses them every frame; reading a pixel back is then only a stall.
    s.given_up = s.lost_in_a_row >= kLostFramesToGiveUp;
  }
  if (window_back_buffer && s.given_up) {
    render_draw_data_direct(draw_data, fb_width, fb_height, clear);
    stats.full = true;
    stats.lists_direct = draw_data->CmdListsCount;
    return stats;
  }
  if (full) s.pictures.clear();
  s.width = fb_width;
  s.height = fb_height;
  s.font = font;
  s.clear = clear;
  stats.full = full;

  // Which lists are windows with pictures of their own: visible child windows (not popups,
  // tooltips, menus) that overlap no other such window and no list drawn before them. The
  // others are drawn over them, in draw order.
  const ToPixels to_px{draw_data->DisplayPos, draw_data->FramebufferScale, fb_width, fb_height};
  struct Item {
    ImDrawList* list;
    ImGuiWindow* window = nullptr;
    ImGuiID key = 0;
    PixelRect rect;  // a window: its rectangle plus a pixel for its border's fringe; otherwise its footprint
    bool window_picture = false;
  };
  std::vector<Item> items;
  items.reserve(static_cast<size_t>(draw_data->CmdListsCount));
  constexpr ImGuiWindowFlags kOverlays =
      ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_ChildMenu | ImGuiWindowFlags_Modal;
  for (int i = 0; i < draw_data->CmdListsCount; ++i) {
    Item it{draw_data->CmdLists[i], nullptr, 0, {}, false};
    for (ImGuiWindow* w : g->Windows) {
      if (w->DrawList == it.list) {
        it.window = w;
        break;
      }
    }
    it.key = it.window ? it.window->ID : static_cast<ImGuiID>(reinterpret_cast<uintptr_t>(it.list));
    if (it.window && (it.window->Flags & ImGuiWindowFlags_ChildWindow) && !(it.window->Flags & kOverlays)) {
      const ImVec2 a = it.window->Pos;
      it.rect = to_px(a.x, a.y, a.x + it.window->Size.x, a.y + it.window->Size.y, 1);
      it.window_picture = !it.rect.empty();
    }
    items.push_back(it);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = i + 1; j < items.size(); ++j) {
      if (items[i].window_picture && items[j].window_picture && items[i].rect.overlaps(items[j].rect))
        items[i].window_picture = items[j].window_picture = false;
    }
  }
  for (Item& it : items) {
    if (!it.window_picture) it.rect = footprint(*it.list, to_px);
  }
  // A window picture is drawn before the other lists, so none of those that come before it in
  // draw order may reach into it.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].window_picture) continue;
      for (size_t j = i + 1; j < items.size(); ++j) {
        if (items[j].window_picture && items[j].rect.overlaps(items[i].rect)) {
          items[j].window_picture = false;
          items[j].rect = footprint(*items[j].list, to_px);
          changed = true;
        }
      }
    }
  }

  // What changed since last frame. Its places (old and new) are dirty; anything that overlaps a
  // dirty place is drawn again and its place becomes dirty too, until nothing more overlaps.
  std::vector<PixelRect> dirty;
  if (window_back_buffer && s.mark_written) dirty.push_back(PixelRect{0, fb_height - 1, 1, fb_height});
  std::vector<char> redraw(items.size(), 0);
  std::vector<std::vector<CmdKey>> keys(items.size());
  for (auto& [id, picture] : s.pictures) picture.seen = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    bool other_textures = false, callbacks = false;
    keys[i].reserve(static_cast<size_t>(it.list->CmdBuffer.Size));
    for (const ImDrawCmd& c : it.list->CmdBuffer) {
      other_textures = other_textures || c.TextureId != font;
      callbacks = callbacks || c.UserCallback != nullptr;  // they may draw anything: every frame
      keys[i].push_back(CmdKey{c.ClipRect, c.TextureId, c.VtxOffset, c.IdxOffset, c.ElemCount});
    }
    auto [found, inserted] = s.pictures.try_emplace(it.key);
    Picture& p = found->second;
    p.seen = true;
    redraw[i] = full || inserted || callbacks || p.window_picture != it.window_picture || p.rect != it.rect || p.cmds != keys[i] ||
                !same_buffer(p.vtx, it.list->VtxBuffer) || !same_buffer(p.idx, it.list->IdxBuffer) ||
                (other_textures && p.texture_generation != texture_generation);
    if (redraw[i]) {
      if (!inserted && p.rect != it.rect) dirty.push_back(p.rect);
      dirty.push_back(it.rect);
    }
  }
  for (auto it = s.pictures.begin(); it != s.pictures.end();) {
    if (it->second.seen) {
      ++it;
    } else {
      dirty.push_back(it->second.rect);
      it = s.pictures.erase(it);
    }
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < items.size(); ++i) {
      if (redraw[i]) continue;
      for (const PixelRect& d : dirty) {
        if (d.overlaps(items[i].rect)) {
          redraw[i] = 1;
          dirty.push_back(items[i].rect);
          grew = true;
          break;
        }
      }
    }
  }

  // Draw: everything as it comes when full; otherwise wipe the dirty places, draw the window
  // pictures to draw again, then the other lists to draw again on top, in draw order.
  if (full) {
    render_draw_data_direct(draw_data, fb_width, fb_height, clear);
  } else {
    for (const PixelRect& d : dirty) clear_rect(d, fb_height, clear);
  }
  std::vector<ImDrawList*> direct;
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (!redraw[i]) {
      if (it.window_picture) ++stats.lists_reused;
      continue;
    }
    Picture& p = s.pictures[it.key];
    p.window_picture = it.window_picture;
    p.rect = it.rect;
    p.vtx.assign(it.list->VtxBuffer.Data, it.list->VtxBuffer.Data + it.list->VtxBuffer.Size);
    p.idx.assign(it.list->IdxBuffer.Data, it.list->IdxBuffer.Data + it.list->IdxBuffer.Size);
    p.cmds = std::move(keys[i]);
    p.texture_generation = texture_generation;
    if (!it.window_picture) {
      direct.push_back(it.list);
      continue;
    }
    ++stats.lists_drawn;
    if (full) continue;
    const ImVec4 display(to_px.origin.x + static_cast<float>(it.rect.x0) / to_px.scale.x,
                         to_px.origin.y + static_cast<float>(it.rect.y0) / to_px.scale.y,
                         to_px.origin.x + static_cast<float>(it.rect.x1) / to_px.scale.x,
                         to_px.origin.y + static_cast<float>(it.rect.y1) / to_px.scale.y);
    render_list_clipped(draw_data, it.list, display);
  }
  stats.lists_direct = static_cast<int>(direct.size());
  if (!full) render_lists(draw_data, direct.data(), static_cast<int>(direct.size()));

  if (window_back_buffer) {
    // The check pixel (bottom-left corner, in the root window's padding): next frame it must
    // read back unchanged.
    s.mark = static_cast<uint8_t>((clear8[2] & ~7u) | ((s.mark + 1u) & 7u));
    clear_rect(PixelRect{0, fb_height - 1, 1, fb_height}, fb_height,
               ImVec4(clear.x, clear.y, static_cast<float>(s.mark) / 255.0f, 1.0f));
    s.mark_written = true;
  }
  s.valid = true;
  return stats;
}

}  // namespace rope::viz
