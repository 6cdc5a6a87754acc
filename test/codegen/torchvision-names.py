"""torchvision's own modules against emitted ones, for test/codegen/torchvision-names.test.ts.

usage: torchvision-names.py SPEC.json

SPEC.json is a list of cases {"tv", "hidden", "input", "named", "plain", "model", "kwargs",
"skipPlain"}: build
torchvision.models.<tv>() under a fixed seed with random batch-norm statistics (and, with "hidden",
the hidden and output dense layers of its classifier narrowed to `hidden` and 10 units, keeping
torchvision's module names), then
  - load its state dict with load_state_dict(strict=True) into MODELS[model] of the project
    emitted with --names torchvision ("named"), and compare the outputs in eval mode;
  - save it with torch.save and load it with cnnc_io.load_weights_file(names="torchvision") into
    the project emitted with cnnc's names ("plain"), and compare again (not with "skipPlain": the
    biggest models, whose family another case loads that way, skip the file of up to 500 MB).
"kwargs" go to the torchvision constructor. With "aux", torchvision's top module is put in training
mode after eval() (its submodules stay in eval mode), so that Inception v3 returns its auxiliary
logits too, and every output is compared (the emitted module returns them all in eval mode). Prints one JSON object per case: both relative errors
(plain null when skipped), and the parameter counts.
"""
import importlib.util
import json
import os
import sys

import torch
import torchvision


def load(folder, name):
    for mod in ("model", "cnnc_io"):
        sys.modules.pop(mod, None)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location("model", f"{folder}/model.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["model"] = module
        spec.loader.exec_module(module)
        import cnnc_io

        return module.MODELS[name], cnnc_io
    finally:
        sys.path.remove(folder)


def narrow(model, hidden):
    """The classifier's Linear layers at `hidden` units (and 10 outputs), names kept."""
    linears = [i for i, m in enumerate(model.classifier) if isinstance(m, torch.nn.Linear)]
    for k, i in enumerate(linears):
        old = model.classifier[i]
        ins = old.in_features if k == 0 else hidden
        outs = 10 if k == len(linears) - 1 else hidden
        model.classifier[i] = torch.nn.Linear(ins, outs)


def randomise(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) * 1.5 + 0.5)


def outputs(y):
    return list(y) if isinstance(y, tuple) else [y]


def rel(a, b):
    """The largest relative error over the outputs (several for a model with several)."""
    a, b = outputs(a), outputs(b)
    if len(a) != len(b):
        raise SystemExit("%d outputs, expected %d" % (len(a), len(b)))
    return max(float((x - y).abs().max() / y.abs().max()) for x, y in zip(a, b))


def main():
    for case in json.load(open(sys.argv[1])):
        torch.manual_seed(7)
        # torchvision's GoogLeNet as cnnc's: no auxiliary classifiers, no input transform.
        extra = {"aux_logits": False, "init_weights": True} if case.get("googlenet") else {}
        extra.update(case.get("kwargs", {}))
        tv = getattr(torchvision.models, case["tv"])(**extra)
        if case.get("hidden"):
            narrow(tv, case["hidden"])
        randomise(tv, torch.Generator().manual_seed(8))
        if case.get("eps"):
            for m in tv.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eps = case["eps"]
        tv.eval()
        if case.get("aux"):
            tv.training = True
        x = torch.rand(*case["input"], generator=torch.Generator().manual_seed(9))
        with torch.no_grad():
            want = tv(x)
        cls, _ = load(case["named"], case["model"])
        named = cls()
        named.load_state_dict(tv.state_dict(), strict=True)
        named.eval()
        with torch.no_grad():
            got_named = named(x)
        count = lambda m: sum(p.numel() for p in m.parameters())
        counts = [count(tv), count(named)]
        del named
        got_plain = None
        if not case.get("skipPlain"):
            cls2, io = load(case["plain"], case["model"])
            plain = cls2()
            pth = os.path.join(case["plain"], "tv.pth")
            torch.save(tv.state_dict(), pth)
            io.load_weights_file(plain, pth, names="torchvision")
            os.remove(pth)
            plain.eval()
            with torch.no_grad():
                got_plain = plain(x)
            counts.append(count(plain))
        print(
            json.dumps(
                {
                    "tv": case["tv"],
                    "named": rel(got_named, want),
                    "plain": None if got_plain is None else rel(got_plain, want),
                    "params": counts,
                }
            ),
            flush=True,
        )


main()
