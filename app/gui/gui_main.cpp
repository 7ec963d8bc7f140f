// The GUI front end: GLFW window, OpenGL 3.3 core (libepoxy), Dear ImGui 1.86 with the glfw and
// opengl3 backends, the frame loop, screenshots and headless rendering.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "viz/gl/gl.h"  // epoxy first: the one GL loader
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include "core/thread_pool.h"
#include "gui/app_state.h"
#include "gui/compute.h"
#include "gui/debug_options.h"
#include "gui/frame.h"
#include "gui/gui_entry.h"
#include "gui/session.h"
#include "gui/views.h"
#include "gui/settings.h"
#include "gui/worker.h"
#include "panels/pins.h"
#include "viz/context.h"
#include "viz/heatmap.h"
#include "viz/font.h"
#include "viz/frame_cache.h"
#include "viz/gl/framebuffer.h"
#include "viz/gl/png.h"
#include "viz/theme.h"

namespace rope::app {
namespace {

// Set by SIGINT/SIGTERM: the frame loop ends as if the window were closed, so settings are saved.
std::atomic<bool> g_stop_requested{false};
extern "C" void request_stop(int) { g_stop_requested.store(true); }

// Writes the settings when what would be saved changed, at most once a second, so a session
// that ends abruptly (killed, crashed, power lost) keeps the user's last edits.
class Autosave {
 public:
  // A first run (no file yet) is saved at the first tick; otherwise only changes are written.
  Autosave(const AppState& state, const Derived& derived)
      : last_(std::filesystem::exists(settings_path()) ? settings_to_json(state, derived) : std::string()) {}
  void tick(AppState& state, const Derived& derived, GLFWwindow* window) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < std::chrono::seconds(1)) return;
    last_check_ = now;
    glfwGetWindowPos(window, &state.ui.window_x, &state.ui.window_y);
    glfwGetWindowSize(window, &state.ui.window_width, &state.ui.window_height);
    std::string text = settings_to_json(state, derived);
    if (text == last_) return;
    std::string error;
    if (write_file_atomic(settings_path(), text, &error)) {
      last_ = std::move(text);
    } else if (error != last_error_) {
      std::fprintf(stderr, "ropescope: %s\n", error.c_str());
      last_error_ = error;
    }
  }

 private:
  std::string last_, last_error_;
  std::chrono::steady_clock::time_point last_check_ = std::chrono::steady_clock::now();
};

constexpr const char* kNoDisplay = "ropescope: cannot open a window: no X display (set DISPLAY or use xvfb-run -a)";
constexpr float kFixedDeltaTime = 1.0f / 60.0f;
// Frames drawn before the first one is shown: ImGui sizes auto-fitting windows in its first
// frame and settles them (scrollbars) in the next two, and a software rasteriser compiles each
// shader variant on its first draw. Only the last is shown, complete; the first buffer swap is
// also slow once (the X server's shared image is set up). Shown one by one, these were the
// slowest frames of a session (20-50 ms at 1920x1080 under llvmpipe) and the first was laid out
// wrong; this way the frame cache starts from a complete picture and the frames that follow draw
// only what changed.
constexpr int kPreparedFrames = 3;

// What the callbacks tell the frame loop since its last poll: files dropped on the window,
// whether an event arrived that an idle loop must draw (input, a resize), and whether a worker
// finished a result (set from worker threads).
struct WindowEvents {
  std::vector<std::string> dropped;
  std::atomic<bool> input{false};
  std::atomic<bool> result{false};
};

// Installed after glfwInit succeeded, so a missing display gives only the one-line message.
void on_glfw_error(int code, const char* description) {
  std::fprintf(stderr, "ropescope: GLFW error 0x%x: %s\n", code, description);
}

void wake(GLFWwindow* window) {
  if (auto* events = static_cast<WindowEvents*>(glfwGetWindowUserPointer(window))) events->input.store(true);
}

void on_drop(GLFWwindow* window, int count, const char** paths) {
  auto* events = static_cast<WindowEvents*>(glfwGetWindowUserPointer(window));
  if (!events) return;
  for (int i = 0; i < count; ++i) events->dropped.emplace_back(paths[i]);
  events->input.store(true);
}

