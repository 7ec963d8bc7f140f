// Colormap LUTs from published anchor points.
//
// Sequential maps: entries 0, 16, 32, ..., 240, 255 of the 256-entry tables of matplotlib's
// _cm_listed.py (viridis, magma, inferno: van der Walt & Smith, CC0) and entries 0, 8, ..., 248,
// 255 of cividis (Nuñez, Anderton & Renslow 2018), linearly interpolated between anchors.
// Diverging maps: ColorBrewer RdBu (11 classes, reversed: blue = negative) and Moreland's
// coolwarm, generated from its two end colours by his Msh interpolation (Moreland 2009,
// "Diverging Color Maps for Scientific Visualization").
#include "viz/colormap.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rope::viz {
namespace {

struct Anchor {
  int index;  // position in the 256-entry table (t = index / 255)
  float r, g, b;
};

constexpr Anchor kViridis[] = {
    {0, 0.267004f, 0.004874f, 0.329415f},   {16, 0.282327f, 0.094955f, 0.417331f},
    {32, 0.278826f, 0.175490f, 0.483397f},  {48, 0.258965f, 0.251537f, 0.524736f},
    {64, 0.229739f, 0.322361f, 0.545706f},  {80, 0.199430f, 0.387607f, 0.554642f},
    {96, 0.172719f, 0.448791f, 0.557885f},  {112, 0.149039f, 0.508051f, 0.557250f},
    {128, 0.127568f, 0.566949f, 0.550556f}, {144, 0.120638f, 0.625828f, 0.533488f},
    {160, 0.157851f, 0.683765f, 0.501686f}, {176, 0.246070f, 0.738910f, 0.452024f},
    {192, 0.369214f, 0.788888f, 0.382914f}, {208, 0.515992f, 0.831158f, 0.294279f},
    {224, 0.678489f, 0.863742f, 0.189503f}, {240, 0.845561f, 0.887322f, 0.099702f},
    {255, 0.993248f, 0.906157f, 0.143936f},
};

constexpr Anchor kMagma[] = {
    {0, 0.001462f, 0.000466f, 0.013866f},   {16, 0.039608f, 0.031090f, 0.133515f},
    {32, 0.113094f, 0.065492f, 0.276784f},  {48, 0.211718f, 0.061992f, 0.418647f},
    {64, 0.316654f, 0.071690f, 0.485380f},  {80, 0.414709f, 0.110431f, 0.504662f},
    {96, 0.512831f, 0.148179f, 0.507648f},  {112, 0.613617f, 0.181811f, 0.498536f},
    {128, 0.716387f, 0.214982f, 0.475290f}, {144, 0.816914f, 0.255895f, 0.436461f},
    {160, 0.904281f, 0.319610f, 0.388137f}, {176, 0.960949f, 0.418323f, 0.359630f},
    {192, 0.986700f, 0.535582f, 0.382210f}, {208, 0.996096f, 0.653659f, 0.446213f},
    {224, 0.996898f, 0.769591f, 0.534892f}, {240, 0.992440f, 0.884330f, 0.640099f},
    {255, 0.987053f, 0.991438f, 0.749504f},
};

constexpr Anchor kInferno[] = {
    {0, 0.001462f, 0.000466f, 0.013866f},   {16, 0.042253f, 0.028139f, 0.141141f},
    {32, 0.129285f, 0.047293f, 0.290788f},  {48, 0.238273f, 0.036621f, 0.396353f},
    {64, 0.341500f, 0.062325f, 0.429425f},  {80, 0.441207f, 0.099338f, 0.431594f},
    {96, 0.540920f, 0.134729f, 0.415123f},  {112, 0.640135f, 0.171438f, 0.381065f},
    {128, 0.735683f, 0.215906f, 0.330245f}, {144, 0.822386f, 0.275197f, 0.266085f},
    {160, 0.894305f, 0.353399f, 0.193584f}, {176, 0.946965f, 0.449191f, 0.115272f},
    {192, 0.978422f, 0.557937f, 0.034931f}, {208, 0.987874f, 0.675267f, 0.065257f},
    {224, 0.974638f, 0.797692f, 0.206332f}, {240, 0.947594f, 0.917399f, 0.410665f},
    {255, 0.988362f, 0.998364f, 0.644924f},
};

constexpr Anchor kCividis[] = {
    {0, 0.0000f, 0.1351f, 0.3048f},   {8, 0.0000f, 0.1579f, 0.3575f},   {16, 0.0000f, 0.1788f, 0.4148f},
    {24, 0.0179f, 0.1985f, 0.4412f},  {32, 0.1034f, 0.2204f, 0.4358f},  {40, 0.1543f, 0.2425f, 0.4301f},
    {48, 0.1951f, 0.2644f, 0.4259f},  {56, 0.2309f, 0.2861f, 0.4235f},  {64, 0.2637f, 0.3078f, 0.4228f},
    {72, 0.2947f, 0.3295f, 0.4237f},  {80, 0.3242f, 0.3513f, 0.4263f},  {88, 0.3529f, 0.3732f, 0.4302f},
    {96, 0.3808f, 0.3952f, 0.4357f},  {104, 0.4082f, 0.4174f, 0.4426f}, {112, 0.4352f, 0.4398f, 0.4511f},
    {120, 0.4616f, 0.4624f, 0.4620f}, {128, 0.4887f, 0.4853f, 0.4710f}, {136, 0.5179f, 0.5085f, 0.4727f},
    {144, 0.5478f, 0.5319f, 0.4717f}, {152, 0.5782f, 0.5557f, 0.4687f}, {160, 0.6091f, 0.5798f, 0.4636f},
    {168, 0.6404f, 0.6044f, 0.4568f}, {176, 0.6720f, 0.6293f, 0.4480f}, {184, 0.7040f, 0.6547f, 0.4371f},
    {192, 0.7365f, 0.6806f, 0.4240f}, {200, 0.7694f, 0.7070f, 0.4085f}, {208, 0.8027f, 0.7340f, 0.3902f},
    {216, 0.8364f, 0.7615f, 0.3687f}, {224, 0.8707f, 0.7896f, 0.3433f}, {232, 0.9056f, 0.8183f, 0.3129f},
    {240, 0.9411f, 0.8475f, 0.2758f}, {248, 0.9778f, 0.8773f, 0.2280f}, {255, 0.9957f, 0.9093f, 0.2178f},
};

// ColorBrewer RdBu, 11 classes, from blue (negative) through near-white to red (positive).
constexpr uint32_t kRdBuHex[] = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
                                 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f};

