#!/usr/bin/python3
"""Independent float64 reference for ropescope's core, written from ROPE-NOTES.md and the
Hugging Face transformers v5 semantics of modeling_rope_utils.py / RotaryEmbeddingConfigMixin.

It deliberately shares no code with src/core: the point is two independent implementations.
Writes frequencies.json, analysis.json and attention.json next to this script.

Run:  /usr/bin/python3 tests/golden/make_golden.py [--certify-64k]
      (about 10 minutes; --certify-64k adds the certified sweep at L = 65536, which takes longer)
"""
import json
import math
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
# The certified sweep at L = 65536 takes a long time; set by --certify-64k.
CERTIFY_64K = "--certify-64k" in sys.argv
# --quick skips the slow L = 65536 search and writes into --out DIR (for trying changes).
QUICK = "--quick" in sys.argv
OUT = pathlib.Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else HERE
CONFIGS = HERE.parent / "data" / "configs"


# ----------------------------------------------------------------------------------------------
# config.json reading (HF v5 semantics)
# ----------------------------------------------------------------------------------------------

def read_hf_config(path):
    """Returns a plain dict of rope parameters, resolved the way HF v5 standardises a config."""
    with open(path) as f:
        cfg = json.load(f)
    # v5: rope_scaling (v4 name) is moved into rope_parameters; an absent/null block means default.
    block = cfg.get("rope_scaling") or cfg.get("rope_parameters") or {}
    rope_type = block.get("rope_type", block.get("type", "default"))
    if rope_type == "su":
        rope_type = "longrope"
    if rope_type == "default":
        rope_type = "none"

    # rope_theta: a value inside the rope block wins (setdefault), then top level, then 10000.
    base = block.get("rope_theta") or cfg.get("rope_theta") or 10000.0

    if cfg.get("qk_rope_head_dim") is not None:  # DeepSeek: the rotary part of the head
        head_dim = cfg["qk_rope_head_dim"]
    elif cfg.get("head_dim") is not None:
        head_dim = cfg["head_dim"]
    else:
        head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]

    if cfg.get("partial_rotary_factor") is not None:
        fraction = cfg["partial_rotary_factor"]
    elif cfg.get("rotary_pct") is not None:
        fraction = cfg["rotary_pct"]
    else:
        fraction = block.get("partial_rotary_factor", 1.0)

    max_pos = cfg.get("max_position_embeddings")
    scaling = {"type": rope_type}
    for key in ("factor", "low_freq_factor", "high_freq_factor", "beta_fast", "beta_slow", "mscale",
                "mscale_all_dim", "attention_factor", "truncate", "short_factor", "long_factor"):
        if key in block and block[key] is not None:
            scaling[key] = block[key]
    if rope_type in ("yarn", "longrope", "llama3"):
        # The top-level value (Phi-3 style) wins over the one inside the block; else max_pos.
        if cfg.get("original_max_position_embeddings") is not None:
            scaling["original_max"] = cfg["original_max_position_embeddings"]
        elif block.get("original_max_position_embeddings") is not None:
            scaling["original_max"] = block["original_max_position_embeddings"]
        else:
            scaling["original_max"] = max_pos
    return {"head_dim": head_dim, "rotary_fraction": fraction, "base": float(base),
            "max_position_embeddings": max_pos, "scaling": scaling}


# ----------------------------------------------------------------------------------------------
# frequencies
# ----------------------------------------------------------------------------------------------

def rotary_dim_of(head_dim, fraction):
    return int(head_dim * fraction)


