/**
 * COCO's bounding-box evaluation, written from the definition in pycocotools' COCOeval
 * (evaluateImg, accumulate, summarize) so that its numbers are the same:
 *
 * - per image and category, detections sorted by score (ties keep their given order) and cut to
 *   maxDets; ground truths not ignored first; at each IoU threshold t ∈ {0.50, 0.55, …, 0.95} every
 *   detection in turn takes the unmatched ground truth it overlaps most (IoU ≥ t; a crowd region may
 *   be matched many times and its overlap is intersection / detection area);
 * - a ground truth is ignored when it is a crowd or its area lies outside the area range; a detection
 *   matched to an ignored one, or unmatched with its area outside the range, is ignored;
 * - per category, the detections of all images in decreasing score; precision made monotone from the
 *   right and read at 101 recall points 0, 0.01, …, 1 (0 past the last recall reached);
 * - AP averages those over recall points, thresholds and the categories that have ground truth.
 *
 * Area ranges: all, small (< 32²), medium (32²–96²), large (> 96²); maxDets 1, 10, 100.
 */
import { cocoOverlap, type Xywh } from './boxes.js';

export interface GroundTruth {
  readonly imageId: number;
  readonly categoryId: number;
  readonly bbox: Xywh;
  /** COCO's `area` field (segment area); defaults to the box area. */
  readonly area?: number;
  readonly iscrowd?: boolean;
}

export interface ScoredBox {
  readonly imageId: number;
  readonly categoryId: number;
  readonly bbox: Xywh;
  readonly score: number;
}

/** numpy's linspace(start, stop, n): start + i·step, the last exactly stop (pycocotools' grids). */
function linspace(start: number, stop: number, n: number): number[] {
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

export const IOU_THRESHOLDS: readonly number[] = linspace(0.5, 0.95, 10);
export const RECALL_POINTS: readonly number[] = linspace(0, 1, 101);
export const AREA_RANGES = {
  all: [0, 1e10],
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, 1e10],
} as const satisfies Record<string, readonly [number, number]>;
export type AreaName = keyof typeof AREA_RANGES;
const AREAS = Object.keys(AREA_RANGES) as AreaName[];
export const MAX_DETS = [1, 10, 100] as const;

interface ImageEval {
  /** Per threshold, per detection (score order): matched, ignored. */
  readonly matched: boolean[][];
  readonly ignored: boolean[][];
  readonly scores: number[];
  /** Ground truths that count (not ignored). */
  readonly positives: number;
}

function areaOf(g: GroundTruth): number {
  return g.area ?? Math.max(0, g.bbox[2]) * Math.max(0, g.bbox[3]);
}

/** pycocotools' evaluateImg for one image, category, area range and maxDets; null when both are empty. */
function evaluateImage(
  gts: readonly GroundTruth[],
  dts: readonly ScoredBox[],
  range: readonly [number, number],
  maxDet: number,
): ImageEval | null {
  if (gts.length === 0 && dts.length === 0) return null;
  const gIgnore = gts.map((g) => !!g.iscrowd || areaOf(g) < range[0] || areaOf(g) > range[1]);
  // Not-ignored first, stably.
  const gOrder = gts
    .map((_, i) => i)
    .sort((a, b) => Number(gIgnore[a]) - Number(gIgnore[b]) || a - b);
  const g = gOrder.map((i) => gts[i]);
  const gIg = gOrder.map((i) => gIgnore[i]);
  const dOrder = dts
    .map((_, i) => i)
    .sort((a, b) => dts[b].score - dts[a].score || a - b)
    .slice(0, maxDet);
  const d = dOrder.map((i) => dts[i]);
  const ious = d.map((dt) => g.map((gt) => cocoOverlap(dt.bbox, gt.bbox, !!gt.iscrowd)));
  const matched: boolean[][] = [];
  const ignored: boolean[][] = [];
  for (const t of IOU_THRESHOLDS) {
    const gtTaken = new Array<boolean>(g.length).fill(false);
    const dm = new Array<boolean>(d.length).fill(false);
    const dIg = new Array<boolean>(d.length).fill(false);
    for (let di = 0; di < d.length; di++) {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < g.length; gi++) {
        if (gtTaken[gi] && !g[gi].iscrowd) continue;
        // Once matched to a counted ground truth, stop at the ignored ones.
        if (m > -1 && !gIg[m] && gIg[gi]) break;
        if (ious[di][gi] < best) continue;
        best = ious[di][gi];
        m = gi;
      }
      if (m === -1) continue;
      dIg[di] = gIg[m];
      dm[di] = true;
      gtTaken[m] = true;
    }
    for (let di = 0; di < d.length; di++) {
      const a = Math.max(0, d[di].bbox[2]) * Math.max(0, d[di].bbox[3]);
      if (!dm[di] && (a < range[0] || a > range[1])) dIg[di] = true;
    }
    matched.push(dm);
    ignored.push(dIg);
  }
  return {
    matched,
    ignored,
    scores: d.map((x) => x.score),
    positives: gIg.filter((x) => !x).length,
  };
}

