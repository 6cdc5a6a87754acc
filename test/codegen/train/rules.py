"""Runs the rules of an emitted project's cnnc_data.py and cnnc_train.py on the cases of a JSON
file and prints one JSON result per case (test/codegen/train/data-parity.test.ts compares them
with cnnc's TypeScript). Usage: python3 rules.py PROJECT_DIR CASES.json"""

import json
import sys

import torch

sys.path.insert(0, sys.argv[1])
import cnnc_data  # noqa: E402
import cnnc_train  # noqa: E402


def nchw(values, shape):
    """NHWC values (a flat list) of n images of shape [H, W, C] as an NCHW tensor."""
    h, w, c = shape
    return torch.tensor(values, dtype=torch.float32).reshape(-1, h, w, c).permute(0, 3, 1, 2)


def nhwc_list(x):
    return x.permute(0, 2, 3, 1).reshape(-1).tolist()


def run(case):
    kind = case["kind"]
    if kind == "random":
        r = cnnc_data.Random(case["seed"])
        return r.take(case["count"]).tolist()
    if kind == "permutation":
        return cnnc_data.permutation(case["n"], cnnc_data.Random(case["seed"]))
    if kind == "sampler":
        sampler = cnnc_data.CnncSampler(range(case["n"]), case["world"], case["rank"], case["seed"])
        sampler.set_epoch(case["epoch"])
        return list(sampler)
    if kind == "split":
        ds = cnnc_data.Dataset("d", torch.zeros(case["n"], 1, 1, 1), torch.arange(case["n"]), 2)
        train, validation = cnnc_data.split_validation(ds, case["fraction"], case["seed"])
        return {
            "train": train.labels.tolist(),
            "validation": None if validation is None else validation.labels.tolist(),
        }
    if kind == "augment":
        x = nchw(case["images"], case["shape"])
        out = cnnc_data.Augment(case["settings"])(x, cnnc_data.Random(case["seed"]))
        return nhwc_list(out)
    if kind == "fit":
        ds = cnnc_data.Dataset("d", nchw(case["images"], case["shape"]), torch.zeros(1), 2)
        return nhwc_list(cnnc_data.fit_to_input(ds, case["input"]).images)
    if kind == "load":
        splits = cnnc_data.load_source(case["spec"], case["which"], case["input"], [case["cwd"]])
        first = case.get("first")
        return {
            split: {
                "name": ds.name,
                "shape": [ds.images.shape[2], ds.images.shape[3], ds.images.shape[1]],
                "images": nhwc_list(ds.images[:first] if first else ds.images),
                "sum": float(ds.images.double().sum()),
                "labels": ds.labels.tolist(),
                "classes": ds.num_classes,
                "classNames": list(ds.class_names) if ds.class_names else None,
            }
            for split, ds in splits.items()
        }
    if kind == "init":
        shapes = {name: tuple(shape) for name, shape in case["shapes"]}
        out = cnnc_train.initial_weights(shapes, case["seed"], case["scheme"])
        return {name: t.reshape(-1).tolist() for name, t in out.items()}
    if kind == "lr":
        s = case["settings"]
        return [
            cnnc_train.learning_rate(s["lr"], s, step, case["stepsPerEpoch"], case["total"])
            for step in range(case["total"])
        ]
    raise ValueError("unknown case kind %r" % kind)


def main():
    with open(sys.argv[2], encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for case in cases:
        try:
            out.append({"ok": run(case)})
        except cnnc_data.DataError as e:
            out.append({"error": str(e)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