def unscaled_theta(rotary_dim, base):
    j = np.arange(rotary_dim // 2, dtype=np.float64)
    return np.power(float(base), -2.0 * j / rotary_dim)


def yarn_mscale(factor, k=1.0):
    return 0.1 * k * math.log(factor) + 1.0 if factor > 1.0 else 1.0


def compute(params, seq_len):
    """Float64 inv_freq and attention factor for a resolved parameter dict."""
    head_dim = params["head_dim"]
    rdim = rotary_dim_of(head_dim, params.get("rotary_fraction", 1.0))
    base = float(params["base"])
    sc = params.get("scaling", {"type": "none"})
    kind = sc["type"]
    max_pos = params.get("max_position_embeddings")
    theta = unscaled_theta(rdim, base)
    out = {"head_dim": head_dim, "rotary_dim": rdim, "attention_factor": 1.0,
           "effective_base": base}
    if kind == "none":
        inv = theta.copy()
        out["factor"] = 1.0
    elif kind == "linear":
        f = float(sc["factor"])
        inv = theta / f
        out["factor"] = f
    elif kind == "ntk":
        alpha = float(sc["alpha"])
        eff = base * alpha ** (rdim / (rdim - 2.0))
        inv = unscaled_theta(rdim, eff)
        out["effective_base"] = eff
    elif kind == "dynamic":
        f = float(sc["factor"])
        s = max(seq_len, max_pos)
        eff = base * (f * s / max_pos - (f - 1.0)) ** (rdim / (rdim - 2.0))
        inv = unscaled_theta(rdim, eff)
        out["effective_base"] = eff
        out["factor"] = f
    elif kind == "yarn":
        orig = sc["original_max"]
        f = float(sc["factor"]) if "factor" in sc else max_pos / orig
        beta_fast = float(sc.get("beta_fast", 32.0))
        beta_slow = float(sc.get("beta_slow", 1.0))
        truncate = sc.get("truncate", True)

        def corr(r):
            return rdim * math.log(orig / (2.0 * math.pi * r)) / (2.0 * math.log(base))

        low, high = corr(beta_fast), corr(beta_slow)
        if truncate:
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, rdim - 1)
        denom_high = high + 0.001 if high == low else high
        j = np.arange(rdim // 2, dtype=np.float64)
        ramp = np.clip((j - low) / (denom_high - low), 0.0, 1.0)
        inv = theta * (1.0 - ramp) + (theta / f) * ramp
        if sc.get("attention_factor") is not None:
            a = float(sc["attention_factor"])
        elif sc.get("mscale") and sc.get("mscale_all_dim"):
            a = yarn_mscale(f, sc["mscale"]) / yarn_mscale(f, sc["mscale_all_dim"])
        else:
            a = yarn_mscale(f)
        out.update(attention_factor=a, factor=f, original_max=orig, yarn_low=float(low),
                   yarn_high=float(high))
    elif kind == "llama3":
        f = float(sc["factor"])
        lo, hi = float(sc["low_freq_factor"]), float(sc["high_freq_factor"])
        orig = sc["original_max"]
        low_wl, high_wl = orig / lo, orig / hi
        wl = 2.0 * math.pi / theta
        inv = np.empty_like(theta)
        for i in range(len(theta)):
            if wl[i] > low_wl:
                inv[i] = theta[i] / f
            elif wl[i] < high_wl:
                inv[i] = theta[i]
            else:
                s = (orig / wl[i] - lo) / (hi - lo)
                inv[i] = (1.0 - s) * theta[i] / f + s * theta[i]
        out.update(factor=f, original_max=orig, llama3_low_freq_wavelen=low_wl,
                   llama3_high_freq_wavelen=high_wl)
    elif kind == "longrope":
        orig = sc["original_max"]
        f = float(sc["factor"]) if "factor" in sc else max_pos / orig
        ext = np.array(sc["long_factor"] if seq_len > orig else sc["short_factor"], dtype=np.float64)
        assert len(ext) == rdim // 2
        inv = theta / ext
        if sc.get("attention_factor") is not None:
            a = float(sc["attention_factor"])
        elif f <= 1.0:
            a = 1.0
        else:
            a = math.sqrt(1.0 + math.log(f) / math.log(orig))
        out.update(attention_factor=a, factor=f, original_max=orig)
    else:
        raise ValueError(kind)
    out["inv_freq"] = inv
    out["inv_freq_unscaled"] = theta
    return out


# ----------------------------------------------------------------------------------------------
# analyses
# ----------------------------------------------------------------------------------------------

def roformer_bound(inv_freq, r):
    ang = r * np.asarray(inv_freq, dtype=np.float64)
    terms = np.cos(ang) + 1j * np.sin(ang)
    partial = np.cumsum(terms)  # S_j for j = 1..d/2
    return float(np.sum(np.abs(partial)) / len(inv_freq))


def mean_cos(inv_freq, r):
    return float(np.mean(np.cos(r * np.asarray(inv_freq, dtype=np.float64))))


def critical_dimension(rdim, base, T):
    v = 2 * math.ceil((rdim / 2.0) * math.log(T / (2.0 * math.pi)) / math.log(base))
    return int(min(max(v, 0), rdim))


def men_sum(rdim, base, m):
    return float(np.sum(np.cos(m * unscaled_theta(rdim, base))))


def first_negative(rdim, base, limit, chunk=4096):
    """First integer m in [1, limit] with B(m) < 0, else None."""
    theta = unscaled_theta(rdim, base)
    m0 = 1
    while m0 <= limit:
        m1 = min(limit, m0 + chunk - 1)
        m = np.arange(m0, m1 + 1, dtype=np.float64)
        b = np.cos(np.outer(m, theta)).sum(axis=1)
        neg = np.nonzero(b < 0.0)[0]
        if len(neg):
            return int(m0 + neg[0])
        m0 = m1 + 1
        chunk = min(chunk * 2, 1 << 16)
    return None


class Feasibility:
    """B(m) >= 0 for every integer m in [0, L]? Exact float64 check of every m; distances that
    were negative for nearby bases are tried first, which only makes infeasible answers faster."""

    def __init__(self, rdim, L):
        self.rdim, self.L = rdim, L
        self.witnesses = []

    def __call__(self, base):
        theta = unscaled_theta(self.rdim, base)
        if self.witnesses:
            near = np.unique(np.clip(np.add.outer(np.array(self.witnesses), np.arange(-4, 5)).ravel(),
                                     1, self.L)).astype(np.float64)
            b = np.cos(np.outer(near, theta)).sum(axis=1)
            if np.any(b < 0.0):
                return False
        m = first_negative(self.rdim, base, self.L, chunk=512)
        if m is None:
            return True
        self.witnesses = ([m] + self.witnesses)[:32]
        return False


def bisect_edge(check, lo, hi, lo_feasible, iters=60):
    """Boundary between lo and hi where feasibility flips (lo has `lo_feasible`)."""
    for _ in range(iters):
        mid = math.sqrt(lo * hi)
        if check(mid) == lo_feasible:
            lo = mid
        else:
            hi = mid
    return lo, hi


def certified_smallest_base(rdim, L, min_base=2.0):
    """Smallest base with B(m) >= 0 for all integer m in [0, L], by an upward sweep in ln(base)
    that cannot step over a feasible base: for a base b with B(m) < 0, the term cos(m theta_i)
    moves at most m (2i/d) theta_i(b) per unit of ln(base) for every larger base (theta_i falls
    with the base), so B(m) stays negative for a step of -B(m) / (m sum_i (2i/d) theta_i(b)).
    The sweep takes the largest such step over the negative m; the first base with no negative
    B(m) is the answer. Returns (base, evaluations)."""
    m = np.arange(1, L + 1, dtype=np.float64)
    w = 2.0 * np.arange(rdim // 2, dtype=np.float64) / rdim
    log_base = math.log(min_base)
    evaluations = 0
    while True:
        base = math.exp(log_base)
        evaluations += 1
        theta = np.power(base, -w)
        b = np.zeros(L)
        for c0 in range(0, L, 8192):  # chunks keep memory small
            b[c0:c0 + 8192] = np.cos(np.outer(m[c0:c0 + 8192], theta)).sum(axis=1)
        neg = b < 0.0
        if not neg.any():
            return base, evaluations
        slope = float(np.sum(w * theta))
        step = float(np.max(-b[neg] / (m[neg] * slope)))
        log_base += max(step, 1e-13)


def log_grid(lo, hi, per_decade):
    n = int(math.ceil(math.log10(hi / lo) * per_decade)) + 1
    g = lo * np.power(10.0, np.arange(n) / per_decade)
    g[-1] = min(g[-1], hi)
    return g


def base_lower_bound(rdim, L, fine_per_decade, below=3.0, above=3.0, min_base=2.0, max_base=1e12,
                     coarse_per_decade=50):
    check = Feasibility(rdim, L)
    # 1. Coarse scan from the top down to the highest infeasible point.
    coarse = log_grid(min_base, max_base, coarse_per_decade)
    top = None
    for i in range(len(coarse) - 1, -1, -1):
        if not check(coarse[i]):
            top = i
            break
    assert top is not None and top < len(coarse) - 1
    # 2. Fine scan of [edge / below, edge * above]: every point, feasibility recorded.
    lo_r = max(min_base, coarse[top] / below)
    hi_r = min(max_base, coarse[top + 1] * above)
    fine = log_grid(lo_r, hi_r, fine_per_decade)
    flags = [check(b) for b in fine]
    top_f = max(i for i, ok in enumerate(flags) if not ok)
    assert top_f < len(fine) - 1
    _, main = bisect_edge(check, fine[top_f], fine[top_f + 1], False)
    # 3. Windows of feasibility below the main region, on the fine grid.
    windows = []
    i = top_f - 1
    while i >= 0:
        if flags[i]:
            j = i
            while j - 1 >= 0 and flags[j - 1]:
                j -= 1
            lo_edge = bisect_edge(check, fine[j - 1], fine[j], False)[1] if j > 0 else fine[0]
            hi_edge = bisect_edge(check, fine[i], fine[i + 1], True)[0]
            windows.append([lo_edge, hi_edge])
            i = j - 1
        else:
            i -= 1
    windows.sort()
    smallest = windows[0][0] if windows else main
    return {"base": main, "smallest_feasible": smallest, "feasible_windows_below": windows,
            "coarse_grid_points_per_decade": coarse_per_decade,
            "fine_grid_points_per_decade": fine_per_decade, "fine_range": [lo_r, hi_r]}


# ----------------------------------------------------------------------------------------------
# attention
# ----------------------------------------------------------------------------------------------

def rotate(x, positions, inv_freq, rdim, layout, a):
    x = np.array(x, dtype=np.float64)
    out = x.copy()
    half = rdim // 2
    ang = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)  # N x half
    c, s = a * np.cos(ang), a * np.sin(ang)
    if layout == "neox":
        i0, i1 = np.arange(half), np.arange(half) + half
    else:
        i0, i1 = 2 * np.arange(half), 2 * np.arange(half) + 1
    x0, x1 = x[:, i0], x[:, i1]
    out[:, i0] = x0 * c - x1 * s
    out[:, i1] = x1 * c + x0 * s
    return out


def sinusoidal(positions, d, base):
    pe = np.zeros((len(positions), d))
    i = np.arange(d // 2, dtype=np.float64)
    ang = np.outer(np.asarray(positions, dtype=np.float64), np.power(base, -2.0 * i / d))
    pe[:, 0::2] = np.sin(ang)
    pe[:, 1::2] = np.cos(ang)
    return pe


def attention_case(name, params, encoding, offset, causal, q, k, layout="neox", block=None):
    d = params["head_dim"]
    nq, nk = len(q), len(k)
    pq = offset + np.arange(nq)
    pk = offset + np.arange(nk)
    fr = compute(params, params.get("seq_len", 1024))
    if encoding == "rope":
        qr = rotate(q, pq, fr["inv_freq"], fr["rotary_dim"], layout, fr["attention_factor"])
        kr = rotate(k, pk, fr["inv_freq"], fr["rotary_dim"], layout, fr["attention_factor"])
    elif encoding == "sinusoidal":
        qr = np.array(q) + sinusoidal(pq, d, params["base"])
        kr = np.array(k) + sinusoidal(pk, d, params["base"])
    else:
        qr, kr = np.array(q, dtype=np.float64), np.array(k, dtype=np.float64)
    logits = qr @ kr.T / math.sqrt(d)
    mask = np.zeros_like(logits, dtype=bool)
    if causal:
        mask = np.arange(nk)[None, :] > np.arange(nq)[:, None]
    sm = np.zeros_like(logits)
    for m in range(nq):
        row = logits[m][~mask[m]]
        e = np.exp(row - row.max())
        sm[m][~mask[m]] = e / e.sum()
    logits_out = [[None if mask[m, n] else float(logits[m, n]) for n in range(nk)] for m in range(nq)]
    p = dict(params)
    p["layout"] = layout
    case = {"name": name, "params": p, "encoding": encoding, "offset": int(offset), "causal": causal,
            "num_q": nq, "num_k": nk,
            "q": [[float(v) for v in row] for row in q], "k": [[float(v) for v in row] for row in k],
            "logits": logits_out, "softmax": [[float(v) for v in row] for row in sm]}
    if block:
        case["block"] = block
    return case


def float32_exact(rng, n, d, scale=1.0):
    """Gaussian values rounded to float32, so the C++ side reads exactly the same numbers."""
    return (rng.standard_normal((n, d)) * scale).astype(np.float32).astype(np.float64)


# ----------------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------------

def fmt(v):
    if isinstance(v, np.ndarray):
        return [float(x) for x in v]
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


MODEL_CASES = [  # (name, config file, seq_len)
    ("llama2_7b", "models/llama-2-7b-hf.json", 4096),
    ("llama31_8b", "models/llama-3.1-8b.json", 131072),
    ("mistral_7b_v01", "models/mistral-7b-v0.1.json", 32768),
    ("qwen2_7b", "models/qwen2-7b.json", 32768),
    ("gpt_neox_20b", "models/gpt-neox-20b.json", 2048),
    ("phi3_mini_128k_short", "models/phi-3-mini-128k-instruct.json", 4096),
    ("phi3_mini_128k_long", "models/phi-3-mini-128k-instruct.json", 4097),
    ("phi3_mini_128k_long_max", "models/phi-3-mini-128k-instruct.json", 131072),
    ("deepseek_v2_lite", "models/deepseek-v2-lite.json", 163840),
]

SYNTHETIC_CASES = [
    ("linear_legacy_type", "synthetic/linear_legacy_type.json", 16384),
    ("dynamic_below_max_pos", "synthetic/dynamic.json", 2048),
    ("dynamic_at_max_pos", "synthetic/dynamic.json", 4096),
    ("dynamic_above_max_pos", "synthetic/dynamic.json", 16384),
    ("yarn_plain", "synthetic/yarn_plain.json", 131072),
    ("yarn_mscale_and_mscale_all_dim", "synthetic/yarn_mscale.json", 163840),
    ("yarn_mscale_only", "synthetic/yarn_mscale_only.json", 163840),
    ("yarn_explicit_attention_factor", "synthetic/yarn_attention_factor.json", 163840),
    ("yarn_no_truncate", "synthetic/yarn_no_truncate.json", 131072),
    ("yarn_factor_derived_v5", "synthetic/yarn_factor_derived_v5.json", 65536),
    ("yarn_explicit_factor_toplevel_orig", "synthetic/yarn_explicit_factor_toplevel_orig.json", 65536),
    ("yarn_custom_beta", "synthetic/yarn_custom_beta.json", 16384),
    ("yarn_orig_from_max_pos", "synthetic/yarn_orig_from_max_pos.json", 8192),
    ("llama3_small", "synthetic/llama3_small.json", 131072),
    ("longrope_v5_short", "synthetic/longrope_v5.json", 1024),
    ("longrope_v5_boundary_short", "synthetic/longrope_v5.json", 2048),
    ("longrope_v5_long", "synthetic/longrope_v5.json", 2049),
    ("longrope_v5_long_max", "synthetic/longrope_v5.json", 16384),
    ("longrope_attention_factor_short", "synthetic/longrope_attention_factor.json", 1000),
    ("longrope_attention_factor_long", "synthetic/longrope_attention_factor.json", 9000),
    ("longrope_explicit_factor_long", "synthetic/longrope_explicit_factor.json", 4096),
    ("longrope_su_no_extension", "synthetic/longrope_su_no_extension.json", 4096),
    ("longrope_partial_short", "synthetic/longrope_partial.json", 2048),
    ("longrope_partial_long", "synthetic/longrope_partial.json", 65536),
    ("v5_theta_inside", "synthetic/v5_theta_inside.json", 1024),
    ("v5_theta_inside_wins", "synthetic/v5_theta_inside_wins.json", 1024),
    ("partial_rotary_factor", "synthetic/partial_rotary_factor.json", 2048),
    ("rotary_pct", "synthetic/rotary_pct.json", 2048),
    ("head_dim_explicit", "synthetic/head_dim_explicit.json", 1024),
    ("partial_float_truncation", "synthetic/partial_float_truncation.json", 2048),
    ("default_rope_type", "synthetic/default_rope_type.json", 2048),
]

SHORT8 = [1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0]
LONG8 = [1.0, 1.2, 1.8, 3.0, 5.5, 9.0, 12.0, 16.0]


def p(head_dim, base, scaling=None, fraction=1.0, max_pos=None, layout="neox"):
    return {"head_dim": head_dim, "rotary_fraction": fraction, "base": base,
            "max_position_embeddings": max_pos, "layout": layout,
            "scaling": scaling or {"type": "none"}}


DIRECT_CASES = [  # (name, params, seq_len)
    ("direct_default_d64_base1e4", p(64, 10000.0), 1024),
    ("direct_default_d128_base5e5", p(128, 500000.0), 1024),
    ("direct_default_d96_base1e4", p(96, 10000.0), 1024),
    ("direct_default_d80_base1e6", p(80, 1000000.0), 1024),
    ("direct_default_d256_base1e7_gptj", p(256, 1.0e7, layout="gptj"), 1024),
    ("direct_default_d128_partial_half", p(128, 10000.0, fraction=0.5), 1024),
    ("direct_default_d8_base100", p(8, 100.0), 16),
    ("direct_ntk_alpha2_d128", p(128, 10000.0, {"type": "ntk", "alpha": 2.0}), 1024),
    ("direct_ntk_alpha4_d128_base5e5", p(128, 500000.0, {"type": "ntk", "alpha": 4.0}), 1024),
    ("direct_ntk_alpha8_d64_partial_half", p(64, 10000.0, {"type": "ntk", "alpha": 8.0}, fraction=0.5), 1024),
    ("direct_linear_factor2_d128", p(128, 10000.0, {"type": "linear", "factor": 2.0}), 1024),
    ("direct_dynamic_below", p(128, 10000.0, {"type": "dynamic", "factor": 4.0}, max_pos=2048), 1000),
    ("direct_dynamic_above", p(128, 10000.0, {"type": "dynamic", "factor": 4.0}, max_pos=2048), 8192),
    ("direct_dynamic_partial_half", p(64, 10000.0, {"type": "dynamic", "factor": 2.0}, fraction=0.5,
                                      max_pos=1024), 4096),
    ("direct_yarn_equal_betas_no_truncate", p(64, 10000.0, {"type": "yarn", "factor": 8.0, "original_max": 2048,
                                                            "beta_fast": 8.0, "beta_slow": 8.0,
                                                            "truncate": False}), 16384),
    ("direct_yarn_truncate", p(128, 10000.0, {"type": "yarn", "factor": 16.0, "original_max": 4096}), 65536),
    ("direct_yarn_no_truncate", p(128, 10000.0, {"type": "yarn", "factor": 16.0, "original_max": 4096,
                                                 "truncate": False}), 65536),
    ("direct_yarn_mscale", p(64, 10000.0, {"type": "yarn", "factor": 40.0, "original_max": 4096,
                                           "mscale": 1.0, "mscale_all_dim": 0.707}), 163840),
    ("direct_yarn_betas_partial", p(128, 1.0e6, {"type": "yarn", "factor": 4.0, "original_max": 32768,
                                                 "beta_fast": 24.0, "beta_slow": 0.5}, fraction=0.5),
     131072),
    ("direct_llama3_8x", p(128, 500000.0, {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max": 8192}), 131072),
    ("direct_llama3_other_band", p(64, 10000.0, {"type": "llama3", "factor": 4.0, "low_freq_factor": 2.0,
                                                 "high_freq_factor": 8.0, "original_max": 2048}), 8192),
    ("direct_longrope_short", p(16, 10000.0, {"type": "longrope", "original_max": 2048,
                                              "short_factor": SHORT8, "long_factor": LONG8},
                                max_pos=16384), 2048),
    ("direct_longrope_long_explicit_factor", p(16, 10000.0, {"type": "longrope", "original_max": 2048,
                                                             "factor": 4.0, "short_factor": SHORT8,
                                                             "long_factor": LONG8}, max_pos=16384), 2049),
]


def make_frequencies():
    cases = []
    for name, rel, seq_len in MODEL_CASES + SYNTHETIC_CASES:
        params = read_hf_config(CONFIGS / rel)
        fr = compute(params, seq_len)
        cases.append({"name": name, "config_file": rel, "seq_len": seq_len,
                      "expected": {k: fmt(v) for k, v in fr.items()}})
    for name, params, seq_len in DIRECT_CASES:
        fr = compute(params, seq_len)
        cases.append({"name": name, "params": params, "seq_len": seq_len,
                      "expected": {k: fmt(v) for k, v in fr.items()}})
    return {
        "description": "inv_freq and attention factor per case, float64 from make_golden.py. "
                       "config_file is relative to tests/data/configs; params are direct RopeConfig "
                       "fields (scaling.original_max = original_max_position_embeddings).",
        "cases": cases}


def make_analysis():
    llama2 = unscaled_theta(128, 10000.0)
    distances = [0, 1, 2, 5, 10, 100, 1000, 4096, 65536, 1048576]
    decay = []
    for name, params in [("d128_base1e4", p(128, 10000.0)),
                         ("d128_base5e5_llama3_8x", p(128, 500000.0, {"type": "llama3", "factor": 8.0,
                                                                      "low_freq_factor": 1.0,
                                                                      "high_freq_factor": 4.0,
                                                                      "original_max": 8192})),
                         ("d64_base1e4_linear4", p(64, 10000.0, {"type": "linear", "factor": 4.0}))]:
        inv = compute(params, 1024)["inv_freq"]
        decay.append({"name": name, "params": params, "inv_freq": fmt(inv), "distances": distances,
                      "roformer_bound": [roformer_bound(inv, r) for r in distances],
                      "mean_cos": [mean_cos(inv, r) for r in distances]})
    assert abs(decay[0]["roformer_bound"][0] - 32.5) < 1e-12

    crit = []
    for rdim, base, T in [(128, 10000.0, 4096), (128, 500000.0, 8192), (128, 1.0e6, 32768),
                          (64, 10000.0, 2048), (32, 10000.0, 2048), (128, 10000.0, 2.0),
                          (128, 10.0, 1.0e6), (96, 10000.0, 4096), (24, 10000.0, 2048)]:
        raw = (rdim / 2.0) * math.log(T / (2.0 * math.pi)) / math.log(base)
        assert abs(raw - round(raw)) > 1e-6, (rdim, base, T, raw)  # keep clear of ceil edges
        crit.append({"rotary_dim": rdim, "base": base, "training_context": T,
                     "expected": critical_dimension(rdim, base, T)})
    assert crit[0]["expected"] == 92

    men = []
    for rdim, base, m in [(128, 10000.0, 0), (128, 10000.0, 1), (128, 10000.0, 1000),
                          (128, 10000.0, 4096), (128, 500000.0, 65536), (64, 1.0e6, 123457)]:
        men.append({"rotary_dim": rdim, "base": base, "m": m, "expected": men_sum(rdim, base, m)})

    first_neg = []
    for rdim, base, limit in [(128, 10000.0, 1 << 20), (128, 500.0, 1 << 20), (128, 500000.0, 1 << 20),
                              (64, 10000.0, 1 << 20), (128, 1.0e9, 1 << 16), (32, 100.0, 1000)]:
        first_neg.append({"rotary_dim": rdim, "base": base, "limit": limit,
                          "expected": first_negative(rdim, base, limit)})

    bounds = []
    for rdim, L, per_decade, below, certify in [(128, 4096, 20000, 3.0, True), (64, 8192, 20000, 3.0, True),
                                                (128, 65536, 2000, 10.0, CERTIFY_64K)]:
        if QUICK and L > 8192:
            continue
        res = base_lower_bound(rdim, L, per_decade, below=below)
        res.update(rotary_dim=rdim, context=L)
        res["main_region_base"] = res.pop("base")
        res["grid_smallest_feasible"] = res.pop("smallest_feasible")
        if certify:
            base, evaluations = certified_smallest_base(rdim, L)
            # The grid can only miss windows, never report a lower feasible base.
            assert base <= res["grid_smallest_feasible"] * (1 + 1e-9), (base, res)
            res.update(smallest_feasible=base, certified=True, sweep_evaluations=evaluations)
        else:
            res.update(smallest_feasible=res["grid_smallest_feasible"], certified=False)
        print(f"base lower bound d={rdim} L={L}: main {res['main_region_base']:.6g}, smallest feasible "
              f"{res['smallest_feasible']:.6g}, windows {len(res['feasible_windows_below'])}",
              file=sys.stderr)
        bounds.append(res)

    pairs = []
    for name, params, context in [("llama2_at_4096", p(128, 10000.0), 4096.0),
                                  ("llama2_at_100", p(128, 10000.0), 100.0),
                                  ("llama3_8x_at_8192", p(128, 500000.0, {"type": "llama3", "factor": 8.0,
                                                                          "low_freq_factor": 1.0,
                                                                          "high_freq_factor": 4.0,
                                                                          "original_max": 8192}), 8192.0),
                                  ("d64_base1e6_at_131072", p(64, 1.0e6), 131072.0)]:
        inv = compute(params, 1024)["inv_freq"]
        wl = 2.0 * math.pi / inv
        assert np.min(np.abs(wl - context)) > 1e-6 * context  # no pair sits on the edge
        table = [{"pair": i, "wavelength": float(wl[i]), "rotations_in_context": float(context * inv[i] / (2 * math.pi))}
                 for i in (0, len(inv) // 2, len(inv) - 1)]
        pairs.append({"name": name, "params": params, "context": context,
                      "expected": int(np.sum(wl <= context)), "pair_table_rows": table})

    return {
        "description": "Analyses from make_golden.py (float64). roformer_bound/mean_cos take inv_freq "
                       "directly (also given as params).",
        "decay": decay,
        "critical_dimension": crit,
        "men_sum": men,
        "first_negative_distance": first_neg,
        "base_lower_bound": {
            "method": "B(m) = sum_i cos(m base^(-2i/d)) in float64, feasible when B(m) >= 0 for "
                      "every integer m in [0, L] (each m checked). smallest_feasible is the answer "
                      "(Men et al.'s definition: the smallest feasible base anywhere). Where "
                      "certified is true it comes from certified_smallest_base(): an upward sweep in "
                      "ln(base) from 2 whose steps are bounded by a Lipschitz bound of each negative "
                      "B(m), so no feasible base is stepped over. Independently, a grid search: 1) "
                      "coarse log grid 2..1e12, 50 points per decade, scanned from the top down to "
                      "the highest infeasible point; 2) fine log grid (fine_grid_points_per_decade) "
                      "over fine_range = [that point / 3, next point * 3]; main_region_base is the "
                      "edge above the highest infeasible fine point (every grid base above it is "
                      "feasible), refined by 60 geometric bisection steps; 3) each run of feasible "
                      "fine points below it is a window (feasible_windows_below, edges bisected); "
                      "grid_smallest_feasible is the lowest window edge. The grid can miss windows "
                      "narrower than a step, so grid_smallest_feasible is an upper bound; where "
                      "certified is false, smallest_feasible is that upper bound. Paper (Men et al. "
                      "2024, Table 2, d=128): about 2.7e4 at 4K and 2.1e6 at 64K.",
            "cases": bounds},
        "pairs_within_context": pairs,
    }


def make_attention():
    rng = np.random.default_rng(20240601)
    cases = []
    q8, k8 = float32_exact(rng, 6, 8), float32_exact(rng, 6, 8)
    base_params = p(8, 10000.0)
    cases.append(attention_case("rope_neox_d8_causal", base_params, "rope", 0, True, q8, k8,
                                block={"m0": 2, "m1": 5, "n0": 1, "n1": 4}))
    cases.append(attention_case("rope_gptj_d8_causal", p(8, 10000.0, layout="gptj"), "rope", 0, True,
                                q8, k8, layout="gptj"))
    q16, k16 = float32_exact(rng, 7, 16), float32_exact(rng, 7, 16)
    cases.append(attention_case("rope_neox_d16_partial_half", p(16, 10000.0, fraction=0.5), "rope", 0,
                                True, q16, k16))
    cases.append(attention_case("rope_gptj_d16_partial_half", p(16, 10000.0, fraction=0.5, layout="gptj"),
                                "rope", 0, True, q16, k16, layout="gptj"))
    yarn = p(16, 10000.0, {"type": "yarn", "factor": 4.0, "original_max": 64})
    cases.append(attention_case("rope_yarn_attention_factor", yarn, "rope", 0, True, q16, k16))
    yarn_partial = p(16, 10000.0, {"type": "yarn", "factor": 8.0, "original_max": 32,
                                   "attention_factor": 1.5}, fraction=0.5)
    cases.append(attention_case("rope_yarn_partial_explicit_factor", yarn_partial, "rope", 0, True,
                                q16, k16))
    q8b, k8b = float32_exact(rng, 8, 16), float32_exact(rng, 8, 16)
    cases.append(attention_case("rope_offset_1000", p(16, 10000.0), "rope", 1000, True, q8b, k8b,
                                block={"m0": 3, "m1": 8, "n0": 0, "n1": 6}))
    qn, kn = float32_exact(rng, 6, 8), float32_exact(rng, 8, 8)
    cases.append(attention_case("rope_noncausal_6x8", p(8, 500.0), "rope", 5, False, qn, kn,
                                block={"m0": 1, "m1": 4, "n0": 2, "n1": 8}))
    lin = p(8, 10000.0, {"type": "linear", "factor": 4.0}, fraction=0.5)
    cases.append(attention_case("sinusoidal_full_head_unscaled_base", lin, "sinusoidal", 3, True, q8, k8))
    ntk = p(8, 10000.0, {"type": "ntk", "alpha": 4.0})
    cases.append(attention_case("sinusoidal_ignores_ntk_base", ntk, "sinusoidal", 0, False, q8, k8))
    cases.append(attention_case("none_d8", base_params, "none", 0, True, q8, k8))
    for c in cases:
        c["params"].setdefault("seq_len", 1024)
    return {"description": "Exact small attention cases from make_golden.py (float64). q/k are "
                           "float32-representable. logits are scaled by 1/sqrt(head_dim); masked cells "
                           "(n > m when causal) are null in logits and 0 in softmax.",
            "cases": cases}


def dump(name, obj):
    path = OUT / name
    with open(path, "w") as f:
        # json writes floats with repr(), i.e. the shortest string that round-trips (<= 17 digits).
        json.dump(obj, f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


def main():
    dump("frequencies.json", make_frequencies())
    dump("attention.json", make_attention())
    dump("analysis.json", make_analysis())


if __name__ == "__main__":
    main()
