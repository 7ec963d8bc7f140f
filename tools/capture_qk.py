#!/usr/bin/env python3
"""Record a Hugging Face model's queries and keys before RoPE into a ropescope-qk/1 capture.

    python3 tools/capture_qk.py MODEL --text FILE --layers 0,8,15 -o caps.safetensors

MODEL is a hub name or a local directory (needs torch and transformers). The text is tokenised,
run once through the model (eager attention, float32, batch 1, position ids 0 .. N-1), and every
call of the modelling module's `apply_rotary_pos_emb(q, k, cos, sin, ...)` is recorded: its q and
k arguments are the vectors after any q/k norm and before the rotation. The file holds
q [layers, heads, N, d], k [layers, kv_heads, N, d], positions (I64 [N]) and the metadata format,
config (the model's config.json text), tokens, layers, model and source (see the README).

Covered: model families whose attention calls a module-level apply_rotary_pos_emb(q, k, cos, sin)
on [batch, heads, seq, head_dim] tensors: Llama, Mistral, Mixtral, Qwen2/2.5/3 (and MoE), Gemma
1/2/3, Phi-3, Phi, GPT-NeoX/Pythia, StableLM, OLMo/OLMo 2, Cohere, Granite, Starcoder2 and most
models built from them. Partial-rotary models (Phi, GPT-NeoX) pass the whole head and rotate a
prefix: the capture holds the whole head and the config's partial_rotary_factor says how much
rotates. Not covered: models without such a function (GPT-J rotates q and k in separate calls,
DeepSeek V2/V3 pass only the rotary part, models with fused or compiled kernels); the tool then
stops with a message naming the modules it searched, and records nothing.

The model-independent part (QKRecorder, write_capture) is tested by tools/test_capture_qk.py with
a tiny torch model; it needs numpy and torch, nothing else.
"""
import argparse
import contextlib
import inspect
import json
import struct
import sys

import numpy as np

FORMAT = "ropescope-qk/1"
_DTYPES = {"f32": ("F32", 4), "f16": ("F16", 2), "bf16": ("BF16", 2)}


def _float_bytes(array, dtype):
    """Little-endian bytes of a float array as F32, F16 or BF16 (round to nearest even)."""
    a = np.ascontiguousarray(array, dtype="<f4")
    if dtype == "f32":
        return a.tobytes()
    if dtype == "f16":
        return a.astype("<f2").tobytes()
    bits = a.view("<u4").astype(np.uint64)
    is_nan = np.isnan(a)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    rounded[is_nan] = ((bits[is_nan] >> 16) | 0x40).astype("<u2")  # keep NaN a NaN
    return rounded.tobytes()


