#!/usr/bin/python3
"""Independent float64 reference for the architecture rules and per-layer-type rope sets.

Reads the real config.json files named below the way Hugging Face transformers' config classes do
(each rule written out here from the class it comes from, sharing no code with src/core) and
writes layer_types.json next to this script: per file, per layer type, the head and rotary dims,
the pair layout, the base, inv_freq, the attention factor and the layers that use the set.

Run:  /usr/bin/python3 tests/golden/make_layer_types_golden.py
"""
import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
CONFIGS = HERE.parent / "data" / "configs"
SEQ_LEN = 1024

FILES = [
    "models/gemma-3-270m.json",
    "synthetic/gemma-3-270m-v5.json",
    "models/gemma-3-4b-it.json",
    "synthetic/gemma3_pattern_only.json",
    "models/gpt-j-6b.json",
    "models/falcon-7b.json",
    "models/deepseek-v3.json",
    "models/deepseek-v2-lite.json",
    "models/glm-4-9b-0414.json",
    "models/qwen3-0.6b.json",
    "synthetic/qwen3_no_head_dim.json",
    "synthetic/phi3_su.json",
    "synthetic/phi3_yarn_is_longrope.json",
    "synthetic/gemma2_layer_types_one_rope.json",
    "models/glm-4-9b-chat.json",
]

# Gemma3TextConfig's defaults (models/gemma3/configuration_gemma3.py).
GEMMA3_TEXT = dict(head_dim=256, hidden_size=2304, num_attention_heads=8, num_hidden_layers=26,
                   max_position_embeddings=131072, rope_theta=1e6, rope_local_base_freq=1e4,
                   sliding_window_pattern=6)


def text_config(cfg):
    for name in ("decoder", "generator", "text_config"):
        if isinstance(cfg.get(name), dict):
            sub = dict(cfg[name])
            if "model_type" not in sub and cfg.get("model_type") == "gemma3":
                sub["model_type"] = "gemma3_text"
            return sub
    return cfg


def architecture(cfg):
    """Returns (head_dim, rotary_dim, base, layout, cfg) after the class's aliases and defaults."""
    t = cfg.get("model_type", "")
    cfg = dict(cfg)
    layout = "neox"
    if t == "gptj":  # GPTJConfig: GPT-2 names, rotary_dim absolute (default 64); rotate_every_two
        cfg.setdefault("hidden_size", cfg.get("n_embd"))
        cfg.setdefault("num_attention_heads", cfg.get("n_head"))
        cfg.setdefault("max_position_embeddings", cfg.get("n_positions"))
        cfg.setdefault("num_hidden_layers", cfg.get("n_layer"))
        head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]
        return head_dim, cfg.get("rotary_dim", 64), 10000.0, "gptj", cfg
    if t == "chatglm":  # modeling_chatglm.py: RotaryEmbedding(kv_channels // 2), base 10000 * rope_ratio
        head_dim = cfg.get("kv_channels") or cfg["hidden_size"] // cfg["num_attention_heads"]
        cfg.setdefault("num_hidden_layers", cfg.get("num_layers"))
        return head_dim, head_dim // 2, 10000.0 * cfg.get("rope_ratio", 1), "gptj", cfg
    if t in ("falcon", "RefinedWebModel", "RefinedWeb"):  # attribute_map n_head, n_layer
        cfg.setdefault("num_attention_heads", cfg.get("n_head"))
        cfg.setdefault("num_hidden_layers", cfg.get("n_layer"))
    if t == "gemma3_text":
        for k, v in GEMMA3_TEXT.items():
            cfg.setdefault(k, v)
        if "_sliding_window_pattern" in cfg:
            cfg.setdefault("sliding_window_pattern", cfg["_sliding_window_pattern"])
    if t == "qwen3":
        cfg.setdefault("head_dim", 128)
    if t in ("glm", "glm4"):
        cfg.setdefault("head_dim", 128)
        cfg.setdefault("partial_rotary_factor", 0.5)
        layout = "gptj"  # rotate_half on x[..., 0::2], x[..., 1::2]
    if t == "gemma2":
        cfg.setdefault("head_dim", 256)
    if t in ("deepseek_v2", "deepseek_v3"):
        cfg["head_dim"] = cfg.get("qk_rope_head_dim", 64)
        layout = "gptj" if (t == "deepseek_v2" or cfg.get("rope_interleave", True)) else "neox"
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    rotary_dim = int(head_dim * cfg.get("partial_rotary_factor", 1.0))
    return head_dim, rotary_dim, cfg.get("rope_theta", 10000.0), layout, cfg


