"""Runs an emitted project's cnnc_detect.py on the cases of a JSON file and prints one JSON
result per case (test/codegen/train/detect-parity.test.ts compares them with cnnc's TypeScript).
Usage: python3 detect-rules.py PROJECT_DIR CASES.json"""

import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
import cnnc_data  # noqa: E402
import cnnc_detect  # noqa: E402


def head_of(h):
    return cnnc_detect.Head(h["grid"], h["classes"], h["boxes"], h["anchors"], h["image"])


def run(case):
    kind = case["kind"]
    if kind == "loss":
        heads = [head_of(h) for h in case["heads"]]
        outs = [
            torch.tensor(out, dtype=torch.float32)
            .reshape(case["n"], h.grid[0], h.grid[1], h.channels)
            .requires_grad_(True)
            for h, out in zip(heads, case["outs"])
        ]
        loss, parts = cnnc_detect.yolo_loss(
            heads, outs, case["truths"], case["lambda_coord"], case["lambda_noobj"]
        )
        loss.backward()
        grads = [out.grad.reshape(-1).tolist() for out in outs]
        return {"loss": float(loss), "grads": grads, "parts": parts}
    if kind == "coco":
        r = cnnc_detect.coco_evaluate(
            case["gts"], case["dts"], case.get("image_ids"), case.get("category_ids")
        )
        return {"result": r, "text": cnnc_detect.summary_text(r)}
    if kind == "decode":
        heads = [head_of(h) for h in case["heads"]]
        grids = [
            np.array(g, dtype=np.float32).astype(np.float64).reshape(*h.grid, h.channels)
            for h, g in zip(heads, case["grids"])
        ]
        dets = cnnc_detect.decode_detections(heads, grids, case["threshold"])
        kept = cnnc_detect.nms(dets, case["iou"], case["threshold"], case["max"])
        return {"decoded": dets, "kept": kept}
    if kind == "augment":
        aug = cnnc_detect.BoxAugment(case["settings"])
        random = cnnc_data.Random(case["seed"])
        h, w, c = case["shape"]
        out = []
        for image, boxes in zip(case["images"], case["boxes"]):
            img = np.array(image, dtype=np.float32).astype(np.float64).reshape(h, w, c)
            img, moved = aug(img, boxes, random)
            out.append({"image": img.reshape(-1).tolist(), "boxes": moved})
        return {"images": out, "draws": aug.draws(), "on": bool(aug)}
    if kind == "load":
        ds = cnnc_detect.load_coco_split(
            case["dir"], case["split"], case["input"], case.get("limit")
        )
        return {
            "name": ds.name,
            "images": ds.images.permute(0, 2, 3, 1).reshape(-1).tolist(),
            "boxes": ds.boxes,
            "truth": ds.truth,
            "imageIds": ds.image_ids,
            "letterboxes": [
                [lb.scale, lb.left, lb.top, lb.width, lb.height] for lb in ds.letterboxes
            ],
            "classNames": ds.class_names,
            "categoryIds": ds.category_ids,
        }
    raise ValueError("unknown case kind %r" % kind)


def main():
    with open(sys.argv[2], encoding="utf-8") as f:
        cases = json.load(f)
    results = []
    for case in cases:
        try:
            results.append({"ok": run(case)})
        except cnnc_data.DataError as e:
            results.append({"error": str(e)})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
