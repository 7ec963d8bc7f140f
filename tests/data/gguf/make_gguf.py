#!/usr/bin/env python3
"""Writes the GGUF test fixtures of tests/data/gguf/ (see README.md there).

A small GGUF writer of its own, from the format's published specification (ggml docs/gguf.md):
little-endian; magic "GGUF", u32 version, u64 tensor count, u64 metadata count; each metadata pair a
u64-length key, a u32 value type and the value; then each tensor's name, u32 n_dims, u64 dims,
u32 ggml type and u64 offset; the tensor data aligned to general.alignment (default 32).
Only struct and numpy. Run: /usr/bin/python3 tests/data/gguf/make_gguf.py
With --sparse PATH GB it writes instead a sparse file of GB gigabytes (not committed): the llama
header with one large F16 weight whose bytes are a hole, and rope_freqs.weight at the very end,
to time that opening a big file reads only its header.
"""
import math
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?",
          U64: "<Q", I64: "<q", F64: "<d"}
GGML_F32, GGML_F16 = 0, 1


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def value(vtype, v):
    if vtype in SCALAR:
        return struct.pack(SCALAR[vtype], v)
    if vtype == STRING:
        return string(v)
    if vtype == ARRAY:
        etype, items = v
        return struct.pack("<IQ", etype, len(items)) + b"".join(value(etype, x) for x in items)
    raise ValueError(vtype)


def gguf(kv, tensors=(), version=3, alignment=32, endian="<"):
    """kv: [(key, type, value)]; tensors: [(name, dims, ggml_type, data bytes)]."""
    out = b"GGUF" + struct.pack(endian + "IQQ", version, len(tensors), len(kv))
    for key, vtype, v in kv:
        out += string(key) + struct.pack("<I", vtype) + value(vtype, v)
    offset, blobs = 0, []
    for name, dims, ttype, data in tensors:
        out += string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ttype, offset)
        blobs.append(data)
        offset += len(data) + (-len(data)) % alignment
    out += b"\0" * ((-len(out)) % alignment)
    for data in blobs:
        out += data + b"\0" * ((-len(data)) % alignment)
    return out


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def llama3_factors(base, dim, factor, low, high, old_ctx):
    """convert_hf_to_gguf.py LlamaModel's rope_freqs: the divisor of each pair's frequency that
    Hugging Face's _compute_llama3_parameters applies (float64, stored as float32)."""
    freqs = 1.0 / base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def llama_kv(arch="llama"):
    # Llama-3.1-8B (tests/data/configs/models/llama-3.1-8b.json) as llama.cpp's converter writes it,
    # plus one key of every metadata type and nested arrays (keys ropescope does not read).
    return [
        ("general.architecture", STRING, arch),
        ("general.name", STRING, "Llama 3.1 8B"),
        ("general.alignment", U32, 32),
        (arch + ".block_count", U32, 32),
        (arch + ".context_length", U32, 131072),
        (arch + ".embedding_length", U32, 4096),
        (arch + ".feed_forward_length", U32, 14336),
        (arch + ".attention.head_count", U32, 32),
        (arch + ".attention.head_count_kv", U32, 8),
        (arch + ".rope.freq_base", F32, 500000.0),
        (arch + ".rope.dimension_count", U32, 128),
        (arch + ".attention.layer_norm_rms_epsilon", F32, 1e-5),
        ("test.u8", U8, 200), ("test.i8", I8, -5), ("test.u16", U16, 60000), ("test.i16", I16, -30000),
        ("test.i32", I32, -7), ("test.bool", BOOL, True), ("test.u64", U64, 2**40), ("test.i64", I64, -2**40),
        ("test.f64", F64, 0.25),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, ["<s>", "</s>", "hello", "\u00e9"])),
        ("tokenizer.ggml.scores", ARRAY, (F32, [0.0, -1.0, -2.5, -3.0])),
        ("test.nested", ARRAY, (ARRAY, [(I32, [1, 2]), (U8, [3])])),
    ]


