/**
 * `cnnc predict DETECTOR.cnn --weights RUN IMAGE… [--out boxes.png]` on a model ending in a yolo
 * head: each image is letterboxed to the model input as in training, its boxes decoded, NMS'd with
 * the train block's settings (docs/detection.md) and mapped back to its own pixels; they are
 * printed as COCO result JSON (image_id is the image's position, from 1) and, with --out, drawn onto
 * the image (one image only). Files are read through safe-read and written through safe-write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { letterboxPixels } from '../../runtime/data/coco.js';
import { DataError } from '../../runtime/data/dataset.js';
import { decodeImage, readImageFile } from '../../runtime/data/image-decode.js';
import { letterbox, unmapBox } from '../../runtime/detection/boxes.js';
import { drawDetections } from '../../runtime/detection/draw.js';
import { nms } from '../../runtime/detection/nms.js';
import { detectorNms } from '../../runtime/detection/train.js';
import { decodeDetections, type YoloHead } from '../../runtime/detection/yolo.js';
import { prepareOutputFile, writeFileAtomic } from '../../runtime/safe-write.js';
import { checkpointDir, loadCheckpoint } from '../../runtime/train/checkpoint.js';
import { UsageError, type ParsedArgs } from './args.js';
import type { ExitCode, Io } from './io.js';
import type { Session } from './train-session.js';

/** One detection in COCO's result format. */
export interface CocoResult {
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: readonly [number, number, number, number];
  readonly score: number;
}

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|tiff?|avif)$/i;

/** Class names and COCO category ids from the checkpoint, else `class N` and N + 1. */
function classesOf(head: YoloHead, weights: string, cwd: string) {
  const fallback = {
    names: Array.from({ length: head.classes }, (_, i) => `class ${i}`),
    categoryIds: Array.from({ length: head.classes }, (_, i) => i + 1),
  };
  const abs = path.resolve(cwd, weights);
  const dir = [abs, path.join(abs, 'checkpoint')].find((d) =>
    fs.existsSync(path.join(d, 'cnnc.json')),
  );
  if (!dir) return fallback;
  const classes = loadCheckpoint(checkpointDir(dir)).meta.classes;
  return classes && classes.names.length === head.classes ? classes : fallback;
}

const round = (x: number) => Math.round(x * 100) / 100;

export async function predictDetections(
  session: Session,
  heads: readonly YoloHead[],
  imageFiles: readonly string[],
  weights: string,
  args: ParsedArgs,
  io: Io,
): Promise<ExitCode> {
  const out = args.flags.get('out')?.[0];
  if (out !== undefined && imageFiles.length !== 1)
    throw new UsageError('--out draws the boxes of one image: give exactly one image with it');
  const outFile = out === undefined ? null : path.resolve(io.cwd, out);
  if (outFile) {
    if (!/\.png$/i.test(outFile)) throw new UsageError('--out must name a .png file');
    prepareOutputFile(outFile, (m) => new DataError(m));
  }
  const { names, categoryIds } = classesOf(heads[0], weights, io.cwd);
  const threshold = args.flags.get('score-threshold')?.[0];
  const score = threshold === undefined ? undefined : Number(threshold);
  if (score !== undefined && !(threshold!.trim() !== '' && score >= 0 && score <= 1))
    throw new UsageError(
      `--score-threshold must be a number from 0 to 1; got ${JSON.stringify(threshold)}`,
    );
  const options = {
    ...detectorNms(session.settings),
    ...(score === undefined ? {} : { scoreThreshold: score }),
  };
  const [H, W, C] = session.engine.inputShape;
  const results: CocoResult[] = [];
  for (const [index, f] of imageFiles.entries()) {
    const file = path.resolve(io.cwd, f);
    if (!IMAGE_FILE.test(file))
      throw new UsageError(
        `${f}: a detector predicts on PNG, JPEG, WebP, GIF, TIFF or AVIF images`,
      );
    const bytes = readImageFile(file);
    const img = await decodeImage(bytes, f, { channels: C });
    const lb = letterbox(img.width, img.height, W, H);
    const x = letterboxPixels(img.data, img.width, img.height, C, lb, W, H);
    if (x.some((v) => !Number.isFinite(v)))
      throw new DataError(`${f}: decoded to non-finite pixels`);
    const grids = await session.engine.forwardAll({ data: x, shape: [1, H, W, C] });
    const decoded = decodeDetections(
      heads,
      grids.map((g) => g.data),
      0,
      options.scoreThreshold,
    );
    const dets = nms(decoded, options).map((d) => ({ ...d, box: unmapBox(d.box, lb) }));
    for (const d of dets)
      results.push({
        image_id: index + 1,
        category_id: categoryIds[d.label],
        bbox: [round(d.box[0]), round(d.box[1]), round(d.box[2]), round(d.box[3])],
        score: Math.round(d.score * 1e4) / 1e4,
      });
    if (outFile) {
      const png = await drawDetections(
        bytes,
        dets.map((d) => ({ box: d.box, label: names[d.label], score: d.score, cls: d.label })),
      );
      writeFileAtomic(outFile, png, (m) => new DataError(m));
      io.err(`cnnc: drew ${dets.length} box${dets.length === 1 ? '' : 'es'} on ${out}\n`);
    }
  }
  io.out(`${JSON.stringify(results, null, 2)}\n`);
  session.engine.dispose();
  return 0;
}
