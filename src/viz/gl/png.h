#pragma once
// PNG output with stb_image_write (Debian libstb).
#include <cstdint>
#include <string>

namespace rope::viz::gl {

// Writes width x height RGBA8 pixels to `path`. flip_rows: the first row of `rgba` is the
// bottom of the image (glReadPixels order). Returns false with a message in *error on failure.
bool write_png(const std::string& path, int width, int height, const uint8_t* rgba, bool flip_rows,
               std::string* error = nullptr);

}  // namespace rope::viz::gl
