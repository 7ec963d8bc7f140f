#include "viz/gl/framebuffer.h"

#include <utility>

namespace rope::viz::gl {

Framebuffer Framebuffer::create(int width, int height, std::string* error) {
  Framebuffer fb;
  fb.color_ = Texture::create(TextureFormat::kRGBA8, width, height, nullptr);
  if (!fb.color_.valid()) {
    if (error) {
      *error = "framebuffer " + std::to_string(width) + "x" + std::to_string(height) +
               " exceeds GL_MAX_TEXTURE_SIZE " + std::to_string(max_texture_size()) + " or is empty";
    }
    return Framebuffer();
  }
  GLint prev = 0;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev);
  glGenFramebuffers(1, &fb.id_);
  glBindFramebuffer(GL_FRAMEBUFFER, fb.id_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, fb.color_.id(), 0);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(prev));
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    if (error) *error = "framebuffer incomplete (status " + std::to_string(status) + ")";
    return Framebuffer();
  }
  return fb;
}

Framebuffer::~Framebuffer() {
  if (id_ != 0) glDeleteFramebuffers(1, &id_);
}
Framebuffer::Framebuffer(Framebuffer&& o) noexcept : id_(std::exchange(o.id_, 0)), color_(std::move(o.color_)) {}
Framebuffer& Framebuffer::operator=(Framebuffer&& o) noexcept {
  if (this != &o) {
    if (id_ != 0) glDeleteFramebuffers(1, &id_);
    id_ = std::exchange(o.id_, 0);
    color_ = std::move(o.color_);
  }
  return *this;
}

void Framebuffer::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, id_);
  glViewport(0, 0, width(), height());
}

std::vector<uint8_t> read_pixels_rgba(int x, int y, int width, int height) {
  std::vector<uint8_t> out(static_cast<size_t>(std::max(width, 0)) * static_cast<size_t>(std::max(height, 0)) * 4);
  if (out.empty()) return out;
  GLint align = 4;
  glGetIntegerv(GL_PACK_ALIGNMENT, &align);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(x, y, width, height, GL_RGBA, GL_UNSIGNED_BYTE, out.data());
  glPixelStorei(GL_PACK_ALIGNMENT, align);
  return out;
}

std::vector<uint8_t> Framebuffer::read_rgba() const {
  if (id_ == 0) return {};
  GLint prev = 0;
  glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &prev);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, id_);
  std::vector<uint8_t> out = read_pixels_rgba(0, 0, width(), height());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(prev));
  return out;
}

}  // namespace rope::viz::gl
