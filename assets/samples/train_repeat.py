#!/usr/bin/env python3
"""Trains the sample model and writes its capture, assets/samples/repeat_2l4h.safetensors.

A 2-layer, 4-head, head_dim-32 RoPE transformer (d_model 128, pre-norm attention-only blocks,
NeoX rotary pairs, base 10000, no other position signal) learns to continue sequences that repeat:
each training sequence of 256 tokens is a random segment of 8 to 64 tokens repeated, so the
period varies, no distance can be memorised, and the model has to form previous-token and
induction heads. Fixed seeds; float32 on CPU (two threads; set OPENBLAS_CORETYPE=SkylakeX with OpenBLAS).
The capture runs one sequence of N = 2048 tokens (eight times the training length) whose segment
of 64 tokens repeats 32 times, through tools/capture_qk.py's recorder, and stores q and k in F16.

    /usr/bin/python3 assets/samples/train_repeat.py [--steps 2000] [--batch 8] [-o FILE]
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools"))
import capture_qk  # noqa: E402

VOCAB, D_MODEL, HEADS, HEAD_DIM, LAYERS, BASE = 256, 128, 4, 32, 2, 10000.0
TRAIN_LEN, CAPTURE_LEN, CAPTURE_PERIOD = 256, 2048, 64


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    """Hugging Face's form (Llama): NeoX pairs (i, i + d/2); the capture tool wraps this."""
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def rope_tables(position_ids):
    inv_freq = BASE ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
    freqs = position_ids[:, :, None].double() * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().float(), emb.sin().float()


class Attention(nn.Module):
    def __init__(self, layer_idx):
        super().__init__()
        self.layer_idx = layer_idx
        self.qkv = nn.Linear(D_MODEL, 3 * HEADS * HEAD_DIM, bias=False)
        self.out = nn.Linear(HEADS * HEAD_DIM, D_MODEL, bias=False)

    def forward(self, x, cos, sin):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, HEADS, HEAD_DIM).permute(2, 0, 3, 1, 4)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        scores = (q @ k.transpose(-1, -2)) / HEAD_DIM ** 0.5
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        return self.out((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, HEADS * HEAD_DIM))


class Block(nn.Module):
    def __init__(self, layer_idx):
        super().__init__()
        self.norm = nn.LayerNorm(D_MODEL)
        self.attn = Attention(layer_idx)

    def forward(self, x, cos, sin):
        return x + self.attn(self.norm(x), cos, sin)


class RepeatModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        self.blocks = nn.ModuleList(Block(i) for i in range(LAYERS))
        self.norm = nn.LayerNorm(D_MODEL)
        self.unembed = nn.Linear(D_MODEL, VOCAB, bias=False)

    def forward(self, input_ids, position_ids):
        x = self.embed(input_ids)
        cos, sin = rope_tables(position_ids)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.unembed(self.norm(x))


def repeat_batch(generator, batch, length, period=None):
    """Random segments of `period` tokens (8 to 64 when None) repeated to `length` tokens."""
    rows = []
    for _ in range(batch):
        p = period or int(torch.randint(8, 65, (1,), generator=generator))
        segment = torch.randint(0, VOCAB, (p,), generator=generator)
        rows.append(segment.repeat(length // p + 1)[:length])
    return torch.stack(rows)


CONFIG = {"model_type": "llama", "architectures": ["RepeatModel"], "hidden_size": D_MODEL,
          "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "head_dim": HEAD_DIM,
          "num_hidden_layers": LAYERS, "rope_theta": BASE, "max_position_embeddings": TRAIN_LEN,
          "vocab_size": VOCAB}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--save-model", help="also save the trained weights here")
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "repeat_2l4h.safetensors"))
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    generator = torch.Generator().manual_seed(1)
    model = RepeatModel()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 50))
    positions = torch.arange(TRAIN_LEN).unsqueeze(0)
    start = time.time()
    for step in range(args.steps):
        ids = repeat_batch(generator, args.batch, TRAIN_LEN + 1)
        logits = model(ids[:, :-1], positions)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}  {time.time() - start:6.1f} s", flush=True)
    model.eval()
    if args.save_model:
        torch.save(model.state_dict(), args.save_model)
    ids = repeat_batch(torch.Generator().manual_seed(2), 1, CAPTURE_LEN, CAPTURE_PERIOD)
    layers, q, k, pos = capture_qk.capture(model, ids)
    with torch.no_grad():
        predicted = model(ids, torch.arange(CAPTURE_LEN)[None]).argmax(-1)
    correct = (predicted[0, :-1] == ids[0, 1:]).float()
    inside, beyond = correct[CAPTURE_PERIOD:TRAIN_LEN - 1].mean().item(), correct[TRAIN_LEN:].mean().item()
    source = (f"train_repeat.py: {args.steps} steps, loss {loss.item():.4f}; capture: a random segment of "
              f"{CAPTURE_PERIOD} tokens repeated to {CAPTURE_LEN}; next-token accuracy on the repeats "
              f"{inside:.3f} inside the training length {TRAIN_LEN}, {beyond:.3f} beyond it")
    capture_qk.write_capture(args.output, q, k, pos, json.dumps(CONFIG), [f"t{int(t)}" for t in ids[0]], layers,
                             "ropescope repeat sample (2 layers, 4 heads, head_dim 32)", source, "f16")
    print(source)
    print(f"{args.output}: {os.path.getsize(args.output)} bytes, {time.time() - start:.1f} s in all")


if __name__ == "__main__":
    main()
