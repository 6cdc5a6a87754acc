/**
 * CIFAR-10's binary version (cifar-10-binary.tar.gz, extracted): data_batch_1.bin … data_batch_5.bin
 * (training) and test_batch.bin. Each record is 1 label byte (0–9) and 3,072 pixel bytes, the 32x32
 * red plane, then green, then blue (CHW); they become HWC floats in [0, 1]. batches.meta.txt, when
 * present, names the classes. Every problem is a DataError that names the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from '../safe-read.js';
import { DataError, makeDataset, type DataSplits, type Dataset } from './dataset.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const INV255 = 1 / 255;
export const CIFAR10_RECORD = 1 + 3 * PIXELS;
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';

export interface CifarBatch {
  readonly count: number;
  /** count·32·32·3 floats, HWC. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Parses one binary batch; `file` is used in error messages. */
export function parseCifar10Batch(bytes: Uint8Array, file: string): CifarBatch {
  if (bytes.length === 0) throw new DataError(`${file}: empty file, expected CIFAR-10 records`);
  if (bytes.length % CIFAR10_RECORD !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD);
    const hint =
      bytes.length % (CIFAR10_RECORD + 1) === 0
        ? ' (the size fits 3,074-byte CIFAR-100 records, which this loader does not read)'
        : ' (truncated, or not a CIFAR-10 binary batch)';
    throw new DataError(
      `${file}: ${n(bytes.length)} bytes is not a whole number of ${n(CIFAR10_RECORD)}-byte records ` +
        `(1 label byte + 32x32x3 pixels): ${n(whole)} record${whole === 1 ? '' : 's'} and ${n(bytes.length - whole * CIFAR10_RECORD)} bytes over${hint}`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD;
  const images = new Float32Array(count * 3 * PIXELS);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const o = r * CIFAR10_RECORD;
    const label = bytes[o];
    if (label > 9) {
      throw new DataError(
        `${file}: label ${label} of record ${r} (byte offset ${n(o)}) is out of range: expected 0..9`,
      );
    }
    labels[r] = label;
    const out = r * 3 * PIXELS;
    for (let c = 0; c < 3; c++) {
      const plane = o + 1 + c * PIXELS;
      for (let p = 0; p < PIXELS; p++) images[out + p * 3 + c] = bytes[plane + p] * INV255;
    }
  }
  return { count, images, labels };
}

function readFile(file: string): Uint8Array {
  if (!fs.existsSync(file))
    throw new DataError(
      `${file}: no such file (the CIFAR-10 binary version has ${CIFAR10_TRAIN_FILES.join(', ')} and ${CIFAR10_TEST_FILE})`,
    );
  return readRegularFile(file, {}, (m) => new DataError(m));
}

/** DIR itself, or DIR/cifar-10-batches-bin (the folder the tarball extracts to). */
function batchDir(dir: string): string {
  if (!fs.existsSync(dir)) throw new DataError(`${dir}: no such directory`);
  const inner = path.join(dir, 'cifar-10-batches-bin');
  const has = (d: string) =>
    [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].some((f) => fs.existsSync(path.join(d, f)));
  if (!has(dir) && fs.existsSync(inner)) return inner;
  return dir;
}

function classNames(dir: string): readonly string[] {
  const meta = path.join(dir, 'batches.meta.txt');
  if (!fs.existsSync(meta)) return CIFAR10_CLASSES;
  const names = readRegularFile(
    meta,
    { maxBytes: 2 ** 16, expected: 'ten class names' },
    (m) => new DataError(m),
  )
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length === 10 ? names : CIFAR10_CLASSES;
}

function loadFiles(name: string, dir: string, files: readonly string[]): Dataset {
  const parts = files.map((f) => parseCifar10Batch(readFile(path.join(dir, f)), path.join(dir, f)));
  const total = parts.reduce((s, p) => s + p.count, 0);
  const images = new Float32Array(total * 3 * PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3 * PIXELS);
    labels.set(p.labels, at);
    at += p.count;
  }
  const ds = makeDataset(name, images, labels, [SIDE, SIDE, 3], 10, classNames(dir));
  return { ...ds, source: dir };
}

/** `cifar10:DIR`: the five training batches and the test batch; `which` picks the splits. */
export function loadCifar10(
  dir: string,
  which: readonly ('train' | 'test')[] = ['train', 'test'],
): Partial<DataSplits> {
  const d = batchDir(dir);
  const out: { train?: Dataset; test?: Dataset } = {};
  if (which.includes('train')) out.train = loadFiles('CIFAR-10 train', d, CIFAR10_TRAIN_FILES);
  if (which.includes('test')) out.test = loadFiles('CIFAR-10 test', d, [CIFAR10_TEST_FILE]);
  return out;
}
