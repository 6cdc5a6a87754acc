/**
 * `cnnc predict FILE --weights DIR|FILE IMAGE…`: the top classes of each image with their probabilities.
 * Images are PNG/JPEG files (decoded with sharp as image folders are: runtime/data/image-decode.ts),
 * `.npy` arrays (one image or a stack) or IDX image files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError, fitToInput, makeDataset, type Dataset } from '../../runtime/data/dataset.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { decodeImage, readImageFile } from '../../runtime/data/image-decode.js';
import { readNpyFile } from '../../runtime/data/npy.js';
import { topK } from '../../runtime/train/metrics.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import type { ExitCode, Io } from './io.js';
import { checkBackendMemory } from '../report/backend-memory.js';
import { IMPORT_HELP_LINE, printDiagnostics } from './common.js';
import { loadWeightsArg } from './load-weights.js';
import { openSession, runGuarded, SESSION_FLAGS } from './train-session.js';
import { yoloHeadsOf } from '../ir/yolo-heads.js';
import { predictDetections } from './predict-detector.js';
import { namedOutputs } from '../sema/outputs.js';

export const PREDICT_HELP = `usage: cnnc predict FILE --weights DIR|FILE IMAGE... [options]

Prints the top classes of each image with their probabilities. An IMAGE is a PNG or JPEG file
(also WebP, GIF, TIFF), a .npy array ([H, W], [H, W, C], [N, H, W] or [N, H, W, C]; uint8 scaled
to [0, 1], floats as they are) or an IDX images file. Images are zero-padded around the centre
when smaller than the model input, else resized to it. PNG/JPEG channels are converted (grey is
repeated into RGB, colour becomes its luma for a 1-channel input, alpha is dropped); the
channels of arrays must match.

options:
  --weights DIR   the checkpoint, or a .safetensors file (cnnc's names) or TensorFlow.js
                  model.json (required)
  --model NAME    --backend B (wasm, cpu, tensorflow)    --threads N (default: every core)
  --top K         classes to show per image (default 3)
  --json          print one JSON object
  --out FILE.png  for a detector (a model ending in a yolo head): draw the boxes with their labels
                  and scores onto the image (one image); a detector always prints its boxes as
                  COCO result JSON (docs/detection.md)
  --score-threshold X   for a detector: keep boxes scoring at least X (0 to 1; default the train
                  block's score_threshold)
  ${IMPORT_HELP_LINE}`;

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|tiff?|avif)$/i;

/** A PNG/JPEG file as a one-image dataset fitted to the model input (symbolic sizes: its own). */
async function readPicture(file: string, input: readonly number[]): Promise<Dataset> {
  const [h, w, c] = input;
  if (input.length !== 3)
    throw new DataError(`${file}: the model input ${input.join('x')} is not an HxWxC image`);
  const img = await decodeImage(readImageFile(file), file, {
    channels: c,
    height: h > 0 ? h : undefined,
    width: w > 0 ? w : undefined,
  });
  return makeDataset(
    path.basename(file),
    img.data,
    new Int32Array(1),
    [img.height, img.width, img.channels],
    1,
  );
}

function readImages(file: string): Dataset {
  const name = path.basename(file);
  let images: Float32Array;
  let shape: [number, number, number];
  let count: number;
  if (/\.npy$/i.test(file)) {
    const a = readNpyFile(file);
    [images, shape, count] = [a.data, [...a.shape], a.count];
  } else {
    const a = readIdxFile(file);
    if (a.dims.length < 2 || a.dims.length > 4)
      throw new DataError(
        `${file}: expected an IDX image array, found dimensions ${a.dims.join('x')}`,
      );
    const d = a.dims.length === 2 ? [1, ...a.dims] : a.dims;
    [count, shape] = [d[0], [d[1], d[2], d[3] ?? 1]];
    images = Float32Array.from(a.data, (v) => (a.type === 'uint8' ? v / 255 : v));
  }
  return makeDataset(name, images, new Int32Array(count), shape, 1);
}

const NO_PREDICTION = 'no prediction: the input holds NaN or infinite values';

interface NonFinite {
  readonly index: number;
  readonly nan: number;
  readonly infinite: number;
  /** [y, x, c] of the first. */
  readonly first: readonly [number, number, number];
}

/** The samples holding NaN or ±Infinity, by index: a model's output for them is NaN. */
function nonFiniteSamples(ds: Dataset): Map<number, NonFinite> {
  const out = new Map<number, NonFinite>();
  const [h, w, c] = ds.shape;
  const per = h * w * c;
  for (let i = 0; i < ds.count; i++) {
    let nan = 0;
    let infinite = 0;
    let first = -1;
    for (let j = i * per; j < (i + 1) * per; j++) {
      const v = ds.images[j];
      if (Number.isFinite(v)) continue;
      if (Number.isNaN(v)) nan++;
      else infinite++;
      if (first < 0) first = j - i * per;
    }
    if (first >= 0) {
      const at = [Math.floor(first / (w * c)), Math.floor(first / c) % w, first % c] as const;
      out.set(i, { index: i, nan, infinite, first: at });
    }
  }
  return out;
}

