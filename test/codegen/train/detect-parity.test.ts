/**
 * The emitted cnnc_detect.py against cnnc's TypeScript, case by case (detect-rules.py runs the
 * Python side in one process): the yolo loss and its gradients (anchor and v1 heads, one head or
 * several as a multi-scale detector has, several and empty images, crowded cells), COCO's numbers on hand-made detections (crowds, duplicates, ties,
 * areas, maxDets), decoding and NMS of random grids (every head's boxes together), box-aware augmentation draw for draw, and the
 * COCO reader's letterbox. A detector trained by train.py so sees what cnnc would, and is scored
 * the same.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_AUGMENT, type AugmentConfig } from '../../../compiler/train/augment.js';
import { augmentDetection } from '../../../runtime/data/box-augment.js';
import { loadCocoSplit, type BoxLabel } from '../../../runtime/data/coco.js';
import { rng } from '../../../runtime/data/dataset.js';
import type { Xywh } from '../../../runtime/detection/boxes.js';
import {
  cocoEvaluate,
  cocoSummaryText,
  type GroundTruth,
  type ScoredBox,
} from '../../../runtime/detection/coco-eval.js';
import { nms, type Detection } from '../../../runtime/detection/nms.js';
import {
  channelsOf,
  decodeDetections,
  detectionLoss,
  yoloLoss,
  type TruthBox,
  type YoloHead,
} from '../../../runtime/detection/yolo.js';
import { nodeHost } from '../../../compiler/cli/host.js';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { REPO } from '../../helpers/memory-host.js';
import { canTrain, emitPytorch, PYTHON, SKIP_REASON, tempDir } from './train-helpers.js';

const work = tempDir('detect-rules');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Case = { readonly kind: string } & Record<string, unknown>;
/** A detection as cnnc_detect.py gives it: (box, score, class). */
type PyDetection = [number[], number, number];

