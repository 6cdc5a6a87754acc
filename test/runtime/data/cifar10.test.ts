import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CIFAR10_CLASSES,
  CIFAR10_RECORD,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  loadCifar10,
  parseCifar10Batch,
} from '../../../runtime/data/cifar10.js';
import { DataError, rng } from '../../../runtime/data/dataset.js';

/** `count` random records; returns the bytes and the labels. */
function records(count: number, seed: number): { bytes: Uint8Array; labels: number[] } {
  const r = rng(seed);
  const bytes = new Uint8Array(count * CIFAR10_RECORD);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = Math.floor(r() * 10);
    labels.push(label);
    bytes[i * CIFAR10_RECORD] = label;
    for (let j = 1; j < CIFAR10_RECORD; j++) bytes[i * CIFAR10_RECORD + j] = Math.floor(r() * 256);
  }
  return { bytes, labels };
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-cifar-'));
}

/** Writes five training batches of `per` records and a test batch of 3. */
function writeSet(dir: string, per = 2): void {
  CIFAR10_TRAIN_FILES.forEach((f, i) =>
    fs.writeFileSync(path.join(dir, f), records(per, i + 1).bytes),
  );
  fs.writeFileSync(path.join(dir, CIFAR10_TEST_FILE), records(3, 99).bytes);
}

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
};

describe('CIFAR-10 binary batches', () => {
  it('turns CHW red, green, blue planes into HWC floats in [0, 1]', () => {
    const { bytes, labels } = records(2, 5);
    const b = parseCifar10Batch(bytes, 'b.bin');
    expect(b.count).toBe(2);
    expect([...b.labels]).toEqual(labels);
    for (const [rec, y, x, c] of [
      [0, 0, 0, 0],
      [0, 31, 31, 2],
      [1, 7, 20, 1],
      [1, 0, 5, 2],
    ]) {
      const byte = bytes[rec * CIFAR10_RECORD + 1 + c * 1024 + y * 32 + x];
      expect(b.images[rec * 3072 + (y * 32 + x) * 3 + c]).toBeCloseTo(byte / 255, 7);
    }
  });

  it('loads the five training batches in order and the test batch', () => {
    const dir = tmpDir();
    writeSet(dir);
    const { train, test } = loadCifar10(dir);
    expect(train!.count).toBe(10);
    expect(train!.shape).toEqual([32, 32, 3]);
    expect(train!.numClasses).toBe(10);
    expect(train!.classNames).toEqual(CIFAR10_CLASSES);
    const expected = CIFAR10_TRAIN_FILES.flatMap((_, i) => records(2, i + 1).labels);
    expect([...train!.labels]).toEqual(expected);
    expect([...test!.labels]).toEqual(records(3, 99).labels);
    expect(loadCifar10(dir, ['test']).train).toBeUndefined();
  });

  it('finds the batches in DIR/cifar-10-batches-bin and reads class names from batches.meta.txt', () => {
    const dir = tmpDir();
    const inner = path.join(dir, 'cifar-10-batches-bin');
    fs.mkdirSync(inner);
    writeSet(inner, 1);
    const names = CIFAR10_CLASSES.map((c) => c.toUpperCase());
    fs.writeFileSync(path.join(inner, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
    const { test } = loadCifar10(dir, ['test']);
    expect(test!.count).toBe(3);
    expect(test!.classNames).toEqual(names);
  });

  it.each([
    ['an empty file', () => new Uint8Array(0), /b\.bin: empty file/],
    [
      'a truncated record',
      () => records(2, 1).bytes.subarray(0, 2 * CIFAR10_RECORD - 100),
      /b\.bin: 6,046 bytes is not a whole number of 3,073-byte records .*: 1 record and 2,973 bytes over \(truncated/,
    ],
    [
      'CIFAR-100 records',
      () => new Uint8Array(3 * 3074),
      /9,222 bytes .* \(the size fits 3,074-byte CIFAR-100 records/,
    ],
    [
      'a label above 9',
      () => {
        const b = records(3, 1).bytes;
        b[2 * CIFAR10_RECORD] = 12;
        return b;
      },
      /b\.bin: label 12 of record 2 \(byte offset 6,146\) is out of range: expected 0\.\.9/,
    ],
  ])('rejects %s, naming the file and the numbers', (_, bytes, pattern) => {
    expect(message(() => parseCifar10Batch(bytes(), 'b.bin'))).toMatch(pattern);
  });

  it('names a missing batch file and the files it expects', () => {
    const dir = tmpDir();
    writeSet(dir);
    fs.rmSync(path.join(dir, 'data_batch_3.bin'));
    expect(message(() => loadCifar10(dir))).toBe(
      `${path.join(dir, 'data_batch_3.bin')}: no such file (the CIFAR-10 binary version has data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin and test_batch.bin)`,
    );
    expect(loadCifar10(dir, ['test']).test!.count).toBe(3);
    expect(message(() => loadCifar10(path.join(dir, 'nope')))).toMatch(/nope: no such directory/);
  });
});
