#!/usr/bin/env python3
"""Tests of tools/capture_qk.py's model-independent part with a tiny torch model whose attention
calls a module-level apply_rotary_pos_emb as Hugging Face's models do (grouped-query heads, a q/k
norm before RoPE). With --ropescope EXE, the written capture is also run through `ropescope heads`
and `ropescope scores`, which must reproduce the model's own attention probabilities. The
transformers path runs when transformers is importable and is reported as skipped otherwise.

    /usr/bin/python3 tools/test_capture_qk.py [--ropescope build/release/app/ropescope]

Exit code 77 (skipped) when torch is not installed.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import types
import unittest

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:
    print("SKIPPED: torch is not importable (Debian: apt-get install python3-torch)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capture_qk  # noqa: E402

ROPESCOPE = None
HIDDEN, HEADS, KV_HEADS, HEAD_DIM, LAYERS, BASE, VOCAB = 32, 4, 2, 8, 3, 50.0, 64


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    """The Hugging Face (Llama) form: NeoX pairs (i, i + d/2)."""
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class TinyRotary(nn.Module):
    def forward(self, x, position_ids):
        inv_freq = BASE ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
        freqs = position_ids[:, :, None].to(torch.float64) * inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


class TinyAttention(nn.Module):
    def __init__(self, layer_idx):
        super().__init__()
        self.layer_idx = layer_idx
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=False)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        self.q_norm = nn.LayerNorm(HEAD_DIM)
        self.last_probs = None

    def forward(self, x, cos, sin):
        b, n, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, n, HEADS, HEAD_DIM)).transpose(1, 2) * 3.0
        k = self.k_proj(x).view(b, n, KV_HEADS, HEAD_DIM).transpose(1, 2) * 3.0
        v = self.v_proj(x).view(b, n, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        scores = q @ k.transpose(-1, -2) / HEAD_DIM ** 0.5
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        probs = scores.softmax(dim=-1)
        self.last_probs = probs[0].detach().clone()
        return self.o_proj((probs @ v).transpose(1, 2).reshape(b, n, HEADS * HEAD_DIM))


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.rotary = TinyRotary()
        self.layers = nn.ModuleList(TinyAttention(i) for i in range(LAYERS))

    def forward(self, input_ids, position_ids):
        x = self.embed(input_ids)
        cos, sin = self.rotary(x, position_ids)
        for layer in self.layers:
            x = x + layer(x, cos, sin)
        return x


def tiny_model():
    torch.manual_seed(3)
    return TinyModel().double().eval()


def model_ids(n=40):
    return torch.tensor([[(7 * i + 3) % VOCAB for i in range(n)]])


def read_capture(path):
    """An independent reader: header JSON and the raw arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    arrays = {}
    kinds = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "BF16": "<u2"}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = np.frombuffer(data[base + begin:base + end], dtype=kinds[entry["dtype"]]).reshape(entry["shape"])
        if entry["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = raw
    return header, arrays


def softmax_stats(p, sink=4, local=8):
    n = p.shape[0]
    m_idx, n_idx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    dist = np.where(n_idx <= m_idx, m_idx - n_idx, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    return {"mean_distance": np.mean((p * dist).sum(axis=1)), "entropy": np.mean(-plogp.sum(axis=1)),
            "sink_mass": np.mean(p[:, :sink].sum(axis=1)), "prev_token_mass": np.mean(np.diag(p, -1)),
            "local_mass": np.mean(np.where((n_idx <= m_idx) & (m_idx - n_idx <= local), p, 0.0).sum(axis=1))}


CONFIG = json.dumps({"model_type": "llama", "rope_theta": BASE, "hidden_size": HIDDEN, "num_attention_heads": HEADS,
                     "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM, "max_position_embeddings": 32})


class Recorder(unittest.TestCase):
    def test_captured_vectors_are_pre_rope_and_reproduce_the_models_attention(self):
        model, ids = tiny_model(), model_ids()
        layers, q, k, positions = capture_qk.capture(model, ids)
        self.assertEqual(layers, [0, 1, 2])
        self.assertEqual(q.shape, (LAYERS, HEADS, 40, HEAD_DIM))
        self.assertEqual(k.shape, (LAYERS, KV_HEADS, 40, HEAD_DIM))
        np.testing.assert_array_equal(positions, np.arange(40))
        cos, sin = model.rotary(torch.zeros(1, dtype=torch.float64), torch.tensor(positions)[None])
        for layer in range(LAYERS):
            qr, kr = apply_rotary_pos_emb(torch.tensor(q[layer], dtype=torch.float64)[None],
                                          torch.tensor(k[layer], dtype=torch.float64)[None], cos, sin)
            for h in range(HEADS):
                kv = h // (HEADS // KV_HEADS)
                s = (qr[0, h] @ kr[0, kv].T / HEAD_DIM ** 0.5).numpy()
                s[np.triu_indices(40, 1)] = -np.inf
                p = np.exp(s - s.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                # float32 storage of the captured vectors: 1e-5 on probabilities.
                np.testing.assert_allclose(p, model.layers[layer].last_probs[h].numpy(), atol=1e-5)

    def test_the_function_is_restored_and_a_layer_subset_is_the_same_data(self):
        model, ids = tiny_model(), model_ids()
        _, q_all, k_all, _ = capture_qk.capture(model, ids)
        self.assertIs(sys.modules[__name__].apply_rotary_pos_emb, apply_rotary_pos_emb)
        layers, q, k, _ = capture_qk.capture(model, ids, layers=[2, 0])
        self.assertEqual(layers, [0, 2])
        np.testing.assert_array_equal(q, q_all[[0, 2]])
        np.testing.assert_array_equal(k, k_all[[0, 2]])
        self.assertIs(sys.modules[__name__].apply_rotary_pos_emb, apply_rotary_pos_emb)

    def test_a_missing_layer_and_a_model_without_the_function_are_reported(self):
        model, ids = tiny_model(), model_ids()
        with self.assertRaisesRegex(RuntimeError, r"layers \[5\] were not recorded"):
            capture_qk.capture(model, ids, layers=[1, 5])
        bare = types.ModuleType("bare_modeling")
        sys.modules["bare_modeling"] = bare

        class Bare(nn.Module):
            def forward(self, input_ids, position_ids):
                return input_ids

        Bare.__module__ = "bare_modeling"
        with self.assertRaisesRegex(SystemExit, "no apply_rotary_pos_emb in the model's modules"):
            capture_qk.capture(Bare(), ids)


class File(unittest.TestCase):
    def test_round_trip_of_every_field_and_dtype(self):
        rng = np.random.default_rng(1)
        q = rng.standard_normal((2, 4, 5, 8)).astype(np.float32)
        k = rng.standard_normal((2, 2, 5, 8)).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            for dtype, tol in (("f32", 0), ("f16", 1e-3), ("bf16", 8e-3)):
                path = os.path.join(tmp, dtype + ".safetensors")
                capture_qk.write_capture(path, q, k, [0, 1, 2, 5, 9], CONFIG, ["a", "b", "c", "d", "é"], [4, 9],
                                         "m", "s.txt", dtype)
                header, arrays = read_capture(path)
                with open(path, "rb") as f:
                    self.assertEqual(struct.unpack("<Q", f.read(8))[0] % 8, 0)
                meta = header["__metadata__"]
                self.assertEqual(meta["format"], "ropescope-qk/1")
                self.assertEqual(json.loads(meta["tokens"]), ["a", "b", "c", "d", "é"])
                self.assertEqual(json.loads(meta["layers"]), [4, 9])
                self.assertEqual((meta["model"], meta["source"], meta["config"]), ("m", "s.txt", CONFIG))
                np.testing.assert_array_equal(arrays["positions"], [0, 1, 2, 5, 9])
                np.testing.assert_allclose(arrays["q"], q, rtol=tol, atol=0)
                np.testing.assert_allclose(arrays["k"], k, rtol=tol, atol=0)
        with self.assertRaises(ValueError):
            capture_qk.write_capture("/dev/null", q, k[:, :, :3], None)
        with self.assertRaises(ValueError):
            capture_qk.write_capture("/dev/null", q, k, None, tokens=["x"])


@unittest.skipIf(ROPESCOPE is None and "--ropescope" not in sys.argv, "no --ropescope EXE given")
class Ropescope(unittest.TestCase):
    def capture_file(self, tmp):
        model, ids = tiny_model(), model_ids()
        layers, q, k, positions = capture_qk.capture(model, ids)
        path = os.path.join(tmp, "tiny.safetensors")
        capture_qk.write_capture(path, q, k, positions, CONFIG, [str(i) for i in ids[0].tolist()], [10, 11, 12],
                                 "tiny", "test")
        return model, path

    def test_heads_reproduces_the_statistics_of_the_models_own_attention(self):
        with tempfile.TemporaryDirectory() as tmp:
            model, path = self.capture_file(tmp)
            run = subprocess.run([ROPESCOPE, "heads", "--capture", path, "--json"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            rows = json.loads(run.stdout)["heads"]
            self.assertEqual(len(rows), LAYERS * HEADS)
            for row in rows:
                layer, head = row["layer"] - 10, row["head"]
                self.assertEqual(row["kv_head"], head // (HEADS // KV_HEADS))
                want = softmax_stats(model.layers[layer].last_probs[head].numpy())
                for key, value in want.items():
                    self.assertAlmostEqual(row[key], value, delta=1e-5, msg=f"{key} layer {layer} head {head}")

    def test_scores_gives_the_models_probabilities_of_one_head(self):
        with tempfile.TemporaryDirectory() as tmp:
            model, path = self.capture_file(tmp)
            out = os.path.join(tmp, "p.npy")
            run = subprocess.run([ROPESCOPE, "scores", "--capture", path, "--layer", "11", "--head", "3", "--causal",
                                  "--softmax", "-o", out], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            np.testing.assert_allclose(np.load(out), model.layers[1].last_probs[3].numpy(), atol=1e-5)


class Transformers(unittest.TestCase):
    def test_a_tiny_llama_from_transformers(self):
        try:
            from transformers import LlamaConfig, LlamaForCausalLM
        except ImportError:
            self.skipTest("transformers is not importable: its path is not tested here")
        config = LlamaConfig(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, max_position_embeddings=64)
        torch.manual_seed(0)
        model = LlamaForCausalLM(config).eval()
        layers, q, k, _ = capture_qk.capture(model, model_ids(12))
        self.assertEqual(layers, [0, 1])
        self.assertEqual(q.shape, (2, HEADS, 12, HIDDEN // HEADS))
        self.assertEqual(k.shape, (2, KV_HEADS, 12, HIDDEN // HEADS))


if __name__ == "__main__":
    if "--ropescope" in sys.argv:
        at = sys.argv.index("--ropescope")
        ROPESCOPE = sys.argv[at + 1]
        del sys.argv[at:at + 2]
    unittest.main(verbosity=2)
