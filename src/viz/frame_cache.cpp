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

#include "viz/context.h"
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

// What a list looked like when it was last drawn, and where: its place (a child window's
// rectangle, or the footprint of any other list) and the footprint of its triangles then.
struct Picture {
  PixelRect rect;
  PixelRect drawn;
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

// v truncated toward zero as a C++ conversion does (after clamping it far outside any
// framebuffer, where the conversion would be undefined).
int truncate_to_int(float v) { return static_cast<int>(std::clamp(v, -1.0e9f, 1.0e9f)); }

// The pixels imgui_impl_opengl3 (1.86, ImGui_ImplOpenGL3_RenderDrawData) lets a command with
// this clip rectangle draw: it truncates the scissor's origin and its size, bottom up, so a clip
// rectangle with fractional edges covers pixels that neither the floor nor the ceiling of its
// edges give (left 10.5, right 20.4: columns 10..18). Top-left origin.
PixelRect backend_scissor(const ImVec4& clip, const ToPixels& to_px) {
  const float x0 = (clip.x - to_px.origin.x) * to_px.scale.x, y0 = (clip.y - to_px.origin.y) * to_px.scale.y;
  const float x1 = (clip.z - to_px.origin.x) * to_px.scale.x, y1 = (clip.w - to_px.origin.y) * to_px.scale.y;
  if (x1 <= x0 || y1 <= y0) return {};
  const int left = truncate_to_int(x0), bottom = truncate_to_int(static_cast<float>(to_px.height) - y1);
  const int width = truncate_to_int(x1 - x0), height = truncate_to_int(y1 - y0);
  return PixelRect{left, to_px.height - bottom - height, left + width, to_px.height - bottom};
}

// A clip rectangle (display coordinates) for which imgui_impl_opengl3 sets exactly the scissor
// of the pixels r: its edges sit a quarter to a half pixel inside the truncations above, so that
// float rounding of the display-to-pixel conversion cannot move them by a pixel.
ImVec4 clip_for_scissor(const PixelRect& r, const ToPixels& to_px) {
  if (r.empty()) return ImVec4(0.0f, 0.0f, 0.0f, 0.0f);  // nothing: the backend skips the command
  const auto display = [&](float px, int axis) {
    return axis == 0 ? to_px.origin.x + px / to_px.scale.x : to_px.origin.y + px / to_px.scale.y;
  };
  const auto f = [](int v) { return static_cast<float>(v); };
  return ImVec4(display(f(r.x0) + 0.25f, 0), display(f(r.y0) - 0.5f, 1), display(f(r.x1) + 0.5f, 0),
                display(f(r.y1) - 0.25f, 1));
}

// Renders the given lists so that each command draws the pixels it draws in a whole frame that
// lie inside `rect`, and nothing else. (Narrowing the clip rectangles to `rect` in display
// coordinates is not that: a command whose clip rectangle starts at a fractional x then loses
// the last column of `rect`, and one that starts at a fractional y its first row, because the
// backend truncates the scissor's size.)
void render_lists_clipped(const ImDrawData* draw_data, std::vector<ImDrawList*>& lists, const PixelRect& rect,
                          const ToPixels& to_px) {
  std::vector<ImVec4> saved;
  for (ImDrawList* list : lists) {
    for (ImDrawCmd& c : list->CmdBuffer) {
      saved.push_back(c.ClipRect);
      const PixelRect s = backend_scissor(c.ClipRect, to_px);
      const PixelRect in{std::max(s.x0, rect.x0), std::max(s.y0, rect.y0), std::min(s.x1, rect.x1), std::min(s.y1, rect.y1)};
      c.ClipRect = clip_for_scissor(in, to_px);
    }
  }
  render_lists(draw_data, lists.data(), static_cast<int>(lists.size()));
  size_t k = 0;
  for (ImDrawList* list : lists)
    for (ImDrawCmd& c : list->CmdBuffer) c.ClipRect = saved[k++];
}

int64_t area(const PixelRect& r) { return r.empty() ? 0 : int64_t{r.x1 - r.x0} * (r.y1 - r.y0); }

// Merges rectangles that overlap into their bounding box where it is no larger than the two
// together, until no such pair is left. (Overlapping places drawn one after the other give the
// same picture; merging saves a pass where it costs no pixels.)
void merge_overlapping(std::vector<PixelRect>& rects) {
  std::erase_if(rects, [](const PixelRect& r) { return r.empty(); });
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < rects.size() && !merged; ++i) {
      for (size_t j = i + 1; j < rects.size(); ++j) {
        if (!rects[i].overlaps(rects[j])) continue;
        const PixelRect box{std::min(rects[i].x0, rects[j].x0), std::min(rects[i].y0, rects[j].y0),
                            std::max(rects[i].x1, rects[j].x1), std::max(rects[i].y1, rects[j].y1)};
        if (area(box) > area(rects[i]) + area(rects[j])) continue;
        rects[i] = box;
        rects.erase(rects.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
        break;
      }
    }
  }
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
    stats.lists_changed = draw_data->CmdListsCount;
    return stats;
  }
  if (full) s.pictures.clear();
  s.width = fb_width;
  s.height = fb_height;
  s.font = font;
  s.clear = clear;
  stats.full = full;

  // Where each list draws: a child window (not a popup, tooltip or menu) inside its rectangle
  // (plus a pixel for its border's fringe); any other list (the root window, tooltips, popups)
  // inside the footprint of its triangles.
  const ToPixels to_px{draw_data->DisplayPos, draw_data->FramebufferScale, fb_width, fb_height};
  struct Item {
    ImDrawList* list;
    ImGuiID key = 0;
    PixelRect rect;
  };
  std::vector<Item> items;
  items.reserve(static_cast<size_t>(draw_data->CmdListsCount));
  constexpr ImGuiWindowFlags kOverlays =
      ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_ChildMenu | ImGuiWindowFlags_Modal;
  for (int i = 0; i < draw_data->CmdListsCount; ++i) {
    Item it{draw_data->CmdLists[i], 0, {}};
    ImGuiWindow* window = nullptr;
    for (ImGuiWindow* w : g->Windows) {
      if (w->DrawList == it.list) {
        window = w;
        break;
      }
    }
    it.key = window ? window->ID : static_cast<ImGuiID>(reinterpret_cast<uintptr_t>(it.list));
    if (window && (window->Flags & ImGuiWindowFlags_ChildWindow) && !(window->Flags & kOverlays)) {
      const ImVec2 a = window->Pos;
      it.rect = to_px(a.x, a.y, a.x + window->Size.x, a.y + window->Size.y, 1);
    } else {
      it.rect = footprint(*it.list, to_px);
    }
    items.push_back(it);
  }

  // What changed since last frame: where its triangles were and are is dirty, and so is where
  // the triangles of lists that are gone were.
  std::vector<PixelRect> dirty;
  if (window_back_buffer && s.mark_written) dirty.push_back(PixelRect{0, fb_height - 1, 1, fb_height});
  std::vector<char> changed(items.size(), 0);
  for (auto& [id, picture] : s.pictures) picture.seen = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    auto [found, inserted] = s.pictures.try_emplace(it.key);
    Picture& p = found->second;
    p.seen = true;
    bool recoloured = false, callbacks = false;
    std::vector<CmdKey> keys;
    keys.reserve(static_cast<size_t>(it.list->CmdBuffer.Size));
    for (const ImDrawCmd& c : it.list->CmdBuffer) {
      // A texture other than the font atlas whose pixels changed since the list was drawn.
      recoloured = recoloured || (c.TextureId != font && p.texture_generation != texture_generation &&
                                  texture_changed_at(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(c.TextureId))) >
                                      p.texture_generation);
      callbacks = callbacks || c.UserCallback != nullptr;  // they may draw anything: every frame
      keys.push_back(CmdKey{c.ClipRect, c.TextureId, c.VtxOffset, c.IdxOffset, c.ElemCount});
    }
    changed[i] = full || inserted || callbacks || recoloured || p.rect != it.rect || p.cmds != keys ||
                 !same_buffer(p.vtx, it.list->VtxBuffer) || !same_buffer(p.idx, it.list->IdxBuffer);
    if (!changed[i]) continue;
    // Where its pixels change: where its triangles were and where they are (within a child
    // window's rectangle, often much less: a line of text that changes in an empty panel).
    const PixelRect drawn = footprint(*it.list, to_px);
    if (!inserted) dirty.push_back(p.drawn);
    dirty.push_back(drawn);
    p.rect = it.rect;
    p.drawn = drawn;
    p.vtx.assign(it.list->VtxBuffer.Data, it.list->VtxBuffer.Data + it.list->VtxBuffer.Size);
    p.idx.assign(it.list->IdxBuffer.Data, it.list->IdxBuffer.Data + it.list->IdxBuffer.Size);
    p.cmds = std::move(keys);
    p.texture_generation = texture_generation;
  }
  for (auto it = s.pictures.begin(); it != s.pictures.end();) {
    if (it->second.seen) {
      ++it;
    } else {
      dirty.push_back(it->second.drawn);
      it = s.pictures.erase(it);
    }
  }

  // Draw: everything when full; otherwise each dirty place is cleared and every list that
  // reaches into it is drawn again there, clipped to it, in draw order.
  std::vector<char> drawn(items.size(), 0);
  if (full) {
    render_draw_data_direct(draw_data, fb_width, fb_height, clear);
    std::fill(drawn.begin(), drawn.end(), 1);
  } else {
    merge_overlapping(dirty);
    std::vector<ImDrawList*> lists;
    for (const PixelRect& d : dirty) {
      clear_rect(d, fb_height, clear);
      stats.pixels_cleared += area(d);
      lists.clear();
      for (size_t i = 0; i < items.size(); ++i) {
        if (!items[i].rect.overlaps(d)) continue;
        lists.push_back(items[i].list);
        drawn[i] = 1;
      }
      render_lists_clipped(draw_data, lists, d, to_px);
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (changed[i]) ++stats.lists_changed;
    else if (drawn[i]) ++stats.lists_clipped;
    else ++stats.lists_reused;
  }

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