// Every event the UI shows wakes an idle frame loop. Installed before the ImGui backend, which
// chains to the key, character, button, scroll, focus and cursor-enter callbacks found in place
// (imgui_impl_glfw 1.86 installs none for cursor motion, size, refresh or content scale).
void install_wake_callbacks(GLFWwindow* window) {
  glfwSetKeyCallback(window, [](GLFWwindow* w, int, int, int, int) { wake(w); });
  glfwSetCharCallback(window, [](GLFWwindow* w, unsigned int) { wake(w); });
  glfwSetMouseButtonCallback(window, [](GLFWwindow* w, int, int, int) { wake(w); });
  glfwSetScrollCallback(window, [](GLFWwindow* w, double, double) { wake(w); });
  glfwSetWindowFocusCallback(window, [](GLFWwindow* w, int) { wake(w); });
  glfwSetCursorEnterCallback(window, [](GLFWwindow* w, int) { wake(w); });
  glfwSetCursorPosCallback(window, [](GLFWwindow* w, double, double) { wake(w); });
  glfwSetFramebufferSizeCallback(window, [](GLFWwindow* w, int, int) { wake(w); });
  glfwSetWindowRefreshCallback(window, [](GLFWwindow* w) { wake(w); });
  glfwSetWindowContentScaleCallback(window, [](GLFWwindow* w, float, float) { wake(w); });
}

// Owns GLFW, the window, the ImGui context and its backends for one run.
class GuiHost {
 public:
  ~GuiHost() { shutdown(); }

  // Returns an exit code != 0 on failure (message already printed).
  int init(int width, int height, bool visible, bool vsync, const char* ini_path) {
    if (!glfwInit()) {
      std::fprintf(stderr, "%s\n", kNoDisplay);
      return 1;
    }
    glfw_ = true;
    glfwSetErrorCallback(on_glfw_error);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    window_ = glfwCreateWindow(width, height, "ropescope", nullptr, nullptr);
    if (!window_) {
      std::fprintf(stderr, "ropescope: cannot create an OpenGL 3.3 core window (is a GL driver installed?)\n");
      return 1;
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(vsync ? 1 : 0);
    glfwSetWindowUserPointer(window_, &events_);
    glfwSetDropCallback(window_, on_drop);
    install_wake_callbacks(window_);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    imgui_ = true;
    ini_path_ = ini_path ? ini_path : "";
    ImGui::GetIO().IniFilename = ini_path ? ini_path_.c_str() : nullptr;
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init("#version 330");
    backends_ = true;
    viz::set_gl_enabled(true);
    return 0;
  }

  float content_scale() const {
    float sx = 1.0f, sy = 1.0f;
    if (window_) glfwGetWindowContentScale(window_, &sx, &sy);
    return std::max(sx, sy);
  }

  void load_font(float size) {
    const viz::FontLoad load = viz::load_ui_font(size, content_scale());
    if (!load.error.empty()) std::fprintf(stderr, "ropescope: %s\n", load.error.c_str());
    viz::rebuild_font_texture();
  }

  void new_frame(bool fixed_dt, std::optional<ImVec2> display_size = std::nullopt) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    if (fixed_dt) io.DeltaTime = kFixedDeltaTime;
    if (display_size) {
      io.DisplaySize = *display_size;
      io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
    }
    ImGui::NewFrame();
  }

  // Renders the ImGui frame into the window's back buffer or into the bound framebuffer; through
  // `cache` when given (only the child windows that changed are rasterised again).
  viz::FrameCache::Stats render(const ImVec4& clear, bool to_window = true, viz::FrameCache* cache = nullptr) {
    ImGui::Render();
    int fb_w = 0, fb_h = 0;
    if (to_window) {
      glfwGetFramebufferSize(window_, &fb_w, &fb_h);
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
    } else {
      const ImGuiIO& io = ImGui::GetIO();
      fb_w = static_cast<int>(io.DisplaySize.x);
      fb_h = static_cast<int>(io.DisplaySize.y);
    }
    if (cache) return cache->render(ImGui::GetDrawData(), fb_w, fb_h, clear, viz::texture_generation(), to_window);
    viz::render_draw_data_direct(ImGui::GetDrawData(), fb_w, fb_h, clear);
    return {};
  }

  GLFWwindow* window() const { return window_; }
  WindowEvents& events() { return events_; }

  void shutdown() {
    if (backends_) {
      ImGui_ImplOpenGL3_Shutdown();
      ImGui_ImplGlfw_Shutdown();
      backends_ = false;
    }
    if (imgui_) {
      ImGui::DestroyContext();
      imgui_ = false;
    }
    viz::set_gl_enabled(false);
    if (window_) {
      glfwDestroyWindow(window_);
      window_ = nullptr;
    }
    if (glfw_) {
      glfwTerminate();
      glfw_ = false;
    }
  }

 private:
  GLFWwindow* window_ = nullptr;
  bool glfw_ = false, imgui_ = false, backends_ = false;
  std::string ini_path_;
  WindowEvents events_;
};