/** Precision at the 101 recall points (−1: no ground truth) and the final recall, per threshold. */
interface Accumulated {
  readonly precision: number[][] | null;
  readonly recall: number[] | null;
}

function accumulate(evals: readonly (ImageEval | null)[]): Accumulated {
  const list = evals.filter((e): e is ImageEval => e !== null);
  const positives = list.reduce((s, e) => s + e.positives, 0);
  if (positives === 0) return { precision: null, recall: null };
  const scores: number[] = [];
  const owner: [number, number][] = [];
  list.forEach((e, ei) => e.scores.forEach((s, di) => (scores.push(s), owner.push([ei, di]))));
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const precision: number[][] = [];
  const recall: number[] = [];
  for (let t = 0; t < IOU_THRESHOLDS.length; t++) {
    let tp = 0;
    let fp = 0;
    const rc: number[] = [];
    const pr: number[] = [];
    for (const i of order) {
      const [ei, di] = owner[i];
      if (list[ei].ignored[t][di]) continue;
      if (list[ei].matched[t][di]) tp++;
      else fp++;
      rc.push(tp / positives);
      pr.push(tp / (tp + fp + Number.EPSILON));
    }
    recall.push(rc.length ? rc[rc.length - 1] : 0);
    for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    const q = RECALL_POINTS.map((r) => {
      // searchsorted(rc, r, side='left'): the first index with rc[i] ≥ r.
      let lo = 0;
      let hi = rc.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rc[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      return lo < pr.length ? pr[lo] : 0;
    });
    precision.push(q);
  }
  return { precision, recall };
}

export interface ClassResult {
  readonly categoryId: number;
  /** AP@[.5:.95] (all areas, 100 detections); null when the class has no ground truth. */
  readonly ap: number | null;
  readonly ap50: number | null;
  /** Recall@[.5:.95] with 100 detections. */
  readonly recall: number | null;
}

export interface CocoStats {
  /** pycocotools' stats[0..11]: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (−1: undefined). */
  readonly stats: readonly number[];
  readonly map: number;
  readonly map50: number;
  readonly map75: number;
  readonly perClass: readonly ClassResult[];
}

export const STAT_NAMES = [
  'AP @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]',
  'AP @[ IoU=0.50      | area=   all | maxDets=100 ]',
  'AP @[ IoU=0.75      | area=   all | maxDets=100 ]',
  'AP @[ IoU=0.50:0.95 | area= small | maxDets=100 ]',
  'AP @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]',
  'AP @[ IoU=0.50:0.95 | area= large | maxDets=100 ]',
  'AR @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]',
  'AR @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]',
  'AR @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]',
  'AR @[ IoU=0.50:0.95 | area= small | maxDets=100 ]',
  'AR @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]',
  'AR @[ IoU=0.50:0.95 | area= large | maxDets=100 ]',
] as const;

const mean = (xs: readonly number[]): number => {
  const v = xs.filter((x) => x > -1);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : -1;
};

/**
 * COCO's 12 summary numbers and per-class AP and recall. `imageIds` are the images evaluated
 * (default: those with ground truth or detections); `categoryIds` the categories (default: those of
 * the ground truth), in the order reported.
 */
export function cocoEvaluate(
  gts: readonly GroundTruth[],
  dts: readonly ScoredBox[],
  options: { imageIds?: readonly number[]; categoryIds?: readonly number[] } = {},
): CocoStats {
  const imageIds = [...new Set(options.imageIds ?? [...gts, ...dts].map((x) => x.imageId))].sort(
    (a, b) => a - b,
  );
  const categoryIds =
    options.categoryIds ?? [...new Set(gts.map((g) => g.categoryId))].sort((a, b) => a - b);
  const key = (i: number, c: number) => `${i}/${c}`;
  const G = new Map<string, GroundTruth[]>();
  const D = new Map<string, ScoredBox[]>();
  for (const g of gts)
    G.set(key(g.imageId, g.categoryId), [...(G.get(key(g.imageId, g.categoryId)) ?? []), g]);
  for (const d of dts)
    D.set(key(d.imageId, d.categoryId), [...(D.get(key(d.imageId, d.categoryId)) ?? []), d]);
  // results[area][maxDet][class]
  const results = AREAS.map((a) =>
    MAX_DETS.map((m) =>
      categoryIds.map((c) =>
        accumulate(
          imageIds.map((i) =>
            evaluateImage(G.get(key(i, c)) ?? [], D.get(key(i, c)) ?? [], AREA_RANGES[a], m),
          ),
        ),
      ),
    ),
  );
  const at = (area: AreaName, maxDet: number) =>
    results[AREAS.indexOf(area)][MAX_DETS.indexOf(maxDet as (typeof MAX_DETS)[number])];
  const ap = (area: AreaName, maxDet: number, t?: number, cls?: number): number =>
    mean(
      at(area, maxDet).flatMap((r, k) =>
        (cls !== undefined && k !== cls) || !r.precision
          ? []
          : r.precision.flatMap((p, ti) => (t === undefined || ti === t ? p : [])),
      ),
    );
  const ar = (area: AreaName, maxDet: number, cls?: number): number =>
    mean(
      at(area, maxDet).flatMap((r, k) =>
        (cls !== undefined && k !== cls) || !r.recall ? [] : r.recall,
      ),
    );
  const stats = [
    ap('all', 100),
    ap('all', 100, 0),
    ap('all', 100, 5),
    ap('small', 100),
    ap('medium', 100),
    ap('large', 100),
    ar('all', 1),
    ar('all', 10),
    ar('all', 100),
    ar('small', 100),
    ar('medium', 100),
    ar('large', 100),
  ];
  const orNull = (x: number) => (x > -1 ? x : null);
  return {
    stats,
    map: stats[0],
    map50: stats[1],
    map75: stats[2],
    perClass: categoryIds.map((categoryId, k) => ({
      categoryId,
      ap: orNull(ap('all', 100, undefined, k)),
      ap50: orNull(ap('all', 100, 0, k)),
      recall: orNull(ar('all', 100, k)),
    })),
  };
}

/** COCO's summary lines, as COCOeval.summarize prints them. */
export function cocoSummaryText(s: CocoStats): string {
  return STAT_NAMES.map((name, i) => {
    const title = name.startsWith('AP') ? 'Average Precision' : 'Average Recall';
    return ` ${title.padEnd(18)} (${name.slice(0, 2)}) ${name.slice(3)} = ${s.stats[i].toFixed(3)}`;
  }).join('\n');
}