function label(file: string, count: number, b: NonFinite): string {
  const what = [
    b.nan ? `${b.nan.toLocaleString('en-US')} NaN` : '',
    b.infinite ? `${b.infinite.toLocaleString('en-US')} infinite` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const image = count > 1 ? `${file}[${b.index}]` : file;
  return (
    `${image} holds ${what} value${b.nan + b.infinite === 1 ? '' : 's'} (the first at row ${b.first[0]}, column ${b.first[1]}, channel ${b.first[2]}): ` +
    `the model's output for it would be NaN, so no classes are given for it`
  );
}

export function runPredict(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, async () => {
    const args = parseArgs(argv, {
      ...SESSION_FLAGS,
      weights: { value: true },
      top: { value: true },
      json: { value: false },
      out: { value: true },
      'score-threshold': { value: true },
    });
    const weights = args.flags.get('weights')?.[0];
    if (!weights) throw new UsageError('--weights DIR is required');
    const [file, ...imageFiles] = args.positional;
    if (!imageFiles.length) throw new UsageError('give one or more images after the .cnn file');
    const k = parsePositiveInt('top', args.flags.get('top')?.[0] ?? '3');
    const session = await openSession({ ...args, positional: [file] }, io, [], undefined, () => ({
      batch: 1,
      training: false,
    }));
    if (typeof session === 'number') return session;
    const sources = new Map([[session.graph.file, session.source]]);
    loadWeightsArg(session, weights, io);
    // A detector (a model ending in a yolo head): boxes as COCO results, drawn with --out.
    const heads = yoloHeadsOf(session.graph);
    if (heads) return predictDetections(session, heads, imageFiles, weights, args, io);
    if (args.flags.has('out'))
      throw new UsageError('--out draws boxes: it is for a model ending in a yolo head');
    const results: {
      image: string;
      index: number;
      top: { class: number; probability: number }[];
      /** With several outputs: each output's top classes, by output name. */
      outputs?: Record<string, { class: number; probability: number }[]>;
      /** Why there is no prediction (the input holds NaN or infinite values). */
      error?: string;
    }[] = [];
    for (const f of imageFiles) {
      const p = path.resolve(io.cwd, f);
      const raw = IMAGE_FILE.test(p)
        ? await readPicture(p, session.engine.inputShape)
        : readImages(p);
      if (raw.count === 0)
        throw new DataError(`${f}: holds no images (shape ${[0, ...raw.shape].join('x')})`);
      const input = session.engine.inputShape.map((d, i) => (d < 0 ? raw.shape[i] : d));
      const ds = fitToInput(raw, input);
      const need = { batch: ds.count, training: false };
      const memory = checkBackendMemory(session.graph, session.backend.name, need, os.totalmem());
      if (memory) {
        printDiagnostics(io, [memory], sources);
        return 1;
      }
      const bad = nonFiniteSamples(ds);
      for (const b of bad.values()) io.err(`cnnc: warning: ${label(f, ds.count, b)}\n`);
      const { scores, classes, outputs } = await session.engine.predict({
        data: ds.images,
        shape: [ds.count, ...ds.shape],
      });
      const names = namedOutputs(session.graph).map((o) => o.name);
      const tops = (i: number) =>
        outputs &&
        Object.fromEntries(
          outputs.map((o, j) => [
            names[j],
            topK(o.scores.subarray(i * o.classes, (i + 1) * o.classes), k).map((b) => ({
              class: b.cls,
              probability: b.score,
            })),
          ]),
        );
      for (let i = 0; i < ds.count; i++) {
        if (bad.has(i)) {
          results.push({ image: f, index: i, top: [], error: NO_PREDICTION });
          continue;
        }
        const best = topK(scores.subarray(i * classes, (i + 1) * classes), k);
        const each = tops(i);
        results.push({
          image: f,
          index: i,
          top: best.map((b) => ({ class: b.cls, probability: b.score })),
          ...(each ? { outputs: each } : {}),
        });
      }
    }
    if (args.flags.has('json')) {
      io.out(`${JSON.stringify({ model: session.graph.model, predictions: results }, null, 2)}\n`);
    } else {
      for (const r of results) {
        const label =
          results.filter((x) => x.image === r.image).length > 1
            ? `${r.image}[${r.index}]`
            : r.image;
        const text = (top: readonly { class: number; probability: number }[]) =>
          top.map((t) => `${t.class} (${(100 * t.probability).toFixed(1)}%)`).join(', ');
        const each = r.outputs
          ? Object.entries(r.outputs).map(([name, top]) => `${name}: ${text(top)}`)
          : undefined;
        io.out(`${label}: ${r.error ?? (each ? each.join(' · ') : text(r.top))}\n`);
      }
    }
    session.engine.dispose();
    return 0;
  });
}