// The window background: the root window draws none (draw_frame), so the clear colour is its
// colour and no full-window quad is blended every frame.
ImVec4 clear_color() { return ImGui::GetStyle().Colors[ImGuiCol_WindowBg]; }

// Renders one frame of `draw` into an offscreen framebuffer of width x height and writes a PNG.
template <class DrawFn>
int render_offscreen_png(GuiHost& host, int width, int height, const std::string& path,
                         DrawFn&& draw) {
  std::string error;
  viz::gl::Framebuffer fbo = viz::gl::Framebuffer::create(width, height, &error);
  if (!fbo.valid()) {
    std::fprintf(stderr, "ropescope: cannot create a %dx%d framebuffer: %s\n", width, height, error.c_str());
    return 1;
  }
  host.new_frame(true, ImVec2(static_cast<float>(width), static_cast<float>(height)));
  draw();
  fbo.bind();
  host.render(clear_color(), false);
  glFinish();
  const std::vector<uint8_t> rgba = fbo.read_rgba();
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (!viz::gl::write_png(path, width, height, rgba.data(), true, &error)) {
    std::fprintf(stderr, "ropescope: cannot write %s: %s\n", path.c_str(), error.c_str());
    return 1;
  }
  return 0;
}

// ROPESCOPE_BENCH_LATENCY=N: N parameter changes, each timed from the change to the swap of the
// first frame that shows the updated heatmaps.
struct LatencyBench {
  int remaining = 0;
  bool change_pending = false;
  std::vector<double> samples;
};

void report_latency(std::vector<double> samples, int64_t seq_len) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  const double median = samples[samples.size() / 2];
  const double p95 = samples[std::min(samples.size() - 1, static_cast<size_t>(0.95 * samples.size()))];
  std::printf("heatmap latency (parameter change -> updated heatmaps on screen), seq_len %lld, %zu changes: "
              "median %.1f ms, p95 %.1f ms, max %.1f ms\n",
              static_cast<long long>(seq_len), samples.size(), median, p95, samples.back());
}

// ROPESCOPE_LOG_FRAMES=1: at exit, the UI thread's frame times (from polling events, after the
// wait for the frame's turn, to the buffer swap; frames that wait for results on purpose
// excluded), to check that it never waits for compute while a long-context view fills in.
// "before GL" is the part up to the draw lists (events, sync, panels, texture uploads); the rest
// is GL rendering and the swap. Every frame over 20 ms is also printed as it happens, with its
// part before GL.
void report_frame_times(const char* what, std::vector<double> samples) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  const double median = samples[samples.size() / 2];
  const double p95 = samples[std::min(samples.size() - 1, static_cast<size_t>(0.95 * samples.size()))];
  const auto over = std::count_if(samples.begin(), samples.end(), [](double ms) { return ms > 20.0; });
  std::fprintf(stderr, "ropescope: UI %s over %zu frames: median %.1f ms, p95 %.1f ms, max %.1f ms, %ld over 20 ms\n",
               what, samples.size(), median, p95, samples.back(), static_cast<long>(over));
}

// ROPESCOPE_DRAG_BASE=S: once the heatmaps are on screen, a scripted slider drag: the base grows
// by 0.2% every frame for S seconds, then rests until the refined picture of the last base is on
// screen. Reports the pictures of new parameters shown per second during the drag (and the
// longest wait for one), the frames over 20 ms, the UI thread's work before GL (p95, max), and the
// time from the release to the refined picture on screen; then the GUI exits.
struct DragBench {
  enum class Phase { kOff, kWait, kDrag, kRest };
  using Clock = std::chrono::steady_clock;
  Phase phase = Phase::kOff;
  double seconds = 0.0;
  Clock::time_point start{}, release{}, last_update{};
  const HeatmapResult* last_shown = nullptr;
  int updates = 0, coarse = 0;
  double longest_gap_ms = 0.0;
  std::vector<double> frame_ms, before_gl_ms, before_gl_cpu_ms, coarse_compute_ms;
  std::string shot_path;  // ROPESCOPE_DRAG_SHOT ("": none)
  bool shot_taken = false;
};

// CPU time of the calling thread (the UI thread's own work, whatever else runs on the machine).
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return 1e3 * static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_nsec);
}

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  return samples[std::min(samples.size() - 1, static_cast<size_t>(p * static_cast<double>(samples.size())))];
}

