import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  batches,
  DataError,
  fitToInput,
  makeDataset,
  splitValidation,
} from '../../../runtime/data/dataset.js';
import { loadIdxPair, parseIdx } from '../../../runtime/data/idx.js';
import { loadIdxDir } from '../../../runtime/data/mnist.js';
import { parseNpy } from '../../../runtime/data/npy.js';

function idx(type: number, dims: number[], values: number[]): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([head, Buffer.from(values)]));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-data-'));
}

const IMAGES = idx(0x08, [2, 2, 2], [0, 255, 51, 102, 255, 0, 0, 0]);
const LABELS = idx(0x08, [2], [3, 1]);

describe('IDX files', () => {
  it('reads uint8 images and labels, scaled to [0, 1]', () => {
    const a = parseIdx(IMAGES, 'x');
    expect(a.dims).toEqual([2, 2, 2]);
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'i'), IMAGES);
    fs.writeFileSync(path.join(dir, 'l.gz'), zlib.gzipSync(LABELS));
    const ds = loadIdxPair('t', path.join(dir, 'i'), path.join(dir, 'l.gz'), 10);
    expect(ds.shape).toEqual([2, 2, 1]);
    expect([...ds.labels]).toEqual([3, 1]);
    expect(ds.images[1]).toBe(1);
    expect(ds.images[2]).toBeCloseTo(0.2, 6);
  });

  it('reads an MNIST-style directory with .gz files', () => {
    const dir = tmpDir();
    for (const p of ['train', 't10k']) {
      fs.writeFileSync(path.join(dir, `${p}-images-idx3-ubyte.gz`), zlib.gzipSync(IMAGES));
      fs.writeFileSync(path.join(dir, `${p}-labels-idx1-ubyte.gz`), zlib.gzipSync(LABELS));
    }
    const { train, test } = loadIdxDir(dir);
    expect(train?.count).toBe(2);
    expect(test?.numClasses).toBe(4);
  });

  it.each([
    [
      'a wrong magic',
      new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0]),
      /not an IDX file: magic 01 02 03 04/,
    ],
    ['a truncated header', IMAGES.subarray(0, 9), /truncated: the header needs 16 bytes/],
    [
      'truncated data',
      IMAGES.subarray(0, 20),
      /truncated: dimensions 2x2x2 need 24 bytes, the file has 20/,
    ],
    ['corrupt gzip', new Uint8Array([0x1f, 0x8b, 1, 2, 3]), /corrupt gzip/],
  ])('rejects %s', (_, bytes, message) => {
    expect(() => parseIdx(bytes, 'f')).toThrow(message);
  });

  it('rejects a label count that differs from the image count', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'i'), IMAGES);
    fs.writeFileSync(path.join(dir, 'l'), idx(0x08, [3], [1, 2, 3]));
    expect(() => loadIdxPair('t', path.join(dir, 'i'), path.join(dir, 'l'))).toThrow(
      /holds 3 labels but .* holds 2 images/,
    );
  });

  it('rejects labels out of range and missing files', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'i'), IMAGES);
    fs.writeFileSync(path.join(dir, 'l'), idx(0x08, [2], [3, 12]));
    expect(() => loadIdxPair('t', path.join(dir, 'i'), path.join(dir, 'l'), 10)).toThrow(
      /label 12 at index 1 is out of range: expected an integer in 0..9/,
    );
    expect(() => loadIdxPair('t', path.join(dir, 'nope'), path.join(dir, 'l'))).toThrow(DataError);
    expect(() => loadIdxDir(path.join(dir, 'missing'))).toThrow(/no such directory/);
  });
});

describe('datasets', () => {
  const ds = makeDataset(
    'd',
    Float32Array.from({ length: 10 * 4 }, (_, i) => i),
    Int32Array.from({ length: 10 }, (_, i) => i % 3),
    [2, 2, 1],
    3,
  );

  it('pads a smaller image around the centre', () => {
    const padded = fitToInput(ds, [4, 4, 1]);
    expect(padded.shape).toEqual([4, 4, 1]);
    expect([...padded.images.subarray(0, 16)]).toEqual([
      0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0,
    ]);
  });

  it('resizes a larger image', () => {
    expect(fitToInput(ds, [1, 1, 1]).images[0]).toBeCloseTo(1.5, 6);
  });

  it('names both shapes when the channels differ', () => {
    expect(() => fitToInput(ds, [32, 32, 3])).toThrow(
      'd holds 2x2x1 images (1 channel) but the model input is 32x32x3 (3 channels)',
    );
  });

  it('splits off a seeded validation set and batches every sample once', () => {
    const a = splitValidation(ds, 0.2, 7);
    const b = splitValidation(ds, 0.2, 7);
    expect(a.train.count).toBe(8);
    expect(a.validation?.count).toBe(2);
    expect([...a.validation!.images]).toEqual([...b.validation!.images]);
    const sizes = [...batches(ds, 4)].map((x) => x.n);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('rejects out-of-range labels', () => {
    expect(() => makeDataset('d', new Float32Array(4), Int32Array.of(5), [2, 2, 1], 3)).toThrow(
      /label 5 of sample 0 is out of range/,
    );
  });
});

describe('.npy images', () => {
  function npy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(header.length, 8);
    return new Uint8Array(Buffer.concat([head, Buffer.from(header), Buffer.from(body)]));
  }

  it('reads uint8 and float32 arrays', () => {
    const a = parseNpy(npy('|u1', [2, 2], new Uint8Array([0, 255, 0, 255])), 'a');
    expect(a.shape).toEqual([2, 2, 1]);
    expect([...a.data]).toEqual([0, 1, 0, 1]);
    const values = Float32Array.from({ length: 75 }, (_, i) => i / 75);
    const f = parseNpy(npy('<f4', [3, 5, 5], new Uint8Array(values.buffer)), 'f');
    expect(f.count).toBe(3);
    expect(f.shape).toEqual([5, 5, 1]);
    expect(f.data[30]).toBeCloseTo(0.4, 6);
  });

  it('rejects other files', () => {
    expect(() => parseNpy(new Uint8Array(20), 'x')).toThrow(/not a .npy file/);
  });
});
