#include "core/model_rules.h"

#include <array>

namespace rope::core {
namespace {

using K = RuleKind;

// Paths are relative to transformers' src/transformers/ unless a model repository is named.
constexpr std::string_view kGptj = "models/gptj/configuration_gptj.py";
constexpr std::string_view kGptjModeling = "models/gptj/modeling_gptj.py (rotate_every_two, create_sinusoidal_positions)";
constexpr std::string_view kCodegen = "models/codegen/configuration_codegen.py";
constexpr std::string_view kCodegenModeling = "models/codegen/modeling_codegen.py (rotate_every_two)";
constexpr std::string_view kFalcon = "models/falcon/configuration_falcon.py";
constexpr std::string_view kRw = "tiiuae/falcon-7b configuration_RW.py (the model's own code)";
constexpr std::string_view kNeox = "models/gpt_neox/configuration_gpt_neox.py (convert_rope_params_to_dict)";
constexpr std::string_view kNeoxJp = "models/gpt_neox_japanese/configuration_gpt_neox_japanese.py";
constexpr std::string_view kLlama = "models/llama/configuration_llama.py";
constexpr std::string_view kMistral = "models/mistral/configuration_mistral.py";
constexpr std::string_view kQwen2 = "models/qwen2/configuration_qwen2.py";
constexpr std::string_view kQwen3 = "models/qwen3/configuration_qwen3.py";
constexpr std::string_view kGemma = "models/gemma/configuration_gemma.py";
constexpr std::string_view kGemma2 = "models/gemma2/configuration_gemma2.py";
constexpr std::string_view kGemma3 = "models/gemma3/configuration_gemma3.py";
constexpr std::string_view kPhi = "models/phi/configuration_phi.py";
constexpr std::string_view kPhi3 = "models/phi3/configuration_phi3.py (_rope_scaling_adjustment)";
constexpr std::string_view kPersimmon = "models/persimmon/configuration_persimmon.py";
constexpr std::string_view kStablelm = "models/stablelm/configuration_stablelm.py";
constexpr std::string_view kStablelmEpoch = "stabilityai/stablelm-3b-4e1t modeling_stablelm_epoch.py (the model's own code)";
constexpr std::string_view kDeepseekV2 = "models/deepseek_v2/modular_deepseek_v2.py (head_dim = qk_rope_head_dim; apply_rotary_emb on complex pairs)";
constexpr std::string_view kDeepseekV3 = "models/deepseek_v3/configuration_deepseek_v3.py, modeling_deepseek_v3.py (apply_rotary_pos_emb_interleave)";
constexpr std::string_view kGlm = "models/glm/configuration_glm.py, modeling_glm.py (rotate_half on x[..., 0::2], x[..., 1::2])";
constexpr std::string_view kGlm4 = "models/glm4/configuration_glm4.py, modeling_glm4.py (as GLM)";
constexpr std::string_view kCohere = "models/cohere/modeling_cohere.py (rotate_half on x[..., ::2], x[..., 1::2])";
constexpr std::string_view kChatglm = "THUDM glm-4-9b-chat modeling_chatglm.py (the model's own code)";

constexpr std::array kRules = {
    // GPT-J: attribute names of GPT-2, an absolute rotary_dim, adjacent pairs, base 10000 in code.
    ModelRule{"gptj", K::kAlias, "n_embd", "hidden_size", 0, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kAlias, "n_head", "num_attention_heads", 0, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kAlias, "n_positions", "max_position_embeddings", 0, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kAlias, "n_layer", "num_hidden_layers", 0, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kDefault, "", "rotary_dim", 64, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kAbsoluteRotaryDim, "rotary_dim", "", 0, "GPTJConfig", kGptj},
    ModelRule{"gptj", K::kDefault, "", "rope_theta", 10000, "GPTJAttention", kGptjModeling},
    ModelRule{"gptj", K::kLayout, "", "", 1, "GPTJAttention", kGptjModeling},
    // CodeGen: GPT-J's layout and names.
    ModelRule{"codegen", K::kAlias, "n_embd", "hidden_size", 0, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kAlias, "n_head", "num_attention_heads", 0, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kAlias, "n_positions", "max_position_embeddings", 0, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kAlias, "n_layer", "num_hidden_layers", 0, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kDefault, "", "rotary_dim", 64, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kAbsoluteRotaryDim, "rotary_dim", "", 0, "CodeGenConfig", kCodegen},
    ModelRule{"codegen", K::kDefault, "", "rope_theta", 10000, "CodeGenAttention", kCodegenModeling},
    ModelRule{"codegen", K::kLayout, "", "", 1, "CodeGenAttention", kCodegenModeling},
    // Falcon: attribute_map n_head / n_layer, the n_embed keyword, no rotary embedding with alibi.
    ModelRule{"falcon", K::kAlias, "n_head", "num_attention_heads", 0, "FalconConfig", kFalcon},
    ModelRule{"falcon", K::kAlias, "n_layer", "num_hidden_layers", 0, "FalconConfig", kFalcon},
    ModelRule{"falcon", K::kAlias, "n_embed", "hidden_size", 0, "FalconConfig", kFalcon},
    ModelRule{"falcon", K::kDefault, "", "rope_theta", 10000, "FalconConfig", kFalcon},
    ModelRule{"falcon", K::kNoRope, "alibi", "", 0, "FalconConfig", kFalcon},
    ModelRule{"RefinedWebModel", K::kAlias, "n_head", "num_attention_heads", 0, "RWConfig", kRw},
    ModelRule{"RefinedWebModel", K::kAlias, "n_layer", "num_hidden_layers", 0, "RWConfig", kRw},
    ModelRule{"RefinedWebModel", K::kDefault, "", "rope_theta", 10000, "RWConfig", kRw},
    ModelRule{"RefinedWebModel", K::kNoRope, "alibi", "", 0, "RWConfig", kRw},
    ModelRule{"RefinedWeb", K::kAlias, "n_head", "num_attention_heads", 0, "RWConfig", kRw},
    ModelRule{"RefinedWeb", K::kAlias, "n_layer", "num_hidden_layers", 0, "RWConfig", kRw},
    ModelRule{"RefinedWeb", K::kDefault, "", "rope_theta", 10000, "RWConfig", kRw},
    ModelRule{"RefinedWeb", K::kNoRope, "alibi", "", 0, "RWConfig", kRw},
    // GPT-NeoX: its own names for the base and the rotary fraction, which win over the generic ones.
    ModelRule{"gpt_neox", K::kOverride, "rotary_emb_base", "rope_theta", 0, "GPTNeoXConfig", kNeox},
    ModelRule{"gpt_neox", K::kOverride, "rotary_pct", "partial_rotary_factor", 0, "GPTNeoXConfig", kNeox},
    ModelRule{"gpt_neox", K::kDefault, "", "rope_theta", 10000, "GPTNeoXConfig", kNeox},
    ModelRule{"gpt_neox", K::kDefault, "", "partial_rotary_factor", 0.25, "GPTNeoXConfig", kNeox},
    ModelRule{"gpt_neox_japanese", K::kOverride, "rotary_emb_base", "rope_theta", 0, "GPTNeoXJapaneseConfig", kNeoxJp},
    ModelRule{"gpt_neox_japanese", K::kOverride, "rotary_pct", "partial_rotary_factor", 0, "GPTNeoXJapaneseConfig", kNeoxJp},
    ModelRule{"gpt_neox_japanese", K::kDefault, "", "rope_theta", 10000, "GPTNeoXJapaneseConfig", kNeoxJp},
    // A config.json without model_type keeps the GPT-NeoX and DeepSeek names ropescope always read.
    ModelRule{"", K::kAlias, "rotary_emb_base", "rope_theta", 0, "GPTNeoXConfig", kNeox},
    ModelRule{"", K::kAlias, "rotary_pct", "partial_rotary_factor", 0, "GPTNeoXConfig", kNeox},
    ModelRule{"", K::kOverride, "qk_rope_head_dim", "head_dim", 0, "DeepseekV2Config", kDeepseekV2},
    // Class defaults of the base for the common architectures (no ropescope warning then).
    ModelRule{"llama", K::kDefault, "", "rope_theta", 10000, "LlamaConfig", kLlama},
    ModelRule{"mistral", K::kDefault, "", "rope_theta", 10000, "MistralConfig", kMistral},
    ModelRule{"qwen2", K::kDefault, "", "rope_theta", 10000, "Qwen2Config", kQwen2},
    // Qwen3: head_dim is its own field (128), not hidden_size / num_attention_heads.
    ModelRule{"qwen3", K::kDefault, "", "head_dim", 128, "Qwen3Config", kQwen3},
    ModelRule{"qwen3", K::kDefault, "", "rope_theta", 10000, "Qwen3Config", kQwen3},
    // The Gemma family: head_dim 256 whatever hidden_size / num_attention_heads gives.
    ModelRule{"gemma", K::kDefault, "", "head_dim", 256, "GemmaConfig", kGemma},
    ModelRule{"gemma", K::kDefault, "", "rope_theta", 10000, "GemmaConfig", kGemma},
    ModelRule{"gemma2", K::kDefault, "", "head_dim", 256, "Gemma2Config", kGemma2},
    ModelRule{"gemma2", K::kDefault, "", "rope_theta", 10000, "Gemma2Config", kGemma2},
    // Gemma 3: global layers at rope_theta (with the rope block), sliding layers at
    // rope_local_base_freq without scaling; layer i slides unless (i + 1) % pattern == 0.
    ModelRule{"gemma3_text", K::kAlias, "_sliding_window_pattern", "sliding_window_pattern", 0, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "head_dim", 256, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "hidden_size", 2304, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "num_attention_heads", 8, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "num_hidden_layers", 26, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "max_position_embeddings", 131072, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "rope_theta", 1000000, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "rope_local_base_freq", 10000, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3_text", K::kDefault, "", "sliding_window_pattern", 6, "Gemma3TextConfig", kGemma3},
    ModelRule{"gemma3", K::kTextConfigType, "text_config", "gemma3_text", 0, "Gemma3Config", kGemma3},
    // Phi-3: old checkpoints name longrope su or yarn in the legacy `type` key (not in rope_type).
    ModelRule{"phi3", K::kRopeTypeAlias, "su", "longrope", 0, "Phi3Config", kPhi3},
    ModelRule{"phi3", K::kRopeTypeAlias, "yarn", "longrope", 0, "Phi3Config", kPhi3},
    ModelRule{"phi3", K::kDefault, "", "rope_theta", 10000, "Phi3Config", kPhi3},
    // Partial rotary defaults where config.json omits the fraction.
    ModelRule{"phi", K::kDefault, "", "partial_rotary_factor", 0.5, "PhiConfig", kPhi},
    ModelRule{"persimmon", K::kDefault, "", "partial_rotary_factor", 0.5, "PersimmonConfig", kPersimmon},
    ModelRule{"stablelm", K::kDefault, "", "partial_rotary_factor", 0.25, "StableLmConfig", kStablelm},
    ModelRule{"stablelm_epoch", K::kAlias, "rope_pct", "partial_rotary_factor", 0, "StableLMEpochConfig", kStablelmEpoch},
    // DeepSeek: only qk_rope_head_dim features of each head rotate, in adjacent pairs.
    ModelRule{"deepseek_v2", K::kDefault, "", "qk_rope_head_dim", 64, "DeepseekV2Config", kDeepseekV2},
    ModelRule{"deepseek_v2", K::kOverride, "qk_rope_head_dim", "head_dim", 0, "DeepseekV2Config", kDeepseekV2},
    ModelRule{"deepseek_v2", K::kLayout, "", "", 1, "DeepseekV2Attention", kDeepseekV2},
    ModelRule{"deepseek_v3", K::kDefault, "", "qk_rope_head_dim", 64, "DeepseekV3Config", kDeepseekV3},
    ModelRule{"deepseek_v3", K::kOverride, "qk_rope_head_dim", "head_dim", 0, "DeepseekV3Config", kDeepseekV3},
    ModelRule{"deepseek_v3", K::kLayoutKey, "rope_interleave", "", 1, "DeepseekV3Config", kDeepseekV3},
    // GLM and GLM-4: half of each head rotates, in adjacent pairs.
    ModelRule{"glm", K::kDefault, "", "head_dim", 128, "GlmConfig", kGlm},
    ModelRule{"glm", K::kDefault, "", "partial_rotary_factor", 0.5, "GlmConfig", kGlm},
    ModelRule{"glm", K::kLayout, "", "", 1, "GlmAttention", kGlm},
    ModelRule{"glm4", K::kDefault, "", "head_dim", 128, "Glm4Config", kGlm4},
    ModelRule{"glm4", K::kDefault, "", "partial_rotary_factor", 0.5, "Glm4Config", kGlm4},
    ModelRule{"glm4", K::kLayout, "", "", 1, "Glm4Attention", kGlm4},
    // Cohere (Command-R): adjacent pairs.
    ModelRule{"cohere", K::kLayout, "", "", 1, "CohereAttention", kCohere},
    // ChatGLM (its own code): head_dim is kv_channels, half of it rotates in adjacent pairs, and the
    // base 10000 is multiplied by rope_ratio.
    ModelRule{"chatglm", K::kAlias, "kv_channels", "head_dim", 0, "ChatGLMConfig", kChatglm},
    ModelRule{"chatglm", K::kAlias, "seq_length", "max_position_embeddings", 0, "ChatGLMConfig", kChatglm},
    ModelRule{"chatglm", K::kAlias, "num_layers", "num_hidden_layers", 0, "ChatGLMConfig", kChatglm},
    ModelRule{"chatglm", K::kDefault, "", "partial_rotary_factor", 0.5, "ChatGLMModel", kChatglm},
    ModelRule{"chatglm", K::kDefault, "", "rope_theta", 10000, "ChatGLMModel", kChatglm},
    ModelRule{"chatglm", K::kMultiplier, "rope_ratio", "rope_theta", 0, "ChatGLMModel", kChatglm},
    ModelRule{"chatglm", K::kLayout, "", "", 1, "ChatGLMModel", kChatglm},
    ModelRule{"chatglm", K::kRequiredTrue, "original_rope", "", 0, "ChatGLMModel", kChatglm},
    // Fields of models with their own code that change the rotation and are not modelled.
    ModelRule{"*", K::kUnsupported, "rope_ratio", "", 0, "ChatGLMConfig", kChatglm},
    ModelRule{"*", K::kUnsupported, "rope_pct", "", 0, "StableLMEpochConfig", kStablelmEpoch},
};

}  // namespace

std::span<const ModelRule> model_rules() { return kRules; }

std::vector<const ModelRule*> rules_for(std::string_view model_type) {
  std::vector<const ModelRule*> out;
  for (const ModelRule& rule : kRules) {
    if (rule.model_type == model_type || rule.model_type == "*") out.push_back(&rule);
  }
  return out;
}

std::string rule_citation(const ModelRule& rule) {
  const bool in_transformers = rule.source.starts_with("models/");
  return std::string(rule.config_class) + " (" + (in_transformers ? "transformers src/transformers/" : "") +
         std::string(rule.source) + ")";
}

}  // namespace rope::core
