"""Runs emitted PyTorch models for test/codegen/forward-parity.test.ts, one process per group.

usage: torch-parity.py SPEC.json

SPEC.json is a list of cases {"dir", "model", "input" (NCHW shape), "seed", "outputs" (the
output names)}. For each case this imports DIR/model.py, builds MODELS[model] with PyTorch's
default initialisation, makes every batch-norm statistic and affine parameter non-trivial
(seeded), runs a random input in [-1, 1) in eval mode and writes into DIR:
  MODEL-x.npy, MODEL-y.npy   the input and output in cnnc's channels-last layout (float32); a
                             model with several outputs writes MODEL-y.NAME.npy for each, as
                             `cnnc run --output Y.npy` writes Y.NAME.npy
  MODEL.safetensors          state_dict_to_cnnc(model) (cnnc's names and layouts, via cnnc_io.py)
It prints one JSON object per case: the parameter count, whether the weights survive
write_safetensors → load_weights_file into a fresh model, whether logits=True differs (per
output), whether logits given per output changes exactly the outputs it names, the frozen
layers, and any breach of the class attributes' contract with train.py.
"""
import importlib.util
import json
import struct
import sys

import torch


def write_npy(path, t):
    """A float32 little-endian .npy file (no numpy needed)."""
    t = t.detach().to(torch.float32).contiguous()
    shape = tuple(t.shape)
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    data = struct.pack(f"<{t.numel()}f", *t.reshape(-1).tolist())
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(data)


def channels_last(t):
    if t.dim() == 4:
        return t.permute(0, 2, 3, 1)
    if t.dim() == 3:
        return t.permute(0, 2, 1)
    return t


def load(folder, name):
    sys.path.insert(0, folder)
    try:
        for mod in ("model", "cnnc_io"):
            sys.modules.pop(mod, None)
        spec = importlib.util.spec_from_file_location("model", f"{folder}/model.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["model"] = module
        spec.loader.exec_module(module)
        import cnnc_io  # noqa: E402  (the emitted one, from folder)

        return module.MODELS[name], cnnc_io
    finally:
        sys.path.remove(folder)


def as_list(y, several):
    """A model's outputs as a list (a model with several returns a tuple)."""
    return list(y) if several else [y]


def logits_per_output(model, x, ys, ys_logits):
    """Whether logits given per output, True for output k alone, changes output k alone (to its
    logits=True value), for every k."""
    n = len(ys)
    for k in range(n):
        got = list(model(x, logits=[j == k for j in range(n)]))
        want = [ys_logits[j] if j == k else ys[j] for j in range(n)]
        if not all(torch.equal(a, b) for a, b in zip(got, want)):
            return False
    return True


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.running_mean.copy_(torch.rand(c, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                    m.bias.copy_(torch.rand(c, generator=g) - 0.5)


def contract(cls, model):
    """What train.py relies on (the issue's contract): problems found, as strings."""
    problems = []
    state = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    listed = [key for _, key, _ in cls.CNNC_WEIGHTS]
    if sorted(listed) != sorted(state) or len(set(listed)) != len(listed):
        problems.append(f"CNNC_WEIGHTS keys {sorted(listed)} != state_dict {sorted(state)}")
    for name, path in cls.CNNC_MODULE_OF.items():
        try:
            model.get_submodule(path)
        except AttributeError:
            problems.append(f"CNNC_MODULE_OF[{name!r}] = {path!r} is no submodule")
    for name in cls.CNNC_FROZEN:
        if name not in cls.CNNC_MODULE_OF:
            problems.append(f"frozen {name!r} has no module")
    if not isinstance(cls.CNNC_MODEL, str) or not isinstance(cls.CNNC_INPUT, tuple):
        problems.append("CNNC_MODEL or CNNC_INPUT of the wrong type")
    if not all(len(h) == 64 for h in (cls.CNNC_IR_HASH, cls.CNNC_SOURCE_HASH)):
        problems.append("hashes are not sha256 hex")
    return problems


def main():
    cases = json.load(open(sys.argv[1]))
    for case in cases:
        torch.manual_seed(case["seed"])
        cls, io = load(case["dir"], case["model"])
        model = cls()
        randomize(model, case["seed"])
        model.eval()
        x = torch.rand(*case["input"], generator=torch.Generator().manual_seed(case["seed"] + 1))
        x = x * 2 - 1
        names = case["outputs"]
        several = len(names) > 1
        with torch.no_grad():
            ys = as_list(model(x), several)
            ys_logits = as_list(model(x, logits=True), several)
            per_output = not several or logits_per_output(model, x, ys, ys_logits)
        out = f"{case['dir']}/{case['model']}"
        write_npy(f"{out}-x.npy", channels_last(x))
        if several:
            for name, y in zip(names, ys):
                write_npy(f"{out}-y.{name}.npy", channels_last(y))
        else:
            write_npy(f"{out}-y.npy", channels_last(ys[0]))
        io.write_safetensors(f"{out}.safetensors", io.state_dict_to_cnnc(model))
        fresh = cls()
        io.load_weights_file(fresh, f"{out}.safetensors")
        a, b = model.state_dict(), fresh.state_dict()
        roundtrip = all(
            torch.equal(a[k], b[k]) for k in a if not k.endswith("num_batches_tracked")
        )
        print(
            json.dumps(
                {
                    "dir": case["dir"],
                    "params": sum(p.numel() for p in model.parameters()),
                    "roundtrip": roundtrip,
                    "logitsDiffer": [not torch.equal(a, b) for a, b in zip(ys, ys_logits)],
                    "perOutputLogits": per_output,
                    "contract": contract(cls, model),
                    "frozen": list(cls.CNNC_FROZEN),
                }
            ),
            flush=True,
        )


main()
