"""Exercises an emitted cnnc_io.py for test/codegen/cnnc-io.test.ts.

usage: cnnc-io-check.py PROJECT MODEL WORK

PROJECT holds the emitted model.py and cnnc_io.py; WORK holds runs/MODEL (a checkpoint written by
`cnnc train`). Writes into WORK: x.npy (NHWC input), trained-y.npy (the module's output with the
trained checkpoint loaded), saved/checkpoint (save_cnnc_checkpoint of a seeded module) and
saved-y.npy (its output). Prints one JSON object: for each malformed file, the WeightsError
message (or "accepted" / another exception's name), and the strict-loading errors.
"""
import json
import os
import struct
import sys

import torch

project, model_name, work = sys.argv[1:4]
sys.path.insert(0, project)
import cnnc_io  # noqa: E402
import model  # noqa: E402

cls = model.MODELS[model_name]


def write_npy(path, t):
    t = t.detach().to(torch.float32).contiguous()
    dims = ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack(f"<{t.numel()}f", *t.reshape(-1).tolist()))


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


x = torch.rand(3, *([cls.CNNC_INPUT[-1]] + list(cls.CNNC_INPUT[:-1])), generator=torch.Generator().manual_seed(3))
write_npy(os.path.join(work, "x.npy"), nhwc(x))

# A checkpoint of cnnc train, loaded through load_weights_file (the run folder and the checkpoint).
trained = cls().eval()
keys = cnnc_io.load_weights_file(trained, os.path.join(work, "runs", model_name))
again = cls().eval()
cnnc_io.load_weights_file(again, os.path.join(work, "runs", model_name, "checkpoint"))
with torch.no_grad():
    write_npy(os.path.join(work, "trained-y.npy"), trained(x))
    same_from_checkpoint = bool(torch.equal(trained(x), again(x)))

# A checkpoint written here, for cnnc to read.
torch.manual_seed(5)
saved = cls().eval()
cnnc_io.save_cnnc_checkpoint(os.path.join(work, "saved", "checkpoint"), saved, {"epoch": 2})
cnnc_io.save_cnnc_checkpoint(os.path.join(work, "saved", "checkpoint"), saved, {"epoch": 3})
with torch.no_grad():
    write_npy(os.path.join(work, "saved-y.npy"), saved(x))
leftovers = sorted(os.listdir(os.path.join(work, "saved")))

