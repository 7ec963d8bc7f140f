// ropescope: with no subcommand, the GUI on the built-in default (or the given rope options);
// with a subcommand, the headless front end. Errors are one line on stderr and exit code 2.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/rope_options.h"
#include "core/error.h"
#ifdef ROPE_HAVE_GUI
#include "gui/gui_entry.h"
#include "gui/views.h"
#endif

namespace {

constexpr int kExitBadInput = 2;

std::string one_line(std::string text) {
  for (char& ch : text) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

[[maybe_unused]] bool parse_size(const std::string& text, int& width, int& height) {
  int w = 0, h = 0;
  char x = 0;
  if (std::sscanf(text.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X')) return false;
  if (w < 64 || h < 64 || w > 16384 || h > 16384) return false;
  width = w;
  height = h;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rope::app;
  CLI::App app{"ropescope: Rotary Position Embeddings made visible. With no subcommand, opens the GUI."};
  app.require_subcommand(0, 1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");

  RopeCliOptions rope;
  add_rope_options(app, rope);
  std::string screenshot, size_text;
  int frames = 0;
  app.add_option("--screenshot", screenshot, "GUI: run --frames frames, save the window to this PNG and exit");
  app.add_option("--frames", frames, "GUI: frames to run before --screenshot (default 30)")->check(CLI::Range(1, 100000));
  app.add_option("--size", size_text, "GUI window size WxH");

  OutputOptions out;
  auto add_output = [&](CLI::App* cmd, bool tables) {
    add_rope_options(*cmd, rope);
    if (tables) {
      auto* json_flag = cmd->add_flag("--json", out.json, "JSON output");
      auto* csv_flag = cmd->add_flag("--csv", out.csv, "CSV output");
      json_flag->excludes(csv_flag);
    }
    cmd->add_option("-o,--output", out.path, "Write to FILE instead of stdout");
  };

  auto* freqs = app.add_subcommand("freqs", "Per-pair frequencies, wavelengths and the attention factor");
  add_output(freqs, true);

  ScoresOptions scores_opts;
  auto* scores = app.add_subcommand("scores", "Attention logits or softmax as a float32 .npy of shape (Nq, Nk)");
  add_rope_options(*scores, rope);
  scores->add_option("--q", scores_opts.q_path, "Queries: .npy (N, head_dim) or (heads, N, head_dim), or FILE.safetensors:TENSOR");
  scores->add_option("--k", scores_opts.k_path, "Keys, as --q");
  scores->add_option("--head", scores_opts.head, "Head to use from (heads, N, head_dim) inputs (default 0)");
  scores->add_option("--content", scores_opts.content, "Generated content: constant|random|ones (seq_len rows)");
  scores->add_option("--seed", scores_opts.seed, "Seed of generated content (default 0)");
  scores->add_option("--encoding", scores_opts.encoding, "rope|sinusoidal|none (default rope)");
  scores->add_option("--offset", scores_opts.offset, "Position of the first row (default 0)");
  scores->add_flag("--causal", scores_opts.causal, "Mask keys after the query (-inf, or 0 after softmax)");
  scores->add_flag("--softmax", scores_opts.softmax, "Row softmax instead of logits");
  scores->add_option("-o,--output", scores_opts.out_path, "Output .npy")->required();
  scores->add_option("--capture", scores_opts.capture, "A ropescope-qk/1 capture (.safetensors) instead of --q/--k");
  scores->add_option_function<int64_t>("--layer", [&](const int64_t& v) { scores_opts.layer = v; },
                                       "With --capture: the model layer number (as listed in the capture's layers)");

  std::string resolve_path;
  auto* resolve = app.add_subcommand("resolve", "Every value the rotation uses and where it came from (file key, rule, default, flag)");
  add_rope_options(*resolve, rope);
  resolve->add_option("config", resolve_path, "The model's config.json (or give --model-config)");
  resolve->add_flag("--json", out.json, "JSON output");
  resolve->add_option("-o,--output", out.path, "Write to FILE instead of stdout");

  std::optional<int64_t> max_distance;
  auto* decay = app.add_subcommand("decay", "RoFormer decay bound and mean cosine against relative distance");
  add_output(decay, true);
  decay->add_option_function<int64_t>("--max-distance", [&](const int64_t& v) { max_distance = v; },
                                      "Largest distance D (default seq_len)");

  std::optional<int64_t> context;
  auto* analyze = app.add_subcommand("analyze", "Critical dimension, base lower bound, pairs within the context");
  add_rope_options(*analyze, rope);
  analyze->add_flag("--json", out.json, "JSON output");
  analyze->add_option("-o,--output", out.path, "Write to FILE instead of stdout");
  analyze->add_option_function<int64_t>("--context", [&](const int64_t& v) { context = v; },
                                        "Context L (default: the original context, else seq_len)");

  BenchOptions bench_opts;
  auto* bench = app.add_subcommand("bench", "Time each pipeline stage (median and p95 ms)");
  add_rope_options(*bench, rope);
  bench->add_flag("--json", bench_opts.json, "JSON output");
  bench->add_option("--scenario", bench_opts.scenario, "full|viewport|all (default full)");
  bench->add_option("--n", bench_opts.n, "Sequence length of the full scenario (default 4096)");
  bench->add_option("--repetitions", bench_opts.repetitions, "Timed repetitions per stage (default 30)");

  PrecisionOptions precision_opts;
  auto* precision = app.add_subcommand("precision", "Phase error of a reduced-precision angle path, per pair");
  add_output(precision, true);
  precision->add_option("--path", precision_opts.path, "fp32|bf16-inv-freq|fp16-positions|bf16-tables (default fp32)");
  precision->add_option("--positions", precision_opts.positions,
                        "Positions to report, P1,P2,... (default 1024,4096,32768,131072); the largest error is over "
                        "[0, seq_len)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));

  KvCacheCliOptions kv_opts;
  auto* kvcache = app.add_subcommand("kvcache", "A decode step by step: cached keys against recomputed ones");
  add_rope_options(*kvcache, rope);
  kvcache->add_flag("--json", out.json, "JSON output");
  kvcache->add_option("-o,--output", out.path, "Write to FILE instead of stdout");
  kvcache->add_option("--mode", kv_opts.mode, "dynamic|longrope|shift (default dynamic)");
  kvcache->add_option("--prompt", kv_opts.sim.prompt,
                      "Prompt tokens (shift: the cache length); default the original context (shift: 4096)");
  kvcache->add_option("--steps", kv_opts.sim.steps, "Decode steps (dynamic, longrope; default 256)");
  kvcache->add_option("--shift", kv_opts.sim.shift, "shift: positions dropped per shift (default prompt / 4)");
  kvcache->add_option("--repeat", kv_opts.sim.repeat, "shift: number of shifts (default 8)");
  kvcache->add_flag("--recompute-at-switch", kv_opts.sim.recompute_at_switch,
                    "longrope: rotate the whole cache again when the long factors take over");
  kvcache->add_option("--content", kv_opts.content, "constant|random|ones (default constant)");
  kvcache->add_option("--seed", kv_opts.sim.seed, "Seed of the content (default 0)");

  TemperatureOptions temp_opts;
  auto* temperature = app.add_subcommand("temperature", "Softmax entropy and largest probability against context length");
  add_output(temperature, true);
  temperature->add_option("--lengths", temp_opts.lengths,
                          "Context lengths L1,L2,... (default powers of two up to seq_len, seq_len, the original context)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  temperature->add_option("--content", temp_opts.content, "constant|random|ones (default constant)");
  temperature->add_option("--seed", temp_opts.seed, "Seed of the content (default 0)");

  DiffOptions diff_opts;
  auto* diff = app.add_subcommand("diff", "Where two configurations' rotations differ (exit 1 with --fail-on-diff)");
  add_rope_options(*diff, rope);
  diff->add_option("A", diff_opts.a_path, "config.json or .gguf of side A")->required();
  diff->add_option("B", diff_opts.b_path, "config.json or .gguf of side B")->required();
  diff->add_option("--set-a", diff_opts.set_a, "KEY=VALUE for A only (rope option names: base=1e6, layout=gptj, ...)");
  diff->add_option("--set-b", diff_opts.set_b, "KEY=VALUE for B only");
  diff->add_option_function<int64_t>("--context", [&](const int64_t& v) { diff_opts.context = v; },
                                     "Distances [0, L) for the logit difference (default the larger seq_len)");
  diff->add_flag("--json", out.json, "JSON output");
  diff->add_option("-o,--output", out.path, "Write to FILE instead of stdout");
  diff->add_flag("--fail-on-diff", diff_opts.fail_on_diff, "Exit 1 when the rotations differ beyond --rtol");
  diff->add_option("--rtol", diff_opts.rtol, "Largest relative inv_freq difference that counts as equal (default 1e-6)");

  HeadsOptions heads_opts;
  auto* heads = app.add_subcommand("heads", "Statistics of every captured head's rotary causal softmax");
  add_output(heads, true);
  heads->add_option("--capture", heads_opts.capture, "A ropescope-qk/1 capture (.safetensors)")->required();
  heads->add_option_function<int64_t>("--layer", [&](const int64_t& v) { heads_opts.layer = v; },
                                      "Only this model layer number (as listed in the capture's layers)");
  heads->add_option("--sink", heads_opts.sink, "sink_mass counts the first K keys (default 4)");
  heads->add_option("--first", heads_opts.first, "Statistics of the first T tokens only (the capture cut at T)");

  std::string render_view = "all", render_png, render_size = "1600x1000";
#ifdef ROPE_HAVE_GUI
  const std::string render_views = rope::app::view_keys_text();  // one row per view (gui/views.cpp)
#else
  const std::string render_views = "the view (GUI builds only)";
#endif
  auto* render = app.add_subcommand("render", "Draw a view exactly as the GUI does into a PNG (needs X or Xvfb)");
  add_rope_options(*render, rope);
  render->add_option("--view", render_view, render_views);
  render->add_option("--png", render_png, "Output PNG")->required();
  render->add_option("--size", render_size, "Image size WxH (default 1600x1000)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ropescope: " << one_line(e.what()) << " (see ropescope --help)\n";
    return kExitBadInput;
  }

  try {
    if (*freqs) return run_freqs(resolve_rope(rope), out);
    if (*resolve) {
      if (!resolve_path.empty()) rope.model_config = resolve_path;
      return run_resolve(resolve_rope(rope), out);
    }
    if (*scores && !scores_opts.capture.empty()) return run_capture_scores(rope, scores_opts);
    if (*heads) return run_heads(rope, heads_opts, out);
    if (*scores) return run_scores(resolve_rope_config(rope), scores_opts, rope.seq_len.has_value());
    if (*decay) return run_decay(resolve_rope_config(rope), max_distance, out);
    if (*analyze) return run_analyze(resolve_rope_config(rope), context, out);
    if (*bench) return run_bench(resolve_rope_config(rope), bench_opts);
    if (*precision) return run_precision(resolve_rope_config(rope), precision_opts, out);
    if (*kvcache) return run_kvcache(resolve_rope_config(rope), kv_opts, out);
    if (*temperature) return run_temperature(resolve_rope_config(rope), temp_opts, out);
    if (*diff) return run_diff(rope, diff_opts, out);
#ifdef ROPE_HAVE_GUI
    if (*render) {
      RenderRequest request;
      request.config = resolve_rope_config(rope);
      request.view = render_view;
      request.png_path = render_png;
      if (!parse_size(render_size, request.width, request.height)) {
        throw rope::core::RopeError("--size: expected WxH with 64..16384 pixels per side (got '" + render_size + "')");
      }
      if (render_view != "all" && rope::app::view_index(render_view) < 0) {
        throw rope::core::RopeError("--view: expected " + rope::app::view_keys_text() + " (got '" + render_view + "')");
      }
      return run_render(request);
    }
    GuiLaunch launch;
    launch.config = resolve_rope_config(rope);
    launch.config_from_cli = rope.any();
    launch.screenshot_path = screenshot;
    launch.frames = frames > 0 ? frames : (screenshot.empty() ? 0 : 30);
    if (!size_text.empty() && !parse_size(size_text, launch.width, launch.height)) {
      throw rope::core::RopeError("--size: expected WxH with 64..16384 pixels per side (got '" + size_text + "')");
    }
    return run_gui(launch);
#else
    if (*render) throw rope::core::RopeError("render: this build has no GUI (configure with ROPE_BUILD_GUI=ON)");
    resolve_rope_config(rope);
    std::cout << app.help();
    return 0;
#endif
  } catch (const rope::core::RopeError& e) {
    std::cerr << "ropescope: error: " << one_line(e.what()) << "\n";
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << "ropescope: error: out of memory\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ropescope: internal error: " << one_line(e.what()) << "\n";
    return 1;
  }
}
