#include "viz/gl/program.h"

#include <algorithm>
#include <string>
#include <utility>

namespace rope::viz::gl {
namespace {

std::string shader_log(GLuint id) {
  GLint len = 0;
  glGetShaderiv(id, GL_INFO_LOG_LENGTH, &len);
  std::string log(static_cast<size_t>(std::max(len, 1)), '\0');
  glGetShaderInfoLog(id, len, nullptr, log.data());
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

std::string program_log(GLuint id) {
  GLint len = 0;
  glGetProgramiv(id, GL_INFO_LOG_LENGTH, &len);
  std::string log(static_cast<size_t>(std::max(len, 1)), '\0');
  glGetProgramInfoLog(id, len, nullptr, log.data());
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

}  // namespace

Shader Shader::compile(GLenum type, std::string_view source, std::string* log, std::string_view name) {
  Shader s;
  const GLuint id = glCreateShader(type);
  if (id == 0) {
    if (log) *log = std::string(name) + ": glCreateShader failed";
    return s;
  }
  const char* src = source.data();
  const auto len = static_cast<GLint>(source.size());
  glShaderSource(id, 1, &src, &len);
  glCompileShader(id);
  GLint ok = GL_FALSE;
  glGetShaderiv(id, GL_COMPILE_STATUS, &ok);
  if (ok != GL_TRUE) {
    if (log) *log = std::string(name.empty() ? "shader" : name) + " failed to compile: " + shader_log(id);
    glDeleteShader(id);
    return s;
  }
  s.id_ = id;
  return s;
}

Shader::~Shader() {
  if (id_ != 0) glDeleteShader(id_);
}
Shader::Shader(Shader&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
Shader& Shader::operator=(Shader&& other) noexcept {
  if (this != &other) {
    if (id_ != 0) glDeleteShader(id_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Program Program::link(const Shader& vertex, const Shader& fragment, std::string* log, std::string_view name) {
  Program p;
  if (!vertex.valid() || !fragment.valid()) {
    if (log && log->empty()) *log = std::string(name) + ": cannot link an invalid shader";
    return p;
  }
  const GLuint id = glCreateProgram();
  glAttachShader(id, vertex.id());
  glAttachShader(id, fragment.id());
  glLinkProgram(id);
  GLint ok = GL_FALSE;
  glGetProgramiv(id, GL_LINK_STATUS, &ok);
  glDetachShader(id, vertex.id());
  glDetachShader(id, fragment.id());
  if (ok != GL_TRUE) {
    if (log) *log = std::string(name.empty() ? "program" : name) + " failed to link: " + program_log(id);
    glDeleteProgram(id);
    return p;
  }
  p.id_ = id;
  return p;
}

Program Program::build(std::string_view vertex_source, std::string_view fragment_source, std::string* log,
                       std::string_view name) {
  std::string local;
  std::string* out = log ? log : &local;
  const std::string n(name);
  Shader vs = Shader::compile(GL_VERTEX_SHADER, vertex_source, out, n + " (vertex)");
  if (!vs.valid()) return Program();
  Shader fs = Shader::compile(GL_FRAGMENT_SHADER, fragment_source, out, n + " (fragment)");
  if (!fs.valid()) return Program();
  return link(vs, fs, out, name);
}

Program::~Program() {
  if (id_ != 0) glDeleteProgram(id_);
}
Program::Program(Program&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
Program& Program::operator=(Program&& other) noexcept {
  if (this != &other) {
    if (id_ != 0) glDeleteProgram(id_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

}  // namespace rope::viz::gl
