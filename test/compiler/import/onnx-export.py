#!/usr/bin/env python3
"""Seeded random torchvision models exported by torch.onnx.export, an input and PyTorch's output.

For test/compiler/import/onnx-torch.test.ts: `cnnc import onnx` turns each MODEL.onnx into a .cnn
file and a safetensors file, and `cnnc run` on the input must give PyTorch's output.

usage: /usr/bin/python3 test/compiler/import/onnx-export.py OUTDIR MODEL:SIZE:BATCH ...

Writes per model MODEL.onnx (opset 13, eval mode with batch norm kept as BatchNormalization:
training=PRESERVE skips the export's conv-bn fusion, so parameters stay torchvision's),
MODEL-input.npy (float32 NHWC) and MODEL-output.npy (float32 [N, 1000]). The weights are
randomised as scripts/torch-export.py does (non-trivial biases and batch-norm statistics).

MODEL is a torchvision model, or `two_heads` (TwoHeads below): a module with two outputs, exported
as `logits` and `aux/logits`, whose outputs are written to MODEL-output.0.npy and MODEL-output.1.npy.
"""
import importlib.util
import pathlib
import sys

import numpy as np
import torch
import torchvision

spec = importlib.util.spec_from_file_location(
    "torch_export", pathlib.Path(__file__).resolve().parents[3] / "scripts" / "torch-export.py")
torch_export = importlib.util.module_from_spec(spec)
spec.loader.exec_module(torch_export)


class TwoHeads(torch.nn.Module):
    """A small classifier with an auxiliary head part-way, returning (logits, aux) as Inception v3."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.aux = nn.Sequential(nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8 * 8 * 8, 5))
        self.body = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        return self.fc(self.body(x)), self.aux(x)


def main(outdir, models):
    torch.set_num_threads(2)
    for item in models:
        name, size, batch = item.split(":")
        size, batch = int(size), int(batch)
        torch.manual_seed(0)
        two = name == "two_heads"
        model = (TwoHeads() if two else getattr(torchvision.models, name)(weights=None)).eval()
        gen = torch.Generator().manual_seed(1)
        torch_export.randomise(model, gen)
        x = torch.rand((batch, 3, size, size), generator=gen)
        with torch.no_grad():
            y = model(x)
        torch.onnx.export(model, x, f"{outdir}/{name}.onnx", opset_version=13,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                          input_names=["input"],
                          output_names=["logits", "aux/logits"] if two else ["logits"])
        np.save(f"{outdir}/{name}-input.npy", x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4"))
        if two:
            for i, yi in enumerate(y):
                np.save(f"{outdir}/{name}-output.{i}.npy", yi.numpy().astype("<f4"))
        else:
            np.save(f"{outdir}/{name}-output.npy", y.numpy().astype("<f4"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
