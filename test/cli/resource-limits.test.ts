/**
 * Commands refuse what no backend can hold before allocating anything (CNN4012), and warn about
 * inputs that cannot give an answer: an empty array, NaN pixels, a dataset of one class.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../compiler/cli/host.js';
import { compileFile } from '../../compiler/program.js';
import { irHash, saveCheckpoint, sha256 } from '../../runtime/train/checkpoint.js';
import { encodeNpy } from '../../runtime/weights/npy.js';
import { runCnnc as cnnc } from '../helpers/cli.js';
import { pattern, tmpDir, writeImage } from '../runtime/data/image-fixtures.js';

/** The codes of the errors in a command's output (warnings such as CNN4013 may come with them). */
const codes = (text: string) => [...text.matchAll(/error\[(CNN\d{4})\]/g)].map((m) => m[1]);

/** Writes `name.cnn` holding `text` into `dir`; returns its path. */
function model(dir: string, name: string, text: string): string {
  const file = path.join(dir, `${name}.cnn`);
  fs.writeFileSync(file, text);
  return file;
}

describe('memory a backend cannot hold (CNN4012)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('cnnc-memory-');
  });

  it.each([
    ['a 1000000x1000000x1 input', '1000000x1000000x1', 'wasm'],
    ['a 1000000x1000000x1 input on the reference backend', '1000000x1000000x1', 'reference'],
    ['a 20000x20000x1 input on wasm', '20000x20000x1', 'wasm'],
  ])('cnnc train refuses %s before allocating', async (_what, input, backend) => {
    const file = model(
      dir,
      `big${backend}`,
      `model Big {\n  input ${input}\n  conv 4 3x3 /2, relu\n  gap\n  dense 10\n}\n`,
    );
    const r = await cnnc([
      'train',
      file,
      '--backend',
      backend,
      '--data',
      'mnist-json',
      '--out',
      path.join(dir, 'runs'),
    ]);
    expect(r.code).toBe(1);
    expect(codes(r.err)).toEqual(['CNN4012']);
    expect(r.err).toContain(`input ${input}`);
    expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);
  });

  it('cnnc train names the largest batch that fits', async () => {
    const file = model(
      dir,
      'wide',
      'model Wide {\n  input 1000x1000x1\n  conv 16 3x3 same, relu\n  gap\n  dense 10\n  train { batch 512 }\n}\n',
    );
    const r = await cnnc(['train', file, '--backend', 'wasm', '--data', 'mnist-json']);
    expect(r.code).toBe(1);
    expect(codes(r.err)).toEqual(['CNN4012']);
    expect(r.err).toMatch(
      /training Wide at batch 512 needs [\d.]+ GiB: more than the 4\.00 GiB of the wasm backend/,
    );
    expect(r.err).toMatch(/use a batch of at most \d+/);
  });

  it('cnnc evaluate checks its own batch', async () => {
    const file = model(
      dir,
      'evalbig',
      'model E {\n  input 1000x1000x1\n  conv 16 3x3 same, relu\n  gap\n  dense 10\n}\n',
    );
    const r = await cnnc([
      'evaluate',
      file,
      '--weights',
      dir,
      '--batch',
      '4096',
      '--backend',
      'wasm',
    ]);
    expect(r.code).toBe(1);
    expect(codes(r.err)).toEqual(['CNN4012']);
    expect(r.err).toContain('running E at batch 4096');
  });

  it('a dataset larger than one array is a message, not "Invalid typed array length"', async () => {
    const file = model(dir, 'fit', 'model F {\n  input 1000x1000x1\n  flatten\n  dense 10\n}\n');
    const r = await cnnc([
      'train',
      file,
      '--backend',
      'reference',
      '--data',
      'mnist-json',
      '--epochs',
      '1',
      '--out',
      path.join(dir, 'runs'),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /cnnc: error: .*9,000 images of 1000x1000x1 are 9,000,000,000 values, more than the 4,294,967,296 one array holds/,
    );
  });
});

describe('cnnc predict on inputs without an answer', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = tmpDir('cnnc-predict-limits-');
    const text = 'model P {\n  input 2x2x1\n  flatten\n  dense 2, softmax\n}\n';
    file = model(dir, 'p', text);
    const graph = compileFile(file, nodeHost(dir)).models[0].graph;
    const weights = graph.nodes.flatMap((n) =>
      (n.weights ?? []).map((w) => ({
        name: `${n.name}/${w.name}`,
        shape: w.shape,
        data: new Float32Array(w.shape.reduce((a, b) => a * b, 1)).fill(0.5),
      })),
    );
    saveCheckpoint(path.join(dir, 'w'), {
      meta: {
        format: 'cnnc-checkpoint',
        version: 1,
        model: graph.model,
        sourceHash: sha256(text),
        irHash: irHash(graph),
        weights: Object.fromEntries(weights.map((w) => [w.name, w.shape])),
        optimizer: null,
        epoch: 1,
        globalStep: 1,
        metrics: null,
      },
      weights,
      optimizer: null,
    });
  });

  const predict = (...images: string[]) =>
    cnnc(['predict', file, '--weights', path.join(dir, 'w'), '--backend', 'cpu', ...images], dir);

  it('an array of no images is a message', async () => {
    fs.writeFileSync(path.join(dir, 'none.npy'), encodeNpy([0, 2, 2, 1], new Float32Array(0)));
    const r = await predict('none.npy');
    expect(r.code).toBe(1);
    expect(r.err).toBe('cnnc: error: none.npy: holds no images (shape 0x2x2x1)\n');
  });

  it('NaN and infinite pixels are named, and get no classes instead of NaN%', async () => {
    const data = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, NaN, 0.7, Infinity, NaN, 1, 1, 1]);
    fs.writeFileSync(path.join(dir, 'nan.npy'), encodeNpy([3, 2, 2, 1], data));
    const r = await predict('nan.npy');
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      "cnnc: warning: nan.npy[1] holds 1 NaN and 1 infinite values (the first at row 0, column 1, channel 0): the model's output for it would be NaN, so no classes are given for it\n" +
        "cnnc: warning: nan.npy[2] holds 1 NaN value (the first at row 0, column 0, channel 0): the model's output for it would be NaN, so no classes are given for it\n",
    );
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^nan\.npy\[0\]: \d \(\d+\.\d%\), \d \(\d+\.\d%\)$/);
    expect(lines.slice(1)).toEqual([
      'nan.npy[1]: no prediction: the input holds NaN or infinite values',
      'nan.npy[2]: no prediction: the input holds NaN or infinite values',
    ]);
    expect(r.out).not.toContain('NaN%');
  });
});

describe('cnnc train on one class', () => {
  it('warns that a one-class folder teaches nothing', async () => {
    const dir = tmpDir('cnnc-one-class-');
    for (let i = 0; i < 4; i++)
      await writeImage(path.join(dir, 'data', 'cats', `${i}.png`), pattern(4, 4, 1, i));
    const file = model(
      dir,
      'one',
      'model One {\n  input 4x4x1\n  flatten\n  dense 2\n  train { validation 0, batch 2, epochs 1 }\n}\n',
    );
    const r = await cnnc(
      ['train', file, '--backend', 'cpu', '--data', 'folder:data', '--quiet', '--out', 'runs'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `cnnc: warning: ${path.join(dir, 'data')} has one class folder ("cats"): the model can only learn to answer "cats" for every image`,
    );
  });
});
