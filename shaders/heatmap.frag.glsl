#version 330 core
// Colours a rows x cols matrix of floats: one fragment per cell (the target has the matrix's
// size, fragment (x, y) = column x, row y). value -> t over [vmin, vmax] (linear or log10) ->
// colormap LUT. NaN and -inf are masked. Same mapping as rope::viz::normalize_value.
uniform sampler2D u_values;   // R32F, cols x rows
uniform sampler2D u_luts;     // RGBA8, 256 x number of colormaps, one colormap per row
uniform int u_cmap;
uniform float u_vmin;
uniform float u_vmax;
uniform int u_log_scale;
uniform vec4 u_mask_color;

out vec4 frag_color;

void main() {
  float v = texelFetch(u_values, ivec2(gl_FragCoord.xy), 0).r;
  // Bit tests: robust even where the compiler assumes no NaN.
  uint bits = floatBitsToUint(v);
  bool is_nan = (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u;
  bool is_neg_inf = bits == 0xff800000u;
  if (is_nan || is_neg_inf) {
    frag_color = u_mask_color;
    return;
  }
  float t;
  if (u_log_scale != 0) {
    float lo = max(u_vmin, 1e-30);
    float hi = u_vmax > lo ? u_vmax : lo * 10.0;
    t = v <= lo ? 0.0 : log(v / lo) / log(hi / lo);
  } else {
    float span = u_vmax - u_vmin;
    t = span != 0.0 ? (v - u_vmin) / span : (v >= u_vmax ? 1.0 : 0.0);
  }
  t = clamp(t, 0.0, 1.0);
  // Nearest of the 256 LUT entries (neighbouring entries differ by under 1% per channel).
  frag_color = vec4(texelFetch(u_luts, ivec2(int(t * 255.0 + 0.5), u_cmap), 0).rgb, 1.0);
}
