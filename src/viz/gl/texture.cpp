#include "viz/gl/texture.h"

#include <utility>

namespace rope::viz::gl {
namespace {

struct Formats {
  GLint internal;
  GLenum format, type;
  int bytes_per_texel;
};

Formats formats(TextureFormat f) {
  return f == TextureFormat::kR32F ? Formats{GL_R32F, GL_RED, GL_FLOAT, 4} : Formats{GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, 4};
}

}  // namespace

int max_texture_size() {
  GLint n = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &n);
  return n;
}

Texture Texture::create(TextureFormat format, int width, int height, const void* data) {
  Texture t;
  const int limit = max_texture_size();
  if (width <= 0 || height <= 0 || width > limit || height > limit) return t;
  const Formats f = formats(format);
  GLint prev = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
  glGenTextures(1, &t.id_);
  glBindTexture(GL_TEXTURE_2D, t.id_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  GLint align = 4;
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &align);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);  // 4-byte texels: rows are always 4-aligned
  glTexImage2D(GL_TEXTURE_2D, 0, f.internal, width, height, 0, f.format, f.type, data);
  glPixelStorei(GL_UNPACK_ALIGNMENT, align);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev));
  t.width_ = width;
  t.height_ = height;
  t.format_ = format;
  return t;
}

Texture::~Texture() {
  if (id_ != 0) glDeleteTextures(1, &id_);
}
Texture::Texture(Texture&& o) noexcept
    : id_(std::exchange(o.id_, 0)), width_(std::exchange(o.width_, 0)), height_(std::exchange(o.height_, 0)), format_(o.format_) {}
Texture& Texture::operator=(Texture&& o) noexcept {
  if (this != &o) {
    if (id_ != 0) glDeleteTextures(1, &id_);
    id_ = std::exchange(o.id_, 0);
    width_ = std::exchange(o.width_, 0);
    height_ = std::exchange(o.height_, 0);
    format_ = o.format_;
  }
  return *this;
}

void Texture::upload(const void* data) { upload_region(0, 0, width_, height_, data); }

void Texture::upload_region(int x, int y, int w, int h, const void* data) {
  if (id_ == 0 || data == nullptr || w <= 0 || h <= 0) return;
  const Formats f = formats(format_);
  GLint prev = 0, align = 4;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
  glGetIntegerv(GL_UNPACK_ALIGNMENT, &align);
  glBindTexture(GL_TEXTURE_2D, id_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexSubImage2D(GL_TEXTURE_2D, 0, x, y, w, h, f.format, f.type, data);
  glPixelStorei(GL_UNPACK_ALIGNMENT, align);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev));
}

void Texture::set_filter(GLint min_filter, GLint mag_filter) {
  if (id_ == 0) return;
  GLint prev = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
  glBindTexture(GL_TEXTURE_2D, id_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, min_filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, mag_filter);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev));
}

void Texture::generate_mipmaps() {
  if (id_ == 0) return;
  GLint prev = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev);
  glBindTexture(GL_TEXTURE_2D, id_);
  glGenerateMipmap(GL_TEXTURE_2D);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev));
}

void Texture::bind(int unit) const {
  glActiveTexture(GL_TEXTURE0 + static_cast<GLenum>(unit));
  glBindTexture(GL_TEXTURE_2D, id_);
}

}  // namespace rope::viz::gl
