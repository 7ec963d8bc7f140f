#pragma once
// Reading the rotation of a model from a GGUF file (llama.cpp's format): the header, the metadata
// and the small per-pair factor tensors, never the weights. Every count and length in the file is
// checked against the file's size before anything is allocated; bad files throw RopeError with one
// line naming the file and the problem.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config_json.h"

namespace rope::core {

// True when the file starts with the GGUF magic, or (when it cannot be read) its name ends in .gguf.
bool is_gguf_file(const std::string& path);

// The same ModelRope that load_hf_model gives for the model's config.json, from a GGUF file's
// metadata (versions 2 and 3, little-endian). The layout is the one llama.cpp applies for the
// architecture; scaling, heads and the factor tensors are mapped to Hugging Face's parameters as
// the table in gguf.cpp says, each value with its origin.
ModelRope parse_gguf_model(const void* bytes, size_t size, std::string_view origin);
ModelRope load_gguf_model(const std::string& path);

}  // namespace rope::core
