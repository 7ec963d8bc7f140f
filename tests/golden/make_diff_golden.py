#!/usr/bin/python3
"""Independent numpy reference for src/core/config_diff.h (`ropescope diff`), no shared code.

Content: ropescope's constant content for seed 0, reproduced here from its definition
(src/core/content.cpp: splitmix64 counters, Box-Muller in float32 per pair of columns); each
float32 operation is evaluated in float64 and rounded to float32 (a correctly rounded float32
operation). f(r) = <R(r) q, R(0) k> / sqrt(d) with cos and sin times the attention factor.

Writes diff.json next to this script. Run: /usr/bin/python3 tests/golden/make_diff_golden.py
"""
import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
M64 = (1 << 64) - 1
CONTEXT = 4096


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def f32(x):
    return float(np.float32(x))


def gaussian_row(seed, stream, row, count):
    key = splitmix64(splitmix64(seed ^ ((stream << 56) & M64)) ^ row)
    two_pi = f32(6.28318530717958647692)
    out = []
    for col in range(0, count, 2):
        bits = splitmix64(key ^ (col // 2))
        u1 = f32(f32((bits >> 40) + 1) * 2.0 ** -24)
        u2 = f32(f32((bits >> 8) & 0xFFFFFF) * 2.0 ** -24)
        radius = f32(math.sqrt(f32(-2.0 * f32(math.log(u1)))))
        ang = f32(two_pi * u2)
        out.append(f32(radius * f32(math.cos(ang))))
        if col + 1 < count:
            out.append(f32(radius * f32(math.sin(ang))))
    return np.array(out, dtype=np.float64)


def frequencies(c):
    d = c["head_dim"]
    rd = int(d * c.get("rotary_fraction", 1.0))
    base = c.get("base", 1e4)
    theta = base ** (-(2.0 * np.arange(rd // 2)) / rd)
    a = 1.0
    if c.get("scaling") == "yarn":
        f, orig = c["factor"], c["original_max"]
        corr = lambda r: rd * math.log(orig / (r * 2 * math.pi)) / (2 * math.log(base))
        low, high = max(math.floor(corr(32.0)), 0), min(math.ceil(corr(1.0)), rd - 1)
        if high == low:
            high += 0.001
        ramp = np.clip((np.arange(rd // 2) - low) / (high - low), 0, 1)
        theta = theta * (1 - ramp) + theta / f * ramp
        a = 0.1 * math.log(f) + 1.0
    return rd, theta, a


def logit_by_distance(c, q, k):
    d = c["head_dim"]
    rd, theta, a = frequencies(c)
    h = rd // 2
    if c.get("layout", "neox") == "gptj":
        ia, ib = np.arange(0, rd, 2), np.arange(1, rd, 2)
    else:
        ia, ib = np.arange(h), np.arange(h, rd)
    r = np.arange(CONTEXT, dtype=np.float64)[:, None]
    cos, sin = a * np.cos(r * theta), a * np.sin(r * theta)
    qa, qb = q[ia], q[ib]
    ka, kb = a * k[ia], a * k[ib]  # R(0) k: the factor only
    rot = ((qa * cos - qb * sin) * ka + (qa * sin + qb * cos) * kb).sum(axis=1)
    rest = float(q[rd:] @ k[rd:])
    return (rot + rest) / math.sqrt(d), theta


CASES = [
    ("identical", {"head_dim": 128}, {"head_dim": 128}),
    ("base", {"head_dim": 128, "base": 1e4}, {"head_dim": 128, "base": 5e5}),
    ("layout", {"head_dim": 128}, {"head_dim": 128, "layout": "gptj"}),
    ("yarn_vs_none", {"head_dim": 64}, {"head_dim": 64, "scaling": "yarn", "factor": 4.0, "original_max": 1024}),
    ("partial_rotary", {"head_dim": 64, "rotary_fraction": 1.0}, {"head_dim": 64, "rotary_fraction": 0.5}),
]


def main():
    out = {"context": CONTEXT, "content": {}, "cases": []}
    for d in (64, 128):
        out["content"][str(d)] = {"q": gaussian_row(0, 1, 0, d).tolist(), "k": gaussian_row(0, 2, 0, d).tolist()}
    for name, a, b in CASES:
        qa, ka = (np.array(out["content"][str(a["head_dim"])][x]) for x in ("q", "k"))
        qb, kb = (np.array(out["content"][str(b["head_dim"])][x]) for x in ("q", "k"))
        fa, ta = logit_by_distance(a, qa, ka)
        fb, tb = logit_by_distance(b, qb, kb)
        n = min(len(ta), len(tb))
        rel = np.abs(tb[:n] - ta[:n]) / np.abs(ta[:n])
        differ = [i for i in range(n) if ta[i] != tb[i]]
        first = differ[0] if differ else (n if len(ta) != len(tb) else None)
        diff = np.abs(fa - fb)
        out["cases"].append({"name": name, "a": a, "b": b, "inv_freq_a": ta.tolist(), "inv_freq_b": tb.tolist(),
                             "rel_diff": rel.tolist(), "max_rel_diff": float(rel.max()), "first_differing_pair": first,
                             "max_abs_logit_diff": float(diff.max()), "max_abs_logit_diff_distance": int(np.argmax(diff)),
                             "logit_a_at": {str(r): float(fa[r]) for r in (0, 1, 100, 4095)}})
    (HERE / "diff.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
