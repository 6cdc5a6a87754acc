#!/usr/bin/env python3
"""Seeded random torchvision models, their state dicts as safetensors, an input and PyTorch's output.

For the PyTorch parity test (test/cli/parity.test.ts): cnnc loads each state dict into the stdlib
model with `--map torchvision`, runs the input with `cnnc run` and compares with PyTorch's output.

usage: /usr/bin/python3 scripts/torch-export.py OUTDIR [MODEL[:HxW[:N[:WIDTH]]] ...]
       MODEL is one of MODELS below (default: resnet18, vgg11, alexnet and mobilenet_v2 at their
       default sizes); H, W the input size, N the batch; WIDTH, for vgg11 and alexnet, replaces the 4096
       units of the two hidden dense layers (the classifier keeps torchvision's modules and names,
       at a fraction of the 120M or 54M parameters)

Writes, per model, into OUTDIR:
  MODEL.safetensors    the state dict: float32 weights and batch-norm statistics, int64
                       num_batches_tracked (the safetensors format, written here without the
                       safetensors package: 8-byte header length, JSON header, raw little-endian data)
  MODEL-input.npy      float32 [N, H, W, 3] (NHWC, as cnnc takes it)
  MODEL-output.npy     float32 [N, 1000], the model's output in eval mode
and prints one JSON line per model: {"model", "input": [N, H, W, C], "params", "seconds"}.

The weights are torchvision's own initialisation under a fixed seed, with every bias and every
batch-norm scale, shift and running statistic then drawn at random too, so that none of them is the
trivial 0 or 1 that would hide a mistake in loading it. Needs torch and torchvision (Debian:
python3-torch, python3-torchvision).
"""
import json
import struct
import sys
import time

import numpy as np
import torch
import torchvision

# name → (constructor, default input size, default batch). The sizes are small but keep every layer
# meaningful: ResNet-18 ends at 2x2 before its global pool; VGG-11 ends at 2x2 and AlexNet at 3x3, so
# their adaptive pools (to 7x7 and 6x6) spread distinct values over the positions the first dense
# layer reads, which checks the CHW-to-HWC reordering of its rows.
# The others take the smallest sizes that keep every layer (DenseNet and the ResNets end at 1x1,
# Inception v3 at 1x1 from 75x75, SqueezeNet at 3x3 from 64x64 after a ceil-mode pool).
# mobilenet_v2_torchvision is mobilenet_v2 with torchvision's own batch-norm eps, for the stdlib's
# MobileNetV2_Torchvision.
MODELS = {
    "resnet18": (torchvision.models.resnet18, 64, 2),
    "vgg11": (torchvision.models.vgg11, 64, 1),
    "alexnet": (torchvision.models.alexnet, 128, 2),
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 64, 2),
    "mobilenet_v2_torchvision": (torchvision.models.mobilenet_v2, 32, 2),
    "densenet121": (torchvision.models.densenet121, 32, 2),
    "squeezenet1_0": (torchvision.models.squeezenet1_0, 64, 2),
    "squeezenet1_1": (torchvision.models.squeezenet1_1, 64, 2),
    "resnext50_32x4d": (torchvision.models.resnext50_32x4d, 32, 2),
    "wide_resnet50_2": (torchvision.models.wide_resnet50_2, 32, 2),
    # eval mode returns the main logits only; init_weights=False skips a slow scipy initialisation
    "inception_v3": (
        lambda weights=None: torchvision.models.inception_v3(weights=weights, aux_logits=False, init_weights=False),
        75,
        2,
    ),
}
DEFAULT = ["resnet18", "vgg11", "alexnet", "mobilenet_v2"]

# The stdlib MobileNetV2 computes what Keras's does: batch norm with eps 1e-3 (torchvision: 1e-5;
# eps is not part of the state dict) and strided convolutions padded (0, 1, 0, 1), which the parity
# test's derived model changes back to torchvision's 1 on every side.
BN_EPS = {"mobilenet_v2": 1e-3}

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def save_safetensors(path, tensors):
    """Writes {name: tensor} as a safetensors file (header padded to 8 bytes with spaces)."""
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        code, np_dtype = DTYPES[t.dtype]
        data = t.detach().contiguous().numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)


def randomise(model, gen):
    """Non-trivial biases and batch-norm parameters and statistics, drawn from `gen`."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(1000)
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen) - 0.5) * 0.2)


def narrow(model, width):
    """The classifier's hidden dense layers with `width` units instead of 4096."""
    linears = [i for i, m in enumerate(model.classifier) if isinstance(m, torch.nn.Linear)]
    for k, i in enumerate(linears):
        old = model.classifier[i]
        fan_in = old.in_features if k == 0 else width
        out = old.out_features if k == len(linears) - 1 else width
        model.classifier[i] = torch.nn.Linear(fan_in, out)


def export(outdir, name, size, batch, width=None, seed=0):
    start = time.time()
    make = MODELS[name][0]
    torch.manual_seed(seed)
    model = make(weights=None)
    if width is not None:
        narrow(model, width)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d) and name in BN_EPS:
            m.eps = BN_EPS[name]
    model.eval()
    gen = torch.Generator().manual_seed(seed + 1)
    randomise(model, gen)
    x = torch.rand((batch, 3, size[0], size[1]), generator=gen)
    with torch.no_grad():
        y = model(x)
    save_safetensors(f"{outdir}/{name}.safetensors", model.state_dict())
    np.save(f"{outdir}/{name}-input.npy", x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4"))
    np.save(f"{outdir}/{name}-output.npy", y.numpy().astype("<f4"))
    params = sum(p.numel() for p in model.parameters())
    return {"model": name, "input": [batch, size[0], size[1], 3], "width": width, "params": params,
            "seconds": round(time.time() - start, 2)}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    outdir, specs = argv[0], argv[1:] or DEFAULT
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    for spec in specs:
        parts = spec.split(":")
        if parts[0] not in MODELS:
            print(f"torch-export.py: unknown model {parts[0]!r} (one of {', '.join(MODELS)})", file=sys.stderr)
            return 2
        _, default, default_batch = MODELS[parts[0]]
        h, w = (int(v) for v in parts[1].split("x")) if len(parts) > 1 else (default, default)
        batch = int(parts[2]) if len(parts) > 2 else default_batch
        width = int(parts[3]) if len(parts) > 3 and parts[0] in ("vgg11", "alexnet") else None
        print(json.dumps(export(outdir, parts[0], (h, w), batch, width)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
