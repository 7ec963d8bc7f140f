#pragma once
// The one GL loader of ropescope: libepoxy. Include this instead of any other GL header.
// Epoxy resolves entry points lazily against the current context, so no init call is needed.
#include <epoxy/gl.h>

#include <string>

namespace rope::viz::gl {

// "GL_INVALID_ENUM" etc.
std::string error_name(GLenum error);

// Drains glGetError; in debug builds (NDEBUG undefined) returns a message naming `where` and the
// errors, in release builds returns "" without calling glGetError.
std::string check_errors(const char* where);

// "3.3 (Core Profile) Mesa ..." of the current context.
std::string version_string();

// Saves and restores the GL state an offscreen pass touches: framebuffer bindings, viewport,
// program, vertex array, active texture unit and the 2-D texture of units 0 and 1, blend,
// scissor, depth and cull enables, unpack/pack alignment.
class StateGuard {
 public:
  StateGuard();
  ~StateGuard();
  StateGuard(const StateGuard&) = delete;
  StateGuard& operator=(const StateGuard&) = delete;

 private:
  GLint draw_fbo_ = 0, read_fbo_ = 0, viewport_[4] = {}, program_ = 0, vao_ = 0, active_texture_ = 0;
  GLint texture0_ = 0, texture1_ = 0, unpack_alignment_ = 4, pack_alignment_ = 4;
  GLboolean blend_ = GL_FALSE, scissor_ = GL_FALSE, depth_ = GL_FALSE, cull_ = GL_FALSE;
};

}  // namespace rope::viz::gl
