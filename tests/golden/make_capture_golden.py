#!/usr/bin/env python3
"""Writes tests/data/captures/small.safetensors (a ropescope-qk/1 capture with grouped-query heads
and positions with a gap) and tests/golden/capture_heads.json: the head statistics of its rotary
causal softmax (of all 24 tokens, and of the first 14 only) computed here in float64 with numpy,
independently of ropescope.

    python3 tests/golden/make_capture_golden.py
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from capture_qk import write_capture  # noqa: E402

LAYERS, HEADS, KV_HEADS, N, D, BASE, SINK, LOCAL, FIRST = [3, 7], 4, 2, 24, 8, 100.0, 4, 8, 14
CONFIG = {"model_type": "llama", "rope_theta": BASE, "hidden_size": HEADS * D, "num_attention_heads": HEADS,
          "num_key_value_heads": KV_HEADS, "max_position_embeddings": 64}
POSITIONS = np.concatenate([np.arange(12), np.arange(20, 32)]).astype(np.int64)


def rotate_neox(x, positions):
    half = D // 2
    theta = BASE ** (-2.0 * np.arange(half) / D)
    angle = positions[:, None].astype(np.float64) * theta[None, :]
    a, b = x[:, :half], x[:, half:]
    return np.concatenate([a * np.cos(angle) - b * np.sin(angle), a * np.sin(angle) + b * np.cos(angle)], axis=1)


def stats(q, k, n=N):
    """The statistics of the capture cut at its first n tokens."""
    q, k, positions = q[:n], k[:n], POSITIONS[:n]
    rq, rk = rotate_neox(q.astype(np.float64), positions), rotate_neox(k.astype(np.float64), positions)
    logits = rq @ rk.T / np.sqrt(D)
    m_idx, n_idx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    logits[n_idx > m_idx] = -np.inf
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dist = m_idx - n_idx
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    return {"mean_distance": float(np.mean(np.sum(p * np.where(dist >= 0, dist, 0), axis=1))),
            "entropy": float(np.mean(-plogp.sum(axis=1))),
            "sink_mass": float(np.mean(p[:, :SINK].sum(axis=1))),
            "prev_token_mass": float(np.mean([p[m, m - 1] for m in range(1, n)])),
            "local_mass": float(np.mean(np.sum(np.where((dist >= 0) & (dist <= LOCAL), p, 0.0), axis=1)))}


def main():
    rng = np.random.default_rng(12)
    q = (rng.standard_normal((len(LAYERS), HEADS, N, D)) * 2.0).astype(np.float32)
    k = (rng.standard_normal((len(LAYERS), KV_HEADS, N, D)) * 2.0).astype(np.float32)
    tokens = [f"t{i}" for i in range(N)]
    write_capture(os.path.join(ROOT, "tests/data/captures/small.safetensors"), q, k, POSITIONS, json.dumps(CONFIG),
                  tokens, LAYERS, "small-test", "make_capture_golden.py")
    rows, first = [], []
    for li, layer in enumerate(LAYERS):
        for h in range(HEADS):
            kv = h // (HEADS // KV_HEADS)
            rows.append({"layer": layer, "head": h, "kv_head": kv, **stats(q[li, h], k[li, kv])})
            first.append({"layer": layer, "head": h, "kv_head": kv, **stats(q[li, h], k[li, kv], FIRST)})
    with open(os.path.join(HERE, "capture_heads.json"), "w") as f:
        json.dump({"sink": SINK, "heads": rows, "first": FIRST, "heads_first": first}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
