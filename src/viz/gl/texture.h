#pragma once
// RAII 2-D textures: R32F (float data, no normalisation) and RGBA8. Rows are uploaded in
// memory order, so texel row y = data row y (row 0 at t = 0).
#include <cstdint>

#include "viz/gl/gl.h"

namespace rope::viz::gl {

enum class TextureFormat { kR32F, kRGBA8 };

class Texture {
 public:
  Texture() = default;
  // Allocates width x height texels and uploads `data` if not null (float* for kR32F,
  // uint8_t* RGBA for kRGBA8, tightly packed). Filtering defaults to GL_NEAREST, wrap to
  // CLAMP_TO_EDGE. Invalid (valid() false) if the size exceeds GL_MAX_TEXTURE_SIZE or is <= 0.
  static Texture create(TextureFormat format, int width, int height, const void* data = nullptr);
  ~Texture();
  Texture(Texture&& other) noexcept;
  Texture& operator=(Texture&& other) noexcept;
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;

  // Replaces all texels (same size and format).
  void upload(const void* data);
  // Replaces the rectangle [x, x + w) x [y, y + h).
  void upload_region(int x, int y, int w, int h, const void* data);
  void set_filter(GLint min_filter, GLint mag_filter);
  void generate_mipmaps();
  void bind(int unit) const;

  bool valid() const { return id_ != 0; }
  GLuint id() const { return id_; }
  int width() const { return width_; }
  int height() const { return height_; }
  TextureFormat format() const { return format_; }

 private:
  GLuint id_ = 0;
  int width_ = 0, height_ = 0;
  TextureFormat format_ = TextureFormat::kRGBA8;
};

// GL_MAX_TEXTURE_SIZE of the current context.
int max_texture_size();

}  // namespace rope::viz::gl
