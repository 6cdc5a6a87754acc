/**
 * `cnnc predict FILE --weights DIR|FILE IMAGE…`: the top classes of each image with their probabilities.
 * Images are PNG/JPEG files (decoded with sharp as image folders are: runtime/data/image-decode.ts),
 * `.npy` arrays (one image or a stack) or IDX image files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, fitToInput, makeDataset, type Dataset } from '../../runtime/data/dataset.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { decodeImage, readImageFile } from '../../runtime/data/image-decode.js';
import { parseNpy } from '../../runtime/data/npy.js';
import { topK } from '../../runtime/train/metrics.js';
import { parseArgs, parsePositiveInt, UsageError } from './args.js';
import type { ExitCode, Io } from './io.js';
import { loadWeightsArg } from './load-weights.js';
import { openSession, runGuarded, SESSION_FLAGS } from './train-session.js';

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
  --model NAME    --backend B (wasm, cpu, tensorflow)
  --top K         classes to show per image (default 3)
  --json          print one JSON object`;

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
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new DataError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code})`);
    }
    const a = parseNpy(bytes, file);
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

export function runPredict(argv: readonly string[], io: Io): Promise<ExitCode> {
  return runGuarded(io, async () => {
    const args = parseArgs(argv, {
      ...SESSION_FLAGS,
      weights: { value: true },
      top: { value: true },
      json: { value: false },
    });
    const weights = args.flags.get('weights')?.[0];
    if (!weights) throw new UsageError('--weights DIR is required');
    const [file, ...imageFiles] = args.positional;
    if (!imageFiles.length) throw new UsageError('give one or more images after the .cnn file');
    const k = parsePositiveInt('top', args.flags.get('top')?.[0] ?? '3');
    const session = await openSession({ ...args, positional: [file] }, io, []);
    if (typeof session === 'number') return session;
    loadWeightsArg(session, weights, io);
    const results: {
      image: string;
      index: number;
      top: { class: number; probability: number }[];
    }[] = [];
    for (const f of imageFiles) {
      const p = path.resolve(io.cwd, f);
      const raw = IMAGE_FILE.test(p)
        ? await readPicture(p, session.engine.inputShape)
        : readImages(p);
      const input = session.engine.inputShape.map((d, i) => (d < 0 ? raw.shape[i] : d));
      const ds = fitToInput(raw, input);
      const { scores, classes } = await session.engine.predict({
        data: ds.images,
        shape: [ds.count, ...ds.shape],
      });
      for (let i = 0; i < ds.count; i++) {
        const best = topK(scores.subarray(i * classes, (i + 1) * classes), k);
        results.push({
          image: f,
          index: i,
          top: best.map((b) => ({ class: b.cls, probability: b.score })),
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
        io.out(
          `${label}: ${r.top.map((t) => `${t.class} (${(100 * t.probability).toFixed(1)}%)`).join(', ')}\n`,
        );
      }
    }
    session.engine.dispose();
    return 0;
  });
}