def inv_freq_for(block, base, rotary_dim, cfg):
    """inv_freq and attention factor of one rope block (default, linear, yarn, longrope)."""
    j = np.arange(0, rotary_dim, 2, dtype=np.float64)
    theta = 1.0 / base ** (j / rotary_dim)
    kind = block.get("rope_type", block.get("type", "default"))
    if cfg.get("model_type") == "phi3" and kind in ("su", "yarn"):
        kind = "longrope"  # Phi3Config._rope_scaling_adjustment
    if kind == "su":
        kind = "longrope"
    if kind == "default":
        return theta, 1.0
    if kind == "linear":
        return theta / block["factor"], 1.0
    if kind == "yarn":
        f = block["factor"]
        orig = cfg.get("original_max_position_embeddings", block.get("original_max_position_embeddings"))
        def corr(r):
            return rotary_dim * math.log(orig / (r * 2 * math.pi)) / (2 * math.log(base))
        low = max(math.floor(corr(block.get("beta_fast", 32))), 0)
        high = min(math.ceil(corr(block.get("beta_slow", 1))), rotary_dim - 1)
        if high == low:
            high += 0.001
        ramp = np.clip((np.arange(rotary_dim // 2) - low) / (high - low), 0, 1)
        inv = theta * (1 - ramp) + theta / f * ramp
        def m(x, k):
            return 1.0 if x <= 1 else 0.1 * k * math.log(x) + 1.0
        if block.get("attention_factor") is not None:
            att = block["attention_factor"]
        elif block.get("mscale") and block.get("mscale_all_dim"):
            att = m(f, block["mscale"]) / m(f, block["mscale_all_dim"])
        else:
            att = m(f, 1.0)
        return inv, att
    if kind == "longrope":
        orig = cfg.get("original_max_position_embeddings", block.get("original_max_position_embeddings"))
        f = block.get("factor") or cfg["max_position_embeddings"] / orig
        ext = np.array(block["long_factor"] if SEQ_LEN > orig else block["short_factor"], dtype=np.float64)
        att = block.get("attention_factor")
        if att is None:
            att = 1.0 if f <= 1 else math.sqrt(1 + math.log(f) / math.log(orig))
        return theta / ext, att
    raise ValueError(kind)


def layer_sets(cfg, base, rotary_dim):
    """{layer type: (block, base)} and the per-layer type list."""
    block = cfg.get("rope_scaling") or cfg.get("rope_parameters") or {}
    types = cfg.get("layer_types")
    n = cfg.get("num_hidden_layers")
    if types and block and set(block) <= set(types):  # v5: one block per layer type
        return {k: (v, v.get("rope_theta", base)) for k, v in block.items()}, types
    if "rope_local_base_freq" in cfg:  # Gemma 3: sliding layers at the local base, default rope
        if not types:
            p = cfg["sliding_window_pattern"]
            types = ["full_attention" if (i + 1) % p == 0 else "sliding_attention" for i in range(n)]
        return {"full_attention": (block, block.get("rope_theta", base)),
                "sliding_attention": ({"rope_type": "default"}, cfg["rope_local_base_freq"])}, types
    if types:
        return {k: (block, block.get("rope_theta", base)) for k in dict.fromkeys(types)}, types
    return {"full_attention": (block, block.get("rope_theta", base))}, ["full_attention"] * (n or 0)


def case(rel):
    with open(CONFIGS / rel) as f:
        cfg = text_config(json.load(f))
    head_dim, rotary_dim, base, layout, cfg = architecture(cfg)
    sets, types = layer_sets(cfg, base, rotary_dim)
    out = {}
    for name, (block, set_base) in sets.items():
        inv, att = inv_freq_for(block, float(set_base), rotary_dim, cfg)
        out[name] = {"head_dim": head_dim, "rotary_dim": rotary_dim, "layout": layout, "base": float(set_base),
                     "attention_factor": float(att), "inv_freq": [float(x) for x in inv],
                     "layers": [i for i, t in enumerate(types) if t == name]}
    return {"config_file": rel, "seq_len": SEQ_LEN, "layer_types": out}


def main():
    cases = [case(rel) for rel in FILES]
    with open(HERE / "layer_types.json", "w") as f:
        json.dump({"generator": "make_layer_types_golden.py (float64 numpy)", "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {HERE / 'layer_types.json'}")


if __name__ == "__main__":
    main()