// Before the frame's sync: starts the drag once a refined picture is on screen, moves the base.
void drag_bench_step(DragBench& b, AppState& state, const Derived& derived) {
  const auto now = DragBench::Clock::now();
  if (b.phase == DragBench::Phase::kWait && derived.heatmaps && !derived.heatmaps->coarse &&
      !derived.heatmaps_pending && derived.heat_gl.uploaded == derived.heatmaps) {
    b.phase = DragBench::Phase::kDrag;
    b.start = b.last_update = now;
    b.last_shown = derived.heat_gl.uploaded.get();
  }
  if (b.phase != DragBench::Phase::kDrag) return;
  if (std::chrono::duration<double>(now - b.start).count() >= b.seconds) {
    b.phase = DragBench::Phase::kRest;
    b.release = now;
    return;
  }
  state.params.config.base *= 1.002;
}

// ROPESCOPE_DRAG_SHOT=file.png with ROPESCOPE_DRAG_BASE: the window as drawn by the drag's first
// frame that shows a coarse preview (read back before the swap).
void drag_bench_shot(DragBench& b, const Derived& derived, GLFWwindow* window) {
  if (b.shot_path.empty() || b.shot_taken || b.phase != DragBench::Phase::kDrag || !derived.heat_gl.uploaded ||
      !derived.heat_gl.uploaded->coarse)
    return;
  b.shot_taken = true;
  int w = 0, h = 0;
  glfwGetFramebufferSize(window, &w, &h);
  std::vector<uint8_t> rgba(static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  std::string error;
  if (!viz::gl::write_png(b.shot_path, w, h, rgba.data(), true, &error)) std::fprintf(stderr, "ropescope: %s\n", error.c_str());
}

// After the frame's swap (and glFinish): counts what reached the screen. Returns true when done.
bool drag_bench_shown(DragBench& b, const Derived& derived, double frame_ms, double before_gl_ms,
                      double before_gl_cpu_ms) {
  if (b.phase != DragBench::Phase::kDrag && b.phase != DragBench::Phase::kRest) return false;
  const auto now = DragBench::Clock::now();
  const HeatmapResult* shown = derived.heat_gl.uploaded.get();
  if (b.phase == DragBench::Phase::kDrag) {
    b.frame_ms.push_back(frame_ms);
    b.before_gl_ms.push_back(before_gl_ms);
    b.before_gl_cpu_ms.push_back(before_gl_cpu_ms);
    if (shown && shown != b.last_shown && (!b.last_shown || !(shown->key.config == b.last_shown->key.config))) {
      ++b.updates;
      if (shown->coarse) {
        ++b.coarse;
        b.coarse_compute_ms.push_back(shown->compute_ms);
      }
      b.longest_gap_ms = std::max(b.longest_gap_ms, std::chrono::duration<double, std::milli>(now - b.last_update).count());
      b.last_update = now;
    }
    b.last_shown = shown;
    return false;
  }
  if (!shown || shown->coarse || shown->partial || derived.heatmaps_pending || !derived.submitted_heat ||
      !(shown->key == *derived.submitted_heat))
    return false;
  const double drag_s = std::chrono::duration<double>(b.release - b.start).count();
  b.longest_gap_ms = std::max(b.longest_gap_ms, std::chrono::duration<double, std::milli>(b.release - b.last_update).count());
  const auto over = std::count_if(b.frame_ms.begin(), b.frame_ms.end(), [](double ms) { return ms > 20.0; });
  std::printf("drag (base x1.002 per frame, seq_len %lld, %.1f s, %zu frames): %d pictures of new parameters on "
              "screen (%.1f per second, %d coarse, median preview compute %.0f ms), longest wait %.0f ms; frames over 20 "
              "ms: %ld of %zu (p95 %.1f ms, "
              "max %.1f ms); UI work before GL p95 %.1f ms, max %.1f ms (its CPU time p95 %.1f ms, max %.1f ms); "
              "release to refined picture on screen %.0f ms\n",
              static_cast<long long>(shown->seq_len), drag_s, b.frame_ms.size(), b.updates,
              drag_s > 0.0 ? b.updates / drag_s : 0.0, b.coarse, percentile(b.coarse_compute_ms, 0.5), b.longest_gap_ms,
              static_cast<long>(over),
              b.frame_ms.size(), percentile(b.frame_ms, 0.95), percentile(b.frame_ms, 1.0),
              percentile(b.before_gl_ms, 0.95), percentile(b.before_gl_ms, 1.0), percentile(b.before_gl_cpu_ms, 0.95),
              percentile(b.before_gl_cpu_ms, 1.0),
              std::chrono::duration<double, std::milli>(now - b.release).count());
  std::fflush(stdout);
  return true;
}

// ROPESCOPE_HEAT_TOUR=1: once the heatmaps exist, a scripted interaction, one step per frame:
// 60 zoom steps (x1.1) about a point on the diagonal, 60 pan steps along it, 60 zoom-out steps
// (with ROPESCOPE_LOG_FRAMES, the UI frame times while every step asks for new cells).
viz::HeatmapView heat_tour_step(const viz::HeatmapView& v, int step, int64_t n) {
  const double anchor = 0.55 * static_cast<double>(n);
  if (step < 60) return viz::view_zoom(v, anchor, anchor, 1.1, n, n);
  if (step < 120) {
    viz::HeatmapView p = v;
    const double dx = 0.02 * (v.x1 - v.x0);
    p.x0 += dx;
    p.x1 += dx;
    p.y0 += dx;
    p.y1 += dx;
    return viz::view_clamp(p, n, n);
  }
  return viz::view_zoom(v, 0.5 * (v.x0 + v.x1), 0.5 * (v.y0 + v.y1), 1.0 / 1.1, n, n);
}

void release_gl(Derived& derived) {
  for (viz::Heatmap& hm : derived.heat_gl.maps) hm.release_gl();
  derived.heat_gl.uploaded.reset();
}

void apply_theme_if_changed(const AppState& state, viz::Theme& applied) {
  if (applied != state.ui.theme) {
    viz::apply_theme(state.ui.theme);
    applied = state.ui.theme;
  }
}

// What the frame loop and the screenshot run share, set up by run_gui.
struct GuiRun {
  GuiRun(AppState& s, Derived& d, GuiHost& h, Workers& w, const DebugOptions& o)
      : state(s), derived(d), host(h), workers(w), debug(o) {}
  AppState& state;
  Derived& derived;
  GuiHost& host;
  Workers& workers;
  const DebugOptions& debug;
  std::optional<viz::FrameCache> frame_cache;
  std::optional<viz::HeatmapView> heat_view;  // applied before the first request
  int heat_tour = -1;                         // next step of ROPESCOPE_HEAT_TOUR, -1 when off
  viz::Theme applied_theme = viz::Theme::kDark;
  float applied_scale = 1.0f;

  viz::FrameCache* cache() { return frame_cache ? &*frame_cache : nullptr; }

  // After glfwPollEvents: what it dispatched is handled by this frame; a result that finishes
  // from here on (read by sync_derived or not) wakes the next one. Then dropped files, a font or
  // content-scale change and the theme.
  void take_window_events() {
    WindowEvents& events = host.events();
    events.input.store(false);
    events.result.store(false);
    for (const std::string& path : events.dropped) {
      state.config_path_input = path;
      open_config_file(state, path);
    }
    events.dropped.clear();
    if (state.request_font_rebuild || host.content_scale() != applied_scale) {
      state.request_font_rebuild = false;
      applied_scale = host.content_scale();
      host.load_font(state.ui.font_size);
      if (frame_cache) frame_cache->invalidate();
    }
    apply_theme_if_changed(state, applied_theme);
  }

  // The zoom asked for (ROPESCOPE_HEAT_VIEW or the settings), before the first request, so the
  // whole matrix is never computed; then the tour's next step, if one runs.
  void step_heat_view(bool tour) {
    if (heat_view) {
      const int64_t n = heatmap_tokens(state.params.config);
      for (viz::Heatmap& hm : derived.heat_gl.maps) hm.set_logical_size(n, n);
      derived.heat_gl.shared_view = viz::view_clamp(*heat_view, n, n);
      heat_view.reset();
    }
    if (const int64_t n = heatmap_tokens(state.params.config);
        tour && heat_tour >= 0 && heat_tour < 180 && derived.heat_gl.maps[0].logical_rows() == n)
      derived.heat_gl.shared_view = heat_tour_step(derived.heat_gl.shared_view, heat_tour++, n);
  }

  // One frame drawn to the window (input, sync, panels, render, swap); the latency read-outs end
  // when the picture they wait for is on screen (the rasteriser finished the frame that shows it).
  viz::FrameCache::Stats draw_to_window(bool fixed_dt, DragBench* drag = nullptr) {
    host.new_frame(fixed_dt);
    handle_shortcuts(state);
    if (state.request_quit) glfwSetWindowShouldClose(host.window(), GLFW_TRUE);  // saved, as on close
    sync_derived(state, derived, workers);
    draw_frame(state, derived);
    drawn = std::chrono::steady_clock::now();
    drawn_cpu_ms = drag && drag->phase != DragBench::Phase::kOff ? thread_cpu_ms() : 0.0;
    const viz::FrameCache::Stats stats = host.render(clear_color(), true, cache());
    if (drag) drag_bench_shot(*drag, derived, host.window());
    glfwSwapBuffers(host.window());
    if (heatmaps_answer_open(derived)) {
      glFinish();
      note_heatmaps_on_screen(derived, std::chrono::steady_clock::now(), debug.log_latency);
    }
    return stats;
  }
  std::chrono::steady_clock::time_point drawn{};  // when the last frame's draw lists were done
  double drawn_cpu_ms = 0.0;
};

// --screenshot: `frames` frames with a fixed time step (the results waited for before the last
// two), the last one rendered offscreen and written as a PNG. No settings are written.
int run_screenshot(GuiRun& r, const GuiLaunch& launch) {
  const int frames = std::max(launch.frames, 3);
  for (int frame = 0; !glfwWindowShouldClose(r.host.window()) && !g_stop_requested.load(); ++frame) {
    glfwPollEvents();
    r.take_window_events();
    const bool waits = frame >= frames - 3 && frame < frames - 1;
    if (waits) wait_for_results(r.state, r.derived, r.workers);
    r.step_heat_view(!waits);
    if (frame == frames - 1) {
      int fb_w = 0, fb_h = 0;
      glfwGetFramebufferSize(r.host.window(), &fb_w, &fb_h);
      sync_derived(r.state, r.derived, r.workers);
      const int rc = render_offscreen_png(r.host, fb_w, fb_h, launch.screenshot_path, [&] {
        handle_shortcuts(r.state);
        draw_frame(r.state, r.derived);
      });
      if (rc == 0) std::fprintf(stderr, "ropescope: wrote %s (%dx%d)\n", launch.screenshot_path.c_str(), fb_w, fb_h);
      return rc;
    }
    r.draw_to_window(true);
  }
  return 0;
}

// The interactive frame loop: a frame at most once per refresh (sooner for a finished result,
// input wakes an idle loop), the measurement hooks of r.debug, autosave; until the window closes,
// SIGINT / SIGTERM, a benchmark ends or launch.frames frames were drawn.
void run_frame_loop(GuiRun& r, const GuiLaunch& launch, std::chrono::steady_clock::time_point window_start) {
  AppState& state = r.state;
  Derived& derived = r.derived;
  GuiHost& host = r.host;
  WindowEvents& events = host.events();
  const DebugOptions& debug = r.debug;
  // Frames start at most once per refresh, also where the swap does not wait for the display
  // (Xvfb, or a driver that ignores the swap interval): a spinning loop would take the CPU the
  // computation needs. A finished result starts one at once; input wakes an idle loop.
  const GLFWvidmode* mode = glfwGetVideoMode(glfwGetPrimaryMonitor());
  FrameTurn turn;
  const double refresh_interval = 1.0 / (mode && mode->refreshRate > 0 ? mode->refreshRate : 60);
  turn.interval = refresh_interval;
  double last_frame_seconds = 0.0;  // start to swap of the previous frame
  turn.idle_timeout = 0.1;  // an idle loop still draws 10 frames a second
  std::optional<std::chrono::steady_clock::time_point> last_frame_start;
  LatencyBench bench;
  bench.remaining = debug.bench_latency;
  DragBench drag;
  if (debug.drag_base_seconds > 0.0) {
    drag.seconds = debug.drag_base_seconds;
    drag.phase = DragBench::Phase::kWait;
    drag.shot_path = debug.drag_shot;
  }
  const bool log_frames = debug.log_frames;
  std::vector<double> frame_ms, before_gl_ms;
  viz::FrameCache::Stats cache_totals;
  int full_redraws = 0;
  Autosave autosave(state, derived);

  r.step_heat_view(false);
  for (int k = 0; k < kPreparedFrames; ++k) {
    glfwPollEvents();
    host.new_frame(false);
    sync_derived(state, derived, r.workers);
    draw_frame(state, derived);
    host.render(clear_color(), true, r.cache());
  }
  glfwSwapBuffers(host.window());
  if (log_frames)
    std::fprintf(stderr, "ropescope: first frame on screen %.1f ms after the window opened (%d frames laid out)\n",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - window_start).count(),
                 kPreparedFrames);
  for (int frame = 0; !glfwWindowShouldClose(host.window()) && !g_stop_requested.load(); ++frame) {
    // Wait for the next frame; events that arrive meanwhile are dispatched to the callbacks
    // (ImGui's and wake) and drawn by the frame that follows.
    turn.idle = !state.rotation.playing && !derived.decay_pending && !derived.heatmaps_pending;
    turn.interval = paced_interval(refresh_interval, last_frame_seconds, derived.heatmaps_pending);
    turn.paced = turn.interval > refresh_interval;
    for (;;) {
      turn.since_last_start = last_frame_start ? std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                                               *last_frame_start).count()
                                               : std::numeric_limits<double>::infinity();
      turn.input = events.input.load();
      turn.result = events.result.load();
      const double wait = frame_wait_seconds(turn);
      if (wait <= 0.0) break;
      glfwWaitEventsTimeout(wait);
    }
    const auto frame_start = std::chrono::steady_clock::now();
    const double frame_cpu_ms = drag.phase != DragBench::Phase::kOff ? thread_cpu_ms() : 0.0;
    last_frame_start = frame_start;
    glfwPollEvents();
    r.take_window_events();
    r.step_heat_view(true);
    if (bench.remaining > 0 && frame > 10 && !derived.heat_latency_open && !bench.change_pending) {
      // Hidden latency benchmark: nudge the base; the next update that reaches the screen ends it.
      state.params.config.base *= (bench.remaining % 2 == 0) ? 1.01 : 1.0 / 1.01;
      bench.change_pending = true;
    }
    drag_bench_step(drag, state, derived);
    const bool latency_open_before = derived.heat_latency_open;
    const viz::FrameCache::Stats drawn_lists = r.draw_to_window(false, &drag);
    last_frame_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - frame_start).count();
    const auto drawn = r.drawn;
    if (drag.phase != DragBench::Phase::kOff) {
      glFinish();  // the frame is on screen (the rasteriser finished it)
      const auto now = std::chrono::steady_clock::now();
      if (drag_bench_shown(drag, derived, std::chrono::duration<double, std::milli>(now - frame_start).count(),
                           std::chrono::duration<double, std::milli>(drawn - frame_start).count(),
                           r.drawn_cpu_ms - frame_cpu_ms))
        break;
    }
    if (log_frames) {
      cache_totals.lists_changed += drawn_lists.lists_changed;
      cache_totals.lists_clipped += drawn_lists.lists_clipped;
      cache_totals.lists_reused += drawn_lists.lists_reused;
      cache_totals.pixels_cleared += drawn_lists.pixels_cleared;
      full_redraws += drawn_lists.full ? 1 : 0;
      frame_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frame_start).count());
      before_gl_ms.push_back(std::chrono::duration<double, std::milli>(drawn - frame_start).count());
      if (frame_ms.back() > 20.0)
        std::fprintf(stderr, "ropescope: frame %d: %.1f ms before GL, %.1f ms in all (%d lists changed, %.2f Mpixel "
                     "drawn again)\n", frame, before_gl_ms.back(), frame_ms.back(), drawn_lists.lists_changed,
                     1e-6 * static_cast<double>(drawn_lists.pixels_cleared));
    }
    if (bench.change_pending && latency_open_before && !derived.heat_latency_open) {
      bench.samples.push_back(derived.last_heatmap_latency_ms);  // what the status bar says
      bench.change_pending = false;
      if (--bench.remaining == 0) {
        report_latency(bench.samples, state.params.config.seq_len);
        break;
      }
    }
    autosave.tick(state, derived, host.window());
    if (launch.frames > 0 && frame + 1 >= launch.frames) break;
  }
  if (log_frames) {
    report_frame_times("frame times", frame_ms);
    report_frame_times("frame times before GL", before_gl_ms);
    if (r.frame_cache && !frame_ms.empty())
      std::fprintf(stderr, "ropescope: frame cache over %zu frames: %d full redraws; lists %d changed, %d drawn again "
                   "where a change reached them, %d kept; %.1f Mpixel cleared and drawn again in all\n",
                   frame_ms.size(), full_redraws, cache_totals.lists_changed, cache_totals.lists_clipped,
                   cache_totals.lists_reused, 1e-6 * static_cast<double>(cache_totals.pixels_cleared));
  }
  glfwGetWindowPos(host.window(), &state.ui.window_x, &state.ui.window_y);
  glfwGetWindowSize(host.window(), &state.ui.window_width, &state.ui.window_height);
  std::string error;
  if (!save_settings(state, derived, settings_path(), &error)) std::fprintf(stderr, "ropescope: %s\n", error.c_str());
}

}  // namespace

