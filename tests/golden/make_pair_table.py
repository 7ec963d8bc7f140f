#!/usr/bin/python3
"""Float64 numpy reference for core::pair_table: one row per pair (features, theta, unscaled theta,
ratio, wavelength, rotations within a context, band and band value) for every scaling type.

inv_freq comes from make_golden.compute (the independent reference of the frequencies); the
per-pair columns, the bands and their values are computed here from ROPE-NOTES.md. Writes
pair_table.json next to this script in a second:

    /usr/bin/python3 tests/golden/make_pair_table.py
"""
import json
import math
import pathlib

import numpy as np

from make_golden import compute, p

HERE = pathlib.Path(__file__).resolve().parent
TWO_PI = 2.0 * math.pi

SHORT8 = [1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0]
LONG8 = [1.0, 1.2, 1.8, 3.0, 5.5, 9.0, 12.0, 16.0]

CASES = [  # (name, params, seq_len, context)
    ("default_d128_neox_at_4096", p(128, 10000.0), 4096, 4096.0),
    ("default_d64_gptj_at_1000", p(64, 500000.0, layout="gptj"), 1024, 1000.0),
    ("default_d128_partial_half", p(128, 10000.0, fraction=0.5), 2048, 2048.0),
    ("linear_factor4", p(64, 10000.0, {"type": "linear", "factor": 4.0}), 8192, 8192.0),
    ("ntk_alpha2", p(128, 10000.0, {"type": "ntk", "alpha": 2.0}), 1024, 4096.0),
    ("dynamic_above", p(128, 10000.0, {"type": "dynamic", "factor": 4.0}, max_pos=2048), 8192, 8192.0),
    ("yarn_truncate", p(128, 10000.0, {"type": "yarn", "factor": 16.0, "original_max": 4096}), 65536, 65536.0),
    ("yarn_no_truncate_gptj", p(64, 10000.0, {"type": "yarn", "factor": 8.0, "original_max": 2048,
                                              "truncate": False}, layout="gptj"), 16384, 16384.0),
    ("yarn_equal_edges", p(64, 10000.0, {"type": "yarn", "factor": 8.0, "original_max": 2048,
                                         "beta_fast": 8.0, "beta_slow": 8.0, "truncate": False}), 16384, 16384.0),
    ("llama3_8x", p(128, 500000.0, {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max": 8192}), 131072, 131072.0),
    ("llama3_other_band", p(64, 10000.0, {"type": "llama3", "factor": 4.0, "low_freq_factor": 2.0,
                                          "high_freq_factor": 8.0, "original_max": 2048}), 8192, 8192.0),
    ("longrope_short", p(16, 10000.0, {"type": "longrope", "original_max": 2048, "short_factor": SHORT8,
                                       "long_factor": LONG8}, max_pos=16384), 2048, 2048.0),
    ("longrope_long", p(16, 10000.0, {"type": "longrope", "original_max": 2048, "short_factor": SHORT8,
                                      "long_factor": LONG8}, max_pos=16384), 2049, 16384.0),
]


def bands(params, fr, seq_len):
    """(band name, band value) per pair."""
    sc = params["scaling"]
    kind = sc["type"]
    theta = fr["inv_freq_unscaled"]
    n = len(theta)
    if kind == "none":
        return [("unscaled", 1.0)] * n
    if kind in ("linear", "dynamic"):
        return [("factor", float(sc["factor"]))] * n
    if kind == "ntk":
        return [("factor", float(sc["alpha"]))] * n
    if kind == "yarn":
        low, high = fr["yarn_low"], fr["yarn_high"]
        if high == low:
            high = high + 0.001
        out = []
        for j in range(n):
            r = min(max((j - low) / (high - low), 0.0), 1.0)
            out.append(("kept" if r == 0.0 else "divided" if r == 1.0 else "blend", r))
        return out
    if kind == "llama3":
        orig, lo, hi = sc["original_max"], sc["low_freq_factor"], sc["high_freq_factor"]
        out = []
        for j in range(n):
            wl = TWO_PI / theta[j]
            if wl > orig / lo:
                out.append(("divided", 0.0))
            elif wl < orig / hi:
                out.append(("kept", 1.0))
            else:
                out.append(("blend", (orig / wl - lo) / (hi - lo)))
        return out
    if kind == "longrope":
        long = seq_len > sc["original_max"]
        ext = sc["long_factor"] if long else sc["short_factor"]
        return [("long factor" if long else "short factor", float(e)) for e in ext]
    raise ValueError(kind)


def case(name, params, seq_len, context):
    fr = compute(params, seq_len)
    inv, theta = np.asarray(fr["inv_freq"]), np.asarray(fr["inv_freq_unscaled"])
    rdim = fr["rotary_dim"]
    gptj = params.get("layout") == "gptj"
    rows = []
    for j, (band, value) in enumerate(bands(params, fr, seq_len)):
        rows.append({"pair": j, "feature_a": 2 * j if gptj else j, "feature_b": 2 * j + 1 if gptj else j + rdim // 2,
                     "theta": float(inv[j]), "theta_unscaled": float(theta[j]), "ratio": float(inv[j] / theta[j]),
                     "wavelength": float(TWO_PI / inv[j]), "rotations_in_context": float(context * inv[j] / TWO_PI),
                     "band": band, "band_value": float(value)})
    return {"name": name, "params": params, "seq_len": seq_len, "context": context, "rows": rows}


def main():
    out = {"description": "core::pair_table rows from make_pair_table.py (float64 numpy). params are direct "
                          "RopeConfig fields as in frequencies.json; seq_len sets the config's seq_len "
                          "(dynamic, longrope), context the rotations column.",
           "cases": [case(*c) for c in CASES]}
    path = HERE / "pair_table.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
