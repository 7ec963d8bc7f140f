#pragma once
// Colormaps as 256-entry LUTs built from published anchor points with linear interpolation:
//   sequential: viridis, magma, inferno, cividis (matplotlib; van der Walt & Smith, Nuñez et al.),
//   diverging:  rdbu (ColorBrewer RdBu, reversed so negative = blue, 0 = near-white, positive = red),
//               coolwarm (Moreland 2009), both symmetric about t = 0.5.
// Pure (no ImGui, no GL); the GL heatmap uploads lut_rgba8() as a texture. Unit-tested in
// tests/viz/colormap_test.cpp.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rope::viz {

enum class Colormap { kViridis, kMagma, kInferno, kCividis, kRdBu, kCoolwarm };
inline constexpr int kNumColormaps = 6;
inline constexpr int kLutSize = 256;

struct Rgb {
  float r = 0.0f, g = 0.0f, b = 0.0f;  // sRGB components in [0, 1]
};

// All colormaps, in enum order (for UI combos), and the sequential / diverging subsets.
std::span<const Colormap> all_colormaps();
std::span<const Colormap> sequential_colormaps();
std::span<const Colormap> diverging_colormaps();

bool is_diverging(Colormap cmap);
std::string_view to_string(Colormap cmap);  // "viridis", "magma", "inferno", "cividis", "rdbu", "coolwarm"
std::optional<Colormap> parse_colormap(std::string_view name);

// Colour at t in [0, 1] (clamped; NaN -> 0), linearly interpolated between the 256 LUT entries.
Rgb rgb(Colormap cmap, double t);
// The same colour packed as ImGui's ImU32 (IM_COL32 layout: R in the lowest byte, A highest).
uint32_t rgba_u32(Colormap cmap, double t, float alpha = 1.0f);
uint32_t pack_rgba_u32(Rgb c, float alpha = 1.0f);

// The 256-entry LUT, entry i = colour at t = i / 255, as float RGB and as RGBA8 (A = 255),
// 4 * kLutSize bytes. Built once on first use; references stay valid for the program's life.
const std::array<Rgb, kLutSize>& lut(Colormap cmap);
const std::array<uint8_t, 4 * kLutSize>& lut_rgba8(Colormap cmap);

// WCAG relative luminance of an sRGB colour (for tests and for choosing readable text colours).
double relative_luminance(Rgb c);

// Maps a value to t in [0, 1] for a [vmin, vmax] range, linear or log10 (log: non-positive -> 0).
// Same formula as shaders/heatmap.frag.glsl; the colour bar and tooltips use it.
double normalize_value(double value, double vmin, double vmax, bool log_scale);

}  // namespace rope::viz