# Unwrapping a DistributedDataParallel-like wrapper.
class Wrapper(torch.nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module


unwrapped = sorted(cnnc_io.state_dict_to_cnnc(Wrapper(saved))) == sorted(
    n for n, _, _ in cls.CNNC_WEIGHTS
)


def attempt(f):
    try:
        f()
        return "accepted"
    except cnnc_io.WeightsError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        return f"{type(e).__name__}: {e}"


def safetensors_bytes(header, data=b"", length=None):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


bad = os.path.join(work, "bad")
os.makedirs(bad, exist_ok=True)
f32 = lambda shape, begin, end: {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}
SAFETENSORS = {
    "short": b"\x01\x02",
    "header-too-long": safetensors_bytes({}, length=1 << 40),
    "not-json": struct.pack("<Q", 3) + b"{x}",
    "not-object": safetensors_bytes([1, 2]),
    "duplicate-key": struct.pack("<Q", 2 * 60) + (b'{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "a": 1}').ljust(120),
    "bad-dtype": safetensors_bytes({"a": {"dtype": "Q8", "shape": [1], "data_offsets": [0, 1]}}, b"\0"),
    "bad-shape": safetensors_bytes({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
    "bool-shape": safetensors_bytes({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4),
    "size-mismatch": safetensors_bytes({"a": f32([2], 0, 4)}, b"\0" * 4),
    "past-end": safetensors_bytes({"a": f32([2], 0, 8)}, b"\0" * 4),
    "gap": safetensors_bytes({"a": f32([1], 4, 8)}, b"\0" * 8),
    "overlap": safetensors_bytes({"a": f32([2], 0, 8), "b": f32([1], 4, 8)}, b"\0" * 8),
    "trailing-bytes": safetensors_bytes({"a": f32([1], 0, 4)}, b"\0" * 8),
    "bad-metadata": safetensors_bytes({"__metadata__": {"k": 1}}),
    "good": safetensors_bytes({"__metadata__": {"k": "v"}, "a": f32([1], 0, 4)}, b"\0\0\x80\x3f"),
}
results = {}
for name, raw in SAFETENSORS.items():
    path = os.path.join(bad, f"{name}.safetensors")
    with open(path, "wb") as f:
        f.write(raw)
    results[f"safetensors/{name}"] = attempt(lambda p=path: cnnc_io.read_safetensors(p))
os.mkfifo(os.path.join(bad, "fifo.safetensors"))
results["safetensors/fifo"] = attempt(lambda: cnnc_io.read_safetensors(os.path.join(bad, "fifo.safetensors")))
results["safetensors/folder"] = attempt(lambda: cnnc_io.read_safetensors(bad))
results["safetensors/missing"] = attempt(lambda: cnnc_io.read_safetensors(os.path.join(bad, "none.safetensors")))


def checkpoint(name, manifest_paths=("weights.bin",), weights_bytes=None, meta=None, link=None):
    folder = os.path.join(bad, name)
    os.makedirs(folder)
    src = os.path.join(work, "saved", "checkpoint")
    with open(os.path.join(src, "model.json")) as f:
        manifest = json.load(f)
    manifest["weightsManifest"][0]["paths"] = list(manifest_paths)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(manifest, f)
    with open(os.path.join(src, "cnnc.json")) as f:
        info = json.load(f)
    info.update(meta or {})
    with open(os.path.join(folder, "cnnc.json"), "w") as f:
        json.dump(info, f)
    with open(os.path.join(src, "weights.bin"), "rb") as f:
        data = f.read()
    if link:
        os.symlink(link, os.path.join(folder, "weights.bin"))
    else:
        with open(os.path.join(folder, "weights.bin"), "wb") as f:
            f.write(data if weights_bytes is None else weights_bytes(data))
    return folder


outside = os.path.join(work, "outside.bin")
with open(os.path.join(work, "saved", "checkpoint", "weights.bin"), "rb") as f:
    open(outside, "wb").write(f.read())
CHECKPOINTS = {
    "escaping-path": dict(manifest_paths=("../outside.bin",)),
    "absolute-path": dict(manifest_paths=(outside,)),
    "symlink-outside": dict(link=outside),
    "short-weights": dict(weights_bytes=lambda d: d[:-4]),
    "long-weights": dict(weights_bytes=lambda d: d + b"\0" * 4),
    "not-a-checkpoint": dict(meta={"format": "something-else"}),
    "two-files": dict(manifest_paths=("weights.bin", "weights.bin")),
}
for name, kwargs in CHECKPOINTS.items():
    folder = checkpoint(name, **kwargs)
    results[f"checkpoint/{name}"] = attempt(lambda p=folder: cnnc_io.read_cnnc_checkpoint(p))
results["checkpoint/none"] = attempt(lambda: cnnc_io.read_cnnc_checkpoint(bad))

# Strict loading: a missing weight, an extra tensor, a misshapen tensor.
full = cnnc_io.state_dict_to_cnnc(saved)
first = next(iter(full))
results["load/missing"] = attempt(lambda: cnnc_io.load_cnnc_weights(cls(), {k: v for k, v in full.items() if k != first}))
results["load/unused"] = attempt(lambda: cnnc_io.load_cnnc_weights(cls(), {**full, "nope/kernel": torch.zeros(1)}))
results["load/misshapen"] = attempt(lambda: cnnc_io.load_cnnc_weights(cls(), {**full, first: torch.zeros(1)}))
results["load/partial-allowed"] = attempt(lambda: cnnc_io.load_cnnc_weights(cls(), {first: full[first]}, strict=False))

print(
    json.dumps(
        {
            "loadedKeys": len(keys),
            "sameFromCheckpoint": same_from_checkpoint,
            "leftovers": leftovers,
            "unwrapped": unwrapped,
            "results": results,
        }
    )
)