int run_gui(const GuiLaunch& launch) {
  const DebugOptions debug = debug_options_from_env();  // the only read of the environment's hooks
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  core::ThreadPool::shared().set_worker_niceness(kComputeNiceness);  // as the workers below
  AppState state;
  const bool screenshot = !launch.screenshot_path.empty();
  const SettingsLoad loaded = load_settings(state);
  if (!loaded.error.empty()) {
    state.set_status(loaded.error, true);
    std::fprintf(stderr, "ropescope: %s\n", loaded.error.c_str());
    if (loaded.notes.size() > 1)
      for (const std::string& note : loaded.notes) std::fprintf(stderr, "ropescope:   ignored %s\n", note.c_str());
  }
  if (launch.config_from_cli) {
    // Explicit rope options win over the saved parameters; view preferences still come from the
    // settings file. (Screenshots start like the GUI; tests point ROPESCOPE_CONFIG_DIR elsewhere.)
    state.params.config = launch.config;
    set_source(state, "command line");
  }
  if (screenshot) state.rotation.playing = true;
  int width = launch.width > 0 ? launch.width : state.ui.window_width;
  int height = launch.height > 0 ? launch.height : state.ui.window_height;

  GuiHost host;
  const auto window_start = std::chrono::steady_clock::now();
  const std::string ini = imgui_ini_path().string();
  if (int rc = host.init(width, height, true, !screenshot, screenshot ? nullptr : ini.c_str()); rc != 0) return rc;
  if (!screenshot && launch.width <= 0 && (state.ui.window_x != 0 || state.ui.window_y != 0))
    glfwSetWindowPos(host.window(), state.ui.window_x, state.ui.window_y);

  viz::apply_theme(state.ui.theme);
  host.load_font(state.ui.font_size);

  Workers workers(kComputeNiceness);
  // A finished result wakes the frame loop when it waits (frame_wait_seconds in gui/worker.h).
  WindowEvents& events = host.events();
  const auto notify = [&events] {
    events.result.store(true);
    glfwPostEmptyEvent();
  };
  workers.decay.set_notify(notify);
  workers.heatmaps.set_notify(notify);
  Derived derived;
  if (debug.pins) apply_pins(state.exact, *debug.pins);
  GuiRun run(state, derived, host, workers, debug);
  run.heat_view = debug.heat_view ? debug.heat_view : saved_heat_view(state);
  run.heat_tour = debug.heat_tour ? 0 : -1;
  run.applied_theme = state.ui.theme;
  run.applied_scale = host.content_scale();
  // The frame cache where rasterising costs CPU (a software renderer); ROPESCOPE_NO_FRAME_CACHE=1
  // turns it off (to measure what it saves), ROPESCOPE_FRAME_CACHE=1 on for any driver.
  if (debug.frame_cache == DebugOptions::FrameCache::kOn ||
      (debug.frame_cache == DebugOptions::FrameCache::kAuto &&
       viz::software_renderer(reinterpret_cast<const char*>(glGetString(GL_RENDERER)))))
    run.frame_cache.emplace();
  viz::Heatmap::warm_up();
  int exit_code = 0;
  if (screenshot)
    exit_code = run_screenshot(run, launch);
  else
    run_frame_loop(run, launch, window_start);
  workers.decay.set_notify({});
  workers.heatmaps.set_notify({});
  release_gl(derived);
  host.shutdown();
  return exit_code;
}