function python(project: string, cases: readonly Case[]): { ok?: unknown; error?: string }[] {
  const spec = path.join(work, `cases-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(spec, JSON.stringify(cases));
  const r = spawnSync(
    PYTHON,
    [path.join(REPO, 'test/codegen/train/detect-rules.py'), project, spec],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
    },
  );
  if (r.status !== 0) throw new Error(`detect-rules.py failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { ok?: unknown; error?: string }[];
}

const ANCHOR_HEAD: YoloHead = {
  grid: [3, 4],
  classes: 3,
  boxes: 3,
  anchors: [
    [10, 12],
    [20, 18],
    [36, 30],
  ],
  image: [48, 64],
};
const V1_HEAD: YoloHead = { grid: [4, 3], classes: 2, boxes: 2, anchors: [], image: [64, 48] };
/** A coarser v1 head on V1_HEAD's image: a multi-scale v1 detector with it. */
const V1_COARSE: YoloHead = { grid: [2, 2], classes: 2, boxes: 1, anchors: [], image: [64, 48] };

/** The heads of examples/detection/shapes-multiscale.cnn in output order: `main` (6x6), `small` (12x12). */
let multiScale: YoloHead[] | undefined;
function multiScaleHeads(): YoloHead[] {
  if (multiScale) return multiScale;
  const file = path.join(REPO, 'examples/detection/shapes-multiscale.cnn');
  const heads = yoloHeadsOf(compileFile(file, nodeHost(REPO)).models[0].graph);
  expect(heads?.map((h) => h.grid)).toEqual([
    [6, 6],
    [12, 12],
  ]);
  multiScale = heads!;
  return multiScale;
}

/** Detectors, each a list of heads (one per output), with the range of their seeded raw grids. */
const DETECTORS = [
  { name: 'anchor head', heads: () => [ANCHOR_HEAD], low: -2.5, high: 2.5 },
  { name: 'v1 head', heads: () => [V1_HEAD], low: -0.2, high: 1.2 },
  { name: 'shapes-multiscale.cnn', heads: multiScaleHeads, low: -2.5, high: 2.5 },
  { name: 'two v1 heads', heads: () => [V1_HEAD, V1_COARSE], low: -0.2, high: 1.2 },
];

/** Seeded raw grids of n images, uniform in [low, high). */
function grids(h: YoloHead, n: number, seed: number, low: number, high: number): Float32Array {
  const r = rng(seed);
  const size = n * h.grid[0] * h.grid[1] * channelsOf(h);
  return Float32Array.from({ length: size }, () => low + (high - low) * r());
}

/**
 * Truths per image: image 0 empty; image 1 crowds one cell with more truths than it has slots;
 * image 2 has a box of no width (skipped); the rest 1–4 seeded boxes.
 */
function truthsOf(h: YoloHead, n: number, seed: number): TruthBox[][] {
  const r = rng(seed);
  const [H, W] = h.image;
  const cellW = W / h.grid[1];
  const cellH = H / h.grid[0];
  return Array.from({ length: n }, (_, i): TruthBox[] => {
    if (i === 0) return [];
    if (i === 1)
      return Array.from({ length: h.boxes + 1 }, (_, k) => ({
        box: [cellW * 1.2 - k, cellH * 0.2 + k, cellW * (0.5 + 0.4 * k), cellH * (1.2 - 0.3 * k)],
        label: k % h.classes,
      }));
    const count = i === 2 ? 2 : 1 + Math.floor(r() * 4);
    return Array.from({ length: count }, (_, k): TruthBox => {
      const w = i === 2 && k === 0 ? 0 : W * (0.1 + 0.6 * r());
      const hh = H * (0.1 + 0.6 * r());
      return { box: [r() * (W - w), r() * (H - hh), w, hh], label: Math.floor(r() * h.classes) };
    });
  });
}

const asLists = (truths: readonly (readonly TruthBox[])[]) =>
  truths.map((list) => list.map((t) => [...t.box, t.label]));

/** How many box slots of a head own a truth: their box outputs have a gradient (others have none). */
function ownedSlots(h: YoloHead, grad: ArrayLike<number>): number {
  const per = h.anchors.length ? 5 + h.classes : 5;
  const cells = grad.length / channelsOf(h);
  let owned = 0;
  for (let cell = 0; cell < cells; cell++)
    for (let k = 0; k < h.boxes; k++) {
      const o = cell * channelsOf(h) + k * per;
      if ([0, 1, 2, 3].some((q) => grad[o + q] !== 0)) owned++;
    }
  return owned;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const settingsOf = (c: AugmentConfig) => ({
  flip:
    c.flipHorizontal && c.flipVertical
      ? 'both'
      : c.flipHorizontal
        ? 'horizontal'
        : c.flipVertical
          ? 'vertical'
          : 'none',
  rotation: c.rotation,
  zoom_min: c.zoom[0],
  zoom_max: c.zoom[1],
  translate: c.translate,
  brightness: c.brightness,
  contrast: c.contrast,
  channel_shift: c.channelShift,
  fill: c.fill,
});

/** Hand-made COCO cases: what each exercises is in its name. */
function cocoCases(): { name: string; gts: GroundTruth[]; dts: ScoredBox[]; cats?: number[] }[] {
  const g = (imageId: number, bbox: Xywh, categoryId = 1, iscrowd = false, area?: number) => ({
    imageId,
    categoryId,
    bbox,
    iscrowd,
    ...(area === undefined ? {} : { area }),
  });
  const d = (imageId: number, bbox: Xywh, score: number, categoryId = 1) => ({
    imageId,
    categoryId,
    bbox,
    score,
  });
  const r = rng(5);
  const jitter = (b: Xywh, k: number): Xywh => [
    b[0] + (r() - 0.5) * k,
    b[1] + (r() - 0.5) * k,
    b[2] * (1 + (r() - 0.5) * 0.3),
    b[3] * (1 + (r() - 0.5) * 0.3),
  ];
  const manyGts: GroundTruth[] = [];
  const manyDts: ScoredBox[] = [];
  for (let i = 1; i <= 12; i++) {
    for (let k = 0; k < 1 + (i % 4); k++) {
      const side = [18, 50, 120][(i + k) % 3];
      const box: Xywh = [r() * 200, r() * 200, side * (0.8 + r() * 0.4), side];
      const cat = 1 + ((i * k) % 3);
      manyGts.push(g(i, box, cat, i % 5 === 0 && k === 0));
      for (let j = 0; j < 3; j++)
        manyDts.push(d(i, jitter(box, 10 + 10 * j), Math.round(r() * 10) / 10, cat));
    }
    // Background clutter: more than 100 detections in image 3 (maxDets cuts them).
    const clutter = i === 3 ? 110 : 4;
    for (let j = 0; j < clutter; j++)
      manyDts.push(
        d(i, [r() * 250, r() * 250, 5 + r() * 80, 5 + r() * 80], r() * 0.5, 1 + (j % 3)),
      );
  }
  return [
    {
      name: 'duplicates, a crowd, a tie and an unmatched class',
      gts: [
        g(1, [10, 10, 40, 40]),
        g(1, [100, 100, 30, 30], 1, true),
        g(2, [0, 0, 20, 20], 2),
        g(2, [50, 50, 60, 60], 1, false, 2000),
      ],
      dts: [
        d(1, [12, 11, 40, 38], 0.9),
        d(1, [10, 10, 40, 40], 0.9),
        d(1, [105, 105, 10, 10], 0.8),
        d(1, [110, 102, 12, 12], 0.7),
        d(2, [1, 1, 19, 20], 0.6, 2),
        d(2, [52, 48, 58, 61], 0.95),
        d(3, [0, 0, 10, 10], 0.5, 3),
      ],
      cats: [1, 2, 3],
    },
    { name: 'many images, areas, score ties and over 100 detections', gts: manyGts, dts: manyDts },
    { name: 'no detections', gts: manyGts.slice(0, 6), dts: [] },
  ];
}

async function writeCocoSet(dir: string): Promise<void> {
  const sizes = [
    [40, 30],
    [20, 50],
    [64, 64],
  ];
  const r = rng(9);
  fs.mkdirSync(path.join(dir, 'train'), { recursive: true });
  const images = [];
  for (let i = 0; i < sizes.length; i++) {
    const [w, h] = sizes[i];
    const pixels = Buffer.from(Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
    const file = `im${i}.png`;
    await sharp(pixels, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(path.join(dir, i === 1 ? 'train' : '', file));
    images.push({ id: 10 + i, file_name: file, width: w, height: h });
  }
  const annotations = [
    { image_id: 10, category_id: 7, bbox: [2, 3, 20, 10] },
    { image_id: 10, category_id: 3, bbox: [10, 5, 25.5, 20], iscrowd: 1, area: 300 },
    { image_id: 11, category_id: 3, bbox: [1, 1, 10, 40] },
    { image_id: 12, category_id: 7, bbox: [30, 30, 34, 34], area: 1000 },
  ];
  const categories = [
    { id: 7, name: 'seven' },
    { id: 3, name: 'three' },
  ];
  fs.writeFileSync(
    path.join(dir, 'instances_train.json'),
    JSON.stringify({ images, annotations, categories }),
  );
}

describe.runIf(canTrain)('cnnc_detect.py computes what cnnc computes', () => {
  const project = path.join(work, 'project');
  beforeAll(async () => {
    const r = await emitPytorch('examples/detection/shapes-detector.cnn', project);
    expect(r.code).toBe(0);
  });

  it('gives the loss and gradients of detectionLoss (anchor and v1 heads, one or several)', () => {
    const n = 6;
    const weights = { lambdaCoord: 5, lambdaNoobj: 0.5 };
    const cases = DETECTORS.map(({ name, heads, low, high }, k) => {
      const hs = heads();
      return {
        name,
        heads: hs,
        outs: hs.map((h, j) => grids(h, n, 31 + k + 10 * j, low, high)),
        truths: truthsOf(hs[0], n, 71 + k),
      };
    });
    const got = python(
      project,
      cases.map((c) => ({
        kind: 'loss',
        heads: c.heads,
        outs: c.outs.map((o) => Array.from(o)),
        n,
        truths: asLists(c.truths),
        lambda_coord: 5,
        lambda_noobj: 0.5,
      })),
    );
    cases.forEach((c, k) => {
      const want = detectionLoss(c.heads, c.outs, n, c.truths, weights);
      const py = got[k].ok as { loss: number; grads: number[][]; parts: Record<string, number> };
      const name = c.name;
      expect(Math.abs(py.loss - want.loss) / want.loss, name).toBeLessThanOrEqual(1e-9);
      for (const part of ['coord', 'obj', 'noobj', 'cls'] as const)
        expect(py.parts[part], `${name} ${part}`).toBeCloseTo(want.parts[part], 9);
      expect(py.grads, name).toHaveLength(c.heads.length);
      want.grads.forEach((grad, j) =>
        expect(maxDiff(py.grads[j], grad) / maxAbs(grad), `${name} head ${j}`).toBeLessThanOrEqual(
          1e-5,
        ),
      );
      // The cases reach every part of the loss.
      expect(
        Object.values(want.parts).every((v) => v > 0),
        name,
      ).toBe(true);
      if (c.heads.length === 1) return;
      // Truths land in every head, and each goes to one head only: giving every head all the
      // truths (the sum of the heads' yoloLoss) is a different loss.
      c.heads.forEach((h, j) =>
        expect(ownedSlots(h, want.grads[j]), `${name} head ${j}`).toBeGreaterThan(2),
      );
      const apart = c.heads.reduce(
        (sum, h, j) => sum + yoloLoss(h, c.outs[j], n, c.truths, weights).loss,
        0,
      );
      expect(Math.abs(apart - want.loss) / want.loss, name).toBeGreaterThan(1e-3);
    });
  });

  it("gives COCO's numbers of cocoEvaluate, to the last bit", () => {
    const cases = cocoCases();
    const snake = (x: GroundTruth | ScoredBox) => ({
      image_id: x.imageId,
      category_id: x.categoryId,
      bbox: x.bbox,
      ...('score' in x ? { score: x.score } : { iscrowd: x.iscrowd, area: x.area ?? null }),
    });
    const got = python(
      project,
      cases.map((c) => ({
        kind: 'coco',
        gts: c.gts.map(snake),
        dts: c.dts.map(snake),
        category_ids: c.cats ?? null,
      })),
    );
    cases.forEach((c, k) => {
      const want = cocoEvaluate(c.gts, c.dts, c.cats ? { categoryIds: c.cats } : {});
      const py = got[k].ok as {
        result: { stats: number[]; per_class: Record<string, number | null>[] };
        text: string;
      };
      expect(py.result.stats, c.name).toEqual(want.stats);
      expect(py.result.per_class, c.name).toEqual(
        want.perClass.map((p) => ({
          category_id: p.categoryId,
          ap: p.ap,
          ap50: p.ap50,
          recall: p.recall,
        })),
      );
      expect(py.text, c.name).toBe(cocoSummaryText(want));
    });
    // The cases are not degenerate: some numbers lie strictly between 0 and 1.
    const first = cocoEvaluate(cases[1].gts, cases[1].dts);
    expect(first.map).toBeGreaterThan(0.05);
    expect(first.map).toBeLessThan(0.95);
  });

  it('decodes random grids and suppresses their boxes as decodeDetections and nms do', () => {
    const cases = DETECTORS.flatMap(({ name, heads, low, high }) =>
      [0, 1, 2].map((seed) => ({
        name: `${name} ${seed}`,
        heads: heads(),
        grids: heads().map((h, j) => grids(h, 1, 500 + seed + 10 * j, low, high)),
        threshold: [0.01, 0.1, 0.3][seed],
        iou: [0.5, 0.3, 0.7][seed],
        max: [100, 5, 100][seed],
      })),
    );
    const got = python(
      project,
      cases.map((c) => ({ kind: 'decode', ...c, grids: c.grids.map((g) => Array.from(g)) })),
    );
    let suppressed = 0;
    cases.forEach((c, k) => {
      const decoded = decodeDetections(c.heads, c.grids, 0, c.threshold);
      const kept = nms(decoded, {
        iouThreshold: c.iou,
        scoreThreshold: c.threshold,
        maxDetections: c.max,
      });
      const py = got[k].ok as { decoded: PyDetection[]; kept: PyDetection[] };
      const same = (a: PyDetection[], b: Detection[]) => {
        expect(a.length, c.name).toBe(b.length);
        a.forEach(([box, score, label], i) => {
          expect(label, c.name).toBe(b[i].label);
          expect(Math.abs(score - b[i].score), c.name).toBeLessThanOrEqual(1e-12);
          expect(maxDiff(box, b[i].box), c.name).toBeLessThanOrEqual(1e-9);
        });
      };
      same(py.decoded, decoded);
      same(py.kept, kept);
      // Several heads: the boxes of every head, not the first one's only.
      const first = decodeDetections(c.heads.slice(0, 1), c.grids.slice(0, 1), 0, c.threshold);
      if (c.heads.length > 1) expect(decoded.length, c.name).toBeGreaterThan(first.length);
      expect(kept.length, c.name).toBeGreaterThan(0);
      suppressed += decoded.length - kept.length;
    });
    // NMS dropped boxes (by overlap or by max_detections), so the order of its choices counted.
    expect(suppressed).toBeGreaterThan(10);
  });

  it('augments images and their boxes as augmentDetection does, draw for draw', () => {
    const shape = [12, 16, 3] as const;
    const r = rng(3);
    const n = 5;
    const images = Array.from({ length: n }, () =>
      Float32Array.from({ length: 12 * 16 * 3 }, () => r()),
    );
    const boxes: BoxLabel[][] = Array.from({ length: n }, () =>
      Array.from({ length: 3 }, (_, k) => ({
        box: [r() * 10, r() * 8, 1 + r() * 8, 1 + r() * 6] as Xywh,
        label: k,
      })),
    );
    const configs: { name: string; config: AugmentConfig }[] = [
      {
        name: 'flips, zoom, translation and colour',
        config: {
          ...NO_AUGMENT,
          flipHorizontal: true,
          flipVertical: true,
          zoom: [0.7, 1.3],
          translate: 0.2,
          brightness: 0.2,
          contrast: 0.3,
        },
      },
      {
        name: 'the example: flip horizontal, translate, zoom',
        config: { ...NO_AUGMENT, flipHorizontal: true, zoom: [0.85, 1.15], translate: 0.1 },
      },
      { name: 'colour only', config: { ...NO_AUGMENT, brightness: 0.3 } },
      { name: 'rotation only (no effect on detectors)', config: { ...NO_AUGMENT, rotation: 10 } },
    ];
    const got = python(
      project,
      configs.map((c, k) => ({
        kind: 'augment',
        settings: settingsOf(c.config),
        seed: 40 + k,
        shape,
        images: images.map((x) => Array.from(x)),
        boxes: boxes.map((list) => list.map((b) => [...b.box, b.label])),
      })),
    );
    configs.forEach((c, k) => {
      const random = rng(40 + k);
      const py = got[k].ok as { images: { image: number[]; boxes: number[][] }[] };
      let moved = 0;
      images.forEach((img, i) => {
        const x = Float32Array.from(img);
        const out = augmentDetection(x, shape, boxes[i], c.config, random);
        expect(maxDiff(py.images[i].image, x), c.name).toBeLessThanOrEqual(1e-6);
        expect(py.images[i].boxes.length, c.name).toBe(out.length);
        py.images[i].boxes.forEach((b, j) => {
          expect(b[4], c.name).toBe(out[j].label);
          expect(maxDiff(b.slice(0, 4), out[j].box), c.name).toBeLessThanOrEqual(1e-9);
        });
        moved += maxDiff(x, img);
      });
      if (k < 3) expect(moved, c.name).toBeGreaterThan(0.01);
    });
  });

  it('reads COCO data as loadCocoSplit does: letterbox, boxes, crowds, classes', async () => {
    const dir = path.join(work, 'coco');
    await writeCocoSet(dir);
    const input = [32, 24, 3];
    const [py] = python(project, [{ kind: 'load', dir, split: 'train', input }]);
    const want = await loadCocoSplit(dir, 'train', input);
    const got = py.ok as {
      images: number[];
      boxes: number[][][];
      truth: { bbox: number[]; category_id: number; area: number; iscrowd: boolean }[][];
      imageIds: number[];
      letterboxes: number[][];
      classNames: string[];
      categoryIds: number[];
    };
    expect(maxDiff(got.images, want.images)).toBeLessThanOrEqual(1e-6);
    expect(got.imageIds).toEqual(want.imageIds);
    expect(got.classNames).toEqual(want.classNames);
    expect(got.categoryIds).toEqual(want.categoryIds);
    expect(got.letterboxes).toEqual(
      want.letterboxes.map((l) => [l.scale, l.left, l.top, l.width, l.height]),
    );
    expect(got.boxes).toEqual(want.boxes.map((list) => list.map((b) => [...b.box, b.label])));
    expect(got.truth).toEqual(
      want.truth.map((list) =>
        list.map((t) => ({
          bbox: t.bbox,
          category_id: t.categoryId,
          area: t.area,
          iscrowd: t.iscrowd,
        })),
      ),
    );
    // The crowd box is evaluation's only; images were letterboxed, not stretched.
    expect(want.boxes[0]).toHaveLength(1);
    expect(want.letterboxes.some((l) => l.left > 0 || l.top > 0)).toBe(true);
  });
});

describe.skipIf(canTrain)('cnnc_detect.py', () => {
  it.skip(SKIP_REASON, () => {});
});