def main():
    factors = llama3_factors(500000.0, 128, 8.0, 1.0, 4.0, 8192)
    embd = np.zeros(16, dtype=np.float16).tobytes()
    llama_tensors = [("token_embd.weight", [4, 4], GGML_F16, embd),
                     ("rope_freqs.weight", [64], GGML_F32, factors.tobytes())]
    write("llama-3.1-8b.gguf", gguf(llama_kv(), llama_tensors))

    # Qwen2-7B (tests/data/configs/models/qwen2-7b.json): NEOX, no scaling, a version 2 file.
    qwen = [("general.architecture", STRING, "qwen2"), ("qwen2.block_count", U32, 28),
            ("qwen2.context_length", U32, 131072), ("qwen2.embedding_length", U32, 3584),
            ("qwen2.attention.head_count", U32, 28), ("qwen2.attention.head_count_kv", U32, 4),
            ("qwen2.rope.freq_base", F32, 1000000.0)]
    write("qwen2-7b.gguf", gguf(qwen, version=2))

    # No rope.freq_base: llama.cpp takes 10000 (a warning in ropescope, an error with --strict).
    write("no-freq-base.gguf", gguf([kv for kv in qwen if not kv[0].endswith("freq_base")]))

    # yarn: Qwen2-7B with the yarn factor 4 over 32768 that Qwen's model card suggests, and
    # llama.cpp's attn_factor 1 (so Hugging Face's default attention factor 1 + 0.1 ln 4).
    yarn = qwen + [("qwen2.rope.scaling.type", STRING, "yarn"), ("qwen2.rope.scaling.factor", F32, 4.0),
                   ("qwen2.rope.scaling.original_context_length", U32, 32768),
                   ("qwen2.rope.scaling.attn_factor", F32, 1.0)]
    write("qwen2-7b-yarn.gguf", gguf(yarn))

    # longrope: Phi-3-style factor tensors (head 96, 48 pairs), attn_factor as the converter writes it.
    long_f = np.linspace(1.0, 20.0, 48).astype(np.float32)
    short_f = np.linspace(1.0, 2.0, 48).astype(np.float32)
    phi = [("general.architecture", STRING, "phi3"), ("phi3.context_length", U32, 131072),
           ("phi3.embedding_length", U32, 3072), ("phi3.attention.head_count", U32, 32),
           ("phi3.rope.dimension_count", U32, 96), ("phi3.rope.freq_base", F32, 10000.0),
           ("phi3.rope.scaling.original_context_length", U32, 4096),
           ("phi3.rope.scaling.attn_factor", F32, math.sqrt(1 + math.log(32) / math.log(4096)))]
    write("phi3-longrope.gguf", gguf(phi, [("rope_factors_long.weight", [48], GGML_F32, long_f.tobytes()),
                                           ("rope_factors_short.weight", [48], GGML_F32, short_f.tobytes())]))

    # Hostile files: each must give one line naming the file and the problem.
    os.makedirs(os.path.join(HERE, "hostile"), exist_ok=True)
    h = lambda name, data: write(os.path.join("hostile", name), data)
    h("big-endian.gguf", gguf(qwen, endian=">"))
    h("version-1.gguf", gguf(qwen, version=1))
    h("wrong-type.gguf", gguf([(k, STRING, "28") if k.endswith("head_count") else (k, t, v) for k, t, v in qwen]))
    h("duplicate-key.gguf", gguf(qwen + [("qwen2.rope.freq_base", F32, 10000.0)]))
    h("missing-keys.gguf", gguf([kv for kv in qwen if not kv[0].endswith(("context_length", "head_count"))]))
    past = gguf(llama_kv(), llama_tensors)
    h("truncated-factors.gguf", past[:-40])  # rope_freqs.weight runs past the end
    huge = bytearray(gguf(qwen))
    huge[24:32] = struct.pack("<Q", 2**62)  # the first key's length
    h("absurd-string.gguf", bytes(huge))
    counts = bytearray(gguf(qwen))
    counts[16:24] = struct.pack("<Q", 2**60)  # metadata count
    h("absurd-count.gguf", bytes(counts))
    bomb = gguf(qwen + [("x", ARRAY, (STRING, []))])
    at = bomb.index(string("x") + struct.pack("<I", ARRAY)) + 9 + 4 + 4  # the array's length
    h("array-bomb.gguf", bomb[:at] + struct.pack("<Q", 2**40) + bomb[at + 8:])


def sparse(path, gb):
    factors = llama3_factors(500000.0, 128, 8.0, 1.0, 4.0, 8192).tobytes()
    rows = (gb << 30) // (4096 * 2)
    weight_bytes = rows * 4096 * 2
    kv = llama_kv()
    head = b"GGUF" + struct.pack("<IQQ", 3, 2, len(kv))
    for key, vtype, v in kv:
        head += string(key) + struct.pack("<I", vtype) + value(vtype, v)
    head += string("token_embd.weight") + struct.pack("<IQQIQ", 2, 4096, rows, GGML_F16, 0)
    head += string("rope_freqs.weight") + struct.pack("<IQIQ", 1, 64, GGML_F32, weight_bytes)
    head += b"\0" * ((-len(head)) % 32)
    with open(path, "wb") as f:
        f.write(head)
        f.seek(len(head) + weight_bytes)
        f.write(factors)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--sparse":
        sparse(sys.argv[2], int(sys.argv[3]))
    else:
        main()
