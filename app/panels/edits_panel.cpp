// Edits against the source: which parameters of the configuration on screen differ from what
// their preset, file or command line loaded (core::diff_configs, seq_len aside as in
// source_edited), and which pairs' frequencies that moves.
#include <string>

#include <imgui.h>

#include "core/config_diff.h"
#include "panels/panels.h"
#include "panels/widgets.h"

namespace rope::app {

void draw_edits_panel(AppState& state, Derived& derived) {
  ImGui::BeginChild("##edits_body", ImVec2(0.0f, 0.0f), false);
  text_wrapped(0.0f, "Source: %s", state.source_label.c_str());
  if (!derived.has_valid) {
    ImGui::TextUnformatted("No valid configuration yet.");
  } else if (!state.source_config) {
    dim_text_wrapped(0.0f, "The parameters had been edited already when the settings were saved: what the source "
                           "loaded is not known. Load a preset or a config file to compare against it.");
  } else {
    core::RopeConfig source = *state.source_config;
    source.seq_len = derived.valid_params.config.seq_len;
    try {
      // Distance 0 only: the logit difference is not shown here, the parameters are.
      const core::ConfigDiff diff = core::diff_configs(source, derived.valid_params.config, 1);
      if (diff.differences.empty()) {
        ImGui::TextUnformatted("Unedited: every parameter is the source's.");
      } else {
        dim_text_wrapped(0.0f, "Now (the source's value in brackets):");
        for (std::string line : diff.differences) {
          // diff_configs speaks of sides A and B; here A is the source and B what is on screen.
          if (const size_t at = line.find("(A "); at != std::string::npos) line.replace(at, 3, "(source ");
          text_wrapped(0.0f, "\xE2\x80\xA2 %s", line.c_str());
        }
        int moved = 0;
        for (double r : diff.rel_diff) moved += r > 0.0 ? 1 : 0;
        dim_text_wrapped(0.0f, "%d of %zu pairs rotate at another frequency.", moved, diff.rel_diff.size());
      }
    } catch (const std::exception& e) {
      error_text_wrapped(std::string("cannot compare with the source: ") + e.what());
    }
  }
  ImGui::EndChild();
}

}  // namespace rope::app