template <size_t N>
std::array<Rgb, kLutSize> lut_from_anchors(const Anchor (&anchors)[N]) {
  std::array<Rgb, kLutSize> out{};
  size_t k = 0;
  for (int i = 0; i < kLutSize; ++i) {
    while (k + 2 < N && anchors[k + 1].index < i) ++k;
    const Anchor& a = anchors[k];
    const Anchor& b = anchors[k + 1];
    const float f = std::clamp(static_cast<float>(i - a.index) / static_cast<float>(b.index - a.index), 0.0f, 1.0f);
    out[static_cast<size_t>(i)] = Rgb{a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
  }
  return out;
}

std::array<Rgb, kLutSize> lut_rdbu() {
  constexpr int n = static_cast<int>(std::size(kRdBuHex));
  std::array<Rgb, kLutSize> out{};
  for (int i = 0; i < kLutSize; ++i) {
    const double x = static_cast<double>(i) / (kLutSize - 1) * (n - 1);
    const int k = std::min(static_cast<int>(x), n - 2);
    const float f = static_cast<float>(x - k);
    auto ch = [](uint32_t hex, int shift) { return static_cast<float>((hex >> shift) & 0xffu) / 255.0f; };
    const uint32_t a = kRdBuHex[k], b = kRdBuHex[k + 1];
    out[static_cast<size_t>(i)] = Rgb{ch(a, 16) + (ch(b, 16) - ch(a, 16)) * f, ch(a, 8) + (ch(b, 8) - ch(a, 8)) * f,
                                      ch(a, 0) + (ch(b, 0) - ch(a, 0)) * f};
  }
  return out;
}

// --- Moreland's Msh diverging interpolation -----------------------------------------------
struct Vec3 {
  double x, y, z;
};
constexpr Vec3 kWhiteD65{0.95047, 1.0, 1.08883};

double srgb_to_linear(double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); }
double linear_to_srgb(double c) { return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055; }
double lab_f(double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; }
double lab_f_inv(double t) { return t > 0.20689 ? t * t * t : (t - 16.0 / 116.0) / 7.787; }