def write_capture(path, q, k, positions=None, config_text="", tokens=None, layers=None, model="", source="",
                  dtype="f32"):
    """Writes q [L, H, N, d], k [L, KV, N, d] (array-likes) and the metadata as a .safetensors file."""
    q = np.asarray(q, dtype=np.float32)
    k = np.asarray(k, dtype=np.float32)
    if q.ndim != 4 or k.ndim != 4:
        raise ValueError(f"q and k must be [layers, heads, N, d] (got {q.shape} and {k.shape})")
    if q.shape[0] != k.shape[0] or q.shape[2:] != k.shape[2:] or q.shape[1] % k.shape[1] != 0:
        raise ValueError(f"q {q.shape} and k {k.shape} disagree")
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}")
    n = q.shape[2]
    metadata = {"format": FORMAT, "config": config_text, "model": model, "source": source,
                "layers": json.dumps([int(i) for i in (layers if layers is not None else range(q.shape[0]))])}
    if tokens is not None:
        if len(tokens) != n:
            raise ValueError(f"{len(tokens)} tokens for N = {n}")
        metadata["tokens"] = json.dumps([str(t) for t in tokens], ensure_ascii=False)
    blobs = [("q", _DTYPES[dtype][0], list(q.shape), _float_bytes(q, dtype)),
             ("k", _DTYPES[dtype][0], list(k.shape), _float_bytes(k, dtype))]
    if positions is not None:
        pos = np.ascontiguousarray(positions, dtype="<i8")
        if pos.shape != (n,):
            raise ValueError(f"positions must have shape ({n},) (got {pos.shape})")
        blobs.append(("positions", "I64", [n], pos.tobytes()))
    header = {"__metadata__": metadata}
    offset = 0
    for name, st_dtype, shape, data in blobs:
        header[name] = {"dtype": st_dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data start 8-byte aligned, as the safetensors library writes
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for _, _, _, data in blobs:
            out.write(data)


class QKRecorder(contextlib.AbstractContextManager):
    """Wraps `apply_rotary_pos_emb` in the given modules and records q and k of batch row 0.

    The layer of each call is the `layer_idx` of the attention module running (found through
    forward pre-hooks on every submodule that has one), else the call's order in the pass.
    """

    def __init__(self, model, modules, layers=None):
        self.model, self.modules, self.layers = model, list(modules), layers
        self.q, self.k = {}, {}
        self._current_layer, self._calls, self._undo = None, 0, []

    def __enter__(self):
        if not self.modules:
            raise RuntimeError("no module to wrap")
        for module in self.modules:
            original = module.apply_rotary_pos_emb
            module.apply_rotary_pos_emb = self._wrap(original)
            self._undo.append(lambda m=module, f=original: setattr(m, "apply_rotary_pos_emb", f))
        for sub in self.model.modules():
            if isinstance(getattr(sub, "layer_idx", None), int):
                handle = sub.register_forward_pre_hook(lambda mod, args, i=sub.layer_idx: self._enter_layer(i))
                self._undo.append(handle.remove)
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        return False

    def _enter_layer(self, index):
        self._current_layer = index

    def _wrap(self, original):
        signature = inspect.signature(original)

        def recording(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            q, k = bound.arguments["q"], bound.arguments["k"]
            unsqueeze_dim = bound.arguments.get("unsqueeze_dim", 1)
            layer = self._current_layer if self._current_layer is not None else self._calls
            self._calls += 1
            if self.layers is None or layer in self.layers:
                if layer in self.q:
                    raise RuntimeError(f"layer {layer} called apply_rotary_pos_emb twice in one pass")
                qq, kk = q[0].detach(), k[0].detach()
                if unsqueeze_dim == 2:  # [seq, heads, d] layout
                    qq, kk = qq.transpose(0, 1), kk.transpose(0, 1)
                self.q[layer] = qq.float().cpu().numpy().copy()
                self.k[layer] = kk.float().cpu().numpy().copy()
            return original(*args, **kwargs)

        return recording

    def stacked(self):
        """(layers, q [L, H, N, d], k [L, KV, N, d]) in layer order."""
        layers = sorted(self.q)
        if not layers:
            raise RuntimeError("apply_rotary_pos_emb was never called for the requested layers")
        if self.layers is not None and set(self.layers) - set(layers):
            raise RuntimeError(f"layers {sorted(set(self.layers) - set(layers))} were not recorded")
        return layers, np.stack([self.q[i] for i in layers]), np.stack([self.k[i] for i in layers])


def rope_modules(model):
    """The Python modules of the model's submodule classes that define apply_rotary_pos_emb."""
    names = sorted({type(m).__module__ for m in model.modules()})
    found = [sys.modules[n] for n in names if n in sys.modules and callable(getattr(sys.modules[n], "apply_rotary_pos_emb", None))]
    return found, names


def capture(model, input_ids, layers=None):
    """Runs the model once on input_ids [1, N] and returns (layers, q, k, positions)."""
    import torch

    modules, searched = rope_modules(model)
    if not modules:
        raise SystemExit("capture_qk: no apply_rotary_pos_emb in the model's modules (" + ", ".join(searched) +
                         "); this model family is not covered (see the tool's help)")
    positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
    with QKRecorder(model, modules, layers) as recorder, torch.no_grad():
        model(input_ids=input_ids, position_ids=positions)
    got_layers, q, k = recorder.stacked()
    return got_layers, q, k, positions[0].numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="hub name or local directory")
    parser.add_argument("--text", required=True, help="UTF-8 text file to run")
    parser.add_argument("--layers", help="comma-separated layer indices (default: all)")
    parser.add_argument("--max-tokens", type=int, default=4096, help="truncate the text to this many tokens")
    parser.add_argument("--dtype", choices=sorted(_DTYPES), default="f32", help="stored precision (default f32)")
    parser.add_argument("-o", "--output", required=True, help="output .safetensors")
    args = parser.parse_args(argv)
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:
        raise SystemExit(f"capture_qk: needs torch and transformers ({error})")
    layers = [int(x) for x in args.layers.split(",")] if args.layers else None
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    ids = tokenizer(text, return_tensors="pt").input_ids[:, : args.max_tokens]
    got_layers, q, k, positions = capture(model, ids, layers)
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    write_capture(args.output, q, k, positions, model.config.to_json_string(use_diff=False), tokens, got_layers,
                  args.model, args.text, args.dtype)
    print(f"{args.output}: layers {got_layers}, q {list(q.shape)}, k {list(k.shape)}")


if __name__ == "__main__":
    main()
