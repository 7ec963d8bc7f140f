#!/usr/bin/python3
"""Independent numpy simulation of the reduced-precision angle paths of src/core/precision.h.

Shares no code with src/core. Each path is simulated with numpy's own float32 / float16 types;
bfloat16 by bit rounding of the float32 pattern (add 0x7FFF plus the lowest kept bit, clear the
low 16 bits: round to nearest, ties to even). float16 comes from numpy's float64 -> float16
conversion (round to nearest, ties to even; 65520 and beyond become inf).

  exact           angle p * theta in float64, cos / sin in float64
  fp32            theta = float32(theta), p = float32(p), angle = float32 product,
                  cos / sin = float32(cos / sin of the float32 angle evaluated in float64)
  bf16-inv-freq   as fp32 with theta = bfloat16(float32(theta))
  fp16-positions  as fp32 with p = float16(p)
  bf16-tables     as fp32 with cos / sin rounded to bfloat16

Phase error: |atan2(sin, cos) - p * theta| wrapped to [0, pi], with p * theta reduced modulo 2 pi
in numpy's long double (80-bit on x86-64); null where the angle overflowed.

Writes precision.json next to this script. Run: /usr/bin/python3 tests/golden/make_precision_golden.py
"""
import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

CONFIGS = [  # (name, head_dim, base)
    ("d128_base1e4", 128, 1e4),
    ("d64_base1e6", 64, 1e6),
    ("d96_base5e5", 96, 5e5),
]
PATHS = ["exact", "fp32", "bf16-inv-freq", "fp16-positions", "bf16-tables"]
POSITIONS = [0, 1, 2, 3, 100, 1000, 1024, 2047, 2048, 2049, 4096, 8191, 32768, 65504, 65519, 65520,
             100000, 131072, 1000000, 1048575, 1 << 30]
SCAN_END = 8192  # the maximum over [0, SCAN_END) per pair


def bf16(x32):
    """float32 array -> float32 array holding the nearest bfloat16 (ties to even)."""
    u = np.asarray(x32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def rotation(path, theta64, p):
    """(finite, cos, sin) arrays for positions p (int64 array) and one theta (float64)."""
    if path == "exact":
        a = np.longdouble(p) * np.longdouble(theta64)
        red = np.fmod(a, 8 * np.arctan(np.longdouble(1)))
        return np.ones(p.shape, bool), np.cos(red.astype(np.float64)), np.sin(red.astype(np.float64))
    th = np.float32(theta64)
    if path == "bf16-inv-freq":
        th = bf16(np.array([th]))[0]
    if path == "fp16-positions":
        with np.errstate(over="ignore"):
            pos = p.astype(np.float64).astype(np.float16).astype(np.float32)
    else:
        pos = p.astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        ang = (pos * th).astype(np.float32)  # float32 product
        finite = np.isfinite(ang)
        c = np.cos(ang.astype(np.float64)).astype(np.float32)
        s = np.sin(ang.astype(np.float64)).astype(np.float32)
    if path == "bf16-tables":
        c, s = bf16(c), bf16(s)
    return finite, c.astype(np.float64), s.astype(np.float64)


def phase_error(path, theta64, p):
    finite, c, s = rotation(path, theta64, p)
    # 2 pi in long double (np.pi is a float64; arctan gives the long double value).
    two_pi = 8 * np.arctan(np.longdouble(1))
    exact = np.fmod(np.longdouble(p) * np.longdouble(theta64), two_pi)
    with np.errstate(invalid="ignore"):
        d = np.longdouble(np.arctan2(s, c)) - exact
        d = np.fmod(d, two_pi)
        d = np.where(d > two_pi / 2, d - two_pi, d)
        d = np.where(d < -two_pi / 2, d + two_pi, d)
        e = np.abs(d).astype(np.float64)
    return np.where(finite, e, np.nan)


def main():
    out = {"positions": POSITIONS, "scan_end": SCAN_END, "configs": []}
    for name, d, base in CONFIGS:
        theta = base ** (-(2.0 * np.arange(d // 2, dtype=np.float64)) / d)
        cfg = {"name": name, "head_dim": d, "base": base, "inv_freq": theta.tolist(), "paths": {}}
        scan = np.arange(SCAN_END, dtype=np.int64)
        for path in PATHS:
            at, mx, mx_pos = [], [], []
            for th in theta:
                e = phase_error(path, th, np.array(POSITIONS, dtype=np.int64))
                at.append([None if np.isnan(v) else float(v) for v in e])
                es = phase_error(path, th, scan)
                k = int(np.argmax(es))  # first maximum (no NaN below 65520)
                mx.append(float(es[k]))
                mx_pos.append(k)
            cfg["paths"][path] = {"at": at, "max": mx, "max_position": mx_pos}
        out["configs"].append(cfg)
    # Rounding checks: float16 and bfloat16 of chosen values (ties, subnormals, overflow).
    f16_in = [0.0, 1.0, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 2049.0, 2051.0, 4097.0, 65504.0, 65519.0,
              65519.99, 65520.0, 1e6, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25, 6.1e-5, -3.3, 1.0 / 3.0]
    with np.errstate(over="ignore"):
        f16_out = [float(v) for v in np.array(f16_in, dtype=np.float64).astype(np.float16).astype(np.float64)]
    bf_in32 = np.array([1.0, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 0.865964, 1.15478e-4, 3.0e-39, -0.3,
                        1.0 / 3.0, 123456.0], dtype=np.float32)
    out["float16"] = {"in": f16_in, "out": [v if np.isfinite(v) else "inf" for v in f16_out]}
    out["bfloat16"] = {"in": [float(v) for v in bf_in32], "out": [float(v) for v in bf16(bf_in32)]}
    (HERE / "precision.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