Vec3 rgb_to_msh(Vec3 rgb) {
  const double r = srgb_to_linear(rgb.x), g = srgb_to_linear(rgb.y), b = srgb_to_linear(rgb.z);
  const double x = 0.4124 * r + 0.3576 * g + 0.1805 * b;
  const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const double z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
  const double fx = lab_f(x / kWhiteD65.x), fy = lab_f(y / kWhiteD65.y), fz = lab_f(z / kWhiteD65.z);
  const double l = 116.0 * fy - 16.0, a = 500.0 * (fx - fy), bb = 200.0 * (fy - fz);
  const double m = std::sqrt(l * l + a * a + bb * bb);
  return Vec3{m, std::acos(l / m), std::atan2(bb, a)};
}

Vec3 msh_to_rgb(Vec3 msh) {
  const double l = msh.x * std::cos(msh.y);
  const double a = msh.x * std::sin(msh.y) * std::cos(msh.z);
  const double bb = msh.x * std::sin(msh.y) * std::sin(msh.z);
  const double fy = (l + 16.0) / 116.0, fx = fy + a / 500.0, fz = fy - bb / 200.0;
  const double x = kWhiteD65.x * lab_f_inv(fx), y = kWhiteD65.y * lab_f_inv(fy), z = kWhiteD65.z * lab_f_inv(fz);
  const double r = 3.2406 * x - 1.5372 * y - 0.4986 * z;
  const double g = -0.9689 * x + 1.8758 * y + 0.0415 * z;
  const double b = 0.0557 * x - 0.2040 * y + 1.0570 * z;
  auto out = [](double c) { return std::clamp(linear_to_srgb(std::clamp(c, 0.0, 1.0)), 0.0, 1.0); };
  return Vec3{out(r), out(g), out(b)};
}

double adjust_hue(Vec3 saturated, double m_unsat) {
  if (saturated.x >= m_unsat) return saturated.z;
  const double spin = saturated.y * std::sqrt(m_unsat * m_unsat - saturated.x * saturated.x) /
                      (saturated.x * std::sin(saturated.y));
  return saturated.z > -std::numbers::pi / 3.0 ? saturated.z + spin : saturated.z - spin;
}

Vec3 msh_interpolate(Vec3 c1, Vec3 c2, double t) {
  if (c1.y > 0.05 && c2.y > 0.05 && std::abs(c1.z - c2.z) > std::numbers::pi / 3.0) {
    const double mid = std::max({c1.x, c2.x, 88.0});
    if (t < 0.5) {
      c2 = Vec3{mid, 0.0, 0.0};
      t = 2.0 * t;
    } else {
      c1 = Vec3{mid, 0.0, 0.0};
      t = 2.0 * t - 1.0;
    }
  }
  if (c1.y < 0.05 && c2.y > 0.05) c1.z = adjust_hue(c2, c1.x);
  else if (c2.y < 0.05 && c1.y > 0.05) c2.z = adjust_hue(c1, c2.x);
  return Vec3{(1 - t) * c1.x + t * c2.x, (1 - t) * c1.y + t * c2.y, (1 - t) * c1.z + t * c2.z};
}

std::array<Rgb, kLutSize> lut_coolwarm() {
  const Vec3 blue = rgb_to_msh(Vec3{59.0 / 255.0, 76.0 / 255.0, 192.0 / 255.0});
  const Vec3 red = rgb_to_msh(Vec3{180.0 / 255.0, 4.0 / 255.0, 38.0 / 255.0});
  std::array<Rgb, kLutSize> out{};
  for (int i = 0; i < kLutSize; ++i) {
    const Vec3 c = msh_to_rgb(msh_interpolate(blue, red, static_cast<double>(i) / (kLutSize - 1)));
    out[static_cast<size_t>(i)] = Rgb{static_cast<float>(c.x), static_cast<float>(c.y), static_cast<float>(c.z)};
  }
  return out;
}

