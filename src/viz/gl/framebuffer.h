#pragma once
// RAII framebuffer with one RGBA8 colour texture, for offscreen rendering and read-back.
#include <cstdint>
#include <string>
#include <vector>

#include "viz/gl/gl.h"
#include "viz/gl/texture.h"

namespace rope::viz::gl {

class Framebuffer {
 public:
  Framebuffer() = default;
  // Creates a width x height framebuffer with an RGBA8 colour texture. Invalid on failure,
  // with the reason in *error.
  static Framebuffer create(int width, int height, std::string* error = nullptr);
  ~Framebuffer();
  Framebuffer(Framebuffer&& other) noexcept;
  Framebuffer& operator=(Framebuffer&& other) noexcept;
  Framebuffer(const Framebuffer&) = delete;
  Framebuffer& operator=(const Framebuffer&) = delete;

  // Binds it as GL_FRAMEBUFFER and sets the viewport to its size.
  void bind() const;
  bool valid() const { return id_ != 0; }
  GLuint id() const { return id_; }
  const Texture& color() const { return color_; }
  Texture& color() { return color_; }
  int width() const { return color_.width(); }
  int height() const { return color_.height(); }

  // RGBA8 pixels of the colour texture, width * height * 4 bytes, in GL order (first row is
  // y = 0, the bottom of a window-style image; pass flip_rows to write_png for a PNG).
  std::vector<uint8_t> read_rgba() const;

 private:
  GLuint id_ = 0;
  Texture color_;
};

// glReadPixels of the currently bound read framebuffer, RGBA8, GL order (bottom row first).
std::vector<uint8_t> read_pixels_rgba(int x, int y, int width, int height);

}  // namespace rope::viz::gl
