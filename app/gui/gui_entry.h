#pragma once
// Entry points of the GUI front end, called from main.cpp.
#include <string>

#include "core/rope_config.h"

namespace rope::app {

struct GuiLaunch {
  core::RopeConfig config;        // built-in default unless rope options were given
  bool config_from_cli = false;   // true when any rope option or --model-config was given
  std::string screenshot_path;    // --screenshot OUT.png: run `frames` frames, save, exit
  int frames = 0;                 // --frames N
  int width = 0, height = 0;      // --size WxH (0: remembered or default geometry)
};
int run_gui(const GuiLaunch& launch);

struct RenderRequest {
  core::RopeConfig config;
  std::string view;  // a key of views() (gui/views.h) or "all"
  std::string png_path;
  int width = 1600, height = 1000;
};
// Draws exactly what the GUI draws for the view into a PNG (needs an X display or Xvfb).
int run_render(const RenderRequest& request);

}  // namespace rope::app
