#pragma once
// Exact values without pixel hunting: typed go-to entries (validated, the reason shown at the
// field) and pinned read-outs (a clicked point stays, with its values in full precision and a
// copy button). Shared by the frequencies, decay and heatmaps views.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <imgui.h>

namespace rope::app {

// Exactly `count` integers separated by commas, spaces, colons, 'x' or brackets ("12, 40",
// "[0, 512) x [0, 512)"); nullopt otherwise (a fraction, a stray word, too few or too many).
std::optional<std::vector<int64_t>> parse_integers(std::string_view text, size_t count);

// "label [entry]" on the current line; `error` (if any) follows in the error colour. Returns true
// when Enter was pressed in the entry (the caller validates and sets or clears the error).
bool typed_entry(const char* label, const char* id, const char* hint, float entry_fonts, std::string* input,
                 const std::string& error, const char* tooltip);

// A pin's read-out on one line: [copy] (copy_text to the clipboard), [unpin], then `text`; text
// wider than the line ends in an ellipsis and shows whole in its tooltip. Returns true when unpin
// was pressed.
// `text` cut (between UTF-8 characters) to fit `width` pixels with an ellipsis; unchanged if it fits.
std::string elide_to_width(const std::string& text, float width);
bool pin_readout(const char* id, const std::string& text, const std::string& copy_text);

// "table,pair=12,cell=500:300,distance=1000" (any of them, comma-separated; ROPESCOPE_PINS, see
// gui/debug_options.h): the pair table in the frequencies cell and those pins set (screenshots of
// the read-outs).
struct ExactState;
void apply_pins(ExactState& exact, std::string_view text);

// A click on the hovered area: the left button released without having dragged.
bool clicked_without_drag(bool hovered);

}  // namespace rope::app
