// Damage-based rendering of ImGui draw lists; see frame_cache.h.
#include "viz/frame_cache.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui_internal.h>  // ImGuiWindow: which window owns a draw list, its rectangle and flags

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

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

// What a kept window looked like when its pixels were drawn.
struct Picture {
  PixelRect rect;
  std::vector<ImDrawVert> vtx;
  std::vector<ImDrawIdx> idx;
  std::vector<CmdKey> cmds;
  uint64_t texture_generation = 0;
  bool seen = false;  // kept in the current frame
};

template <class T>
bool same_buffer(const std::vector<T>& kept, const ImVector<T>& now) {
  return kept.size() == static_cast<size_t>(now.Size) &&
         (now.Size == 0 || std::memcmp(kept.data(), now.Data, sizeof(T) * static_cast<size_t>(now.Size)) == 0);
}

// Display coordinates -> framebuffer pixels (widened to whole pixels, plus `grow` on each side).
struct ToPixels {
  ImVec2 origin, scale;
  int width, height;
  PixelRect operator()(float x0, float y0, float x1, float y1, int grow) const {
    PixelRect r;
    r.x0 = std::max(0, static_cast<int>(std::floor((x0 - origin.x) * scale.x)) - grow);
    r.y0 = std::max(0, static_cast<int>(std::floor((y0 - origin.y) * scale.y)) - grow);
    r.x1 = std::min(width, static_cast<int>(std::ceil((x1 - origin.x) * scale.x)) + grow);
    r.y1 = std::min(height, static_cast<int>(std::ceil((y1 - origin.y) * scale.y)) + grow);
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

void clear_rect(const PixelRect& r, int fb_height, const ImVec4& clear) {
  if (r.empty()) return;
  glEnable(GL_SCISSOR_TEST);
  glScissor(r.x0, fb_height - r.y1, r.x1 - r.x0, r.y1 - r.y0);
  glClearColor(clear.x, clear.y, clear.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  glDisable(GL_SCISSOR_TEST);
}

std::array<uint8_t, 4> to_rgba8(const ImVec4& c) {
  const auto u8 = [](float v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return {u8(c.x), u8(c.y), u8(c.z), 255};
}

}  // namespace

struct FrameCache::Impl {
  std::unordered_map<ImGuiID, Picture> pictures;
  std::vector<PixelRect> direct_footprints;  // of last frame's directly drawn lists
  int width = 0, height = 0;
  ImVec4 clear{-1.0f, -1.0f, -1.0f, -1.0f};
  ImTextureID font = nullptr;
  bool valid = false;  // the target holds last frame's picture as recorded here
  // The corner pixel's blue written last frame (window back buffers only).
  uint8_t mark = 0;
  bool mark_written = false;
};

FrameCache::FrameCache() : impl_(std::make_unique<Impl>()) {}
FrameCache::~FrameCache() = default;

void FrameCache::invalidate() { impl_->valid = false; }

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
  glViewport(0, 0, fb_width, fb_height);
  const std::array<uint8_t, 4> clear8 = to_rgba8(clear);

  // Is last frame's picture still in the target?
  const ImTextureID font = ImGui::GetIO().Fonts->TexID;
  bool full = !s.valid || fb_width != s.width || fb_height != s.height || font != s.font ||
              std::memcmp(&clear, &s.clear, sizeof clear) != 0;
  if (!full && window_back_buffer) {
    uint8_t px[4] = {0, 0, 0, 0};
    GLint pack = 4;
    glGetIntegerv(GL_PACK_ALIGNMENT, &pack);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    glPixelStorei(GL_PACK_ALIGNMENT, pack);
    full = !s.mark_written || px[0] != clear8[0] || px[1] != clear8[1] || px[2] != s.mark;
  }
  if (full) {
    s.pictures.clear();
    s.direct_footprints.clear();
  }
  s.width = fb_width;
  s.height = fb_height;
  s.font = font;
  s.clear = clear;
  stats.full = full;

  // Which lists keep their pictures: visible child windows (not popups, tooltips, menus) that
  // overlap no other such window and no list drawn before them.
  const ToPixels to_px{draw_data->DisplayPos, draw_data->FramebufferScale, fb_width, fb_height};
  struct Item {
    ImDrawList* list;
    ImGuiWindow* window = nullptr;
    PixelRect rect;     // kept: the window's rectangle plus a pixel for its border's fringe
    PixelRect drawn;    // drawn directly: its footprint
    bool kept = false;
  };
  std::vector<Item> items;
  items.reserve(static_cast<size_t>(draw_data->CmdListsCount));
  constexpr ImGuiWindowFlags kOverlays =
      ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_ChildMenu | ImGuiWindowFlags_Modal;
  for (int i = 0; i < draw_data->CmdListsCount; ++i) {
    Item it{draw_data->CmdLists[i], nullptr, {}, {}, false};
    for (ImGuiWindow* w : g->Windows) {
      if (w->DrawList == it.list) {
        it.window = w;
        break;
      }
    }
    bool callbacks = false;
    for (const ImDrawCmd& c : it.list->CmdBuffer) callbacks = callbacks || c.UserCallback != nullptr;
    if (it.window && (it.window->Flags & ImGuiWindowFlags_ChildWindow) && !(it.window->Flags & kOverlays) && !callbacks) {
      const ImVec2 a = it.window->Pos;
      it.rect = to_px(a.x, a.y, a.x + it.window->Size.x, a.y + it.window->Size.y, 1);
      it.kept = !it.rect.empty();
    }
    items.push_back(it);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = i + 1; j < items.size(); ++j) {
      if (items[i].kept && items[j].kept && items[i].rect.overlaps(items[j].rect)) items[i].kept = items[j].kept = false;
    }
  }
  // A kept picture is cleared and drawn before the direct lists, so none of those that come
  // before it in draw order may reach into it.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].kept) continue;
      if (items[i].drawn.empty()) items[i].drawn = footprint(*items[i].list, to_px);
      for (size_t j = i + 1; j < items.size(); ++j) {
        if (items[j].kept && items[j].rect.overlaps(items[i].drawn)) {
          items[j].kept = false;
          changed = true;
        }
      }
    }
  }

  // Places to wipe back to the clear colour: last frame's direct lists, and windows that moved,
  // closed or are no longer kept. A picture under a wiped place is drawn again.
  std::vector<PixelRect> wiped = s.direct_footprints;
  std::vector<char> redraw(items.size(), 0);
  std::vector<std::vector<CmdKey>> keys(items.size());
  for (auto& [id, picture] : s.pictures) picture.seen = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (!it.kept) continue;
    bool other_textures = false;
    keys[i].reserve(static_cast<size_t>(it.list->CmdBuffer.Size));
    for (const ImDrawCmd& c : it.list->CmdBuffer) {
      other_textures = other_textures || c.TextureId != font;
      keys[i].push_back(CmdKey{c.ClipRect, c.TextureId, c.VtxOffset, c.IdxOffset, c.ElemCount});
    }
    auto [found, inserted] = s.pictures.try_emplace(it.window->ID);
    Picture& p = found->second;
    p.seen = true;
    if (!inserted && p.rect != it.rect) wiped.push_back(p.rect);
    redraw[i] = inserted || p.rect != it.rect || p.cmds != keys[i] || !same_buffer(p.vtx, it.list->VtxBuffer) ||
                !same_buffer(p.idx, it.list->IdxBuffer) || (other_textures && p.texture_generation != texture_generation);
  }
  for (auto it = s.pictures.begin(); it != s.pictures.end();) {
    if (it->second.seen) {
      ++it;
    } else {
      wiped.push_back(it->second.rect);
      it = s.pictures.erase(it);
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    for (const PixelRect& w : wiped) redraw[i] = redraw[i] || (items[i].kept && w.overlaps(items[i].rect));
  }

  // Draw: wipe, the kept pictures that changed, then the direct lists on top in draw order.
  if (full) {
    glClearColor(clear.x, clear.y, clear.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
  } else {
    for (const PixelRect& w : wiped) clear_rect(w, fb_height, clear);
  }
  std::vector<ImDrawList*> direct;
  s.direct_footprints.clear();
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (!it.kept) {
      direct.push_back(it.list);
      s.direct_footprints.push_back(it.drawn);
      continue;
    }
    if (!redraw[i]) {
      ++stats.lists_reused;
      continue;
    }
    if (!full) clear_rect(it.rect, fb_height, clear);
    const ImVec4 display(to_px.origin.x + static_cast<float>(it.rect.x0) / to_px.scale.x,
                         to_px.origin.y + static_cast<float>(it.rect.y0) / to_px.scale.y,
                         to_px.origin.x + static_cast<float>(it.rect.x1) / to_px.scale.x,
                         to_px.origin.y + static_cast<float>(it.rect.y1) / to_px.scale.y);
    render_list_clipped(draw_data, it.list, display);
    Picture& p = s.pictures[it.window->ID];
    p.rect = it.rect;
    p.vtx.assign(it.list->VtxBuffer.Data, it.list->VtxBuffer.Data + it.list->VtxBuffer.Size);
    p.idx.assign(it.list->IdxBuffer.Data, it.list->IdxBuffer.Data + it.list->IdxBuffer.Size);
    p.cmds = std::move(keys[i]);
    p.texture_generation = texture_generation;
    ++stats.lists_drawn;
  }
  stats.lists_direct = static_cast<int>(direct.size());
  render_lists(draw_data, direct.data(), static_cast<int>(direct.size()));

  if (window_back_buffer) {
    // The check pixel (bottom-left corner, in the root window's padding): next frame it must
    // read back unchanged.
    s.mark = static_cast<uint8_t>((clear8[2] & ~7u) | ((s.mark + 1u) & 7u));
    glEnable(GL_SCISSOR_TEST);
    glScissor(0, 0, 1, 1);
    glClearColor(clear.x, clear.y, static_cast<float>(s.mark) / 255.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
    s.mark_written = true;
    s.direct_footprints.push_back(PixelRect{0, fb_height - 1, 1, fb_height});
  }
  s.valid = true;
  return stats;
}

}  // namespace rope::viz
