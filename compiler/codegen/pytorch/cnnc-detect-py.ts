/**
 * cnnc_detect.py, emitted verbatim beside train.py: what train.py needs to train and evaluate a
 * detector (a model ending in a yolo head) as `cnnc train` does. It mirrors, function by function,
 * runtime/data/coco.ts (the COCO reader and letterbox), runtime/data/box-augment.ts (box-aware
 * augmentation with cnnc's random draws), runtime/detection/yolo.ts (the loss, decoding),
 * runtime/detection/nms.ts and runtime/detection/coco-eval.ts (COCO's numbers);
 * test/codegen/train/detect-parity.test.ts checks each against the TypeScript. The evaluation half
 * is in cnnc-detect-eval-py.ts.
 */
import { CNNC_DETECT_EVAL_PY } from './cnnc-detect-eval-py.js';

export const CNNC_DETECT_PY = String.raw`"""Detection for train.py, as cnnc detects (runtime/detection/*.ts, runtime/data/coco.ts and
runtime/data/box-augment.ts in cnnc), so that a detector trained here evaluates the same in
'cnnc evaluate':

  coco:DIR       instances_train.json and instances_test.json (or instances_val.json) in DIR, COCO's
                 format; image files relative to DIR, or to DIR/train and DIR/test. Every image is
                 letterboxed to the model input (resized by one factor to fit, centred, grey 0.5
                 around) and its boxes move with it. Categories become classes 0.. in id order.
  BoxAugment     the train block's flips, zoom, translation, brightness and contrast, applied to an
                 image and its boxes with cnnc's random draws
  yolo_loss      a detector's loss on its heads' raw grids [N, rows, cols, channels]
  decode_detections, nms
                 the boxes of every head's grid, and per-class non-maximum suppression
  coco_evaluate  COCO's 12 numbers (mAP@[.5:.95], @0.5, @0.75, areas, recalls) and per-class AP,
                 computed as pycocotools' COCOeval computes them

A head is v1 (YOLO 2016: B boxes of x, y, sqrt w, sqrt h, confidence per cell, then C class
scores) or anchor-based (v2/v3: per anchor tx, ty, tw, th, objectness, C class logits). A
detector is a list of heads, one per model output (several: a multi-scale detector, e.g. a 12x12
grid at stride 8 and a 6x6 grid at stride 16): each truth box goes to the one slot, over every
head, that fits it best (by anchor shape) at its cell of that head; the loss is the sum of the
heads' losses, and decoding takes the boxes of every head before NMS. One head is the list of one.
"""

import bisect
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from cnnc_data import DataError, _decode_image


class Head:
    """A yolo head: grid (rows, cols), classes, boxes per cell (v1) or anchors [(w, h), ...] in
    input pixels (v2/v3, one box per anchor), and the image (the model input) (H, W)."""

    def __init__(self, grid, classes, boxes, anchors, image):
        self.grid = tuple(grid)
        self.classes = classes
        self.boxes = boxes
        self.anchors = [tuple(a) for a in anchors]
        self.image = tuple(image)

    @property
    def channels(self):
        if self.anchors:
            return len(self.anchors) * (5 + self.classes)
        return self.boxes * 5 + self.classes


# ---- boxes: [x, y, w, h] in pixels, (x, y) the top-left corner -----------------------------


def area(b):
    return max(0, b[2]) * max(0, b[3])


def intersection(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0


def iou(a, b):
    """Intersection over union; 0 when both are empty."""
    i = intersection(a, b)
    u = area(a) + area(b) - i
    return i / u if u > 0 else 0


def coco_overlap(d, g, crowd):
    """COCO's overlap: IoU, or for a crowd region intersection / area of the detection."""
    if not crowd:
        return iou(d, g)
    a = area(d)
    return intersection(d, g) / a if a > 0 else 0


def clip_box(b, width, height):
    x0 = min(max(b[0], 0), width)
    y0 = min(max(b[1], 0), height)
    x1 = min(max(b[0] + b[2], 0), width)
    y1 = min(max(b[1] + b[3], 0), height)
    return [x0, y0, x1 - x0, y1 - y0]


def js_round(x):
    """JavaScript's Math.round: halves go up."""
    return math.floor(x + 0.5)


class Letterbox:
    """An image of w x h letterboxed into W x H: resized by 'scale' to width x height, placed at
    (left, top)."""

    def __init__(self, w, h, W, H):
        self.scale = min(W / w, H / h)
        self.width = max(1, js_round(w * self.scale))
        self.height = max(1, js_round(h * self.scale))
        self.left = (W - self.width) // 2
        self.top = (H - self.height) // 2

    def map(self, b):
        s = self.scale
        return [b[0] * s + self.left, b[1] * s + self.top, b[2] * s, b[3] * s]

    def unmap(self, b):
        """A box on the W x H canvas back in the image's own pixels."""
        s = self.scale
        return [(b[0] - self.left) / s, (b[1] - self.top) / s, b[2] / s, b[3] / s]


def letterbox_pixels(src, lb, W, H):
    """An image HWC [h, w, C] (float64) letterboxed into [H, W, C] (float32): bilinear resize
    (half-pixel centres), grey 0.5 around."""
    h, w, c = src.shape
    out = np.full((H, W, c), 0.5, dtype=np.float32)

    def axis(size, n):
        f = size / n
        s = np.minimum(np.maximum((np.arange(n, dtype=np.float64) + 0.5) * f - 0.5, 0), size - 1)
        i0 = np.floor(s).astype(np.int64)
        return i0, np.minimum(i0 + 1, size - 1), s - i0

    y0, y1, ty = axis(h, lb.height)
    x0, x1, tx = axis(w, lb.width)
    tx, ty = tx[None, :, None], ty[:, None, None]
    a = src[y0][:, x0] * (1 - tx) + src[y0][:, x1] * tx
    b = src[y1][:, x0] * (1 - tx) + src[y1][:, x1] * tx
    out[lb.top : lb.top + lb.height, lb.left : lb.left + lb.width] = a * (1 - ty) + b * ty
    return out


# ---- COCO data -----------------------------------------------------------------------------


class DetectionSet:
    """One split: images [N, C, H, W] (float32, letterboxed), per image the boxes training learns
    ([x, y, w, h, class] in input pixels, crowds left out) and every annotation as the file has
    it (evaluation, in the image's own pixels), image ids, letterboxes and the classes."""

    def __init__(self, name, images, boxes, truth, image_ids, letterboxes, class_names,
                 category_ids, source):
        self.name = name
        self.images = images
        self.boxes = boxes
        self.truth = truth
        self.image_ids = image_ids
        self.letterboxes = letterboxes
        self.class_names = class_names
        self.category_ids = category_ids
        self.source = source

    def __len__(self):
        return len(self.image_ids)

    def batch(self, indices, augment=None, random=None):
        """The images [n, C, H, W] and truth boxes of 'indices', augmented when 'augment' is on."""
        x = self.images[list(indices)]
        truths = [list(self.boxes[i]) for i in indices]
        if augment:
            for k in range(len(truths)):
                img = x[k].permute(1, 2, 0).numpy().astype(np.float64)
                img, truths[k] = augment(img, truths[k], random)
                x[k] = torch.from_numpy(img).permute(2, 0, 1)
        return x, truths


def _check(ok, file, what):
    if not ok:
        raise DataError("%s: %s" % (file, what))


def _count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def parse_coco_json(text, file):
    """images, annotations by image id and categories of a COCO annotation document."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise DataError("%s: not valid JSON (%s)" % (file, e)) from None
    _check(isinstance(doc, dict), file, "expected a JSON object")
    for key in ("images", "categories"):
        _check(isinstance(doc.get(key), list), file, "'%s' must be a list" % key)
    raw_anns = doc.get("annotations", [])
    _check(isinstance(raw_anns, list), file, "'annotations' must be a list")
    categories = []
    for i, c in enumerate(doc["categories"]):
        ok = isinstance(c, dict) and _count(c.get("id")) and isinstance(c.get("name"), str)
        _check(ok, file, "categories[%d] needs an integer id and a name" % i)
        categories.append((c["id"], c["name"]))
    _check(categories, file, "no categories")
    cat_ids = set(c[0] for c in categories)
    _check(len(cat_ids) == len(categories), file, "two categories share an id")
    images, ids = [], set()
    for i, im in enumerate(doc["images"]):
        ok = isinstance(im, dict) and _count(im.get("id")) and isinstance(im.get("file_name"), str)
        _check(ok, file, "images[%d] needs an integer id and a file_name" % i)
        _check(im["id"] not in ids, file, "images[%d].id %d is used twice" % (i, im["id"]))
        ids.add(im["id"])
        w, h = im.get("width"), im.get("height")
        _check(_count(w) and _count(h) and w >= 1 and h >= 1, file,
               "images[%d] needs a width and height of at least 1" % i)
        images.append((im["id"], im["file_name"], w, h))
    anns = {}
    for i, a in enumerate(raw_anns):
        at = "annotations[%d]" % i
        _check(isinstance(a, dict), file, "%s must be an object" % at)
        _check(a.get("image_id") in ids, file, "%s.image_id names no image" % at)
        _check(a.get("category_id") in cat_ids, file, "%s.category_id names no category" % at)
        b = a.get("bbox")
        ok = isinstance(b, list) and len(b) == 4 and all(_number(v) for v in b)
        _check(ok and b[2] >= 0 and b[3] >= 0, file,
               "%s.bbox must be [x, y, width, height] of non-negative size" % at)
        crowd = a.get("iscrowd", 0)
        _check(_count(crowd), file, "%s.iscrowd must be 0 or 1" % at)
        size = a.get("area", b[2] * b[3])
        _check(_number(size), file, "%s.area must be a number" % at)
        entry = {"bbox": list(b), "category_id": a["category_id"], "area": size,
                 "iscrowd": crowd == 1}
        anns.setdefault(a["image_id"], []).append(entry)
    return images, anns, categories


def annotation_file(folder, split):
    """DIR's annotation file of 'split' (train, or test with val standing in), or None."""
    names = ["instances_train.json"] if split == "train" else [
        "instances_test.json", "instances_val.json"]
    for n in names:
        if os.path.exists(os.path.join(folder, n)):
            return os.path.join(folder, n)
    return None


def load_coco_split(folder, split, input_hwc, limit=None):
    """One split of coco:DIR, letterboxed to the model input (H, W, C)."""
    file = annotation_file(folder, split)
    if file is None:
        raise DataError("%s: no instances_%s.json (coco:DIR needs COCO annotation files)"
                        % (folder, split))
    with open(file, encoding="utf-8") as f:
        images, anns, categories = parse_coco_json(f.read(), os.path.basename(file))
    if len(input_hwc) != 3 or not all(isinstance(d, int) and d > 0 for d in input_hwc):
        raise DataError("coco:%s: the model input must be a fixed HxWxC image; it is %s"
                        % (folder, "x".join(map(str, input_hwc))))
    H, W, C = input_hwc
    cats = sorted(categories)
    class_of = {cid: i for i, (cid, _) in enumerate(cats)}
    if limit is not None:
        images = images[:limit]
    root = os.path.realpath(folder)
    pixels, boxes, truth, letterboxes = [], [], [], []
    for image_id, name, width, height in images:
        if not os.path.exists(os.path.join(folder, name)):
            name = os.path.join(split, name)
        path = os.path.realpath(os.path.join(folder, name))
        if not path.startswith(root + os.sep):
            raise DataError("%s: %s is outside %s" % (os.path.basename(file), name, folder))
        src = _decode_image(path, C, None, None).astype(np.float32).astype(np.float64)
        lb = Letterbox(src.shape[1], src.shape[0], W, H)
        pixels.append(letterbox_pixels(src, lb, W, H))
        sx, sy = src.shape[1] / width, src.shape[0] / height
        found = anns.get(image_id, [])
        truth.append(found)
        letterboxes.append(lb)
        boxes.append([
            lb.map([a["bbox"][0] * sx, a["bbox"][1] * sy, a["bbox"][2] * sx, a["bbox"][3] * sy])
            + [class_of[a["category_id"]]]
            for a in found
            if not a["iscrowd"]
        ])
    stacked = np.stack(pixels) if pixels else np.zeros((0, H, W, C), dtype=np.float32)
    return DetectionSet(
        "coco:%s/%s" % (os.path.basename(os.path.abspath(folder)), split),
        torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous(),
        boxes,
        truth,
        [im[0] for im in images],
        letterboxes,
        [c[1] for c in cats],
        [c[0] for c in cats],
        file,
    )


def load_coco(spec, input_hwc, limit=None):
    """coco:DIR's train split and its test split (None when DIR has none); relative to the
    working directory."""
    kind, _, folder = spec.partition(":")
    if kind != "coco" or not folder:
        raise DataError(
            "this model is a detector: give it COCO data with --data coco:DIR "
            "(cnnc data shapes writes some), not %s" % json.dumps(spec)
        )
    folder = os.path.abspath(folder)
    train = load_coco_split(folder, "train", input_hwc, limit)
    has_test = annotation_file(folder, "test") is not None
    return train, load_coco_split(folder, "test", input_hwc, limit) if has_test else None


# ---- box-aware augmentation ----------------------------------------------------------------


class BoxAugment:
    """cnnc's augmentation of a detector's batches (runtime/data/box-augment.ts): per image,
    mirrored (p = 1/2 per enabled axis), scaled about its centre by a factor uniform in the zoom
    range and shifted by up to +-translate of its size; boxes take the same transform, are clipped
    to the image and dropped when under 2 pixels wide or high or when under a quarter of their area
    stays inside. Pixels from outside are grey 0.5; then brightness and contrast (not clamped).
    Rotation and channel shifts do not apply to detectors. It is on when any augmentation setting
    is (as cnnc's train block then holds an augmentation)."""

    def __init__(self, s):
        self.flip_x = s["flip"] in ("horizontal", "both")
        self.flip_y = s["flip"] in ("vertical", "both")
        self.zoom = (s["zoom_min"], s["zoom_max"])
        self.translate = s["translate"]
        self.brightness = s["brightness"]
        self.contrast = s["contrast"]
        self.on = (
            self.flip_x or self.flip_y or s["rotation"] != 0 or self.zoom != (1, 1)
            or self.translate != 0 or self.brightness != 0 or self.contrast != 0
            or s["channel_shift"] != 0
        )

    def __bool__(self):
        return self.on

    def draws(self):
        """The random numbers drawn per image."""
        return self.flip_x + self.flip_y + 3 + 2 * (self.brightness != 0 or self.contrast != 0)

    def __call__(self, img, boxes, random):
        """Transforms one HWC image (float64) and its boxes [x, y, w, h, class]; returns the
        image as float32 and the boxes that stay."""
        H, W, _ = img.shape
        flip_x = self.flip_x and random() < 0.5
        flip_y = self.flip_y and random() < 0.5
        s = self.zoom[0] + (self.zoom[1] - self.zoom[0]) * random()
        dx = (random() * 2 - 1) * self.translate * W
        dy = (random() * 2 - 1) * self.translate * H
        if not flip_x and not flip_y and s == 1 and dx == 0 and dy == 0:
            return self._jitter(img.astype(np.float32), random), list(boxes)
        img = self._warp(img, flip_x, flip_y, s, dx, dy)
        img = self._jitter(img, random)

        def map_x(x):
            return s * ((W - x if flip_x else x) - W / 2) + W / 2 + dx

        def map_y(y):
            return s * ((H - y if flip_y else y) - H / 2) + H / 2 + dy

        out = []
        for b in boxes:
            xs = [map_x(b[0]), map_x(b[0] + b[2])]
            ys = [map_y(b[1]), map_y(b[1] + b[3])]
            moved = [min(xs), min(ys), abs(xs[1] - xs[0]), abs(ys[1] - ys[0])]
            clipped = clip_box(moved, W, H)
            if clipped[2] < 2 or clipped[3] < 2 or area(clipped) < 0.25 * area(moved):
                continue
            out.append(clipped + [b[4]])
        return img, out

    @staticmethod
    def _warp(src, flip_x, flip_y, s, dx, dy):
        H, W, _ = src.shape
        uy = (np.arange(H, dtype=np.float64) + 0.5 - dy - H / 2) / s + H / 2
        ux = (np.arange(W, dtype=np.float64) + 0.5 - dx - W / 2) / s + W / 2
        sy = (H - uy if flip_y else uy) - 0.5
        sx = (W - ux if flip_x else ux) - 0.5
        y0, x0 = np.floor(sy), np.floor(sx)
        ty, tx = (sy - y0)[:, None, None], (sx - x0)[None, :, None]
        y0, x0 = y0.astype(np.int64), x0.astype(np.int64)

        def at(yy, xx):
            inside = ((yy >= 0) & (yy < H))[:, None] & ((xx >= 0) & (xx < W))[None, :]
            v = src[np.clip(yy, 0, H - 1)][:, np.clip(xx, 0, W - 1)]
            return np.where(inside[:, :, None], v, 0.5)

        top = at(y0, x0) * (1 - tx) + at(y0, x0 + 1) * tx
        bottom = at(y0 + 1, x0) * (1 - tx) + at(y0 + 1, x0 + 1) * tx
        return (top * (1 - ty) + bottom * ty).astype(np.float32)

    def _jitter(self, img, random):
        if self.brightness == 0 and self.contrast == 0:
            return img
        b = 1 + (random() * 2 - 1) * self.brightness
        k = 1 + (random() * 2 - 1) * self.contrast
        values = img.astype(np.float64)
        # cnnc sums the values one after another (cumsum does too; sum would pair them).
        mean = np.cumsum(values.reshape(-1))[-1] / values.size
        return (((values - mean) * k + mean) * b).astype(np.float32)


# ---- the yolo loss -------------------------------------------------------------------------


def _cell_of(head, b):
    S1, S2 = head.grid
    H, W = head.image
    r = min(S1 - 1, max(0, math.floor(((b[1] + b[3] / 2) / H) * S1)))
    c = min(S2 - 1, max(0, math.floor(((b[0] + b[2] / 2) / W) * S2)))
    return r, c


def _sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _predicted_box(head, cell, r, c, k):
    """Box slot k of cell (r, c) as predicted ('cell': the cell's raw outputs), in pixels."""
    S1, S2 = head.grid
    H, W = head.image
    if head.anchors:
        o = k * (5 + head.classes)
        cx = ((c + _sigmoid(cell[o])) / S2) * W
        cy = ((r + _sigmoid(cell[o + 1])) / S1) * H
        w = head.anchors[k][0] * math.exp(min(cell[o + 2], 10))
        h = head.anchors[k][1] * math.exp(min(cell[o + 3], 10))
        return [cx - w / 2, cy - h / 2, w, h]
    o = k * 5
    cx = ((c + cell[o]) / S2) * W
    cy = ((r + cell[o + 1]) / S1) * H
    w = cell[o + 2] * cell[o + 2] * W
    h = cell[o + 3] * cell[o + 3] * H
    return [cx - w / 2, cy - h / 2, w, h]


def assign(heads, grids, truths):
    """Which truth each box slot of one image is responsible for, per head: [{(r, c, k): truth}]
    ('grids': the image's raw grid [rows, cols, channels] of each head, as lists; read only for
    v1 heads). A truth goes to the one free slot, over every head, that overlaps it most at the
    truth's cell of that head: by the anchor's shape (both centred, YOLOv3) on anchor heads, by
    the predicted box on v1 heads; ties go to the earlier head, then the lower slot."""
    owners = [{} for _ in heads]
    for t in truths:
        if not (t[2] > 0 and t[3] > 0):
            continue
        best, best_key, best_iou = -1, None, -math.inf
        for j, head in enumerate(heads):
            r, c = _cell_of(head, t)
            for k in range(head.boxes):
                if (r, c, k) in owners[j]:
                    continue
                if head.anchors:
                    a = head.anchors[k]
                    overlap = iou([0, 0, a[0], a[1]], [0, 0, t[2], t[3]])
                else:
                    overlap = iou(_predicted_box(head, grids[j][r][c], r, c, k), t)
                if overlap > best_iou:
                    best, best_key, best_iou = j, (r, c, k), overlap
        if best >= 0:
            owners[best][best_key] = t
    return owners


def _head_parts(head, x, owners, lambda_coord, lambda_noobj):
    """One head's terms {coord, obj, noobj, cls} summed over the batch (scalar tensors): 'x' its
    raw grids [n, rows, cols, channels] in float64, 'owners' its slots' truths per image."""
    n = x.shape[0]
    S1, S2 = head.grid
    H, W = head.image
    B, K = head.boxes, head.classes
    obj = torch.zeros(n, S1, S2, B, dtype=torch.bool)
    box_target = torch.zeros(n, S1, S2, B, 4, dtype=torch.float64)
    class_target = torch.zeros(n, S1, S2, B, K, dtype=torch.float64)
    cell_obj = torch.zeros(n, S1, S2, dtype=torch.bool)
    cell_class = torch.zeros(n, S1, S2, K, dtype=torch.float64)
    for i in range(n):
        for (r, c, k), t in sorted(owners[i].items()):
            tx = ((t[0] + t[2] / 2) / W) * S2 - c
            ty = ((t[1] + t[3] / 2) / H) * S1 - r
            if head.anchors:
                tw = math.log(t[2] / head.anchors[k][0])
                th = math.log(t[3] / head.anchors[k][1])
            else:
                tw, th = math.sqrt(t[2] / W), math.sqrt(t[3] / H)
            obj[i, r, c, k] = True
            box_target[i, r, c, k] = torch.tensor([tx, ty, tw, th], dtype=torch.float64)
            class_target[i, r, c, k, int(t[4])] = 1
            if not cell_obj[i, r, c]:  # v1: the class of the cell's lowest responsible slot
                cell_obj[i, r, c] = True
                cell_class[i, r, c, int(t[4])] = 1
    device = x.device
    obj, box_target, class_target = obj.to(device), box_target.to(device), class_target.to(device)
    if head.anchors:
        slots = x.reshape(n, S1, S2, B, 5 + K)
        mine = slots[obj]
        target = box_target[obj]
        xy = torch.sigmoid(mine[:, :2])
        coord = ((xy - target[:, :2]) ** 2).sum() + ((mine[:, 2:4] - target[:, 2:]) ** 2).sum()
        bce = F.binary_cross_entropy_with_logits
        ones = torch.ones_like(mine[:, 4])
        return {
            "coord": lambda_coord * coord,
            "obj": bce(mine[:, 4], ones, reduction="sum"),
            "noobj": lambda_noobj * bce(
                slots[~obj][:, 4], torch.zeros_like(slots[~obj][:, 4]), reduction="sum"
            ),
            "cls": bce(mine[:, 5:], class_target[obj], reduction="sum"),
        }
    slots = x[..., : B * 5].reshape(n, S1, S2, B, 5)
    mine = slots[obj]
    cell_obj, cell_class = cell_obj.to(device), cell_class.to(device)
    return {
        "coord": lambda_coord * ((mine[:, :4] - box_target[obj]) ** 2).sum(),
        "obj": ((mine[:, 4] - 1) ** 2).sum(),
        "noobj": lambda_noobj * (slots[~obj][:, 4] ** 2).sum(),
        "cls": ((x[..., B * 5 :][cell_obj] - cell_class[cell_obj]) ** 2).sum(),
    }


def yolo_loss(heads, grids, truths, lambda_coord, lambda_noobj):
    """The loss of a detector's raw grids, one per head ('grids[j]': head j's [n, rows, cols,
    channels]), against truth boxes per image ([x, y, w, h, class] in input pixels), as cnnc's
    detectionLoss: each truth assigned to one slot over all heads, the heads' terms summed and
    averaged over the batch. A scalar tensor (computed in float64) and its parts {coord, obj,
    noobj, cls} as floats. One head is the list of one."""
    if len(grids) != len(heads):
        raise ValueError("%d grids for %d yolo heads" % (len(grids), len(heads)))
    xs = [g.double() for g in grids]
    n = xs[0].shape[0]
    values = [x.detach().cpu().tolist() if not h.anchors else None for h, x in zip(heads, xs)]
    per_image = [
        assign(heads, [v[i] if v is not None else None for v in values], truths[i])
        for i in range(n)
    ]
    parts = {"coord": 0, "obj": 0, "noobj": 0, "cls": 0}
    for j, (head, x) in enumerate(zip(heads, xs)):
        owners = [o[j] for o in per_image]
        for name, v in _head_parts(head, x, owners, lambda_coord, lambda_noobj).items():
            parts[name] = parts[name] + v
    scale = 1 / n if n > 0 else 0
    loss = (parts["coord"] + parts["obj"] + parts["noobj"] + parts["cls"]) * scale
    return loss, {name: float(v) * scale for name, v in parts.items()}


def grids_of(heads, outputs):
    """The model's output (one tensor, or one per head) as raw grids [N, rows, cols, channels]."""
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if len(outputs) != len(heads):
        raise ValueError("%d outputs for %d yolo heads" % (len(outputs), len(heads)))
    return [o.permute(0, 2, 3, 1) for o in outputs]


def detection_loss(heads, outputs, truths, lambda_coord, lambda_noobj):
    """The yolo loss of the model's outputs (one per head), as a scalar tensor."""
    return yolo_loss(heads, grids_of(heads, outputs), truths, lambda_coord, lambda_noobj)[0]


# ---- decoding and NMS ----------------------------------------------------------------------


def _np_sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def decode(head, grid, score_threshold):
    """The boxes of one image's raw grid [rows, cols, channels] (float64 numpy), in input pixels
    clipped to the image: (box, score, class) for every slot and class whose score reaches the
    threshold, in cnnc's order (row, column, slot, class)."""
    S1, S2 = head.grid
    H, W = head.image
    B, K = head.boxes, head.classes
    rows = np.arange(S1, dtype=np.float64)[:, None, None]
    cols = np.arange(S2, dtype=np.float64)[None, :, None]
    if head.anchors:
        slots = grid.reshape(S1, S2, B, 5 + K)
        anchors = np.array(head.anchors, dtype=np.float64)
        cx = ((cols + _np_sigmoid(slots[..., 0])) / S2) * W
        cy = ((rows + _np_sigmoid(slots[..., 1])) / S1) * H
        w = anchors[:, 0] * np.exp(np.minimum(slots[..., 2], 10))
        h = anchors[:, 1] * np.exp(np.minimum(slots[..., 3], 10))
        scores = _np_sigmoid(slots[..., 4])[..., None] * _np_sigmoid(slots[..., 5:])
    else:
        slots = grid[..., : B * 5].reshape(S1, S2, B, 5)
        cx = ((cols + slots[..., 0]) / S2) * W
        cy = ((rows + slots[..., 1]) / S1) * H
        w = slots[..., 2] * slots[..., 2] * W
        h = slots[..., 3] * slots[..., 3] * H
        conf = np.clip(slots[..., 4], 0, 1)[..., None]
        scores = conf * np.clip(grid[..., B * 5 :], 0, 1)[:, :, None, :]
    x0 = cx - w / 2
    y0 = cy - h / 2
    cx0, cy0 = np.maximum(0, x0), np.maximum(0, y0)
    bw = np.minimum(W, x0 + w) - cx0
    bh = np.minimum(H, y0 + h) - cy0
    keep = (bw > 0) & (bh > 0)
    dets = []
    found = keep[..., None] & (scores >= score_threshold) & (scores > 0)
    for r, c, k, q in zip(*np.nonzero(found)):
        box = [float(cx0[r, c, k]), float(cy0[r, c, k]), float(bw[r, c, k]), float(bh[r, c, k])]
        dets.append((box, float(scores[r, c, k, q]), int(q)))
    return dets


def decode_detections(heads, grids, score_threshold):
    """The boxes of one image of a detector ('grids[j]': head j's raw grid [rows, cols,
    channels], float64 numpy): every head's boxes, head after head, as cnnc's decodeDetections
    gathers them before NMS."""
    return [d for head, grid in zip(heads, grids) for d in decode(head, grid, score_threshold)]


def nms(dets, iou_threshold, score_threshold, max_detections):
    """Per-class non-maximum suppression: in decreasing score (ties: the earlier first), a box is
    dropped when it overlaps a kept one of its class by more than iou_threshold."""
    kept, by_class = [], {}
    for i in sorted(range(len(dets)), key=lambda i: (-dets[i][1], i)):
        box, score, label = dets[i]
        if not score >= score_threshold:
            continue
        if any(iou(k, box) > iou_threshold for k in by_class.get(label, ())):
            continue
        kept.append(dets[i])
        by_class.setdefault(label, []).append(box)
        if len(kept) >= max_detections:
            break
    return kept

${CNNC_DETECT_EVAL_PY}`;
