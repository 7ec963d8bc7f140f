#pragma once
// RAII GL shader and program objects. Compile and link failures return an invalid object and
// the driver's log in `log` (never a crash); the caller shows it in the status line.
#include <string>
#include <string_view>

#include "viz/gl/gl.h"

namespace rope::viz::gl {

class Shader {
 public:
  Shader() = default;
  // Compiles `source` as a shader of `type` (GL_VERTEX_SHADER, GL_FRAGMENT_SHADER). On failure
  // the result is invalid and *log holds the compile log prefixed with `name`.
  static Shader compile(GLenum type, std::string_view source, std::string* log, std::string_view name = "");
  ~Shader();
  Shader(Shader&& other) noexcept;
  Shader& operator=(Shader&& other) noexcept;
  Shader(const Shader&) = delete;
  Shader& operator=(const Shader&) = delete;

  bool valid() const { return id_ != 0; }
  GLuint id() const { return id_; }

 private:
  GLuint id_ = 0;
};

class Program {
 public:
  Program() = default;
  // Compiles both stages and links them. On failure the result is invalid and *log explains.
  static Program build(std::string_view vertex_source, std::string_view fragment_source, std::string* log,
                       std::string_view name = "");
  static Program link(const Shader& vertex, const Shader& fragment, std::string* log, std::string_view name = "");
  ~Program();
  Program(Program&& other) noexcept;
  Program& operator=(Program&& other) noexcept;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  bool valid() const { return id_ != 0; }
  GLuint id() const { return id_; }
  void use() const { glUseProgram(id_); }
  GLint uniform(const char* name) const { return glGetUniformLocation(id_, name); }

 private:
  GLuint id_ = 0;
};

}  // namespace rope::viz::gl
