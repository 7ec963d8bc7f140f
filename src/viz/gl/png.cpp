#include "viz/gl/png.h"

#include <algorithm>
#include <vector>

#include <stb_image_write.h>  // implementation linked from Debian's libstb

namespace rope::viz::gl {

bool write_png(const std::string& path, int width, int height, const uint8_t* rgba, bool flip_rows, std::string* error) {
  if (width <= 0 || height <= 0 || rgba == nullptr) {
    if (error) *error = "write_png: empty image";
    return false;
  }
  const size_t stride = static_cast<size_t>(width) * 4;
  const uint8_t* pixels = rgba;
  std::vector<uint8_t> flipped;
  if (flip_rows) {
    flipped.resize(stride * static_cast<size_t>(height));
    for (int y = 0; y < height; ++y) {
      const uint8_t* src = rgba + stride * static_cast<size_t>(height - 1 - y);
      std::copy(src, src + stride, flipped.begin() + static_cast<std::ptrdiff_t>(stride * static_cast<size_t>(y)));
    }
    pixels = flipped.data();
  }
  if (stbi_write_png(path.c_str(), width, height, 4, pixels, static_cast<int>(stride)) == 0) {
    if (error) *error = "cannot write PNG " + path;
    return false;
  }
  return true;
}

}  // namespace rope::viz::gl
