import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CIFAR10_RECORD, CIFAR10_TEST_FILE } from '../../../runtime/data/cifar10.js';
import { DataError, fitToInput } from '../../../runtime/data/dataset.js';
import { checkDataSource, loadSource } from '../../../runtime/data/sources.js';
import { pattern, tmpDir, writeImage } from './image-fixtures.js';

function idx(type: number, dims: number[], values: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(values))]);
}

/** An MNIST-style folder: n 3x3 images per split, labels as given. */
function idxDir(labels: number[], name = 'set'): string {
  const dir = path.join(tmpDir('cnnc-idx-'), name);
  fs.mkdirSync(dir);
  const n = labels.length;
  for (const p of ['train', 't10k']) {
    fs.writeFileSync(
      path.join(dir, `${p}-images-idx3-ubyte`),
      idx(
        8,
        [n, 3, 3],
        Array.from({ length: 9 * n }, (_, i) => (i * 29) % 256),
      ),
    );
    fs.writeFileSync(path.join(dir, `${p}-labels-idx1-ubyte`), idx(8, [n], labels));
  }
  return dir;
}

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('data sources by name', () => {
  it.each([
    ['mnist', null],
    ['mnist-json', null],
    ['idx:x', null],
    ['cifar10:x', null],
    ['folder:x', null],
    ['folder:', /needs a folder after `folder:`/],
    [
      'cifar',
      /unknown data source "cifar": expected mnist, mnist-json, idx:DIR, cifar10:DIR, folder:DIR/,
    ],
  ])('checks %s', (spec, problem) => {
    const r = checkDataSource(spec);
    if (problem === null) expect(r).toBeNull();
    else expect(r).toMatch(problem);
  });

  it('loads idx:, cifar10: and folder: sources relative to the working directory', async () => {
    const dir = idxDir([0, 1, 2]);
    const cwd = path.dirname(dir);
    const fromIdx = await loadSource('idx:set', cwd, ['test']);
    expect(fromIdx.test!.count).toBe(3);
    expect(fromIdx.train).toBeUndefined();

    fs.mkdirSync(path.join(cwd, 'cifar'));
    const rec = new Uint8Array(2 * CIFAR10_RECORD);
    rec[CIFAR10_RECORD] = 7;
    fs.writeFileSync(path.join(cwd, 'cifar', CIFAR10_TEST_FILE), rec);
    const fromCifar = await loadSource('cifar10:cifar', cwd, ['test']);
    expect([...fromCifar.test!.labels]).toEqual([0, 7]);

    await writeImage(path.join(cwd, 'pics', 'b', '1.png'), pattern(3, 3, 3));
    await writeImage(path.join(cwd, 'pics', 'a', '1.png'), pattern(9, 9, 1));
    const fromFolder = await loadSource('folder:pics', cwd, ['train', 'test'], {
      input: [4, 4, 1],
    });
    expect(fromFolder.train!.shape).toEqual([4, 4, 1]);
    expect(fromFolder.train!.classNames).toEqual(['a', 'b']);
  });

  it('rejects an unknown source', async () => {
    expect(await rejects(loadSource('imagenet', '/'))).toMatch(/unknown data source "imagenet"/);
  });
});

describe('bad IDX input names the file and the numbers', () => {
  it('a missing file', async () => {
    const dir = idxDir([0, 1]);
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    expect(await rejects(loadSource(`idx:${dir}`, '/'))).toBe(
      `${dir}: no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)`,
    );
  });

  it('a file instead of a folder', async () => {
    const dir = idxDir([0, 1]);
    const file = path.join(dir, 'train-images-idx3-ubyte');
    expect(await rejects(loadSource(`idx:${file}`, '/'))).toMatch(/: not a directory/);
  });

  it('a truncated images file', async () => {
    const dir = idxDir([0, 1]);
    const file = path.join(dir, 'train-images-idx3-ubyte');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 20));
    expect(await rejects(loadSource(`idx:${dir}`, '/'))).toBe(
      `${file}: truncated: dimensions 2x3x3 need 34 bytes, the file has 20`,
    );
  });

  it('labels out of range for a 10-class set (Fashion-MNIST)', async () => {
    const dir = idxDir([3, 12], 'fashion');
    expect(await rejects(loadSource(`idx:${dir}`, '/'))).toBe(
      `${path.join(dir, 'train-labels-idx1-ubyte')}: label 12 at index 1 is out of range: expected an integer in 0..9`,
    );
  });

  it('a label count that differs from the image count', async () => {
    const dir = idxDir([0, 1]);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(8, [3], [0, 1, 1]));
    expect(await rejects(loadSource(`idx:${dir}`, '/', ['test']))).toBe(
      `${path.join(dir, 't10k-labels-idx1-ubyte')} holds 3 labels but ${path.join(dir, 't10k-images-idx3-ubyte')} holds 2 images`,
    );
  });

  it('images with the wrong channels for the model, naming the folder', async () => {
    const dir = idxDir([0, 1]);
    const { test } = await loadSource(`idx:${dir}`, '/', ['test']);
    expect(() => fitToInput(test!, [32, 32, 3])).toThrow(
      `set test (${dir}) holds 3x3x1 images (1 channel) but the model input is 32x32x3 (3 channels)`,
    );
  });
});
