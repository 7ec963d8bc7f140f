#!/usr/bin/python3
"""The causal RoPE attention pipeline in PyTorch CPU, for a side-by-side comparison with
`ropescope bench`.

Same work as ropescope's `pipeline` stage: cos/sin tables for N positions (Hugging Face style,
float32 angles), rotate_half RoPE of Q and K (N x d), q @ k.T / sqrt(d), causal mask, softmax,
giving the N x N float32 probability matrix. Prints median and p95 ms over --reps runs after a
warm-up (and the median process CPU time, all threads, which a busy machine stretches much
less than wall time); with --ropescope PATH it also runs `PATH bench --json --scenario full --n N` and prints both with the ratio.

q @ k.T goes to whatever BLAS torch is linked with (Debian's torch: the libblas.so.3
alternative; the script prints which library is loaded). With only the reference BLAS installed
that matmul is very slow, so --matmul onednn (or both, the default) also times the same product
through torch's bundled oneDNN (mkldnn_linear), which is the fairer PyTorch figure there.

Run with the Debian PyTorch and tell OpenBLAS the CPU (it misdetects this one):
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch_pipeline.py \
        --ropescope build/release/app/ropescope
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import torch


def percentile(values, q):
    """Nearest-rank percentile, as ropescope's bench computes it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def matmul_blas(a, b):
    return a @ b.T


def matmul_onednn(a, b):
    return torch._C._nn.mkldnn_linear(a.to_mkldnn(), b.to_mkldnn(), None).to_dense()


def causal_pipeline(q, k, inv_freq, mask, matmul=matmul_blas):
    n, d = q.shape
    positions = torch.arange(n, dtype=torch.float32)
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    q_rot = q * cos + rotate_half(q) * sin
    k_rot = k * cos + rotate_half(k) * sin
    scores = matmul(q_rot, k_rot) / math.sqrt(d)
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


def blas_library():
    """The BLAS shared library mapped into this process (after torch has loaded it)."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() or "blis" in line.lower()}
        return ", ".join(sorted(os.path.realpath(lib) for lib in libs if lib.startswith("/"))) or "unknown"
    except OSError:
        return "unknown"


def time_pipeline(n, d, base, reps, threads, matmul):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(n, d, generator=gen)
    k = torch.randn(n, d, generator=gen)
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    # The mask is built once, as models cache it.
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    with torch.inference_mode():
        for _ in range(2):
            causal_pipeline(q, k, inv_freq, mask, matmul)
        times, cpu = [], []
        for _ in range(reps):
            c0, t0 = time.process_time(), time.perf_counter()
            probs = causal_pipeline(q, k, inv_freq, mask, matmul)
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    # Sanity: rows sum to 1, the upper triangle is 0.
    assert abs(float(probs.sum(dim=-1).mean()) - 1.0) < 1e-4
    assert float(probs[0, 1:].abs().sum()) == 0.0
    return statistics.median(times), percentile(times, 95), statistics.median(cpu)


def run_ropescope(path, n, extra_args):
    cmd = [path, "bench", "--json", "--scenario", "full", "--n", str(n)] + extra_args
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if line.strip().startswith("{")]
    report = json.loads(lines[-1] if lines else out)
    report = report.get("full", report)  # `bench --json` nests the full scenario under "full"
    stages = {s["name"]: s for s in report["stages"]}
    return report, stages


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=4096, help="sequence length N (default 4096)")
    parser.add_argument("--head-dim", type=int, default=128)
    parser.add_argument("--base", type=float, default=10000.0)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ropescope", metavar="PATH", help="ropescope executable to run side by side")
    parser.add_argument("--ropescope-args", default="", help="extra arguments for `ropescope bench`")
    parser.add_argument("--matmul", choices=["blas", "onednn", "both"], default="both",
                        help="how torch computes q @ k.T (default both)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    if os.environ.get("OPENBLAS_CORETYPE") is None:
        print("note: OPENBLAS_CORETYPE is not set; OpenBLAS may misdetect this CPU "
              "(use OPENBLAS_CORETYPE=SkylakeX)", file=sys.stderr)
    variants = {"blas": matmul_blas, "onednn": matmul_onednn}
    chosen = list(variants) if args.matmul == "both" else [args.matmul]
    result = {"torch": {"version": torch.__version__, "threads": args.threads, "n": args.n,
                        "head_dim": args.head_dim,
                        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "unset")}}
    for name in chosen:
        median, p95, cpu = time_pipeline(args.n, args.head_dim, args.base, args.reps, args.threads, variants[name])
        result["torch"][name] = {"median_ms": median, "p95_ms": p95, "median_cpu_ms": cpu}
    result["torch"]["blas_library"] = blas_library()
    if args.ropescope:
        report, stages = run_ropescope(args.ropescope, args.n, args.ropescope_args.split())
        pipe = stages["pipeline"]
        result["ropescope"] = {"n": report.get("seq_len"), "head_dim": report.get("head_dim"),
                               "threads": report.get("threads"), "target": report.get("target"),
                               "median_ms": pipe["median_ms"], "p95_ms": pipe["p95_ms"],
                               "median_cpu_ms": pipe.get("median_cpu_ms", float("nan"))}
        for name in chosen:
            t = result["torch"][name]
            result[f"speedup_vs_{name}_median"] = t["median_ms"] / pipe["median_ms"]
            result[f"speedup_vs_{name}_p95"] = t["p95_ms"] / pipe["p95_ms"]
            result[f"cpu_ratio_vs_{name}"] = t["median_cpu_ms"] / result["ropescope"]["median_cpu_ms"]
    if args.json:
        print(json.dumps(result))
        return
    print(f"causal RoPE pipeline, N={args.n}, d={args.head_dim}")
    print(f"{'':18s} {'median ms':>10s} {'p95 ms':>10s} {'cpu ms':>10s}")
    for name in chosen:
        t = result["torch"][name]
        print(f"{'pytorch/' + name:18s} {t['median_ms']:10.2f} {t['p95_ms']:10.2f} {t['median_cpu_ms']:10.2f}")
    print(f"  (torch {torch.__version__}, {args.threads} threads, "
          f"OPENBLAS_CORETYPE={result['torch']['openblas_coretype']}, BLAS: {result['torch']['blas_library']})")
    if args.ropescope:
        r = result["ropescope"]
        print(f"{'ropescope':18s} {r['median_ms']:10.2f} {r['p95_ms']:10.2f} {r['median_cpu_ms']:10.2f}   "
              f"(N={r['n']}, d={r['head_dim']}, {r['threads']} threads, {r['target']})")
        for name in chosen:
            print(f"ropescope vs pytorch/{name}: {result[f'speedup_vs_{name}_median']:.2f}x faster at the median, "
                  f"{result[f'speedup_vs_{name}_p95']:.2f}x at p95, {result[f'cpu_ratio_vs_{name}']:.2f}x less CPU time")


if __name__ == "__main__":
    main()
