#!/usr/bin/python3
"""Makes the tensor fixtures for tests/core/tensor_io_test.cpp with numpy (Debian's python3-numpy).

Run from anywhere: /usr/bin/python3 tests/data/tensors/make_tensors.py
The .npy files are written by np.save / np.lib.format.write_array, so their bytes are numpy's own;
the test checks that our writer produces the same bytes for the same arrays. The values are simple
formulas that the C++ test recomputes exactly. The .safetensors file is written by hand (8-byte
little-endian header length, JSON header padded with spaces to a multiple of 8, data buffer), the
way the reference implementation lays it out. The script also writes the fuzzing seed corpus.
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "fuzz_corpus")


def save(name, array, version=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            np.lib.format.write_array(f, array, version=version)
    return path


def f32_2d():
    # value[i] = i * 0.25 - 1, shape (3, 4)
    return np.arange(12, dtype=np.float32).reshape(3, 4) * np.float32(0.25) - np.float32(1)


def make_npy():
    save("f32_2d.npy", f32_2d())
    # value[i] = i * 0.1 in float64, shape (2, 5)
    save("f64_2d.npy", np.arange(10, dtype=np.float64).reshape(2, 5) * 0.1)
    # value[i] = (i - 12) / 8, shape (2, 3, 4)
    save("f32_3d.npy", (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - np.float32(12)) / np.float32(8))
    # value[i] = i * 0.5, shape (5,)
    save("f32_1d.npy", np.arange(5, dtype=np.float32) * np.float32(0.5))
    save("f32_empty.npy", np.zeros((0, 4), dtype=np.float32))
    # A first dimension with 12 digits: the growth padding shrinks to 9 spaces.
    save("f32_long_dim.npy", np.zeros((123456789012, 0), dtype=np.float32))
    # numpy's padding rule gives a full 64 spaces when the header is already aligned.
    save("f32_align_edge.npy", np.zeros((0,) + (1,) * 11 + (100000,), dtype=np.float32))
    save("f64_3d.npy", np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.1)
    save("f32_v2.npy", f32_2d(), version=(2, 0))
    save("f32_v3.npy", f32_2d(), version=(3, 0))
    # Rejected by ropescope:
    save("f32_fortran.npy", np.asfortranarray(f32_2d()))
    save("f32_bigendian.npy", f32_2d().astype(">f4"))
    save("i32_2d.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
    save("f16_2d.npy", np.arange(6, dtype=np.float16).reshape(2, 3))
    save("f32_4d.npy", np.zeros((1, 2, 1, 2), dtype=np.float32))


# F16 specials: 0, -0, 1, -2, max 65504, min normal 2^-14, min subnormal 2^-24, 3 * 2^-24,
# max subnormal 1023 * 2^-24, +inf, -inf, NaN, and 1/3 rounded to F16 (0.333251953125).
HALF_VALUES = [0.0, -0.0, 1.0, -2.0, 65504.0, 2.0**-14, 2.0**-24, 3 * 2.0**-24, 1023 * 2.0**-24,
               np.inf, -np.inf, np.nan, 1.0 / 3.0]

# BF16 bit patterns: 1, -1.5, pi truncated (3.140625), min subnormal 2^-133, min normal 2^-126,
# -0, +inf, NaN.
BF16_BITS = [0x3F80, 0xBFC0, 0x4049, 0x0001, 0x0080, 0x8000, 0x7F80, 0x7FC0]


def safetensors_bytes(tensors, metadata=None):
    """tensors: list of (name, dtype string, shape, raw little-endian bytes), stored in order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(raw for _, _, _, raw in tensors)


def mixed_tensors():
    q = ((np.arange(6, dtype=np.float32) - np.float32(2.5)) * np.float32(0.5)).reshape(2, 3)
    half = np.array(HALF_VALUES, dtype=np.float16)
    bf16 = np.array(BF16_BITS, dtype="<u2").reshape(2, 4)
    ids = np.array([7, -1, 3], dtype="<i4")
    return [
        ("q", "F32", q.shape, q.astype("<f4").tobytes()),
        ("half", "F16", half.shape, half.astype("<f2").tobytes()),
        ("brain", "BF16", bf16.shape, bf16.tobytes()),
        ("ids", "I32", ids.shape, ids.tobytes()),
    ]


def make_safetensors():
    data = safetensors_bytes(mixed_tensors(), {"format": "pt", "made_by": "make_tensors.py"})
    with open(os.path.join(HERE, "mixed.safetensors"), "wb") as f:
        f.write(data)
    return data


def make_corpus(mixed):
    npy_dir = os.path.join(CORPUS, "npy")
    st_dir = os.path.join(CORPUS, "safetensors")
    os.makedirs(npy_dir, exist_ok=True)
    os.makedirs(st_dir, exist_ok=True)
    for name in ["f32_2d.npy", "f64_2d.npy", "f32_3d.npy", "f32_1d.npy", "f32_empty.npy", "f32_v2.npy",
                 "f32_v3.npy", "f32_fortran.npy", "f32_bigendian.npy", "i32_2d.npy"]:
        with open(os.path.join(HERE, name), "rb") as src, open(os.path.join(npy_dir, name), "wb") as dst:
            dst.write(src.read())
    with open(os.path.join(st_dir, "mixed.safetensors"), "wb") as f:
        f.write(mixed)
    one = np.array([1.5, -2.0], dtype="<f4")
    with open(os.path.join(st_dir, "one_f32.safetensors"), "wb") as f:
        f.write(safetensors_bytes([("q", "F32", one.shape, one.tobytes())]))
    with open(os.path.join(st_dir, "empty.safetensors"), "wb") as f:
        f.write(safetensors_bytes([], {}))

    # A few hostile seeds, so the fuzzers start next to the error paths.
    def write(directory, name, data):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)

    def npy(header, data=b"", major=1, length=None):
        length = len(header) if length is None else length
        field = struct.pack("<H" if major == 1 else "<I", length)
        return b"\x93NUMPY" + bytes([major, 0]) + field + header + data

    write(npy_dir, "hostile_4gib_header.npy", npy(b"", major=2, length=0xFFFFFFFF) + b" " * 88)
    write(npy_dir, "hostile_negative_dim.npy",
          npy(b"{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }\n", bytes(48)))
    write(npy_dir, "hostile_truncated.npy",
          npy(b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }\n", bytes(40)))
    overlap = (b'{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},'
               b'"b":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}')
    write(st_dir, "hostile_overlap.safetensors", struct.pack("<Q", len(overlap)) + overlap + bytes(4))
    write(st_dir, "hostile_4gib_header.safetensors", struct.pack("<Q", 1 << 32) + b" " * 92)
    negative = b'{"q":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}'
    write(st_dir, "hostile_negative_dim.safetensors", struct.pack("<Q", len(negative)) + negative + bytes(4))


if __name__ == "__main__":
    make_npy()
    make_corpus(make_safetensors())
