/**
 * The evaluation half of cnnc_detect.py (cnnc-detect-py.ts puts it at the end of the file): COCO's
 * bounding-box evaluation as runtime/detection/coco-eval.ts computes it (sums taken in the same
 * order, so the numbers are the same to the last bit), and the evaluation of a detector on a split
 * as runtime/detection/train.ts's evaluateDetector does it.
 */
export const CNNC_DETECT_EVAL_PY = String.raw`
# ---- COCO's evaluation ---------------------------------------------------------------------


def _linspace(start, stop, n):
    """numpy's linspace as pycocotools uses it: start + i * step, the last exactly stop."""
    step = (stop - start) / (n - 1)
    return [stop if i == n - 1 else start + i * step for i in range(n)]


IOU_THRESHOLDS = _linspace(0.5, 0.95, 10)
RECALL_POINTS = _linspace(0, 1, 101)
AREA_RANGES = (("all", 0, 1e10), ("small", 0, 32**2), ("medium", 32**2, 96**2),
               ("large", 96**2, 1e10))
MAX_DETS = (1, 10, 100)
STAT_NAMES = (
    "AP @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "AP @[ IoU=0.50      | area=   all | maxDets=100 ]",
    "AP @[ IoU=0.75      | area=   all | maxDets=100 ]",
    "AP @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "AP @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "AP @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
    "AR @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
    "AR @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
    "AR @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
    "AR @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
    "AR @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
    "AR @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
)


def _area_of(g):
    a = g.get("area")
    return a if a is not None else max(0, g["bbox"][2]) * max(0, g["bbox"][3])


def _evaluate_image(gts, dts, ious, low, high, max_det):
    """pycocotools' evaluateImg for one image and category: per threshold and detection (in
    score order, the first max_det) whether it is matched and whether it is ignored; None when
    both lists are empty. 'ious' holds the overlaps of dts (score order) with gts."""
    if not gts and not dts:
        return None
    g_ignore = [bool(g.get("iscrowd")) or _area_of(g) < low or _area_of(g) > high for g in gts]
    g_order = sorted(range(len(gts)), key=lambda i: (g_ignore[i], i))
    g_crowd = [bool(gts[i].get("iscrowd")) for i in g_order]
    g_ig = [g_ignore[i] for i in g_order]
    d = dts[:max_det]
    matched, ignored = [], []
    for t in IOU_THRESHOLDS:
        taken = [False] * len(g_order)
        dm, d_ig = [False] * len(d), [False] * len(d)
        for di in range(len(d)):
            best, m = min(t, 1 - 1e-10), -1
            for gi in range(len(g_order)):
                if taken[gi] and not g_crowd[gi]:
                    continue
                # Once matched to a counted ground truth, stop at the ignored ones.
                if m > -1 and not g_ig[m] and g_ig[gi]:
                    break
                overlap = ious[di][g_order[gi]]
                if overlap < best:
                    continue
                best, m = overlap, gi
            if m == -1:
                continue
            d_ig[di], dm[di], taken[m] = g_ig[m], True, True
        for di in range(len(d)):
            a = max(0, d[di]["bbox"][2]) * max(0, d[di]["bbox"][3])
            if not dm[di] and (a < low or a > high):
                d_ig[di] = True
        matched.append(dm)
        ignored.append(d_ig)
    return {
        "matched": matched,
        "ignored": ignored,
        "scores": [x["score"] for x in d],
        "positives": sum(1 for x in g_ig if not x),
    }


def _prefix(e, n):
    """An image's evaluation with only its first n detections (matching is greedy in score
    order, so it is the first n of the evaluation with more)."""
    if e is None:
        return None
    return dict(e, matched=[m[:n] for m in e["matched"]],
                ignored=[i[:n] for i in e["ignored"]], scores=e["scores"][:n])


def _accumulate(evals):
    """Precision at the 101 recall points per threshold, and the final recall per threshold;
    (None, None) when no ground truth counts."""
    evals = [e for e in evals if e is not None]
    positives = sum(e["positives"] for e in evals)
    if positives == 0:
        return None, None
    scores, owner = [], []
    for ei, e in enumerate(evals):
        for di, s in enumerate(e["scores"]):
            scores.append(s)
            owner.append((ei, di))
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    precision, recall = [], []
    for t in range(len(IOU_THRESHOLDS)):
        tp = fp = 0
        rc, pr = [], []
        for i in order:
            ei, di = owner[i]
            if evals[ei]["ignored"][t][di]:
                continue
            if evals[ei]["matched"][t][di]:
                tp += 1
            else:
                fp += 1
            rc.append(tp / positives)
            pr.append(tp / (tp + fp + sys.float_info.epsilon))
        recall.append(rc[-1] if rc else 0)
        for i in range(len(pr) - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        points = []
        for r in RECALL_POINTS:
            at = bisect.bisect_left(rc, r)
            points.append(pr[at] if at < len(pr) else 0)
        precision.append(points)
    return precision, recall


def _mean(values):
    """The mean of the values above -1 (-1 when there are none), summed one after another."""
    total, n = 0, 0
    for v in values:
        if v > -1:
            total += v
            n += 1
    return total / n if n else -1


def coco_evaluate(gts, dts, image_ids=None, category_ids=None):
    """COCO's 12 summary numbers ('stats', as pycocotools' stats[0..11]; -1: undefined), 'map',
    'map50', 'map75' and 'per_class' [{category_id, ap, ap50, recall}] (None: no ground truth).
    gts: {image_id, category_id, bbox, area?, iscrowd?}; dts: {image_id, category_id, bbox,
    score}; boxes [x, y, w, h] in the images' pixels."""
    if image_ids is None:
        image_ids = [x["image_id"] for x in list(gts) + list(dts)]
    image_ids = sorted(set(image_ids))
    if category_ids is None:
        category_ids = sorted(set(g["category_id"] for g in gts))
    G, D = {}, {}
    for g in gts:
        G.setdefault((g["image_id"], g["category_id"]), []).append(g)
    for d in dts:
        D.setdefault((d["image_id"], d["category_id"]), []).append(d)
    # results[area][max_det][class] = (precision, recall)
    results = [[[None] * len(category_ids) for _ in MAX_DETS] for _ in AREA_RANGES]
    for k, c in enumerate(category_ids):
        per_image = []
        for i in image_ids:
            g = G.get((i, c), [])
            d = D.get((i, c), [])
            d = [d[j] for j in sorted(range(len(d)), key=lambda j: (-d[j]["score"], j))]
            d = d[: max(MAX_DETS)]
            ious = [[coco_overlap(x["bbox"], y["bbox"], bool(y.get("iscrowd"))) for y in g]
                    for x in d]
            per_image.append((g, d, ious))
        for a, (_, low, high) in enumerate(AREA_RANGES):
            full = [_evaluate_image(g, d, ious, low, high, max(MAX_DETS))
                    for g, d, ious in per_image]
            for m, max_det in enumerate(MAX_DETS):
                results[a][m][k] = _accumulate([_prefix(e, max_det) for e in full])
    area_index = {name: a for a, (name, _, _) in enumerate(AREA_RANGES)}

    def ap(area, max_det, t=None, cls=None):
        values = []
        for k, (precision, _) in enumerate(results[area_index[area]][MAX_DETS.index(max_det)]):
            if (cls is not None and k != cls) or precision is None:
                continue
            for ti, p in enumerate(precision):
                if t is None or ti == t:
                    values.extend(p)
        return _mean(values)

    def ar(area, max_det, cls=None):
        values = []
        for k, (_, recall) in enumerate(results[area_index[area]][MAX_DETS.index(max_det)]):
            if (cls is not None and k != cls) or recall is None:
                continue
            values.extend(recall)
        return _mean(values)

    stats = [
        ap("all", 100), ap("all", 100, 0), ap("all", 100, 5), ap("small", 100),
        ap("medium", 100), ap("large", 100), ar("all", 1), ar("all", 10), ar("all", 100),
        ar("small", 100), ar("medium", 100), ar("large", 100),
    ]

    def or_none(x):
        return x if x > -1 else None

    return {
        "stats": stats,
        "map": stats[0],
        "map50": stats[1],
        "map75": stats[2],
        "per_class": [
            {
                "category_id": c,
                "ap": or_none(ap("all", 100, None, k)),
                "ap50": or_none(ap("all", 100, 0, k)),
                "recall": or_none(ar("all", 100, k)),
            }
            for k, c in enumerate(category_ids)
        ],
    }


def summary_text(result, class_names=None):
    """COCO's summary lines as COCOeval.summarize prints them (and cnnc), then per class."""
    lines = []
    for name, value in zip(STAT_NAMES, result["stats"]):
        title = "Average Precision" if name.startswith("AP") else "Average Recall"
        lines.append(" %-18s (%s) %s = %.3f" % (title, name[:2], name[3:], value))
    for k, c in enumerate(result["per_class"] if class_names else ()):
        cells = ["%.3f" % c[key] if c[key] is not None else "-" for key in ("ap", "ap50", "recall")]
        lines.append("  %-12s AP %s  AP50 %s  recall %s" % (class_names[k], *cells))
    return "\n".join(lines)


def evaluate_detector(model, ds, heads, settings, device, batch=64):
    """COCO's numbers of a detector on a split: every image's boxes decoded, NMS'd (the train
    block's nms_iou, score_threshold and max_detections) and mapped back to its own pixels."""
    model.eval()
    results = []
    with torch.no_grad():
        for start in range(0, len(ds), batch):
            x = ds.images[start : start + batch].to(device)
            grids = [g.float().cpu().double().numpy() for g in grids_of(heads, model(x))]
            for k in range(x.shape[0]):
                dets = decode_detections(heads, [g[k] for g in grids], settings["score_threshold"])
                i = start + k
                kept = nms(dets, settings["nms_iou"], settings["score_threshold"],
                           settings["max_detections"])
                for box, score, label in kept:
                    results.append({
                        "image_id": ds.image_ids[i],
                        "category_id": ds.category_ids[label],
                        "bbox": ds.letterboxes[i].unmap(box),
                        "score": score,
                    })
    gts = [
        dict(g, image_id=ds.image_ids[i])
        for i, found in enumerate(ds.truth)
        for g in found
    ]
    return coco_evaluate(gts, results, ds.image_ids, ds.category_ids)
`;
