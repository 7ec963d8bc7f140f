#!/usr/bin/python3
"""Independent numpy reference for src/core/temperature.h (no shared code): entropy (nats) and the
largest probability of the newest query's causal softmax row at each context length, with the
configuration's attention factor on cos and sin and with it set to 1. Content all ones; yarn
inv_freq as ROPE-NOTES.md states it (truncate true), NeoX pairs, partial rotary 0.75.

Writes temperature.json next to this script. Run: /usr/bin/python3 tests/golden/make_temperature_golden.py
"""
import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
HEAD_DIM, FRACTION, BASE, FACTOR, ORIG, BETA_FAST, BETA_SLOW = 64, 0.75, 1e4, 4.0, 512, 32.0, 1.0
LENGTHS = [1, 16, 256, 512, 2048]


def yarn_inv_freq(rd):
    theta = BASE ** (-(2.0 * np.arange(rd // 2)) / rd)
    corr = lambda r: rd * math.log(ORIG / (r * 2 * math.pi)) / (2 * math.log(BASE))
    low, high = max(math.floor(corr(BETA_FAST)), 0), min(math.ceil(corr(BETA_SLOW)), rd - 1)
    if high == low:
        high += 0.001
    ramp = np.clip((np.arange(rd // 2) - low) / (high - low), 0, 1)
    return theta * (1 - ramp) + theta / FACTOR * ramp


def row(length, inv_freq, rd, factor):
    d = HEAD_DIM
    h = rd // 2
    n = np.arange(length, dtype=np.float64)
    ones = np.ones(d)

    def rot(p):
        out = ones.copy()
        ang = p * inv_freq
        c, s = factor * np.cos(ang), factor * np.sin(ang)
        out[:h] = ones[:h] * c - ones[h:rd] * s
        out[h:rd] = ones[:h] * s + ones[h:rd] * c
        return out
    q = rot(length - 1.0)
    logits = np.array([rot(p) @ q for p in n]) / math.sqrt(d)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return float(-(p[p > 0] * np.log(p[p > 0])).sum()), float(p.max())


def main():
    rd = int(HEAD_DIM * FRACTION)
    inv = yarn_inv_freq(rd)
    factor = 0.1 * math.log(FACTOR) + 1.0  # yarn's default attention factor
    points = []
    for length in LENGTHS:
        e, m = row(length, inv, rd, factor)
        e1, m1 = row(length, inv, rd, 1.0)
        points.append({"length": length, "attention_factor": factor, "entropy": e, "max_prob": m,
                       "entropy_unscaled": e1, "max_prob_unscaled": m1})
    out = {"head_dim": HEAD_DIM, "rotary_fraction": FRACTION, "base": BASE, "factor": FACTOR, "original_max": ORIG,
           "points": points}
    (HERE / "temperature.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
