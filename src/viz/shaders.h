#pragma once
// GLSL sources from shaders/*.glsl, embedded into the binary at build time (src/viz/CMakeLists.txt
// generates shaders_embedded.cpp), so nothing depends on the working directory.
#include <string_view>

namespace rope::viz {

// Source of shaders/<name> (e.g. "heatmap.frag.glsl"); empty if there is no such shader.
std::string_view shader_source(std::string_view name);

}  // namespace rope::viz
