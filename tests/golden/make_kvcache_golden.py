#!/usr/bin/python3
"""Independent numpy simulation of the KV-cache decodes of src/core/kvcache.h (no shared code).

Content is all ones (queries and keys), so nothing depends on ropescope's random generator.
  dynamic   HF dynamic NTK: base(L) = base * (factor * L / orig - (factor - 1))^(d / (d - 2)) for
            L > orig; a key entering at length L keeps theta(base(L)); the prompt enters at once.
  longrope  theta / short_factor while L <= orig, theta / long_factor after; stale keys keep the
            short ones unless the cache is rotated again at the switch.
  shift     a float32 cache of P keys; each shift drops D keys and re-rotates the rest by -D with
            float32 cos / sin of float32(D * float32(theta)) and float32 products and sums.
Per step: the largest phase error of a cached key against the recomputed key (wrapped to
[0, pi]) and the largest |p_cached - p_recomputed| of the newest query's softmax row.

Writes kvcache.json next to this script. Run: /usr/bin/python3 tests/golden/make_kvcache_golden.py
"""
import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def theta(base, d):
    return base ** (-(2.0 * np.arange(d // 2)) / d)


def rotate(x, pos, th):
    """NeoX layout (j, j + d/2), float64; x is (n, d), pos (n,)."""
    h = x.shape[1] // 2
    ang = pos[:, None] * th[None, :]
    c, s = np.cos(ang), np.sin(ang)
    a, b = x[:, :h], x[:, h:]
    return np.concatenate([a * c - b * s, a * s + b * c], axis=1)


def wrap(d):
    return np.minimum(np.abs(d - 2 * np.pi * np.round(d / (2 * np.pi))), np.pi)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def prob_error(q, kc, ke):
    d = q.shape[0]
    pc, pe = softmax(kc @ q / np.sqrt(d)), softmax(ke @ q / np.sqrt(d))
    err = np.abs(pc - pe)
    return float(err.max())


def growing(d, theta_at, prompt, steps, orig, recompute):
    """theta_at(L) -> inv_freq for length L. Returns per-step records."""
    n_max = prompt + steps
    ones = np.ones((n_max, d))
    cached_len = np.full(n_max, prompt)
    out = []
    for s in range(1, steps + 1):
        L = prompt + s
        m = L - 1
        if recompute and L > orig and L - 1 <= orig:
            cached_len[:m] = L
        cached_len[m] = L
        now = theta_at(L)
        pos = np.arange(L, dtype=np.float64)
        then = np.stack([theta_at(int(cl)) for cl in cached_len[:L]])
        phase = wrap(pos[:, None] * (then - now[None, :]))
        k_idx = int(np.argmax(phase.max(axis=1)))
        kc = np.stack([rotate(ones[n:n + 1], pos[n:n + 1], then[n])[0] for n in range(L)])
        ke = rotate(ones[:L], pos, now)
        q = rotate(ones[:1], np.array([float(m)]), now)[0]
        out.append({"step": s, "length": L, "max_phase_error": float(phase.max()), "max_phase_key": k_idx,
                    "max_prob_error": prob_error(q, kc, ke)})
    return out


def shift_case(d, base, P, D, repeat):
    th = theta(base, d)
    th32 = th.astype(np.float32)
    ang = (np.float32(D) * th32).astype(np.float32)
    c = np.cos(ang.astype(np.float64)).astype(np.float32)
    s = np.sin(ang.astype(np.float64)).astype(np.float32)
    h = d // 2
    ones = np.ones((P, d))
    cache = rotate(ones, np.arange(P, dtype=np.float64), th).astype(np.float32)
    out = []
    for r in range(repeat + 1):
        if r > 0:
            x, y = cache[D:, :h], cache[D:, h:]
            nx = (x * c + y * s).astype(np.float32)  # float32 products and sum
            ny = (y * c - x * s).astype(np.float32)
            cache[:P - D] = np.concatenate([nx, ny], axis=1)
            cache[P - D:] = rotate(ones[P - D:], np.arange(P - D, P, dtype=np.float64), th).astype(np.float32)
        exact = rotate(ones, np.arange(P, dtype=np.float64), th)
        kc = cache.astype(np.float64)
        phase = wrap(np.arctan2(kc[:, h:], kc[:, :h]) - np.arctan2(exact[:, h:], exact[:, :h]))
        q = rotate(ones[:1], np.array([P - 1.0]), th)[0]
        out.append({"step": r, "length": P, "max_phase_error": float(phase.max()), "max_prob_error": prob_error(q, kc, exact)})
    return out


def main():
    cases = []
    # dynamic: d 64, base 1e4, factor 4, max_position_embeddings 512.
    d, base, factor, orig = 64, 1e4, 4.0, 512

    def dyn(L):
        b = base * (factor * L / orig - (factor - 1)) ** (d / (d - 2)) if L > orig else base
        return theta(b, d)
    cases.append({"name": "dynamic", "head_dim": d, "base": base, "factor": factor, "max_position_embeddings": orig,
                  "prompt": 512, "steps": 16, "steps_out": growing(d, dyn, 512, 16, orig, False)})
    # longrope: d 32, base 1e4, original 256, explicit factors, attention_factor 1.
    d, orig = 32, 256
    short = [1.0 + 0.05 * i for i in range(d // 2)]
    long_ = [1.0 + 0.5 * i for i in range(d // 2)]

    def lr(L):
        return theta(1e4, d) / np.array(long_ if L > orig else short)
    for recompute in (False, True):
        cases.append({"name": "longrope" + ("_recompute" if recompute else ""), "head_dim": d, "base": 1e4,
                      "original_max": orig, "factor": 8.0, "short_factor": short, "long_factor": long_, "prompt": 250,
                      "steps": 12, "recompute_at_switch": recompute,
                      "steps_out": growing(d, lr, 250, 12, orig, recompute)})
    cases.append({"name": "shift", "head_dim": 64, "base": 1e4, "prompt": 512, "shift": 64, "repeat": 10,
                  "steps_out": shift_case(64, 1e4, 512, 64, 10)})
    (HERE / "kvcache.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