struct Tables {
  std::array<std::array<Rgb, kLutSize>, kNumColormaps> rgb;
  std::array<std::array<uint8_t, 4 * kLutSize>, kNumColormaps> rgba8;
  Tables() {
    rgb[static_cast<size_t>(Colormap::kViridis)] = lut_from_anchors(kViridis);
    rgb[static_cast<size_t>(Colormap::kMagma)] = lut_from_anchors(kMagma);
    rgb[static_cast<size_t>(Colormap::kInferno)] = lut_from_anchors(kInferno);
    rgb[static_cast<size_t>(Colormap::kCividis)] = lut_from_anchors(kCividis);
    rgb[static_cast<size_t>(Colormap::kRdBu)] = lut_rdbu();
    rgb[static_cast<size_t>(Colormap::kCoolwarm)] = lut_coolwarm();
    for (size_t m = 0; m < rgb.size(); ++m) {
      for (size_t i = 0; i < kLutSize; ++i) {
        auto to8 = [](float c) { return static_cast<uint8_t>(std::lround(std::clamp(c, 0.0f, 1.0f) * 255.0f)); };
        rgba8[m][4 * i + 0] = to8(rgb[m][i].r);
        rgba8[m][4 * i + 1] = to8(rgb[m][i].g);
        rgba8[m][4 * i + 2] = to8(rgb[m][i].b);
        rgba8[m][4 * i + 3] = 255;
      }
    }
  }
};

const Tables& tables() {
  static const Tables t;  // immutable, built once (thread-safe initialisation)
  return t;
}

constexpr Colormap kAll[] = {Colormap::kViridis, Colormap::kMagma, Colormap::kInferno,
                             Colormap::kCividis, Colormap::kRdBu,  Colormap::kCoolwarm};

size_t index_of(Colormap cmap) {
  const auto i = static_cast<size_t>(cmap);
  return i < static_cast<size_t>(kNumColormaps) ? i : 0;
}

}  // namespace

std::span<const Colormap> all_colormaps() { return kAll; }
std::span<const Colormap> sequential_colormaps() { return std::span<const Colormap>(kAll, 4); }
std::span<const Colormap> diverging_colormaps() { return std::span<const Colormap>(kAll + 4, 2); }

bool is_diverging(Colormap cmap) { return cmap == Colormap::kRdBu || cmap == Colormap::kCoolwarm; }

std::string_view to_string(Colormap cmap) {
  switch (cmap) {
    case Colormap::kViridis: return "viridis";
    case Colormap::kMagma: return "magma";
    case Colormap::kInferno: return "inferno";
    case Colormap::kCividis: return "cividis";
    case Colormap::kRdBu: return "rdbu";
    case Colormap::kCoolwarm: return "coolwarm";
  }
  return "viridis";
}

std::optional<Colormap> parse_colormap(std::string_view name) {
  for (Colormap c : kAll) {
    if (to_string(c) == name) return c;
  }
  if (name == "RdBu" || name == "RdBu_r") return Colormap::kRdBu;
  return std::nullopt;
}

const std::array<Rgb, kLutSize>& lut(Colormap cmap) { return tables().rgb[index_of(cmap)]; }
const std::array<uint8_t, 4 * kLutSize>& lut_rgba8(Colormap cmap) { return tables().rgba8[index_of(cmap)]; }

Rgb rgb(Colormap cmap, double t) {
  if (!(t >= 0.0)) t = 0.0;  // also NaN
  if (t > 1.0) t = 1.0;
  const auto& table = lut(cmap);
  const double x = t * (kLutSize - 1);
  const auto i = std::min(static_cast<size_t>(x), static_cast<size_t>(kLutSize - 2));
  const float f = static_cast<float>(x - static_cast<double>(i));
  const Rgb& a = table[i];
  const Rgb& b = table[i + 1];
  return Rgb{a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

uint32_t pack_rgba_u32(Rgb c, float alpha) {
  auto to8 = [](float v) { return static_cast<uint32_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  return to8(c.r) | (to8(c.g) << 8) | (to8(c.b) << 16) | (to8(alpha) << 24);
}

uint32_t rgba_u32(Colormap cmap, double t, float alpha) { return pack_rgba_u32(rgb(cmap, t), alpha); }

double relative_luminance(Rgb c) {
  return 0.2126 * srgb_to_linear(c.r) + 0.7152 * srgb_to_linear(c.g) + 0.0722 * srgb_to_linear(c.b);
}

double normalize_value(double value, double vmin, double vmax, bool log_scale) {
  if (std::isnan(value)) return 0.0;
  double t;
  if (log_scale) {
    const double lo = vmin > 0.0 ? vmin : 1e-30;
    const double hi = vmax > lo ? vmax : lo * 10.0;
    if (value <= lo) return 0.0;
    t = std::log(value / lo) / std::log(hi / lo);
  } else {
    const double span = vmax - vmin;
    if (!(std::abs(span) > 0.0)) return value >= vmax ? 1.0 : 0.0;
    t = (value - vmin) / span;
  }
  return std::clamp(t, 0.0, 1.0);
}

}  // namespace rope::viz