int run_render(const RenderRequest& request) {
  std::optional<int> view;
  if (request.view != "all") {
    if (const int i = view_index(request.view); i >= 0) view = i;
    if (!view) {
      std::fprintf(stderr, "ropescope: unknown view '%s' (%s)\n", request.view.c_str(), view_keys_text().c_str());
      return 2;
    }
  }
  AppState state;
  state.params.config = request.config;
  set_source(state, "command line");
  state.rotation.playing = false;
  state.rotation.position = state.rotation.trace_length;
  GuiHost host;
  if (int rc = host.init(std::min(request.width, 640), std::min(request.height, 480), false, false, nullptr); rc != 0)
    return rc;
  viz::apply_theme(state.ui.theme);
  host.load_font(state.ui.font_size);
  Workers workers;
  Derived derived;
  sync_derived(state, derived, workers);
  if (!derived.has_valid) {
    std::fprintf(stderr, "ropescope: %s\n", state.status.c_str());
    return 2;
  }
  if (!wait_for_results(state, derived, workers)) {
    std::fprintf(stderr, "ropescope: computation did not finish in time\n");
    return 1;
  }
  FrameOptions options;
  options.only_view = view;
  const ImVec2 size(static_cast<float>(request.width), static_cast<float>(request.height));
  // Warm-up frames: layout settles (the heatmaps ask for the resolution they are shown at and
  // get it computed), textures upload, then the frame that is saved.
  for (int i = 0; i < 4; ++i) {
    host.new_frame(true, size);
    sync_derived(state, derived, workers);
    draw_frame(state, derived, options);
    ImGui::Render();
    if (!wait_for_results(state, derived, workers)) {
      std::fprintf(stderr, "ropescope: computation did not finish in time\n");
      return 1;
    }
  }
  int rc = render_offscreen_png(host, request.width, request.height, request.png_path,
                                [&] { draw_frame(state, derived, options); });
  if (rc == 0) std::fprintf(stderr, "ropescope: wrote %s (%dx%d)\n", request.png_path.c_str(), request.width, request.height);
  release_gl(derived);
  host.shutdown();
  return rc;
}

}  // namespace rope::app
